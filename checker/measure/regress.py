"""`mtus regress`: run case files that carry known decisions and report agreement, item by item.

Cases run in parallel worker processes (`jobs`). Workers are forked on Linux when the process runs
no other thread: each gets the parent's loaded rules and rule engine as its own copy
(durable_rules keeps no shared state: ../shared/reference/durable-rules-notes.md), with nothing
re-imported or rebuilt, and the parent is one of the `jobs` (it forks jobs - 1 and checks files
itself between reading their answers). Elsewhere they are spawned, each building its engine from the
parent's compiled rules. Results come back in file order and go to a spool file, so memory stays flat however
many items run, and the report is the same bytes whatever the number of workers.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pickle
import re
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _json_text
from pathlib import Path
from typing import IO, Any

from checker.base.errors import EngineError, InputError
from checker.base.fields import check_keys, require_list, require_mapping, require_text
from checker.base.jsontext import NotPlainJson as _NotPlainJson
from checker.base.jsontext import indented_json
from checker.base.memo import remembered
from checker.base.outcomes import MEDICALLY_NECESSARY, NO_APPLICABLE_RULE, NOT_MEDICALLY_NECESSARY
from checker.load.case import Case, KnownDivergence
from checker.load.ruleset import Citation, parse_pages

REGRESS_SCHEMA = "mtus-regress-report/1"
DIVERGENCES_SCHEMA = "mtus-divergences/1"
# Below this many case files per worker, starting a worker costs more than it saves. A forked worker
# starts in milliseconds; a spawned one re-imports everything (benchmarks/run.py: 174 files took
# 0.7 s on one process and 1.3 s on two spawned workers).
MIN_FILES_PER_WORKER = 150
MIN_FILES_PER_FORKED_WORKER = 12
ANSWER_PAUSE_SECONDS = 0.005
# Before forking, the parent checks 1/4 of a worker's share of the files, and no more than 128:
# what it learns there (request lines parsed, misspelt names, patterns compiled) each worker would
# otherwise learn again. From 1/8 and 64 this cut the CPU of --jobs 2 by 2-8% in paired runs of
# `benchmarks/run.py --regress-only --against TREE` (2,000 and 10,000 items), at about the same wall time.
WARM_UP_SHARE = 4
MAX_WARM_UP_FILES = 128
_RESULTS_PLACEHOLDER = "\x00results\x00"

Progress = Callable[[int, int, int], None]  # (files done, files in all, items so far)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def collect_case_files(paths: list[Path]) -> list[str]:
    """Every case file named or under a named folder, once each, in path order. Kept as strings:
    a Path object costs about four times the memory, which shows at 100,000 items."""
    found: set[str] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.update(_yaml_files_under(path))
        elif path.exists():
            found.add(str(path))
        else:
            raise InputError(str(path), "", "no such file or directory", "name case files or folders that exist")
    # Path order (part by part) without a list per name: the separator sorts below every character.
    return sorted(found, key=lambda name: name.replace(os.sep, "\0"))


@dataclass
class Tally:
    """The counts of a regression run, added up file by file."""
    cases: int = 0
    skipped: int = 0
    items: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    agree: int = 0
    disagree: int = 0
    citation_checked: int = 0
    citation_agree: int = 0
    overturned: int = 0
    overturns_caught: int = 0
    uphold_baseline_agree: int = 0
    decision_divergences: int = 0
    citation_divergences: int = 0
    uphold_baseline_agree_without_divergences: int = 0
    overturned_divergences: int = 0
    topics: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, result: dict[str, Any]) -> None:
        self.items += 1
        self.statuses[result["status"]] = self.statuses.get(result["status"], 0) + 1
        expected, actual = result["expected"]["decision"], result["actual"]["decision"]
        self._add_to_topic(result, expected, actual)
        if expected == MEDICALLY_NECESSARY:
            self.overturned += 1
            self.overturns_caught += actual == MEDICALLY_NECESSARY
        if result["status"] == "no_rule":
            return
        if result["status"] == "known_divergence":
            self.decision_divergences += result["known_divergence"]["about"] == "decision"
            self.overturned_divergences += result["known_divergence"]["about"] == "decision" and expected == MEDICALLY_NECESSARY
            self.citation_divergences += result["known_divergence"]["about"] == "citation"
        self.agree += result["agree"]
        self.disagree += not result["agree"]
        self.uphold_baseline_agree += expected == NOT_MEDICALLY_NECESSARY
        if not (result["status"] == "known_divergence" and result["known_divergence"]["about"] == "decision"):
            self.uphold_baseline_agree_without_divergences += expected == NOT_MEDICALLY_NECESSARY
        if result["citation_agree"] is not None:
            self.citation_checked += 1
            self.citation_agree += result["citation_agree"]

    def count(self, status: str) -> int:
        return self.statuses.get(status, 0)

    def _add_to_topic(self, result: dict[str, Any], expected: str, actual: str) -> None:
        """The confusion table of one topic: the letter's decision against the tool's."""
        topic = result["actual"]["topic"] or NO_TOPIC
        row = self.topics.get(topic)
        if row is None:  # a table made only for a topic not met before, not for every item
            row = self.topics[topic] = dict.fromkeys(CONFUSION_CELLS, 0)
        row["items"] += 1
        row[_CELLS.get((expected, actual)) or f"{_short(expected)}_{_short(actual)}"] += 1
        if result["citation_agree"] is not None:
            row["citation_checked"] += 1
            row["citation_agree"] += result["citation_agree"]


NO_TOPIC = "(no applicable rule)"
CONFUSION_CELLS = ("items", "mn_mn", "mn_nmn", "mn_none", "nmn_mn", "nmn_nmn", "nmn_none", "citation_checked", "citation_agree")


def _short(decision: str) -> str:
    return {MEDICALLY_NECESSARY: "mn", NOT_MEDICALLY_NECESSARY: "nmn"}.get(decision, "none")


# The confusion cell of each pair of the two decisions (the letter's, the tool's), as _short names it; any
# other pair is named by _short (the same cells: tests/test_speed.py).
_CELLS = {
    (expected, actual): f"{_short(expected)}_{_short(actual)}"
    for expected in (MEDICALLY_NECESSARY, NOT_MEDICALLY_NECESSARY) for actual in (MEDICALLY_NECESSARY, NOT_MEDICALLY_NECESSARY, NO_APPLICABLE_RULE)
}


class ResultSpool:
    """Item results kept in a temporary file (pickled one case file at a time), readable again in
    order; with each, optionally, its JSON text as the report prints it (made by the worker that ran
    it). texts_only: a spool for a JSON report alone keeps each result as that text and nothing else
    (unpickling every result for its text was a twentieth of a run's CPU); its results cannot be read
    back, only their texts."""

    def __init__(self, texts_only: bool = False) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile()
        self._count = 0
        self.texts_only = texts_only

    def append(self, result: dict[str, Any], json_text: str | None = None) -> None:
        self.extend([(result, json_text)])

    def extend(self, entries: list[tuple[dict[str, Any], str | None]]) -> None:
        """The results of one case file, pickled together (one pickle per file, not per item)."""
        self.extend_pickled(pickled_entries(entries, self.texts_only), len(entries))

    def extend_pickled(self, pickled: bytes, count: int) -> None:
        """What extend writes, pickled already by pickled_entries (by a worker: the parent never
        unpickles it)."""
        if count:
            self._file.write(pickled)
            self._count += count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self.texts_only:
            raise TypeError("this run kept its results as JSON text only (json_report)")
        return (result for result, _ in self._entries())

    def json_texts(self) -> Iterator[str]:
        if self.texts_only:
            return self._entries()
        return (_text_of(result, text) for result, text in self._entries())

    def _entries(self) -> Iterator[Any]:
        self._file.flush()
        self._file.seek(0)
        read = 0
        while read < self._count:
            entries = pickle.load(self._file)  # noqa: S301 - written by this process a moment ago
            read += len(entries)
            yield from entries
        self._file.seek(0, os.SEEK_END)

    def close(self) -> None:
        self._file.close()


def pickled_entries(entries: list[tuple[dict[str, Any], str | None]], texts_only: bool) -> bytes:
    """One case file's (result, JSON text) pairs as a spool keeps them: pickled together, or with
    `texts_only` each result's JSON text alone (written here when the pair holds none)."""
    if texts_only:
        kept: list[Any] = [_text_of(result, text) for result, text in entries]
    else:
        kept = entries
    return pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)


