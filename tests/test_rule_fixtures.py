"""Rule fixtures: small YAML cases per topic (tests/rules/<topic>.yaml) with the statuses they must get.

Each fixture file is shaped like this:

    topic: carisoprodol
    cases:
      met_all_new_start:              # unique within the file; the test id is <topic>::<name>
        description: why the case ends as it does, in plain English
        case: {...}                   # a complete case file body (mtus-case/1)
        expect:
          item: brace                                        # the request checked; needed when the case has several

          decision: medically_necessary                      # optional
          criteria:                                          # criterion id -> expected status
            carisoprodol.cpmtg2009.no_long_term_use: met
            topical.x[gabapentin]: not_met                   # id[ingredient] for one ingredient of a compound
        xfail_reason: "..."           # optional: a known bug in checker/ or rules/ (strict xfail)

Every fixture runs through both engines (durable_rules and the plain-Python reference evaluator),
which must give the expected statuses and decision, and agree with each other on every criterion.
Two further tests check that the fixtures cover every criterion in every status it can take and
both decisions for every topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker.case import load_case
from checker.decide import decide
from checker.evaluate import STATUSES, evaluate_case

FIXTURE_DIR = Path(__file__).resolve().parent / "rules"
DECISIONS = ("medically_necessary", "not_medically_necessary", "no_applicable_rule")
_FILE_KEYS = {"topic", "cases"}
_FIXTURE_KEYS = {"description", "case", "expect", "xfail_reason"}
_EXPECT_KEYS = {"item", "decision", "criteria"}
# 'text: Soma 350 mg BID #60' unquoted: YAML reads ' #60' as a comment and the quantity is lost.
_HASH_IN_PLAIN_TEXT = re.compile(r"^\s*(?:-\s+)?text:\s+[^\"'|>\s][^#]*\s#\s*\d")


class FixtureFileError(ValueError):
    """A fixture file that is not shaped as the module docstring describes."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise FixtureFileError(f"line {key_node.start_mark.line + 1}: key {key!r} is given twice")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


@dataclass(frozen=True)
class RuleFixture:
    path: Path
    topic: str
    name: str
    description: str
    case: dict
    decision: str | None
    criteria: dict[str, str]
    xfail_reason: str
    item: str = ""

    @property
    def test_id(self) -> str:
        return f"{self.topic}::{self.name}"


