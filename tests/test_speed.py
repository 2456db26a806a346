"""Speed work must not change a byte: parallel regress, streamed reports, the rules and template
caches, on-demand engine registration and the fuzzy-name prefilter all give what the plain path gives.
Also the regress summary's IMR figures and the progress line."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import random
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchmarks.corpus import write_corpus
from checker.api import Checker
from checker.load import cache, lexicon
from checker.measure import regress
from checker.measure.progress import SHOW_AFTER_SECONDS, ProgressLine
from checker.render.render import to_json
from tests.cli_runner import run

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"



@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Enough case files for two workers, plus one unreadable file and one case without expected:."""
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(Checker(engine="reference").ruleset, folder, 300, seed=11)
    (folder / "broken.yaml").write_text("case: [unclosed\n", encoding="utf-8")
    shutil.copy(EXAMPLES / "seed-000.yaml", folder / "zz-no-expected.yaml")
    text = (folder / "zz-no-expected.yaml").read_text(encoding="utf-8")
    (folder / "zz-no-expected.yaml").write_text(text[: text.index("expected:")], encoding="utf-8")
    return folder


def _reports(run_: regress.Regression, formats: tuple[str, ...] = ("text", "json", "junit")) -> dict[str, str]:
    found = {}
    for fmt in formats:
        pieces: list[str] = []
        regress.write_report(run_, fmt, pieces.append)
        found[fmt] = "".join(pieces)
    return found


@pytest.fixture
def small_batches(monkeypatch):
    """Workers start for a few dozen files, so the tests stay quick."""
    monkeypatch.setattr(regress, "MIN_FILES_PER_WORKER", 16)
    monkeypatch.setattr(regress, "MIN_FILES_PER_FORKED_WORKER", 16)


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_regress_reports_are_byte_identical_whatever_the_job_count(corpus, monkeypatch, small_batches, start_method):
    files = regress.collect_case_files([corpus])
    assert len(files) // regress.MIN_FILES_PER_WORKER >= 2, "the corpus is too small to start two workers"
    monkeypatch.setattr(regress, "worker_start_method", lambda: start_method)
    started = []
    parallel = regress._parallel_outcomes
    monkeypatch.setattr(regress, "_parallel_outcomes", lambda *a: started.append(a[2:]) or parallel(*a))
    checker = Checker()
    serial = regress.regress(checker, [corpus], jobs=1)
    two = regress.regress(checker, [corpus], jobs=2)
    two_json = regress.regress(checker, [corpus], jobs=2, json_report=True)  # workers write the JSON text too
    try:
        assert [(workers, method) for workers, *_, method in started] == [(2, start_method)] * 2
        assert serial.tally.items == two.tally.items == two_json.tally.items > 0
        assert serial.tally.errors and serial.tally.skipped == 1  # the broken file and the case without expected:
        assert _reports(serial) == _reports(two)
        assert _reports(serial)["json"] == _reports(two_json, ("json",))["json"]
    finally:
        serial.close()
        two.close()
        two_json.close()


@pytest.mark.parametrize("jobs", [2, 3])
def test_forked_runs_check_files_in_the_parent_too_with_the_same_reports(corpus, monkeypatch, small_batches, jobs):
    """When forking, the parent is one of the `jobs` workers: it checks files itself between reading
    the others' answers, and starts jobs - 1 processes. The reports are the serial run's, byte for byte."""
    monkeypatch.setattr(regress, "worker_start_method", lambda: "fork")
    here, started = [], []
    checked_here = regress._checked_here
    monkeypatch.setattr(regress, "_checked_here", lambda *a: here.append(a[-1]) or checked_here(*a))
    start = regress.WorkerPool._start
    monkeypatch.setattr(regress.WorkerPool, "_start", lambda self: started.append(1) or start(self))
    checker = Checker()
    serial = regress.regress(checker, [corpus], jobs=1)
    parallel = regress.regress(checker, [corpus], jobs=jobs)
    parallel_json = regress.regress(checker, [corpus], jobs=jobs, json_report=True)
    try:
        assert len(started) == 2 * (jobs - 1)
        assert 0 < len(here) < 2 * (len(regress.collect_case_files([corpus])) - regress.MIN_FILES_PER_FORKED_WORKER)
        assert _reports(serial) == _reports(parallel)
        assert _reports(serial)["json"] == _reports(parallel_json, ("json",))["json"]
    finally:
        serial.close()
        parallel.close()
        parallel_json.close()


def test_a_run_for_a_json_report_keeps_each_result_as_its_json_text_alone(corpus):
    """json_report: the spool keeps the JSON texts, not the results (ResultSpool's texts_only); the
    report is the plain run's, byte for byte, and the results cannot be read back."""
    checker = Checker()
    plain = regress.regress(checker, [corpus], jobs=1)
    texts = regress.regress(checker, [corpus], jobs=1, json_report=True)
    try:
        assert texts.results.texts_only and not plain.results.texts_only
        assert _reports(texts, ("json",)) == _reports(plain, ("json",))
        assert list(texts.results.json_texts()) == [regress.plain_result_json(r) for r in plain.results]
        with pytest.raises(TypeError):
            list(texts.results)
    finally:
        plain.close()
        texts.close()


def test_a_shared_batch_shrinks_as_the_files_run_out():
    assert [regress._shared_batch(16, pending, 2) for pending in (400, 64, 40, 12, 3, 1)] == [16, 16, 10, 3, 1, 1]


def test_regress_cli_jobs_option_and_exit_codes(corpus, small_batches):
    one = run("regress", corpus, "--format", "json", "--jobs", "1")
    many = run("regress", corpus, "--format", "json", "--jobs", "3")
    assert one.exit_code == many.exit_code == 2  # an unreadable file; the others still ran
    assert one.stdout == many.stdout
    assert one.stderr == ""  # not a terminal: no progress line
    assert run("regress", EXAMPLES, "--jobs", "0").exit_code == 2


def test_streamed_json_is_exactly_the_whole_summary_dumped(corpus, tmp_path):
    for paths in ([EXAMPLES], [corpus], [tmp_path]):
        result = regress.regress(Checker(), paths)
        try:
            pieces: list[str] = []
            regress.write_report(result, "json", pieces.append)
            assert "".join(pieces) == to_json(result.summary())
        finally:
            result.close()


def test_summary_counts_overturns_and_the_always_uphold_baseline(corpus):
    summary = json.loads(run("regress", corpus, EXAMPLES, "--format", "json", "--jobs", "1").stdout)
    results = summary["results"]
    overturned = [r for r in results if r["expected"]["decision"] == "medically_necessary"]
    decided = [r for r in results if r["status"] != "no_rule"]
    assert summary["overturned"] == len(overturned) > 0
    assert summary["overturns_caught"] == sum(r["actual"]["decision"] == "medically_necessary" for r in overturned)
    assert 0 < summary["overturns_caught"] < summary["overturned"]
    assert summary["uphold_baseline_agree"] == sum(r["expected"]["decision"] == "not_medically_necessary" for r in decided)
    assert summary["agree"] + summary["disagree"] == len(decided)
    assert summary["no_rule"] == sum(r["status"] == "no_rule" for r in results) > 0

    text = run("regress", corpus, EXAMPLES, "--jobs", "1").stdout
    overturns = next(ln for ln in text.splitlines() if ln.startswith("overturns caught"))
    assert overturns.split()[4] == f"{summary['overturns_caught']}/{summary['overturned']}"
    agreement = next(ln for ln in text.splitlines() if ln.startswith("decision agreement"))
    assert agreement.split()[-2] == f"{summary['uphold_baseline_agree']}/{len(decided)}"
    junit = ET.fromstring(run("regress", corpus, EXAMPLES, "--format", "junit", "--jobs", "1").stdout)
    properties = {p.get("name"): p.get("value") for p in junit.iter("property")}
    for key in ("overturned", "overturns_caught", "uphold_baseline_agree", "no_rule", "items"):
        assert properties[key] == str(summary[key])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_only_for_long_runs():
    now = [0.0]
    stream = _Terminal()
    progress = ProgressLine(stream, lambda v: f"{v['done']}/{v['total']} {v['items']}\n", clock=lambda: now[0])
    progress(1, 100, 3)
    assert stream.getvalue() == ""  # a short run shows nothing
    now[0] = SHOW_AFTER_SECONDS + 0.5
    progress(2, 100, 7)
    assert stream.getvalue() == "\r2/100 7"
    progress(3, 100, 9)  # too soon to redraw
    assert stream.getvalue() == "\r2/100 7"
    now[0] += 1
    progress(100, 100, 300)
    assert stream.getvalue().endswith("\r100/100 300")
    progress.finish()
    assert stream.getvalue().endswith("\r" + " " * len("100/100 300") + "\r")

    quiet = io.StringIO()
    silent = ProgressLine(quiet, lambda v: "x", clock=lambda: now[0] + 100)
    silent(1, 2, 3)
    silent.finish()
    assert quiet.getvalue() == ""


def test_progress_template_renders_the_line():
    from checker.render.render import render

    line = render("regress-progress", "text", {"done": 5, "total": 10, "items": 17, "rate": 1234.4})
    assert "5/10" in line and "17" in line and "1234" in line and line.count("\n") <= 1


def _outputs(paths: list[Path], *extra: object) -> list[str]:
    found = []
    for path in paths:
        for args in (("check", path, "--format", "json"), ("check", path), ("draft", path, "--format", "html")):
            result = run(*args, *extra)
            assert result.exit_code == 0, result.output
            found.append(result.stdout)
    return found


def test_cached_rules_and_templates_give_the_same_bytes(tmp_path, monkeypatch, templates_from_source):
    examples = sorted(EXAMPLES.glob("*.yaml"))
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    plain = _outputs(examples)
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    assert _outputs(examples) == plain  # cold: builds and stores
    entries = list((tmp_path / "cache").glob("rules-*"))
    assert len(entries) == 1 and list((tmp_path / "cache").glob("template-*"))
    assert _outputs(examples) == plain  # warm: read back
    entries[0].write_bytes(b"not a pickle")
    assert _outputs(examples[:1]) == plain[:3]  # a damaged entry is rebuilt, never trusted


def test_a_changed_rule_file_is_a_new_cache_entry(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    before = json.loads(run("check", EXAMPLES / "seed-000.yaml", "--format", "json", "--rules", rules).stdout)
    topic = rules / "topics" / "carisoprodol.yaml"
    topic.write_text(topic.read_text(encoding="utf-8").replace("title: Carisoprodol (Soma)", "title: Carisoprodol (Soma), renamed"), encoding="utf-8")
    after = json.loads(run("check", EXAMPLES / "seed-000.yaml", "--format", "json", "--rules", rules).stdout)
    assert before["ruleset"]["digest"] != after["ruleset"]["digest"]
    assert [i["topic"]["title"] for i in after["items"] if i["topic"] and i["topic"]["id"] == "carisoprodol"] == ["Carisoprodol (Soma), renamed"]
    assert len(list((tmp_path / "cache").glob("rules-*"))) == 2


def test_a_rule_set_with_defects_is_refused_from_cache_or_not(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    topic = rules / "topics" / "carisoprodol.yaml"
    topic.write_text(topic.read_text(encoding="utf-8").replace("fact: acute_muscle_spasm,", "fact: acute_muscle_spasms,", 1), encoding="utf-8")
    for _ in range(2):
        result = run("check", EXAMPLES / "seed-000.yaml", "--rules", rules)
        assert result.exit_code == 2 and "acute_muscle_spasms" in result.stderr
    assert not list((tmp_path / "cache").glob("rules-*"))


def test_fuzzy_drug_names_match_as_without_the_prefilter(repo_ruleset):
    lex = repo_ruleset.lexicon

    def full_scan(name: str) -> str | None:
        best = lex._closest_unambiguous(lexicon._key(name), prefilter=False)  # the key resolve() scores ("sr" read as "er")
        return lex._index[best] if best else None

    rng = random.Random(5)
    names = sorted(lex._index)
    matched = 0
    for _ in range(400):
        letters = list(rng.choice(names))
        for _ in range(rng.randint(1, 3)):
            letters[rng.randrange(len(letters))] = rng.choice("abcdefghijklmnopqrstuvwxyz")
        name = "".join(letters)
        if name in lex._index:
            continue
        found = lex.resolve(name)
        assert (found.drug.generic if found else None) == full_scan(name), name
        matched += found is not None
    assert matched > 50


def test_a_process_with_threads_spawns_its_workers():
    import threading

    assert regress.worker_start_method() == "fork"  # pytest runs no thread of its own here
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert regress.worker_start_method() == "spawn"
    finally:
        stop.set()
        thread.join()


def _engine_batches(checker: Checker, corpus: Path, limit: int) -> list[list[tuple[str, dict]]]:
    """The engine's input for each of the first `limit` case files of a corpus: per unit with an
    edition, its edition key and fact values (a broken file of the corpus is skipped)."""
    from checker.evaluate.evaluate import plan_case

    batches = []
    for path in regress.collect_case_files([corpus])[:limit]:
        try:
            case = checker.load(Path(path))
        except Exception:  # noqa: BLE001, S112 - the corpus's broken file
            continue
        units = [u for item in plan_case(checker.ruleset, case) for u in item.units if u.edition]
        batches.append([(u.edition.key, {k: v.value for k, v in u.facts.items()}) for u in units])
    return batches


def test_cases_sharing_an_engine_session_fire_as_a_session_per_case(corpus, monkeypatch):
    """The durable evaluator keeps one session for many cases (engine.CASES_PER_SESSION): each case's
    rules fire exactly as they do in a session of its own."""
    from checker.evaluate import engine

    checker = Checker(engine="reference")
    batches = _engine_batches(checker, corpus, 120)
    shared = engine.DurableEvaluator(checker.program)
    together = [shared.evaluate(batch) for batch in batches]
    monkeypatch.setattr(engine, "CASES_PER_SESSION", 1)
    alone = engine.DurableEvaluator(checker.program)
    assert together == [alone.evaluate(batch) for batch in batches]
    assert sum(map(len, together)) > 100 and len(batches) > engine.CASES_PER_SESSION


def test_rule_sets_by_edition_fire_as_the_whole_program(corpus):
    """registration "by_edition" (a regression run) asserts each edition's items into a rule set of that
    edition alone, a session for each case: the same rules fire, batch by batch, as in the rule set of
    every edition, items remembered or not; the rule sets are registered as their editions come, and freed."""
    from checker.evaluate import engine

    checker = Checker(engine="reference")
    batches = _engine_batches(checker, corpus, 120)
    whole = engine.DurableEvaluator(checker.program)
    by_edition = engine.DurableEvaluator(checker.program, registration="by_edition")
    assert by_edition.registered_editions == frozenset()
    assert [by_edition.evaluate(batch) for batch in batches] == [whole.evaluate(batch) for batch in batches]
    assert by_edition.registered_editions == {key for batch in batches for key, _ in batch}
    assert any(len({key for key, _ in batch}) > 1 for batch in batches)  # a case of several editions
    remembering = engine.DurableEvaluator(checker.program, registration="by_edition", remember_items=True)
    assert [remembering.evaluate(batch) for batch in batches + batches] == [whole.evaluate(batch) for batch in batches + batches]
    by_edition.close()
    assert by_edition.registered_editions == frozenset() and by_edition._handle is None


def test_regress_registers_rule_sets_by_edition_with_the_same_report(corpus):
    """`mtus regress` checks with registration "by_edition": its report is the one a checker with every
    rule registered at once gives (the spawned workers' checkers keep the registration)."""
    from checker.evaluate import engine

    files = [Path(p) for p in regress.collect_case_files([corpus])[:60]]
    by_edition = Checker(registration="by_edition")
    assert isinstance(by_edition.evaluator, engine.DurableEvaluator)
    assert Checker.from_state(by_edition.state()).registration == "by_edition"
    assert regress.run_regression(by_edition, files) == regress.run_regression(Checker(), files)


def test_remembered_topic_ranking_is_the_plain_ranking(corpus):
    from checker.evaluate.evaluate import rank_topics, ranked_topics, request_attributes, select_topic

    checker = Checker(engine="reference")
    ruleset = checker.ruleset
    seen = 0
    for case, request in _corpus_requests(checker, corpus):
        attributes = request_attributes(ruleset, request)
        assert ranked_topics(ruleset, attributes) == rank_topics(ruleset.topics, attributes)
        assert ranked_topics(ruleset, attributes) == ranked_topics(ruleset, attributes)  # and from memory
        select_topic(ruleset, request, day=case.request_date)
        seen += 1
    assert seen > 200
    import pickle

    assert "_ranked_topics" in ruleset.__dict__ and "_ranked_topics" not in pickle.loads(pickle.dumps(ruleset)).__dict__


def test_service_and_body_part_names_are_found_as_the_regex_finds_them(corpus):
    """services.NameFinder against the regex of every name it stands for: request lines of the corpus
    and the examples, and random runs of names, cut, in capitals, spread over lines or glued by
    punctuation; non-ASCII text goes to the regex itself."""
    import re

    services = Checker(engine="reference").ruleset.services
    texts = []
    for path in regress.collect_case_files([corpus, EXAMPLES]):
        texts += re.findall(r'"text": (".*")', Path(path).read_text(encoding="utf-8")) + re.findall(r"text: (.*)", Path(path).read_text(encoding="utf-8"))
    names = [*services._service_by_name, *services._body_by_name]
    rng = random.Random(21)
    glue = [" ", "  ", "\t", "\n", "/", "-", ",", ". ", "(", ")", "x", "2", "", "é "]
    for _ in range(3000):
        pieces = []
        for _ in range(rng.randint(1, 5)):
            name = rng.choice(names)
            name = name.upper() if rng.random() < 0.3 else name
            name = name.replace(" ", rng.choice(["  ", "\n", " - "])) if rng.random() < 0.2 else name
            pieces += [name[: rng.randint(0, len(name))] if rng.random() < 0.2 else name, rng.choice(glue)]
        texts.append("".join(pieces))
    assert len(texts) > 3300
    for finder in (services._service_names, services._body_names):
        for text in texts:
            plain = [(finder.by_name[re.sub(r"\s+", " ", m.group(0).lower())], m.start(), m.end()) for m in finder.regex.finditer(text)]
            assert [(m.key, m.start, m.end) for m in finder.mentions(text)] == plain, text


def test_lazily_compiled_patterns_match_as_compiled_ones():
    import pickle
    import re

    from checker.base.patterns import LazyPattern
    from checker.derive import derive
    from checker.load import prescription

    lazy = [v for module in (derive, prescription) for v in vars(module).values() if isinstance(v, LazyPattern)]
    lazy += [p for module in (prescription,) for v in vars(module).values() if isinstance(v, list) for p in v if isinstance(p, LazyPattern)]
    lazy += [p for v in vars(prescription).values() if isinstance(v, list) for item in v if isinstance(item, tuple) for p in item if isinstance(p, LazyPattern)]
    assert len(lazy) > 50
    texts = [
        "Norco 10/325 mg 1 tab PO q4-6h PRN pain #90 with 2 refills", "Physical therapy 2x/week x 6 weeks lumbar",
        "Lidoderm 5% patch 12 hours on 12 hours off, thirty (30) day supply", "",
    ]
    for pattern in lazy:
        plain = re.compile(pattern.pattern, pattern.flags)
        for text in texts:
            assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in plain.finditer(text)]
            assert pattern.sub("_", text) == plain.sub("_", text) and pattern.split(text) == plain.split(text)
        copy = pickle.loads(pickle.dumps(pattern))
        assert (copy.pattern, copy.flags) == (pattern.pattern, pattern.flags)


def test_drug_names_in_a_text_are_found_as_keying_every_phrase_finds_them(corpus, repo_ruleset):
    """find_all_in_text skips the phrases whose first word starts no name; it finds what keying every
    phrase of one to four words finds, on the corpus's and the examples' request lines and on random
    texts of names, release words, strengths and slashes."""
    from checker.base.yamlio import load_yaml

    lexicon = repo_ruleset.lexicon
    lines = [str(r.get("text", "")) for path in regress.collect_case_files([corpus, EXAMPLES]) if "[unclosed" not in Path(path).read_text(encoding="utf-8")
             for r in (load_yaml(Path(path), "case") or {}).get("requests", []) if isinstance(r, dict)]
    names = sorted(lexicon._spelled.values())
    rng = random.Random(9)
    pieces = names[::7] + ["ER", "extended release", "extended-release", "long-acting", "XR", "CR", "10 mg", "5%", "/", "#90", "and", "cream", "Tylenol #3"]
    lines += [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 7))) for _ in range(3000)]
    lines += ["/".join(rng.sample(names, 3)) + " cream" for _ in range(200)]
    assert len(lines) > 3200
    found = [lexicon.find_all_in_text(line) for line in lines]
    assert found == [lexicon.plain_find_all_in_text(line) for line in lines]
    assert sum(map(len, found)) > 3000


