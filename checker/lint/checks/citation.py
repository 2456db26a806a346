"""Every criterion cites the guideline it encodes: a guideline and edition listed in guidelines.yaml,
with its section, and its pages when that edition is cited by page (the CPMTG 2009). A criterion no
guideline decides (an associated service follows the procedure it serves) writes `basis:` instead of
a citation, saying why.

Passes:

    2009-07-18:
      requirement: the request covers at most three weeks
      citation: {guideline: cpmtg, edition: "2009", section: Carisoprodol (Soma), pages: "29"}

Fails (neither a citation nor a basis):

    2009-07-18:
      requirement: the request covers at most three weeks
"""

from __future__ import annotations

from checker.lint.defect import Defect, written_in
from checker.load.ruleset import Criterion, RuleSet, Topic

ID = "citation"
TITLE = "a criterion without a complete citation of a known guideline edition"


def check(ruleset: RuleSet) -> list[Defect]:
    return [defect for topic, _, c in ruleset.criteria() for defect in _citation_defects(ruleset, topic, c)]


def _citation_defects(ruleset: RuleSet, topic: Topic, c: Criterion) -> list[Defect]:
    where = written_in(topic, c, "citation")
    cit = c.citation
    if cit is None:
        if c.basis:
            return []
        return [Defect(c.path, where, "criterion has no citation", "add citation: {guideline, edition, section, pages}, or basis: when no guideline applies")]
    missing = [k for k in ("guideline", "edition", "section") if not getattr(cit, k)]
    if missing:
        return [Defect(c.path, where, f"citation lacks {', '.join(missing)}", "complete the citation")]
    guideline = ruleset.guidelines.get((cit.guideline, cit.edition))
    if guideline is None:
        known = ", ".join(f"{g} {e}" for g, e in sorted(ruleset.guidelines))
        return [Defect(c.path, where, f"unknown guideline edition '{cit.guideline} {cit.edition}'", f"cite one listed in guidelines.yaml ({known})")]
    if guideline.cite_by == "pages" and not cit.page_numbers():
        return [Defect(c.path, f"{where}.pages", f"{cit.guideline} {cit.edition} is cited by page but no page is given", "add pages: \"29\" or \"63-66\"")]
    return []
