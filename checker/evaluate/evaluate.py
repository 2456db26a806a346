"""Evaluating a case: pick the topic and edition for each requested item, run the engine, and turn
its hits into criterion statuses (met, not_met, not_documented, not_applicable)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from checker.base.errors import EngineError
from checker.base.memo import remembered
from checker.base.outcomes import MET, NOT_APPLICABLE, NOT_DOCUMENTED, NOT_MET
from checker.decide.decide import decide
from checker.derive.derive import derive_item_facts
from checker.evaluate.results import CriterionResult, FactRead, ItemResult, TestRead, Unit, criterion_status
from checker.load.case import Case, FactValue, Request
from checker.load.compiler import Program
from checker.load.conditions import deciding_tests, tests, unknown_facts, unknown_groups
from checker.load.conditions import evaluate as kleene
from checker.load.ruleset import GATE_TOPIC, Criterion, Edition, RuleSet, Topic


class Evaluator(Protocol):
    engine_name: str

    def evaluate(self, items: list[tuple[str, dict]]) -> set[tuple[int, int]]: ...


def request_attributes(ruleset: RuleSet, request: Request, drug: str = "", route: str = "") -> dict[str, set[str]]:
    """The request as topic selection sees it: its drug, the drug's classes, service, the service's
    category, body parts, route, timing."""
    drug = drug or request.drug
    return {
        "drugs": {drug} if drug else set(),
        "drug_classes": set(ruleset.lexicon.drugs[drug].classes) if drug else set(),
        "services": {request.service} if request.service else set(),
        "categories": _categories(ruleset, request, drug),
        "body_parts": set(request.body_parts),
        "routes": {route or request.route or ("oral" if drug else "")} - {""},
        "timing": _timing(ruleset, request),
    }


def _categories(ruleset: RuleSet, request: Request, drug: str) -> set[str]:
    """What a topic of general principles names: a drug's classes, or a service's category."""
    if drug:
        return set(ruleset.lexicon.drugs[drug].classes)
    return {ruleset.services.category(request.service)} - {""} if request.service else set()


# A test requested to serve a procedure ("Labs to include: EKG" with a surgery) without a stated timing
# is a pre-operative test: it is chosen by the pre-operative topics, not by those for the same test
# ordered for its own sake.
_PREOPERATIVE_TESTS = ("laboratory", "imaging")


def _timing(ruleset: RuleSet, request: Request) -> set[str]:
    if request.timing:
        return {request.timing}
    if request.associated_with and ruleset.services.category(request.service) in _PREOPERATIVE_TESTS:
        return {"preoperative"}
    return set()


def select_topic(ruleset: RuleSet, request: Request, drug: str = "", route: str = "", day: dt.date | None = None) -> Topic | None:
    """The most specific topic whose every constraint the request meets (lint refuses ties). A topic
    naming only categories (general principles) is chosen only when no other topic matches. Given the
    request date, a topic with no edition in force then yields to a less specific one that has one (the
    2016 opioid guideline's post-operative section does not hide the 2009 CPMTG opioid criteria from a
    request of 2013), but not to general principles, which could approve what the specific topic's
    guideline of that date may not recommend; otherwise the most specific topic is kept, and the item
    says that no edition is encoded for its date."""
    ranked = _ranked_for_request(ruleset, request, drug, route)
    if not ranked or day is None or ranked[0].editions_in_force(day):
        return ranked[0] if ranked else None
    return next((t for t in ranked[1:] if t.editions_in_force(day) and not t.general_principles), ranked[0])


def _ranked_for_request(ruleset: RuleSet, request: Request, drug: str, route: str) -> tuple[Topic, ...]:
    """ranked_topics of request_attributes(ruleset, request, drug, route), remembered by the request's
    fields those attributes are made from, so a recurring request builds no attribute sets (the
    same ranking: tests/test_speed.py)."""
    memo = remembered(ruleset, "_ranked_requests", (ruleset.topics, ruleset.lexicon, ruleset.services))
    key = (drug or request.drug, route or request.route, request.service, request.body_parts, request.timing, bool(request.associated_with))
    ranked = memo.get(key)
    if ranked is None:
        ranked = memo[key] = ranked_topics(ruleset, request_attributes(ruleset, request, drug, route))
    return ranked


def ranked_topics(ruleset: RuleSet, attributes: dict[str, set[str]]) -> tuple[Topic, ...]:
    """Every topic whose every constraint the request's attributes meet, most specific first.
    Remembered per rule set and attributes: a corpus repeats the same few requests (the same
    answer as ranking afresh: tests/test_selection.py)."""
    memo = remembered(ruleset, "_ranked_topics", (ruleset.topics,))
    key = tuple(frozenset(attributes[name]) for name in _ATTRIBUTES)
    ranked = memo.get(key)
    if ranked is None:
        ranked = memo[key] = _rank_prepared(_prepared_topics(ruleset), attributes)
    return ranked


def _prepared_topics(ruleset: RuleSet) -> tuple[tuple, ...]:
    """What rank_topics reads of each topic it may rank, read once per rule set: (position, topic,
    drugs excepted, constraints, minus specificity)."""
    memo = remembered(ruleset, "_prepared_topics", (ruleset.topics,))
    if "topics" not in memo:
        memo["topics"] = tuple(
            (position, topic, topic.except_drugs, tuple(topic.constraints().items()), -topic.specificity())
            for position, topic in enumerate(ruleset.topics) if topic.topic != GATE_TOPIC and topic.constraints()
        )
    return memo["topics"]


def _rank_prepared(prepared: tuple[tuple, ...], attributes: dict[str, set[str]]) -> tuple[Topic, ...]:
    """rank_topics over _prepared_topics (the same ranking: tests/test_speed.py)."""
    drugs = attributes["drugs"]
    scored = []
    for position, topic, except_drugs, constraints, order in prepared:
        if except_drugs and not drugs.isdisjoint(except_drugs):
            continue
        for name, values in constraints:
            if attributes[name].isdisjoint(values):
                break
        else:
            scored.append((order, position, topic))
    return tuple(topic for *_, topic in sorted(scored, key=lambda s: s[:2]))


_ATTRIBUTES = ("drugs", "drug_classes", "services", "categories", "body_parts", "routes", "timing")


def rank_topics(topics: list[Topic], attributes: dict[str, set[str]]) -> tuple[Topic, ...]:
    """The plain ranking ranked_topics remembers."""
    scored = []
    for position, topic in enumerate(topics):
        if topic.topic == GATE_TOPIC or not attributes["drugs"].isdisjoint(topic.except_drugs):
            continue
        constraints = topic.constraints()
        if not constraints or not all(not attributes[k].isdisjoint(v) for k, v in constraints.items()):
            continue
        scored.append((-topic.specificity(), position, topic))
    return tuple(topic for *_, topic in sorted(scored, key=lambda s: s[:2]))


def choose_edition(topic: Topic, day: dt.date, facts: dict[str, FactValue]) -> tuple[Edition | None, str, tuple[str, ...]]:
    """The first edition in force on `day` whose `when` holds. An undocumented `when` met before any
    match stops the search: the guideline is undetermined rather than guessed."""
    in_force = topic.editions_in_force(day)
    if not in_force:
        return None, "no_edition_in_force", ()
    values: dict[str, Any] | None = None  # made for the first edition with a `when` (most editions have none)
    for edition in in_force:
        if edition.when is None:
            return edition, "", ()
        if values is None:
            values = {k: v.value for k, v in facts.items()}
        holds = kleene(edition.when, values)
        if holds:
            return edition, "", ()
        if holds is None:
            return None, "edition_undetermined", tuple(unknown_facts(edition.when, values))
    return None, "no_edition_in_force", ()


def _unit(ruleset: RuleSet, role: str, subject: str, topic: Topic | None, facts: dict[str, FactValue], day: dt.date) -> Unit:
    if topic is None:
        return Unit(role, subject, None, None, "no_topic", facts)
    edition, reason, unknown = choose_edition(topic, day, facts)
    return Unit(role, subject, topic, edition, reason, facts, unknown)


def _units(ruleset: RuleSet, case: Case, request: Request, day: dt.date, decided: dict[str, str], details: bool = True) -> list[Unit]:
    """The item's units with their facts; details=False: derived facts without their bases (derive_item_facts)."""
    facts = derive_item_facts(case, request, ruleset.lexicon, ruleset.services, decided, vocabulary=ruleset.vocabulary, bases=details)
    units = []
    if request.associated_with:
        gate = next((t for t in ruleset.topics if t.topic == GATE_TOPIC), None)
        if gate is not None:
            units.append(_unit(ruleset, "gate", "", gate, facts, day))
    parts, route = judged_parts(ruleset, request)
    if parts:
        for ingredient in parts:
            part = derive_item_facts(case, request, ruleset.lexicon, ruleset.services, decided, ingredient, ruleset.vocabulary, details)
            topic = select_topic(ruleset, request, ingredient, route, day)
            units.append(_unit(ruleset, "ingredient", ingredient, topic, part, day))
        return units
    units.append(_unit(ruleset, "item", "", select_topic(ruleset, request, day=day), facts, day))
    return units


