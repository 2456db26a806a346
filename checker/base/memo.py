"""Answers remembered on the object they are computed from (a rule set, a vocabulary)."""

from __future__ import annotations

from typing import Any


def remembered(owner: object, name: str, sources: tuple[object, ...]) -> dict[Any, Any]:
    """The dict kept on `owner` under `name` for answers computed from `sources` (parts of `owner`
    that are replaced, never changed in place): a fresh one once any source is another object.
    A corpus asks the same questions of one rule set again and again."""
    memo = owner.__dict__.get(name)
    if memo is not None and len(memo[0]) == len(sources):
        for held, given in zip(memo[0], sources, strict=True):  # a loop, not any() over a generator: asked for every item
            if held is not given:
                break
        else:
            return memo[1]
    memo = owner.__dict__[name] = (sources, {})
    return memo[1]