def _text_of(result: dict[str, Any], text: str | None) -> str:
    """A result's JSON text: the one its worker wrote, else written now."""
    return text if text is not None else result_json(result)


def result_json(result: dict[str, Any]) -> str:
    """One result as the JSON report prints it inside "results" (indented two levels): the text of
    plain_result_json, written by indented_json (json's indenting encoder is pure Python and was a
    tenth of a run's CPU), its keys in the order of a result as _compare makes it (_shaped_result_json)."""
    try:
        shaped = _shaped_result_json(result)
        return shaped if shaped is not None else indented_json(result, _RESULT_INDENT)
    except _NotPlainJson:
        return plain_result_json(result)


# A result as _compare makes it: its keys, and those of the mappings it holds, known in advance.
_RESULT_KEYS = frozenset({"actual", "agree", "case", "citation_agree", "expected", "file", "item", "known_divergence", "request", "status"})
_ACTUAL_KEYS = frozenset({"citations", "decision", "topic"})
_EXPECTED_KEYS = frozenset({"citations", "decision", "non_mtus"})
_CITATION_KEYS = frozenset({"edition", "guideline", "pages", "section"})
_DIVERGENCE_KEYS = frozenset({"about", "reason"})
_N1, _N2, _N3, _N4 = "\n      ", "\n        ", "\n          ", "\n            "  # a result's own lines, then deeper


