"""Rule fixtures and their coverage (`mtus rules coverage`).

A rule fixture is a small synthetic case with the criterion statuses and the decision it must get;
tests/rules/<topic>.yaml holds one topic's fixtures (the format is documented in
tests/test_rule_fixtures.py). This module loads them, runs each through every evaluator given,
compares what the item evaluated to with what the fixture expects, and tallies which criterion
statuses and topic decisions the fixtures confirm.

As with `opa test --coverage`, the tally is exact (whole numbers compared with the threshold, never a
rounded percentage) and a run in which no fixture ran is an error, not a pass.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from checker.api import ENGINES, Checker, make_evaluator
from checker.base.errors import EngineError, InputError
from checker.base.fields import check_keys, describe, require_mapping, require_text
from checker.base.outcomes import DECISIONS, MEDICALLY_NECESSARY, MET, NOT_APPLICABLE, NOT_DOCUMENTED, NOT_MEDICALLY_NECESSARY, NOT_MET, STATUSES
from checker.base.yamlio import load_yaml, read_text
from checker.evaluate.evaluate import Evaluator, evaluate_case
from checker.evaluate.results import ItemResult
from checker.load.case import CASE_SCHEMA, case_from_mapping
from checker.load.compiler import Program
from checker.load.ruleset import Criterion, RuleSet

COVERAGE_SCHEMA = "mtus-rules-coverage/1"
TOPIC_DECISIONS = (MEDICALLY_NECESSARY, NOT_MEDICALLY_NECESSARY)
BASE_STATUSES = (MET, NOT_MET, NOT_DOCUMENTED)
OUTCOMES = ("passed", "failed", "xfailed", "xpassed", "error")
_FILE_KEYS = ("topic", "defaults", "cases")
_FIXTURE_KEYS = ("description", "period", "request", "facts", "case", "expect", "item", "xfail_reason")
_EXPECT_KEYS = ("decision", "criteria")
_FORMAT_HINT = "see the fixture format in tests/test_rule_fixtures.py"
_HASH_IN_PLAIN_TEXT = re.compile(r"^\s*(?:-\s+)?(?:text|request):\s+[^\"'|>{\s][^#]*\s#\s*\d")


# ---- the fixture files ----------------------------------------------------------------------


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
    item: str = ""  # the request the expectations are about; "" when the case holds one request

    @property
    def test_id(self) -> str:
        return f"{self.topic}::{self.name}"


def load_fixture_file(path: Path) -> list[RuleFixture]:
    """Read one tests/rules/<topic>.yaml; a file not shaped as documented raises InputError."""
    path = Path(path)
    where = str(path)
    _refuse_unquoted_hash(read_text(path, "rule fixture file"), where)
    data = require_mapping(load_yaml(path, "rule fixture file"), where, "", f"write topic: and cases: ({_FORMAT_HINT})")
    check_keys(data, _FILE_KEYS, where, "", required=("topic", "cases"))
    topic = require_text(data["topic"], where, "topic")
    if topic != path.stem:
        raise InputError(where, "topic", f"topic {topic!r} does not match the file name", f"name the file {topic}.yaml")
    cases = require_mapping(data["cases"], where, "cases", f"name each case under cases: ({_FORMAT_HINT})")
    if not cases:
        raise InputError(where, "cases", "no fixture case", f"add cases ({_FORMAT_HINT}) or remove the file")
    defaults = require_mapping(data.get("defaults") or {}, where, "defaults")
    return [_fixture(path, topic, str(name), body, defaults) for name, body in cases.items()]


def _refuse_unquoted_hash(text: str, where: str) -> None:
    """'text: Soma 350 mg BID #60' (or 'request: ...') unquoted: YAML reads ' #60' as a comment and the
    quantity is lost."""
    for number, line in enumerate(text.splitlines(), start=1):
        if _HASH_IN_PLAIN_TEXT.match(line):
            raise InputError(where, f"line {number}", "an unquoted request text holds ' #', which YAML reads as a comment", "quote the text")


def _fixture(path: Path, topic: str, name: str, body: Any, defaults: dict) -> RuleFixture:
    where = str(path)
    prefix = f"cases.{name}"
    body = require_mapping(body, where, prefix)
    check_keys(body, _FIXTURE_KEYS, where, prefix, required=("description", "expect"))
    expect = require_mapping(body["expect"], where, f"{prefix}.expect")
    check_keys(expect, _EXPECT_KEYS, where, f"{prefix}.expect")
    decision = expect.get("decision")
    if decision is not None and decision not in DECISIONS:
        raise InputError(where, f"{prefix}.expect.decision", f"unknown decision {decision!r}", f"use one of {', '.join(DECISIONS)}")
    criteria = {str(k): v for k, v in require_mapping(expect.get("criteria") or {}, where, f"{prefix}.expect.criteria").items()}
    for criterion_id, status in criteria.items():
        if status not in STATUSES:
            raise InputError(where, f"{prefix}.expect.criteria.{criterion_id}", f"bad status {describe(status)}", f"use one of {', '.join(STATUSES)}")
    if decision is None and not criteria:
        raise InputError(where, f"{prefix}.expect", "expects nothing", "expect a decision, criterion statuses or both")
    item = body.get("item")
    if item is not None:
        item = require_text(item, where, f"{prefix}.item")
    return RuleFixture(
        path=path,
        topic=topic,
        name=name,
        description=str(body["description"]),
        case=fixture_case(topic, name, defaults, body, where),
        decision=decision,
        criteria=criteria,
        xfail_reason=str(body.get("xfail_reason") or ""),
        item=item or "",
    )


def fixture_case(topic: str, name: str, defaults: dict, body: dict, where: str) -> dict:
    """The case a fixture describes: the file's defaults, then what the fixture states differently
    (`case:` merged key by key, `period:` the request date, `request:` the one requested item,
    `facts:` added to the case's facts)."""
    prefix = f"cases.{name}"
    case: dict[str, Any] = {"schema": CASE_SCHEMA, "case": f"fixture-{topic}-{name}", "source": "synthetic rule fixture"}
    _merge(case, copy.deepcopy(defaults))
    _merge(case, copy.deepcopy(require_mapping(body.get("case") or {}, where, f"{prefix}.case")))
    if body.get("period") is not None:
        case.setdefault("dates", {})["request"] = body["period"]
    if body.get("request") is not None:
        request = body["request"]
        request = {"text": request} if isinstance(request, str) else dict(require_mapping(request, where, f"{prefix}.request"))
        case["requests"] = [{"id": "item", **request}]
    if body.get("facts") is not None:
        case.setdefault("facts", {}).update(require_mapping(body["facts"], where, f"{prefix}.facts"))
    return case


def _merge(into: dict, more: dict) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def fixture_files(tests_dir: Path) -> list[Path]:
    return sorted(p for p in Path(tests_dir).glob("*.yaml") if p.is_file())


def load_fixtures(tests_dir: Path) -> list[RuleFixture]:
    """Every fixture in a tests/rules directory, file by file in name order."""
    tests_dir = Path(tests_dir)
    if not tests_dir.is_dir():
        raise InputError(str(tests_dir), "", "rule fixture directory not found", "pass --tests DIR holding <topic>.yaml rule fixtures")
    return [fixture for path in fixture_files(tests_dir) for fixture in load_fixture_file(path)]


def default_tests_dir(rules_dir: Path) -> Path:
    """tests/rules beside the rules directory, as in a source checkout; an installed copy has none."""
    candidate = Path(rules_dir).resolve().parent / "tests" / "rules"
    if candidate.is_dir():
        try:
            return candidate.relative_to(Path.cwd())  # the same report from any checkout
        except ValueError:
            return candidate
    raise InputError(
        str(rules_dir), "--tests", "no tests/rules directory beside this rules directory (an installed copy ships no fixtures)",
        "pass --tests DIR holding the <topic>.yaml rule fixtures",
    )


# ---- running fixtures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """What one evaluator made of a fixture's item."""

    engine: str
    topics: tuple[str, ...]  # the item's own topic, and the gate's or each ingredient's
    decision: str
    statuses: dict[str, str]  # criterion id -> status; "id[ingredient]" for one ingredient of a compound
    facts: str  # the item's facts, for failure messages


def observe(item: ItemResult, engine: str) -> Observation:
    """Read an evaluated and decided item. This is the one place that knows the shape of an item's
    result: when items carry more (criteria of each ingredient of a compound, the decision on the
    surgery an associated service follows), extend it here and the fixture checks and the coverage
    tally follow."""
    statuses: dict[str, str] = {}
    for result in item.criteria:
        statuses.setdefault(result.criterion.id, result.status)
        if result.subject:
            statuses[f"{result.criterion.id}[{result.subject}]"] = result.status
    return Observation(
        engine=engine,
        topics=tuple(sorted({u.topic.topic for u in item.units if u.topic})),
        decision=item.decision,
        statuses=statuses,
        facts=", ".join(f"{name}={fact.value!r}" for name, fact in sorted(item.facts.items())),
    )


@dataclass(frozen=True)
class Problem:
    """One way a fixture run differs from what the fixture expects; the wording is in templates."""

    kind: str  # unknown_topic | unknown_criteria | request_count | unknown_item | bad_case | engine_error
    #            | wrong_topic | wrong_status | wrong_decision | engines_disagree
    engine: str = ""
    subject: str = ""  # a criterion id, a request id or the fixture file
    expected: str = ""
    actual: str = ""


@dataclass
class FixtureRun:
    fixture: RuleFixture
    observations: list[Observation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if any(p.kind == "bad_case" for p in self.problems) and not self.fixture.xfail_reason:
            return "error"
        if self.fixture.xfail_reason:
            return "xfailed" if self.problems else "xpassed"
        return "failed" if self.problems else "passed"

    def _counts(self) -> bool:
        """Known failures count for nothing, nor does a run in which an evaluator failed to answer."""
        return bool(self.observations) and not self.fixture.xfail_reason and not any(p.kind == "engine_error" for p in self.problems)

    def confirmed_statuses(self) -> set[tuple[str, str]]:
        """(criterion id, status) pairs the fixture expects and every evaluator produced."""
        if not self._counts():
            return set()
        return {
            (cid, status) for cid, status in self.fixture.criteria.items()
            if all(self.fixture.topic in o.topics and o.statuses.get(cid) == status for o in self.observations)
        }

    def confirmed_decision(self) -> str | None:
        wanted = self.fixture.decision
        if not self._counts() or wanted is None:
            return None
        if all(self.fixture.topic in o.topics and o.decision == wanted for o in self.observations):
            return wanted
        return None


def run_fixtures(ruleset: RuleSet, program: Program, evaluators: Sequence[Evaluator], fixtures: Iterable[RuleFixture]) -> list[FixtureRun]:
    return [run_fixture(f, ruleset, program, evaluators) for f in fixtures]


def run_fixture(fixture: RuleFixture, ruleset: RuleSet, program: Program, evaluators: Sequence[Evaluator]) -> FixtureRun:
    """Run one fixture through every evaluator and list how the results differ from the expectations."""
    run = FixtureRun(fixture)
    topic = next((t for t in ruleset.topics if t.topic == fixture.topic), None)
    if topic is None:
        run.problems.append(Problem("unknown_topic", subject=str(fixture.path), expected=fixture.topic))
        return run
    known = {c.id for e in topic.editions for c in e.criteria}
    unknown = sorted({base_id(c) for c in fixture.criteria} - known)
    if unknown:
        run.problems.append(Problem("unknown_criteria", subject=", ".join(unknown), expected=fixture.topic))
        return run
    try:
        case = case_from_mapping(fixture.case, ruleset, str(fixture.path))
    except InputError as exc:
        field_name = f"cases.{fixture.name}.case" + (f".{exc.field}" if exc.field else "")
        run.problems.append(Problem("bad_case", actual=InputError(str(fixture.path), field_name, exc.problem, exc.fix).one_line()))
        return run
    position = _item_position(fixture, [r.id for r in case.requests], run.problems)
    if position is None:
        return run
    for evaluator in evaluators:
        try:
            items = evaluate_case(ruleset, program, evaluator, case)
        except EngineError as exc:
            run.problems.append(Problem("engine_error", engine=evaluator.engine_name, actual=str(exc)))
            continue
        run.observations.append(observe(items[position], evaluator.engine_name))
    run.problems.extend(compare(fixture, run.observations))
    return run


def _item_position(fixture: RuleFixture, request_ids: list[str], problems: list[Problem]) -> int | None:
    if not fixture.item:
        if len(request_ids) != 1:
            problems.append(Problem("request_count", expected="1", actual=str(len(request_ids))))
            return None
        return 0
    if fixture.item not in request_ids:
        problems.append(Problem("unknown_item", subject=fixture.item, actual=", ".join(request_ids)))
        return None
    return request_ids.index(fixture.item)


def base_id(criterion_key: str) -> str:
    """'topical.agent[gabapentin]' -> 'topical.agent': an ingredient's status counts for the criterion."""
    return criterion_key.split("[", 1)[0]


def compare(fixture: RuleFixture, observations: Sequence[Observation]) -> list[Problem]:
    """Expected against actual, evaluator by evaluator, then the evaluators against each other."""
    problems = []
    for seen in observations:
        if fixture.topic not in seen.topics:
            problems.append(Problem("wrong_topic", seen.engine, expected=fixture.topic, actual=", ".join(seen.topics) or "none"))
            continue
        for criterion_id, expected in fixture.criteria.items():
            actual = seen.statuses.get(criterion_id)
            if actual != expected:
                problems.append(Problem("wrong_status", seen.engine, criterion_id, expected, str(actual)))
        if fixture.decision is not None and seen.decision != fixture.decision:
            problems.append(Problem("wrong_decision", seen.engine, expected=fixture.decision, actual=seen.decision))
    if len({tuple(sorted(o.statuses.items())) for o in observations}) > 1:
        first = observations[0]
        for other in observations[1:]:
            for criterion_id in sorted(set(first.statuses) | set(other.statuses)):
                mine, theirs = first.statuses.get(criterion_id), other.statuses.get(criterion_id)
                if mine != theirs:
                    problems.append(Problem("engines_disagree", f"{first.engine}/{other.engine}", criterion_id, str(mine), str(theirs)))
    return problems


# ---- the coverage tally ---------------------------------------------------------------------


def wanted_statuses(criterion: Criterion) -> tuple[str, ...]:
    """Every criterion must be seen met, not met and not documented; not applicable as well when it
    has applicability conditions."""
    if criterion.applies_when is not None or criterion.not_applicable_when is not None:
        return (*BASE_STATUSES, NOT_APPLICABLE)
    return BASE_STATUSES


@dataclass
class Seen:
    """Criterion statuses and topic decisions that fixtures showed."""

    statuses: dict[str, set[str]] = field(default_factory=dict)  # criterion id -> statuses
    decisions: dict[str, set[str]] = field(default_factory=dict)  # topic -> decisions

    def add_status(self, criterion_id: str, status: str) -> None:
        self.statuses.setdefault(criterion_id, set()).add(status)

    def add_decision(self, topic: str, decision: str) -> None:
        self.decisions.setdefault(topic, set()).add(decision)


def seen_in_runs(runs: Iterable[FixtureRun]) -> Seen:
    """What the runs confirmed: an expectation counts once every evaluator met it (xfail fixtures never count)."""
    seen = Seen()
    for run in runs:
        for criterion_id, status in run.confirmed_statuses():
            seen.add_status(base_id(criterion_id), status)
        decision = run.confirmed_decision()
        if decision is not None:
            seen.add_decision(run.fixture.topic, decision)
    return seen


def seen_in_expectations(fixtures: Iterable[RuleFixture]) -> Seen:
    """What the fixtures claim, without running them (each fixture's own test checks the claim)."""
    seen = Seen()
    for fixture in fixtures:
        if fixture.xfail_reason:
            continue
        for criterion_id, status in fixture.criteria.items():
            seen.add_status(base_id(criterion_id), status)
        if fixture.decision is not None:
            seen.add_decision(fixture.topic, fixture.decision)
    return seen


def topic_coverage(ruleset: RuleSet, seen: Seen, fixture_topics: set[str] | None = None) -> list[dict[str, Any]]:
    """Per topic: each decision and each criterion status wanted, whether it was seen, what is missing."""
    rows = []
    for topic in ruleset.topics:
        criteria = []
        for edition in topic.editions:
            for criterion in edition.criteria:
                wanted = wanted_statuses(criterion)
                got = seen.statuses.get(criterion.id, set())
                criteria.append({
                    "id": criterion.id,
                    "title": criterion.title,
                    "edition": edition.edition,
                    "statuses": {s: (s in got) if s in wanted else None for s in STATUSES},
                    "missing": [s for s in wanted if s not in got],
                    "covered": sum(1 for s in wanted if s in got),
                    "total": len(wanted),
                })
        got = seen.decisions.get(topic.topic, set())
        decisions = {d: d in got for d in TOPIC_DECISIONS}
        covered = sum(c["covered"] for c in criteria) + sum(decisions.values())
        total = sum(c["total"] for c in criteria) + len(decisions)
        rows.append({
            "topic": topic.topic,
            "title": topic.title,
            "fixture_file": None if fixture_topics is None else topic.topic in fixture_topics,
            "decisions": decisions,
            "missing_decisions": [d for d, ok in decisions.items() if not ok],
            "criteria": criteria,
            "covered": covered,
            "total": total,
        })
    return rows


def floor_percent(covered: int, total: int) -> float:
    """covered/total as a percentage cut (never rounded up) to two decimals: 1 gap in 12,000 is 99.99, not 100."""
    if total == 0:
        return 100.0
    return (covered * 10000 // total) / 100


def parse_minimum(text: str) -> Fraction:
    """A --min value: a percentage from 0 to 100, kept exact."""
    try:
        value = Fraction(str(text).strip())
    except (ValueError, ZeroDivisionError):
        raise InputError("command line", "--min", f"not a number: {text!r}", "give a percentage from 0 to 100, e.g. --min 95") from None
    if not 0 <= value <= 100:
        raise InputError("command line", "--min", f"{text} is outside 0 to 100", "give a percentage from 0 to 100")
    return value


def coverage_summary(ruleset: RuleSet, runs: list[FixtureRun], tests_dir: Path, minimum: Fraction, engines: Sequence[str]) -> dict[str, Any]:
    """The whole coverage report as plain data (what JSON prints and the text template renders)."""
    topics = topic_coverage(ruleset, seen_in_runs(runs), {p.stem for p in fixture_files(tests_dir)})
    covered = sum(t["covered"] for t in topics)
    total = sum(t["total"] for t in topics)
    counts = {outcome: sum(1 for r in runs if r.outcome == outcome) for outcome in OUTCOMES}
    below = covered * 100 < minimum * total
    failing = [r for r in runs if r.outcome in ("failed", "xpassed", "error")]
    return {
        "schema": COVERAGE_SCHEMA,
        "ruleset": ruleset.identity(),
        "tests": str(tests_dir),
        "engines": list(engines),
        "fixtures": {"run": len(runs), **counts},
        "failures": [_failure(r) for r in failing],
        "topics": topics,
        "covered": covered,
        "total": total,
        "percent": floor_percent(covered, total),
        "minimum": float(minimum),
        "below_minimum": below,
        "passed": not below and not failing and bool(runs),
    }


def _failure(run: FixtureRun) -> dict[str, Any]:
    fixture = run.fixture
    return {
        "fixture": fixture.test_id,
        "file": str(fixture.path),
        "outcome": run.outcome,
        "description": " ".join(fixture.description.split()),
        "xfail_reason": fixture.xfail_reason or None,
        "problems": [asdict(p) for p in run.problems],
        "facts": run.observations[0].facts if run.observations else None,
    }


def measure_coverage(ruleset: RuleSet, program: Program, evaluators: Sequence[Evaluator], tests_dir: Path, minimum: Fraction) -> dict[str, Any]:
    """Load and run every fixture in tests_dir and summarise the coverage; no fixture at all is bad input."""
    fixtures = load_fixtures(tests_dir)
    if not fixtures:
        raise InputError(str(tests_dir), "", "no rule fixture found, so nothing was tested", "add <topic>.yaml rule fixtures or pass --tests DIR")
    runs = run_fixtures(ruleset, program, evaluators, fixtures)
    return coverage_summary(ruleset, runs, tests_dir, minimum, [e.engine_name for e in evaluators])



def rules_coverage(rules_dir: Path | None, tests_dir: Path | None, minimum: Fraction) -> dict[str, Any]:
    """`mtus rules coverage`: the rule set (default: the packaged one) against its fixtures, on every engine.
    Without tests_dir, the fixtures are tests/rules beside the rules directory (a source checkout)."""
    checker = Checker(rules_dir, ENGINES[0])
    tests = Path(tests_dir) if tests_dir is not None else default_tests_dir(Path(checker.ruleset.directory))
    evaluators = [checker.evaluator, *(make_evaluator(checker.program, engine) for engine in ENGINES[1:])]
    return measure_coverage(checker.ruleset, checker.program, evaluators, tests, minimum)
