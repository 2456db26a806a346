"""Whether a test compares a fact of the vocabulary with a value it can take, in a way it can be
compared: shared by the checks of conditions and of the facts a service implies."""

from __future__ import annotations

import math

from checker.lint.defect import Defect
from checker.load.conditions import tests
from checker.load.ruleset import RuleSet
from checker.load.vocabulary import FactDef

_ORDERING = ("lt", "lte", "gt", "gte")
_PROVES_ONLY_LOWER = ("gt", "gte")


def comparison_defects(ruleset: RuleSet, cond: object, path: str, where: str) -> list[Defect]:
    """A defect for each test of the condition naming an unknown fact or comparing one wrongly."""
    found = []
    for _, fact, op, value in tests(cond):
        fact_def = ruleset.vocabulary.get(fact)
        if fact_def is None:
            found.append(Defect(path, where, f"unknown fact '{fact}'", ruleset.vocabulary.suggestion(fact)))
            continue
        problem = _test_problem(ruleset, fact_def, op, value)
        if problem:
            found.append(Defect(path, where, problem[0], problem[1]))
    return found


def _test_problem(ruleset: RuleSet, fact: FactDef, op: str, value: object) -> tuple[str, str] | None:
    if op == "exists":
        return None
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if not value_fits(fact.type, v):
            return (f"{fact.name} is {fact.type} but is compared with {v!r}", f"compare it with a {fact.type} value")
    if op in _ORDERING and fact.type in ("boolean", "string"):
        return (f"'{op}' does not apply to the {fact.type} fact {fact.name}", "use eq, ne, in or not_in")
    if fact.lower_bound and op not in _PROVES_ONLY_LOWER:
        return (f"{fact.name} is a lower bound and cannot show '{op} {value}'", "test it only with gt/gte, and use the exact fact for upper limits")
    if fact.name == "drug":
        unknown = [v for v in values if v not in ruleset.lexicon.drugs]
        if unknown:
            return (f"unknown drug {unknown[0]!r}", "use a generic name from drugs.yaml")
    return None


def value_fits(kind: str, value: object) -> bool:
    """A value a test may compare a fact of this type with (an integer fact with any finite number)."""
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("integer", "number"):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, str)