def _shaped_result_json(result: Any) -> str | None:
    """What indented_json(result, _RESULT_INDENT) writes, for a result of _compare's shape, its keys
    written in their sorted order without sorting them; None for any other shape (tests/test_speed.py).
    A text or truth value is written in place (json's own string encoder, no call of indented_json)."""
    if type(result) is not dict or result.keys() != _RESULT_KEYS:
        return None
    actual, expected, divergence = result["actual"], result["expected"], result["known_divergence"]
    if type(actual) is not dict or actual.keys() != _ACTUAL_KEYS or type(expected) is not dict or expected.keys() != _EXPECTED_KEYS:
        return None
    cited, letter = _citations_json(actual["citations"]), _citations_json(expected["citations"])
    if cited is None or letter is None:
        return None
    if divergence is None:
        diverges = "null"
    elif type(divergence) is dict and divergence.keys() == _DIVERGENCE_KEYS:
        about, reason = indented_json(divergence["about"], _N2), indented_json(divergence["reason"], _N2)
        diverges = "{" + _N2 + '"about": ' + about + "," + _N2 + '"reason": ' + reason + _N1 + "}"
    else:
        return None
    return "".join((
        "{", _N1, '"actual": {', _N2, '"citations": ', cited, ",", _N2, '"decision": ', _scalar_json(actual["decision"], _N2),
        ",", _N2, '"topic": ', _scalar_json(actual["topic"], _N2), _N1, "},",
        _N1, '"agree": ', _scalar_json(result["agree"], _N1), ",", _N1, '"case": ', _scalar_json(result["case"], _N1),
        ",", _N1, '"citation_agree": ', _scalar_json(result["citation_agree"], _N1), ",",
        _N1, '"expected": {', _N2, '"citations": ', letter, ",", _N2, '"decision": ', _scalar_json(expected["decision"], _N2),
        ",", _N2, '"non_mtus": ', _scalar_json(expected["non_mtus"], _N2), _N1, "},",
        _N1, '"file": ', _scalar_json(result["file"], _N1), ",", _N1, '"item": ', _scalar_json(result["item"], _N1),
        ",", _N1, '"known_divergence": ', diverges, ",", _N1, '"request": ', _scalar_json(result["request"], _N1),
        ",", _N1, '"status": ', _scalar_json(result["status"], _N1), _RESULT_INDENT, "}",
    ))


def _scalar_json(value: Any, newline: str) -> str:
    """indented_json(value, newline), a text, a truth value or null written at once."""
    kind = value.__class__
    if kind is str:
        return _json_text(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    return indented_json(value, newline)


# The JSON text of a result's list of citations, remembered by the citations' fields (_citations_json):
# a corpus's results cite a few hundred lists. At most this many, forgotten all at once.
MAX_REMEMBERED_CITATION_TEXTS = 4096
_CITATION_TEXTS: dict[tuple[tuple[str, str, str, str], ...], str] = {}


def _citations_json(citations: Any) -> str | None:
    """A result's list of citations as indented_json writes it at its place; None for another shape.
    Remembered by the citations' fields, each a text (the text written afresh: tests/test_speed.py)."""
    if type(citations) is not list:
        return None
    if not citations:
        return "[]"
    key = []
    for citation in citations:
        if type(citation) is not dict or citation.keys() != _CITATION_KEYS:
            return None
        fields = (citation["edition"], citation["guideline"], citation["pages"], citation["section"])
        if fields[0].__class__ is not str or fields[1].__class__ is not str or fields[2].__class__ is not str or fields[3].__class__ is not str:
            return None
        key.append(fields)
    found = _CITATION_TEXTS.get(tuple(key))
    if found is None:
        if len(_CITATION_TEXTS) >= MAX_REMEMBERED_CITATION_TEXTS:
            _CITATION_TEXTS.clear()
        found = _CITATION_TEXTS[tuple(key)] = plain_citations_json(key)
    return found


def plain_citations_json(citations: list[tuple[str, str, str, str]]) -> str:
    """The JSON text of a list of citations given by their fields (edition, guideline, pages, section)."""
    entries = [
        "".join(("{", _N4, '"edition": ', _json_text(edition), ",", _N4, '"guideline": ', _json_text(guideline),
                 ",", _N4, '"pages": ', _json_text(pages), ",", _N4, '"section": ', _json_text(section), _N3, "}"))
        for edition, guideline, pages, section in citations
    ]
    return "[" + _N3 + ("," + _N3).join(entries) + _N2 + "]"


def plain_result_json(result: dict[str, Any]) -> str:
    """What result_json gives, by json.dumps (the report's settings; render.to_json)."""
    return json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False, default=str).replace("\n", "\n    ")


_RESULT_INDENT = "\n    "


@dataclass
class Regression:
    """A finished run: its counts, and its item results in file order (spooled)."""
    tally: Tally
    results: ResultSpool
    ruleset: str

    def summary(self, with_results: bool = True) -> dict[str, Any]:
        t = self.tally
        failures = t.count("disagree") + t.count("stale_divergence")
        return {
            "schema": REGRESS_SCHEMA,
            "ruleset": self.ruleset,
            "cases": t.cases,
            "cases_without_expected": t.skipped,
            "items": t.items,
            "agree": t.agree,
            "disagree": t.disagree,
            "no_rule": t.count("no_rule"),
            "citation_checked": t.citation_checked,
            "citation_agree": t.citation_agree,
            "known_divergences": t.count("known_divergence"),
            "decision_divergences": t.decision_divergences,
            "citation_divergences": t.citation_divergences,
            "stale_divergences": t.count("stale_divergence"),
            "topics": [{"topic": name, **t.topics[name]} for name in sorted(t.topics)],
            "overturned": t.overturned,
            "overturns_caught": t.overturns_caught,
            "overturned_divergences": t.overturned_divergences,
            "uphold_baseline_agree": t.uphold_baseline_agree,
            "uphold_baseline_agree_without_divergences": t.uphold_baseline_agree_without_divergences,
            "failures": failures,
            "errors": t.errors,
            "passed": t.cases > 0 and failures == 0 and not t.errors,
            "results": list(self.results) if with_results else self.results,
        }

    def close(self) -> None:
        self.results.close()


