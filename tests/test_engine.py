"""The durable_rules wrapper: each known engine trap has a test that would catch it. Agreement with
the plain-Python reference evaluator is tests/test_differential.py."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import durable_rules_engine
import pytest

from checker.evaluate.engine import DurableEvaluator
from checker.load.compiler import GUARD_RULE, ITEM_TAG, compile_program, durable_definition

REPO = Path(__file__).resolve().parent.parent


def _edition_items(ruleset, make_facts):
    return [(e.key, make_facts(e)) for t in ruleset.topics for e in t.editions]


def test_every_engine_pattern_is_tagged_as_an_item(repo_program):
    # A pattern of only $nex tests matches durable's own state fact and loops forever (trap 2).
    definition = durable_definition(repo_program.probes)
    assert len(definition) == len(repo_program.probes) + 1
    for name, rule in definition.items():
        pattern = rule["all"][0]["m"]
        if name == GUARD_RULE:
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


def test_items_matching_no_rule_do_not_crash_fresh_rulesets():
    # Deleting a session in which no action ran frees uninitialised memory (trap 1): a crash shows
    # as a signal in the child process, so run fresh rulesets in one.
    script = (
        "from checker.api import Checker\n"
        "from checker.evaluate.engine import DurableEvaluator\n"
        "c = Checker()\n"
        "for _ in range(40):\n"
        "    ev = DurableEvaluator(c.program.__class__(c.program.probes, str(_) + c.program.digest))\n"
        "    assert ev.evaluate([('no-such-topic@x', {'age': 40})]) == set()\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_an_error_while_taking_actions_is_raised_and_the_session_released(repo_program):
    # durable_rules' own Promise swallows action errors into the state (trap 6); this wrapper runs no
    # Python inside the engine, so an error is raised, and the session is still deleted (trap 5).
    class BreaksOnce(DurableEvaluator):
        broken = True

        def _take_actions(self, state_offset):
            if self.broken:
                self.broken = False
                durable_rules_engine.start_action_for_state(self._handle, state_offset)
                raise RuntimeError("boom")
            return super()._take_actions(state_offset)

    program = repo_program.__class__(repo_program.probes, "broken" + repo_program.digest)
    evaluator = BreaksOnce(program)
    probe = program.probes[0]
    facts = _facts_firing(probe)
    with pytest.raises(RuntimeError, match="boom"):
        evaluator.evaluate([(probe.edition_key, facts)])
    assert (probe.index, 0) in evaluator.evaluate([(probe.edition_key, facts)])


def test_on_demand_registration_registers_only_the_editions_a_case_needs(repo_program, durable_evaluator):
    editions = sorted({p.edition_key for p in repo_program.probes})
    evaluator = DurableEvaluator(repo_program, registration="on_demand")
    assert evaluator.registered_editions is None and evaluator._handle is None
    first = [p for p in repo_program.probes if p.edition_key == editions[0]][0]
    facts = _facts_firing(first)
    assert evaluator.evaluate([(first.edition_key, facts)]) == durable_evaluator.evaluate([(first.edition_key, facts)])
    assert evaluator.registered_editions == {editions[0]}
    other = [p for p in repo_program.probes if p.edition_key == editions[-1]][0]
    other_facts = _facts_firing(other)
    batch = [(first.edition_key, facts), (other.edition_key, other_facts)]
    assert evaluator.evaluate(batch) == durable_evaluator.evaluate(batch)
    assert evaluator.registered_editions is None  # a second set of editions: the whole program


def _facts_firing(probe):
    from checker.load.conditions import evaluate, tests

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
        assert ("opioids.activities_of_daily_living", "not_met") not in fired
        assert ("opioids.activities_of_daily_living", "met") not in fired


def test_durable_quirks_this_wrapper_relies_on_are_still_there():
    # Pinned engine behaviour: if an upgrade changes it, the assumptions above need review.
    import json

    rules = {
        "text_vs_number": {"all": [{"m": {"$and": [{"t": "p"}, {"$gt": {"n": 21}}]}}]},
        "neq_missing": {"all": [{"m": {"$and": [{"t": "p"}, {"$neq": {"flag": True}}]}}]},
    }
    handle = durable_rules_engine.create_ruleset("probe-quirks", json.dumps(rules))
    facts = [{"t": "p", "k": "str100", "n": "100", "flag": False}, {"t": "p", "k": "missing"}, {"t": "p", "k": "num100", "n": 100}]
    _, offset = durable_rules_engine.assert_facts(handle, json.dumps([dict(f, sid="s") for f in facts]))
    seen = []
    state, message = durable_rules_engine.start_action_for_state(handle, offset)
    while message:
        ((rule, matched),) = json.loads(message).items()
        seen.append((rule, matched["m"]["k"]))
        durable_rules_engine.update_state(handle, state)
        message = durable_rules_engine.complete_and_start_action(handle, offset)
    durable_rules_engine.delete_state(handle, "s")
    durable_rules_engine.delete_ruleset(handle)
    assert ("text_vs_number", "num100") in seen
    assert ("text_vs_number", "str100") not in seen  # "100" > 21 compares as text: why facts are type-checked
    assert ("neq_missing", "missing") not in seen  # a missing attribute never matches, not even $neq
    assert ("neq_missing", "str100") in seen


def test_nested_conjunctions_are_spliced_within_the_engine_limit():
    # durable_rules refuses a rule whose disjunction holds too many nested $and (error 113): a not_in
    # inside an all is compiled into the all's own conjunction, so a ladder of them still registers.
    import json

    from checker.load.compiler import to_durable
    from checker.load.conditions import parse_condition

    values = [f"v{i}" for i in range(16)]
    ladder = {"any": [{"all": [{"fact": "kind", "not_in": values[:i]}, {"fact": "n", "lte": i}]} for i in range(1, 13)]}
    compiled = to_durable(parse_condition(ladder, "test", "ladder"))
    first = compiled["$or"][0]["$and"]
    assert first == [{"$neq": {"kind": "v0"}}, {"$lte": {"n": 1}}]
    rules = {"ladder": {"all": [{"m": {"$and": [{"t": "p"}, compiled]}}]}}
    handle = durable_rules_engine.create_ruleset("probe-ladder", json.dumps(rules))
    durable_rules_engine.delete_ruleset(handle)


def test_compiled_program_is_deterministic(repo_ruleset):
    assert compile_program(repo_ruleset).digest == compile_program(repo_ruleset).digest


_TINY_NUMBERS_CASE = """schema: mtus-case/1
case: tiny-numbers
title: numbers json.dumps writes with an exponent
claimant: {age: 50, sex: female}
dates: {injury: 2014-04-10, request: 2016-11-20}
diagnoses: [lumbar radiculopathy]
facts:
  radiculopathy: true
  prior_esi: true
  prior_esi_relief_weeks: 0.000000001
  prior_esi_pain_relief_percent: 0.00000001