def judged_parts(ruleset: RuleSet, request: Request) -> tuple[tuple[str, ...], str]:
    """The drugs an item is judged as, each under its own topic, and the route they are taken by: the
    ingredients of a compound written out (topical unless the request says otherwise), or the drugs a
    product of the lexicon holds (an NSAID with a gastric protector, a compounding kit) by the
    product's route; none for an item judged as itself."""
    if request.ingredients:
        return tuple(i.drug for i in request.ingredients), request.route or "topical"
    if request.drug:
        return ruleset.lexicon.drugs[request.drug].judged_as, request.route
    return (), ""


def plan_case(ruleset: RuleSet, case: Case, as_of: dt.date | None = None) -> list[ItemResult]:
    """Each item's topic and edition, without evaluating any criterion (for scope reports)."""
    return [ItemResult(r, _units(ruleset, case, r, as_of or case.request_date, {})) for r in case.requests]


def evaluate_case(
    ruleset: RuleSet, program: Program, evaluator: Evaluator, case: Case, as_of: dt.date | None = None, details: bool = True,
    ordered: bool = True,
) -> list[ItemResult]:
    """Every requested item evaluated and decided (checker.decide.decide), in request order: the results are
    final, no caller decides again. Items that serve a procedure are evaluated after it, since its
    decision is one of their facts.
    details=False gives statuses only, without the facts and tests each criterion read (what a
    regression run needs; the report needs the details), and derived facts without their bases.
    ordered=False: the deciding criteria are
    ranked only where their order orders their citations (checker.decide.decide)."""
    day = as_of or case.request_date
    first = [r for r in case.requests if not r.associated_with]
    results: dict[str, ItemResult] = {}
    for batch in (first, [r for r in case.requests if r.associated_with]):
        decided = {rid: item.decision for rid, item in results.items()}
        items = [ItemResult(r, _units(ruleset, case, r, day, decided, details)) for r in batch]
        _run(ruleset, program, evaluator, items, details)
        for item in items:
            results[item.request.id] = decide(item, ordered)
    return [results[r.id] for r in case.requests]