def _mapping(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise FixtureFileError(f"{where}: expected a mapping, found {type(value).__name__}")
    return value


def _check_keys(value: dict, allowed: set[str], where: str, required: set[str] = frozenset()) -> None:
    unknown = sorted(str(k) for k in set(value) - allowed)
    if unknown:
        raise FixtureFileError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    lacking = sorted(required - set(value))
    if lacking:
        raise FixtureFileError(f"{where}: missing key(s) {', '.join(lacking)}")


def load_fixture_file(path: Path) -> list[RuleFixture]:
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if _HASH_IN_PLAIN_TEXT.match(line):
            raise FixtureFileError(f"{path}:{number}: unquoted request text holding ' #' (YAML drops the rest as a comment); quote it")
    try:
        loaded = yaml.load(text, Loader=_UniqueKeyLoader)
    except FixtureFileError as error:
        raise FixtureFileError(f"{path}: {error}") from None
    data = _mapping(loaded, str(path))
    _check_keys(data, _FILE_KEYS, str(path), required=_FILE_KEYS)
    topic = str(data["topic"])
    if topic != path.stem:
        raise FixtureFileError(f"{path}: topic {topic!r} does not match the file name; name the file {topic}.yaml")
    fixtures = []
    for name, body in _mapping(data["cases"], f"{path}: cases").items():
        where = f"{path}: cases.{name}"
        body = _mapping(body, where)
        _check_keys(body, _FIXTURE_KEYS, where, required={"description", "case", "expect"})
        expect = _mapping(body["expect"], f"{where}.expect")
        _check_keys(expect, _EXPECT_KEYS, f"{where}.expect")
        decision = expect.get("decision")
        if decision is not None and decision not in DECISIONS:
            raise FixtureFileError(f"{where}.expect.decision: unknown decision {decision!r}; use one of {', '.join(DECISIONS)}")
        criteria = {str(k): v for k, v in _mapping(expect.get("criteria") or {}, f"{where}.expect.criteria").items()}
        for criterion_id, status in criteria.items():
            if status not in STATUSES:
                raise FixtureFileError(f"{where}.expect.criteria.{criterion_id}: bad status {status!r}; use one of {', '.join(STATUSES)}")
        if decision is None and not criteria:
            raise FixtureFileError(f"{where}.expect: expect a decision, criterion statuses or both")
        fixtures.append(RuleFixture(
            path=path,
            topic=topic,
            name=str(name),
            description=str(body["description"]),
            case=_mapping(body["case"], f"{where}.case"),
            decision=decision,
            criteria=criteria,
            item=str(expect.get("item") or ""),
            xfail_reason=str(body.get("xfail_reason") or ""),
        ))
    return fixtures


def load_all_fixtures() -> list[RuleFixture]:
    return [f for path in sorted(FIXTURE_DIR.glob("*.yaml")) for f in load_fixture_file(path)]


FIXTURES = load_all_fixtures()
PASSING = [f for f in FIXTURES if not f.xfail_reason]


def _params() -> list:
    params = []
    for fixture in FIXTURES:
        marks = [pytest.mark.xfail(reason=fixture.xfail_reason, strict=True)] if fixture.xfail_reason else []
        params.append(pytest.param(fixture, id=fixture.test_id, marks=marks))
    return params


def _statuses(item: Any) -> dict[str, str]:
    """criterion id -> status, and id[ingredient] -> status for the ingredients of a compound."""
    found = {}
    for result in item.criteria:
        found.setdefault(result.criterion.id, result.status)
        if result.subject:
            found[f"{result.criterion.id}[{result.subject}]"] = result.status
    return found


def _describe_facts(item: Any) -> str:
    return ", ".join(f"{name}={fact.value!r}" for name, fact in sorted(item.facts.items()))


@pytest.mark.parametrize("fixture", _params())
def test_rule_fixture(fixture: RuleFixture, tmp_path: Path, repo_ruleset, repo_program, durable_evaluator, reference_evaluator) -> None:
    topic = next((t for t in repo_ruleset.topics if t.topic == fixture.topic), None)
    assert topic is not None, f"{fixture.path}: no topic {fixture.topic!r} in the rule set"
    known = {c.id for t, _, c in repo_ruleset.criteria() if t.topic == fixture.topic}
    unknown = sorted({k.split("[")[0] for k in fixture.criteria} - known)
    assert not unknown, f"{fixture.test_id}: criteria not in topic {fixture.topic}: {', '.join(unknown)}"

    case_file = tmp_path / f"{fixture.name}.yaml"
    case_file.write_text(yaml.safe_dump(fixture.case, sort_keys=False, allow_unicode=True), encoding="utf-8")
    case = load_case(case_file, repo_ruleset)
    ids = [r.id for r in case.requests]
    wanted = fixture.item in ids if fixture.item else len(ids) == 1
    assert wanted, f"{fixture.test_id}: expect.item must name one of {ids} (needed when a case has several requests)"
    position = ids.index(fixture.item) if fixture.item else 0

    items = {}
    for evaluator in (durable_evaluator, reference_evaluator):
        item = evaluate_case(repo_ruleset, repo_program, evaluator, case)[position]
        items[evaluator.engine_name] = decide(item)

    problems = []
    for engine, item in items.items():
        chosen = sorted({u.topic.topic for u in item.units if u.topic})
        if fixture.topic not in chosen:
            problems.append(f"[{engine}] the request went to topic(s) {chosen}, not {fixture.topic!r}")
            continue
        statuses = _statuses(item)
        for criterion_id, expected in fixture.criteria.items():
            if statuses.get(criterion_id) != expected:
                problems.append(f"[{engine}] {criterion_id}: expected {expected}, got {statuses.get(criterion_id)}")
        if fixture.decision is not None and item.decision != fixture.decision:
            problems.append(f"[{engine}] decision: expected {fixture.decision}, got {item.decision}")
    by_engine = {engine: _statuses(item) for engine, item in items.items()}
    first, second = by_engine.values()
    if first != second:
        problems.append(f"the engines disagree: {by_engine}")
    assert not problems, f"{fixture.test_id} ({fixture.description.strip()})\n  " + "\n  ".join(problems) + (
        f"\n  facts: {_describe_facts(next(iter(items.values())))}"
    )


def test_every_topic_has_a_fixture_file(repo_ruleset) -> None:
    topics = {t.topic for t in repo_ruleset.topics}
    files = {p.stem for p in FIXTURE_DIR.glob("*.yaml")}
    assert not topics - files, f"topics without tests/rules/<topic>.yaml: {', '.join(sorted(topics - files))}"
    assert not files - topics, f"fixture files for unknown topics: {', '.join(sorted(files - topics))}"


def test_every_criterion_has_met_not_met_not_documented_fixtures(repo_ruleset) -> None:
    """Every criterion is shown met, not_met and not_documented (and not_applicable when it can be)."""
    seen: dict[str, set[str]] = {}
    for fixture in PASSING:
        for criterion_id, status in fixture.criteria.items():
            seen.setdefault(criterion_id.split("[")[0], set()).add(status)
    missing = []
    for _, _, criterion in repo_ruleset.criteria():
        wanted = ["met", "not_met", "not_documented"]
        if criterion.applies_when is not None or criterion.not_applicable_when is not None:
            wanted.append("not_applicable")
        lacking = [s for s in wanted if s not in seen.get(criterion.id, set())]
        if lacking:
            missing.append(f"{criterion.id}: {', '.join(lacking)}")
    assert not missing, "no passing fixture expects these statuses (add cases to tests/rules/<topic>.yaml):\n  " + "\n  ".join(missing)


def test_every_topic_has_necessary_and_not_necessary_fixtures(repo_ruleset) -> None:
    missing = []
    for topic in repo_ruleset.topics:
        decisions = {f.decision for f in PASSING if f.topic == topic.topic}
        for wanted in ("medically_necessary", "not_medically_necessary"):
            if wanted not in decisions:
                missing.append(f"{topic.topic}: no fixture expects {wanted}")
    assert not missing, "\n".join(missing)
