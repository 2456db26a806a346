"""Every topic has its own id, and every criterion an id used once in the whole rule set (site rule
folders included): reports, fixtures and the rule reference name criteria by id. The editions of one
topic are written in one file, and what changes at a date in a dated block of the same criterion.

Passes:

    - id: relaxant.short_course
      2009-07-18: {met_when: {fact: days_supply, lte: 21}}
      2016-07-29: {met_when: {fact: days_supply, lte: 14}}

Fails (the change written as a second criterion of the same id):

    - id: relaxant.short_course
      2009-07-18: {met_when: {fact: days_supply, lte: 21}}
    - id: relaxant.short_course
      2016-07-29: {met_when: {fact: days_supply, lte: 14}}
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from checker.lint.defect import Defect
from checker.load.ruleset import RuleSet

ID = "reused-id"
TITLE = "a topic or criterion id used twice"


def check(ruleset: RuleSet) -> list[Defect]:
    topics = [(t.topic, t.path) for t in ruleset.topics]
    criteria = [(c.id, c.path) for t in ruleset.topics for c in t.dated_criteria]
    topic_fix = "give each topic file its own id; put editions of one topic in one file"
    criterion_fix = "give every criterion a unique id; write what changes at a date in a dated block of the same criterion"
    return [
        *(Defect(path, "topic", f"topic id '{tid}' is also used by {first}", topic_fix) for tid, path, first in _reused(topics)),
        *(Defect(path, f"criteria[{cid}]", f"criterion id reused (also in {first})", criterion_fix) for cid, path, first in _reused(criteria)),
    ]


def _reused(named: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str, str]]:
    """(id, path, path of its first use) for every use of an id after the first."""
    first: dict[str, str] = {}
    for key, path in named:
        if key in first:
            yield key, path, first[key]
        first.setdefault(key, path)
