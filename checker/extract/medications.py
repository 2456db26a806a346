"""The medication list (medications of checker/cues/facts.yaml): each drug the notes name, current
or past, since when or for how long, a first prescription as a new start; a listed name the drug
lexicon does not know is noted as left out, never written as a drug."""

from __future__ import annotations

import re
from typing import Any

from checker.extract.model import DrugMention, Evidence, Run, SentenceInfo, evidence_at
from checker.extract.shared import SharedCues
from checker.extract.text import duration_unit, list_items, plausible
from checker.text.context import REVIEW_CATEGORIES, ContextRules, distance
from checker.text.extract_cues import fill_fragments
from checker.text.textdates import parse_date

RECENT_VISIT_DAYS = 30  # a visit this close before the request is the one the request follows


class Medications:
    def __init__(self, shared: SharedCues, context: ContextRules, raw: dict) -> None:
        self.shared = shared
        self.context = context
        self.list_cue = shared.regex(raw["list_cue"], "medications.list_cue")
        self.not_a_drug = shared.regex(raw["not_a_drug"], "medications.not_a_drug")
        self.dose_tail = shared.regex(raw["dose_tail"], "medications.dose_tail")
        self.topical_before = shared.regex(raw["topical_before"], "medications.topical_before")
        self.topical_after = shared.regex(raw["topical_after"], "medications.topical_after")
        self.over_the_counter_before = shared.regex(raw["over_the_counter_before"], "medications.over_the_counter_before")
        self.over_the_counter_after = shared.regex(raw["over_the_counter_after"], "medications.over_the_counter_after")
        self.since_patterns = [shared.regex(rx, f"medications.since[{i}]") for i, rx in enumerate(raw["since"])]
        durations = [fill_fragments(rx, shared.cues.fragments) for rx in raw["duration"]]  # {duration}, {about}
        self.duration_patterns = [shared.regex(rx, f"medications.duration[{i}]", number=shared.number) for i, rx in enumerate(durations)]
        self.new_start_patterns = [shared.regex(rx, f"medications.new_start[{i}]") for i, rx in enumerate(raw.get("new_start", ()))]
        self.new_start_at_recent_visit = [
            shared.regex(rx, f"medications.new_start_at_recent_visit[{i}]") for i, rx in enumerate(raw.get("new_start_at_recent_visit", ()))
        ]
        in_plan = raw.get("new_start_in_plan") or {}
        self.plan_word = shared.regex(in_plan["plan"], "medications.new_start_in_plan.plan") if in_plan else None
        self.plan_verb_before_drug = shared.regex(in_plan["verb_before_drug"], "medications.new_start_in_plan.verb_before_drug") if in_plan else None
        started = raw.get("new_start_verb_at_recent_visit")
        self.start_verb_at_recent_visit = shared.regex(started, "medications.new_start_verb_at_recent_visit") if started else None
        self.prescribed_before = shared.regex(raw["prescribed_before"], "medications.prescribed_before")
        self.topical_request = shared.regex(raw["topical_request"], "medications.topical_request")
        self.topical_site = shared.regex(raw["topical_site"], "medications.topical_site")
        self.topical_site_reach = shared.regex(raw["topical_site_reach"], "medications.topical_site_reach")
        advised = raw.get("stop_advised")
        self.stop_advised = shared.regex(advised, "medications.stop_advised") if advised else None
        stopped = raw.get("stopped_by_pronoun")
        self.stopped_by_pronoun = shared.regex(stopped, "medications.stopped_by_pronoun") if stopped else None
        failed = raw.get("failed_trial_after")
        self.failed_trial_after = shared.regex(failed, "medications.failed_trial_after") if failed else None
        self.failed_trial_between = shared.regex(raw["failed_trial_between"], "medications.failed_trial_between") if failed else None
        class_words = shared.cues.raw.get("drug_class_words", {})
        self.class_never_taken = [
            (drug_class, shared.regex(rx, f"medications.class_never_taken[{i}]", **{"class": f"(?:{words})"}))
            for i, rx in enumerate(raw.get("class_never_taken", ()))
            for drug_class, words in class_words.items()
        ]
        unless = raw.get("class_never_taken_unless")
        self.class_never_taken_unless = shared.regex(unless, "medications.class_never_taken_unless") if unless else None
        postoperative = raw.get("postoperative_use") or {}
        self.postoperative_after = shared.regex(postoperative["after"], "medications.postoperative_use.after") if postoperative else None
        self.postoperative_before = shared.regex(postoperative["before"], "medications.postoperative_use.before") if postoperative else None

    def read(self, run: Run, left_out: list[dict[str, Any]]) -> list[dict[str, Any]]:
        uses: dict[str, list[dict[str, Any]]] = {}
        first: dict[str, Evidence] = {}
        for info in run.sentences:
            mentions = list(info.drugs) + self._listed_unknowns(run, info, left_out)
            since = self._since(run, info, mentions)
            listed_after: tuple[DrugMention, dict[str, Any]] | None = None  # the drug before, prescribed
            for mention in sorted(mentions, key=lambda d: d.start):
                use = self._use(run, info, mention)
                if use is None:
                    listed_after = None
                    continue
                if listed_after is not None and _next_in_list(info.sentence.text, listed_after[0], mention):
                    use["prescribed"] = use["prescribed"] or listed_after[1]["prescribed"]
                use["since"] = since.get((mention.start, mention.end))
                uses.setdefault(mention.generic, []).append(use)
                listed_after = (mention, use)
            for generic, evidence in self._first_prescriptions(run, info).items():
                first.setdefault(generic, evidence)
        found = [_medication(generic, used) for generic, used in uses.items()]
        for entry in found:
            used = _current_course(uses[entry["drug"]])
            first_named_as_prescribed = bool(used) and used[0]["prescribed"] and not any(u["since"] for u in used)
            if entry["status"] == "current" and (entry["drug"] in first or first_named_as_prescribed):
                entry.pop("documented_since", None)
                entry["new_start"] = True
                if entry["drug"] in first:
                    entry["evidence"] = first[entry["drug"]].as_dict()
        return found

    def postoperative_requests(self, run: Run) -> set[int]:
        """The requests for a drug the records ask for to use after an operation ("Norco 5/325 mg #30 for
        post-op pain", "post-operative Percocet"), where the request line itself does not say so: the
        drug is requested for after the surgery, so its timing is post-operative."""
        if self.postoperative_after is None or self.postoperative_before is None:
            return set()
        drugs = {r.drug: r.index for r in run.requests if r.drug}
        found = set()
        for info in run.sentences:
            text = info.sentence.text
            for mention in info.drugs:
                index = drugs.get(mention.generic)
                if index is None or "requested" not in self.context.assess(info.modifiers, mention.start, mention.end):
                    continue
                if self.postoperative_after.match(text, mention.end) or self.postoperative_before.search(text, max(0, mention.start - 40), mention.start):
                    found.add(index)
        return found

    def starting_a_class(self, run: Run) -> dict[int, Evidence]:
        """The drug requests of a class the records say the claimant has never taken ("She has never been prescribed
        a muscle relaxant", "it is his first benzodiazepine"): each request starts its drug, so no course of it has
        run yet, whatever the records say of the drug planned."""
        never: dict[str, Evidence] = {}
        for info in run.sentences:
            if info.review:
                continue
            text = info.sentence.text
            for drug_class, pattern in self.class_never_taken:
                for m in pattern.finditer(text):
                    if drug_class in never or self._excepted(text, m) or self.context.assess(info.modifiers, m.start(), m.end()).keys() & _NOT_SAID:
                        continue
                    never[drug_class] = evidence_at(run.doc, info.sentence, m.span())
        return {r.index: never[c] for r in run.requests if r.drug for c in sorted(r.classes) if c in never}

    def _excepted(self, text: str, m: re.Match[str]) -> bool:
        """The sentence goes on to an exception right after the words ("never ... until 2015", "other than")."""
        return self.class_never_taken_unless is not None and self.class_never_taken_unless.search(text[m.end() :]) is not None

    def topical_sites(self, run: Run) -> dict[int, tuple[tuple[str, ...], Evidence]]:
        """The body parts the records apply a requested cream, gel or patch to ("Voltaren Gel 100 g to the thumbs"),
        by request, where its line names none: the first sentence naming the drug with its site, not denied."""
        wanted = {r.drug: r.index for r in run.requests if r.drug and not r.parts and self.topical_request.search(r.text)}
        found: dict[int, tuple[tuple[str, ...], Evidence]] = {}
        for info in run.sentences:
            text = info.sentence.text
            for mention in info.drugs:
                index = wanted.get(mention.generic)
                if index is None or index in found or info.review:
                    continue
                if set(self.context.assess(info.modifiers, mention.start, mention.end)) & {"negated", "other_person"}:
                    continue
                site = self._site_after(text, mention.end)
                if site is not None:
                    parts, span = site
                    found[index] = (parts, evidence_at(run.doc, info.sentence, span, (mention.start, mention.end)))
        return found

    def _site_after(self, text: str, start: int) -> tuple[tuple[str, ...], tuple[int, int]] | None:
        """The body parts of the first place phrase after a drug's name, within its clause, that names one ("for 8
        weeks" and "in the morning" name none and are passed over), with the span of the words naming them."""
        reach = self.topical_site_reach.match(text, start)
        limit = reach.end() if reach else start
        for site in self.topical_site.finditer(text, start):
            if site.start() > limit:
                return None
            for named in ("word", "part"):  # "thumbs", or else the two words: "low back"
                parts = self.shared.ruleset.services.find_body_parts(site.group(named))
                if parts:
                    return parts, site.span(named)
        return None

    def _first_prescriptions(self, run: Run, info: SentenceInfo) -> dict[str, Evidence]:
        """The drugs a sentence starts: the one drug of a sentence calling its prescription the first one, and each
        drug a plan begins by name; whatever dates earlier notes gave them."""
        if info.review:
            return {}
        found = self._first_prescription_of_only_drug(run, info)
        for drug in info.drugs:
            if drug.generic not in found and (evidence := self._begun_by_plan(run, info, drug) or self._begun_at_recent_visit(run, info, drug)):
                found[drug.generic] = evidence
        return found

    def _begun_at_recent_visit(self, run: Run, info: SentenceInfo, drug: DrugMention) -> Evidence | None:
        """A drug named right after a verb of starting ("the physician started gabapentin"), at a visit the
        request follows, the verb not negated."""
        if self.start_verb_at_recent_visit is None or not _visit_before_request(info, run):
            return None
        text = info.sentence.text
        verb = self.start_verb_at_recent_visit.search(text, 0, drug.start)
        if verb is None or "negated" in self.context.assess(info.modifiers, verb.start(), verb.end()):
            return None
        return evidence_at(run.doc, info.sentence, verb.span(), (drug.start, drug.end))

    def _begun_by_plan(self, run: Run, info: SentenceInfo, drug: DrugMention) -> Evidence | None:
        """A drug named right after a plan's verb of starting ("the plan was to continue naproxen and begin
        gabapentin"), the plan not negated."""
        if self.plan_verb_before_drug is None or self.plan_word is None:
            return None
        text = info.sentence.text
        verb = self.plan_verb_before_drug.search(text, 0, drug.start)
        if verb is None or self.plan_word.search(text, 0, verb.start()) is None:
            return None
        if "negated" in self.context.assess(info.modifiers, verb.start(), verb.end()):
            return None
        return evidence_at(run.doc, info.sentence, verb.span(), (drug.start, drug.end))

    def _first_prescription_of_only_drug(self, run: Run, info: SentenceInfo) -> dict[str, Evidence]:
        """A sentence calling a drug's prescription the first one ("a first-time request for
        Naprosyn"): the drug is a new start. The cue must name one drug only in its sentence and must
        not be negated."""
        text = info.sentence.text
        generics = {d.generic for d in info.drugs}
        if len(generics) != 1:
            return {}
        for pattern in [*self.new_start_patterns, *(self.new_start_at_recent_visit if _visit_before_request(info, run) else ())]:
            m = pattern.search(text)
            if m and "negated" not in self.context.assess(info.modifiers, m.start(), m.end()):
                drug = info.drugs[0]
                return {drug.generic: evidence_at(run.doc, info.sentence, m.span(), (drug.start, drug.end))}
        return {}

    def _use(self, run: Run, info: SentenceInfo, mention: DrugMention) -> dict[str, Any] | None:
        cats = self.context.assess(info.modifiers, mention.start, mention.end)
        if "ongoing" in cats and "stopped" in cats:  # "stop X and continue Y": the nearer cue decides
            cats.pop(_farther(cats, "ongoing", "stopped", mention))
        text = info.sentence.text
        for earlier in ("historical", "remote"):  # "X continues at the dose of a year ago": continued now
            if "ongoing" in cats and earlier in cats and not _past_tense(text, cats["ongoing"]):
                cats.pop(_farther(cats, "ongoing", earlier, mention))
        if "ongoing" in cats:
            cats.pop("hypothetical", None)
        if "stopped" in cats:  # the drug a request replaces ("naproxen requested in place of the ibuprofen") ends
            cats.pop("requested", None)
        if set(cats) & {*REVIEW_CATEGORIES, "requested", "hypothetical", "uncertain", "negated", "not_documented", "other_person", "conditional"}:
            return None
        stopped = "stopped" in cats or self._stopped_after(text, mention, info.drugs)
        past = "historical" in cats or "remote" in cats or stopped or self._failed_trial(text, mention)
        return {
            "prescribed": self._prescribed_right_before(text, mention) and not _governed_by(text, cats.get("ongoing"), mention),
            "stopped": stopped,
            "stop_advised": stopped and self.stop_advised is not None and self.stop_advised.search(text, max(0, mention.start - 60), mention.start) is not None,
            "past": past,
            "date": info.date,
            "evidence": evidence_at(run.doc, info.sentence, (mention.start, mention.end)),
            "written": mention.written,
            "topical": self._topical(text, mention, info.drugs),
            "over_the_counter": bool(
                self.over_the_counter_before.search(text[max(0, mention.start - 40) : mention.start])
                or self.over_the_counter_after.search(text[mention.end : mention.end + 60])
            ),
        }

    def _topical(self, text: str, mention: DrugMention, mentions: list[DrugMention]) -> bool:
        """A cream, gel or patch named right after the drug (past its strength), "topical" right before it, or a
        cream "of" a list the drug is in ("a compounded cream of ketoprofen 10%, gabapentin 6% and lidocaine 2%")."""
        drug = self.shared.ruleset.lexicon.drugs.get(mention.generic)
        if drug is None or _SYSTEMIC_THROUGH_SKIN & set(drug.classes):
            return False  # a fentanyl or buprenorphine patch acts through the blood, as a tablet does
        product = self.shared.ruleset.lexicon.resolve(mention.written)
        if product is not None and product.product is not None and product.product.form in _TOPICAL_FORMS:
            return True  # a product name that is a topical form ("Voltaren gel", "Flector")
        if self.topical_after.search(text[mention.end : mention.end + 40]):
            return True
        before = text[max(0, mention.start - 160) : mention.start]
        cues = list(self.topical_before.finditer(before))
        if not cues:
            return False
        cue = cues[-1]
        between = before[cue.end() :]
        for other in mentions:  # the drugs listed before this one in the same cream
            if other.end <= mention.start and other.start >= mention.start - len(between):
                between = between.replace(other.written, " ")
        return _LIST_REST.fullmatch(between) is not None

    def _failed_trial(self, text: str, mention: DrugMention) -> bool:
        """The clause goes on to tell the drug's trial as failed ("ibuprofen and naproxen gave little relief"), with no
        word of ongoing use between the drug and the outcome: a trial told as over."""
        if self.failed_trial_after is None:
            return False
        found = self.failed_trial_after.match(text, mention.end)
        return found is not None and self.failed_trial_between.search(text, mention.end, found.end()) is None

    def _stopped_after(self, text: str, mention: DrugMention, mentions: list[DrugMention]) -> bool:
        """The sentence goes on to say "stopped it" before naming another drug: the pronoun stands for this one."""
        if self.stopped_by_pronoun is None:
            return False
        until = min((d.start for d in mentions if d.start > mention.start), default=len(text))
        return self.stopped_by_pronoun.search(text, mention.end, until) is not None

    def _since(self, run: Run, info: SentenceInfo, mentions: list[DrugMention]) -> dict[tuple[int, int], dict[str, Any]]:
        """Start or duration evidence ("since at least 8/28/13", "for at least 3 months") and the
        drug mentions it belongs to."""
        text = info.sentence.text
        found: dict[tuple[int, int], dict[str, Any]] = {}
        ordered = sorted(mentions, key=lambda d: d.start)
        for pattern, kind in [(p, "since") for p in self.since_patterns] + [(p, "duration") for p in self.duration_patterns]:
            for m in pattern.finditer(text):
                fields = self._since_fields(m, kind, run)
                if not fields:
                    continue
                for mention in _attached(text, ordered, m.start()):
                    if kind == "duration" and self._course_prescribed(text, ordered, mention, m):
                        continue
                    key = (mention.start, mention.end)
                    if key not in found or _since_key(found[key]) > _since_key({"fields": fields}):
                        found[key] = {"fields": fields, "evidence": evidence_at(run.doc, info.sentence, m.span(), (mention.start, mention.end))}
        return found

    def _course_prescribed(self, text: str, ordered: list[DrugMention], mention: DrugMention, m: re.Match[str]) -> bool:
        """"Prescribed tizanidine ... for two weeks": the course prescribed, not the time it was taken; so
        is a step of a dosing schedule ("30 mg daily for one week, then 60 mg daily") and a drug listed after
        a prescribed one in the same act ("prescribed naproxen ... for 15 days and methocarbamol ... for 10 days")."""
        if not m.group(0).lower().startswith("for"):
            return False
        if _SCHEDULE_STEP.match(text, m.end()):
            return True
        at = ordered.index(mention)
        while not self._prescribed_right_before(text, ordered[at]):
            if at == 0 or not _next_in_list(text, ordered[at - 1], ordered[at]):
                return False
            at -= 1
        return True

    def _prescribed_right_before(self, text: str, mention: DrugMention) -> bool:
        """A prescribing verb right before the drug ("the physician prescribed naproxen")."""
        return self.prescribed_before.search(text[max(0, mention.start - 60) : mention.start]) is not None

    def _since_fields(self, m: re.Match[str], kind: str, run: Run) -> dict[str, Any] | None:
        if kind == "since":
            parsed = parse_date(m.group("date"), run.pivot)
            if not parsed or not plausible(parsed[0], run.as_of):
                return None
            return {"documented_since": parsed[0]}
        return self._duration_fields(m.group("d"))

    def _duration_fields(self, written: str) -> dict[str, Any] | None:
        """A duration of use as the case file writes it: whole in the unit it was written in (a year is
        12 months), else whole days, rounded down so that a duration is never overstated."""
        unit = duration_unit(written)
        amount = self.shared.duration_in(written, unit) if unit else None
        if not amount or amount <= 0:
            return None
        if amount == int(amount):
            return {"duration_months": int(amount) * 12} if unit == "year" else {f"duration_{unit}s": int(amount)}
        days = int(self.shared.duration_in(written, "day") or 0)
        return {"duration_days": days} if days else None

    def _listed_unknowns(self, run: Run, info: SentenceInfo, left_out: list[dict[str, Any]]) -> list[DrugMention]:
        """Names in a medication list the lexicon does not know exactly: a close misspelling becomes a
        mention of that drug; any other name is noted as left out, never written as a drug."""
        text = info.sentence.text
        cue = self.list_cue.search(text)
        if cue is None or info.review:
            return []
        found = []
        for start, item in list_items(text, cue.end()):
            if any(start <= d.start < start + len(item) for d in info.drugs):
                continue
            name = self.dose_tail.sub("", item).strip(" .")
            if not name or len(name.split()) > 3 or not re.fullmatch(r"[A-Za-z][A-Za-z\s'-]*", name) or self.not_a_drug.search(name):
                continue
            end = start + len(name)
            resolved = self.shared.ruleset.lexicon.resolve(name)
            if resolved:
                found.append(DrugMention(start, end, resolved.drug.generic, name))
            elif self._use(run, info, DrugMention(start, end, "", name)) is not None:
                evidence = evidence_at(run.doc, info.sentence, (start, end)).as_dict()
                left_out.append({"what": "medication", "named": name, "why": "not in the drug lexicon", "evidence": evidence})
        return found


