"""Evaluating a case: pick the topic and edition for each requested item, run the engine, and turn
its hits into criterion statuses (met, not_met, not_documented, not_applicable)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from checker.case import Case, FactValue, Request
from checker.compiler import Program, compile_program
from checker.conditions import evaluate as kleene
from checker.conditions import tests, unknown_facts
from checker.derive import derive_item_facts
from checker.errors import EngineError
from checker.rules import Criterion, Edition, RuleSet, Topic

STATUSES = ("met", "not_met", "not_documented", "not_applicable")


class Evaluator(Protocol):
    engine_name: str

    def evaluate(self, items: list[tuple[str, dict]]) -> set[tuple[int, int]]: ...


@dataclass(frozen=True)
class FactRead:
    name: str
    label: str
    unit: str
    value: object  # None when the records are silent
    origin: str
    source: str


@dataclass(frozen=True)
class TestRead:
    fact: str
    op: str
    expected: object
    actual: object
    holds: bool | None


@dataclass(frozen=True)
class CriterionResult:
    criterion: Criterion
    status: str
    facts: tuple[FactRead, ...]
    tests: tuple[TestRead, ...]
    unknown: tuple[str, ...] = ()  # undocumented facts that leave the criterion undecided


@dataclass
class ItemResult:
    request: Request
    topic: Topic | None
    edition: Edition | None
    no_rule_reason: str  # "", "no_topic" or "no_edition_in_force"
    facts: dict[str, FactValue]
    criteria: list[CriterionResult] = field(default_factory=list)
    decision: str = ""
    decisive: list[CriterionResult] = field(default_factory=list)


def select_topic(ruleset: RuleSet, request: Request) -> Topic | None:
    if request.drug:
        drug = ruleset.lexicon.drugs[request.drug]
        by_name = [t for t in ruleset.topics if request.drug in t.drugs]
        if by_name:
            return by_name[0]
        by_class = [
            t for t in ruleset.topics
            if set(drug.classes) & set(t.drug_classes) and request.drug not in t.except_drugs
        ]
        return by_class[0] if by_class else None
    service = request.service.strip().lower()
    return next((t for t in ruleset.topics if service and service in (s.lower() for s in t.services)), None)


def prepare_items(ruleset: RuleSet, case: Case, as_of: dt.date) -> list[ItemResult]:
    items = []
    for request in case.requests:
        facts = derive_item_facts(case, request, ruleset.lexicon)
        topic = select_topic(ruleset, request)
        edition = topic.edition_for(as_of) if topic else None
        reason = "" if edition else ("no_edition_in_force" if topic else "no_topic")
        items.append(ItemResult(request, topic, edition, reason, facts))
    return items


def evaluate_case(
    ruleset: RuleSet, program: Program, evaluator: Evaluator, case: Case, as_of: dt.date | None = None, details: bool = True
) -> list[ItemResult]:
    """details=False gives statuses only, without the facts and tests each criterion read (what a
    regression run needs; the report needs the details)."""
    items = prepare_items(ruleset, case, as_of or case.request_date)
    ruled = [item for item in items if item.edition is not None]
    batch = [(item.edition.key, {k: v.value for k, v in item.facts.items()}) for item in ruled]
    hits = evaluator.evaluate(batch) if batch else set()
    outcomes = _outcomes_by_item(program, hits)
    for position, item in enumerate(ruled):
        item.criteria = [
            _criterion_result(ruleset, c, outcomes.get((position, c.id), set()), item.facts)
            if details else CriterionResult(c, status_from(outcomes.get((position, c.id), set()), c.id), (), ())
            for c in item.edition.criteria
        ]
    return items


def _outcomes_by_item(program: Program, hits: set[tuple[int, int]]) -> dict[tuple[int, str], set[str]]:
    found: dict[tuple[int, str], set[str]] = {}
    for probe_index, item_index in hits:
        probe = program.probes[probe_index]
        found.setdefault((item_index, probe.criterion_id), set()).add(probe.outcome)
    return found


def status_from(outcomes: set[str], criterion_id: str) -> str:
    if "not_applicable" in outcomes:
        return "not_applicable"
    if {"met", "not_met"} <= outcomes:
        raise EngineError(f"criterion {criterion_id} is both met and not met for the same facts; its met_when and not_met_when contradict")
    if "met" in outcomes:
        return "met"
    if "not_met" in outcomes:
        return "not_met"
    return "not_documented"


def _criterion_result(ruleset: RuleSet, criterion: Criterion, outcomes: set[str], facts: dict[str, FactValue]) -> CriterionResult:
    status = status_from(outcomes, criterion.id)
    condition = criterion.not_met_when if status == "not_met" else criterion.met_when
    names: list[str] = []
    for _, cond in criterion.conditions():
        for _, name, _, _ in tests(cond):
            if name not in names:
                names.append(name)
    reads = tuple(_fact_read(ruleset, name, facts.get(name)) for name in names)
    values = {k: v.value for k, v in facts.items()}
    test_reads = tuple(
        TestRead(name, op, value, values.get(name), kleene(("test", name, op, value), values))
        for _, name, op, value in tests(condition)
    )
    unknown = tuple(unknown_facts(criterion.met_when, values)) if status == "not_documented" else ()
    return CriterionResult(criterion, status, reads, test_reads, unknown)


def _fact_read(ruleset: RuleSet, name: str, given: FactValue | None) -> FactRead:
    fact = ruleset.vocabulary.facts[name]
    if given is None:
        return FactRead(name, fact.label, fact.unit, None, "", "")
    return FactRead(name, fact.label, fact.unit, given.value, given.origin, given.source)


def default_program(ruleset: RuleSet) -> Program:
    return compile_program(ruleset)
