"""A criterion is `under:` guidelines its topic follows, and each of its dated blocks takes effect on
a date inside a period the topic follows (for a criterion `under:` some guidelines, a period of one
of them); the periods are the editions' dates in guidelines.yaml.

Passes:

    follows:
      - {guideline: cpmtg, edition: "2009"}
    criteria:
      - id: relaxant.short_course
        under: [cpmtg]
        2009-07-18:
          met_when: {fact: days_supply, lte: 21}

Fails (the CPMTG 2009 ends on 2016-07-28, and the topic follows no later edition):

    follows:
      - {guideline: cpmtg, edition: "2009"}
    criteria:
      - id: relaxant.short_course
        2009-07-18:
          met_when: {fact: days_supply, lte: 21}
        2017-01-01:
          met_when: {fact: days_supply, lte: 14}
"""

from __future__ import annotations

from checker.lint.defect import Defect
from checker.lint.periods import last_day, span
from checker.rules import RuleSet, Topic

ID = "dated-blocks"
TITLE = "a criterion under a guideline not followed, or a block dated outside the periods followed"


def check(ruleset: RuleSet) -> list[Defect]:
    return [defect for topic in ruleset.topics for defect in _dated_block_defects(topic)]


def _dated_block_defects(topic: Topic) -> list[Defect]:
    found = []
    followed = {f.guideline for f in topic.follows}
    for c in topic.dated_criteria:
        for name in c.under:
            if name not in followed:
                problem = f"the topic follows no guideline '{name}'"
                found.append(Defect(c.path, f"criteria[{c.id}].under", problem, f"use one of: {', '.join(sorted(followed))}"))
        periods = [f for f in topic.follows if not c.under or f.guideline in c.under]
        for day, _ in c.blocks if periods else ():  # no period: the under: defect above says why
            if not any(f.effective_from <= day <= last_day(f.effective_to) for f in periods):
                spans = ", ".join(f"{f.label} {span(f.effective_from, f.effective_to)}" for f in periods)
                found.append(Defect(c.path, f"criteria[{c.id}].{day}", "the date falls in no period the topic follows", f"date it within one of: {spans}"))
    return found
