"""Property-based tests (hypothesis) over case facts, built from whatever the rule library holds.

Case files are generated from the vocabulary (every fact a case may document, with values of its
declared type and range), the drug lexicon (brand and generic names, with strengths, frequencies
and quantities) and the service lexicon, then checked end to end:
- no input crashes the checker: a valid case is checked, an invalid one (a generated case with one
  value replaced by junk, one key removed or an unknown one added) is refused with an InputError;
- output is deterministic: the same case gives the same bytes twice (text and JSON), and both
  evaluators give the same statuses and decisions;
- removing a documented fact never turns a criterion from not_documented into met, unless the criterion
  reads that fact's absence on purpose (an `exists` test: a first course is one with no earlier course
  documented; its requirement says so), and then only through that fact.

"All met is never denied" is tested on each topic edition directly, with facts built from its
criteria's conditions: for every criterion one alternative of its met_when is chosen and a value
found that passes each of its tests (values the lint's solver gives, so derived facts such as the
days' supply are set as values too: a case file cannot set them, and how they are derived from
request lines is tested in tests/test_derive.py). Editions for which no such set of facts exists
are listed by the test, with the criteria that exclude each other.

Settings: derandomize=True (the same examples every run, so CI is reproducible), deadline=None
(shared machines), bounded max_examples.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from checker.api import Checker
from checker.base.errors import InputError
from checker.decide.decide import MEDICALLY_NECESSARY, decide
from checker.evaluate.evaluate import _run
from checker.evaluate.results import ItemResult, Unit
from checker.lint import logic as lint_logic
from checker.load.case import FactValue, Request
from checker.load.conditions import evaluate, push_not
from checker.load.conditions import tests as condition_tests
from checker.load.ruleset import Edition, RuleSet, Topic, load_ruleset
from checker.render.render import render, to_json
from tests.conftest import REPO_RULES_DIR

PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
FIRST_DAY, LAST_DAY = dt.date(2009, 7, 18), dt.date(2017, 11, 30)  # the span the guideline editions cover


# ---- strategies: case files from the rule library ---------------------------------------------------

def documentable_facts(ruleset: RuleSet) -> list:
    """Facts a case file may set (not derived; age is the claimant's)."""
    return [f for f in ruleset.vocabulary.facts.values() if not f.derived and f.name != "age"]


def fact_value(fact) -> st.SearchStrategy:
    if fact.type == "boolean":
        return st.booleans()
    if fact.type == "string":
        return st.sampled_from(fact.values) if fact.values else st.text("abcdefgh ", min_size=1, max_size=10)
    low = int(fact.minimum) if fact.minimum is not None else 0
    high = int(fact.maximum) if fact.maximum is not None else low + 200
    whole = st.integers(low, high)
    return whole if fact.type == "integer" else st.one_of(whole, whole.map(lambda v: max(low, min(high, v - 0.5))))


def limits(ruleset: RuleSet) -> dict[str, list[Any]]:
    """Per fact, the values that matter to the rules: every constant a test compares it with, one
    value either side and between (the lint's solver picks them), within the declared range."""
    found: dict[str, list] = {}
    by_fact: dict[str, list] = {}
    for _, _, criterion in ruleset.criteria():
        for _, condition in criterion.conditions():
            for test in condition_tests(condition):
                if test[2] != "exists":
                    by_fact.setdefault(test[1], []).append(test)
    for name, fact_tests in by_fact.items():
        fact = ruleset.vocabulary.get(name)
        values = lint_logic.candidates(fact, fact_tests) if fact is not None else None
        found[name] = sorted(values or [], key=repr)
    return found


_LIMITS: dict[int, dict[str, list[Any]]] = {}


def near_limits(ruleset: RuleSet, name: str) -> st.SearchStrategy:
    values = _LIMITS.setdefault(id(ruleset), limits(ruleset)).get(name)
    plain = fact_value(ruleset.vocabulary.facts[name])
    return st.one_of(st.sampled_from(values), plain) if values else plain


@st.composite
def facts_of(draw, ruleset: RuleSet, most: int, among: list[str] | None = None) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(among or [f.name for f in documentable_facts(ruleset)]), max_size=most, unique=True))
    return {name: draw(near_limits(ruleset, name)) for name in names}