def test_a_guarded_pattern_used_again_and_again_answers_as_the_plain_pattern():
    """A pattern that names the words it needs keeps its guarded methods as attributes until a text
    holding one of them compiles it, and after that compile its guard stays in front of the compiled pattern's
    methods; used again and again (as the request-line reader uses it), before and after that compile, it
    answers as the plain pattern does."""
    import re

    from checker.base.patterns import LazyPattern

    texts = ["Norco 10/325 mg #90", "Lidoderm 5% PATCH 12 hours on", "", "gel", "Voltaren gel 1% 100 g", "é patch", "no words here"] * 3
    for words, pattern in ((("patch", "gel"), r"\b(?:patch|gel)\b"), (("refill",), r"\brefills?\b")):
        lazy, plain = LazyPattern(pattern, re.I, needs=words), re.compile(pattern, re.I)
        for text in texts if "patch" in words else [t for t in texts if t.isascii()]:  # a text not ASCII compiles it
            assert (lazy.search(text) and lazy.search(text).span()) == (plain.search(text) and plain.search(text).span()), text
            assert lazy.findall(text) == plain.findall(text) and (lazy.match(text) is None) == (plain.match(text) is None)
            assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in plain.finditer(text)]
        assert "search" in vars(lazy) and vars(lazy)["search"] != plain.search and ("sub" in vars(lazy)) == ("patch" in words)  # guarded, compiled or not


def test_number_words_become_digits_as_one_substitution_per_word_did():
    import re

    from checker.load.prescription import NUMBER_WORDS
    from checker.load.request_line import _number_words_to_digits

    def one_by_one(text: str) -> str:
        for word, number in sorted(NUMBER_WORDS.items(), key=lambda kv: -len(kv[0])):
            text = re.sub(rf"\b{word}\b", str(number), text)
        return text

    rng = random.Random(7)
    pieces = [*NUMBER_WORDS, *(w.split("-")[0] for w in NUMBER_WORDS), "hundred", "times a week", "x", "weeks", "2"]
    texts = ["".join(rng.choice(pieces) + rng.choice([" ", "-", "/", "", ", "]) for _ in range(rng.randint(1, 8))) for _ in range(5000)]
    for text in texts:
        assert _number_words_to_digits(text) == one_by_one(text), text


def test_a_tally_of_the_summaries_workers_send_is_the_tally_of_the_results(corpus):
    run_ = regress.regress(Checker(), [corpus, EXAMPLES], jobs=1)
    try:
        whole, summed = regress.Tally(), regress.Tally()
        for result in run_.results:
            whole.add(result)
            summed.add(regress._tally_summary(result))
        assert whole == summed and whole.items > 300 and whole.count("known_divergence") + whole.count("no_rule") > 0
    finally:
        run_.close()


def test_topics_read_from_a_pickle_part_by_part_are_the_loaded_topics(repo_ruleset, monkeypatch):
    """The rules cache unpickles a topic's editions and criteria only when first read (what selecting
    a topic reads comes first): the same topics, the same decisions, and a change made in place to a
    topic already read is pickled, never the bytes it was read from."""
    import dataclasses
    import pickle

    from checker.load.ruleset import TOPIC_DEFERRED

    restored = pickle.loads(pickle.dumps(repo_ruleset, protocol=pickle.HIGHEST_PROTOCOL))
    assert not any(name in topic.__dict__ for topic in restored.topics for name in TOPIC_DEFERRED)
    assert restored.topics == repo_ruleset.topics
    assert [repr(t) for t in restored.topics] == [repr(t) for t in repo_ruleset.topics]
    assert [dataclasses.asdict(t) for t in restored.topics] == [dataclasses.asdict(t) for t in repo_ruleset.topics]
    unread = pickle.loads(pickle.dumps(repo_ruleset, protocol=pickle.HIGHEST_PROTOCOL))
    assert pickle.loads(pickle.dumps(unread, protocol=pickle.HIGHEST_PROTOCOL)).topics == repo_ruleset.topics  # passed on unread (to workers)

    monkeypatch.setenv(cache.CACHE_ENV, "off")
    plain = Checker(engine="reference", registration="on_demand")  # loaded from the rule files, never pickled
    lazy = Checker.from_state(plain.state())
    assert not any(name in topic.__dict__ for topic in lazy.ruleset.topics for name in TOPIC_DEFERRED)
    for example in sorted(EXAMPLES.glob("*.yaml")):
        assert to_json(lazy.check(example).report) == to_json(plain.check(example).report)

    topic = restored.topics[0]
    object.__setattr__(topic.editions[0], "on_denial", "changed in place")
    again = pickle.loads(pickle.dumps(topic, protocol=pickle.HIGHEST_PROTOCOL))
    assert again.editions[0].on_denial == "changed in place"


def test_remembered_request_lines_are_the_plain_parse(corpus, monkeypatch):
    """parsed_request_line against parse_request afresh, for every request line of the corpus and the
    examples, first read and remembered; a small bound empties the memory and changes no answer."""
    import pickle
    import re

    from checker.load import case as case_module
    from checker.load.request_line import parse_request

    ruleset = Checker(engine="reference").ruleset
    texts = []
    for path in regress.collect_case_files([corpus, EXAMPLES]):
        texts += [t.strip().strip('"') for t in re.findall(r"^\s*-?\s*text: (.*)$", Path(path).read_text(encoding="utf-8"), re.M)]
    assert len(set(texts)) > 150 and len(texts) > len(set(texts))  # lines recur, as in any corpus
    monkeypatch.setattr(case_module, "MAX_REMEMBERED_LINES", 50)
    for text in texts + texts:
        assert case_module.parsed_request_line(text, ruleset) == parse_request(text, ruleset.lexicon, ruleset.services), text
        assert len(ruleset.__dict__["_parsed_lines"][1]) <= 50
    assert "_parsed_lines" not in pickle.loads(pickle.dumps(ruleset)).__dict__


def test_fuzzy_prefilter_bounds_are_difflibs(repo_ruleset):
    """The letter-count bounds of lexicon._close_candidates are difflib's quick_ratio and real_quick_ratio."""
    import difflib

    names = sorted(repo_ruleset.lexicon._index)
    rng = random.Random(3)
    for _ in range(3000):
        key, known = rng.choice(names), rng.choice(names)
        key = "".join(c for c in key if rng.random() > 0.2) or key
        matcher = difflib.SequenceMatcher(None, known, key)
        length = len(key) + len(known)
        assert 2.0 * lexicon._shared_letters(lexicon._letter_counts(key), known) / length == matcher.quick_ratio()
        assert 2.0 * min(len(key), len(known)) / length == matcher.real_quick_ratio()
        assert lexicon._released(known) == bool(lexicon._RELEASE_WORDS.search(known))


def test_facts_documented_by_equivalents_are_the_vocabularys(repo_ruleset):
    import dataclasses

    from checker.derive.derive import documented_by

    vocabulary = repo_ruleset.vocabulary
    plain = tuple((name, fact.documented_by) for name, fact in vocabulary.facts.items() if fact.documented_by is not None)
    assert documented_by(vocabulary) == plain and len(plain) >= 5
    assert documented_by(vocabulary) is documented_by(vocabulary)  # remembered
    fewer = dataclasses.replace(vocabulary, facts={k: v for k, v in vocabulary.facts.items() if k != plain[0][0]})
    assert documented_by(fewer) == plain[1:]


def test_text_keys_are_checked_for_duplicates_as_constructed_keys_were(corpus):
    """yamlio reads a text key from its node instead of constructing it: the same mappings, the same
    duplicates refused, and keys of other kinds (numbers, dates, quoted numbers) as before."""
    import yaml

    from checker.base.errors import InputError
    from checker.base.yamlio import parse_yaml

    for path in regress.collect_case_files([corpus, EXAMPLES])[:200]:
        text = Path(path).read_text(encoding="utf-8")
        if "[unclosed" not in text:
            assert parse_yaml(text, path, "case file") == yaml.load(text, Loader=yaml.CSafeLoader)
    assert parse_yaml('1: a\n"1": b\n2013-01-01: c\n"2013-01-01": d\n', "t", "file") == {1: "a", "1": "b", dt.date(2013, 1, 1): "c", "2013-01-01": "d"}
    for duplicated, key, line in (
        ('a: 1\n"a": 2\n', "a", 2), ("x:\n  'b': 1\n  b: 2\n", "b", 3), ("1: a\n01: b\n", "1", 2), ("2013-01-01: a\n2013-01-01: b\n", "2013-01-01", 2),
    ):
        with pytest.raises(InputError) as raised:
            parse_yaml(duplicated, "t", "file")
        assert (raised.value.field, raised.value.problem) == (key, f"key given twice (line {line})")


def test_indented_json_is_json_dumps(corpus):
    """regress.result_json (indented_json) against json.dumps with the report's settings: every result
    of the corpus, and odd values (floats, non-ASCII and escaped text, dates, tuples, empty and nested
    containers; keys that are not text go to json.dumps)."""
    run_ = regress.regress(Checker(), [corpus, EXAMPLES], jobs=1)
    try:
        results = list(run_.results)
    finally:
        run_.close()
    assert len(results) > 300
    for result in results:
        assert regress.result_json(result) == regress.plain_result_json(result)
    odd = {
        "float": [0.1, 1e300, -0.0, 2.5e-8, float("nan"), float("inf"), -float("inf"), 3.0], "text": 'é "quoted" \\ \n\t\x01 \u2028 😀',
        "date": dt.date(2013, 2, 3), "tuple": (1, (2, []), {}), "nested": {"b": {"z": None, "a": [True, False]}, "a": []}, "big": 10**30,
        "path": Path("a/b"),
    }
    for value in (odd, [odd, odd], {}, [], "x", 1, None):
        assert regress.indented_json(value) == json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
        assert regress.indented_json(value, "\n    ") == json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str).replace("\n", "\n    ")
    numbered = {"case": "c", "by_number": {2: "b", 1: "a"}}
    assert regress.result_json(numbered) == regress.plain_result_json(numbered)


def test_results_of_the_usual_shape_are_written_as_json_dumps_writes_them(corpus):
    """result_json writes a result of _compare's shape with its keys in order (no sorting): the text
    json.dumps gives, for every result of the corpus and the examples, and for results changed in every
    part (a known divergence, no topic, odd values, a key more or less, a citation of other fields, a
    mapping keyed by numbers), which go to the general writer or json.dumps."""
    import copy

    run_ = regress.regress(Checker(), [corpus, EXAMPLES], jobs=1)
    try:
        results = list(run_.results)
    finally:
        run_.close()
    assert sum(regress._shaped_result_json(r) is not None for r in results) == len(results) > 300
    sample = next(r for r in results if r["actual"]["citations"] and r["expected"]["citations"])
    changes = [
        lambda r: r.update(known_divergence={"about": "decision", "reason": 'é "x" \n'}), lambda r: r["actual"].update(topic=None),
        lambda r: r.update(agree=1, citation_agree=None), lambda r: r["expected"].update(non_mtus=["a", 2.5]),
        lambda r: r.update(extra=True), lambda r: r.pop("status"), lambda r: r["actual"]["citations"][0].update(pages=12),
        lambda r: r["expected"]["citations"][0].pop("edition"), lambda r: r["actual"].update(citations=()),
        lambda r: r.update(known_divergence={"about": "citation"}), lambda r: r["expected"].update(non_mtus={2: "b", 1: "a"}),
        lambda r: r.update(request=dt.date(2016, 1, 2)), lambda r: r["actual"].update(citations=[]),
    ]
    for change in changes:
        changed = copy.deepcopy(sample)
        change(changed)
        assert regress.result_json(changed) == regress.plain_result_json(changed)
    for result in results:
        assert regress.result_json(result) == regress.plain_result_json(result)


def test_result_texts_written_in_place_and_citation_lists_remembered_are_the_general_writers(corpus, monkeypatch):
    """_shaped_result_json writes a text, a truth value or null in place (_scalar_json) and a list of
    citations from memory by its fields (_citations_json): the text indented_json writes, for every
    result of the corpus and the examples, with the memory emptied as it fills and with it off."""
    run_ = regress.regress(Checker(), [corpus, EXAMPLES], jobs=1)
    try:
        results = list(run_.results)
    finally:
        run_.close()
    values = ["", "é \"x\" \n\u2028", True, False, None, 0, 2.5, float("nan"), [], ["a", 1], {"b": 1}, dt.date(2016, 1, 2), Path("a")]
    for value in values:
        for newline in ("\n      ", "\n        "):
            assert regress._scalar_json(value, newline) == regress.indented_json(value, newline)
    monkeypatch.setattr(regress, "MAX_REMEMBERED_CITATION_TEXTS", 3)
    monkeypatch.setattr(regress, "_CITATION_TEXTS", {})
    for _ in range(2):
        for result in results:
            assert regress.result_json(result) == regress.indented_json(result, regress._RESULT_INDENT)
            for cited in (result["actual"]["citations"], result["expected"]["citations"]):
                fields = [(c["edition"], c["guideline"], c["pages"], c["section"]) for c in cited]
                assert regress._citations_json(cited) == (regress.plain_citations_json(fields) if cited else "[]")
    assert 0 < len(regress._CITATION_TEXTS) <= 3
    assert sum(bool(r["actual"]["citations"]) for r in results) > 100


def test_report_chunks_are_echoed_without_the_escape_code_search(monkeypatch):
    """cli.EchoedInChunks echoes a chunk (which never holds an escape character) with color=True, so
    click.echo writes it without searching it for escape codes to strip; a piece holding one is echoed
    as click.echo echoes it, stripped."""
    import click

    from checker import cli

    calls = []
    monkeypatch.setattr(click, "echo", lambda text, nl=True, color=None: calls.append((text, color)))
    monkeypatch.setattr(cli.EchoedInChunks, "CHUNK_CHARS", 10)
    echoed = cli.EchoedInChunks()
    for piece in ["abc", "defghijk", "\x1b[31mred\x1b[0m", "x" * 30, "end"]:
        echoed(piece)
    echoed.flush()
    assert calls == [("abcdefghijk", True), ("\x1b[31mred\x1b[0m", None), ("x" * 30, True), ("end", True)]
    assert all("\x1b" not in text for text, color in calls if color)


def _corpus_cases(checker: Checker, corpus: Path):
    """Each loadable case of the corpus and the examples (the corpus holds a broken file on purpose)."""
    for path in regress.collect_case_files([corpus, EXAMPLES]):
        try:
            yield checker.load(Path(path))
        except Exception:  # noqa: BLE001, S112 - the corpus's broken file
            continue


def _corpus_requests(checker: Checker, corpus: Path):
    """Each request of each loadable case of the corpus and the examples, with its case."""
    for case in _corpus_cases(checker, corpus):
        for request in case.requests:
            yield case, request


def test_one_reason_is_in_order_as_ranking_it_would_give(corpus):
    """reason_order returns one decisive criterion (or none) without ranking it: the same as ranking."""
    from checker.decide.decide import ranked_reasons, reason_order

    checker = Checker()
    counts = {"one": 0, "more": 0}
    for case in _corpus_cases(checker, corpus):
        for item in checker.decide_case(case, details=False):
            reversed_order = item.decisive[::-1]
            assert reason_order(item, reversed_order) == ranked_reasons(item, reversed_order)
            counts["one" if len(item.decisive) < 2 else "more"] += 1
    assert counts["one"] > 100 and counts["more"] > 100