def _run(ruleset: RuleSet, program: Program, evaluator: Evaluator, items: list[ItemResult], details: bool) -> None:
    units = [u for item in items for u in item.units if u.edition is not None]
    batch = [(u.edition.key, evaluated_values(evaluator, u.edition.key, u.facts)) for u in units]
    hits = evaluator.evaluate(batch) if batch else set()
    outcomes = _outcomes_by_item(program, hits)
    for position, unit in enumerate(units):
        if details:
            unit.criteria = [_criterion_result(ruleset, c, outcomes.get((position, c.id), set()), unit.facts, unit.subject) for c in unit.edition.criteria]
        else:
            unit.criteria = [criterion_status(c, _status_of(outcomes.get((position, c.id)), c.id), unit.subject) for c in unit.edition.criteria]


def evaluated_values(evaluator: Evaluator, edition_key: str, facts: dict[str, FactValue]) -> dict[str, Any]:
    """The facts' values an evaluator is given for an item of an edition: of the facts its rules test alone,
    in order of their names, when the evaluator says which (tested_names: it reads no other, and an item
    holds about forty facts for a handful tested), else of every fact (plain_evaluated_values; the same
    hits: tests/test_speed.py)."""
    tested_names = getattr(evaluator, "tested_names", None)
    if tested_names is None:
        return plain_evaluated_values(facts)
    return {name: facts[name].value for name in tested_names(edition_key) if name in facts}