@st.composite
def request_text(draw, ruleset: RuleSet) -> str:
    if draw(st.booleans()):
        drug = ruleset.lexicon.drugs[draw(st.sampled_from(sorted(ruleset.lexicon.drugs)))]
        name = draw(st.sampled_from([drug.generic, *drug.names]))
        strength = draw(st.sampled_from(["", "5 mg", "10/325 mg", "50 mg", "350 mg", "800 mg", "25 mcg/hr", "5%"]))
        frequency = draw(st.sampled_from(["", "daily", "BID", "TID", "QID", "q8h", "PRN", "one tab PO TID", "at bedtime"]))
        quantity = draw(st.sampled_from(["", "#30", "#60", "#90", "#120", "#240", "x2 refills"]))
        return " ".join(p for p in (name, strength, frequency, quantity) if p)
    service = ruleset.services.services[draw(st.sampled_from(sorted(k for k, s in ruleset.services.services.items() if s.names)))]
    name = draw(st.sampled_from(service.names))
    body = draw(st.sampled_from(["", *sorted(n for names in ruleset.services.body_parts.values() for n in names)[:60]]))
    visits = draw(st.sampled_from(["", "x6", "2 times a week for 6 weeks", "#12"]))
    return " ".join(p for p in (name, "of the" if body else "", body, visits) if p)


@st.composite
def case_files(draw, ruleset: RuleSet) -> dict[str, Any]:
    request_day = draw(st.dates(FIRST_DAY, LAST_DAY))
    case: dict[str, Any] = {"schema": "mtus-case/1", "case": "generated", "dates": {"request": request_day}}
    if draw(st.booleans()):
        case["dates"]["injury"] = request_day - dt.timedelta(days=draw(st.integers(0, 6000)))
    if draw(st.booleans()):
        case["claimant"] = {"age": draw(st.integers(18, 90)), "sex": draw(st.sampled_from(["female", "male"]))}
    if draw(st.booleans()):
        medications = []
        for generic in draw(st.lists(st.sampled_from(sorted(ruleset.lexicon.drugs)), max_size=3, unique=True)):
            drug = ruleset.lexicon.drugs[generic]
            entry: dict[str, Any] = {"drug": drug.names[0] if drug.names else drug.generic}
            how = draw(st.sampled_from(["documented_since", "started", "duration_months", "none"]))
            if how in ("documented_since", "started"):
                entry[how] = request_day - dt.timedelta(days=draw(st.integers(0, 900)))
            elif how == "duration_months":
                entry[how] = draw(st.integers(1, 48))
            medications.append(entry)
        case["medications"] = medications
    case["facts"] = draw(facts_of(ruleset, 12))
    requests = []
    for i in range(draw(st.integers(1, 3))):
        request: dict[str, Any] = {"id": f"item{i + 1}", "text": draw(request_text(ruleset))}
        own = draw(facts_of(ruleset, 3))
        if own:
            request["facts"] = own
        requests.append(request)
    case["requests"] = requests
    return case


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
)


@st.composite
def damaged(draw, case: dict[str, Any]) -> dict[str, Any]:
    """The case with one value replaced by junk, one key removed, or an unknown key added."""
    case = yaml.safe_load(yaml.safe_dump(case))  # a deep copy
    spots: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        for key in (node if isinstance(node, dict) else range(len(node))):
            spots.append((node, key))
            if isinstance(node[key], (dict, list)) and node[key]:
                walk(node[key])

    walk(case)
    container, key = draw(st.sampled_from(spots))
    how = draw(st.sampled_from(["replace", "remove", "add"]))
    if how == "replace":
        container[key] = draw(JUNK)
    elif how == "remove" and isinstance(container, dict):
        del container[key]
    elif isinstance(container, dict):
        container[draw(st.sampled_from(["unknwon", "quantiy", "notes", "facts2"]))] = draw(JUNK)
    else:
        container.append(draw(JUNK))
    return case


# ---- helpers -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def checkers() -> dict[str, Checker]:
    return {"durable": Checker(engine="durable"), "reference": Checker(engine="reference")}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