def test_unordered_reasons_cite_what_ranked_reasons_cite(corpus, monkeypatch):
    """decide_case(ordered=False), as a regression run asks, ranks the deciding criteria only when they
    cite two guideline editions or more: every item of the corpus and the examples has the decision,
    the deciding criteria (as a set) and the result's citations of ranking them always; and the run's
    reports are those of a run that ranks them always."""
    from checker.decide import decide

    original = Checker.decide_case
    checker = Checker()
    counts = {"left as they are": 0, "ranked": 0}
    for case in _corpus_cases(checker, corpus):
        for plain, quick in zip(checker.decide_case(case, details=False), checker.decide_case(case, details=False, ordered=False), strict=True):
            assert plain.decision == quick.decision and plain.deciding_topic is quick.deciding_topic
            assert sorted(id(r.criterion) for r in plain.decisive) == sorted(id(r.criterion) for r in quick.decisive)
            cited = [tuple(r.criterion.citation for r in item.decisive if r.criterion.citation) for item in (plain, quick)]
            assert regress.plain_actual_citations(checker.ruleset, cited[0]) == regress.plain_actual_citations(checker.ruleset, cited[1])
            if len(quick.decisive) > 1:
                counts["ranked" if [r.criterion for r in quick.decisive] == [r.criterion for r in plain.decisive] and decide._cites_apart(quick.decisive)
                       else "left as they are"] += 1
    assert counts["left as they are"] > 50 and counts["ranked"] > 0, counts
    quick_reports = _reports(regress.regress(Checker(), [corpus, EXAMPLES], jobs=1))
    monkeypatch.setattr(Checker, "decide_case", lambda self, case, as_of=None, details=True, ordered=True: original(self, case, as_of, details, True))
    assert _reports(regress.regress(Checker(), [corpus, EXAMPLES], jobs=1)) == quick_reports


def test_remembered_condition_reads_rank_reasons_as_walking_the_conditions_does(corpus, monkeypatch):
    """decide._read_of remembers each condition's tests (and the facts they read) by the condition
    object: the walk's own answer for every condition of every criterion, asked twice; and the
    corpus's decisive reasons rank in the same order when every condition is walked afresh."""
    from checker.decide import decide as deciding
    from checker.load.conditions import tests

    checker = Checker()
    conditions = [c for _, _, criterion in checker.ruleset.criteria() for c in (criterion.met_when, criterion.not_met_when, criterion.applies_when) if c]
    assert len(conditions) > 300
    for _ in range(2):
        for condition in conditions:
            held, walked, reads, named = deciding._read_of(condition)
            assert held is condition and walked == tuple(tests(condition))
            assert reads == {name for _, name, _, _ in tests(condition)} and named == tuple((n, o, v) for _, n, o, v in tests(condition))
    items = [item for case in _corpus_cases(checker, corpus) for item in checker.decide_case(case, details=False) if len(item.decisive) > 1]
    remembered = [deciding.ranked_reasons(item, item.decisive[::-1]) for item in items]

    def walked_afresh(condition):
        found = tuple(tests(condition))
        return condition, found, frozenset(name for _, name, _, _ in found), tuple((n, o, v) for _, n, o, v in found)

    monkeypatch.setattr(deciding, "_read_of", walked_afresh)
    assert len(items) > 100
    assert [deciding.ranked_reasons(item, item.decisive[::-1]) for item in items] == remembered


def test_action_messages_are_read_as_decoding_them_reads_them(corpus, monkeypatch):
    """engine.fired reads the rule and item index from the text of each action message, as decoding
    it does: every message the corpus's cases give, and facts holding the key's text as a value."""
    import durable_rules_engine

    from checker.evaluate import engine

    messages = []
    start, complete = durable_rules_engine.start_action_for_state, durable_rules_engine.complete_and_start_action

    def started(*args):
        found = start(*args)
        messages.extend([found[1]] if found else [])
        return found

    def completed(*args):
        message = complete(*args)
        messages.extend([message] if message else [])
        return message

    monkeypatch.setattr(durable_rules_engine, "start_action_for_state", started)
    monkeypatch.setattr(durable_rules_engine, "complete_and_start_action", completed)
    regress.regress(Checker(), [corpus], jobs=1).close()
    tricky = [
        '{"r7":{"m":{"note": "\\"item_index\\": 9, ", "item_index": 2, "t": "item"}}}',
        '{"r7":{"m":{"item_index": 3}}}', '{"guard":{"m":{"t": "guard", "item_index": -1}}}', '{"r7": {"m": {"item_index": 4.0}}}',
    ]
    assert len(messages) > 500
    for message in messages + tricky:
        assert engine.fired(message) == engine.plain_fired(message), message


def test_a_remembered_answer_is_forgotten_once_its_source_is_replaced():
    from types import SimpleNamespace

    from checker.base.memo import remembered

    owner = SimpleNamespace(topics=[1], lexicon={})
    memo = remembered(owner, "_answers", (owner.topics, owner.lexicon))
    memo["q"] = "a"
    assert remembered(owner, "_answers", (owner.topics, owner.lexicon)) == {"q": "a"}
    owner.topics = [1]  # equal, but another object: the answers may no longer hold
    assert remembered(owner, "_answers", (owner.topics, owner.lexicon)) == {}


def test_the_engine_definition_written_at_compile_time_is_the_probes_definition(corpus, repo_program):
    """Program.engine_json (compiled once, kept in the rules cache) is the JSON text of
    durable_definition, and an engine registered from it fires as one registered from a fresh dump."""
    import dataclasses

    from checker.evaluate import engine
    from checker.load.compiler import durable_definition

    assert repo_program.engine_json == json.dumps(durable_definition(repo_program.probes), ensure_ascii=False)
    checker = Checker(engine="reference")
    assert checker.program.engine_json == repo_program.engine_json  # the cached program keeps it
    batches = _engine_batches(checker, corpus, 80)
    stored = engine.DurableEvaluator(checker.program)
    dumped = engine.DurableEvaluator(dataclasses.replace(checker.program, engine_json=""))
    fired = [stored.evaluate(batch) for batch in batches]
    assert fired == [dumped.evaluate(batch) for batch in batches] and sum(map(len, fired)) > 50


_ODD_DOCUMENTS = (
    "a: 1\nb: [x, 2, 2.5, null, true, 2013-02-01, 2013-02-01 10:00:00]\n",
    "<<: {a: 1}\nb: 2\n",
    "x:\n  - &k {a: 1}\n  - b\n",
    "=: 1\n",
    "1: a\n'1': b\n",
    "a: !!set {x, y}\n",
    "a: !!binary aGVsbG8=\n",
    "a: !!omap [{x: 1}]\n",
    "a: !!str 12\nb: !!int '12'\nc: !!float '1'\n",
    "a: [1, {b: 2013-02-30}]\nc: d\nc: e\n",
    "a: [1, {b: 2, b: 3}]\nc: 2013-02-30\n",
    "a: !!python/object/apply:os.system [ls]\n",
    "a: !custom x\n",
    "a: 0x1f\nb: 1_000\nc: .inf\nd: -.NaN\ne: ~\nf: yes\ng: 'yes'\n",
    "- a\n- [b, [c, {d: e}]]\n",
    "just text\n",
    "[1, 2]\n",
    "a: 1\n---\nb: 2\n",
    "a: {b: !!int x}\n",
    "? [a, b]\n: c\n",
    "a: 12:30:00\nb: 1e3\nc: 0o17\nd: +12\n",
)


def _yaml_answer(text: str):
    from checker.base.errors import InputError
    from checker.base.yamlio import parse_yaml

    try:
        value = parse_yaml(text, "t.yaml", "file")
        return "value", repr(value), value
    except InputError as error:
        return "error", error.one_line(), None


def test_yaml_built_directly_is_what_pyyamls_constructors_build(corpus, monkeypatch):
    """yamlio builds a document of text keys, lists, mappings and plain scalars itself; anything else,
    and every error, is PyYAML's constructors' as before: the same values (types included) for every
    case file of the corpus and the examples, every rule file, and documents of other tags, merge
    keys, duplicates and bad values, where the errors are the same messages."""
    from checker.base import yamlio
    from checker.load.ruleset import default_rules_dir

    texts = [Path(p).read_text(encoding="utf-8") for p in regress.collect_case_files([corpus, EXAMPLES, default_rules_dir()])]
    texts = [t for t in texts if "[unclosed" not in t] + list(_ODD_DOCUMENTS)
    assert len(texts) > 200
    monkeypatch.setattr(yamlio, "read_block_text", lambda text: yamlio._NOT_BUILT)  # libyaml reads them all
    built = [_yaml_answer(t) for t in texts]

    def never_plain(node, loader):
        raise yamlio._NotPlain

    monkeypatch.setattr(yamlio, "build_plain", never_plain)
    constructed = [_yaml_answer(t) for t in texts]
    assert [b[:2] for b in built] == [c[:2] for c in constructed]
    assert [b[2] for b in built] == [c[2] for c in constructed]
    errors = sum(kind == "error" for kind, _, _ in built)
    assert 8 <= errors < len(_ODD_DOCUMENTS)


def test_yaml_read_without_pyyamls_descend_and_ascend_is_the_same(corpus, monkeypatch):
    """_StrictLoader's descend_resolver and ascend_resolver do nothing (written in C), as PyYAML's do
    for a loader without path resolvers: every case file of the corpus and the examples, every rule
    file and the odd documents read the same (values and errors) with PyYAML's own; and a loader
    given a path resolver keeps PyYAML's, which follow the path."""
    import yaml

    from checker.base import yamlio
    from checker.load.ruleset import default_rules_dir

    texts = [Path(p).read_text(encoding="utf-8") for p in regress.collect_case_files([corpus, EXAMPLES, default_rules_dir()])]
    texts += list(_ODD_DOCUMENTS)
    assert not yamlio._StrictLoader.yaml_path_resolvers
    monkeypatch.setattr(yamlio, "read_block_text", lambda text: yamlio._NOT_BUILT)  # libyaml reads them all
    fast = [_yaml_answer(t) for t in texts]
    monkeypatch.setattr(yamlio._StrictLoader, "descend_resolver", yaml.resolver.BaseResolver.descend_resolver)
    monkeypatch.setattr(yamlio._StrictLoader, "ascend_resolver", yaml.resolver.BaseResolver.ascend_resolver)
    plain = [_yaml_answer(t) for t in texts]
    assert [f[:2] for f in fast] == [p[:2] for p in plain] and [f[2] for f in fast] == [p[2] for p in plain]
    monkeypatch.undo()

    class PathLoader(yamlio._StrictLoader):
        pass

    PathLoader.add_path_resolver("!tagged", ["a"], dict)
    loader = PathLoader("a: {b: 1}\n")
    try:
        assert loader.get_single_node().value[0][1].tag == "!tagged"
    finally:
        loader.dispose()


_BLOCK_DOCUMENTS = (
    "a:\n- x\n- y: 1\n  z: 2\nb: c\n",
    "a:\n  - x\n  -   y: 1\n      z: []\nb:\nc: ''\nd: 'it''s'\ne: \"q: #1\"\n",
    "a: 1   \nb:   two  \n   \nc:\n  d: {}\n  e: []\n",
    "a: b\n  c\n", "a: b\n  c: d\n", "a:\n  b\n", "- a\n", "  a: 1\n  b: 2\n", "a: 1\n  - b\n",
    "yes: 1\n", "1: a\n", "null: a\n", "2013-01-01: a\n", "a: 1\na: 2\n", "a:\n  b: 1\n  b: 2\n",
    "a: 2013-02-30\n", "a: 2013-02-01\nb: 2013-02-01 10:00:00\nc: 12:30:00\nd: .nan\ne: 0x1f\nf: 0o17\n",
    "a: -1\nb: -x\nc: ?x\nd: :x\ne: x:\nf: x: y\ng: x #y\nh: x#y\ni: ~\nj: =\nk: <<\n",
    "a: \"x\\ty\"\nb: \"x\" y\nc: 'x' y\nd: 'x\ne: \"\"\n", "a: |\n  x\n", "a: >\n  x\n", "a: &x 1\nb: *x\n",
    "a: !!str 1\n", "a: [x]\n", "a: {b: c}\n", "a: [ ]\n", "---\na: 1\n", "a: 1\n...\n", "a: 1\n---\nb: 2\n",
    "# note\na: 1\n", "a: 1 # note\n", "a:\n-\n  b: 1\n", "a:\n- - b\n", "a:\n-\n", "a:\n- \n- b\n",
    "a:\n  - b\n  c: d\n", "a:\n  - b\n c: d\n", "a:\n  - b:\n    - c\n  - d\n", "a:\n  - b:\n      c: 1\n",
    "a:\n- b: 1\n c: 2\n", "a:\n- b: 1\n   c: 2\n", "a:\n  x\n", "a: \u00e9t\u00e9\nb: caf\u00e9\nc: \u00e9\n",
    "a: \u00a0x\n", "a: x\u00a0\n", "a:\tb\n", "a: b\r\nc: d\r\n", "\ufeffa: 1\n", "a: x\u2028y\n",
    "a.b-c_d: 1\n_: 2\n9a: 3\n", "on: 1\n", "a:b\n", "a :b\n", "a: b:c\nd: e,f [g] {h}\n",
    "a: " + "x" * 200 + "\n" + "b: " + "y" * 200 + "\n", "k" * 150 + ": 1\n",
)


def _block_text_answers(texts, monkeypatch):
    """Each text's value or error read by parse_yaml, then again with read_block_text answering that it
    cannot read it (libyaml and build_plain read it, or PyYAML's constructors); and how many it read."""
    from checker.base import yamlio

    read = sum(yamlio.read_block_text(t) is not yamlio._NOT_BUILT for t in texts if not yamlio._RAW_FORBIDDEN.search(t))
    fast = [_yaml_answer(t) for t in texts]
    with monkeypatch.context() as patched:
        patched.setattr(yamlio, "read_block_text", lambda text: yamlio._NOT_BUILT)
        plain = [_yaml_answer(t) for t in texts]
    return fast, plain, read


def test_block_text_read_line_by_line_is_what_libyaml_reads(corpus, monkeypatch):
    """yamlio.read_block_text reads a text of block mappings, block lists and one-line scalars without
    libyaml: the same values (types and key order included) and the same errors as libyaml's reading,
    for every case file of the corpus (each read this way), the examples and the rule files (read by
    libyaml: flow lists, comments), documents at the edges of the subset, and the corpus's files
    changed at random (keys, indents, indicators, quotes, numbers, dates)."""
    from checker.base import yamlio
    from checker.load.ruleset import default_rules_dir

    files = regress.collect_case_files([corpus])
    texts = [Path(p).read_text(encoding="utf-8") for p in files if Path(p).name.startswith("case-")]
    fast, plain, read = _block_text_answers(texts, monkeypatch)
    assert read == len(texts) >= 60 and fast == plain  # 300 items grouped into cases at random: about 80
    others = [Path(p).read_text(encoding="utf-8") for p in regress.collect_case_files([EXAMPLES, default_rules_dir()])]
    others += list(_ODD_DOCUMENTS) + list(_BLOCK_DOCUMENTS)
    fast, plain, read = _block_text_answers(others, monkeypatch)
    assert [f[:2] for f in fast] == [p[:2] for p in plain] and 10 <= read
    assert yamlio.read_block_text(_BLOCK_DOCUMENTS[0]) == {"a": ["x", {"y": 1, "z": 2}], "b": "c"}
    rng = random.Random(19)
    pieces = [" ", "  ", "-", "- ", ":", ": ", "#", "'", '"', "''", "[]", "{}", "[", "yes", "null", "~", "0x1", "2013-02-30",
              "2013-01-01", "1.5", "-1", "k: ", "\n", "\n  ", "\n- ", "...", "---", "=", "<<", "&a", "*a", "!", "|", ">", "?",
              "%", "@", "`", ",", "\u00e9", "\u00a0", "\\", "1:2", "on", "+1", ".inf", "1_0", "1e3", "12:30", "\t"]
    changed = []
    for _ in range(1500):
        lines = rng.choice(texts).split("\n")
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(lines))
            line, cut = lines[at], rng.randint(0, len(lines[at]))
            lines[at] = line[:cut] + rng.choice(pieces) + line[cut + rng.choice((0, 0, 1, 3)):]
        changed.append("\n".join(lines))
    fast, plain, read = _block_text_answers(changed, monkeypatch)
    assert fast == plain and 200 <= read < len(changed)


def test_plain_tag_answers_text_at_once_only_where_the_resolver_tries_no_pattern(monkeypatch):
    """yamlio._plain_tag answers text without the resolver for a scalar whose first character no implicit
    resolver is listed under: the tag PyYAML's resolver gives, for texts starting with every printable ASCII
    character and a few others; a resolver listed for every character (None) or a path resolver sends every
    text to the resolver again. A date read without a node is the constructor's date, new or remembered."""
    import datetime as dt

    import yaml

    from checker.base import yamlio

    loader = yamlio._StrictLoader("")
    try:
        starts = [chr(c) for c in range(32, 127)] + ["\u00e9", "\u00a0", "\u2028"]
        texts = [start + rest for start in starts for rest in ("", "1", "rue", "x y", "0-01-01", ".5", ":", "ull")]
        assert [yamlio._plain_tag(t) for t in texts] == [yaml.resolver.BaseResolver.resolve(loader, yaml.ScalarNode, t, (True, False)) for t in texts]
    finally:
        loader.dispose()
    assert yamlio._plain_tag("synthetic-000001") == yamlio._STR_TAG and yamlio._plain_tag("true") != yamlio._STR_TAG
    wildcard = {**yamlio._StrictLoader.yaml_implicit_resolvers, None: [("tag:example,2026:every", yamlio.re.compile("s"))]}
    with monkeypatch.context() as patched:
        patched.setattr(yamlio, "_PLAIN_SCALAR_TAGS", {})
        patched.setattr(yamlio._StrictLoader, "yaml_implicit_resolvers", wildcard)
        assert yamlio._plain_tag("synthetic") == "tag:example,2026:every"
    with monkeypatch.context() as patched:
        patched.setattr(yamlio, "_PLAIN_SCALAR_TAGS", {})
        patched.setattr(yamlio._StrictLoader, "yaml_path_resolvers", {("x",): "tag:example,2026:path"})
        asked = type("Asked", (), {"resolve": lambda self, kind, value, implicit: "tag:example,2026:asked"})()
        patched.setattr(yamlio, "_scalar_loader", lambda: asked)
        assert yamlio._plain_tag("synthetic-000002") == "tag:example,2026:asked"
    monkeypatch.setattr(yamlio, "_DAYS", {})
    for text in ("2013-01-31", "2013-01-31", "2016-02-29"):
        node = yaml.ScalarNode(yamlio._TIMESTAMP_TAG, text)
        plain = yaml.constructor.SafeConstructor.construct_yaml_timestamp(yamlio._scalar_loader(), node)
        quick = yamlio._timestamp(text, yamlio._scalar_loader())
        assert quick == plain and type(quick) is dt.date and quick is not yamlio._timestamp(text, yamlio._scalar_loader())
    with pytest.raises(ValueError):
        yamlio._timestamp("2013-02-30", yamlio._scalar_loader())