def _farther(cats: dict[str, Any], one: str, other: str, mention: DrugMention) -> str:
    return max((one, other), key=lambda c: distance(cats[c], mention.start, mention.end))


# A duration followed by the next step of a dosing schedule: a titration or taper, not the time taken so far.
_SCHEDULE_STEP = re.compile(
    r",?\s*(?:and\s+)?then\s+(?:\d+(?:\.\d+)?\s*(?:mg|mcg)\b|once|twice|three\s+times|(?:increas|decreas|titrat|reduc)\w*|up\s+to|stop|discontinu\w*|off\b)",
    re.IGNORECASE,
)
# A verb of its own between two drugs: they are not one act's list.
_ACT_VERB = re.compile(r"\b(?:continu\w*|stop\w*|discontinu\w*|held|hold|was|were|is|are|has|had|takes|taking|took|used|uses|using)\b", re.IGNORECASE)


def _next_in_list(text: str, previous: DrugMention, mention: DrugMention) -> bool:
    """The drug follows the one before in a list of one act ("prescribed naproxen 550 mg twice daily,
    #60, cyclobenzaprine 5 mg at bedtime"): only its dose and a separator lie between them."""
    gap = text[previous.end : mention.start]
    if len(gap) > 60 or re.fullmatch(r"[^;.]*?(?:,|\band\b)\s*(?:(?:a|an|the)\s+)?", gap) is None:
        return False
    return _CLAUSE_BETWEEN.search(gap) is None and _ACT_VERB.search(gap) is None


