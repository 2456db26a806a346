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
from checker.rules import RuleSet, Topic

ID = "overlapping-editions"
TITLE = "two editions in force together, the earlier one without a when condition"


def check(ruleset: RuleSet) -> list[Defect]:
    return [defect for topic in ruleset.topics for defect in _edition_overlaps(topic)]


def _edition_overlaps(topic: Topic) -> list[Defect]:
    found = []
    for a, b in combinations(topic.editions, 2):
        if a.when is None and a.follows != b.follows and overlap(a.effective_from, a.effective_to, b.effective_from, b.effective_to):
            problem = f"editions {a.edition} and {b.edition} are both in force on {max(a.effective_from, b.effective_from)}"
            found.append(Defect(topic.path, f"follows[{a.follows}]", problem, f"give {a.edition} a when: condition, or follow one of them only"))
    return found
