"""Answers remembered on the object they are computed from (a rule set, a vocabulary)."""

from __future__ import annotations

from operator import is_
from typing import Any


def remembered(owner: object, name: str, sources: tuple[object, ...]) -> dict[Any, Any]:
    """The dict kept on `owner` under `name` for answers computed from `sources` (parts of `owner`
    that are replaced, never changed in place): a fresh one once any source is another object.
    A corpus asks the same questions of one rule set again and again."""
    memo = owner.__dict__.get(name)
    if memo is not None:
        held = memo[0]
        # compared in C (map of operator.is_), not by a loop over zip(): asked several times for every item
        if len(held) == len(sources) and all(map(is_, held, sources)):
            return memo[1]
    memo = owner.__dict__[name] = (sources, {})
    return memo[1]


def keep(memo: dict[Any, Any], key: Any, value: Any, limit: int) -> Any:
    """memo[key] = value, returned, after forgetting every answer of a memo holding `limit` of them: a bounded memo's
    store, called on a miss only (its hit stays one dict lookup)."""
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value
    return value
