"""`mtus regress` when things go wrong: a worker process dies (kill -9, as the out-of-memory killer
does), the run is interrupted (Ctrl-C), the report cannot be written (a full disk)."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker.api import Checker
from checker.measure import regress
from tests.cli_runner import run

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
# The CLI with workers started for a handful of files, so a small corpus runs in parallel.
MTUS = [sys.executable, "-c",
        "import sys; from checker.measure import regress; regress.MIN_FILES_PER_WORKER = 4; from checker.cli import main; sys.exit(main())"]
needs_proc = pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(), reason="needs Linux /proc children lists")



def copies_of_the_examples(folder: Path, times: int) -> int:
    """A corpus of case files: the examples copied `times` times (the files regress runs and skips)."""
    folder.mkdir(parents=True, exist_ok=True)
    examples = sorted(EXAMPLES.glob("*.yaml"))
    for n in range(times):
        for example in examples:
            shutil.copy(example, folder / f"{n:04d}-{example.name}")
    return times * len(examples)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    copies_of_the_examples(folder, 12)
    return folder


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(regress, "MIN_FILES_PER_WORKER", 8)


def _files(run_: regress.Regression) -> int:
    return run_.tally.cases + run_.tally.skipped + len(run_.tally.errors)


def test_a_killed_worker_costs_only_the_file_it_held(corpus, small_batches, monkeypatch, tmp_path):
    checker = Checker()
    serial = regress.regress(checker, [corpus], jobs=1)
    files = regress.collect_case_files([corpus])
    killed: list[int] = []
    parent, held_once, plain = os.getpid(), tmp_path / "held", regress.check_file

    def holding_the_eleventh(checker, path, divergences=None):
        """In a worker, the first file from the 11th on is held for two seconds (once in the run): the parent,
        reading every 5 ms, sees a worker on it however fast the checks run (a fast worker had finished its
        batch between two of the parent's reads, and nothing was killed)."""
        if os.getpid() != parent and files.index(str(path)) >= 10 and not held_once.exists():
            held_once.touch()
            time.sleep(2)
        return plain(checker, path, divergences)

    monkeypatch.setattr(regress, "check_file", holding_the_eleventh)

    class KillingPool(regress.WorkerPool):
        """Kills (SIGKILL, as the out-of-memory killer does) the worker that says it started the 11th file."""

        def _receive(self, worker, answered):
            alive = super()._receive(worker, answered)
            if not killed and worker.current is not None and worker.current >= 10:
                os.kill(worker.process.pid, signal.SIGKILL)
                killed.append(worker.current)
            return alive

    monkeypatch.setattr(regress, "WorkerPool", KillingPool)
    parallel = regress.regress(checker, [corpus], jobs=2)
    try:
        assert killed
        assert _files(parallel) == _files(serial) == len(files)
        [error] = parallel.tally.errors
        assert "the worker process checking this file was killed by SIGKILL" in error["error"] and error["error"].startswith(error["case"])
        assert files.index(error["case"]) >= killed[0]  # the file it was on when the signal came
        assert [r for r in serial.results if r["file"] != error["case"]] == list(parallel.results)
        assert multiprocessing.active_children() == []  # the replacement worker was stopped too
    finally:
        serial.close()
        parallel.close()


def test_workers_that_keep_dying_before_any_file_stop_the_run(corpus, small_batches, monkeypatch):
    monkeypatch.setattr(regress, "_worker_main", _exit_at_once)
    result = run("regress", corpus, "--jobs", "2")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert "--jobs: the worker processes keep ending (ended with exit code 3)" in result.stderr


def _exit_at_once(*args) -> None:
    os._exit(3)


def test_an_interrupt_stops_the_workers_and_reports_how_far_it_got(corpus, small_batches):
    def interrupt(done: int, total: int, items: int) -> None:
        if done == 20:
            raise KeyboardInterrupt

    with pytest.raises(regress.Interrupted) as raised:
        regress.regress(Checker(), [corpus], jobs=2, progress=interrupt)
    assert (raised.value.done, raised.value.total) == (20, len(regress.collect_case_files([corpus])))
    assert raised.value.tally.items > 0
    assert multiprocessing.active_children() == []


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _workers(pid: int) -> list[int]:
    """The worker processes: forked ones run the parent's command line, spawned ones spawn_main."""
    found = []
    try:
        own = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return found
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if command == own or b"spawn_main" in command:
            found.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "R"
    except OSError:
        return False


def _cpu_ns(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def _a_worker_checking_a_file(pid: int) -> int | None:
    """A worker on the CPU now and a moment ago, so checking a file: one waiting for its next batch
    (or woken for it and not yet run) holds none."""
    workers = _workers(pid)
    before = {w: _cpu_ns(w) for w in workers}
    time.sleep(0.005)
    return next((w for w in workers if _cpu_ns(w) > before[w] and _running(w)), None)


def _spooled_bytes(pid: int, tmpdir: Path) -> int:
    """The size of the parent's result spool (a deleted temporary file in `tmpdir`): results arrive in
    file order, so a spool holding several batches means every worker has checked files."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd).startswith(str(tmpdir)):
                return fd.stat().st_size
        except OSError:
            continue
    return 0


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    (cwd / "tmp").mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "MTUS_CACHE_DIR": "off", "TMPDIR": str(cwd / "tmp")}
    return subprocess.Popen([*MTUS, *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for_busy_workers(process: subprocess.Popen, cwd: Path) -> list[int]:
    """The workers, once each is past its start-up and checking files (a worker killed before it
    starts a file holds none: its batch simply goes to another)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if _spooled_bytes(process.pid, cwd / "tmp") >= 512 * 1024:
            return _workers(process.pid)
        time.sleep(0.02)
    pytest.fail("the workers never got busy: the corpus is too small for this machine")


def _finished(process: subprocess.Popen, timeout: float, hang: str) -> tuple[str, str]:
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(hang)


def _kill_a_busy_worker_and_finish(corpus: Path, cwd: Path) -> tuple[int, dict, str]:
    process = _start(["regress", str(corpus), "--jobs", "2", "--format", "json"], cwd)
    _wait_for_busy_workers(process, cwd)
    time.sleep(0.15)  # away from the moment the spool grew: a worker may just have finished a batch
    busy = None
    while busy is None and process.poll() is None:
        busy = _a_worker_checking_a_file(process.pid)
    assert busy is not None, "the run ended before a worker could be killed"
    os.kill(busy, signal.SIGKILL)
    stdout, stderr = _finished(process, 600, "regress hangs after one of its workers was killed")
    assert "Traceback" not in stderr
    return process.returncode, json.loads(stdout), stderr


@needs_proc
def test_kill_9_of_a_worker_from_outside_completes_the_run_with_exit_2(tmp_path):
    """A worker killed while it checks a file: that file is the run's one error, every other file
    runs, exit 2. A worker can still be caught between two files, holding none: then every file runs
    and the run is tried again, up to five times."""
    files = copies_of_the_examples(tmp_path / "corpus", 400)
    for _ in range(5):
        code, report, stderr = _kill_a_busy_worker_and_finish(tmp_path / "corpus", tmp_path)
        assert report["cases"] + report["cases_without_expected"] + len(report["errors"]) == files
        assert code == (2 if report["errors"] else 0), stderr
        if report["errors"]:
            [error] = report["errors"]
            assert "the worker process checking this file was killed by SIGKILL" in error["error"]
            return
    pytest.fail("five workers killed while checking a file, and no file was reported as lost")


@needs_proc
def test_ctrl_c_exits_130_with_one_line_and_no_worker_traceback(tmp_path):
    copies_of_the_examples(tmp_path / "corpus", 1000)  # enough that the run is still going when the signal comes
    process = _start(["regress", str(tmp_path / "corpus"), "--jobs", "2"], tmp_path)
    _wait_for_busy_workers(process, tmp_path)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    stdout, stderr = _finished(process, 120, "regress did not stop on SIGINT")
    assert process.returncode == 130, stderr
    assert stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("mtus: interrupted after "), stderr
    assert " of 6000 case files (" in stderr and "no report written" in stderr


def test_the_report_file_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    out = tmp_path / "report.json"
    written = run("regress", EXAMPLES, "--jobs", "1", "--format", "json", "--out", out)
    assert written.exit_code == 0 and written.stdout == ""
    assert out.read_text(encoding="utf-8") == run("regress", EXAMPLES, "--jobs", "1", "--format", "json").stdout
    earlier = out.read_bytes()

    def full_disk_halfway(run_, fmt, write, templates_dir=None):
        write("{\n  \"schema\": ")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(regress, "write_report", full_disk_halfway)
    failed = run("regress", EXAMPLES, "--jobs", "1", "--format", "json", "--out", out)
    assert failed.exit_code == 2
    assert failed.stderr.count("\n") == 1 and failed.stderr.startswith("mtus: error: ") and "No space left" in failed.stderr, failed.stderr
    assert out.read_bytes() == earlier  # the earlier report, not a truncated one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary file left


def test_a_report_into_a_missing_folder_is_one_line(tmp_path):
    result = run("regress", EXAMPLES, "--jobs", "1", "--out", tmp_path / "missing" / "report.txt")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "--out" in result.stderr, result.output
