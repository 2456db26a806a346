"""The compiled-rule and template cache (checker/load/cache.py) as an attacker and an unlucky operator
would try it: a planted or tampered entry never runs and never changes an answer, a folder another
user could write is never read, the entry covers the bytes the rule set was built from (through
symbolic links, and when a file changes mid-build), a relative XDG_CACHE_HOME creates nothing in
the current folder, and a full disk never makes check, draft or regress print a traceback."""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2.bccache
import pytest

from checker.api import Checker
from checker.load import cache
from tests.cli_runner import run

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "seed-000.yaml"
RULES = REPO / "rules"



def outputs(*extra: object) -> list[str]:
    found = []
    for args in (("check", SEED, "--format", "json"), ("check", SEED), ("draft", SEED, "--format", "html")):
        result = run(*args, *extra)
        assert result.exit_code == 0, result.output
        found.append(result.stdout)
    return found


@pytest.fixture
def plain(monkeypatch) -> list[str]:
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    found = outputs()
    monkeypatch.delenv(cache.CACHE_ENV)
    return found


class _Evil:
    """Unpickling this creates the marker folder: proof that a cache file was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _evil(marker: Path) -> bytes:
    return pickle.dumps(_Evil(marker), protocol=pickle.HIGHEST_PROTOCOL)


def _tamper_every_file(root: Path, marker: Path) -> int:
    """Swap the pickled part of every cache file for one that runs code, keeping any header before
    it (a template entry keeps Jinja's magic, so Jinja goes on to unpickle what follows)."""
    tampered = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "key"):
        data = path.read_bytes()
        if jinja2.bccache.bc_magic in data:
            head = data[: data.index(jinja2.bccache.bc_magic) + len(jinja2.bccache.bc_magic)]
        else:
            head = data[: max(data.find(b"\x80\x05"), 0)]
        path.write_bytes(head + _evil(marker))
        tampered += 1
    return tampered


def _entry_name_before_issue_17(directory: Path) -> str:
    """Where mtus-checker kept a rule set's pickle before issue 17 (anyone who can read the install
    can compute it): rules/<sha256>.pickle."""
    sha = hashlib.sha256()
    sha.update(f"{sys.version_info[:2]}\0{directory}\0{directory.resolve()}\0".encode())
    for path in sorted((REPO / "checker").glob("*.py")):
        sha.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        sha.update(str(path.relative_to(directory)).encode() + b"\0" + path.read_bytes() + b"\0")
    return f"rules/{sha.hexdigest()}.pickle"


def _plant(root: Path, marker: Path) -> None:
    """What another user who can write the folder would leave: a pickle under the old name, and under
    the new one an entry authenticated with a key of their own, written over ours."""
    evil = _evil(marker)
    old = root / _entry_name_before_issue_17(RULES)
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(evil)
    if hasattr(cache, "rules_entry_name"):
        key = b"k" * 32
        (root / "key").write_bytes(key)
        name = cache.rules_entry_name((RULES,), cache.snapshot((RULES,)))
        mac = hmac.new(key, name.encode() + b"\0" + evil, hashlib.sha256).digest()
        (root / name).write_bytes(b"mtus-cache/2\n" + mac + evil)


def test_a_tampered_entry_never_runs_and_never_changes_an_answer(tmp_path, monkeypatch, plain, templates_from_source):
    root = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(root))
    assert outputs() == plain  # fills the cache
    marker = tmp_path / "ran"
    assert _tamper_every_file(root, marker) >= 2  # the rule set and at least one template
    assert outputs() == plain
    assert not marker.exists(), "a cache file was unpickled though this user did not write it"
    assert outputs() == plain  # rebuilt and stored again: still right


def test_an_entry_with_a_decision_rule_emptied_is_not_trusted(tmp_path, monkeypatch, plain):
    """Tampering that keeps a valid pickle and the version stamp: the seed's denial must not turn."""
    root = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(root))
    outputs()
    [entry] = [p for p in root.rglob("*") if p.is_file() and "rules" in str(p.relative_to(root))]
    data = entry.read_bytes()
    head = data[: data.index(b"\x80\x05")]
    ruleset, program = pickle.loads(data[len(head):])
    for topic in ruleset.topics:
        for edition in topic.editions:
            object.__setattr__(edition, "decision", ("all", ()))  # no indication to meet
            for criterion in edition.criteria:
                object.__setattr__(criterion, "role", "documentation")  # no limit to defeat: every item medically necessary
    tampered = Checker.from_state(pickle.dumps((ruleset, program, "reference", "all")))
    decisions = {item.decision for item in tampered.decide_case(tampered.load(SEED))}
    assert decisions == {"medically_necessary"}, "the tampering does not turn the seed's denial"
    entry.write_bytes(head + pickle.dumps((ruleset, program)))
    assert outputs() == plain