def test_fact_value_is_the_dataclass_made_plainly():
    """case.fact_value writes a FactValue's fields into its dict: the object FactValue(value, origin,
    source) makes (equal, hashed alike, the same fields in the same order, the same pickle, still
    frozen), for values of every kind; and FactValue is still a plain frozen dataclass of those five
    fields with no __post_init__ that fact_value would skip."""
    import dataclasses
    import datetime as dt
    import pickle

    from checker.load.case import FactValue, fact_value

    assert [f.name for f in dataclasses.fields(FactValue)] == ["value", "origin", "source", "reason", "evidence"]
    assert not hasattr(FactValue, "__post_init__") and "__new__" not in vars(FactValue)
    for value in (None, True, False, 0, 2.5, "x", ["a", "b"], dt.date(2014, 3, 1)):
        for args in ((value,), (value, "derived"), (value, "derived", "request line"), (value, "structured", "claimant.age")):
            plain, fast = FactValue(*args), fact_value(*args)
            assert fast == plain and type(fast) is FactValue
            assert list(vars(fast).items()) == list(vars(plain).items())
            assert pickle.dumps(fast) == pickle.dumps(plain) and repr(fast) == repr(plain)
            if not isinstance(value, list):
                assert hash(fast) == hash(plain)
            with pytest.raises(dataclasses.FrozenInstanceError):
                fast.value = 1


def test_requests_made_and_replaced_through_their_dict_are_the_dataclass_made_plainly(corpus):
    """case.request_record and case.replaced_request write a Request's fields into its dict: for every
    requested item of the corpus and the examples, the object Request(**fields) makes and the one
    dataclasses.replace makes (equal, the same fields in the same order, the same pickle and repr, still
    frozen); a field left out, one out of order or one Request lacks is refused as the dataclass refuses
    it; a subclass is replaced by dataclasses.replace; Request is still a plain frozen dataclass."""
    import dataclasses
    import pickle

    from checker.load import case as case_module
    from checker.load.case import Request, replaced_request, request_record

    assert case_module._REQUEST_FIELDS == tuple(f.name for f in dataclasses.fields(Request))
    assert not hasattr(Request, "__post_init__") and "__new__" not in vars(Request)
    checker = Checker(engine="reference")
    requests = []
    for path in regress.collect_case_files([corpus, EXAMPLES]):
        try:
            requests += checker.load(Path(path)).requests
        except Exception:  # noqa: BLE001, S112 - the corpus's broken file
            continue
    assert len(requests) > 300 and any(r.associated_with for r in requests) and any(r.dose for r in requests)
    changes = ({"associated_with": "item9"}, {"drug": "ibuprofen", "drug_named": "ibuprofen", "strength": "", "dose": None}, {})
    for made in requests:
        plain = Request(**vars(made))
        assert made == plain and type(made) is Request
        assert list(vars(made).items()) == list(vars(plain).items())
        assert pickle.dumps(made) == pickle.dumps(plain) and repr(made) == repr(plain)
        for change in changes:
            fast, slow = replaced_request(made, **change), dataclasses.replace(made, **change)
            assert fast == slow and list(vars(fast).items()) == list(vars(slow).items()) and pickle.dumps(fast) == pickle.dumps(slow)
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.text = "x"
    fields = vars(requests[0])
    for odd in ({k: v for k, v in fields.items() if k != "dose"}, dict(reversed(list(fields.items()))), {**fields, "colour": "red"}):
        with pytest.raises(TypeError):
            request_record(**odd)
    with pytest.raises(TypeError):
        replaced_request(requests[0], colour="red")

    @dataclasses.dataclass(frozen=True)
    class Kept(Request):
        pass

    kept = Kept(**fields)
    assert type(replaced_request(kept, text="y")) is Kept and replaced_request(kept, text="y").text == "y"


def test_criterion_status_is_the_dataclass_made_plainly(corpus):
    """results.criterion_status writes a CriterionResult's fields into its dict: the object
    CriterionResult(criterion, status, (), (), subject=subject) makes (equal, hashed alike, the same
    fields in the same order, the same pickle, still frozen), for criteria of the rules, every status
    and subject; CriterionResult is still a plain frozen dataclass of those seven fields; and a
    regression run's statuses (details=False, _status_of) are status_from's for every item of the
    corpus and the examples."""
    import dataclasses
    import pickle

    from checker.base.outcomes import STATUSES
    from checker.evaluate import evaluate
    from checker.evaluate.results import CriterionResult, criterion_status

    assert [f.name for f in dataclasses.fields(CriterionResult)] == ["criterion", "status", "facts", "tests", "unknown", "subject", "unknown_groups"]
    assert not hasattr(CriterionResult, "__post_init__") and "__new__" not in vars(CriterionResult)
    checker = Checker()
    criteria = [criterion for _, _, criterion in checker.ruleset.criteria()][:40]
    for criterion in criteria:
        for status in STATUSES:
            for subject in ("", "ibuprofen"):
                plain, fast = CriterionResult(criterion, status, (), (), subject=subject), criterion_status(criterion, status, subject)
                assert fast == plain and type(fast) is CriterionResult
                assert list(vars(fast).items()) == list(vars(plain).items())
                assert pickle.dumps(fast) == pickle.dumps(plain) and repr(fast) == repr(plain) and hash(fast) == hash(plain)
                with pytest.raises(dataclasses.FrozenInstanceError):
                    fast.status = "met"
    assert evaluate._status_of(None, "x") == evaluate.status_from(set(), "x")
    for case in _corpus_cases(checker, corpus):
        try:
            quick, full = checker.decide_case(case, details=False), checker.decide_case(case)
        except Exception:  # noqa: BLE001, S112 - a case the engine refuses refuses either way
            continue
        for a, b in zip(quick, full, strict=True):
            assert [(r.criterion.id, r.status, r.subject) for r in a.criteria] == [(r.criterion.id, r.status, r.subject) for r in b.criteria]


def test_facts_checked_once_per_value_are_the_facts_checked_afresh(corpus):
    """case._facts remembers a fact given as a plain value once checked: for the facts of every case
    and request of the corpus and the examples, read twice, plain_facts' answer; and for facts of every
    kind and odd values (unknown, derived, of the wrong type or out of range, null, true against 1, a
    fact given as a mapping, 0.0 against -0.0), the same facts or the same error, asked twice and after
    a value of the same fact was remembered."""
    import yaml

    from checker.base.errors import InputError
    from checker.load import case as case_module

    ruleset = Checker().ruleset
    given = []
    for path in regress.collect_case_files([corpus, EXAMPLES]):
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text) if "[unclosed" not in text else None
        given += [data.get("facts") or {}] if isinstance(data, dict) else []
        given += [r.get("facts") or {} for r in (data or {}).get("requests") or [] if isinstance(r, dict)]
    assert sum(len(g) for g in given) > 800
    vocabulary = ruleset.vocabulary.facts
    kinds = {}
    for name, fact in vocabulary.items():
        kinds.setdefault((fact.type, fact.derived), name)
    odd_values = [True, False, 1, 0, -1, 3, 500, 2.5, 0.0, -0.0, "left", "", None, [1], {"value": True}, {"value": 2, "origin": "reviewer"}]
    for name in [*kinds.values(), "no_such_fact"]:
        for value in odd_values:
            given.append({name: value})
    seen = {"facts": 0, "error": 0}

    def answer(read, facts):
        try:
            return "facts", read(facts, ruleset, "case.yaml", "facts")
        except InputError as exc:
            return "error", exc.one_line()

    for _ in range(2):
        for facts in given:
            fast, plain = answer(case_module._facts, facts), answer(case_module.plain_facts, facts)
            assert fast == plain, facts
            if fast[0] == "facts":
                assert all(type(a.value) is type(b.value) and repr(a.value) == repr(b.value) for a, b in zip(fast[1].values(), plain[1].values(), strict=True))
            seen[fast[0]] += 1
    assert seen["facts"] > 500 and seen["error"] > 20, seen


def test_derived_facts_without_bases_are_the_same_facts(corpus, monkeypatch):
    """derive_item_facts(bases=False), as a regression run derives: for every request of the corpus and
    the examples (and each ingredient of a compound), the same facts in the same order with the same
    values and origins as deriving them with their bases, only the source of a fact derived from the
    request or the records left empty; and a run's reports are those of a run deriving every basis."""
    from checker.derive import derive
    from checker.evaluate import evaluate

    checker = Checker()
    ruleset = checker.ruleset
    emptied = 0
    for case, request in _corpus_requests(checker, corpus):
        for ingredient in ("", *evaluate.judged_parts(ruleset, request)[0]):
            args = (case, request, ruleset.lexicon, ruleset.services, {}, ingredient, ruleset.vocabulary)
            full, bare = derive.derive_item_facts(*args), derive.derive_item_facts(*args, bases=False)
            assert list(full) == list(bare)
            for name, fact in full.items():
                assert (fact.value, fact.origin, fact.reason, fact.evidence) == (bare[name].value, bare[name].origin, bare[name].reason, bare[name].evidence)
                assert bare[name].source == fact.source or (bare[name].source == "" and fact.origin == "derived")
                emptied += bare[name].source != fact.source
    assert emptied > 1000
    quick_reports = _reports(regress.regress(Checker(), [corpus, EXAMPLES], jobs=1))
    plain = derive.derive_item_facts
    monkeypatch.setattr(evaluate, "derive_item_facts", lambda *args, bases=True, **named: plain(*args, **named))
    assert _reports(regress.regress(Checker(), [corpus, EXAMPLES], jobs=1)) == quick_reports


def test_remembered_answers_are_kept_while_their_sources_are_the_same_objects():
    """memo.remembered gives the dict it kept while every source is the very object it was kept for, and
    a fresh one when any source is another object (even an equal one), or when there are more or fewer."""
    from checker.base.memo import remembered

    class Owner:
        pass

    owner, first, second = Owner(), ["a"], {"b": 1}
    kept = remembered(owner, "memo", (first, second))
    kept["x"] = 1
    assert remembered(owner, "memo", (first, second)) is kept
    for sources in ((["a"], second), (first, {"b": 1}), (first,), (first, second, first), ()):
        fresh = remembered(owner, "memo", sources)
        assert fresh is not kept and fresh == {}
        assert remembered(owner, "memo", sources) is fresh
    assert remembered(owner, "other", (first, second)) is not remembered(owner, "memo", (first, second))


def test_editions_chosen_without_values_made_first_are_the_same(corpus):
    """evaluate.choose_edition gathers the facts' values only for an edition with a `when`: for every
    topic the rules hold and the facts of every request of the corpus and the examples, at its request
    date and a day in each year its editions start, the answer of gathering them first."""
    from checker.derive.derive import derive_item_facts
    from checker.evaluate.evaluate import choose_edition
    from checker.load.conditions import evaluate as kleene
    from checker.load.conditions import unknown_facts

    def plain(topic, day, facts):
        in_force = topic.editions_in_force(day)
        if not in_force:
            return None, "no_edition_in_force", ()
        values = {k: v.value for k, v in facts.items()}
        for edition in in_force:
            if edition.when is None:
                return edition, "", ()
            holds = kleene(edition.when, values)
            if holds:
                return edition, "", ()
            if holds is None:
                return None, "edition_undetermined", tuple(unknown_facts(edition.when, values))
        return None, "no_edition_in_force", ()

    checker = Checker()
    ruleset = checker.ruleset
    topics = [t for t in ruleset.topics if any(e.when is not None for e in t.editions)] + list(ruleset.topics)[:10]
    assert len(topics) > 12
    days = sorted({e.effective_from for t in topics for e in t.editions})[:6]
    answers = set()
    for n, (case, request) in enumerate(_corpus_requests(checker, corpus)):
        if n > 300:
            break
        facts = derive_item_facts(case, request, ruleset.lexicon, ruleset.services, {}, vocabulary=ruleset.vocabulary)
        for topic in topics:
            for day in (case.request_date, *days):
                found = choose_edition(topic, day, facts)
                assert found == plain(topic, day, facts)
                answers.add(found[1])
    assert {"", "edition_undetermined"} <= answers


def test_a_line_made_plain_without_needless_substitutions_is_the_same(corpus):
    """prescription._plain runs each substitution only on a text holding its character: the text every
    substitution gives (plain_plain) for the corpus's and the examples' request lines and random lines
    of number words, digits, commas, parentheses and dots."""
    import yaml

    from checker.load import prescription

    lines = []
    for path in regress.collect_case_files([corpus, EXAMPLES]):
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text) if "[unclosed" not in text else None
        lines += [r.get("text") for r in (data or {}).get("requests") or [] if isinstance(r, dict) and isinstance(r.get("text"), str)]
    rng = random.Random(13)
    pieces = ["two", "(2)", " ", "1,000", ",", "(", ")", ".", "t.i.d.", "q.8h", "mg", "#60", "3", "x", "Norco", "(10)", "b.i.d"]
    lines += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 8))) for _ in range(3000)]
    assert len(lines) > 3200
    for line in lines:
        assert prescription._plain(line) == prescription.plain_plain(line), line


def test_remembered_scalar_tags_are_the_resolvers(corpus):
    """_StrictLoader.resolve remembers a plain scalar's tag by its text: the resolver's own answer for
    every scalar of the corpus and for random ones, asked twice (the second time from memory)."""
    import yaml

    from checker.base import yamlio

    scalars = set()
    for path in regress.collect_case_files([corpus, EXAMPLES])[:150]:
        text = Path(path).read_text(encoding="utf-8")
        for event in yaml.parse(text, Loader=yaml.CSafeLoader) if "[unclosed" not in text else ():
            if isinstance(event, yaml.ScalarEvent):
                scalars.add(event.value)
    rng = random.Random(8)
    pieces = ["1", "0", "-", ".", "e", "x", ":", "true", "no", "~", "null", "2013-01-01", " ", "_", "+", "inf", "o", "a"]
    scalars |= {"".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) for _ in range(3000)}
    scalars.add("x" * (yamlio._REMEMBERED_SCALAR_CHARS + 1))
    loader = yamlio._StrictLoader("")
    plain = yaml.resolver.BaseResolver.resolve
    for _ in range(2):
        for value in scalars:
            for implicit in ((True, False), (False, True), (True, True), (False, False)):
                assert loader.resolve(yaml.ScalarNode, value, implicit) == plain(loader, yaml.ScalarNode, value, implicit), value
    assert loader.resolve(yaml.MappingNode, None, (True, True)) == plain(loader, yaml.MappingNode, None, (True, True))
    loader.dispose()
    assert 100 < len(yamlio._PLAIN_SCALAR_TAGS) <= yamlio._MAX_REMEMBERED_SCALARS


def test_remembered_scalars_are_what_the_constructors_build(corpus):
    """build_plain builds a null, bool, int or float once per text, and a date from its remembered
    parts: what the safe constructor builds afresh (type and value), the second time from memory; a
    date is a new object each time, as the constructor's are; a bad one still refuses as before."""
    import yaml

    from checker.base import yamlio

    rng = random.Random(21)
    texts = ["~", "null", "", "yes", "No", "TRUE", "off", "0", "-0", "+12", "0x1f", "0o17", "1_000", "12:30:00",
             "2013-02-01", "2013-02-01 10:00:00", "2013-02-01T10:00:00Z", "2013-02-01 10:00:00 +02:00",
             "1.5", "-.inf", ".Inf", "1e3", "6.02e+23", "0.1"]
    texts += [str(rng.randint(-10**6, 10**6)) for _ in range(200)]
    texts += [f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(200)]
    loader = yamlio._StrictLoader("")
    try:
        for _ in range(2):
            for text in texts:
                node = yaml.ScalarNode(loader.resolve(yaml.ScalarNode, text, (True, False)), text)
                fresh = loader.construct_object(node)
                built = yamlio.build_plain(node, loader)
                assert (type(built), repr(built)) == (type(fresh), repr(fresh)), text
        day = yaml.ScalarNode("tag:yaml.org,2002:timestamp", "2013-02-01")
        assert yamlio.build_plain(day, loader) is not yamlio.build_plain(day, loader)
        nan = yaml.ScalarNode("tag:yaml.org,2002:float", ".nan")
        assert repr(yamlio.build_plain(nan, loader)) == repr(loader.construct_object(nan)) == "nan"
    finally:
        loader.dispose()
    assert _yaml_answer("a: 2013-02-28\n")[0] == "value"
    refused = "t.yaml: line 1: '2013-02-30' is not a valid date (day is out of range for month); fix: write a real calendar date as YYYY-MM-DD"
    assert _yaml_answer("a: 2013-02-30\n")[:2] == ("error", refused)


