"""Conditions over facts: parsing from YAML, negation, and three-valued (Kleene) evaluation.

A condition is a tuple tree:
  ("test", fact, op, value) | ("all", (c, ...)) | ("any", (c, ...)) | ("not", c)
A test on a fact the case does not document is *unknown*, never false. The one exception is
`exists`, which a rule author uses to say so explicitly ("applies only when the records mention an
earlier study": `{fact: prior_imaging, exists: false}` in not_applicable_when).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checker.base.errors import InputError
from checker.base.fields import describe, did_you_mean

Condition = tuple

COMPARISONS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "exists")
_NEGATED_OP = {"eq": "ne", "ne": "eq", "lt": "gte", "gte": "lt", "gt": "lte", "lte": "gt", "in": "not_in", "not_in": "in"}
UNKNOWN = None  # the third truth value


def parse_condition(raw: Any, path: str, where: str) -> Condition:
    if not isinstance(raw, dict) or not raw:
        raise InputError(path, where, f"expected a condition, found {describe(raw)}", "write {fact: NAME, lte: 21} or all:/any:/not:")
    if "fact" in raw:
        return _parse_test(raw, path, where)
    if len(raw) != 1:
        raise InputError(path, where, f"a condition has one of all/any/not, found {sorted(raw)}", "nest the parts under all: or any:")
    (key, body), = raw.items()
    if key in ("all", "any"):
        if not isinstance(body, list) or not body:
            raise InputError(path, f"{where}.{key}", "expected a non-empty list of conditions", "list the conditions with '- '")
        return (key, tuple(parse_condition(c, path, f"{where}.{key}[{i}]") for i, c in enumerate(body)))
    if key == "not":
        return ("not", parse_condition(body, path, f"{where}.not"))
    raise InputError(path, f"{where}.{key}", "unknown operator", did_you_mean(key, ("all", "any", "not", "fact"), "use all, any, not or fact"))


def _parse_test(raw: dict, path: str, where: str) -> Condition:
    ops = [k for k in raw if k != "fact"]
    if len(ops) != 1 or ops[0] not in COMPARISONS:
        bad = ", ".join(str(o) for o in ops) or "none"
        raise InputError(path, where, f"a test needs exactly one comparison, found {bad}", f"use one of: {', '.join(COMPARISONS)}")
    op = ops[0]
    value = raw[op]
    if not isinstance(raw["fact"], str):
        raise InputError(path, f"{where}.fact", f"expected a fact name, found {describe(raw['fact'])}", "name a fact declared in facts.yaml or facts/*.yaml")
    if op == "exists" and not isinstance(value, bool):
        raise InputError(path, f"{where}.exists", f"expected true or false, found {describe(value)}", "write exists: false for 'the records are silent'")
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise InputError(path, f"{where}.{op}", "expected a non-empty list of values", "write [a, b]")
        value = tuple(value)
    elif value is None or isinstance(value, (list, dict)):
        raise InputError(path, f"{where}.{op}", f"expected a single value, found {describe(value)}", "compare with one number, text or true/false")
    return ("test", raw["fact"], op, value)


def negate(cond: Condition) -> Condition:
    """Push negation down to the tests (durable_rules has no general 'not')."""
    kind = cond[0]
    if kind == "test":
        _, fact, op, value = cond
        if op == "exists":
            return ("test", fact, op, not value)
        return ("test", fact, _NEGATED_OP[op], value)
    if kind == "all":
        return ("any", tuple(negate(c) for c in cond[1]))
    if kind == "any":
        return ("all", tuple(negate(c) for c in cond[1]))
    return push_not(cond[1])


def push_not(cond: Condition) -> Condition:
    """Remove every 'not' node, negating what it wraps."""
    kind = cond[0]
    if kind == "test":
        return cond
    if kind == "not":
        return negate(push_not(cond[1]))
    return (kind, tuple(push_not(c) for c in cond[1]))


def tests(cond: Condition) -> Iterator[Condition]:
    if cond[0] == "test":
        yield cond
    elif cond[0] == "not":
        yield from tests(cond[1])
    else:
        for child in cond[1]:
            yield from tests(child)


def deciding_tests(cond: Condition, facts: dict) -> Iterator[Condition]:
    """The tests of a condition that make it hold: of an `any` that holds, only the alternatives that
    hold (a shoulder's 12-visit limit, not the 8 visits of another surgery's alternative whose visit
    test alone would hold too); every test of a condition that does not hold."""
    if cond[0] == "any" and evaluate(cond, facts) is True:
        for child in cond[1]:
            if evaluate(child, facts) is True:
                yield from deciding_tests(child, facts)
    elif cond[0] == "all":
        for child in cond[1]:
            yield from deciding_tests(child, facts)
    else:
        yield from tests(cond)


def evaluate(cond: Condition, facts: dict) -> bool | None:
    """Kleene three-valued evaluation: True, False, or None when the records are silent."""
    kind = cond[0]
    if kind == "test":
        return _evaluate_test(cond, facts)
    if kind == "not":
        inner = evaluate(cond[1], facts)
        return None if inner is None else not inner
    return combine(kind, [evaluate(c, facts) for c in cond[1]])


def combine(kind: str, values: list[bool | None]) -> bool | None:
    """Kleene `all` (and) or `any` (or) of three-valued values, None standing for unknown: the one
    definition of the three-valued logic (conditions here; indication trees in checker.decide.decide)."""
    if kind == "all":
        return False if False in values else (None if None in values else True)
    return True if True in values else (None if None in values else False)


def _evaluate_test(cond: Condition, facts: dict) -> bool | None:
    _, fact, op, value = cond
    if op == "exists":  # the one test that is never unknown: it asks whether the records say anything
        return (facts.get(fact) is not None) == value
    if facts.get(fact) is None:
        return UNKNOWN
    actual = facts[fact]
    if op == "eq":
        return actual == value
    if op == "ne":
        return actual != value
    if op == "in":
        return actual in value
    if op == "not_in":
        return actual not in value
    if op == "lt":
        return actual < value
    if op == "lte":
        return actual <= value
    if op == "gt":
        return actual > value
    return actual >= value


def unknown_facts(cond: Condition, facts: dict) -> list[str]:
    """The undocumented facts that keep a condition unknown (none when it is already decided)."""
    if evaluate(cond, facts) is not None:
        return []
    if cond[0] == "test":
        return [cond[1]]
    if cond[0] == "not":
        return unknown_facts(cond[1], facts)
    found: list[str] = []
    for child in cond[1]:
        for name in unknown_facts(child, facts):
            if name not in found:
                found.append(name)
    return found


def unknown_groups(cond: Condition, facts: dict) -> list[tuple[str, ...]]:
    """unknown_facts grouped so that each group is one thing to document: the facts of an undecided
    `any` are alternatives (any one of them would do), those of an `all` are needed each."""
    if evaluate(cond, facts) is not None:
        return []
    if cond[0] == "test":
        return [(cond[1],)]
    if cond[0] == "not":
        return unknown_groups(cond[1], facts)
    groups = [group for child in cond[1] for group in unknown_groups(child, facts)]
    if cond[0] == "any":
        merged = tuple(dict.fromkeys(name for group in groups for name in group))
        return [merged] if merged else []
    return list(dict.fromkeys(groups))


def unknown_alternatives(cond: Condition, facts: dict) -> list[list[tuple[Condition, ...]]]:
    """unknown_groups with the tests kept: each group is one thing to document, a list of
    alternatives (any one would do), each alternative the undecided tests it needs together. An
    `exists` test is never undecided, and a part already decided drops out, so an alternative holds
    only what the records still have to show, with the value they have to show it with."""
    if evaluate(cond, facts) is not None:
        return []
    kind = cond[0]
    if kind == "test":
        return [[(cond,)]]
    if kind == "not":
        return unknown_alternatives(negate(cond[1]), facts)
    if kind == "all":
        groups: list[list[tuple[Condition, ...]]] = []
        for child in cond[1]:
            for group in unknown_alternatives(child, facts):
                if group not in groups:
                    groups.append(group)
        return groups
    alternatives: list[tuple[Condition, ...]] = []
    for child in cond[1]:
        groups = unknown_alternatives(child, facts)
        if not groups:
            continue
        # a child needing several things is one alternative; of each thing its first alternative stands for it
        candidates = groups[0] if len(groups) == 1 else [tuple(part for group in groups for part in group[0])]
        alternatives += [a for a in candidates if a not in alternatives]
    return [alternatives] if alternatives else []