def regress(
    checker: Any, paths: list[Path], jobs: int = 1, progress: Progress | None = None, json_report: bool = False,
    divergences: Divergences | None = None,
) -> Regression:
    """Run every case file under `paths` (in `jobs` worker processes) and tally the agreement.
    json_report: the run is for a JSON report: the workers also write each result's JSON text (the
    report then costs the parent almost nothing), and the run keeps each result as that text alone
    (ResultSpool's texts_only). divergences: known divergences listed apart from the case files."""
    with collector_for_a_run():
        return _regress(checker, collect_case_files(paths), jobs, progress, json_report, divergences or {})


# The cycle collector's young-generation threshold during a run (Python's default is 700): a case's
# objects then mostly die before a collection walks them (fewer collections, and fewer objects promoted
# to be walked again in the older generations). Peak RSS the same at 700 and here (README, "Regress,
# round ten").
YOUNG_COLLECTION_THRESHOLD = 100_000


@contextlib.contextmanager
def collector_for_a_run() -> Iterator[None]:
    """Python's cycle collector set for a run of many cases, and as it was afterwards: what exists when
    the run starts (the modules, the loaded rules) is frozen, so that no collection walks it again nor,
    in a forked worker, writes to its memory pages (copying them); and the young generation is
    collected less often. What is collected, and so the reports, stay the same (tests/test_speed.py).
    A heap frozen already by the caller is left as the caller froze it."""
    import gc

    threshold, frozen_here = gc.get_threshold(), gc.get_freeze_count() == 0
    if frozen_here:
        gc.freeze()
    _collect_young_less_often()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if frozen_here:
            gc.unfreeze()


def _collect_young_less_often() -> None:
    import gc

    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], YOUNG_COLLECTION_THRESHOLD), *threshold[1:])


def _regress(
    checker: Any, files: list[str], jobs: int, progress: Progress | None, json_report: bool, divergences: Divergences,
) -> Regression:
    tally, spool = Tally(), ResultSpool(texts_only=json_report)
    outcomes = _outcomes(checker, files, jobs, json_report, divergences)
    done = 0
    try:
        for path, (kind, payload) in zip(files, outcomes, strict=True):
            if kind == "error":
                tally.errors.append({"case": path, "error": payload})
            elif kind == "skipped":
                tally.skipped += 1
            else:
                tally.cases += 1
                if isinstance(payload, PackedResults):  # from a worker: counted from summaries, spooled as sent
                    for summary in payload.summaries:
                        tally.add(summary)
                    spool.extend_pickled(payload.pickled, len(payload.summaries))
                else:
                    for result, _ in payload:
                        tally.add(result)
                    if payload:
                        spool.extend(payload)
            done += 1
            if progress is not None:
                progress(done, len(files), tally.items)
    except BaseException as exc:
        _close(outcomes)  # stops the workers
        spool.close()
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted(done, len(files), tally) from None
        raise
    return Regression(tally, spool, checker.ruleset.stamp)


class Interrupted(Exception):
    """The run was interrupted (SIGINT): how far it got."""

    def __init__(self, done: int, total: int, tally: Tally) -> None:
        super().__init__(f"interrupted after {done} of {total} case files")
        self.done = done
        self.total = total
        self.tally = tally


def _close(outcomes: Iterable[Any]) -> None:
    close = getattr(outcomes, "close", None)
    if close is not None:
        close()


def run_regression(checker: Any, paths: list[Path], jobs: int = 1, divergences: Divergences | None = None) -> dict[str, Any]:
    """The whole summary as one dict, results included (for small runs and library callers)."""
    run = regress(checker, paths, jobs, divergences=divergences)
    try:
        return run.summary()
    finally:
        run.close()


