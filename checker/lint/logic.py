"""Whether conditions can hold. A condition holds only when every test of one of its alternatives
(its disjunctive normal form, after negations are pushed down to the tests) holds on documented
values, so whether it can ever hold is decided fact by fact, by trying values that stand for every
value the fact can take. Conditions with more than MAX_ALTERNATIVES alternatives are not examined."""

from __future__ import annotations

import math

from checker.lint.comparisons import value_fits
from checker.load.conditions import Condition, evaluate
from checker.load.ruleset import RuleSet
from checker.load.vocabulary import FactDef

MAX_ALTERNATIVES = 512


def alternatives(condition: Condition) -> list[list[Condition]] | None:
    """Disjunctive normal form: each alternative a list of tests; None when it grows too large."""
    kind = condition[0]
    if kind == "test":
        return [[condition]]
    parts = [alternatives(part) for part in condition[1]]
    if any(p is None for p in parts):
        return None
    if kind == "any":
        merged = [terms for part in parts for terms in part]
        return merged if len(merged) <= MAX_ALTERNATIVES else None
    product: list[list[Condition]] = [[]]
    for part in parts:
        product = [left + right for left in product for right in part]
        if len(product) > MAX_ALTERNATIVES:
            return None
    return product


def can_all_hold(ruleset: RuleSet, terms: list[Condition]) -> tuple[bool | None, list[Condition]]:
    """Whether every test can hold at once: False with the tests on one fact that exclude each
    other, True when certain, None when unsure (an unknown fact, a value of the wrong type)."""
    by_fact: dict[str, list[Condition]] = {}
    for test in terms:
        by_fact.setdefault(test[1], []).append(test)
    unsure = False
    for fact, fact_tests in by_fact.items():
        holds = _can_hold(ruleset.vocabulary.get(fact), fact_tests)
        if holds is False:
            return False, fact_tests
        unsure = unsure or holds is None
    return (None if unsure else True), []


def _can_hold(fact: FactDef | None, fact_tests: list[Condition]) -> bool | None:
    """Whether one value of the fact (or its absence) passes every test; None when unsure."""
    absent = [t for t in fact_tests if t[2] == "exists" and t[3] is False]
    present = [t for t in fact_tests if not (t[2] == "exists" and t[3] is False)]
    if absent and present:
        return False  # a comparison never holds on a fact the records do not document
    if absent:
        return True
    if fact is None:
        return None
    name = fact_tests[0][1]
    values = candidates(fact, [t for t in present if t[2] != "exists"])
    if values is None:
        return None
    try:
        return any(all(evaluate(t, {name: value}) for t in present) for value in values)
    except TypeError:  # a value of the wrong type: the type check reports it
        return None


def candidates(fact: FactDef, comparisons: list[Condition]) -> list[object] | None:
    """Values that stand for every value the fact can take as far as these tests can tell: the
    tested constants and the declared min/max, one value between each two neighbours and one beyond
    each end (whole numbers for an integer fact), kept within min/max. None when unsure."""
    constants = [v for t in comparisons for v in (t[3] if isinstance(t[3], tuple) else (t[3],))]
    if fact.type == "boolean":
        return [True, False]
    if fact.type == "string":
        if fact.values:
            return list(fact.values)
        return [*(v for v in constants if isinstance(v, str)), "\0a value no test names"]
    if not all(value_fits("number", v) for v in constants):
        return None  # a comparison with a value of the wrong type: the type check reports it
    points = sorted({float(v) for v in (*constants, fact.minimum, fact.maximum) if v is not None})
    if not points:
        return None
    if fact.type == "integer":
        between = [math.floor(low) + 1 for low, high in zip(points, points[1:], strict=False) if math.floor(low) + 1 < high]
        found = [*(p for p in points if p.is_integer()), *between, math.floor(points[-1]) + 1, math.ceil(points[0]) - 1]
    else:
        between = [(low + high) / 2 for low, high in zip(points, points[1:], strict=False)]
        found = [*points, *between, points[-1] + 1, points[0] - 1]
    return [
        int(v) if fact.type == "integer" else v for v in found
        if (fact.minimum is None or v >= fact.minimum) and (fact.maximum is None or v <= fact.maximum)
    ]


def describe_tests(conditions: list[Condition]) -> str:
    """'days_supply > 6 and days_supply < 3': the tests as a defect names them."""
    words = {"eq": "=", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "in": "in", "not_in": "not in", "exists": "exists:"}
    shown = []
    for _, fact, op, value in conditions:
        value = list(value) if isinstance(value, tuple) else value
        shown.append(f"{fact} {words[op]} {str(value).lower() if isinstance(value, bool) else value}")
    return " and ".join(dict.fromkeys(shown))
