"""What `mtus rules lint` reports after "ok:", a report and not a defect: per topic, the decisive
criteria (indications and limits) that read a fact only a reviewer can give (`obtained: reviewer`).
On a case drafted from clinical text they stay "needs the reviewer's confirmation" until a reviewer
gives the fact."""

from __future__ import annotations

from dataclasses import dataclass

from checker.load.conditions import tests
from checker.load.ruleset import RuleSet

DECISIVE_ROLES = ("indication", "limit")


@dataclass(frozen=True)
class Unextractable:
    """A topic's decisive criteria that read a fact no cue can draft."""

    topic: str
    criteria: int  # decisive criteria of the topic (distinct ids over its editions)
    reading: tuple[str, ...]  # ids of those that read a reviewer-obtained fact
    facts: tuple[str, ...]


def unextractable(ruleset: RuleSet) -> list[Unextractable]:
    """Per topic, the decisive criteria that read facts only a reviewer can give; topics without any
    are left out."""
    found = []
    for topic in ruleset.topics:
        decisive: dict[str, set[str]] = {}
        for edition in topic.editions:
            for c in edition.criteria:
                if c.role in DECISIVE_ROLES:
                    names = {name for _, cond in c.conditions() for _, name, _, _ in tests(cond)}
                    decisive.setdefault(c.id, set()).update(n for n in names if _obtained(ruleset, n) == "reviewer")
        reading = sorted(cid for cid, facts in decisive.items() if facts)
        if reading:
            facts = sorted(set().union(*(decisive[cid] for cid in reading)))
            found.append(Unextractable(topic.topic, len(decisive), tuple(reading), tuple(facts)))
    return found


def _obtained(ruleset: RuleSet, name: str) -> str:
    fact = ruleset.vocabulary.get(name)
    return fact.obtained if fact else ""
