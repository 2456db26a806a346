"""How a fact is `obtained:` agrees with the extraction cues of checker/cues/: a fact marked
`extracted` has cues there, and only such a fact has them. Otherwise `mtus extract` and `mtus import`
could never draft a fact the rules expect from clinical text, or would draft one that mtus-checker
computes or that is left to a reviewer. A fact without `obtained:` is `extracted`.

Passes (checker/cues/ has cues for acute_muscle_spasm):

    acute_muscle_spasm:
      type: boolean
      obtained: extracted

Fails (no cue drafts guideline_variance_evidence; a reviewer gives it):

    guideline_variance_evidence:
      type: boolean
      obtained: extracted
"""

from __future__ import annotations

from checker.lint.defect import Defect, declared_in
from checker.load.ruleset import RuleSet
from checker.text.extract_cues import load_extraction_cues

ID = "obtained"
TITLE = "a fact marked extracted without cues, or cues for a fact not marked extracted"


def check(ruleset: RuleSet) -> list[Defect]:
    cued = load_extraction_cues().drafted
    found = []
    for f in ruleset.vocabulary.facts.values():
        where = (declared_in(ruleset, f.name), f"facts.{f.name}.obtained")
        if f.obtained == "extracted" and f.name not in cued:
            found.append(Defect(*where, "marked extracted, but checker/cues/ has no cues for it", "add cues for it there, or write obtained: reviewer"))
        elif f.obtained != "extracted" and f.name in cued:
            found.append(Defect(*where, f"obtained: {f.obtained}, but checker/cues/ has cues for it", "write obtained: extracted, or remove its cues"))
    return found
