"""The Extractor: the cue files compiled for one rule set, and one draft's run through the fact
families (sentences read in context first, then each family's facts, then resolved)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from checker.base.errors import InputError
from checker.extract.asserting import Asserter
from checker.extract.claimant import Claimant
from checker.extract.clinical_text import require_text_within_limits
from checker.extract.diagnoses import Diagnoses
from checker.extract.dosing import RequestDosing
from checker.extract.imaging import Imaging
from checker.extract.medications import Medications
from checker.extract.model import Assertion, DrugMention, RequestInfo, Run, SentenceInfo
from checker.extract.motion import MotionNorms
from checker.extract.pain_scores import PainScores
from checker.extract.regions import Regions
from checker.extract.resolve import resolve
from checker.extract.shared import SharedCues
from checker.extract.targets import TargetFacts
from checker.extract.text import plausible, sides
from checker.extract.therapy import TherapyVisits
from checker.extract.visits import RequestVisits
from checker.load.lexicon import normalise
from checker.load.request_line import parse_request_line, says_postoperative
from checker.load.ruleset import RuleSet
from checker.text.context import REVIEW_CATEGORIES, ContextRules, Document, Modifier, load_context_rules
from checker.text.extract_cues import ExtractionCues, load_extraction_cues
from checker.text.textdates import parse_date, pivot_year


class Extractor:
    """The compiled cues for one rule set's vocabulary and drug lexicon."""

    def __init__(self, ruleset: RuleSet, cues: ExtractionCues | None = None, context: ContextRules | None = None) -> None:
        self.ruleset = ruleset
        self.cues = cues or load_extraction_cues()
        self.context = context or load_context_rules()
        self._check_vocabulary()
        raw = self.cues.raw
        self.shared = SharedCues(ruleset, self.cues)
        self.regions = Regions(self.shared, raw["imaging"])
        asserter = Asserter(self.context, self.shared, self.regions)
        self.therapy = TherapyVisits(self.shared, asserter, raw["therapy"])
        self.imaging = Imaging(self.shared, asserter, self.context, self.regions, raw["imaging"])
        self.pain_scores = PainScores(self.shared, asserter, raw["pain_scores"])
        self.targets = TargetFacts(self.shared, asserter, MotionNorms(self.shared, raw.get("motion_norms") or {}))
        self.claimant = Claimant(self.shared, raw["claimant"], raw["injury_date"])
        self.diagnoses = Diagnoses(self.shared, self.context, raw["diagnoses"])
        self.medications = Medications(self.shared, self.context, raw["medications"])
        self.dosing = RequestDosing(self.context, ruleset.lexicon)
        self.visits = RequestVisits(self.context, ruleset)

    def _check_vocabulary(self) -> None:
        vocab = self.ruleset.vocabulary
        for name in self.cues.facts:
            fact = vocab.get(name)
            if fact is None:
                raise InputError(self.cues.path, f"facts.{name}", "unknown fact", vocab.suggestion(name))
            if fact.derived:
                raise InputError(self.cues.path, f"facts.{name}", "is derived by mtus-checker", "remove it from the extraction cues")
            if fact.obtained != "extracted":
                fix = "remove it from the extraction cues, or mark it obtained: extracted"
                raise InputError(self.cues.path, f"facts.{name}", f"is obtained: {fact.obtained} in the rules", fix)

    def draft(self, text: str, request_texts: list[str], as_of: dt.date | None = None) -> dict:
        require_text_within_limits(text)
        doc = Document(text, self.context.sections)
        run = Run(doc, [], [self._request_info(i, t) for i, t in enumerate(request_texts)], as_of, pivot_year(doc.norm, as_of))
        evidence: dict[str, Any] = {}
        claimant = self.claimant.read(doc, evidence, run)
        run.injury = self.claimant.injury(doc, run, evidence)
        run.sentences = self._sentences(run)
        assertions = [
            *self.targets.read(run),
            *self.targets.read_requests(run),
            *self.pain_scores.read(run),
            *self.therapy.read(run),
            *self.imaging.read(run),
        ]
        left_out: list[dict[str, Any]] = []
        assertions = [a for a in assertions if self._within_range(a, left_out)]
        medications = self.medications.read(run, left_out)
        diagnoses = self.diagnoses.read(run, evidence)
        case_facts, item_facts = resolve(assertions, len(run.requests), self.cues.facts, list(self.ruleset.vocabulary.facts))
        draft: dict[str, Any] = {}
        if claimant:
            draft["claimant"] = claimant
        if run.injury:
            draft["dates"] = {"injury": run.injury}
        if diagnoses:
            draft["diagnoses"] = diagnoses
        if medications:
            draft["medications"] = medications
            self._add_listed_prescriptions(run, medications, evidence)
        draft["facts"] = case_facts
        self._leave_out_preoperative_visits(run, item_facts, case_facts)
        after_surgery = (
            self.medications.postoperative_requests(run)
            | self._therapy_soon_after_surgery(run, item_facts)
            | self._opioid_soon_after_surgery(run, item_facts, case_facts)
        )
        dosing = self.dosing.read(run)
        sites = self.medications.topical_sites(run)
        starting = self.medications.starting_a_class(run)
        planned = self.visits.read(run)
        draft["requests"] = [
            {
                "text": t,
                **({"frequency": dosing[i].frequency} if i in dosing else {}),
                **({"timing": "postoperative"} if i in after_surgery else {}),
                **({"body_parts": list(sites[i][0])} if i in sites else {}),
                **({"new_start": True} if i in starting else {}),
                **({"visits": planned[i].visits} if i in planned else {}),
                **({"facts": item_facts[i]} if item_facts[i] else {}),
            }
            for i, t in enumerate(request_texts)
        ]
        evidence.update({f"requests[{i}].frequency": found.evidence.as_dict() for i, found in sorted(dosing.items())})
        evidence.update({f"requests[{i}].body_parts": found[1].as_dict() for i, found in sorted(sites.items())})
        evidence.update({f"requests[{i}].new_start": found.as_dict() for i, found in sorted(starting.items())})
        evidence.update({f"requests[{i}].visits": found.evidence.as_dict() for i, found in sorted(planned.items())})
        draft["extraction"] = {
            "cues": self.cues.digest[:12],
            "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "evidence": evidence,
            "left_out": left_out,
        }
        return _fresh(draft)

    def _within_range(self, assertion: Assertion, left_out: list[dict[str, Any]]) -> bool:
        """(batch 64) A number outside its fact's declared range ("2016" read as a dose beside a date) is no reading of the
        fact: it is left out and noted, so the draft still loads rather than failing as a whole."""
        vocabulary = self.ruleset.vocabulary
        fact = vocabulary.get(assertion.fact)
        value = assertion.value
        if fact is None or fact.type not in ("integer", "number") or isinstance(value, bool) or not isinstance(value, (int, float)):
            return True
        try:  # the loader's own check of the declared range, so the draft is refused by neither
            vocabulary.check_value(assertion.fact, value, "", assertion.fact)
        except InputError:
            why = f"{value:g} is outside the fact's range"
            left_out.append({"what": "fact", "named": assertion.fact, "why": why, "evidence": assertion.evidence.as_dict()})
            return False
        return True

    def _add_listed_prescriptions(self, run: Run, medications: list[dict[str, Any]], evidence: dict[str, Any]) -> None:
        """Each listed opioid's prescription on its entry; a second release of the drug (oxycodone IR beside OxyContin)
        as an entry of its own, named as the records name it, after the list."""
        for i, dosings in sorted(self.dosing.listed_prescriptions(run, medications).items()):
            for n, dosing in enumerate(dosings):
                at = i if n == 0 else len(medications)
                if n:
                    medications.append({"drug": dosing.named, "status": "current", "evidence": dosing.evidence.as_dict()})
                medications[at]["prescription"] = dosing.written
                evidence[f"medications[{at}].prescription"] = dosing.evidence.as_dict()

    def _therapy_soon_after_surgery(self, run: Run, item_facts: list[dict[str, Any]]) -> set[int]:
        """The therapy requests made within POSTSURGICAL_DAYS of a dated operation on their own part ("A left open
        carpal tunnel release was performed on 10/26/2016" and "Occupational therapy 2x2 left wrist" asked for
        on 11/01/2016): therapy in the post-surgical period follows the Postsurgical Treatment Guidelines
        (8 CCR 9792.24.3), so the request is post-operative though its line does not say so."""
        return {r.index for r in run.requests if self._operated_within(_operation_followed(r, item_facts[r.index]), run, POSTSURGICAL_DAYS)}

    def _opioid_soon_after_surgery(self, run: Run, item_facts: list[dict[str, Any]], case_facts: dict[str, Any]) -> set[int]:
        """The opioid requests made within POSTOPERATIVE_OPIOID_DAYS of a dated operation ("underwent arthroscopic partial
        medial meniscectomy on 05-10-2017", Norco asked for on 05-15-2017): the drug is for the pain after the operation,
        so the 2016 Opioid Treatment Guidelines' post-operative section applies (1.4: not beyond 2 to 3 weeks after a
        less extensive procedure), though the request line does not say so. Later requests are left to the other
        sections, which look at how the course has gone. (batch 65) After a more extensive procedure (a fusion, a joint
        replacement), which the same section allows opioids for up to 3 months after, the window is those 3 months."""
        found = set()
        for r in run.requests:
            if "opioid" not in r.classes:
                continue
            extensive = (item_facts[r.index].get("extensive_surgery") or case_facts.get("extensive_surgery") or {}).get("value") is True
            days = POSTOPERATIVE_EXTENSIVE_OPIOID_DAYS if extensive else POSTOPERATIVE_OPIOID_DAYS
            if self._operated_within(item_facts[r.index].get("postsurgical_condition") or case_facts.get("postsurgical_condition"), run, days):
                found.add(r.index)
        return found

    def _operated_within(self, surgery: dict[str, Any] | None, run: Run, days: int) -> bool:
        """The drafted operation is dated, to the day, no more than `days` before the request."""
        return run.as_of is not None and any(0 <= (run.as_of - day).days <= days for day in self._days_in_evidence(surgery, run))

    def _leave_out_preoperative_visits(self, run: Run, item_facts: list[dict[str, Any]], case_facts: dict[str, Any]) -> None:
        """Therapy visits told before the operation a therapy request follows are no post-operative visits
        (the Postsurgical Treatment Guidelines count the course from the operation, 8 CCR 9792.24.3): with the
        operation still to come (dated after the request: "certified ... and scheduled for 03-08-2016") none
        has been given, so the count is 0, as it is for a request named post-operative whose operation is only said
        to be certified, scheduled or planned, with no operation told done; with the visits dated before a past
        operation the count says nothing of the course after it and is left out. The operation may be told of
        the whole case (a sentence naming no body part: "UR certified the capsular release")."""
        for request in run.requests:
            facts = item_facts[request.index]
            surgery = _operation_followed(request, facts, case_facts)
            visits = facts.get("therapy_visits_completed")
            if surgery is None or visits is None:
                continue
            operated = max(self._days_in_evidence(surgery, run), default=None) if run.as_of is not None else None
            told = max(self._days_in_evidence(visits, run), default=None)
            to_come = says_postoperative(request.text) and self._operation_to_come(surgery, run)
            if to_come or (operated is not None and run.as_of is not None and operated > run.as_of):
                facts["therapy_visits_completed"] = {**visits, "value": 0, "evidence": surgery.get("evidence")}
            elif operated is not None and told is not None and told < operated:
                del facts["therapy_visits_completed"]

    def _operation_to_come(self, surgery: dict[str, Any], run: Run) -> bool:
        """The operation only certified, scheduled or planned where it is told, and no sentence telling one done."""
        sentence = (surgery.get("evidence") or {}).get("sentence", "")
        if not self.therapy.operation_to_come.search(sentence):
            return False
        return not any(self.therapy.operation_done.search(info.sentence.text) for info in run.sentences)

    def _days_in_evidence(self, fact: dict[str, Any] | None, run: Run) -> list[dt.date]:
        """The dates, to the day, in the sentence a drafted fact was read from."""
        sentence = ((fact or {}).get("evidence") or {}).get("sentence", "")
        parsed = (parse_date(m.group(0), run.pivot) for m in self.shared.full_date.finditer(sentence))
        return [p[0] for p in parsed if p and p[1] == "day"]

    def _sentences(self, run: Run) -> list[SentenceInfo]:
        """Each sentence with its cues, drug mentions and date: the date of the note it reports,
        which is its own date or, for an undated sentence, the latest note date before it (a
        lower bound that never overstates how long a listed drug was taken)."""
        shared = self.shared
        found: list[SentenceInfo] = []
        carried: dt.date | None = None
        for sentence in run.doc.sentences:
            modifiers = self.context.sentence_modifiers(sentence)
            review = any(m.category in REVIEW_CATEGORIES for m in modifiers)
            date = None if review else self._sentence_date(sentence.text, modifiers, run)
            if date is not None and (carried is None or date > carried):
                carried = date
            drugs = [
                DrugMention(m.start(), m.end(), shared.drug_names[normalise(m.group(0))], m.group(0))
                for m in shared.drug_pattern.finditer(sentence.text)
            ]
            classes = {cls for cls, rx in shared.class_words.items() if rx.search(sentence.text)}
            found.append(SentenceInfo(sentence, modifiers, None if review else date or carried, drugs, classes, review, date))
        return found

    def _sentence_date(self, text: str, modifiers: list[Modifier], run: Run) -> dt.date | None:
        injury_mentions = self.claimant.injury_mentions(text)
        for match in self.shared.full_date.finditer(text):
            if any(s <= match.start() < e for s, e in injury_mentions):
                continue  # the date of injury is no note date
            if "requested" in self.context.assess(modifiers, match.start(), match.end()):
                continue  # the date of a request is no note date
            parsed = parse_date(match.group(0), run.pivot)
            if parsed and plausible(parsed[0], run.as_of):
                return parsed[0]
        return None

    def _request_info(self, index: int, text: str) -> RequestInfo:
        lexicon, shared = self.ruleset.lexicon, self.shared
        parsed = parse_request_line(text, lexicon)
        found = lexicon.resolve(parsed.drug_named) if parsed.drug_named else None
        named = shared.drug_pattern.search(text)
        drug = found.drug if found else lexicon.drugs[shared.drug_names[normalise(named.group(0))]] if named else None
        return RequestInfo(
            index=index,
            text=text,
            drug=drug.generic if drug else "",
            classes=frozenset(drug.classes) if drug else frozenset(),
            therapy="" if drug else self.therapy.kind_of(text),
            modality="" if drug else self.imaging.modality(text),
            parts=frozenset(self.regions.parts(text)),
            sides=frozenset(sides(text)),
            injection="" if drug else self.regions.injection_kind(text),
        )


