"""Limits on unbounded work, each a clear one-line error (exit 2) stated in the README: requests per
case, characters and lines of clinical text, pages per PDF letter; only regular files are read (a
FIFO or a device is refused at once, never waited on or read without end); and extraction cuts a
text without sentence punctuation into bounded pieces, so its work grows linearly with the text
(benchmarks/extract_linear.py measures it)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from checker.extract import MAX_TEXT_BYTES, MAX_TEXT_CHARS, MAX_TEXT_LINES
from checker.imr.letters import MAX_PDF_PAGES
from checker.load.case import MAX_REQUESTS
from checker.text.context import MAX_SENTENCE_CHARS, Document
from tests.cli_runner import run

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "seed-000.yaml"
SUMMARY = "The injured worker is a 47-year-old woman. There is no documentation of acute muscle spasm.\n"



def one_line(result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("mtus: error: ") and "; fix: " in line, line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def case_with_requests(tmp_path: Path, count: int) -> Path:
    case = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    case["requests"] = [{"id": f"r{i}", "text": "Soma 350 mg BID #60"} for i in range(count)]
    case.pop("expected", None)
    case.pop("known_divergences", None)
    path = tmp_path / f"case-{count}.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False), encoding="utf-8")
    return path


def test_requests_per_case(tmp_path: Path):
    assert run("check", case_with_requests(tmp_path, MAX_REQUESTS), "--format", "json").exit_code == 0
    one_line(run("check", case_with_requests(tmp_path, MAX_REQUESTS + 1)), "requests: 101 requested items, over the limit of 100")
    one_line(run("extract", tmp_path / "x.txt", *["--request", "Soma 350 mg"] * (MAX_REQUESTS + 1)), "--request", "over the limit of 100")


def test_characters_and_lines_of_clinical_text(tmp_path: Path):
    long_text = tmp_path / "long.txt"
    long_text.write_text(SUMMARY + "x" * (MAX_TEXT_CHARS - len(SUMMARY) + 1), encoding="utf-8")
    assert long_text.stat().st_size <= MAX_TEXT_BYTES  # refused for its characters, not its bytes
    one_line(run("extract", long_text), "1,000,001 characters, over the limit of 1,000,000")
    many_lines = tmp_path / "lines.txt"
    many_lines.write_text(SUMMARY + "a\n" * MAX_TEXT_LINES, encoding="utf-8")
    one_line(run("extract", many_lines), "100,002 lines, over the limit of 100,000")
    one_line(run("extract", "-", stdin=b"a " * (MAX_TEXT_BYTES // 2 + 1)), "standard input", f"over the {MAX_TEXT_BYTES}-byte limit")
    assert run("extract", "-", "--request", "Soma 350 mg BID #60", "--as-of", "2016-12-01", stdin=SUMMARY).exit_code == 0


def test_a_text_without_sentence_punctuation_is_read_in_bounded_pieces():
    words = "pain in the low back with spasm and no relief from Norco she denies side effects "
    text = words * (200_000 // len(words))
    sentences = Document(text).sentences
    assert max(len(s.text) for s in sentences) <= MAX_SENTENCE_CHARS
    assert len(sentences) >= len(text) // MAX_SENTENCE_CHARS
    assert all(text[s.start: s.end] == s.text and not s.text.startswith(" ") for s in sentences)
    assert "".join(s.text for s in sentences).replace(" ", "") == text.replace(" ", "")  # nothing lost at the cuts


def test_pages_per_pdf(tmp_path: Path):
    from tests.test_import import LETTER, _pdf

    lines = LETTER.splitlines()
    (tmp_path / "long.pdf").write_bytes(_pdf([lines] + [["(blank)"]] * MAX_PDF_PAGES))
    one_line(run("import", tmp_path / "long.pdf", "--out", tmp_path / "out"), f"the PDF has {MAX_PDF_PAGES + 1} pages, over the limit of {MAX_PDF_PAGES}")


def _mtus(*args: object, timeout: float = 60) -> subprocess.CompletedProcess:
    def bounded() -> None:  # if a device were read without end, this process fails instead of the machine
        resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))

    env = {**os.environ, "PYTHONPATH": str(REPO), "MTUS_CACHE_DIR": "off"}
    return subprocess.run([sys.executable, "-m", "checker.cli", *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env, preexec_fn=bounded)


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


def _refused(done: subprocess.CompletedProcess, named: str, kind: str, command: str) -> None:
    """One error line on stderr; regress lists a file it cannot read in its report, as its error."""
    assert done.returncode == 2, done.stderr
    if command == "regress":
        [line] = [ln for ln in done.stdout.splitlines() if "not a regular file" in ln]
        assert done.stderr == "" and f"{named}: is {kind}, not a regular file" in line, done.stdout
        return
    [line] = done.stderr.splitlines()
    assert line.startswith(f"mtus: error: {named}: ") and f"is {kind}, not a regular file" in line, line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("command", ["check", "draft", "extract", "regress", "import"])
def test_a_fifo_is_refused_at_once(command: str, fifo: Path, tmp_path: Path):
    args = [command, fifo] + (["--out", tmp_path / "out"] if command == "import" else [])
    try:
        done = _mtus(*args, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"mtus {command} waits on a FIFO")
    _refused(done, str(fifo), "a FIFO (named pipe)", command)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
@pytest.mark.parametrize("command", ["check", "extract", "regress", "import"])
def test_dev_zero_is_refused_at_once(command: str, tmp_path: Path):
    args = [command, "/dev/zero"] + (["--out", tmp_path / "out"] if command == "import" else [])
    try:
        done = _mtus(*args, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"mtus {command} reads /dev/zero without end")
    _refused(done, "/dev/zero", "a character device", command)
