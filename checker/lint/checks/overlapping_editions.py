"""A topic's followed editions are tried in order and the first in force is used, so an edition in
force together with a later one in the list says `when:` it applies (the acute phase, after surgery);
without it the later edition would never be used over their common years.

Passes:

    follows:
      - {guideline: acoem2004_general, edition: "2004", when: {fact: phase_of_care, in: [acute, subacute]}}
      - {guideline: cpmtg, edition: "2009"}

Fails (both in force from 2009-07-18, the first without when:):

    follows:
      - {guideline: cpmtg, edition: "2009"}
      - {guideline: acoem2004_general, edition: "2004"}
"""

from __future__ import annotations

from itertools import combinations

from checker.lint.defect import Defect
from checker.lint.periods import overlap
from checker.load.ruleset import RuleSet

ID = "overlapping-editions"
TITLE = "two editions in force together, the earlier one without a when condition"


def check(ruleset: RuleSet) -> list[Defect]:
    pairs = [(topic, a, b) for topic in ruleset.topics for a, b in combinations(topic.editions, 2)]
    return [
        Defect(topic.path, f"follows[{a.follows}]", f"editions {a.edition} and {b.edition} are both in force on {max(a.effective_from, b.effective_from)}",
               f"give {a.edition} a when: condition, or follow one of them only")
        for topic, a, b in pairs
        if a.when is None and a.follows != b.follows and overlap(a.effective_from, a.effective_to, b.effective_from, b.effective_to)
    ]