requests:
  - {id: esi, text: "Repeat lumbar epidural steroid injection L4-5"}
"""


def test_numbers_json_writes_with_an_exponent_reach_the_engine_in_positional_digits(tmp_path):
    """durable_rules reads no number in exponent notation (json.dumps writes 1e-09 so): a case with such a
    number crashed its C engine. Checked in a child process, which a crash would end, against the
    reference evaluator's report."""
    case = tmp_path / "tiny.yaml"
    case.write_text(_TINY_NUMBERS_CASE)
    reports = {}
    for engine in ("durable", "reference"):
        command = [sys.executable, "-c", "from checker.cli import main; main()", "check", str(case), "--format", "json", "--engine", engine]
        run = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
        assert run.returncode == 0, (engine, run.returncode, run.stderr[-300:])
        reports[engine] = run.stdout.replace('"engine": "reference"', '"engine": "durable_rules"')
    assert reports["durable"] == reports["reference"]


def test_engine_json_writes_floats_in_positional_digits_and_nothing_else_changes():
    from checker.evaluate.engine import engine_json

    facts = [{"a": 1e-09, "b": "x1e-5", "c": [2e20, 0.5], "d": True, "e": None}]
    assert engine_json(facts) == '[{"a":0.000000001,"b":"x1e-5","c":[200000000000000000000,0.5],"d":true,"e":null}]'
    assert engine_json([{"a": 3, "b": 0.25}]) == '[{"a": 3, "b": 0.25}]'