def test_a_folder_another_user_can_write_is_never_read(tmp_path, monkeypatch, plain):
    shared = tmp_path / "shared-xdg"
    shared.mkdir()
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared))
    root = shared / "mtus-checker"
    root.mkdir()
    marker = tmp_path / "ran"
    _plant(root, marker)
    for folder in (shared, root, *[p for p in root.rglob("*") if p.is_dir()]):
        folder.chmod(0o777)  # a shared cache home, as the issue found it
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert outputs() == plain
    assert not marker.exists(), "a planted entry ran"
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before  # nothing written there either


@pytest.mark.skipif(os.geteuid() != 0, reason="making a folder another user's needs root")
def test_a_folder_owned_by_another_user_is_never_read(tmp_path, monkeypatch, plain):
    root = tmp_path / "cache"
    root.mkdir(mode=0o700)
    marker = tmp_path / "ran"
    _plant(root, marker)
    for path in [root, *root.rglob("*")]:
        os.chown(path, 65534, 65534)
    monkeypatch.setenv(cache.CACHE_ENV, str(root))
    assert outputs() == plain
    assert not marker.exists(), "a planted entry ran"


def test_the_folder_and_its_files_are_private(tmp_path, monkeypatch, plain):
    root = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(root))
    assert outputs() == plain
    assert root.stat().st_mode & 0o777 == 0o700
    files = [p for p in root.iterdir() if p.is_file()]
    assert files and all(p.stat().st_mode & 0o077 == 0 for p in files)
    # a folder of ours that others could only read (made by an earlier version) is tightened and used
    shutil.rmtree(root)
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    assert outputs() == plain
    assert root.stat().st_mode & 0o777 == 0o700 and any(p.name.startswith("rules-") for p in root.iterdir())


def test_a_symbolic_link_in_the_cache_folder_is_not_followed(tmp_path, monkeypatch, plain):
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    link = tmp_path / "cache"
    link.symlink_to(target)
    monkeypatch.setenv(cache.CACHE_ENV, str(link))
    assert outputs() == plain
    assert list(target.iterdir()) == []


def _title_of(checker: Checker, topic_id: str) -> str:
    return next(t.title for t in checker.ruleset.topics if t.topic == topic_id)


def test_rule_files_behind_a_symbolic_link_are_part_of_the_entry(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("topics"))
    shutil.copytree(RULES / "topics", tmp_path / "real-topics")
    (rules / "topics").symlink_to(tmp_path / "real-topics")
    assert _title_of(Checker(rules), "carisoprodol") == "Carisoprodol (Soma)"
    topic = tmp_path / "real-topics" / "carisoprodol.yaml"
    topic.write_text(topic.read_text(encoding="utf-8").replace("title: Carisoprodol (Soma)", "title: Carisoprodol, edited"), encoding="utf-8")
    assert _title_of(Checker(rules), "carisoprodol") == "Carisoprodol, edited"