def _governed_by(text: str, modifier: Any, mention: DrugMention) -> bool:
    """The cue (a "continue") reaches the drug: in a list of actions each verb governs its own drug,
    so "continue ibuprofen, add cyclobenzaprine" continues the one and starts the other."""
    if modifier is None:
        return False
    if modifier.end > mention.start:
        return True
    return re.search(r"[,;]|\band\b", text[modifier.end : mention.start]) is None


def _visit_before_request(info: SentenceInfo, run: Run) -> bool:
    """The sentence tells of a visit the request follows: dated within RECENT_VISIT_DAYS before it."""
    return info.date is not None and run.as_of is not None and 0 <= (run.as_of - info.date).days <= RECENT_VISIT_DAYS


def _past_tense(text: str, modifier: Any) -> bool:
    """The cue tells of an earlier time itself ("was continued in 2014", "refilled")."""
    return text[modifier.start : modifier.end].lower().endswith("ed")


def _current_course(uses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mentions since the drug was last told stopped: a course stopped and begun again runs from the restart
    (a 10-day course in 2015, stopped, and the same drug prescribed for a new flare in 2017). A stop only advised
    ("told to stop the Soma", then "still taking ... Soma") ends no course."""
    last_stop = max((i for i, u in enumerate(uses) if u["stopped"] and not u["stop_advised"]), default=-1)
    return uses[last_stop + 1 :]


def _medication(generic: str, uses: list[dict[str, Any]]) -> dict[str, Any]:
    current = [u for u in uses if not u["past"]]
    last_stop = max((i for i, u in enumerate(uses) if u["stopped"]), default=-1)
    last_current = max((i for i, u in enumerate(uses) if not u["past"]), default=-1)
    status = "current" if current and last_current > last_stop else "past"
    if status == "current":
        uses = _current_course(uses)
        current = [u for u in uses if not u["past"]]
    entry: dict[str, Any] = {"drug": generic}
    explicit = [u for u in uses if u["since"]]
    if explicit:
        since = min(explicit, key=lambda u: _since_key(u["since"]))
        entry.update(since["since"]["fields"])
        evidence = since["since"]["evidence"]
    else:
        dated = [u for u in current if u["date"]]
        first = min(dated, key=lambda u: u["date"]) if dated else (current or uses)[0]
        if dated:
            entry["documented_since"] = first["date"]
        evidence = first["evidence"]
    entry["status"] = status
    told = current or uses  # the form and the buying of what is taken now, else of what was
    if all(u["topical"] for u in told):
        entry["form"] = "topical"
    if all(u["over_the_counter"] for u in told):
        entry["over_the_counter"] = True
    entry["evidence"] = evidence.as_dict()
    return entry


# What takes a class-never statement back: said of someone else, or only supposed ("if she has never taken a muscle
# relaxant"); its own "never" is the statement, not a denial of it.
_NOT_SAID = frozenset({"other_person", "conditional", "uncertain", "hypothetical"})
_TOPICAL_FORMS = frozenset({"topical", "patch"})
_SYSTEMIC_THROUGH_SKIN = frozenset({"opioid"})

# What may stand between a topical cue and a drug of the list it opens: other drugs' strengths and separators.
_LIST_REST = re.compile(r"(?:[\s,]|\d+(?:\.\d+)?\s*%|and\b|\bor\b)*", re.IGNORECASE)

# A clause of its own between a drug and a duration: another act with its own verb.
_CLAUSE_BETWEEN = re.compile(
    r";|,?\s+and\s+(?:was\s+|were\s+|(?:she|he|they)\s+)?(?:requested|recommended|referred|ordered|scheduled|"
    r"attended|completed|underwent|started|began|had|has|is|was|will|would|planned|prescribed)\b",
    re.IGNORECASE,
)


# Between two drugs a start phrase before them opens: the first one's dose and a joining word ("methadone 10 mg TID with
# Norco", "OxyContin 20 mg q12h and oxycodone"), no clause of its own.
_TAKEN_WITH = re.compile(r"[^;.]{0,40}?(?:,|\band\b|\bwith\b|\bplus\b|\balong\s+with\b|\btogether\s+with\b)\s*(?:(?:a|an|the)\s+)?", re.IGNORECASE)

_BOTH = re.compile(r",?\s*\bboth\b(?:\s+(?:of\s+them|taken|used))?[\s,]*(?:\w+\s+)?$", re.IGNORECASE)


def _attached(text: str, mentions: list[DrugMention], at: int) -> list[DrugMention]:
    """The drug mentions a start or duration phrase at `at` belongs to: the list of drugs right
    before it ("Soma and Oxycodone for at least 3 months"), else the nearest drug before it, else
    the nearest one after it."""
    before = [d for d in mentions if d.end <= at]
    if before and _CLAUSE_BETWEEN.search(text[before[-1].end : at]):
        return []  # "Lidoderm #30, and requested therapy for four weeks": the phrase is another act's
    if len(before) >= 2 and _BOTH.search(text[before[-1].end : at]):
        return before[-2:]  # "Percocet 10/325 q6h prn and cyclobenzaprine 10 mg tid, both daily since 2014"
    if before:
        attached = [before[-1]]
        if re.fullmatch(r"[\s,]*(?:\d[\w./]*\s*(?:mg|mcg)?\s*)?", text[before[-1].end : at]):
            for prev, nxt in zip(reversed(before[:-1]), reversed(before[1:]), strict=False):
                if re.fullmatch(r"\s*(?:,|,?\s*and|,?\s*or)\s*", text[prev.end : nxt.start]):
                    attached.append(prev)
                else:
                    break
        return attached
    after = [d for d in mentions if d.start >= at]
    attached = after[:1]
    for prev, nxt in zip(after, after[1:], strict=False):  # (batch 64) "Since early 2015 he has taken methadone 10 mg TID with Norco"
        if not _TAKEN_WITH.fullmatch(text, prev.end, nxt.start) or _ACT_VERB.search(text, prev.end, nxt.start):
            break
        attached.append(nxt)
    return attached


def _since_key(since: dict[str, Any]) -> tuple[int, Any]:
    """Order start evidence by how much use it proves (the earliest start first)."""
    fields = since["fields"]
    if "documented_since" in fields:
        return (0, fields["documented_since"])
    days = fields.get("duration_days", 0) + 7 * fields.get("duration_weeks", 0) + 30 * fields.get("duration_months", 0)
    return (1, -days)
