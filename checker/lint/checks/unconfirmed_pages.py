"""A criterion whose provenance is `confidence: unconfirmed` (no source at hand confirms it) cites no
page as if confirmed: each page it gives, in a block's citation or in the passage its provenance
`paraphrases:`, is marked `pages_confirmed: false`, so `mtus rules docs` lists it under "Unconfirmed
items" until someone checks it.

Passes:

    provenance: {confidence: unconfirmed}
    2009-07-18:
      citation: {guideline: cpmtg, edition: "2009", section: Muscle relaxants (for pain), pages: "63", pages_confirmed: false}

Fails:

    provenance: {confidence: unconfirmed}
    2009-07-18:
      citation: {guideline: cpmtg, edition: "2009", section: Muscle relaxants (for pain), pages: "63"}
"""

from __future__ import annotations

from checker.lint.defect import Defect
from checker.load.ruleset import DatedCriterion, RuleSet

ID = "unconfirmed-pages"
TITLE = "an unconfirmed provenance citing a page as if confirmed"


def check(ruleset: RuleSet) -> list[Defect]:
    return [defect for topic in ruleset.topics for c in topic.dated_criteria for defect in _unconfirmed_pages(c)]


def _unconfirmed_pages(c: DatedCriterion) -> list[Defect]:
    if c.provenance is None or c.provenance.confidence != "unconfirmed":
        return []
    fix = "add pages_confirmed: false, or confirm the page and the confidence"
    problem = "an unconfirmed source cites a page as if confirmed"
    found = []
    for day, block in c.blocks:
        cit = block.get("citation") or {}
        if isinstance(cit, dict) and cit.get("pages") and cit.get("pages_confirmed", True) is not False:
            found.append(Defect(c.path, f"criteria[{c.id}].{day}.citation", problem, fix))
    paraphrases = c.provenance.paraphrases
    if paraphrases is not None and paraphrases.pages and paraphrases.pages_confirmed:
        found.append(Defect(c.path, f"criteria[{c.id}].provenance.paraphrases", problem, fix))
    return found