def test_a_file_changed_while_building_never_poisons_the_entry(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    topic = rules / "topics" / "carisoprodol.yaml"
    original = topic.read_text(encoding="utf-8")
    build = cache._build

    def edited_meanwhile(*args):
        topic.write_text(original.replace("title: Carisoprodol (Soma)", "title: Carisoprodol, mid-build"), encoding="utf-8")
        return build(*args)

    monkeypatch.setattr(cache, "_build", edited_meanwhile)
    Checker(rules)
    monkeypatch.setattr(cache, "_build", build)
    topic.write_text(original, encoding="utf-8")
    assert _title_of(Checker(rules), "carisoprodol") == "Carisoprodol (Soma)"


def test_an_entry_covers_every_rule_folder_given(tmp_path):
    """Site rule folders read beside the rules directory are part of the entry's name too."""
    site = tmp_path / "site"
    (site / "topics").mkdir(parents=True)
    (site / "topics" / "local.yaml").write_text("topic: local\n", encoding="utf-8")
    folders = (RULES, site)
    before = cache.rules_entry_name(folders, cache.snapshot(folders))
    (site / "topics" / "local.yaml").write_text("topic: local, edited\n", encoding="utf-8")
    assert cache.rules_entry_name(folders, cache.snapshot(folders)) != before
    assert cache.rules_entry_name((RULES,), cache.snapshot((RULES,))) != before


def test_an_entry_covers_the_versions_of_python_and_the_installed_packages():
    fingerprint = cache.environment_fingerprint()
    cache.environment_fingerprint.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(cache, "_distributions", lambda: {"PyYAML-99.0.dist-info"})
            assert cache.environment_fingerprint() != fingerprint
        cache.environment_fingerprint.cache_clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sys, "version", sys.version + " (another build)")
            assert cache.environment_fingerprint() != fingerprint
    finally:
        cache.environment_fingerprint.cache_clear()
    assert cache.environment_fingerprint() == fingerprint
    assert any(name.lower().startswith("jinja2-") for name in cache._distributions())


def test_an_entry_covers_the_code_of_every_module_also_in_subpackages(tmp_path, monkeypatch):
    """A lint check is a module of checker/lint/checks/: changing one must not reuse an entry linted
    with the old code."""
    package = tmp_path / "checker"
    shutil.copytree(cache._PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "_PACKAGE", package)
    cache.environment_fingerprint.cache_clear()
    try:
        before = cache.environment_fingerprint()
        check = package / "lint" / "checks" / "no_topics.py"
        check.write_text(check.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
        cache.environment_fingerprint.cache_clear()
        assert cache.environment_fingerprint() != before
    finally:
        cache.environment_fingerprint.cache_clear()


def _mtus(args: list[str], env: dict[str, str], cwd: Path, stdout=subprocess.PIPE, max_file_bytes: int | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:
        if max_file_bytes is not None:  # a nearly full disk: any write past this size fails (EFBIG)
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return subprocess.run([sys.executable, "-m", "checker.cli", *args], cwd=cwd, env={**env, "PYTHONPATH": str(REPO)},
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=300, preexec_fn=limit)


def test_a_relative_xdg_cache_home_creates_nothing_in_the_current_folder(tmp_path):
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != cache.CACHE_ENV}
    env.update(XDG_CACHE_HOME="relative-cache", HOME=str(home))
    done = _mtus(["check", str(SEED)], env, work)
    assert done.returncode == 0, done.stderr
    assert list(work.iterdir()) == []
    assert any(p.name.startswith("rules-") for p in (home / ".cache" / "mtus-checker").iterdir())


def test_a_full_disk_never_prints_a_traceback(tmp_path):
    """Writes past 4 kB fail (the cache's, the regress spool's, a report's): check and draft still
    answer (the cache only saves time); regress answers or gives one line and exit 2."""
    env = {**os.environ, cache.CACHE_ENV: str(tmp_path / "cache"), "TMPDIR": str(tmp_path)}
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(30):
        shutil.copy(SEED, corpus / f"seed-{i:02d}.yaml")
    expected = {tuple(a): _mtus(a, {**env, cache.CACHE_ENV: "off"}, tmp_path).stdout for a in (["check", str(SEED)], ["draft", str(SEED), "--format", "html"])}
    for args, output in expected.items():
        done = _mtus(list(args), env, tmp_path, max_file_bytes=4096)
        assert (done.returncode, done.stderr, done.stdout) == (0, "", output), args
    for jobs in ("1", "2"):
        done = _mtus(["regress", str(corpus), "--jobs", jobs, "--format", "json"], env, tmp_path, max_file_bytes=4096)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stderr.startswith("mtus: error: "), done.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("command", [["check", str(SEED)], ["draft", str(SEED)], ["regress", str(REPO / "examples"), "--jobs", "1"]])
def test_output_to_a_full_disk_is_one_line_and_exit_2(command, tmp_path):
    with open("/dev/full", "w") as full:
        done = _mtus(command, {**os.environ, cache.CACHE_ENV: "off"}, tmp_path, stdout=full)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("mtus: error: ") and "space" in done.stderr, done.stderr
