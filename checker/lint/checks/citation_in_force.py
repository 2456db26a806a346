"""A criterion cites a guideline edition that was in force over the whole period the criterion decides
(the dates of guidelines.yaml). When the guideline was updated, the criterion gets a dated block from
the date the update took effect, citing the new edition.

Passes (the topic follows the CPMTG 2009, to 2016-07-28, and its 2016 update):

    2009-07-18:
      citation: {guideline: cpmtg, edition: "2009", section: Carisoprodol (Soma), pages: "29"}
    2016-07-29:
      citation: {guideline: cpmtg, edition: "2016", section: Carisoprodol (Soma)}

Fails (the 2016 update cited for requests from 2009-07-18 to 2016-07-28):

    2009-07-18:
      citation: {guideline: cpmtg, edition: "2016", section: Carisoprodol (Soma)}
"""

from __future__ import annotations

from checker.lint.defect import Defect, written_in
from checker.lint.periods import last_day, span
from checker.load.ruleset import Criterion, Edition, RuleSet, Topic

ID = "citation-in-force"
TITLE = "a citation of a guideline edition not in force over the period it decides"


def check(ruleset: RuleSet) -> list[Defect]:
    return [defect for topic, edition, c in ruleset.criteria() for defect in _citation_in_force(ruleset, topic, edition, c)]


def _citation_in_force(ruleset: RuleSet, topic: Topic, edition: Edition, c: Criterion) -> list[Defect]:
    cit = c.citation
    guideline = ruleset.guidelines.get((cit.guideline, cit.edition)) if cit else None
    if guideline is None or guideline.effective_from is None:
        return []
    if guideline.effective_from <= edition.effective_from and last_day(edition.effective_to) <= last_day(guideline.effective_to):
        return []
    in_force = span(guideline.effective_from, guideline.effective_to)
    problem = f"cites {cit.guideline} {cit.edition} ({in_force}) for {span(edition.effective_from, edition.effective_to)}"
    return [Defect(c.path, written_in(topic, c, "citation"), problem, "cite the edition in force then, in a dated block from the date it took effect")]
