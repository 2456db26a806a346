"""Drafting case facts from clinical text: `mtus extract`, and `mtus import` for the clinical case
summary of an IMR letter.

Every fact found carries `origin: extracted` and its evidence: the sentence, its character span in
the text as given, and the cue that decided the value (for an explicit absence, the negation cue).
Mentions are read in context (checker/text/context.py): negated, historical, hypothetical, requested,
uncertain and utilization-review mentions are told apart, following the per-fact rules of the cue
files (checker/cues/). A fact the text does not support is left out (it reads "not documented");
statements that contradict each other become a flagged conflict (value null, `conflict:` lists the
competing values with their evidence) for a reviewer to settle, never a guess.

Facts are case-level unless the sentence names a requested item: an effect of a drug (relief,
function, side effects, pain scores) goes under the request for the drug the sentence names, a
therapy visit count under the request for that kind of therapy, earlier imaging under the imaging
request for the same study and body part.

One module per part of the cue files (checker/cues/facts.yaml and facts/<family>.yaml):
    targets.py      the facts: of every cue file, found by their target mentions (and in request lines)
    motion.py       motion_norms: range of motion against normal, for the targets that compute below_norm
    pain_scores.py  pain_scores: pain with and without medication
    therapy.py      therapy: visits completed by kind of therapy
    imaging.py      imaging: studies done, and whether they corroborate
    claimant.py     claimant and injury_date: age, sex, date of injury
    diagnoses.py    diagnoses: the diagnoses listed
    medications.py  medications: the medication list, since when, new starts
and the core they share:
    shared.py       the vocabulary every cue is compiled with (drug names, number words, fragments)
    regions.py      region attribution (body parts, sides, injection kinds)
    asserting.py    deciding one mention in its context, and the requests it is about
    resolve.py      one value per fact, or a conflict
    model.py        the values passed between them; text.py small readers of wording
    extractor.py    the Extractor, which runs them; drafting.py and clinical_text.py the public calls
"""

from checker.extract.clinical_text import MAX_TEXT_BYTES, MAX_TEXT_CHARS, MAX_TEXT_LINES, read_clinical_text, require_text_within_limits
from checker.extract.drafting import draft_case, draft_facts, extractor_for, merge_draft, require_loadable
from checker.extract.extractor import Extractor
from checker.extract.model import REQUEST_LINE, SOURCE, Assertion, Evidence

__all__ = [
    "MAX_TEXT_BYTES", "MAX_TEXT_CHARS", "MAX_TEXT_LINES", "REQUEST_LINE", "SOURCE", "Assertion", "Evidence", "Extractor",
    "draft_case", "draft_facts", "extractor_for", "merge_draft", "read_clinical_text", "require_loadable",
    "require_text_within_limits",
]
