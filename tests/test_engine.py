"""The durable_rules wrapper: each known engine trap has a test that would catch it, and the engine
agrees with the plain-Python reference evaluator."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from pathlib import Path

import durable_rules_engine
import pytest

from checker.api import Checker
from checker.compiler import ITEM_TAG, compile_program, durable_definition
from checker.engine import DurableEvaluator, SyncHost
from checker.errors import EngineError

REPO = Path(__file__).resolve().parent.parent


def _edition_items(ruleset, make_facts):
    return [(e.key, make_facts(e)) for t in ruleset.topics for e in t.editions]


def test_every_engine_pattern_is_tagged_as_an_item(repo_program):
    # A pattern of only $nex tests matches durable's own state fact and loops forever (trap 2).
    definition = durable_definition(repo_program, [lambda c: None] * (len(repo_program.probes) + 1))
    for name, rule in definition.items():
        pattern = rule["all"][0]["m"]
        if name == "guard":
            assert pattern == {"t": "__guard"}
        else:
            assert pattern["$and"][0] == {"t": ITEM_TAG}


def test_no_background_dispatch_threads(repo_program):
    # The stock Host re-arms timer threads that run actions behind the caller (trap 3).
    before = {t.ident for t in threading.enumerate()}
    evaluator = DurableEvaluator(repo_program)
    evaluator.evaluate([("opioids@cpmtg-2009", {"functional_improvement": True})])
    after = [t for t in threading.enumerate() if t.ident not in before]
    assert after == []
    assert isinstance(evaluator._host, SyncHost)


def test_items_matching_no_rule_do_not_crash_fresh_rulesets():
    # Deleting a session in which no action ran frees uninitialised memory (trap 1): a crash shows
    # as a signal in the child process, so run fresh rulesets in one.
    script = (
        "from checker.api import Checker\n"
        "from checker.engine import DurableEvaluator\n"
        "c = Checker()\n"
        "for _ in range(40):\n"
        "    ev = DurableEvaluator(c.program.__class__(c.program.probes, str(_) + c.program.digest))\n"
        "    assert ev.evaluate([('no-such-topic@x', {'age': 40})]) == set()\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_errors_inside_actions_are_raised_not_swallowed(repo_program):
    # durable_rules stores an action's exception in the session state and carries on (trap 6).
    class Broken(DurableEvaluator):
        def _recorder(self, probe_index):
            def act(c):
                raise RuntimeError("boom")

            return act if probe_index == 0 else super()._recorder(probe_index)

    program = repo_program.__class__(repo_program.probes, "broken" + repo_program.digest)
    evaluator = Broken(program)
    probe = program.probes[0]
    facts = _facts_firing(probe)
    with pytest.raises(EngineError, match="boom"):
        evaluator.evaluate([(probe.edition_key, facts)])


def _facts_firing(probe):
    from checker.conditions import evaluate, tests

    facts = {}
    for _, fact, _op, value in tests(probe.condition):
        candidates = list(value) if isinstance(value, tuple) else [value]
        if isinstance(value, bool):
            candidates = [value, not value]
        elif isinstance(value, (int, float)):
            candidates = [value, value - 1, value + 1]
        for candidate in candidates:
            facts[fact] = candidate
            if evaluate(probe.condition, facts):
                return facts
    assert evaluate(probe.condition, facts), probe
    return facts


def test_more_cases_than_the_live_session_cap(durable_evaluator):
    # A ruleset holds at most 1,024 live sessions (trap 5): every case must release its session.
    for i in range(1100):
        durable_evaluator.evaluate([("carisoprodol@cpmtg-2009", {"days_supply": float(i % 40)})])


def test_null_is_not_documented_not_false(repo_ruleset, durable_evaluator, reference_evaluator, repo_program):
    # durable treats null as present (trap 7); the wrapper drops it so it reads "not documented".
    probes = {p.index: p for p in repo_program.probes}
    for evaluator in (durable_evaluator, reference_evaluator):
        hits = evaluator.evaluate([("opioids@cpmtg-2009", {"functional_improvement": None, "drug": "oxycodone"})])
        fired = {(probes[p].criterion_id, probes[p].outcome) for p, _ in hits}
        assert ("opioids.cpmtg2009.activities_of_daily_living", "not_met") not in fired
        assert ("opioids.cpmtg2009.activities_of_daily_living", "met") not in fired


def test_durable_quirks_this_wrapper_relies_on_are_still_there():
    # Pinned engine behaviour: if an upgrade changes it, the assumptions above need review.
    host = SyncHost()
    seen = []
    host.register_rulesets({"probe": {
        "text_vs_number": {"all": [{"m": {"$and": [{"t": "p"}, {"$gt": {"n": 21}}]}}], "run": lambda c: seen.append(("gt21", c.m["k"]))},
        "neq_missing": {"all": [{"m": {"$and": [{"t": "p"}, {"$neq": {"flag": True}}]}}], "run": lambda c: seen.append(("neq", c.m["k"]))},
    }})
    handle = host.get_ruleset("probe")._handle
    facts = [{"t": "p", "k": "str100", "n": "100", "flag": False}, {"t": "p", "k": "missing"}, {"t": "p", "k": "num100", "n": 100}]
    _, offset = durable_rules_engine.assert_facts(handle, __import__("json").dumps([dict(f, sid="s") for f in facts]))
    host.get_ruleset("probe").do_actions(offset, lambda e, s: None)
    host.get_ruleset("probe").delete_state("s")
    assert ("gt21", "num100") in seen
    assert ("gt21", "str100") not in seen  # "100" > 21 compares as text: why facts are type-checked
    assert ("neq", "missing") not in seen  # a missing attribute never matches, not even $neq
    assert ("neq", "str100") in seen


def test_durable_and_reference_agree_on_examples():
    durable, reference = Checker(engine="durable"), Checker(engine="reference")
    for path in sorted((REPO / "examples").glob("*.yaml")):
        left = durable.check(path).report
        right = reference.check(path).report
        left["engine"] = right["engine"] = "any"
        assert left == right, path.name


def test_durable_and_reference_agree_on_random_items(repo_ruleset, repo_program, durable_evaluator, reference_evaluator):
    rng = random.Random(20261123)
    vocabulary = repo_ruleset.vocabulary.facts
    editions = [e.key for t in repo_ruleset.topics for e in t.editions]
    drugs = sorted(repo_ruleset.lexicon.drugs)

    def random_value(fact):
        if rng.random() < 0.3:
            return None
        if fact.type == "boolean":
            return rng.random() < 0.5
        if fact.type == "string":
            return rng.choice(drugs)
        top = fact.maximum if fact.maximum is not None else 60
        value = rng.uniform(fact.minimum or 0, top)
        return int(value) if fact.type == "integer" else rng.choice([round(value, 1), float(int(value))])

    for _ in range(150):
        batch = []
        for _ in range(rng.randint(1, 5)):
            facts = {name: random_value(f) for name, f in vocabulary.items()}
            batch.append((rng.choice(editions), facts))
        assert durable_evaluator.evaluate(batch) == reference_evaluator.evaluate(batch)


def test_compiled_program_is_deterministic(repo_ruleset):
    assert compile_program(repo_ruleset).digest == compile_program(repo_ruleset).digest
