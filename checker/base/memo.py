"""Answers remembered on the object they are computed from (a rule set, a vocabulary)."""

from __future__ import annotations

from typing import Any


def remembered(owner: object, name: str, sources: tuple[object, ...]) -> dict[Any, Any]:
    """The dict kept on `owner` under `name` for answers computed from `sources` (parts of `owner`
    that are replaced, never changed in place): a fresh one once any source is another object.
    A corpus asks the same questions of one rule set again and again."""
    memo = owner.__dict__.get(name)
    if memo is None or len(memo[0]) != len(sources) or any(a is not b for a, b in zip(memo[0], sources, strict=True)):
        memo = owner.__dict__[name] = (sources, {})
    return memo[1]
