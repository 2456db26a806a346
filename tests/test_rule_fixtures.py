"""Rule fixtures: small YAML cases per topic (tests/rules/<topic>.yaml) with the statuses they must get.

Each fixture states only what differs from its file's defaults (checker/measure/coverage.py, fixture_case;
the JSON Schema is checker/schemas/rule-fixtures.schema.json):

    topic: carisoprodol
    defaults:                         # optional: case fields every fixture starts from
      claimant: {age: 45}
      dates: {injury: 2012-03-01}
    cases:
      met_all_new_start:              # unique within the file; the test id is <topic>::<name>
        description: why the case ends as it does, in plain English
        period: 2014-02-11            # the request date (the edition in force then decides)
        request: "Soma 350 mg TID #21"        # the one requested item (id 'item'): its text, or a
                                              # mapping {text: ..., new_start: true, ...}
        facts: {acute_muscle_spasm: true}     # added to the case's facts
        case: {medications: [{drug: Naproxen, status: current}]}  # optional: merged key by key over
                                      # the defaults; `case: {requests: [...]}` for several requests
        item: surgery_clearance       # optional: the request id to check when the case holds several
                                      # (e.g. an associated service whose decision follows the surgery)
        expect:
          decision: medically_necessary                      # optional
          criteria:                                          # criterion id -> expected status
            carisoprodol.no_long_term_use: met
        xfail_reason: "..."           # optional: a known bug in checker/ or rules/ (strict xfail)

Every fixture runs through both engines (durable_rules and the plain-Python reference evaluator),
which must give the expected statuses and decision, and agree with each other on every criterion.
Two further tests check that the fixtures cover every criterion in every status it can take and
both decisions for every topic. Loading and running fixtures is library code (checker/measure/coverage.py),
shared with `mtus rules coverage`, which reports the same coverage from the statuses the runs confirm.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.measure.coverage import (
    FixtureRun,
    RuleFixture,
    fixture_files,
    load_fixtures,
    run_fixture,
    seen_in_expectations,
    topic_coverage,
)

FIXTURE_DIR = Path(__file__).resolve().parent / "rules"
FIXTURES = load_fixtures(FIXTURE_DIR)
PASSING = [f for f in FIXTURES if not f.xfail_reason]


def _params() -> list:
    params = []
    for fixture in FIXTURES:
        marks = [pytest.mark.xfail(reason=fixture.xfail_reason, strict=True)] if fixture.xfail_reason else []
        params.append(pytest.param(fixture, id=fixture.test_id, marks=marks))
    return params


def _explain(run: FixtureRun) -> str:
    fixture = run.fixture
    lines = [f"{fixture.test_id} ({fixture.description.strip()})", *(f"  {problem}" for problem in run.problems)]
    if run.observations:
        lines.append(f"  facts: {run.observations[0].facts}")
    return "\n".join(lines)


@pytest.mark.parametrize("fixture", _params())
def test_rule_fixture(fixture: RuleFixture, repo_ruleset, repo_program, durable_evaluator, reference_evaluator) -> None:
    """The fixture's topic and criteria exist, its case holds one request (or names the item), and both
    engines give the expected topic, statuses and decision and agree on every criterion."""
    engines = (durable_evaluator, reference_evaluator)
    run = run_fixture(fixture, repo_ruleset, repo_program, engines)
    assert not run.problems, _explain(run)
    assert [o.engine for o in run.observations] == [e.engine_name for e in engines], _explain(run)


def test_every_topic_has_a_fixture_file(repo_ruleset) -> None:
    topics = {t.topic for t in repo_ruleset.topics}
    files = {p.stem for p in fixture_files(FIXTURE_DIR)}
    assert not topics - files, f"topics without tests/rules/<topic>.yaml: {', '.join(sorted(topics - files))}"
    assert not files - topics, f"fixture files for unknown topics: {', '.join(sorted(files - topics))}"


def test_every_criterion_has_met_not_met_not_documented_fixtures(repo_ruleset) -> None:
    """Every criterion is shown met, not_met and not_documented (and not_applicable when it can be)."""
    rows = topic_coverage(repo_ruleset, seen_in_expectations(FIXTURES))
    missing = [f"{c['id']}: {', '.join(c['missing'])}" for row in rows for c in row["criteria"] if c["missing"]]
    assert not missing, "no passing fixture expects these statuses (add cases to tests/rules/<topic>.yaml):\n  " + "\n  ".join(missing)


def test_every_topic_has_necessary_and_not_necessary_fixtures(repo_ruleset) -> None:
    rows = topic_coverage(repo_ruleset, seen_in_expectations(FIXTURES))
    missing = [f"{row['topic']}: no fixture expects {wanted}" for row in rows for wanted in row["missing_decisions"]]
    assert not missing, "\n".join(missing)