def _outcomes(checker: Any, files: list[str], jobs: int, json_report: bool, divergences: Divergences) -> Iterable[tuple[str, Any]]:
    start_method = worker_start_method()
    workers = min(jobs, len(files) // (MIN_FILES_PER_FORKED_WORKER if start_method == "fork" else MIN_FILES_PER_WORKER))
    if workers <= 1:
        return (_with_json(check_file(checker, path, divergences), False) for path in files)
    if start_method == "fork":
        return _warm_then_forked(checker, files, workers, json_report, divergences)
    return _parallel_outcomes(checker, files, workers, json_report, divergences, start_method)


def _warm_then_forked(checker: Any, files: list[str], workers: int, json_report: bool, divergences: Divergences) -> Iterator[tuple[str, Any]]:
    """The first files checked here, then the rest by forked workers, which inherit what checking
    them taught this process (patterns compiled, topic rankings, misspelt names resolved) instead
    of each worker learning it again: that was most of the extra CPU of a small corpus on two workers."""
    warm = min(len(files) // (workers * WARM_UP_SHARE), MAX_WARM_UP_FILES)
    for path in files[:warm]:
        yield _with_json(check_file(checker, path, divergences), False)
    yield from _parallel_outcomes(checker, files[warm:], workers, json_report, divergences, "fork")


def worker_start_method() -> str:
    """"fork" on Linux when this process runs no other thread (forking a threaded process can copy a
    lock another thread holds: the web page's server may run threads; macOS system libraries are not
    safe to fork), else "spawn"."""
    import sys
    import threading

    return "fork" if sys.platform.startswith("linux") and threading.active_count() == 1 else "spawn"


def _parallel_outcomes(
    checker: Any, files: list[str], workers: int, json_report: bool, divergences: Divergences, start_method: str = "spawn",
) -> Iterator[tuple[str, Any]]:
    batch = max(1, min(64, len(files) // (workers * 8)))
    if start_method == "fork":
        # The parent is one of the workers: it checks files itself between reading the others'
        # answers, so --jobs 2 forks one process, not two, and ships half the results, not all.
        checker.evaluator  # noqa: B018 - built once here, inherited by every worker
        pool = WorkerPool(checker, json_report, divergences, workers - 1, start_method)
        own = functools.partial(_checked_here, checker, divergences)
    else:
        pool = WorkerPool(checker.state(), json_report, divergences, workers, start_method)
        own = None
    try:
        yield from pool.outcomes(files, batch, own)
    finally:
        pool.stop()


def _checked_here(checker: Any, divergences: Divergences, path: str) -> tuple[str, Any]:
    """A file's outcome as the serial run gives it (the report's JSON written later, as there)."""
    return _with_json(check_file(checker, path, divergences), False)


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process
    connection: Any  # multiprocessing.connection.Connection
    held: deque[int] = field(default_factory=deque)  # the files sent and not yet answered (indexes), in order
    current: int | None = None  # the file it is on: said when it starts a batch, and named with each answer


class WorkerPool:
    """Worker processes, each checking the batches of case files it is sent and answering file by
    file, so the parent always knows which file a worker holds. A worker that dies (killed, or by
    the out-of-memory killer) costs only that file, reported as its error; a new worker takes the
    rest of its batch. Workers ignore SIGINT: an interrupt is the parent's to handle, and it stops
    them. `checker` is the parent's Checker when forking, its state() (bytes) when spawning."""

    def __init__(self, checker: Any, json_report: bool, divergences: Divergences, size: int, start_method: str = "spawn") -> None:
        import multiprocessing

        self.context = multiprocessing.get_context(start_method)
        self.arguments = (checker, json_report, divergences)
        self.size = size
        self.workers: list[_Worker] = []
        self.deaths_in_a_row = 0  # workers that died since a file was last answered

    def outcomes(self, files: list[str], batch: int, own: Callable[[str], tuple[str, Any]] | None = None) -> Iterator[tuple[str, Any]]:
        """Every file's outcome, in file order. `own`: this process checks files too (one at a time,
        the next in line, reading the workers' answers after each), as a serial run checks them."""
        pending = deque(range(len(files)))
        answered: dict[int, tuple[str, Any]] = {}
        ahead = max(1, self.size) * batch * 4  # how far past the next file in order workers may run (memory)
        next_out = 0
        while True:
            while next_out in answered:
                yield answered.pop(next_out)
                next_out += 1
            if next_out >= len(files):
                return
            while pending and len(self.workers) < self.size:
                self.workers.append(self._start())
            for worker in self.workers:  # a second batch waits in line, so a worker never idles between batches
                if len(worker.held) <= batch and pending and pending[0] - next_out < ahead:
                    count = min(batch, len(pending)) if own is None else _shared_batch(batch, len(pending), self.size + 1)
                    self._send(worker, [pending.popleft() for _ in range(count)], files)
            if own is not None and pending and pending[0] - next_out < ahead:
                index = pending.popleft()
                answered[index] = own(files[index])
                self._read_answers(answered, pending, files, 0)
                continue
            if not any(worker.held for worker in self.workers):  # the file next in order is neither answered, pending nor held
                raise RuntimeError(f"regress lost track of {files[next_out]}")
            self._read_answers(answered, pending, files, None)
            if own is None and all(len(worker.held) > 1 for worker in self.workers):
                # Answers come every millisecond or two: woken for each, the parent spent more CPU
                # waking than reading. Each worker still has a file in hand, so none idles meanwhile.
                time.sleep(ANSWER_PAUSE_SECONDS)

    def _read_answers(self, answered: dict[int, tuple[str, Any]], pending: deque[int], files: list[str], timeout: float | None) -> None:
        """The answers waiting (or, timeout None, the next to come); a worker gone is buried."""
        from multiprocessing.connection import wait

        if not self.workers:
            return
        ready = wait([w.connection for w in self.workers] + [w.process.sentinel for w in self.workers], timeout)
        for worker in [w for w in self.workers if w.connection in ready or w.process.sentinel in ready]:
            if not self._receive(worker, answered):
                self._bury(worker, answered, pending, files)

    def _start(self) -> _Worker:
        import signal

        parent_end, child_end = self.context.Pipe()
        # A forked worker closes its copies of the other workers' pipes (see _worker_main).
        siblings = [w.connection for w in self.workers] if self.context.get_start_method() == "fork" else []
        process = self.context.Process(target=_worker_main, args=(child_end, *self.arguments, siblings), daemon=True)
        if self.context.get_start_method() == "fork":
            _flush_standard_streams()  # a forked child must not write the parent's buffered output again
        # SIGINT is blocked while the worker starts (it inherits the mask), so a Ctrl-C to the
        # terminal's process group cannot reach it before it ignores SIGINT; the parent gets the
        # signal as soon as it unblocks it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        child_end.close()
        return _Worker(process, parent_end)

    def _send(self, worker: _Worker, indexes: list[int], files: list[str]) -> None:
        worker.held.extend(indexes)
        try:
            worker.connection.send([(i, files[i]) for i in indexes])
        except OSError:  # the worker died: its sentinel says so next
            pass

    def _receive(self, worker: _Worker, answered: dict[int, tuple[str, Any]]) -> bool:
        """Take every message waiting; False when the worker is gone."""
        while True:
            try:
                if not worker.connection.poll():
                    return worker.process.is_alive()
                kind, index, *payload = worker.connection.recv()
            except (EOFError, OSError):
                return False
            if kind == "raised":  # a defect of mtus-checker: raised as in a serial run
                raise payload[0]
            if kind == "started":
                worker.current = index
                continue
            worker.held.remove(index)
            worker.current = payload[1]  # the file it takes up next, if its batch holds one
            answered[index] = payload[0]
            self.deaths_in_a_row = 0

    def _bury(self, worker: _Worker, answered: dict[int, tuple[str, Any]], pending: deque[int], files: list[str]) -> None:
        """A dead worker: the file it was checking is that file's error; the rest of its batch goes
        back first in line. Workers that keep dying without starting a file stop the run."""
        worker.process.join(5)
        worker.connection.close()
        self.workers.remove(worker)
        if worker.current is not None:
            worker.held.remove(worker.current)
            answered[worker.current] = ("error", _died(files[worker.current], worker.process.exitcode))
        self.deaths_in_a_row += 1
        if self.deaths_in_a_row > self.size + 2:
            problem = f"the worker processes keep ending ({_how_it_ended(worker.process.exitcode)})"
            raise InputError("command line", "--jobs", problem, "run with --jobs 1 to see why")
        pending.extendleft(reversed(worker.held))

    def stop(self) -> None:
        for worker in self.workers:
            worker.process.terminate()
        for worker in self.workers:
            worker.process.join(5)
            worker.connection.close()
        self.workers = []


def _shared_batch(batch: int, pending: int, sharers: int) -> int:
    """A worker's next batch when this process checks files too: smaller as the files left run out,
    so that no process is left with a long batch while the others have finished theirs."""
    return max(1, min(batch, pending // (sharers * 2)))


def _died(path: str, exitcode: int | None) -> str:
    fix = "check the file alone with 'mtus check FILE'; if the machine ran out of memory, run with fewer --jobs"
    return InputError(path, "", f"the worker process checking this file {_how_it_ended(exitcode)}", fix).one_line()


def _how_it_ended(exitcode: int | None) -> str:
    import signal

    if exitcode is not None and exitcode < 0:
        return f"was killed by {signal.Signals(-exitcode).name}" + (" (as the out-of-memory killer does)" if -exitcode == signal.SIGKILL else "")
    return f"ended with exit code {exitcode}"


def _flush_standard_streams() -> None:
    import sys

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _worker_main(connection: Any, checker: Any, json_report: bool, divergences: Divergences, siblings: list[Any] = ()) -> None:
    """checker: the parent's Checker (forked) or its state() (spawned)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    for sibling in siblings:  # so a worker's pipe reads end-of-file when the parent alone closes it
        sibling.close()
    if isinstance(checker, bytes):  # spawned: the collector as collector_for_a_run sets it in the parent
        import gc

        from checker.api import Checker

        checker = Checker.from_state(checker)
        gc.freeze()
        _collect_young_less_often()
    while True:
        try:
            batch = connection.recv()
        except (EOFError, OSError):  # the parent is done or gone
            return
        connection.send(("started", batch[0][0]))
        for k, (index, path) in enumerate(batch):
            try:
                outcome = _packed(_with_json(check_file(checker, path, divergences), json_report), json_report)
            except Exception as exc:  # noqa: BLE001 - sent to the parent, which raises it
                connection.send(("raised", index, exc))
                return
            # The answer names the file taken up next, in the same message: no moment when the
            # parent thinks this worker holds no file while it is already on the next.
            following = batch[k + 1][0] if k + 1 < len(batch) else None
            connection.send(("done", index, outcome, following))


@dataclass
class PackedResults:
    """A case file's results as a worker sends them: what Tally.add reads of each result, and the
    (result, JSON text) pairs, or the texts alone, pickled for the spool (pickled_entries). The parent counts and spools without unpickling
    whole results (that was most of its work, and the extra CPU of --jobs 2 over --jobs 1)."""
    summaries: list[dict[str, Any]]
    pickled: bytes


def _packed(outcome: tuple[str, Any], texts_only: bool = False) -> tuple[str, Any]:
    """A file's outcome as a worker sends it: results as PackedResults, pickled for a spool (texts_only:
    for a JSON report's spool, ResultSpool)."""
    kind, payload = outcome
    if kind != "ran":
        return outcome
    pickled = pickled_entries(payload, texts_only) if payload else b""
    return kind, PackedResults([_tally_summary(result) for result, _ in payload], pickled)


def _tally_summary(result: dict[str, Any]) -> dict[str, Any]:
    """The fields of a result that Tally.add reads, and nothing else."""
    divergence = result["known_divergence"]
    return {
        "status": result["status"],
        "expected": {"decision": result["expected"]["decision"]},
        "actual": {"decision": result["actual"]["decision"], "topic": result["actual"]["topic"]},
        "agree": result["agree"],
        "citation_agree": result["citation_agree"],
        "known_divergence": {"about": divergence["about"]} if divergence else None,
    }


def _with_json(outcome: tuple[str, Any], json_report: bool) -> tuple[str, Any]:
    kind, payload = outcome
    if kind != "ran":
        return outcome
    return kind, [(result, result_json(result) if json_report else None) for result in payload]


def _yaml_files_under(folder: Path) -> Iterator[str]:
    """Like rglob, without the set of every Path it keeps while walking (symlinked folders are not entered)."""
    for directory, _, names in os.walk(folder):
        for name in names:
            full = os.path.join(directory, name)
            if name.endswith((".yaml", ".yml")) and os.path.isfile(full):
                yield full


def check_file(checker: Any, path: str | Path, divergences: Divergences | None = None) -> tuple[str, Any]:
    """("error", message) | ("skipped", None) | ("ran", [item results]) for one case file. A case
    the rule engine fails on is an error of that file: the other files still run."""
    try:
        case = checker.load(Path(path))
        if not case.expected:
            return "skipped", None
        remember_items(checker.evaluator)
        decided = checker.decide_case(case, details=False, ordered=False)  # a result lists the citations alone
    except InputError as exc:
        return "error", exc.one_line()
    except (MemoryError, RecursionError):
        return "error", InputError(str(path), "", "the case file is too large or nested too deeply to check", "split it").one_line()
    except EngineError as exc:
        problem = f"the rule engine failed on this case ({exc})"
        return "error", InputError(str(path), "", problem, "run 'mtus check' on it and correct the rule named").one_line()
    listed = tuple(d for (case_id, _), d in (divergences or {}).items() if case_id == case.case_id and d.item in case.expected)
    case.known_divergences = case.known_divergences + listed
    results = []
    for item in decided:
        if item.request.id not in case.expected:
            continue
        cited = actual_citations(checker.ruleset, tuple(item.citations))
        topic = item.deciding_topic
        results.append(_compare(case, item.request.id, item.request.text, item.decision, topic.topic if topic else None, cited))
    return "ran", results


def remember_items(evaluator: Any) -> None:
    """A regression run's durable evaluator remembers the rules each item fired (remember_items of
    checker.evaluate.engine.DurableEvaluator): a corpus repeats items (about half of a synthetic
    corpus's items are asserted with an edition and facts asserted before), and the answer is the one
    the engine gave them. Any other evaluator is left as it is."""
    if getattr(evaluator, "remember_items", True) is False:
        evaluator.remember_items = True


# Citation lists remembered per rule set (actual_citations): a corpus's items cite a few hundred.
MAX_REMEMBERED_CITATIONS = 4096


def actual_citations(ruleset: Any, citations: tuple[Citation, ...]) -> list[dict[str, str]]:
    """plain_actual_citations, remembered per rule set by the citations: a corpus's items cite the
    same few sections again and again (a fresh list of fresh mappings each time: tests/test_speed.py)."""
    memo = remembered(ruleset, "_actual_citations", (ruleset.guidelines,))
    found = memo.get(citations)
    if found is None:
        if len(memo) >= MAX_REMEMBERED_CITATIONS:
            memo.clear()
        found = memo[citations] = tuple(plain_actual_citations(ruleset, citations))
    return [dict(entry) for entry in found]


def plain_actual_citations(ruleset: Any, citations: tuple[Citation, ...]) -> list[dict[str, str]]:
    """The decisive criteria's citations as a result lists them: grouped as a report groups them
    (report.group_citations), one entry per section."""
    from checker.report.report import group_citations

    return [
        {"guideline": g["guideline"], "edition": g["edition"], "section": s["section"], "pages": s["pages"]}
        for g in group_citations(ruleset, list(citations)) for s in g["sections"]
    ]


def _compare(case: Case, item_id: str, request: str, decision: str, topic: str | None, cited: list[dict[str, str]]) -> dict[str, Any]:
    expected = case.expected[item_id]
    decision_agrees = decision == expected.decision
    citation_agrees = citations_agree(expected.citations, cited) if expected.citations else None
    divergence = next((d for d in case.known_divergences if d.item == item_id), None)
    status = _status(decision, decision_agrees, citation_agrees, divergence)
    return {
        "case": case.case_id,
        "file": case.path,
        "item": item_id,
        "request": request,
        "expected": {
            "decision": expected.decision,
            "citations": [c.as_dict(keep_empty=True) for c in expected.citations],
            "non_mtus": expected.non_mtus,
        },
        "actual": {"decision": decision, "citations": cited, "topic": topic},
        "agree": decision_agrees,
        "citation_agree": citation_agrees,
        "known_divergence": {"about": divergence.about, "reason": divergence.reason} if divergence else None,
        "status": status,
    }


def _status(actual: str, decision_agrees: bool, citation_agrees: bool | None, divergence: Any) -> str:
    if actual == NO_APPLICABLE_RULE:
        return "no_rule"
    diverges_on = "decision" if not decision_agrees else ("citation" if citation_agrees is False else None)
    if diverges_on is None:
        return "stale_divergence" if divergence else "agree"
    if divergence and divergence.about == diverges_on:
        return "known_divergence"
    return "disagree"


def citations_agree(expected: tuple[Citation, ...], actual: list[dict[str, str]]) -> bool:
    """Same guideline (and edition when given), and overlapping pages; sections when no page is
    cited; a letter naming only the guideline agrees with any citation of it."""
    for e in expected:
        for a in actual:
            if e.guideline != a["guideline"] or (e.edition and e.edition != a["edition"]):
                continue
            if e.pages:
                if parse_pages(e.pages) & parse_pages(a["pages"]):
                    return True
            elif not e.section or _same_section(e.section, a["section"]):
                return True
    return False


def _same_section(left: str, right: str) -> bool:
    a, b = _words(left), _words(right)
    return bool(a) and bool(b) and (a <= b or b <= a)


def _words(text: str) -> frozenset[str]:
    """The words of a section title, singular ("Gym memberships" and "Gym Membership" are one topic)."""
    return frozenset(_singular(w) for w in re.findall(r"[a-z0-9]+", text.lower()))


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def write_report(run: Regression, fmt: str, write: Callable[[str], Any], templates_dir: Path | None = None) -> None:
    """Write the report in `fmt` (text, json or junit) piece by piece, never holding every result."""
    summary = run.summary(with_results=False)
    if fmt == "json":
        _write_json(summary, run.results, write)
        return
    from checker.render.render import render_stream

    for chunk in render_stream("regress", fmt, {"summary": summary}, templates_dir):
        write(chunk)


def write_report_file(run: Regression, fmt: str, path: Path, templates_dir: Path | None = None) -> None:
    """The report written whole or not at all: to a temporary file beside `path`, renamed into place
    when complete. A full disk or an interrupt leaves no truncated report (and an earlier report at
    `path` untouched)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(str(path), "--out", "is a folder", "name the report file to write")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(str(path), "--out", f"cannot write the report there ({exc.strerror})", "name a file in a folder that exists and is writable") from None
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(handle, 0o666 & ~mask)  # as a report written to this path directly would be
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            write_report(run, fmt, out.write, templates_dir)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _write_json(summary: dict[str, Any], results: ResultSpool, write: Callable[[str], Any]) -> None:
    """The same bytes as render.to_json(summary with its results listed), written one result at a time."""
    from checker.render.render import to_json

    head, tail = to_json({**summary, "results": _RESULTS_PLACEHOLDER}).split(json.dumps(_RESULTS_PLACEHOLDER))
    write(head)
    empty = True
    for text in results.json_texts():
        write(("[\n    " if empty else ",\n    ") + text)
        empty = False
    write("[]" if empty else "\n  ]")
    write(tail)


Divergences = dict[tuple[str, str], KnownDivergence]


def load_divergences(paths: list[Path]) -> Divergences:
    """Known divergences kept apart from the case files (imported cases are rewritten on every
    import): YAML files, or folders of them, listing case, item, about and reason."""
    from checker.base.yamlio import load_yaml

    found: Divergences = {}
    for name in collect_case_files(paths):
        data = require_mapping(load_yaml(Path(name), "divergence list"), name, "")
        check_keys(data, ("schema", "divergences"), name, "", required=("schema", "divergences"))
        if data["schema"] != DIVERGENCES_SCHEMA:
            raise InputError(name, "schema", f"unknown schema {data['schema']!r}", f"write schema: {DIVERGENCES_SCHEMA}")
        for i, entry in enumerate(require_list(data["divergences"], name, "divergences")):
            key, divergence = _divergence(entry, name, f"divergences[{i}]")
            if key in found:
                raise InputError(name, f"divergences[{i}]", f"{key[0]} / {key[1]} is listed twice", "keep one entry per item")
            found[key] = divergence
    return found


def _divergence(entry: Any, path: str, where: str) -> tuple[tuple[str, str], KnownDivergence]:
    entry = require_mapping(entry, path, where)
    check_keys(entry, ("case", "item", "about", "reason"), path, where, required=("case", "item", "about", "reason"))
    if entry["about"] not in ("decision", "citation"):
        raise InputError(path, f"{where}.about", f"unknown value {entry['about']!r}", "use decision or citation")
    case_id, item = require_text(str(entry["case"]), path, f"{where}.case"), require_text(str(entry["item"]), path, f"{where}.item")
    return (case_id, item), KnownDivergence(item, entry["about"], require_text(entry["reason"], path, f"{where}.reason"))