def write(folder: Path, case: dict[str, Any], name: str = "case.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(case, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def loaded(checker: Checker, path: Path):
    try:
        return checker.load(path)
    except InputError:
        return None


_ABSENCE_READINGS: dict[str, dict[str, frozenset[str]]] = {}


def absence_readings(ruleset) -> dict[str, frozenset[str]]:
    """Per criterion, the facts whose absence it reads on purpose (an `exists` test: a first course is
    one with no earlier course documented). Removing such a fact may turn not_documented into met, and
    the rule says so in its requirement; removing any other fact never may."""
    if ruleset.digest not in _ABSENCE_READINGS:
        _ABSENCE_READINGS[ruleset.digest] = {
            criterion.id: frozenset(t[1] for _, c in criterion.conditions() for t in condition_tests(c) if t[2] == "exists")
            for topic in ruleset.topics for edition in topic.editions for criterion in edition.criteria
        }
    return _ABSENCE_READINGS[ruleset.digest]


def statuses(items) -> dict[tuple[str, str], str]:
    return {(item.request.id, r.criterion.id + r.subject): r.status for item in items for r in item.criteria}


# ---- no crash, determinism, monotonicity -----------------------------------------------------------------

@PROPERTY
@given(data=st.data())
def test_no_generated_case_crashes_the_checker(data, checkers, workdir, repo_ruleset):
    case = data.draw(case_files(repo_ruleset))
    broken = data.draw(st.booleans())
    if broken:
        case = data.draw(damaged(case))
    checker = checkers["durable"]
    try:
        result = checker.check(write(workdir, case))
    except InputError as exc:
        assert "\n" not in exc.one_line() and "; fix: " in exc.one_line()
        event(f"{'damaged' if broken else 'generated'} case refused")
        return
    event(f"{'damaged' if broken else 'generated'} case checked")
    for item in result.report["items"]:
        event(f"item decision: {item['decision']}")
    render("check", "text", {"report": result.report})
    render("draft", "html", {"report": result.report})
    assert {i["decision"] for i in result.report["items"]} <= {"medically_necessary", "not_medically_necessary", "no_applicable_rule"}


@PROPERTY
@given(data=st.data())
def test_the_same_case_gives_the_same_bytes_and_both_evaluators_agree(data, checkers, workdir, repo_ruleset):
    path = write(workdir, data.draw(case_files(repo_ruleset)))
    case = loaded(checkers["durable"], path)
    assume(case is not None)
    first, second = checkers["durable"].check_case(case), checkers["durable"].check_case(checkers["durable"].load(path))
    assert to_json(first.report) == to_json(second.report)
    assert render("check", "text", {"report": first.report}) == render("check", "text", {"report": second.report})
    reference = checkers["reference"].check_case(case)
    assert statuses(first.items) == statuses(reference.items)
    assert [i.decision for i in first.items] == [i.decision for i in reference.items]


@PROPERTY
@given(data=st.data())
def test_removing_a_documented_fact_never_turns_not_documented_into_met(data, checkers, workdir, repo_ruleset):
    case = data.draw(case_files(repo_ruleset))
    checker = checkers["durable"]
    first = loaded(checker, write(workdir, case, "before.yaml"))
    assume(first is not None)
    # Document facts the items' own criteria read, with values on and around their limits.
    documentable = {f.name for f in documentable_facts(repo_ruleset)}
    read = sorted({t[1] for item in checker.decide_case(first, details=False) for r in item.criteria
                   for _, c in r.criterion.conditions() for t in condition_tests(c)} & documentable)
    assume(read)
    case["facts"].update(data.draw(facts_of(repo_ruleset, 8, read)))
    places = [("facts", name) for name in case["facts"] if name in read] + [  # facts a criterion reads
        (i, name) for i, r in enumerate(case["requests"]) for name in r.get("facts", {}) if name in read
    ]
    assume(places)
    before_case = loaded(checker, write(workdir, case, "before.yaml"))
    assume(before_case is not None)
    where, name = data.draw(st.sampled_from(places))
    fewer = yaml.safe_load(yaml.safe_dump(case))
    del (fewer["facts"] if where == "facts" else fewer["requests"][where]["facts"])[name]
    after_case = checker.load(write(workdir, fewer, "after.yaml"))
    before_items, after_items = checker.decide_case(before_case), checker.decide_case(after_case)
    before, after = statuses(before_items), statuses(after_items)
    gone = {item.request.id: set(item.facts) for item in before_items}
    for item in after_items:
        gone[item.request.id] -= set(item.facts)  # the removed fact and what was derived from it
    absence = absence_readings(repo_ruleset)
    criterion_of = {(item.request.id, r.criterion.id + r.subject): r.criterion.id for item in before_items for r in item.criteria}
    for key in before.keys() & after.keys():
        if before[key] == "not_documented" and after[key] == "met":
            assert gone[key[0]] & absence[criterion_of[key]], (key, name)
    event("the removal changed a status" if any(before[k] != after[k] for k in before.keys() & after.keys()) else "no status changed")


# ---- all met is never denied ---------------------------------------------------------------------------

def edition_readings(edition: Edition) -> set[str]:
    conditions = [c for criterion in edition.criteria for _, c in criterion.conditions()]
    return {t[1] for c in conditions for t in condition_tests(c)}


def all_met_facts(ruleset: RuleSet, edition: Edition, rng: random.Random) -> dict[str, Any] | None:
    """Facts under which every criterion's met_when holds: one alternative per criterion (tried in
    an order rng gives), their tests together satisfiable, a passing value for each fact."""
    options = []
    for criterion in edition.criteria:
        alternatives = lint_logic.alternatives(push_not(criterion.met_when)) or []
        options.append(rng.sample(alternatives, len(alternatives)))
    for combination in itertools.islice(itertools.product(*options), 2000):
        terms = [t for alternative in combination for t in alternative]
        if lint_logic.can_all_hold(ruleset, terms)[0] is not True:
            continue
        facts: dict[str, Any] = {}
        for name in dict.fromkeys(t[1] for t in terms):
            fact_tests = [t for t in terms if t[1] == name]
            if any(t[2] == "exists" and t[3] is False for t in fact_tests):
                continue  # documented as absent: left out
            comparisons = [t for t in fact_tests if t[2] != "exists"]
            candidates = lint_logic.candidates(ruleset.vocabulary.facts[name], comparisons) or []
            passing = [v for v in candidates if all(evaluate(t, {name: v}) for t in fact_tests)]
            if not passing:
                break
            facts[name] = rng.choice(passing)
        else:
            return facts
    return None


def editions(ruleset: RuleSet) -> list[tuple[Topic, Edition]]:
    return [(t, e) for t in ruleset.topics for e in t.editions]


# Editions whose criteria cannot all be met by any facts, with the reason; none in the rule library
# today. An edition listed here can never end medically_necessary: a rule defect to fix, not a test
# to loosen.
CANNOT_ALL_BE_MET: dict[str, str] = {}


def test_every_edition_can_have_all_its_criteria_met(repo_ruleset):
    found = {e.key for _, e in editions(repo_ruleset) if all_met_facts(repo_ruleset, e, random.Random(0)) is None}
    assert found == set(CANNOT_ALL_BE_MET), "no choice of met_when alternatives holds together for these editions"


EDITION_KEYS = [e.key for _, e in editions(load_ruleset(REPO_RULES_DIR))]


@pytest.mark.parametrize("key", EDITION_KEYS)
@settings(max_examples=8, deadline=None, derandomize=True)
@given(data=st.data())
def test_an_item_documenting_every_criterion_as_met_is_never_denied(key, data, repo_ruleset, repo_program, durable_evaluator):
    topic, edition = next((t, e) for t, e in editions(repo_ruleset) if e.key == key)
    assume(key not in CANNOT_ALL_BE_MET)
    facts = all_met_facts(repo_ruleset, edition, random.Random(data.draw(st.integers(0, 2**16))))
    assert facts is not None
    read = edition_readings(edition)
    noise = data.draw(facts_of(repo_ruleset, 6))
    facts.update({k: v for k, v in noise.items() if k not in read})  # documented, but read by no criterion here
    for criterion in edition.criteria:
        assert evaluate(criterion.met_when, facts) is True  # the oracle: each met_when holds on these facts
    # Facts that meet one criterion may make another's not_met_when hold on other facts (lint refuses
    # that only on the same facts): such a set does not document every criterion as met.
    assume(not any(evaluate(c.not_met_when, facts) for c in edition.criteria))
    unit = Unit("item", "", topic, edition, "", {k: FactValue(v) for k, v in facts.items()})
    item = ItemResult(Request("x", "generated", "", "", "", "", None, "", None, False, {}, 0), [unit])
    _run(repo_ruleset, repo_program, durable_evaluator, [item], details=False)
    assert {r.status for r in item.criteria} <= {"met", "not_applicable"}, [(r.criterion.id, r.status) for r in item.criteria]
    assert decide(item).decision == MEDICALLY_NECESSARY


def as_derived(facts: dict[str, Any]) -> dict[str, Any]:
    """Facts as checker.derive.derive leaves them: it sets the exact weeks of use only together with an
    equal lower bound, and the visit counts only with the requested visits: the total when the
    completed visits are documented (completed + certified + requested), or else its lower bound,
    certified plus requested, never both."""
    facts = dict(facts)
    if "weeks_of_use" in facts:
        facts["weeks_of_use_at_least"] = facts["weeks_of_use"]
    requested = facts.get("visits_requested")
    if requested is None:
        for name in ("visits_total", "visits_total_at_least", "visits_certified"):
            facts.pop(name, None)
        return facts
    certified = facts.setdefault("visits_certified", 0)
    completed = facts.get("therapy_visits_completed")
    if completed is not None:
        facts["visits_total"] = completed + certified + requested
        facts.pop("visits_total_at_least", None)
    else:
        facts["visits_total_at_least"] = requested + certified
        facts.pop("visits_total", None)
    return facts


def without(facts: dict[str, Any], name: str) -> dict[str, Any]:
    """The facts with one removed, and what derive would no longer set without it (without the
    completed visits, the total becomes its lower bound, certified plus requested)."""
    visit_counts = ("visits_total", "visits_total_at_least", "visits_certified")
    gone = {name, *({"weeks_of_use"} if name == "weeks_of_use_at_least" else ()), *(visit_counts if name == "visits_requested" else ())}
    left = {k: v for k, v in facts.items() if k not in gone}
    if name == "therapy_visits_completed" and "visits_requested" in left:
        left = as_derived(left)
    return left


@PROPERTY
@given(data=st.data())
def test_removing_a_fact_from_an_item_never_turns_not_documented_into_met(data, repo_ruleset, repo_program, durable_evaluator):
    """The same on each edition directly, derived facts included, values on and around the limits.
    Where no criterion tests a fact with `exists`, removing a fact can only undecide: a met or not met
    criterion stays so or becomes not_documented, a not_documented one stays so. (A not_applicable
    one may become anything: when it is unknown whether it applies, it is evaluated.)"""
    topic, edition = editions(repo_ruleset)[data.draw(st.integers(0, len(editions(repo_ruleset)) - 1))]
    read = sorted(edition_readings(edition))
    facts = as_derived(data.draw(facts_of(repo_ruleset, len(read), read)))
    assume(facts)
    removed = data.draw(st.sampled_from(sorted(facts)))
    before = edition_statuses(repo_ruleset, repo_program, durable_evaluator, topic, edition, facts)
    after = edition_statuses(repo_ruleset, repo_program, durable_evaluator, topic, edition, without(facts, removed))
    gone = set(facts) - set(without(facts, removed))
    absence = absence_readings(repo_ruleset)
    for criterion in edition.criteria:
        was, now = before[criterion.id], after[criterion.id]
        if was == "not_documented" and now == "met":
            assert gone & absence.get(criterion.id, set()), (criterion.id, removed)
        if not any(t[2] == "exists" for _, c in criterion.conditions() for t in condition_tests(c)):
            allowed = {"met": ("met", "not_documented"), "not_met": ("not_met", "not_documented"), "not_documented": ("not_documented",)}
            assert now in allowed.get(was, (now,)), (criterion.id, removed, was, now)
    event("the removal changed a status" if before != after else "no status changed")


def edition_statuses(ruleset, program, evaluator, topic, edition, facts: dict[str, Any]) -> dict[str, str]:
    unit = Unit("item", "", topic, edition, "", {k: FactValue(v) for k, v in facts.items()})
    item = ItemResult(Request("x", "generated", "", "", "", "", None, "", None, False, {}, 0), [unit])
    _run(ruleset, program, evaluator, [item], details=False)
    return {r.criterion.id: r.status for r in item.criteria}