def test_fuzzy_candidates_by_letters_are_the_prefilters(repo_ruleset):
    """The letter index of lexicon._close_candidates_by_letters gives the names the plain prefilter
    (_close_candidates) gives, for misspelt lexicon names and other words, on both sides of -ER."""
    lex = repo_ruleset.lexicon
    names = sorted(lex._index)
    rng = random.Random(13)
    words = ["therapy", "epidural", "adhesiolysis", "er", "x", "hydrocodone er", "zzzzzzzzzzzzzz"]
    for _ in range(600):
        letters = list(rng.choice(names))
        for _ in range(rng.randint(0, 4)):
            letters[rng.randrange(len(letters))] = rng.choice("abcdefghijklmnopqrstuvwxyz ")
        words.append("".join(letters))
    found = 0
    for word in words:
        released = lexicon._released(word)
        plain = set(lexicon._close_candidates(word, [k for k in lex._index if lexicon._released(k) == released]))
        indexed = list(lexicon._close_candidates_by_letters(word, lexicon._names_by_letters(tuple(lex._index), released)))
        assert set(indexed) == plain and len(indexed) == len(plain), word
        found += bool(plain)
    assert found > 400


def test_a_name_is_cut_from_a_line_as_its_regex_cuts_it():
    """prescription.without_name against the regex it stands for (plain_without_name): random lines
    of names, spaces of every kind, capitals and punctuation, and non-ASCII ones (left to the regex)."""
    from checker.load.prescription import plain_without_name, without_name

    rng = random.Random(17)
    alphabet = "aAbBnNoO \t\n\x0b\x1c#%/.-10239é"
    names = ["norco", "Norco 10", "a b", "N", "b  a", "%", "o\to", "# 3", "", " ", "Tylenol #3", "é", "K"]
    cut = 0
    for _ in range(30000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        name = rng.choice(names) if rng.random() < 0.5 else "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5)))
        assert without_name(text, name) == plain_without_name(text, name), (text, name)
        cut += without_name(text, name) != text
    assert without_name("Tylenol  #3 tab #60", "tylenol #3") == "  tab #60" and cut > 3000
    assert without_name("\u212a-tab", "k") == plain_without_name("\u212a-tab", "k")  # the Kelvin sign folds to k


def test_topics_ranked_by_request_fields_are_the_plain_ranking(corpus):
    """select_topic's ranking remembered by the request's own fields, and the prepared ranking of
    ranked_topics, against rank_topics of request_attributes, for every item of the corpus and the
    examples as itself, as each drug it is judged as, and by other routes."""
    from checker.evaluate.evaluate import _prepared_topics, _rank_prepared, _ranked_for_request, judged_parts, rank_topics, request_attributes

    checker = Checker(engine="reference")
    ruleset = checker.ruleset
    seen = 0
    for _case, request in _corpus_requests(checker, corpus):
        parts, route = judged_parts(ruleset, request)
        for drug, by in [("", ""), ("", "topical"), *((part, route) for part in parts)]:
            plain = rank_topics(ruleset.topics, request_attributes(ruleset, request, drug, by))
            assert _ranked_for_request(ruleset, request, drug, by) == plain
            assert _ranked_for_request(ruleset, request, drug, by) == plain  # and from memory
            assert _rank_prepared(_prepared_topics(ruleset), request_attributes(ruleset, request, drug, by)) == plain
            seen += 1
    assert seen > 600


def test_facts_documented_by_records_are_found_once_per_case(corpus):
    """derive keeps the last case's diagnosis and medication bases: documented_by_equivalent gives what
    equivalent_in_records finds for every fact, for the items of cases read in turn and again."""
    from checker.derive.derive import Derived, derive_item_facts, documented_by, documented_by_equivalent, equivalent_in_records

    checker = Checker(engine="reference")
    ruleset = checker.ruleset
    cases = list(_corpus_cases(checker, corpus))
    documented = 0
    for case in cases + cases[::-1]:
        for request in case.requests:
            facts = derive_item_facts(case, request, ruleset.lexicon, ruleset.services, {})
            values = {k: v.value for k, v in facts.items()}
            plain = {}
            for name, equivalents in documented_by(ruleset.vocabulary):
                basis = equivalent_in_records(case, ruleset.lexicon, equivalents, values) if name not in facts else {}
                if basis:
                    plain[name] = Derived(True, basis)
            assert documented_by_equivalent(case, ruleset.lexicon, ruleset.vocabulary, facts) == plain
            documented += len(plain)
    assert documented > 200


def test_facts_documented_by_other_facts_remembered_by_their_values_are_those_read_afresh(corpus, monkeypatch):
    """derive remembers what other facts' values document (_basis_in_fact_values), per vocabulary by the
    fact and those values: for the items of every case of the corpus and the examples, read in turn and
    again, with values of other types, and with a bound small enough to empty the memory along the way,
    the bases are _basis_in_facts's of the same values, each a dict of its own."""
    from checker.derive import derive

    for bound in (derive.MAX_REMEMBERED_FACT_BASES, 2):
        monkeypatch.setattr(derive, "MAX_REMEMBERED_FACT_BASES", bound)
        checker = Checker(engine="reference")  # a rule set of its own: its memory starts empty
        ruleset = checker.ruleset
        cases = list(_corpus_cases(checker, corpus))
        tested = [(name, e) for name, e in derive.documented_by(ruleset.vocabulary) if e.tests]
        assert tested
        found = 0
        for case in cases + cases[::-1]:
            for request in case.requests:
                facts = derive.derive_item_facts(case, request, ruleset.lexicon, ruleset.services, {})
                for name, equivalents in tested:
                    odd = [{other: derive.fact_value(value) for other in equivalents.facts} for value in (2.0, -0.0, 0.0, None, 3, 0, True)]
                    for given in (facts, *({**facts, **values} for values in odd), {k: v for k, v in facts.items() if k not in equivalents.facts}):
                        values = {other: given[other].value for other in equivalents.facts if other in given}
                        basis = derive._basis_in_fact_values(ruleset.vocabulary, name, equivalents, given)
                        again = derive._basis_in_fact_values(ruleset.vocabulary, name, equivalents, given)
                        assert basis == again == derive._basis_in_facts(equivalents, values) and (basis is not again or not basis)
                        found += bool(basis)
        assert found > 20


def test_items_asserted_with_the_facts_their_rules_test_fire_as_with_every_fact(corpus):
    """The durable evaluator asserts an item with only the facts its edition's rules test: the same
    rules fire as with every fact, for every case of the corpus and the examples, in a shared session
    and registered on demand (a check)."""
    from checker.evaluate import engine

    checker = Checker(engine="reference")
    batches = _engine_batches(checker, corpus, 400) + _engine_batches(checker, EXAMPLES, 20)
    trimmed = engine.DurableEvaluator(checker.program)
    whole = engine.DurableEvaluator(checker.program)
    fired = [trimmed.evaluate(batch) for batch in batches]
    assert fired == [whole.evaluate(batch, only_tested=False) for batch in batches]
    assert sum(map(len, fired)) > 500
    for batch in batches[-6:]:
        assert engine.DurableEvaluator(checker.program, "on_demand").evaluate(batch) == whole.evaluate(batch, only_tested=False)
    dropped = sum(len(values) - len([k for k in values if k in trimmed.tested_facts(key)]) for batch in batches for key, values in batch)
    assert dropped > 1000  # the facts left out are most of them


def test_items_given_to_the_evaluators_with_their_tested_values_fire_as_with_every_value(corpus):
    """evaluate._run gives the durable evaluator each unit's values of the facts its edition's rules test
    alone (evaluated_values, in order of their names): for every unit of the corpus and the examples, the
    same rules fire as with every fact's value (plain_evaluated_values), asserted afresh and remembered
    (remember_items), and the same decisions and statuses come out of a whole run of each case; the
    reference evaluator, which names no tested facts, is given every value."""
    from checker.evaluate import engine, evaluate
    from checker.evaluate.evaluate import plan_case

    checker = Checker()
    units = []
    for folder, limit in ((corpus, 400), (EXAMPLES, 20)):
        for path in regress.collect_case_files([folder])[:limit]:
            try:
                case = checker.load(Path(path))
            except Exception:  # noqa: BLE001, S112 - the corpus's broken file
                continue
            units.append([u for item in plan_case(checker.ruleset, case) for u in item.units if u.edition])
    for remember in (False, True):
        quick, plain = engine.DurableEvaluator(checker.program, remember_items=remember), engine.DurableEvaluator(checker.program)
        for batch in units:
            given = [(u.edition.key, evaluate.evaluated_values(quick, u.edition.key, u.facts)) for u in batch]
            assert [list(values) for _, values in given] == [sorted(values) for _, values in given]
            assert quick.evaluate(given) == plain.evaluate([(u.edition.key, evaluate.plain_evaluated_values(u.facts)) for u in batch], only_tested=False)
    reference = Checker(engine="reference").evaluator
    assert all(evaluate.evaluated_values(reference, u.edition.key, u.facts) == evaluate.plain_evaluated_values(u.facts) for batch in units for u in batch)
    assert sum(len(u.facts) - len(evaluate.evaluated_values(quick, u.edition.key, u.facts)) for batch in units for u in batch) > 1000
    shown = lambda items: [(i.decision, [(c.criterion.id, c.status) for c in i.criteria]) for i in items]  # noqa: E731
    with pytest.MonkeyPatch.context() as patched:
        cases = list(_corpus_cases(checker, corpus))
        quick_run = [shown(checker.decide_case(case, details=False)) for case in cases]
        patched.setattr(evaluate, "evaluated_values", lambda evaluator, key, facts: evaluate.plain_evaluated_values(facts))
        assert quick_run == [shown(checker.decide_case(case, details=False)) for case in cases]


def test_tested_facts_per_edition_are_those_of_every_rule_at_once():
    """DurableEvaluator.tested_facts works out one edition's tested facts when first asked: the same
    sets as walking every rule at once, for every edition (asked in both orders, so none depends on
    what was asked before), and none for an edition without rules."""
    from checker.evaluate import engine

    program = Checker(engine="reference").program
    plain = engine.plain_tested_facts(program)
    editions = sorted({probe.edition_key for probe in program.probes})
    assert len(editions) > 100 and sum(map(len, plain.values())) > 300
    for order in (editions, editions[::-1]):
        evaluator = engine.DurableEvaluator(program, "on_demand")
        assert {key: evaluator.tested_facts(key) for key in order} == plain
        assert evaluator.tested_facts("no-such-edition") == frozenset()


def test_hash_comments_are_found_as_reading_every_line_finds_them(corpus):
    """case._refuse_hash_comments reads only lines holding '#': the same refusals (and lines) as the
    pattern tried on every line, for the corpus's files and the examples, and for texts with a bare
    quantity written after ' #' on lines of every kind."""
    from checker.base.errors import InputError
    from checker.load import case as case_module

    def plain(text: str) -> int | None:
        return next((n for n, line in enumerate(text.splitlines(), start=1) if case_module._HASH_IN_PLAIN_TEXT.match(line)), None)

    def found(text: str) -> int | None:
        try:
            case_module._refuse_hash_comments(text, "t")
        except InputError as error:
            return int(error.field.split()[-1])
        return None

    texts = [Path(p).read_text(encoding="utf-8") for p in regress.collect_case_files([corpus, EXAMPLES])]
    rng = random.Random(4)
    lines = ["requests:", "  - text: Soma 350 mg BID #60", '  - text: "Soma #60"', "    text: Norco 10 # 90", "text: a\u2028 #3", "- text: x #", "# 60", "a: 1",
             "text: Norco #\r 90", "text: a #4\r", "text: b\x0b #5", "text: c #\x0c6", "text: d\x1c #7", "text: e #\x1d8", "text: f\x1e #9", "text: g #1\x85",
             "#", "##", "text: h ##2", "  text:  i  #  3  ", ""]
    texts += ["\n".join(rng.choice(lines) for _ in range(rng.randint(0, 6))) + rng.choice(("", "\n", "#", " #1")) for _ in range(4000)]
    answers = [found(text) for text in texts]
    assert answers == [plain(text) for text in texts]
    assert sum(a is not None for a in answers) > 1000


def test_raw_characters_are_refused_as_the_pattern_refuses_them(corpus):
    """yamlio._raw_forbidden answers an ASCII text of allowed characters without the regex's scan: the
    same answer as _RAW_FORBIDDEN.search (place and character) for every ASCII character, the corpus's
    files, the examples and random texts of allowed, refused and non-ASCII characters."""
    from checker.base import yamlio

    def answer(found):
        return None if found is None else (found.start(), found.group())

    texts = [Path(p).read_text(encoding="utf-8") for p in regress.collect_case_files([corpus, EXAMPLES])]
    texts += [f"a: b{chr(code)}c\n" for code in range(128)] + [chr(code) for code in range(128)] + ["", "\n", "\t\r\n"]
    rng = random.Random(19)
    pieces = ["a: 1\n", "  - x\n", "\t", "\r\n", " ", "\x00", "\x07", "\x0b", "\x1b", "\x7f", "\x85", "\x9b", "\u00e9", "\ufeff", "\U0001f600", "#"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(3000)]
    fast = [answer(yamlio._raw_forbidden(t)) for t in texts]
    assert fast == [answer(yamlio._RAW_FORBIDDEN.search(t)) for t in texts]
    assert sum(f is None for f in fast) > 300 and sum(f is not None for f in fast) > 1000


def test_remembered_citation_lists_are_the_grouped_citations(corpus):
    """regress.actual_citations, remembered by the decisive criteria's citations, against the report's
    grouping done afresh (plain_actual_citations) for every item of the corpus and the examples; each
    answer is a fresh list, so changing one changes no other."""
    checker = Checker(engine="reference")
    ruleset = checker.ruleset
    seen = set()
    for case in _corpus_cases(checker, corpus):
        for item in checker.decide_case(case, details=False):
            citations = tuple(r.criterion.citation for r in item.decisive if r.criterion.citation)
            for _ in range(2):
                found = regress.actual_citations(ruleset, citations)
                assert found == regress.plain_actual_citations(ruleset, citations)
                if found:
                    found[0]["section"] = "changed"
                    found.append({})
            seen.add(citations)
    assert len(seen) > 30 and any(len(c) > 1 for c in seen)


def test_one_case_commands_give_the_same_bytes_with_the_collector_paused_and_turn_it_back_on(monkeypatch):
    """check and draft pause Python's cycle collector while they run (checker.cli.one_case): the same
    output as with the collector running throughout, and the collector is on again afterwards (off
    again when it was off before)."""
    import gc

    from checker import cli

    examples = sorted(EXAMPLES.glob("*.yaml"))
    paused = _outputs(examples)
    assert gc.isenabled()
    seen = []
    monkeypatch.setattr(cli.gc, "disable", lambda: seen.append("disable"))  # the collector stays on throughout
    assert _outputs(examples) == paused and len(seen) == 3 * len(examples)
    monkeypatch.undo()
    gc.disable()
    try:
        run("check", examples[0])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_reports_as_json_are_json_dumps(corpus):
    """render.to_json (checker.base.jsontext) against json.dumps with the report's settings: every
    example's check report, a regress summary, and values json.dumps converts (dates, tuples, sets,
    non-text keys, str and int subclasses, NaN)."""
    from checker.render.render import plain_json

    checker = Checker(registration="on_demand")
    values: list = [checker.check(path).report for path in sorted(EXAMPLES.glob("*.yaml"))]
    values.append(regress.regress(checker, [corpus], jobs=1).summary())
    values += [
        {"when": dt.date(2024, 5, 1), "pair": (1, 2.5), "set": {3}, "none": None, "flags": [True, False], "text": "é\n\"x\""},
        {1: "a", 2: "b"}, {"nan": float("nan"), "inf": float("inf"), "big": 10**30}, [], {}, "plain", 3,
        {"subclasses": [dt.date.min, type("Named", (str,), {})("n"), type("Count", (int,), {})(7)]},
    ]
    for value in values:
        assert to_json(value) == plain_json(value) == json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    with pytest.raises(TypeError):  # keys json.dumps cannot sort: refused as json.dumps refuses them
        to_json({"a": {1: "x", "b": 2}})


_AS_THE_COMMAND = (
    "import atexit, sys\n"
    "class Witness:\n"
    "    def __del__(self):\n"
    "        print('torn down', file=sys.stderr)\n"
    "witness = Witness()\n"
    "import gc\n"
    "atexit.register(lambda: print('atexit ran, collector', 'on' if gc.isenabled() else 'paused', file=sys.stderr))\n"
    "from checker.cli import main\n"
    "sys.argv[0] = 'mtus'\n"
    "main()\n"
)


@pytest.mark.parametrize("args, code, at_once, collector", [
    (("check", "examples/seed-000.yaml"), 0, True, "paused"),
    (("check", "examples/seed-001.yaml", "--format", "json"), 0, True, "paused"),
    (("draft", "examples/seed-002.yaml", "--format", "markdown"), 0, True, "paused"),
    (("regress", "examples", "--jobs", "2"), 0, True, "on"),
    (("check", "examples/missing.yaml"), 2, False, "on"),
])
def test_commands_run_as_the_process_end_it_as_a_normal_exit_would(args, code, at_once, collector):
    """Run as the `mtus` process (main() with no arguments: the console script, python -m checker.cli),
    check, draft and regress end it at once after their output (checker.cli._end_process): the same
    output and exit code as run in-process, the atexit handlers run, and only the teardown (here a
    global's __del__) is skipped; a failing command exits as before. check and draft end it with the
    cycle collector still paused (no last collection of a heap the exit drops); a failing one turns
    it back on, as in-process."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _AS_THE_COMMAND, *args], capture_output=True, text=True, cwd=REPO, timeout=300)
    in_process = run(*args)
    assert done.returncode == in_process.exit_code == code
    assert done.stdout == in_process.stdout
    assert f"atexit ran, collector {collector}" in done.stderr and ("torn down" not in done.stderr) == at_once


def test_a_program_read_from_a_pickle_gives_the_compiled_probes_edition_by_edition():
    """Program.__reduce__ pickles each edition's probes apart, unpickled when first read: read back,
    a program gives the compiled program's probes edition by edition, one by one (in any order) and
    all at once, equals it, and pickles again to an equal program, whichever of its parts were read."""
    import pickle

    from checker.load.cache import _build
    from checker.load.ruleset import default_rules_dir

    _, compiled = _build(default_rules_dir())
    pickled = pickle.dumps(compiled, protocol=pickle.HIGHEST_PROTOCOL)
    editions = list(dict.fromkeys(probe.edition_key for probe in compiled.probes))
    assert len(editions) > 100 and len(compiled.probes) > 1000
    read = pickle.loads(pickled)
    assert "probes" not in read.__dict__  # nothing unpickled yet
    for key in editions[::-1]:
        assert read.edition_probes(key) == tuple(p for p in compiled.probes if p.edition_key == key) == compiled.edition_probes(key)
    assert read.edition_probes("no-such-edition") == compiled.edition_probes("no-such-edition") == ()
    rng = random.Random(8)
    for order in (list(range(len(compiled.probes))), rng.sample(range(len(compiled.probes)), len(compiled.probes))):
        one_by_one = pickle.loads(pickled)
        assert [one_by_one.probe(i) for i in order] == [compiled.probes[i] for i in order] == [compiled.probe(i) for i in order]
    for reader in (lambda p: None, lambda p: p.edition_probes(editions[3]), lambda p: p.probes):
        program = pickle.loads(pickled)
        reader(program)
        assert program == compiled and program.probes == compiled.probes and program.engine_json == compiled.engine_json
        assert pickle.loads(pickle.dumps(program)) == compiled and pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL) == pickled


def test_remembered_doses_are_the_plain_work_out(corpus, monkeypatch):
    """case.worked_out against work_out afresh, for every prescription the corpus's and the examples'
    request lines bring, read twice (the second time from memory, the same object); a small bound
    empties the memory and changes no answer."""
    from checker.load import case as case_module
    from checker.load.prescription import work_out

    ruleset = Checker(engine="reference").ruleset
    for memo in ("_parsed_lines", "_worked_out"):  # what earlier tests left must not decide which lines recur
        monkeypatch.delitem(ruleset.__dict__, memo, raising=False)
    prescriptions = []
    for path in regress.collect_case_files([corpus, EXAMPLES]):
        try:
            raw = case_module._read_case_yaml(Path(path))[1]
        except Exception:  # noqa: BLE001, S112 - the corpus's broken file
            continue
        for request in raw["requests"]:
            rx = case_module.parsed_request_line(str(request["text"]).strip(), ruleset)[1]
            prescriptions += [rx] if rx is not None and rx.drug else []
    assert len(prescriptions) > 60 and len({id(rx) for rx in prescriptions}) < len(prescriptions)  # lines recur
    monkeypatch.setattr(case_module, "MAX_REMEMBERED_LINES", 40)
    for rx in prescriptions + prescriptions:
        assert case_module.worked_out(rx, ruleset) == work_out(rx, ruleset.lexicon)
        assert case_module.worked_out(rx, ruleset) is case_module.worked_out(rx, ruleset)
        assert len(ruleset.__dict__["_worked_out"][1]) <= 40


def test_timeline_facts_kept_per_case_are_the_plain_ones(corpus):
    """derive.timeline_facts against the facts of _timeline made afresh, for the cases of the corpus and
    the examples read in turn, again and backwards; a case of other dates is never given the last one's."""
    from checker.derive import derive

    checker = Checker(engine="reference")
    cases = list(_corpus_cases(checker, corpus))
    seen = 0
    for case in cases + cases + cases[::-1]:
        plain = {name: derive.FactValue(found.value, "derived", derive._basis_text(found.basis)) for name, found in derive._timeline(case).items()}
        assert derive.timeline_facts(case) == plain and list(derive.timeline_facts(case)) == list(plain)
        seen += bool(plain)
    assert seen > 200


def test_a_request_line_is_read_alike_whether_drug_names_are_looked_for_first(corpus):
    """parse_request looks for the drug a line starts with only once the line is not a service's: the
    same reading as looking for it first (the lexicon's fuzzy memory as that order leaves it), for
    every request line of the corpus and the examples; a service's line needs no fuzzy search."""
    import re

    from checker.load.request_line import parse_request

    texts = []
    for path in regress.collect_case_files([corpus, EXAMPLES]):
        texts += [t.strip().strip('"') for t in re.findall(r"^\s*-?\s*text: (.*)$", Path(path).read_text(encoding="utf-8"), re.M)]
    lazy, eager = Checker(engine="reference").ruleset, Checker(engine="reference").ruleset
    services = 0
    for text in dict.fromkeys(texts):
        eager.lexicon.find_in_text(text)
        fuzzy_before = dict(lazy.lexicon._fuzzy)
        parsed = parse_request(text, lazy.lexicon, lazy.services)
        assert parsed == parse_request(text, eager.lexicon, eager.services), text
        if parsed[0].service:
            services += 1
            assert lazy.lexicon._fuzzy == fuzzy_before, text
    assert services > 20


def test_a_run_with_the_collector_set_for_it_reports_as_the_plain_collector_does_and_restores_it(corpus, monkeypatch, small_batches):
    """regress runs with the heap frozen and the young generation collected less often
    (collector_for_a_run): the same reports as with the collector as it was, serial and forked, and
    the collector as it was afterwards."""
    import contextlib
    import gc

    checker = Checker()
    before = (gc.get_threshold(), gc.get_freeze_count())
    tuned = [_reports(regress.regress(checker, [corpus], jobs=jobs)) for jobs in (1, 2)]
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
    tune = regress.collector_for_a_run
    monkeypatch.setattr(regress, "collector_for_a_run", contextlib.nullcontext)
    plain = [_reports(regress.regress(checker, [corpus], jobs=jobs)) for jobs in (1, 2)]
    assert tuned == plain and tuned[0] == tuned[1]
    gc.freeze()  # a caller's frozen heap is left frozen
    try:
        frozen = gc.get_freeze_count()
        with tune():
            assert gc.get_threshold()[0] == regress.YOUNG_COLLECTION_THRESHOLD
        assert (gc.get_threshold(), gc.get_freeze_count()) == (before[0], frozen)
    finally:
        gc.unfreeze()


def _renders_of_every_example(checker: Checker) -> list[str]:
    from checker.render.render import FORMAT_TEMPLATES, render

    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        result = checker.check(path)
        for kind, fmt in FORMAT_TEMPLATES:
            if kind in ("check", "draft", "information-request"):
                found.append(render(kind, fmt, {"report": result.report}))
    return found


def test_reports_rendered_with_keys_looked_up_at_once_are_jinjas_renders(monkeypatch):
    import jinja2

    from checker.render import render as render_module

    checker = Checker(registration="on_demand")
    fast = _renders_of_every_example(checker)
    monkeypatch.setattr(render_module, "_environment_class", lambda: jinja2.Environment)
    assert _renders_of_every_example(checker) == fast


def test_a_name_on_a_mapping_is_what_jinjas_getattr_finds():
    import jinja2

    from checker.render.render import environment

    fast, plain = environment(), jinja2.Environment(undefined=jinja2.StrictUndefined)
    assert type(fast) is not jinja2.Environment

    class Mapping(dict):
        decision = "an attribute"

    values = [{"decision": "upheld", "items": 3, "get": 1}, Mapping(decision="a key"), {}, {1: "one"}, ["a"], "text", None]
    for value in values:
        for name in ("decision", "items", "get", "keys", "__class__", "missing", "upper"):
            found, expected = fast.getattr(value, name), plain.getattr(value, name)
            if isinstance(expected, jinja2.Undefined):
                assert isinstance(found, jinja2.Undefined) and found._undefined_name == name and found._undefined_obj is value
            else:
                assert found == expected


def _rule_folders(tmp_path: Path) -> tuple[Path, ...]:
    """The packaged rules and cues, and a site folder with a nested folder, a folder linked in twice and a linked file."""
    from checker.load.ruleset import cues_dir, default_rules_dir

    site = tmp_path / "site"
    (site / "topics" / "deeper").mkdir(parents=True)
    (site / "topics" / "a.yaml").write_text("a: 1\n", encoding="utf-8")
    (site / "topics" / "deeper" / "b.yaml").write_bytes(b"")
    (site / "again").symlink_to(site / "topics")
    (site / "linked.yaml").symlink_to(site / "topics" / "a.yaml")
    return default_rules_dir(), site, cues_dir()


def test_the_rules_entry_named_from_digests_is_the_name_from_the_bytes(tmp_path, monkeypatch):
    folders = _rule_folders(tmp_path)
    files = cache.snapshot(folders)
    digests = cache.snapshot_digests(folders)
    assert files and list(digests) == list(files)
    assert digests == {path: hashlib.sha256(data).digest() for path, data in files.items()}
    assert cache.entry_name_of_digests(folders, digests) == cache.rules_entry_name(folders, files)
    monkeypatch.setattr(cache, "MAX_SNAPSHOT_BYTES", sum(map(len, files.values())) - 1)
    assert cache.snapshot(folders) is None and cache.snapshot_digests(folders) is None
    monkeypatch.undo()
    os.mkfifo(folders[1] / "pipe.yaml")  # not a regular file: left out by both, never waited on
    files = cache._snapshot_or_none(folders)
    assert list(cache._snapshot_or_none(folders, cache.snapshot_digests)) == list(files)
    assert str(folders[1] / "pipe.yaml") not in files


def test_a_rule_file_is_read_for_the_cache_as_read_bounded_reads_it(tmp_path, monkeypatch):
    from checker.base.errors import InputError

    folders = _rule_folders(tmp_path)
    for path in cache.snapshot(folders):
        assert cache._read_regular(path) == cache.plain_read_regular(path)
    os.mkfifo(tmp_path / "pipe.yaml")
    large = tmp_path / "large.yaml"
    large.write_bytes(b"x" * 101)
    monkeypatch.setattr(cache, "MAX_SNAPSHOT_BYTES", 100)
    for odd in (tmp_path / "pipe.yaml", large, tmp_path / "site", tmp_path / "missing.yaml"):
        for read in (cache._read_regular, cache.plain_read_regular):
            with pytest.raises((OSError, InputError)):
                read(str(odd))


def test_remembered_engine_answers_are_what_the_engine_fires(corpus, monkeypatch):
    """With remember_items, the durable evaluator answers an item asserted before with the same
    edition and tested facts from memory: the rules that fire are those of an evaluator sending every
    item to the engine, for every case of the corpus and the examples, each asked twice (the second
    time all from memory), and again with a memory small enough to be emptied along the way."""
    from checker.evaluate import engine

    checker = Checker(engine="reference")
    batches = _engine_batches(checker, corpus, 400) + _engine_batches(checker, EXAMPLES, 20)
    plain = engine.DurableEvaluator(checker.program)
    fired = [plain.evaluate(batch) for batch in batches]
    assert sum(map(len, fired)) > 500
    remembering = engine.DurableEvaluator(checker.program, remember_items=True)
    asserted = []
    take = remembering._fire
    monkeypatch.setattr(remembering, "_fire", lambda items, only: asserted.append(len(items)) or take(items, only))
    assert [remembering.evaluate(batch) for batch in batches] == fired
    first_pass = sum(asserted)
    assert [remembering.evaluate(batch) for batch in batches] == fired
    items = sum(map(len, batches))
    # the corpus repeats items, so the first pass asks the engine about fewer than it holds (how many
    # fewer depends on the rule set the corpus is drawn from); the second pass asks it about none
    assert 0 < first_pass < items and sum(asserted) == first_pass
    assert 0 < len(remembering._remembered) <= items  # those asserted, and those answered rule by rule
    monkeypatch.setattr(engine, "MAX_REMEMBERED_ITEMS", 40)
    small = engine.DurableEvaluator(checker.program, remember_items=True)
    assert [small.evaluate(batch) for batch in batches + batches] == fired + fired
    assert len(small._remembered) <= 40


def test_a_regression_run_remembers_engine_answers_with_the_plain_reports(corpus, monkeypatch, small_batches):
    """regress turns remember_items on for the durable evaluator it checks with (serial and forked
    workers alike); the reports are those of a run that sends every item to the engine, and the
    reference evaluator is left as it is."""
    checker = Checker()
    remembered = [_reports(regress.regress(checker, [corpus], jobs=jobs)) for jobs in (1, 2)]
    assert checker.evaluator.remember_items is True and checker.evaluator._remembered
    monkeypatch.setattr(regress, "remember_items", lambda evaluator: None)
    plain_checker = Checker()
    plain = [_reports(regress.regress(plain_checker, [corpus], jobs=jobs)) for jobs in (1, 2)]
    assert plain_checker.evaluator.remember_items is False
    assert remembered == plain and remembered[0] == remembered[1]
    reference = Checker(engine="reference").evaluator
    regress.remember_items(reference)
    assert not hasattr(reference, "remember_items")


def test_report_pieces_echoed_in_chunks_are_the_bytes_echoed_one_by_one(monkeypatch):
    """`mtus regress` echoes its report's pieces in chunks (cli.EchoedInChunks): the bytes click.echo
    writes for each piece in turn, escape codes stripped as click strips them from a piece (one split
    over two pieces stays half-stripped as before), empty pieces, pieces longer than a chunk."""
    import click
    from click.testing import CliRunner

    from checker import cli

    monkeypatch.setattr(cli.EchoedInChunks, "CHUNK_CHARS", 50)
    rng = random.Random(12)
    words = ["", "a", "line\n", "\x1b[31mred\x1b[0m", "\x1b[3", "1m", "é", "x" * 120, "\x1b", "[0m ok\n"]
    pieces = [rng.choice(words) for _ in range(400)]

    @click.command()
    @click.option("--chunked", is_flag=True)
    def write(chunked: bool) -> None:
        echoed = cli.EchoedInChunks() if chunked else (lambda piece: click.echo(piece, nl=False))
        for piece in pieces:
            echoed(piece)
        if chunked:
            echoed.flush()

    one_by_one = CliRunner().invoke(write, []).stdout_bytes
    assert CliRunner().invoke(write, ["--chunked"]).stdout_bytes == one_by_one
    assert b"\x1b" in one_by_one and b"red" in one_by_one and len(one_by_one) > 5000


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_regress_reports_echoed_in_chunks_are_those_echoed_piece_by_piece(corpus, monkeypatch, fmt):
    """The whole `mtus regress` report and exit code, chunked and echoed piece by piece."""
    from checker import cli

    chunked = run("regress", corpus, EXAMPLES, "--format", fmt, "--jobs", "1")

    class OneByOne(cli.EchoedInChunks):
        CHUNK_CHARS = 0  # every piece echoed at once, on its own

    monkeypatch.setattr(cli, "EchoedInChunks", OneByOne)
    plain = run("regress", corpus, EXAMPLES, "--format", fmt, "--jobs", "1")
    assert (chunked.exit_code, chunked.stdout_bytes) == (plain.exit_code, plain.stdout_bytes)
    assert chunked.exit_code == 2 and len(chunked.stdout_bytes) > 20000


def test_numbers_remembered_by_their_place_among_the_rules_numbers_fire_as_the_engine_fires_them(corpus):
    """The durable evaluator remembers an item's numbers by their type and their place among the
    numbers its edition's rules compare them with (memo_key): items whose numbers sit on, just below
    and just above each such number, as integers and as floats, fire from memory, and on a second
    pass all from memory, the rules the engine fires for each; two numbers between the same two of the
    rules' numbers share a key, one on a rule's number does not, and the order of an item's facts
    makes no other key."""
    from checker.evaluate import engine

    checker = Checker(engine="reference")
    items = [item for batch in _engine_batches(checker, corpus, 60) for item in batch]
    remembering = engine.DurableEvaluator(checker.program, remember_items=True)
    varied = []
    for key, values in items:
        for name, constants in engine.compared_numbers(checker.program.edition_probes(key)).items():
            for number in {edge for c in constants for edge in (c, int(c), float(c), c - 1, c + 1, c - 0.01, c + 0.5)} | {0, 10**6}:
                varied.append((key, {**values, name: number}))
    assert len(varied) > 1000
    batches = [varied[i:i + 6] for i in range(0, len(varied), 6)]
    plain = engine.DurableEvaluator(checker.program)
    fired = [plain.evaluate(batch) for batch in batches]
    assert [remembering.evaluate(batch) for batch in batches] == fired
    assert len(remembering._remembered) < len(varied)  # numbers alike against every rule shared an answer
    assert [remembering.evaluate(batch) for batch in batches] == fired
    key, values = next((k, v) for k, v in items if engine.compared_numbers(checker.program.edition_probes(k)))
    name, constants = next(iter(engine.compared_numbers(checker.program.edition_probes(key)).items()))
    above = constants[-1]
    assert remembering.memo_key(key, {**values, name: above + 1}) == remembering.memo_key(key, {**values, name: above + 2})
    assert remembering.memo_key(key, {**values, name: above}) != remembering.memo_key(key, {**values, name: above + 1})
    assert remembering.memo_key(key, {**values, name: float(above + 1)}) != remembering.memo_key(key, {**values, name: int(above + 1)})
    assert remembering.memo_key(key, dict(reversed(values.items()))) == remembering.memo_key(key, values)  # whatever the facts' order


def _varied_items(checker: Checker, batches: list[list[tuple[str, dict]]]) -> list[list[tuple[str, dict]]]:
    """Each item of the batches, then the same item once per fact its edition's rules test: that fact
    left out, a truth value turned over, a number moved past the rules' numbers, or a text changed; and
    once with every fact its rules test left out (an item no rule fires for)."""
    from checker.evaluate import engine

    varied = []
    for batch in batches:
        for key, values in batch:
            tested = engine.DurableEvaluator.tested_facts.__get__(_TestedOnly(checker.program))(key)
            items = [(key, values), (key, {k: v for k, v in values.items() if k not in tested})]
            for name in sorted(tested):
                value = values.get(name)
                items.append((key, {k: v for k, v in values.items() if k != name}))
                if isinstance(value, bool):
                    items.append((key, {**values, name: not value}))
                elif isinstance(value, (int, float)):
                    items.append((key, {**values, name: value + 1000}))
                elif isinstance(value, str):
                    items.append((key, {**values, name: value + "x"}))
            varied.append(items)
    return varied


class _TestedOnly:
    """What DurableEvaluator.tested_facts reads of an evaluator, without registering any rule."""

    def __init__(self, program) -> None:
        self.program = program
        self._tested = {}


def test_engine_answers_remembered_rule_by_rule_are_what_the_engine_fires(corpus, monkeypatch):
    """With remember_items, an item whose whole facts were never asserted is answered rule by rule
    when each rule of its edition met facts alike in what it tests before (rule_keys): the rules that
    fire are those of an evaluator sending every item to the engine, for every case of the corpus and
    the examples and for their items varied fact by fact (a fact left out, turned over, moved past the
    rules' numbers), asked twice, and again with memories small enough to be emptied along the way;
    many items are answered rule by rule, and changing one fact changes the keys of the rules testing
    it alone."""
    from checker.evaluate import engine

    checker = Checker(engine="reference")
    batches = _engine_batches(checker, corpus, 400) + _engine_batches(checker, EXAMPLES, 20)
    batches += _varied_items(checker, batches[:80])
    plain = engine.DurableEvaluator(checker.program)
    fired = [plain.evaluate(batch) for batch in batches]
    remembering = engine.DurableEvaluator(checker.program, remember_items=True)
    by_rules = []
    answer = remembering.answered_by_rules
    monkeypatch.setattr(remembering, "answered_by_rules", lambda keys: by_rules.append(answer(keys)) or by_rules[-1])
    assert [remembering.evaluate(batch) for batch in batches] == fired
    assert [remembering.evaluate(batch) for batch in batches] == fired
    answered = [rules for rules in by_rules if rules is not None]
    assert len(answered) > 200 and any(answered) and () in answered
    monkeypatch.setattr(engine, "MAX_REMEMBERED_RULES", 50)
    monkeypatch.setattr(engine, "MAX_REMEMBERED_ITEMS", 20)
    small = engine.DurableEvaluator(checker.program, remember_items=True)
    assert [small.evaluate(batch) for batch in batches + batches] == fired + fired
    assert len(small._rule_answers) <= 50 + max(len(keys) for keys in small._rules_of.values())
    key, values = next((k, v) for batch in batches for k, v in batch if any(isinstance(x, bool) for x in v.values()))
    name = next(n for n, x in values.items() if isinstance(x, bool) and n in remembering.tested_facts(key))
    before = remembering.rule_keys(remembering.memo_key(key, values))
    after = remembering.rule_keys(remembering.memo_key(key, {**values, name: not values[name]}))
    place = remembering.tested_names(key).index(name)
    testing = {rule for rule, places in remembering._rules_of[key] if place in places}
    assert testing and {b[0] for b, a in zip(before, after, strict=True) if b != a} == testing


def _bases_in_records(derive, case, lexicon, vocabulary) -> dict[str, dict[str, str]]:
    """Per fact an equivalent may document, what derive's remembered reading of the case's records documents it by
    ({} when nothing)."""
    bases: dict[str, dict[str, str]] = {name: {} for name, _ in derive.documented_by(vocabulary)}
    bases.update((name, basis) for name, basis, _ in derive._records_read(case, lexicon, vocabulary)[0])
    return bases


def test_diagnosis_bases_remembered_by_the_diagnoses_are_those_read_afresh(corpus, monkeypatch):
    """derive remembers what a list of diagnoses documents by an equivalent, per vocabulary and by the
    diagnoses themselves: for every case of the corpus, read in turn and again, and with a bound small
    enough to empty the memory along the way, the bases are those read from the case's own records
    (_basis_in_records), and a fact a medication documents is still found when no diagnosis does."""
    from checker.derive import derive

    for bound in (derive.MAX_REMEMBERED_DIAGNOSES, 3):
        monkeypatch.setattr(derive, "MAX_REMEMBERED_DIAGNOSES", bound)
        checker = Checker(engine="reference")  # a rule set of its own: its memory starts empty
        ruleset = checker.ruleset
        cases = list(_corpus_cases(checker, corpus))
        for case in cases + cases[::-1]:
            plain = {name: derive._basis_in_records(case, ruleset.lexicon, eq) for name, eq in derive.documented_by(ruleset.vocabulary)}
            assert _bases_in_records(derive, case, ruleset.lexicon, ruleset.vocabulary) == plain
        assert len(ruleset.vocabulary._bases_in_diagnoses[1]) <= bound
    by_medication = [c for c in cases if any("medication" in b for b in _bases_in_records(derive, c, ruleset.lexicon, ruleset.vocabulary).values())]
    by_diagnosis = [c for c in cases if any("diagnosis" in b for b in _bases_in_records(derive, c, ruleset.lexicon, ruleset.vocabulary).values())]
    assert by_medication and by_diagnosis
    assert len({c.diagnoses for c in cases}) < len(cases)  # the corpus's cases share diagnosis lists


@pytest.mark.parametrize("odd_name", ["", "(left) knee"])
def test_names_are_found_from_runs_of_letters_as_the_regex_finds_them(odd_name):
    """services.NameFinder tries a name only where a run of letters and digits is the start of a first
    word, and at every letter when a name starts with another character: the mentions the regex of
    every name finds, whether names touch, are cut, or hide inside longer words."""
    import re

    from checker.load.services import NameFinder

    by_name = {"h-wave unit": "h", "h-wave": "h", "knee": "k", "knee brace": "kb", "l4-5": "l", "left knee": "lk", "tens unit": "t"}
    if odd_name:
        by_name[odd_name] = "odd"
    finder = NameFinder(by_name)
    assert finder.by_runs is not bool(odd_name)
    rng = random.Random(5)
    pieces = [*by_name, "kneel", "xknee", "h-", "wave", "unit", "l4", "-5", "4-5", "(", ")", " ", "  ", "\t", "/", ",", "2", "mg", "#90"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(3000)]
    for text in texts + [t.upper() for t in texts[:300]]:
        plain = [(by_name[re.sub(r"\s+", " ", m.group(0).lower())], m.start(), m.end()) for m in finder.regex.finditer(text)]
        assert [(m.key, m.start, m.end) for m in finder.mentions(text)] == plain, text


@pytest.mark.parametrize("bound", [None, 5])
def test_items_decided_alike_are_decided_as_afresh(corpus, monkeypatch, bound):
    """decide(ordered=False) decides an item of one unit as the last item of the same edition and
    statuses was: for every case of the corpus and the examples, read twice (the second time mostly
    from memory), the decision, the deciding criteria and those to follow up (the item's own, in the
    same order) are plain_decide's; and with a bound small enough to empty the memory along the way."""
    from checker.decide import decide as deciding
    from checker.evaluate import evaluate

    if bound is not None:
        monkeypatch.setattr(deciding, "MAX_DECIDED_ALIKE", bound)
    deciding._DECIDED_ALIKE.clear()
    deciding._decided_alike_count[0] = 0
    checker = Checker()
    cases = list(_corpus_cases(checker, corpus))

    def shown(items):
        return [(i.decision, [r.criterion for r in i.decisive], [r.criterion for r in i.follow_up]) for i in items]

    plain = deciding.plain_decide
    afresh_count = []
    monkeypatch.setattr(deciding, "plain_decide", lambda item, ordered=True: afresh_count.append(1) or plain(item, ordered))
    for _ in range(2):
        for case in cases:
            remembered = checker.decide_case(case, details=False, ordered=False)
            with monkeypatch.context() as m:
                m.setattr(evaluate, "decide", plain)
                assert shown(remembered) == shown(checker.decide_case(case, details=False, ordered=False))
            for item in remembered:  # the item's own criteria
                own = {id(r) for r in item.criteria}
                assert {id(r) for r in item.decisive} <= own and {id(r) for r in item.follow_up} <= own
    items = 2 * sum(len(case.requests) for case in cases)
    if bound is None:
        assert len(afresh_count) < items / 2  # most items were decided from memory
    assert deciding._decided_alike_count[0] <= (bound or deciding.MAX_DECIDED_ALIKE)


def test_level_marks_counted_in_one_pass_are_the_counts_of_each_mark(corpus):
    """yamldepth.level_marks (one pass over an ASCII text's bytes) against plain_level_marks (str.count of
    each mark) for the corpus's files, the examples and the rule files, every ASCII character, and random
    texts of marks, other characters and non-ASCII ones; and first_line_deeper_than answers as with the
    plain count for texts on either side of the limit."""
    from checker.base import yamldepth

    texts = [Path(p).read_text(encoding="utf-8") for p in regress.collect_case_files([corpus, EXAMPLES])]
    texts += [p.read_text(encoding="utf-8") for p in sorted((REPO / "rules").rglob("*.yaml"))]
    texts += [chr(code) for code in range(128)] + ["", "- - - [", "\u00e9:-", "\uff1a\uff3b"]
    rng = random.Random(20)
    pieces = ["[", "{", "-", ":", "?", "]", "}", "a", " ", "\n", "- ", "k: ", "\u00e9", "\u2028", "\U0001f600", "\x85"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 200))) for _ in range(3000)]
    counted = [yamldepth.level_marks(t) for t in texts]
    assert counted == [yamldepth.plain_level_marks(t) for t in texts]
    assert any(c > 100 for c in counted) and sum(not t.isascii() for t in texts) > 1000
    for limit in (1, 3, 10, 100):
        fast = [yamldepth.first_line_deeper_than(t, limit) for t in texts[-500:]]
        with pytest.MonkeyPatch.context() as m:
            m.setattr(yamldepth, "level_marks", yamldepth.plain_level_marks)
            assert fast == [yamldepth.first_line_deeper_than(t, limit) for t in texts[-500:]]