# The shortest post-surgical physical medicine period of 8 CCR 9792.24.3's table is 3 months (carpal tunnel
# release): within it, every encoded surgery's period still runs.
POSTSURGICAL_DAYS = 90
# An opioid asked for this soon after a dated operation is for post-operative pain: the 2016 Opioid Treatment
# Guidelines (1.4) allow 2 to 3 weeks after a less extensive procedure, and a request inside that span starts or
# continues that supply.
POSTOPERATIVE_OPIOID_DAYS = 21
POSTOPERATIVE_EXTENSIVE_OPIOID_DAYS = 90  # 2016 Opioid Treatment Guidelines 1.4: up to 3 months after a more extensive procedure
_POSTSURGICAL_THERAPY = frozenset({"physical_therapy", "occupational_therapy", "aquatic_therapy"})


def _operation_followed(request: RequestInfo, item_facts: dict[str, Any], case_facts: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The drafted operation a therapy request follows: its own, else (where `case_facts` is given) the one told of the
    whole case; None for a request that is no therapy the Postsurgical Treatment Guidelines count."""
    if request.therapy not in _POSTSURGICAL_THERAPY:
        return None
    return item_facts.get("postsurgical_condition") or (case_facts or {}).get("postsurgical_condition")


def _fresh(value: Any) -> Any:
    """A copy sharing no object, so yaml.safe_dump writes no anchors (the case loader refuses them)."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    return value
