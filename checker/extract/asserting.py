"""Deciding one mention: the value a fact's mention gives in its sentence's context (negated,
historical, hypothetical, ...) by the fact's rules, and the requests it is about (its attribution:
a drug, a therapy, a study, a body region). Every fact family asserts through here."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from checker.extract.model import DROP, Assertion, DrugMention, Run, SentenceInfo, evidence_at
from checker.extract.regions import Regions
from checker.extract.shared import SharedCues
from checker.text.context import ContextRules, Modifier, distance
from checker.text.extract_cues import DROPPING, FactRule, Target
from checker.text.textdates import parse_date


class Asserter:
    def __init__(self, context: ContextRules, shared: SharedCues, regions: Regions) -> None:
        self.context = context
        self.shared = shared
        self.regions = regions

    def assertion(
        self, run: Run, info: SentenceInfo, rule: FactRule, value: Any, span: tuple[int, int],
        extra_scope: Any = None, decided_by: Modifier | None = None, target: Target | None = None,
        result_cue: re.Pattern[str] | None = None,
    ) -> Assertion | None:
        """An assertion of `value` from the mention at `span`, in its context; `decided_by`: the
        caller already read the negation (its cue becomes the evidence's cue); `target`: the cue
        that matched, when it reads its context its own way; `result_cue`: a negation this matches
        reports a result, and the study was still done ("x-rays were negative")."""
        cats = self.context.assess(info.modifiers, *span)
        if result_cue is not None and "negated" in cats and result_cue.search(info.sentence.text, cats["negated"].start, cats["negated"].end):
            cats = {k: v for k, v in cats.items() if k != "negated"}
        if rule.recent_only and "remote" in cats and _recent_year(info.sentence.text, cats["remote"], run.as_of):
            cats = {k: v for k, v in cats.items() if k != "remote"}
        if rule.current_only and "remote" in cats and _recent_month(info.sentence.text, cats["remote"], run):
            cats = {k: v for k, v in cats.items() if k != "remote"}
        if decided_by is not None:
            cats = {k: v for k, v in cats.items() if k not in ("negated", "not_documented")}
        if rule.current_only and _dated_long_before(info.stated_date, run.as_of) and not _keeps_the_past(rule, target):
            return None
        decided, modifier = decide(rule, value, cats, info.sentence.text, span, target)
        modifier = modifier or decided_by
        if decided is DROP:
            return None
        scope = self._scope(rule, run, info, extra_scope, span)
        if scope is DROP:
            return None
        cue = (modifier.start, modifier.end) if modifier else span
        evidence = evidence_at(run.doc, info.sentence, cue, span if modifier else None)
        with_fact = target.with_fact if target is not None else ""
        return Assertion(rule.name, decided, evidence, info.sentence.start + span[0], info.date, scope, with_fact=with_fact)

    def _account_continued(self, run: Run, info: SentenceInfo) -> SentenceInfo | None:
        """The sentence before, when this one names no drug and opens by carrying on the claimant's account
        of it ("... 8/10 before gabapentin and 3-4/10 now. She sleeps six hours a night instead of three"):
        what it tells is about what that one was about. None when it does not carry on, or that one names
        no drug either."""
        index = info.sentence.index
        if not 0 < index <= len(run.sentences) or not self.shared.carries_on(info.sentence.text):
            return None
        before = run.sentences[index - 1]
        return before if before.drugs and before.sentence.index == index - 1 else None

    def _other_treatments_own(self, rule: FactRule, run: Run, text: str) -> Any:
        """A drug's measure (relief, a gain) told of an injection, a therapy or an operation, in a sentence that
        names no drug nor medication: the treatment's own, so no drug item's. A drug's own relief (drug_only)
        is nobody's; a gain goes to the requests for the kind of therapy the sentence names ("six massage
        sessions, with no change in activity" is no word on the chiropractic requested beside it), or else to
        every item that is no drug."""
        if rule.attribute == "drug_only":
            return DROP
        kinds = self.shared.therapy_kinds_in(text)
        same_kind = tuple(r.index for r in run.requests if r.therapy and r.therapy in kinds)
        if same_kind:
            return same_kind
        others = tuple(r.index for r in run.requests if not r.drug and not (r.therapy and kinds))
        return others or DROP

    def _scope(self, rule: FactRule, run: Run, info: SentenceInfo, extra: Any, span: tuple[int, int] = (0, 0)) -> Any:
        if rule.attribute in ("drug", "drug_only", "drug_named"):
            text = info.sentence.text
            generics = {d.generic for d in _drugs_of_clause(info, span) if not self.shared.names_other_care(text, d.start, d.end)}
            named = tuple(r.index for r in run.requests if r.drug and (r.drug in generics or r.classes & info.classes))
            if named:
                return named
            if rule.attribute != "drug_named" and not generics and run.requests:
                if (only := _the_one_drug_request(run)) and self.shared.names_a_dose_alone(text):
                    return only  # "dizziness had resolved on the lower dose": the one drug asked for
                account = self._account_continued(run, info)  # "She now sleeps six hours" after the drug's effect
                inherited = self._scope(rule, run, account, extra, span) if account is not None else None
                if isinstance(inherited, tuple) and inherited:
                    return inherited
                if self.shared.names_other_treatment(text):
                    return self._other_treatments_own(rule, run, text)
            return DROP if rule.attribute != "drug_named" and generics and run.requests else None
        if rule.attribute == "therapy":
            therapy_requests = [r for r in run.requests if r.therapy]
            same = tuple(r.index for r in therapy_requests if r.therapy == extra or extra == "")
            # (batch 63) a course given for another body part is not the requested part's ("12 acupuncture sessions
            # for the right wrist" against acupuncture asked for the low back): the sentence's parts decide
            by_region = self.regions.same_region(run, info.sentence, span=span, own_clause=True) if same else None
            if isinstance(by_region, tuple):
                same = tuple(i for i in same if i in by_region or not run.requests[i].parts)
            elif by_region is DROP:
                same = tuple(i for i in same if not run.requests[i].parts)
            return same or (DROP if therapy_requests else None)
        if rule.attribute == "imaging":
            return extra
        if rule.attribute in ("region", "region_or_limb"):
            return self.regions.same_region(run, info.sentence, limbs=rule.attribute == "region_or_limb", span=span)
        if rule.attribute == "injection":
            return self.regions.same_injection(run, info.sentence, span)
        if rule.attribute == "other_drug":
            return self._other_drug(run, str(extra or ""))
        return None

    def _other_drug(self, run: Run, mention: str) -> Any:
        """A drug taken beside a requested drug of its class: under those requests. The requested
        drug itself, or a drug no request shares a class with, says nothing ("another NSAID" needs
        a requested NSAID); a class word ("no other NSAIDs") goes to every drug request."""
        named = self.shared.generic(mention)
        if named is None:
            return tuple(r.index for r in run.requests if r.drug) or None
        classes = set(self.shared.ruleset.lexicon.drugs[named].classes)
        same_class = [r for r in run.requests if r.drug and r.classes & classes]
        if not same_class or any(r.drug == named for r in same_class):
            return DROP
        return tuple(r.index for r in same_class)


def _the_one_drug_request(run: Run) -> tuple[int, ...]:
    """The index of the one drug request, when the case asks for exactly one drug; else ()."""
    drugs = tuple(r.index for r in run.requests if r.drug)
    return drugs if len(drugs) == 1 else ()


def _drugs_of_clause(info: SentenceInfo, span: tuple[int, int]) -> list[DrugMention]:
    """The drugs named in the mention itself, else in its own clause between semicolons ("pain 7/10 without hydrocodone
    and 4/10 with it; no rating with and without amitriptyline") or before a clause joined after it (", and ...",
    ", but ..."), or in the whole sentence when its clause names none."""
    text = info.sentence.text
    if span == (0, 0):
        return list(info.drugs)
    named_in_it = [d for d in info.drugs if span[0] <= d.start and d.end <= span[1]]
    if named_in_it:  # the cue's own words name the drug ("gabapentin 600 mg TID (arm pain 8 -> 5/10)")
        return named_in_it
    start = text.rfind(";", 0, span[0]) + 1
    end = text.find(";", span[1])
    end = len(text) if end < 0 else end
    exception = _EXCEPTION.search(text, span[1], end)
    if exception is not None:
        # "denied side effects apart from mild nausea in the first week of duloxetine": the drug in the exception owns
        # the exception only; what the cue tells before it is the regimen's
        end = exception.start()
    joined = _CLAUSE_JOIN.search(text, span[1], end)
    if joined is not None and (";" in text or any(start <= d.start and d.end <= joined.start() for d in info.drugs)):
        # "ibuprofen and naproxen were tried without relief, and hydrocodone has been prescribed since 2013": a clause
        # joined after the cue, naming a drug of its own, tells that drug's story, not the cue's; (batch 62) so does one
        # after a clause of its own between semicolons ("...; he reports it lowers his pain ..., and he has no use of
        # aspirin"), where the cue's part names no drug and the sentence's drugs are the candidates
        end = joined.start()
    elif ";" not in text and exception is None:
        return list(info.drugs)
    own = [d for d in info.drugs if start <= d.start and d.end <= end]
    if not own and (exception is not None or _MEDICATIONS_AT_LARGE.search(text, start, end)):
        return []  # "7 out of 10 without medication and 3 out of 10 with it; since duloxetine was added she cooks": the regimen's
    return own or list(info.drugs)


_MEDICATIONS_AT_LARGE = re.compile(r"\b(?:medications?|meds|medicines?)\b", re.I)
_CLAUSE_JOIN = re.compile(r",\s+(?:and|but|while|whereas|although|though)\s", re.I)
_EXCEPTION = re.compile(r"\b(?:apart\s+from|aside\s+from|except(?:\s+for)?|other\s+than|save\s+for|besides)\b", re.I)


def decide(
    rule: FactRule, value: Any, cats: dict[str, Modifier], text: str, span: tuple[int, int], target: Target | None
) -> tuple[Any, Modifier | None]:
    """The value a mention gives the fact in its context, or DROP; and the cue that decided.
    A mention that states an absence itself ("intact sensation") is negated only by a cue right
    before it ("not neurologically intact"), not by a list's leading "no"."""
    keep = _kept(rule, target)
    require = rule.require if target is None or target.require is None else target.require
    negated = target.negated if target is not None and target.negated else rule.negated
    if "ongoing" in cats:
        cats = _nearer_than_the_past(cats, span)
    if (rule.ongoing_overrides and "ongoing" in cats) or ("certified" in cats and "certified" in keep):
        # an ongoing course is no plan; nor is a surgery utilization review certified, though still scheduled
        cats = {k: v for k, v in cats.items() if k != "hypothetical"}
    for category in DROPPING:
        if category in cats and category not in keep:
            return DROP, None
    if require and not require & set(cats):
        return DROP, None
    if rule.stopped and "stopped" in cats:  # a treatment stopped is a current state, however long ago
        return _apply(rule.stopped, value), cats["stopped"]
    if rule.current_only and any(category in cats and category not in keep for category in ("historical", "remote", "prior_treatment")):
        return DROP, None
    if rule.recent_only and "remote" in cats and "remote" not in keep:
        return DROP, None
    for category, how in (("not_documented", rule.not_documented), ("negated", negated)):
        if how == "keep":
            continue
        if category in cats and not (value is False and not _adjacent(text, cats[category], span)):
            return _apply(how, value), cats[category]
    return value, None


def _nearer_than_the_past(cats: dict[str, Modifier], span: tuple[int, int]) -> dict[str, Modifier]:
    """A mention told as continuing ("PT x10 in 2016, continues HEP") is current when its continuing cue is nearer
    to it than the cue that puts the sentence in the past: the nearer cue decides, as for a drug."""
    ongoing = distance(cats["ongoing"], *span)
    return {k: v for k, v in cats.items() if k not in ("historical", "remote") or distance(v, *span) <= ongoing}


def _kept(rule: FactRule, target: Target | None) -> frozenset[str]:
    """The categories that do not drop the mention: the target's own keep, else the fact's."""
    return rule.keep if target is None or target.keep is None else target.keep


def _keeps_the_past(rule: FactRule, target: Target | None) -> bool:
    """The cue holds whenever it was told (a history of cancer is a red flag however long ago): its keep names
    historical."""
    return "historical" in _kept(rule, target)


def _apply(how: str, value: Any) -> Any:
    if how == "drop":
        return DROP
    if how == "invert":
        return (not value) if isinstance(value, bool) else DROP
    return how == "true"


# A state the records give a date for is current only near the request: a finding, a status or a score
# dated more than this many days before the request date is history ("spasm noted on 01/12/2015" for a
# request of June 2016), however it is worded.
CURRENT_WITHIN_DAYS = 365


def _dated_long_before(stated: dt.date | None, as_of: dt.date | None) -> bool:
    return stated is not None and as_of is not None and (as_of - stated).days > CURRENT_WITHIN_DAYS


def _recent_year(text: str, modifier: Modifier, as_of: dt.date | None) -> bool:
    """A remote cue that is a year no earlier than the year before the request ("in 2016" for a request
    of 2016): recent for a fact that only sets remote mentions aside."""
    year = re.search(r"(?:19|20)\d\d", text[modifier.start : modifier.end])
    return bool(year and as_of and int(year.group(0)) >= as_of.year - 1)


_MONTH_OF_YEAR = re.compile(r"\b((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(?:of\s+)?(?:19|20)\d\d)\b", re.I)


def _recent_month(text: str, modifier: Modifier, run: Run) -> bool:
    """A remote cue that is a month of a year within CURRENT_WITHIN_DAYS before the request ("the UDS in
    January 2016" for a request of April 2016): it dates a current state, not a long-past one."""
    found = _MONTH_OF_YEAR.search(text[modifier.start : modifier.end])
    parsed = parse_date(found.group(1).replace(" of ", " "), run.pivot) if found else None
    return bool(parsed and run.as_of and -31 <= (run.as_of - parsed[0]).days <= CURRENT_WITHIN_DAYS)


def _adjacent(text: str, modifier: Modifier, span: tuple[int, int]) -> bool:
    """The cue is right before or after the mention: at most one word between, and no comma or
    semicolon ("no symptoms, Tinel's negative": the "no" belongs to the symptoms)."""
    between = text[modifier.end : span[0]] if modifier.end <= span[0] else text[span[1] : modifier.start]
    return len(between.split()) <= 1 and not any(mark in between for mark in ",;:")