def plain_evaluated_values(facts: dict[str, FactValue]) -> dict[str, Any]:
    """Every fact's value."""
    return {k: v.value for k, v in facts.items()}


def _status_of(fired: set[str] | None, criterion_id: str) -> str:
    """status_from the outcomes fired for a criterion, None when none fired (most criteria of an item)."""
    return NOT_DOCUMENTED if fired is None else status_from(fired, criterion_id)


def _outcomes_by_item(program: Program, hits: set[tuple[int, int]]) -> dict[tuple[int, str], set[str]]:
    found: dict[tuple[int, str], set[str]] = {}
    probe_at = program.probe
    for probe_index, item_index in hits:
        probe = probe_at(probe_index)
        found.setdefault((item_index, probe.criterion_id), set()).add(probe.outcome)
    return found


def status_from(outcomes: set[str], criterion_id: str) -> str:
    if NOT_APPLICABLE in outcomes:
        return NOT_APPLICABLE
    if {MET, NOT_MET} <= outcomes:
        raise EngineError(f"criterion {criterion_id} is both met and not met for the same facts; its met_when and not_met_when contradict")
    if MET in outcomes:
        return MET
    if NOT_MET in outcomes:
        return NOT_MET
    return NOT_DOCUMENTED


def _criterion_result(ruleset: RuleSet, criterion: Criterion, outcomes: set[str], facts: dict[str, FactValue], subject: str = "") -> CriterionResult:
    status = status_from(outcomes, criterion.id)
    condition = criterion.not_met_when if status == NOT_MET else criterion.met_when
    names: list[str] = []
    for _, cond in criterion.conditions():
        for _, name, _, _ in tests(cond):
            if name not in names:
                names.append(name)
    reads = tuple(_fact_read(ruleset, name, facts.get(name)) for name in names)
    values = {k: v.value for k, v in facts.items()}
    test_reads = tuple(
        TestRead(name, op, value, values.get(name), kleene(("test", name, op, value), values))
        for _, name, op, value in (deciding_tests(condition, values) if status in (MET, NOT_MET) else tests(condition))
    )
    undecided = status == NOT_DOCUMENTED
    unknown = tuple(unknown_facts(criterion.met_when, values)) if undecided else ()
    groups = tuple(unknown_groups(criterion.met_when, values)) if undecided else ()
    return CriterionResult(criterion, status, reads, test_reads, unknown, subject, groups)


def _fact_read(ruleset: RuleSet, name: str, given: FactValue | None) -> FactRead:
    fact = ruleset.vocabulary.facts[name]
    if given is None:
        return FactRead(name, fact.label, fact.unit, None, "", "")
    return FactRead(name, fact.label, fact.unit, given.value, given.origin, given.source)

