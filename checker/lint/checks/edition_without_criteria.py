"""Over every stretch of a followed edition some criterion is in force: with none, every request of
those dates would be approved. Date the criteria's first blocks from the edition's start, or stop
following it.

Passes (the topic follows the CPMTG 2009, in force from 2009-07-18):

    - id: relaxant.short_course
      2009-07-18:
        requirement: the request covers at most three weeks

Fails (nothing decides requests from 2009-07-18 to 2011-12-31):

    - id: relaxant.short_course
      2012-01-01:
        requirement: the request covers at most three weeks
"""

from __future__ import annotations

from checker.lint.defect import Defect
from checker.load.ruleset import RuleSet

ID = "edition-without-criteria"
TITLE = "a followed edition in which no criterion is in force"


def check(ruleset: RuleSet) -> list[Defect]:
    fix = "date the criteria's first blocks from the edition's start, give the criteria under:, or stop following it"
    return [
        Defect(topic.path, f"follows[{e.follows}]",
               f"no criterion is in force under {e.edition} from {e.effective_from} to {e.effective_to or 'open'}, so every request would be approved", fix)
        for topic in ruleset.topics for e in topic.editions if not e.criteria
    ]
