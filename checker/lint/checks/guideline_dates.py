"""Each guideline edition of guidelines.yaml ends on or after the day it starts: an edition that ends
before it starts is in force on no day, and every criterion citing it or block dated under it would
be refused in turn.

Passes:

    "2009":
      effective_from: 2009-07-18
      effective_to: 2016-07-28

Fails:

    "2009":
      effective_from: 2009-07-18
      effective_to: 2008-07-28
"""

from __future__ import annotations

from pathlib import Path

from checker.lint.defect import Defect
from checker.load.ruleset import RuleSet

ID = "guideline-dates"
TITLE = "a guideline edition that ends before it starts"


def check(ruleset: RuleSet) -> list[Defect]:
    path = str(Path(ruleset.directory) / "guidelines.yaml")
    return [
        Defect(path, f"guidelines.{g.guideline}.editions.{g.edition}.effective_to",
               f"{g.guideline} {g.edition} ends ({g.effective_to}) before it starts ({g.effective_from})", "correct the dates")
        for g in ruleset.guidelines.values()
        if g.effective_from is not None and g.effective_to is not None and g.effective_to < g.effective_from
    ]
