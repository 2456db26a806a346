"""A criterion is `under:` guidelines its topic follows, and each of its dated blocks takes effect on
a date inside a period the topic follows (for a criterion `under:` some guidelines, a period of one
of them); the periods are the editions' dates in guidelines.yaml.

Passes (the topic follows the CPMTG 2009 only: 2009-07-18 to 2016-07-28):

    under: [cpmtg]
    2009-07-18:
      met_when: {fact: days_supply, lte: 21}

Fails (a block of 2017, when the topic follows no guideline):

    2009-07-18:
      met_when: {fact: days_supply, lte: 21}
    2017-01-01:
      requirement: the request covers at most two weeks
"""

from __future__ import annotations

from checker.lint.defect import Defect
from checker.lint.periods import last_day, span
from checker.load.ruleset import DatedCriterion, RuleSet, Topic

ID = "dated-blocks"
TITLE = "a criterion under a guideline not followed, or a block dated outside the periods followed"


def check(ruleset: RuleSet) -> list[Defect]:
    return [defect for topic in ruleset.topics for c in topic.dated_criteria for defect in [*_under_unfollowed(topic, c), *_outside_periods(topic, c)]]


def _under_unfollowed(topic: Topic, c: DatedCriterion) -> list[Defect]:
    followed = sorted({f.guideline for f in topic.follows})
    return [
        Defect(c.path, f"criteria[{c.id}].under", f"the topic follows no guideline '{name}'", f"use one of: {', '.join(followed)}")
        for name in c.under if name not in followed
    ]


def _outside_periods(topic: Topic, c: DatedCriterion) -> list[Defect]:
    periods = [f for f in topic.follows if not c.under or f.guideline in c.under]
    spans = ", ".join(f"{f.label} {span(f.effective_from, f.effective_to)}" for f in periods)
    return [
        Defect(c.path, f"criteria[{c.id}].{day}", "the date falls in no period the topic follows", f"date it within one of: {spans}")
        for day, _ in c.blocks if periods and not any(f.effective_from <= day <= last_day(f.effective_to) for f in periods)
    ]
