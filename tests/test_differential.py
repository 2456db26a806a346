"""Differential test: the durable_rules evaluator and the plain-Python reference evaluator of the same
compiled rules must agree everywhere, so an engine quirk (type coercion, missing attributes, firing
order, a lost action) surfaces as a failure here.

Compared: the full check report of every item of every test case (examples/ and the per-criterion
fixtures in tests/rules/), under both engine scopes (every rule registered, or only the case's
editions); randomized items straight at the evaluators, with values on and around every threshold
the rules test; and a randomized synthetic corpus of whole case files (benchmarks/corpus.py).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from test_rule_fixtures import FIXTURES

from benchmarks.corpus import CaseWriter, plan, to_yaml
from benchmarks.synth_rules import write_synthetic_rules
from checker.api import Checker
from checker.evaluate.engine import DurableEvaluator
from checker.load.conditions import tests as condition_tests

REPO = Path(__file__).resolve().parent.parent
SEED = 20261123


@pytest.fixture(scope="module")
def checkers() -> dict[str, Checker]:
    return {
        "durable": Checker(engine="durable"),
        "durable-on-demand": Checker(engine="durable", registration="on_demand"),
        "reference": Checker(engine="reference"),
    }


def _reports_agree(checkers: dict[str, Checker], path: Path) -> None:
    reports = {}
    for name, checker in checkers.items():
        if name == "durable-on-demand":
            checker = Checker.from_state(checker.state())  # a fresh evaluator: registers this case's editions only
        report = checker.check(path).report
        report["engine"] = "any"
        reports[name] = report
    first = reports.pop("reference")
    for name, report in reports.items():
        assert report == first, f"{path.name}: {name} and reference differ"


def _example_and_fixture_cases(tmp_path: Path) -> list[Path]:
    paths = sorted((REPO / "examples").glob("*.yaml"))
    for fixture in FIXTURES:
        path = tmp_path / f"{fixture.topic}--{fixture.name}.yaml"
        path.write_text(yaml.safe_dump(fixture.case, sort_keys=False, allow_unicode=True), encoding="utf-8")
        paths.append(path)
    return paths


def test_engines_agree_on_every_example_and_fixture_case(checkers, tmp_path):
    paths = _example_and_fixture_cases(tmp_path)
    assert len(paths) > len(FIXTURES) > 0
    for path in paths:
        _reports_agree(checkers, path)


def test_engines_agree_on_a_synthetic_corpus(checkers, tmp_path):
    ruleset = checkers["reference"].ruleset
    corpus_plan = plan(ruleset)
    writer = CaseWriter(ruleset, corpus_plan, random.Random(SEED))
    rng = random.Random(SEED + 1)
    decisions = set()
    for number in range(150):
        path = tmp_path / f"case-{number}.yaml"
        path.write_text(to_yaml(writer.case(number, rng.randint(1, 6))), encoding="utf-8")
        _reports_agree(checkers, path)
        decisions |= {item.decision for item in checkers["reference"].decide_case(checkers["reference"].load(path))}
    # the corpus is only a good test if it reaches every decision
    assert decisions == {"medically_necessary", "not_medically_necessary", "no_applicable_rule"}


def test_engines_agree_on_a_large_synthetic_rule_set(tmp_path, monkeypatch):
    # Hundreds of engine rules over service topics and several editions: the size the rules are growing to.
    monkeypatch.setenv("MTUS_CACHE_DIR", str(tmp_path / "cache"))
    base = Checker(engine="reference").ruleset
    rules = tmp_path / "rules"
    write_synthetic_rules(base, REPO / "rules", rules, topics=8)
    checkers = {
        "durable": Checker(rules, engine="durable"),
        "durable-on-demand": Checker(rules, engine="durable", registration="on_demand"),
        "reference": Checker(rules, engine="reference"),
    }
    assert len(checkers["reference"].program.probes) > 400
    corpus_plan = plan(checkers["reference"].ruleset)
    assert {g.topic.topic for g in corpus_plan.generatable} >= {f"synthetic_{n:02d}" for n in range(8)}
    writer = CaseWriter(checkers["reference"].ruleset, corpus_plan, random.Random(SEED + 3))
    for number in range(60):
        path = tmp_path / f"case-{number}.yaml"
        path.write_text(to_yaml(writer.case(number, 1 + number % 6)), encoding="utf-8")
        _reports_agree(checkers, path)


def _thresholds(program) -> dict[str, list]:
    """Every value a rule compares a fact with, and its neighbours: where coercion quirks would show."""
    found: dict[str, set] = {}
    for probe in program.probes:
        for _, fact, _, value in condition_tests(probe.condition):
            for v in value if isinstance(value, tuple) else (value,):
                near = found.setdefault(fact, set())
                near.add(v)
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    near.update({v - 1, v + 1, v - 0.1, v + 0.1, float(v), int(v)})
    return {fact: sorted(values, key=repr) for fact, values in found.items()}


def test_engines_agree_on_random_items(repo_ruleset, repo_program, durable_evaluator, reference_evaluator):
    rng = random.Random(SEED)
    vocabulary = repo_ruleset.vocabulary.facts
    editions = sorted({p.edition_key for p in repo_program.probes}) + ["no-such-topic@x"]
    drugs = sorted(repo_ruleset.lexicon.drugs)
    near = _thresholds(repo_program)

    def random_value(fact):
        roll = rng.random()
        if roll < 0.25:
            return None
        if roll < 0.6 and fact.name in near:
            return rng.choice(near[fact.name])
        if fact.type == "boolean":
            return rng.random() < 0.5
        if fact.type == "string":
            return rng.choice(list(fact.values) or drugs)
        top = fact.maximum if fact.maximum is not None else 60
        value = rng.uniform(fact.minimum or 0, top)
        return int(value) if fact.type == "integer" else rng.choice([round(value, 1), float(int(value))])

    fired = 0
    for _ in range(600):
        batch = [(rng.choice(editions), {name: random_value(f) for name, f in vocabulary.items()}) for _ in range(rng.randint(1, 6))]
        expected = reference_evaluator.evaluate(batch)
        assert durable_evaluator.evaluate(batch) == expected, batch
        fired += len(expected)
    assert fired > 1000  # the items exercise the rules, not just the guard


def test_engine_scopes_agree_on_random_items(repo_program, reference_evaluator):
    rng = random.Random(SEED + 2)
    by_edition: dict[str, list] = {}
    for probe in repo_program.probes:
        by_edition.setdefault(probe.edition_key, []).append(probe)
    for _ in range(20):
        on_demand = DurableEvaluator(repo_program, registration="on_demand")
        for _ in range(5):
            items = []
            for key in rng.sample(sorted(by_edition), rng.randint(1, len(by_edition))):
                facts = {}
                for probe in rng.sample(by_edition[key], min(3, len(by_edition[key]))):
                    for _, fact, _op, value in condition_tests(probe.condition):
                        facts[fact] = value[0] if isinstance(value, tuple) else value
                items.append((key, facts))
            assert on_demand.evaluate(items) == reference_evaluator.evaluate(items)