def test_strength_tokens_are_the_patterns_matches(corpus):
    """lexicon.is_strength_token (the pattern asked only of a word ending with '%') against the pattern
    alone, for every word of the corpus's and the examples' request lines, and words at its edges
    (non-ASCII digits, a lone '%', decimals, a '%' inside a word)."""
    checker = Checker(engine="reference")
    words = {w for _, request in _corpus_requests(checker, corpus) for w in lexicon._TOKEN.findall(request.text)}
    words |= {"%", "5%", "5.5%", "5.%", ".5%", "5%%", "a5%", "5%a", "\u0665%", "\u0665\u0660%", "10/20%", "5 %", "x", "#3"}
    assert any(lexicon.plain_is_strength_token(w) for w in words) and len(words) > 200
    for word in words:
        assert lexicon.is_strength_token(word) == lexicon.plain_is_strength_token(word), word


def test_texts_without_a_slash_are_their_own_split_combinations(corpus, repo_ruleset):
    """Lexicon._split_unknown_combinations answers a text without a slash with the text itself; the same
    text as reading every token (plain_split_unknown_combinations) for the corpus's and the examples'
    request lines, and random texts of names joined by slashes or not."""
    lexicon = repo_ruleset.lexicon
    checker = Checker(engine="reference")
    lines = [request.text for _, request in _corpus_requests(checker, corpus)]
    names = sorted(lexicon._spelled.values())
    rng = random.Random(20)
    pieces = names[::5] + ["/", "10/325 mg", "5%", "20%/", "and", "cream", "#90"]
    lines += ["".join(rng.choice(pieces) + rng.choice(("/", " ", "")) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    split = [lexicon._split_unknown_combinations(line) for line in lines]
    assert split == [lexicon.plain_split_unknown_combinations(line) for line in lines]
    assert sum(s != line for s, line in zip(split, lines, strict=True)) > 100 and sum("/" not in line for line in lines) > 500


def test_facts_documented_by_equivalents_read_only_where_something_may_document_them(corpus):
    """documented_by_equivalent reads only the facts the case's records document or other facts may
    document, with the remembered bases of facts' values looked up once: for the items of every case of
    the corpus and the examples, read in turn and again, with the facts derived, with each fact an
    equivalent may document already stated, with odd values of the facts the tests read, and without
    them, the same facts in the same order as reading every fact (plain_documented_by_equivalent)."""
    from checker.derive import derive

    checker = Checker(engine="reference")
    ruleset = checker.ruleset
    vocabulary = ruleset.vocabulary
    documentable = [name for name, _ in derive.documented_by(vocabulary)]
    read = {other for _, e in derive.documented_by(vocabulary) for other in e.facts}
    assert read
    cases = list(_corpus_cases(checker, corpus))
    found = skipped = 0
    for case in cases + cases[::-1]:
        for request in case.requests:
            facts = derive.derive_item_facts(case, request, ruleset.lexicon, ruleset.services, {})
            variants = [facts, {k: v for k, v in facts.items() if k not in read and k not in documentable}]
            variants += [{**facts, name: derive.fact_value(False)} for name in documentable]
            variants += [{**facts, **{other: derive.fact_value(value) for other in read}} for value in (True, False, 2, 0, 2.0, -0.0, None)]
            for given in variants:
                fast = derive.documented_by_equivalent(case, ruleset.lexicon, vocabulary, given)
                plain = derive.plain_documented_by_equivalent(case, ruleset.lexicon, vocabulary, given)
                assert list(fast.items()) == list(plain.items())
                found += len(fast)
                skipped += len(derive._records_read(case, ruleset.lexicon, vocabulary)[0]) < len(documentable)
    assert found > 1000 and skipped > 1000


def test_drugs_alongside_read_once_per_case_are_those_read_for_every_item(corpus):
    """derive._alongside reads the case's requested and current drugs of a class once per case: for every
    request of the corpus and the examples (cases read in turn and again), as itself and as each drug it is
    judged as, of every drug class the lexicon knows, systemic or not, and in the same case without its
    medication list, the same count and basis as reading them for every item (plain_alongside)."""
    import dataclasses

    from checker.derive import derive
    from checker.evaluate import evaluate

    checker = Checker(engine="reference")
    ruleset = checker.ruleset
    lexicon = ruleset.lexicon
    classes = sorted({c for drug in lexicon.drugs.values() for c in drug.classes})
    assert {"opioid", "nsaid", "muscle_relaxant"} <= set(classes)
    cases = list(_corpus_cases(checker, corpus))
    cases += [dataclasses.replace(case, medications=None) for case in cases[:100]]
    counted = 0
    for case in cases + cases[::-1]:
        for request in case.requests:
            asked = [(request, "")]
            asked += [(derive._as_ingredient(request, drug, lexicon), request.drug) for drug in evaluate.judged_parts(ruleset, request)[0]]
            for item, product in asked:
                for drug_class in classes:
                    for systemic_only in (False, True):
                        fast = derive._alongside(case, item, lexicon, drug_class, systemic_only, product)
                        assert fast == derive.plain_alongside(case, item, lexicon, drug_class, systemic_only, product)
                        counted += fast is not None and fast.value > 0
    assert counted > 1000


def test_facts_documented_by_equivalents_or_a_decision_without_bases_are_the_same_facts(corpus):
    """derive_item_facts(bases=False) leaves the source of the facts documented by an equivalent and of the
    procedure's decision empty too: for every request of the corpus and the examples, with the procedure it
    serves decided each way (or not decided), the same facts in the same order, values and origins as with
    their bases, only those sources empty; and the facts so emptied are many and of both kinds."""
    from checker.base.outcomes import MEDICALLY_NECESSARY, NOT_MEDICALLY_NECESSARY
    from checker.derive import derive

    checker = Checker()
    ruleset = checker.ruleset
    emptied: dict[str, int] = {}
    for case, request in _corpus_requests(checker, corpus):
        for decision in ("", MEDICALLY_NECESSARY, NOT_MEDICALLY_NECESSARY):
            decided = {request.associated_with: decision} if decision and request.associated_with else {}
            args = (case, request, ruleset.lexicon, ruleset.services, decided, "", ruleset.vocabulary)
            full, bare = derive.derive_item_facts(*args), derive.derive_item_facts(*args, bases=False)
            assert list(full) == list(bare)
            for name, fact in full.items():
                assert (fact.value, fact.origin, fact.reason, fact.evidence) == (bare[name].value, bare[name].origin, bare[name].reason, bare[name].evidence)
                assert bare[name].source == fact.source or (bare[name].source == "" and fact.origin == "derived")
                if bare[name].source != fact.source:
                    emptied[name] = emptied.get(name, 0) + 1
    documented = {name for name, _ in derive.documented_by(ruleset.vocabulary)}
    assert emptied.get("procedure_medically_necessary", 0) > 10
    assert sum(count for name, count in emptied.items() if name in documented and name != "procedure_medically_necessary") > 300


def test_derived_facts_made_unfrozen_are_those_made_frozen(corpus, monkeypatch):
    """derive.Derived is a plain dataclass, not a frozen one (set up in half the time): with Derived frozen
    again, as it was, every request of the corpus and the examples (and each ingredient of a compound)
    derives the same facts in the same order, with and without bases, and nothing changes a Derived once
    made (a frozen one would refuse); a Derived has the frozen one's fields, repr and equality."""
    import dataclasses
    from typing import Any

    from checker.derive import derive
    from checker.evaluate import evaluate

    frozen = dataclasses.make_dataclass("Derived", [("value", Any), ("basis", dict)], frozen=True)
    checker = Checker()
    ruleset = checker.ruleset
    asked = []
    for case, request in _corpus_requests(checker, corpus):
        for ingredient in ("", *evaluate.judged_parts(ruleset, request)[0]):
            for bases in (True, False):
                asked.append((case, request, ruleset.lexicon, ruleset.services, {}, ingredient, ruleset.vocabulary, bases))
    fast = [derive.derive_item_facts(*args) for args in asked]
    with monkeypatch.context() as m:
        m.setattr(derive, "Derived", frozen)
        derive._last_bases.clear()
        derive._last_case_answers.clear()
        plain = [derive.derive_item_facts(*args) for args in asked]
    assert [list(f.items()) for f in fast] == [list(p.items()) for p in plain] and len(asked) > 500
    assert [f.name for f in dataclasses.fields(derive.Derived)] == [f.name for f in dataclasses.fields(frozen)]
    for value, basis in ((1, {"text": "x"}), (True, {}), (None, {"a": 1, "b": "2"})):
        assert repr(derive.Derived(value, basis)) == repr(frozen(value, basis))
        assert dataclasses.asdict(derive.Derived(value, basis)) == dataclasses.asdict(frozen(value, basis))
        assert derive.Derived(value, basis) == derive.Derived(value, dict(basis)) and derive.Derived(value, basis) != derive.Derived(2, basis)


def test_derived_facts_without_bases_shared_by_value_are_those_made_afresh(corpus, monkeypatch):
    """derive._bare_fact keeps one FactValue per derived value of a keyed type (a truth value, a whole number,
    a text): for every request of the corpus and the examples, with the bound and with a bound small enough
    to empty the memory along the way, the facts derived without bases are fact_value(value, "derived") of
    the same values and types; values equal but written otherwise (1, 1.0, True; 0.0, -0.0) keep their own."""
    from checker.derive import derive
    from checker.evaluate import evaluate

    checker = Checker()
    ruleset = checker.ruleset
    for bound in (derive.MAX_BARE_FACTS, 2):
        monkeypatch.setattr(derive, "MAX_BARE_FACTS", bound)
        derive._bare_facts.clear()
        shared = 0
        for case, request in _corpus_requests(checker, corpus):
            for ingredient in ("", *evaluate.judged_parts(ruleset, request)[0]):
                facts = derive.derive_item_facts(case, request, ruleset.lexicon, ruleset.services, {}, ingredient, ruleset.vocabulary, False)
                for fact in facts.values():
                    if fact.origin == "derived" and fact.source == "":
                        assert fact == derive.fact_value(fact.value, "derived") and fact.__dict__ == derive.fact_value(fact.value, "derived").__dict__
                        shared += derive._bare_facts.get((fact.value.__class__, fact.value)) is fact
        assert shared > (400 if bound > 2 else 50) and len(derive._bare_facts) <= bound
    for value in (1, 1.0, True, 0, 0.0, -0.0, False, None, "1", (1,), float("nan")):
        made = derive._bare_fact(value)
        assert made.value.__class__ is value.__class__ and repr(made.value) == repr(value) and (made.origin, made.source) == ("derived", "")
    assert derive._bare_fact(1).value is not True and derive._bare_fact(True).value is True and derive._bare_fact(-0.0) is not derive._bare_fact(-0.0)


def test_fact_value_bases_kept_with_the_case_records_are_the_vocabularys(corpus):
    """The last case's record bases hold the vocabulary's remembered bases of other facts' values: for every
    case of the corpus and the examples, the memo _records_read gives is _fact_bases_memo's, and a new one
    once the vocabulary's facts are replaced, with the same documented facts as reading every fact; and
    _basis_in_fact_values reads the facts of an equivalent of several, each stated, absent or of another
    type (a float among truth values), as _basis_in_facts reads their values."""
    import dataclasses
    import itertools

    from checker.derive import derive

    checker = Checker(engine="reference")
    ruleset = checker.ruleset
    vocabulary = ruleset.vocabulary
    cases = list(_corpus_cases(checker, corpus))
    for _ in range(2):
        for case in cases:
            assert derive._records_read(case, ruleset.lexicon, vocabulary)[1] is derive._fact_bases_memo(vocabulary)
            for request in case.requests:
                facts = derive.derive_item_facts(case, request, ruleset.lexicon, ruleset.services, {})
                fast = derive.documented_by_equivalent(case, ruleset.lexicon, vocabulary, facts)
                assert list(fast.items()) == list(derive.plain_documented_by_equivalent(case, ruleset.lexicon, vocabulary, facts).items())
        held = derive._fact_bases_memo(vocabulary)
        vocabulary = dataclasses.replace(vocabulary, facts=dict(vocabulary.facts))
        assert derive._fact_bases_memo(vocabulary) is not held
    tested = [e for _, e in derive.documented_by(vocabulary) if e.tests]
    several = dataclasses.replace(tested[0], facts=tuple(f for e in tested for f in e.facts), tests=tuple(t for e in tested for t in e.tests))
    assert len(several.facts) >= 3
    odd = (None, True, False, 2, 0, 2.0, "absent")
    for values in itertools.product(odd, repeat=len(several.facts)):
        given = {name: derive.fact_value(value) for name, value in zip(several.facts, values, strict=True) if value != "absent"}
        read = {name: fact.value for name, fact in given.items()}
        basis = derive._basis_in_fact_values(vocabulary, "several", several, given)
        assert basis == derive._basis_in_fact_values(vocabulary, "several", several, given) == derive._basis_in_facts(several, read)


def test_timeline_facts_without_bases_are_the_plain_ones_without_sources(corpus):
    """derive.timeline_facts(case, bases=False), as a regression run derives them: the facts of _timeline
    made afresh with no source, the same values of the same types in the same order, for the cases of the
    corpus and the examples read in turn, again and backwards, each asked with and without bases in turn,
    so that neither is ever given the other's."""
    from checker.derive import derive

    checker = Checker(engine="reference")
    cases = list(_corpus_cases(checker, corpus))
    seen = 0
    for case in cases + cases + cases[::-1]:
        plain = {name: derive.FactValue(found.value, "derived", derive._basis_text(found.basis)) for name, found in derive._timeline(case).items()}
        for _ in range(2):
            bare = derive.timeline_facts(case, bases=False)
            assert list(bare) == list(plain) and all(f.source == "" for f in bare.values())
            assert [(f.value, f.value.__class__, f.origin, f.reason, f.evidence) for f in bare.values()] == [
                (f.value, f.value.__class__, f.origin, f.reason, f.evidence) for f in plain.values()]
            assert derive.timeline_facts(case) == plain
        seen += bool(plain)
    assert seen > 200


def test_facts_documenting_a_case_read_once_are_those_read_fact_by_fact(corpus):
    """derive._records_read reads a fact's medications only when its diagnoses document nothing and it has
    medication classes: for every case of the corpus and the examples, read in turn and again, and the same
    cases without their medication list or with none of it current, the facts (in order), their bases and
    equivalents are those of reading each fact's diagnoses and medications afresh (_basis_in_records),
    keeping those documented or with tests; and some are documented by a medication, some by a diagnosis."""
    import dataclasses

    from checker.derive import derive

    checker = Checker(engine="reference")
    ruleset = checker.ruleset
    vocabulary = ruleset.vocabulary
    cases = list(_corpus_cases(checker, corpus))
    cases += [dataclasses.replace(case, medications=None) for case in cases[:50]]
    cases += [dataclasses.replace(case, medications=tuple(dataclasses.replace(m, status="past") for m in case.medications or ())) for case in cases[:50]]
    kinds = set()
    for case in cases + cases[::-1]:
        plain = []
        for name, equivalents in derive.documented_by(vocabulary):
            basis = derive._basis_in_records(case, ruleset.lexicon, equivalents)
            if basis or equivalents.tests:
                plain.append((name, basis, equivalents))
        assert derive._records_read(case, ruleset.lexicon, vocabulary)[0] == tuple(plain)
        kinds.update(key for _, basis, _ in plain for key in basis if key in ("diagnosis", "medication"))
    assert kinds == {"diagnosis", "medication"}


def test_remembered_directions_and_forms_are_those_read_afresh(corpus, monkeypatch):
    """read_prescription remembers what the words after a drug's name and strength say (_directions) and the
    form of a line without its name (_form_in_rest): for the corpus's and the examples' request lines, random
    lines of directions, and again with a small bound that empties the memory, every prescription read is the one
    read with plain_directions and form_in_text afresh (each part equal and of the same types), and the memory is
    used (lines share their directions)."""
    import yaml

    from checker.load import prescription
    from checker.load.request_line import parse_request

    ruleset = Checker(engine="reference").ruleset
    lines = []
    for path in regress.collect_case_files([corpus, EXAMPLES]):
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text) if "[unclosed" not in text else None
        lines += [r.get("text") for r in (data or {}).get("requests") or [] if isinstance(r, dict) and isinstance(r.get("text"), str)]
    rng = random.Random(22)
    names = ["Norco", "Lidoderm", "gabapentin", "ibuprofen cream", "Duragesic", "tramadol ER", "", "Tylenol #3"]
    pieces = ["10/325 mg", "5%", "25 mcg/hr", "1-2 tabs", "po", "q4-6h", "prn", "TID", "#60", "#1 tube", "2 refills", "x 30 days",
              "max 4 tabs a day", "120 mL", "5 mL", "patch", "gel", "qty 90", "apply", "twice daily", "for 2 weeks", "one", "(2)"]
    lines += [" ".join([rng.choice(names)] + [rng.choice(pieces) for _ in range(rng.randint(0, 6))]) for _ in range(2000)]
    plain_read = prescription.read_prescription

    def afresh(text, found, lexicon):
        with monkeypatch.context() as patch:
            patch.setattr(prescription, "_directions", prescription.plain_directions)
            patch.setattr(prescription, "_form_in_rest", prescription.form_in_text)
            return plain_read(text, found, lexicon)

    def both(text, found, lexicon):
        remembered, plain = plain_read(text, found, lexicon), afresh(text, found, lexicon)
        assert remembered == plain, text
        assert [type(getattr(remembered, f)) for f in vars(remembered)] == [type(getattr(plain, f)) for f in vars(plain)], text
        return remembered

    monkeypatch.setattr(prescription, "read_prescription", both)
    monkeypatch.setattr("checker.load.request_line.read_prescription", both)
    for bound in (prescription.MAX_REMEMBERED_DIRECTIONS, 7):
        monkeypatch.setattr(prescription, "MAX_REMEMBERED_DIRECTIONS", bound)
        prescription._directions_read.clear()
        prescription._forms_read.clear()
        for line in lines + lines[::-1]:
            parse_request(line, ruleset.lexicon, ruleset.services)
            assert len(prescription._directions_read) <= bound and len(prescription._forms_read) <= bound
    assert len(lines) > 2200
    rests = [" 5 g apply TID", " 5 g apply TID #2", " 30 g tube", " 5 mL q6h 120 mL", " 2 tabs 20 count", *(line.split(" ", 1)[-1] for line in lines[-300:])]
    for rest in rests + rests:
        for form in prescription.DOSE_UNITS:
            assert prescription._directions(rest, form) == prescription.plain_directions(rest, form), (rest, form)
    prescription._directions_read.clear()
    for line in lines:
        parse_request(line, ruleset.lexicon, ruleset.services)
    assert 0 < len(prescription._directions_read) < len(set(lines)) / 2


def test_the_deciding_topic_read_once_is_the_plain_one(corpus):
    """ItemResult.deciding_topic reads the item's main unit once (and check_file the deciding topic once an
    item): for every decided item of the corpus and the examples, and for each with its own topic taken away
    (then the gate's, when it has a rule), the topic of the plain definition."""
    import dataclasses

    checker = Checker(engine="reference")
    seen = gated = 0
    for case in _corpus_cases(checker, corpus):
        for item in checker.decide_case(case, details=False, ordered=False):
            variants = [item, dataclasses.replace(item, units=[dataclasses.replace(u, topic=None) if u.role != "gate" else u for u in item.units])]
            for variant in variants:
                plain = variant.main.topic if variant.main.topic is not None else next(
                    (u.topic for u in variant.units if u.role == "gate" and u.edition is not None), None)
                assert variant.deciding_topic is plain
                gated += plain is not None and variant is not item
            seen += 1
    assert seen > 300 and gated > 0


def test_topic_tables_made_once_a_topic_are_those_of_the_plain_count(corpus):
    """Tally._add_to_topic makes a topic's confusion table only for a topic not met before and names a cell from
    a table of decision pairs: every pair's cell is the one _short names, and the tables of a run over the corpus
    and the examples are those counted plainly from its results."""
    from checker.base.outcomes import DECISIONS

    for expected in (*DECISIONS, "other", ""):
        for actual in (*DECISIONS, "other", ""):
            named = regress._CELLS.get((expected, actual)) or f"{regress._short(expected)}_{regress._short(actual)}"
            assert named == f"{regress._short(expected)}_{regress._short(actual)}"
    run_ = regress.regress(Checker(engine="reference"), [corpus, EXAMPLES], jobs=1)
    try:
        plain: dict[str, dict[str, int]] = {}
        for result in run_.results:
            row = plain.setdefault(result["actual"]["topic"] or regress.NO_TOPIC, dict.fromkeys(regress.CONFUSION_CELLS, 0))
            row["items"] += 1
            row[f"{regress._short(result['expected']['decision'])}_{regress._short(result['actual']['decision'])}"] += 1
            if result["citation_agree"] is not None:
                row["citation_checked"] += 1
                row["citation_agree"] += result["citation_agree"]
        assert run_.tally.topics == plain and list(run_.tally.topics) == list(plain) and len(plain) > 20
    finally:
        run_.close()


def test_compiled_guarded_patterns_answer_as_the_plain_patterns(corpus):
    """Every guarded pattern of the request-line reader, the prescription reader and derive, compiled, keeps its
    guard (round twenty-two): over the corpus's and the examples' request lines, each in upper case, random texts of
    the needed words and texts not ASCII, its search, match, fullmatch, findall and finditer (with a start
    position too) answer as the plain pattern's."""
    import re

    from checker.base.patterns import LazyPattern
    from tests.test_startup import GUARDED

    lines = []
    for path in regress.collect_case_files([corpus, EXAMPLES]):
        lines += [t.strip().strip('"') for t in re.findall(r"^\s*-?\s*text: (.*)$", Path(path).read_text(encoding="utf-8"), re.M)]
    lines = list(dict.fromkeys(lines))
    rng = random.Random(22)
    words = sorted({word for pattern in GUARDED for word in pattern.needs})
    texts = lines + [line.upper() for line in lines[:100]] + ["", "\u212a", "é prn", "PRE-OP"]
    texts += [" ".join(rng.choice(words + ["1", "2 tabs", "#60", "x", "for", "q6h", "\u212a", "é"]) for _ in range(rng.randint(1, 6))) for _ in range(1000)]
    assert len(GUARDED) >= 35 and len(lines) > 150
    for pattern in GUARDED:
        lazy, plain = LazyPattern(pattern.pattern, pattern.flags, pattern.needs), re.compile(pattern.pattern, pattern.flags)
        lazy.compiled()
        assert "sub" in vars(lazy) and vars(lazy)["search"] != plain.search  # compiled, the guard kept
        for text in texts:
            for start in (0, 2):
                assert [m.span() for m in lazy.finditer(text, start)] == [m.span() for m in plain.finditer(text, start)], (pattern.pattern, text)
                found, expected = lazy.search(text, start), plain.search(text, start)
                assert (found and found.span()) == (expected and expected.span()), (pattern.pattern, text)
            assert lazy.findall(text) == plain.findall(text)
            assert (lazy.match(text) is None) == (plain.match(text) is None) and (lazy.fullmatch(text) is None) == (plain.fullmatch(text) is None)


def test_parts_a_case_leaves_out_are_read_as_the_plain_reading_reads_them(repo_ruleset):
    """case._reviewer, case._divergences and case._ingredients answer at once for a part the case leaves out (no
    reviewer, no known divergence, a request line naming no compound and no ingredients: field): for every such
    value a file may hold, the answers of the plain reading (the functions' own code before, kept here)."""
    from checker.base.fields import require_list, require_mapping
    from checker.load import case as case_module
    from checker.load.request_line import parse_request_line

    def plain_reviewer(raw):
        reviewer = require_mapping(raw or {}, "p", "reviewer")
        return tuple(tuple(reviewer.get(key) or []) for key in case_module._REVIEWER_KEYS)

    def plain_divergences(raw):
        return tuple(require_list(raw or [], "p", "known_divergences"))

    for raw in (None, {}, [], "", 0, False, 0.0, ()):
        assert case_module._reviewer(raw, "p") == plain_reviewer(raw) == ((), ())
        assert case_module._divergences(raw, None, "p") == plain_divergences(raw) == ()
    for line in ("Norco 10/325 mg #90", "physical therapy x 6", "Flurbiprofen 20%/Lidocaine 5% cream #1", "compound ketoprofen 10% cream"):
        parsed = parse_request_line(line, repo_ruleset.lexicon, repo_ruleset.services)
        plain = tuple(case_module.Ingredient(case_module.resolve_drug(repo_ruleset, i.drug, "p", "w"), i.drug, i.strength) for i in parsed.ingredients)
        for raw in ({}, {"ingredients": None}):
            assert case_module._ingredients(raw, parsed, repo_ruleset, "p", "w") == plain
    assert case_module._reviewer({"specialty": "orthopedics"}, "p") == (("orthopedics",), ())  # a reviewer given: read as before


def test_expected_entries_without_citations_made_once_are_those_made_afresh(corpus, monkeypatch):
    """case._expected_entry gives an entry without citations the Expected made for the first entry alike (frozen):
    for every case of the corpus and the examples, loaded twice and with a small bound that empties the memory,
    each expected entry equals the plain Expected of its values, field by field and of the same types; alike
    entries share one object; an entry with citations, or whose decision is not plain text, is made afresh."""
    import dataclasses

    from checker.load import case as case_module

    checker = Checker(engine="reference")
    for bound in (case_module.MAX_REMEMBERED_EXPECTED, 3):
        monkeypatch.setattr(case_module, "MAX_REMEMBERED_EXPECTED", bound)
        case_module._expected_entries.clear()
        shared = 0
        for case in list(_corpus_cases(checker, corpus)) * 2:
            for item, found in case.expected.items():
                plain = case_module.Expected(found.item, found.decision, found.citations, found.non_mtus, found.no_citation)
                assert found == plain and found.item == item
                assert [type(v) for v in vars(found).values()] == [type(v) for v in vars(plain).values()]
                shared += found is case_module._expected_entries.get((found.item, found.decision, found.non_mtus, found.no_citation))
            assert len(case_module._expected_entries) <= bound
        assert shared > 100 or bound < 10
    cited = (case_module.Citation("g", "2009", "s", "1"),)
    assert case_module._expected_entry("item1", "medically_necessary", cited, False, False).citations == cited

    class Text(str):
        pass

    made = case_module._expected_entry("item1", Text("medically_necessary"), (), False, False)
    assert type(made.decision) is Text and dataclasses.astuple(made) == ("item1", "medically_necessary", (), False, False)
