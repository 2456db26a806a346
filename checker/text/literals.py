"""The literal strings a regular expression cannot match without: a cheap substring test that lets
the extractor and ConText skip the scans that cannot match (most cues fail on most sentences)."""

from __future__ import annotations

import re
from re import _constants as _c  # the regex parser's node types (CPython's own, stable since 3.11)
from re import _parser


def required_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Lower-case strings one of which every match contains (from the regex's own structure), or None
    when no such set of useful length exists. A sentence holding none of them cannot match, so the
    extractor skips the scan: most cues fail on most sentences, and a substring test is far cheaper."""
    try:
        tree = _parser.parse(pattern.pattern, pattern.flags)
    except (re.error, RecursionError, TypeError, ValueError):
        return None
    found = _required(list(tree))
    if not found or min(len(s) for s in found) < 3 or len(found) > 64:
        return None
    return tuple(sorted(found))


def _required(items: list) -> set[str] | None:
    best: set[str] | None = None
    run: list[str] = []

    def better(candidate: set[str] | None) -> None:
        nonlocal best
        if candidate and (best is None or min(map(len, candidate)) > min(map(len, best))):
            best = candidate

    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av).lower())
            continue
        if op is _c.AT:
            continue  # zero-width (\b, ^): the literal run goes on
        if run:
            better({"".join(run)})
            run = []
        if op is _c.SUBPATTERN:
            better(_required(list(av[-1])))
        elif op is _c.BRANCH:
            branches = [_required(list(b)) for b in av[1]]
            better(None if any(not b for b in branches) else set().union(*branches))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)) and av[0] >= 1:
            better(_required(list(av[2])))
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            better(_required(list(av)))
    if run:
        better({"".join(run)})
    return best
