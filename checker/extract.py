"""Drafting case facts from clinical text: `mtus extract`, and `mtus import` for the clinical case
summary of an IMR letter.

Every fact found carries `origin: extracted` and its evidence: the sentence, its character span in
the text as given, and the cue that decided the value (for an explicit absence, the negation cue).
Mentions are read in context (checker/context.py): negated, historical, hypothetical, requested,
uncertain and utilization-review mentions are told apart, following the per-fact rules of
checker/cues/facts.yaml. A fact the text does not support is left out (it reads "not documented");
statements that contradict each other become a flagged conflict (value null, `conflict:` lists the
competing values with their evidence) for a reviewer to settle, never a guess.

Facts are case-level unless the sentence names a requested item: an effect of a drug (relief,
function, side effects, pain scores) goes under the request for the drug the sentence names, a
therapy visit count under the request for that kind of therapy, earlier imaging under the imaging
request for the same study and body part.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from checker.context import ContextRules, Document, Modifier, Sentence, distance, load_context_rules
from checker.errors import SITE_RULES, InputError
from checker.extract_cues import (
    DROPPING,
    Computed,
    ExtractionCues,
    FactRule,
    Target,
    compile_regex,
    drug_placeholders,
    fill_fragments,
    load_extraction_cues,
)
from checker.lexicon import normalise
from checker.literals import required_literals
from checker.rules import RuleSet
from checker.textdates import FULL_DATE, parse_date, pivot_year
from checker.yamlio import read_bounded

SOURCE = "clinical text"
REQUEST_LINE = "request line"  # evidence offsets then index the request line
_DROP = object()
_REGIONAL = ("region", "region_or_limb", "injection")  # attributions by body region: an unplaced statement is the case's
_EARLIEST_YEAR = 1950
# Limits on a clinical text (a UR summary or an IMR letter's is a few thousand characters; a bundle
# of progress notes may run to tens of thousands): work grows with the text, linearly
# (benchmarks/extract_linear.py), so these bound the time and memory of one draft.
MAX_TEXT_BYTES = 1024 * 1024
MAX_TEXT_CHARS = 1_000_000
MAX_TEXT_LINES = 100_000


@dataclass(frozen=True)
class Evidence:
    """Where a value came from: offsets are into the text as given (end exclusive)."""

    sentence: str
    start: int
    end: int
    cue: str
    cue_start: int
    cue_end: int
    mention: str = ""

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"sentence": self.sentence, "span": [self.start, self.end], "cue": self.cue, "cue_span": [self.cue_start, self.cue_end]}
        if self.mention and self.mention != self.cue:
            found["mention"] = self.mention
        return found


@dataclass(frozen=True)
class Assertion:
    fact: str
    value: Any
    evidence: Evidence
    order: int  # offset in the normalised text, for a stable order
    date: dt.date | None
    scope: tuple[int, ...] | None  # indexes of the requests it is about; None: the whole case
    source: str = SOURCE


@dataclass(frozen=True)
class DrugMention:
    start: int  # sentence-relative
    end: int
    generic: str
    written: str


@dataclass
class SentenceInfo:
    sentence: Sentence
    modifiers: list[Modifier]
    date: dt.date | None
    drugs: list[DrugMention]
    classes: set[str]
    review: bool


@dataclass(frozen=True)
class RequestInfo:
    index: int
    text: str
    drug: str
    classes: frozenset[str]
    therapy: str
    modality: str
    parts: frozenset[str]
    sides: frozenset[str]
    injection: str = ""  # the kind of injection requested (injection_kinds), if any


@dataclass
class _Run:
    doc: Document
    sentences: list[SentenceInfo]
    requests: list[RequestInfo]
    as_of: dt.date | None
    pivot: int
    injury: dt.date | None = None
    regions: dict[int, tuple[set[str], set[str]]] = field(default_factory=dict)  # sentence index -> body parts, sides


def draft_facts(summary: str, request_texts: list[str], ruleset: RuleSet, as_of: dt.date | None = None) -> dict:
    """Draft the case-file keys a clinical text supports: claimant, dates.injury, diagnoses,
    medications, facts, requests (one entry per request text, in order, with the facts about that
    item) and extraction (evidence for the values that cannot carry their own, and what was left
    out). Merge it into a case file with merge_draft()."""
    return extractor_for(ruleset).draft(summary, request_texts, as_of)


_EXTRACTORS: list[tuple[RuleSet, Extractor]] = []  # the last few compiled, by rule set (compiling takes about a second)


def extractor_for(ruleset: RuleSet) -> Extractor:
    """The compiled extractor of a rule set, built once per rule set object."""
    for known, extractor in _EXTRACTORS:
        if known is ruleset:
            return extractor
    extractor = Extractor(ruleset)
    _EXTRACTORS[:] = [*_EXTRACTORS[-3:], (ruleset, extractor)]
    return extractor


def merge_draft(case: dict, draft: dict) -> dict:
    """A case-file mapping with the draft's keys added; item facts join the case's requests by
    position, keeping their ids and parsed fields."""
    merged = dict(case)
    for key in ("claimant", "dates"):
        if key in draft:
            merged[key] = {**draft[key], **dict(case.get(key) or {})}
    for key in ("diagnoses", "medications", "facts", "extraction"):
        if key in draft and key not in case:
            merged[key] = draft[key]
    requests = [dict(r) for r in case.get("requests") or []]
    for own, drafted in zip(requests, draft.get("requests", []), strict=False):
        if drafted.get("facts"):
            own["facts"] = {**drafted["facts"], **dict(own.get("facts") or {})}
    if requests:
        merged["requests"] = requests
    return merged


def draft_case(
    text: str, request_texts: list[str], ruleset: RuleSet, as_of: dt.date | None = None, case_id: str = "draft", source: str = ""
) -> dict:
    """A draft case file for `mtus extract`: the drafted facts around the requests given (ids
    item1, item2, ...) and, when known, the request date (the as-of date)."""
    drafted = draft_facts(text, request_texts, ruleset, as_of)
    case: dict[str, Any] = {"schema": "mtus-case/1", "case": case_id}
    if source:
        case["source"] = source
    if "claimant" in drafted:
        case["claimant"] = drafted["claimant"]
    dates = {**drafted.get("dates", {}), **({"request": as_of} if as_of else {})}
    if dates:
        case["dates"] = dates
    for key in ("diagnoses", "medications", "facts"):
        if key in drafted:
            case[key] = drafted[key]
    case["requests"] = [{"id": f"item{i + 1}", **r} for i, r in enumerate(drafted["requests"])]
    case["extraction"] = drafted["extraction"]
    return case


class _CaseDumper(yaml.SafeDumper):
    """No anchors or aliases (the case loader refuses them); short lists of scalars on one line."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(not isinstance(x, (dict, list)) for x in data) and len(data) <= 4
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_CaseDumper.add_representer(list, _represent_list)


def dump_case(case: dict) -> str:
    """The draft as YAML, keys in case-file order, the same bytes for the same draft."""
    return yaml.dump(case, Dumper=_CaseDumper, sort_keys=False, allow_unicode=True, width=120, default_flow_style=False)


def require_loadable(case: dict, ruleset: RuleSet, source: str) -> None:
    """Load the draft exactly as `mtus draft` would load the file `mtus extract` writes; what stops
    it is raised as what the command line must give (--request, --as-of) or, failing that, the text."""
    from checker.case import load_case  # case imports derive, which imports this module's neighbours

    with tempfile.TemporaryDirectory(prefix="mtus-extract-") as folder:
        path = Path(folder) / "draft.yaml"
        path.write_text(dump_case(case), encoding="utf-8")
        try:
            load_case(path, ruleset)
        except InputError as exc:
            raise _as_command_line(exc, source) from None


_UNKNOWN_DRUG_FIX = f"name the drug in the request by a generic or brand name the rules know, or add it to drugs.yaml in {SITE_RULES}"


def _as_command_line(exc: InputError, source: str) -> InputError:
    item = re.match(r"requests\[(\d+)\]", exc.field)
    if item:
        fix = _UNKNOWN_DRUG_FIX if "drug" in exc.problem else exc.fix
        return InputError("command line", f"--request #{int(item.group(1)) + 1}", exc.problem, fix)
    if exc.field == "dates.request":
        return InputError("command line", "--as-of", exc.problem, exc.fix)
    return InputError(source or SOURCE, exc.field, f"the drafted case file would not load: {exc.problem}", exc.fix)


def read_clinical_text(path: Path) -> str:
    """A UTF-8 text file of clinical notes; '-' reads standard input (as bounded as a file)."""
    name = "standard input" if str(path) == "-" else str(path)
    size_fix = "give the summary or note, not a whole file set"
    if str(path) == "-":
        data = sys.stdin.buffer.read(MAX_TEXT_BYTES + 1)
        if len(data) > MAX_TEXT_BYTES:
            raise InputError(name, "", f"clinical text is over the {MAX_TEXT_BYTES}-byte limit", size_fix)
    else:
        data = read_bounded(Path(path), "clinical text", MAX_TEXT_BYTES, "name the text file of the notes", size_fix)
    if b"\x00" in data:
        raise InputError(name, "", "holds binary data", "extract the text first (e.g. pdftotext) and give the .txt")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(name, "", f"clinical text is not UTF-8 (byte {exc.start})", "save the file as UTF-8") from None
    if not text.strip():
        raise InputError(name, "", "clinical text is empty", "give a file with the clinical notes")
    require_text_within_limits(text, name)
    return text


def require_text_within_limits(text: str, name: str = SOURCE) -> None:
    """Refuse a clinical text over MAX_TEXT_CHARS characters or MAX_TEXT_LINES lines."""
    fix = "give the summary or the notes that bear on the request, not a whole file set"
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(name, "", f"clinical text of {len(text):,} characters, over the limit of {MAX_TEXT_CHARS:,}", fix)
    lines = text.count("\n") + 1
    if lines > MAX_TEXT_LINES:
        raise InputError(name, "", f"clinical text of {lines:,} lines, over the limit of {MAX_TEXT_LINES:,}", fix)


class Extractor:
    """The compiled cues for one rule set's vocabulary and drug lexicon."""

    def __init__(self, ruleset: RuleSet, cues: ExtractionCues | None = None, context: ContextRules | None = None) -> None:
        self.ruleset = ruleset
        self.cues = cues or load_extraction_cues()
        self.context = context or load_context_rules()
        self._check_vocabulary()
        self._compile()

    # ---- set-up --------------------------------------------------------------------------------

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

    def _compile(self) -> None:
        raw, path = self.cues.raw, self.cues.path
        lexicon = self.ruleset.lexicon
        self.drug_names: dict[str, str] = {}
        for drug in lexicon.drugs.values():
            for name in (drug.generic, *drug.names):
                self.drug_names.setdefault(normalise(name), drug.generic)
        names = sorted(self.drug_names, key=lambda n: (-len(n), n))
        self.drug_pattern = re.compile(r"(?<![A-Za-z0-9])(?:" + _trie_regex(names) + r")(?![A-Za-z0-9])", re.IGNORECASE)
        self.class_words = {cls: compile_regex(rx, path, f"drug_class_words.{cls}") for cls, rx in raw.get("drug_class_words", {}).items()}
        self._alternatives: dict[str | None, str] = {}
        self._compile_therapy(raw["therapy"], path)
        self._compile_imaging(raw["imaging"], path)
        self._compile_first_line(raw["first_line"])
        self._compile_pain(raw["pain_scores"])
        self._compile_motion(raw.get("motion_norms") or {})
        self._compile_targets()
        claimant = raw["claimant"]
        self.age_patterns = [self._cue_regex(rx, f"claimant.age[{i}]") for i, rx in enumerate(claimant["age"])]
        self.birth_date = self._cue_regex(claimant["date_of_birth"], "claimant.date_of_birth")
        self.someone_else = self._cue_regex(claimant["someone_else"], "claimant.someone_else") if claimant.get("someone_else") else None
        self.sex_pattern = compile_regex(claimant["sex"], path, "claimant.sex")
        self.sex_word = compile_regex(claimant["sex_word"], path, "claimant.sex_word")
        self.pronouns = {
            "female": compile_regex(claimant["female_pronoun"], path, "claimant.female_pronoun"),
            "male": compile_regex(claimant["male_pronoun"], path, "claimant.male_pronoun"),
        }
        self.sex_values = dict(claimant["sex_values"])
        self.injury_patterns = [compile_regex(rx, path, f"injury_date[{i}]") for i, rx in enumerate(raw["injury_date"])]
        self.dx_cues = [compile_regex(rx, path, f"diagnoses.cues[{i}]") for i, rx in enumerate(raw["diagnoses"]["cues"])]
        self.dx_skip = compile_regex(raw["diagnoses"]["skip"], path, "diagnoses.skip")
        meds = raw["medications"]
        self.med_list_cue = compile_regex(meds["list_cue"], path, "medications.list_cue")
        self.not_a_drug = compile_regex(meds["not_a_drug"], path, "medications.not_a_drug")
        self.dose_tail = compile_regex(meds["dose_tail"], path, "medications.dose_tail")
        self.since_patterns = [compile_regex(rx, path, f"medications.since[{i}]") for i, rx in enumerate(meds["since"])]
        self.duration_patterns = [compile_regex(rx, path, f"medications.duration[{i}]", number=self.number) for i, rx in enumerate(meds["duration"])]
        self.new_start_patterns = [compile_regex(rx, path, f"medications.new_start[{i}]") for i, rx in enumerate(meds.get("new_start", ()))]
        self.full_date = re.compile(FULL_DATE, re.IGNORECASE)

    def _compile_pain(self, raw: dict) -> None:
        self.pain_score = self._cue_regex(raw["score"], "pain_scores.score")
        self.pain_word = self._cue_regex(raw["pain_word"], "pain_scores.pain_word")
        self.with_med = self._cue_regex(raw["with_medication"], "pain_scores.with_medication")
        self.without_med = self._cue_regex(raw["without_medication"], "pain_scores.without_medication")
        self.reduction = self._cue_regex(raw["reduction"], "pain_scores.reduction")
        self.score_before = self._cue_regex(raw["score_before"], "pain_scores.score_before")
        self.transitions = [self._cue_regex(rx, f"pain_scores.transitions[{i}]") for i, rx in enumerate(raw.get("transitions", ()))]

    def _compile_therapy(self, raw: dict, path: str) -> None:
        self.numbers = {str(k).lower(): int(v) for k, v in raw["numbers"].items()}
        words = "|".join(sorted((re.escape(w) for w in self.numbers), key=len, reverse=True))
        # digits, a number word, or a compound of two ("thirty-nine"), with the digits repeated in brackets or not
        self.number = rf"(?:\d{{1,3}}|(?:{words})(?:[\s-](?:{words})(?!\w)(?!-(?:{words})\b))?(?:\s*\(\d{{1,3}}\))?)"
        self.therapy_kinds = {kind: compile_regex(rx, path, f"therapy.kinds.{kind}") for kind, rx in raw["kinds"].items()}
        kind = "|".join(f"(?:{rx})" for rx in raw["kinds"].values())
        self.therapy_counts = [compile_regex(rx, path, f"therapy.counts[{i}]", number=self.number, kind=kind) for i, rx in enumerate(raw["counts"])]
        self.therapy_none = [compile_regex(rx, path, f"therapy.none[{i}]", number=self.number, kind=kind) for i, rx in enumerate(raw["none"])]

    def _compile_imaging(self, raw: dict, path: str) -> None:
        self.modalities = {k: compile_regex(rx, path, f"imaging.modalities.{k}") for k, rx in raw["modalities"].items()}
        self.body_parts = {k: compile_regex(rx, path, f"imaging.body_parts.{k}") for k, rx in raw["body_parts"].items()}
        self.image_result = compile_regex(raw["result"], path, "imaging.result")
        self.image_abnormal = compile_regex(raw["abnormal"], path, "imaging.abnormal")
        self.image_normal = compile_regex(raw["normal"], path, "imaging.normal")
        self.limb_groups = [frozenset(parts) for parts in (raw.get("limb_groups") or {}).values()]
        self.same_region = [frozenset(parts) for parts in raw.get("same_region") or ()]
        self.injection_kinds = {k: compile_regex(rx, path, f"imaging.injection_kinds.{k}") for k, rx in (raw.get("injection_kinds") or {}).items()}

    def _compile_first_line(self, raw: dict) -> None:
        """{first_line}: the names of the first-line analgesics (acetaminophen, the NSAIDs)."""
        classes = set(raw.get("drug_classes", []))
        generics = {d.generic for d in self.ruleset.lexicon.drugs.values() if classes & set(d.classes)} | set(raw.get("drugs", []))
        names = sorted((n for n, g in self.drug_names.items() if g in generics), key=len, reverse=True)
        alternatives = [r"\s+".join(re.escape(w) for w in n.split()) for n in names] + list(raw.get("words", []))
        self.first_line = "|".join(f"(?:{a})" for a in alternatives)

    def _compile_motion(self, raw: dict) -> None:
        """motion_norms: normal degrees by joint and movement, the words naming each, the fraction."""
        self.motion_fraction = float(raw.get("fraction", 0.9))
        self.motion_norms = {str(j): {str(m): float(d) for m, d in spec["normal"].items()} for j, spec in (raw.get("joints") or {}).items()}
        self.joint_words = {str(j): self._cue_regex(spec["words"], f"motion_norms.joints.{j}.words") for j, spec in (raw.get("joints") or {}).items()}
        self.movement_words = {str(m): self._cue_regex(rx, f"motion_norms.movements.{m}") for m, rx in (raw.get("movements") or {}).items()}

    def _drug_alternatives(self, drug_class: str | None) -> str:
        """The names of every drug of a class (all drugs for None) and the class's own words."""
        if drug_class not in self._alternatives:
            self._alternatives[drug_class] = self._alternatives_of(drug_class)
        return self._alternatives[drug_class]

    def _alternatives_of(self, drug_class: str | None) -> str:
        generics = {d.generic for d in self.ruleset.lexicon.drugs.values() if drug_class is None or drug_class in d.classes}
        names = sorted((n for n, g in self.drug_names.items() if g in generics), key=lambda n: (-len(n), n))
        words = [self.cues.raw.get("drug_class_words", {})[drug_class]] if drug_class in self.cues.raw.get("drug_class_words", {}) else []
        return "|".join([r"(?<![A-Za-z0-9])(?:" + _trie_regex(names) + r")(?![A-Za-z0-9])", *words])

    def _cue_regex(self, source: str, where: str, case_sensitive: bool = False) -> re.Pattern[str]:
        """A fact cue with its fragments filled in: {number}, {drug}, {drug:CLASS}, {date}."""
        filled = drug_placeholders(fill_fragments(source, self.cues.fragments), self._drug_alternatives)
        return compile_regex(filled, self.cues.path, where, case_sensitive, number=self.number, first_line=self.first_line)

    def _compile_targets(self) -> None:
        self._alternatives: dict[str | None, str] = {}
        self.fact_patterns: dict[str, list[tuple[re.Pattern[str], Target]]] = {}
        self.fact_literals: dict[str, list[tuple[str, ...] | None]] = {}
        self.request_match: dict[str, re.Pattern[str] | None] = {}
        self.sentence_match: dict[str, re.Pattern[str]] = {}
        self.with_request: dict[str, re.Pattern[str]] = {}
        self.target_sentence: dict[tuple[str, int], re.Pattern[str]] = {}  # a target's own sentence condition
        for name, rule in self.cues.facts.items():
            if rule.with_request:
                self.with_request[name] = self._cue_regex(rule.with_request, f"facts.{name}.with_request")
            if rule.sentence_must_match is not None:
                self.sentence_match[name] = self._cue_regex(rule.sentence_must_match.pattern, f"facts.{name}.sentence_must_match")
            self.fact_patterns[name] = [
                (self._cue_regex(t.source, f"facts.{name}.targets[{i}].regex", t.case_sensitive), t) for i, t in enumerate(rule.targets)
            ]
            for i, t in enumerate(rule.targets):
                if t.sentence:
                    self.target_sentence[(name, i)] = self._cue_regex(t.sentence, f"facts.{name}.targets[{i}].sentence")
            self.fact_literals[name] = [required_literals(pattern) for pattern, _ in self.fact_patterns[name]]
            if rule.in_request is not None:
                match = rule.in_request.match
                self.request_match[name] = self._cue_regex(match, f"facts.{name}.in_request.match") if match else None
        self.always_scanned = {name: {i for i, literals in enumerate(found) if literals is None} for name, found in self.fact_literals.items()}
        self.literal_keys: dict[str, list[tuple[str, int]]] = {}  # literal -> the (fact, target) scans it lets through
        for name, found in self.fact_literals.items():
            for i, literals in enumerate(found):
                for literal in literals or ():
                    self.literal_keys.setdefault(literal, []).append((name, i))

    # ---- the run -------------------------------------------------------------------------------

    def draft(self, text: str, request_texts: list[str], as_of: dt.date | None = None) -> dict:
        require_text_within_limits(text)
        doc = Document(text, self.context.sections)
        run = _Run(doc, [], [self._request_info(i, t) for i, t in enumerate(request_texts)], as_of, pivot_year(doc.norm, as_of))
        evidence: dict[str, Any] = {}
        claimant = self._claimant(doc, evidence, run)
        run.injury = self._injury(doc, run, evidence)
        run.sentences = self._sentences(run)
        assertions = [
            *self._targets(run),
            *self._request_lines(run),
            *self._pain_scores(run),
            *self._therapy(run),
            *self._imaging(run),
        ]
        left_out: list[dict[str, Any]] = []
        medications = self._medications(run, left_out)
        diagnoses = self._diagnoses(run, evidence)
        case_facts, item_facts = self._resolve(assertions, len(run.requests))
        draft: dict[str, Any] = {}
        if claimant:
            draft["claimant"] = claimant
        if run.injury:
            draft["dates"] = {"injury": run.injury}
        if diagnoses:
            draft["diagnoses"] = diagnoses
        if medications:
            draft["medications"] = medications
        draft["facts"] = case_facts
        draft["requests"] = [{"text": t, **({"facts": item_facts[i]} if item_facts[i] else {})} for i, t in enumerate(request_texts)]
        draft["extraction"] = {
            "cues": self.cues.digest[:12],
            "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "evidence": evidence,
            "left_out": left_out,
        }
        return _fresh(draft)

    def _sentences(self, run: _Run) -> list[SentenceInfo]:
        """Each sentence with its cues, drug mentions and date: the date of the note it reports,
        which is its own date or, for an undated sentence, the latest note date before it (a
        lower bound that never overstates how long a listed drug was taken)."""
        found: list[SentenceInfo] = []
        carried: dt.date | None = None
        for sentence in run.doc.sentences:
            modifiers = self.context.sentence_modifiers(sentence)
            review = any(m.category == "review" for m in modifiers)
            date = None if review else self._sentence_date(sentence.text, modifiers, run)
            if date is not None and (carried is None or date > carried):
                carried = date
            drugs = [
                DrugMention(m.start(), m.end(), self.drug_names[normalise(m.group(0))], m.group(0))
                for m in self.drug_pattern.finditer(sentence.text)
            ]
            classes = {cls for cls, rx in self.class_words.items() if rx.search(sentence.text)}
            found.append(SentenceInfo(sentence, modifiers, None if review else date or carried, drugs, classes, review))
        return found

    def _sentence_date(self, text: str, modifiers: list[Modifier], run: _Run) -> dt.date | None:
        injury_mentions = [m.span("date") for rx in self.injury_patterns for m in rx.finditer(text)]
        for match in self.full_date.finditer(text):
            if any(s <= match.start() < e for s, e in injury_mentions):
                continue  # the date of injury is no note date
            if "requested" in self.context.assess(modifiers, match.start(), match.end()):
                continue  # the date of a request is no note date
            parsed = parse_date(match.group(0), run.pivot)
            if parsed and _plausible(parsed[0], run.as_of):
                return parsed[0]
        return None

    def _evidence(self, run: _Run, info: SentenceInfo, cue: tuple[int, int], mention: tuple[int, int] | None = None) -> Evidence:
        s, doc = info.sentence, run.doc
        cue = _trimmed(s.text, cue)
        start, end = doc.raw_span(s.start, s.end)
        cue_start, cue_end = doc.raw_span(s.start + cue[0], s.start + cue[1])
        return Evidence(s.text, start, end, s.text[cue[0] : cue[1]], cue_start, cue_end, s.text[mention[0] : mention[1]] if mention else "")

    # ---- deciding one mention ------------------------------------------------------------------

    def _decide(
        self, rule: FactRule, value: Any, cats: dict[str, Modifier], text: str, span: tuple[int, int], target: Target | None
    ) -> tuple[Any, Modifier | None]:
        """The value a mention gives the fact in its context, or _DROP; and the cue that decided.
        A mention that states an absence itself ("intact sensation") is negated only by a cue right
        before it ("not neurologically intact"), not by a list's leading "no"."""
        keep = rule.keep if target is None or target.keep is None else target.keep
        require = rule.require if target is None or target.require is None else target.require
        negated = target.negated if target is not None and target.negated else rule.negated
        if rule.ongoing_overrides and "ongoing" in cats:
            cats = {k: v for k, v in cats.items() if k != "hypothetical"}
        for category in DROPPING:
            if category in cats and category not in keep:
                return _DROP, None
        if require and not require & set(cats):
            return _DROP, None
        if rule.stopped and "stopped" in cats:  # a treatment stopped is a current state, however long ago
            return _apply(rule.stopped, value), cats["stopped"]
        if rule.current_only and ("historical" in cats or "remote" in cats or ("prior_treatment" in cats and "prior_treatment" not in keep)):
            return _DROP, None
        if rule.recent_only and "remote" in cats:
            return _DROP, None
        for category, how in (("not_documented", rule.not_documented), ("negated", negated)):
            if how == "keep":
                continue
            if category in cats and not (value is False and not _adjacent(text, cats[category], span)):
                return _apply(how, value), cats[category]
        return value, None

    def _assert(
        self, run: _Run, info: SentenceInfo, rule: FactRule, value: Any, span: tuple[int, int],
        extra_scope: Any = None, decided_by: Modifier | None = None, target: Target | None = None,
        negation_is_result: bool = False,
    ) -> Assertion | None:
        """An assertion of `value` from the mention at `span`, in its context; `decided_by`: the
        caller already read the negation (its cue becomes the evidence's cue); `target`: the cue
        that matched, when it reads its context its own way; `negation_is_result`: a study reported
        negative or normal was still done ("x-rays were negative")."""
        cats = self.context.assess(info.modifiers, *span)
        if negation_is_result and "negated" in cats and self.image_normal.search(info.sentence.text, cats["negated"].start, cats["negated"].end):
            cats = {k: v for k, v in cats.items() if k != "negated"}
        if rule.recent_only and "remote" in cats and _recent_year(info.sentence.text, cats["remote"], run.as_of):
            cats = {k: v for k, v in cats.items() if k != "remote"}
        if decided_by is not None:
            cats = {k: v for k, v in cats.items() if k not in ("negated", "not_documented")}
        decided, modifier = self._decide(rule, value, cats, info.sentence.text, span, target)
        modifier = modifier or decided_by
        if decided is _DROP:
            return None
        scope = self._scope(rule, run, info, extra_scope)
        if scope is _DROP:
            return None
        cue = (modifier.start, modifier.end) if modifier else span
        evidence = self._evidence(run, info, cue, span if modifier else None)
        return Assertion(rule.name, decided, evidence, info.sentence.start + span[0], info.date, scope)

    def _scope(self, rule: FactRule, run: _Run, info: SentenceInfo, extra: Any) -> Any:
        if rule.attribute in ("drug", "drug_named"):
            generics = {d.generic for d in info.drugs}
            named = tuple(r.index for r in run.requests if r.drug and (r.drug in generics or r.classes & info.classes))
            if named:
                return named
            return _DROP if rule.attribute == "drug" and generics and run.requests else None
        if rule.attribute == "therapy":
            therapy_requests = [r for r in run.requests if r.therapy]
            same = tuple(r.index for r in therapy_requests if r.therapy == extra)
            return same or (_DROP if therapy_requests else None)
        if rule.attribute == "imaging":
            return extra
        if rule.attribute in ("region", "region_or_limb"):
            return self._same_region(run, info.sentence, limbs=rule.attribute == "region_or_limb")
        if rule.attribute == "injection":
            return self._same_injection(run, info.sentence)
        if rule.attribute == "other_drug":
            return self._other_drug(run, str(extra or ""))
        return None

    def _other_drug(self, run: _Run, mention: str) -> Any:
        """A drug taken beside a requested drug of its class: under those requests. The requested
        drug itself, or a drug no request shares a class with, says nothing ("another NSAID" needs
        a requested NSAID); a class word ("no other NSAIDs") goes to every drug request."""
        named = self.drug_names.get(normalise(mention))
        if named is None:
            return tuple(r.index for r in run.requests if r.drug) or None
        classes = set(self.ruleset.lexicon.drugs[named].classes)
        same_class = [r for r in run.requests if r.drug and r.classes & classes]
        if not same_class or any(r.drug == named for r in same_class):
            return _DROP
        return tuple(r.index for r in same_class)

    def _same_region(self, run: _Run, sentence: Sentence, limbs: bool = False) -> Any:
        """A statement about a body region goes to the requests for that region (and side); one about
        another region than every request's is dropped; one that names no region is case-level. With
        `limbs`, a limb counts as the spinal region that supplies it (a foot's numbness is lumbar)."""
        placed = [r for r in run.requests if r.parts]
        if not placed:
            return None
        if sentence.index not in run.regions:  # read once per sentence, however many mentions it holds
            run.regions[sentence.index] = ({p for p, rx in self.body_parts.items() if rx.search(sentence.text)}, _sides(sentence.text))
        parts, sides = run.regions[sentence.index]
        if not parts:
            return None
        same = tuple(r.index for r in placed if self._reach(r.parts, limbs) & parts and _sides_agree(r.sides, sides))
        return same or _DROP

    def _same_injection(self, run: _Run, sentence: Sentence) -> Any:
        """A statement about earlier injections goes to the requests for the same kind of injection
        (and region); one naming only another kind is set aside ("trigger point injections" say nothing
        of a knee's hyaluronic series); one naming no kind goes by region."""
        kinds = {kind for kind, rx in self.injection_kinds.items() if rx.search(sentence.text)}
        typed = [r for r in run.requests if r.injection]
        if not kinds or not typed:
            return self._same_region(run, sentence)
        by_region = self._same_region(run, sentence)
        if by_region is _DROP:
            return _DROP
        same = tuple(r.index for r in typed if r.injection in kinds and (by_region is None or r.index in by_region))
        return same or _DROP

    def _reach(self, parts: frozenset[str], limbs: bool) -> frozenset[str]:
        """The body parts a request's findings may name: its own and those of the same region (a limb
        and its joints, hand and wrist), and with `limbs` the rest of its limb group."""
        groups = self.same_region + (self.limb_groups if limbs else [])
        return parts.union(*(group for group in groups if group & parts))

    # ---- facts found by their target mentions --------------------------------------------------

    def _targets(self, run: _Run) -> list[Assertion]:
        found = []
        rules = [r for r in self.cues.facts.values() if self._about_a_request(r, run)]
        for info in run.sentences:
            text = info.sentence.text
            lowered = text.lower()
            possible: dict[str, set[int]] = {}
            for literal, keys in self.literal_keys.items():
                if literal in lowered:
                    for name, i in keys:
                        possible.setdefault(name, set()).add(i)
            for rule in rules:
                scans = self.always_scanned[rule.name] | possible.get(rule.name, set())
                if not scans:
                    continue
                patterns = [
                    self.fact_patterns[rule.name][i] for i in sorted(scans)
                    if (rule.name, i) not in self.target_sentence or self.target_sentence[(rule.name, i)].search(text)
                ]
                must = self.sentence_match.get(rule.name)
                if not patterns or (must is not None and not must.search(text)) or (rule.in_request and rule.in_request.only):
                    continue
                hits = _longest([(m.start(), m.end(), (t, m)) for pattern, t in patterns for m in pattern.finditer(text)])
                for start, end, (target, match) in hits:
                    value = self._target_value(target, match, run, info)
                    if value is None:
                        continue
                    mention = match.group(0) if rule.attribute == "other_drug" else None
                    if mention is not None and value is True and normalise(mention) not in self.drug_names:
                        continue  # "NSAIDs" names no other drug; only its denial ("no other NSAID") says something
                    assertion = self._assert(run, info, rule, value, (start, end), mention, target=target)
                    if assertion:
                        found.append(assertion)
        return found

    def _about_a_request(self, rule: FactRule, run: _Run) -> bool:
        """A fact about one kind of request (the surgery a post-operative opioid follows) only with one."""
        gate = self.with_request.get(rule.name)
        return gate is None or any(gate.search(r.text) for r in run.requests)

    def _target_value(self, target: Target, match: re.Match[str], run: _Run, info: SentenceInfo | None = None) -> Any:
        """The target's value, or the one computed from the match (None when it cannot be)."""
        how = target.value
        if not isinstance(how, Computed):
            return how
        if how.kind == "below_norm":
            return self._below_norm(match, *how.groups, before=self._joint_before(run, info))
        if how.kind == "dates_within_days":
            if run.as_of is None:
                return None
            days = {parse_date(m.group(0), run.pivot) for m in self.full_date.finditer(match.group(0))}
            return sum(1 for d in days if d and 0 <= (run.as_of - d[0]).days <= how.days)
        numbers = [_number(match.group(g), self.numbers) for g in how.groups]
        if any(n is None for n in numbers):
            return None
        if how.kind == "percent_drop":
            before, after = numbers
            return _tidy(100 * (before - after) / before) if before and 0 <= after <= before else None
        if how.kind == "below":  # a measure short of its normal (abduction 90/180)
            return numbers[0] < numbers[1]
        if how.kind == "unequal":  # two sides differing by more than the fraction `times` of the larger
            return abs(numbers[0] - numbers[1]) > how.factor * max(numbers)
        value = numbers[0] * (numbers[1] if how.kind == "product" else 1) * how.factor
        return _tidy(value)

    def _below_norm(self, match: re.Match[str], movement_group: str, degrees_group: str, before: str | None = None) -> bool | None:
        """A joint's motion in degrees against its normal range (cue file, motion_norms): below the
        stated fraction of normal is a deficit, at or above it is none; an unknown joint or movement
        says nothing. The joint is the one the match names, else the first the sentence names, else
        the one an examination's earlier lines named (`before`: "Lumbar spine:" above "ROM: flexion 40")."""
        named = match.groupdict().get("joint") or ""
        joint = self._joint(named) or self._joint(match.string) or before
        norms = self.motion_norms.get(joint or "", {})
        movement = self._movement(match.group(movement_group))
        degrees = _number(match.group(degrees_group), self.numbers)
        if movement not in norms or not degrees:  # 0 degrees is where a range is measured from, not a range
            return None
        return degrees < self.motion_fraction * norms[movement]

    def _joint_before(self, run: _Run, info: SentenceInfo | None, lines: int = 3) -> str | None:
        """The joint named last in the few sentences before this one (an examination lists a joint's
        movements on the lines under its name)."""
        if info is None:
            return None
        at = info.sentence.index
        for earlier in reversed(run.sentences[max(0, at - lines) : at]):
            found = [(m.start(), joint) for joint, rx in self.joint_words.items() for m in rx.finditer(earlier.sentence.text)]
            if found:
                return max(found)[1]
        return None

    def _joint(self, text: str) -> str | None:
        found = [(m.start(), joint) for joint, rx in self.joint_words.items() if (m := rx.search(text))]
        return min(found)[1] if found else None

    def _movement(self, written: str) -> str:
        words = " ".join(written.lower().replace("-", " ").split())
        return next((name for name, rx in self.movement_words.items() if rx.fullmatch(words)), words)

    # ---- facts read from the request lines -----------------------------------------------------

    def _request_lines(self, run: _Run) -> list[Assertion]:
        """Facts a request line states (a quantity, a rental): under that request, or the whole case."""
        found = []
        for rule in self.cues.facts.values():
            if rule.in_request is None:
                continue
            match = self.request_match[rule.name]
            for request in run.requests:
                if match is not None and not match.search(request.text):
                    continue
                assertion = self._request_assertion(rule, request)
                if assertion:
                    found.append(assertion)
        return found

    def _request_assertion(self, rule: FactRule, request: RequestInfo) -> Assertion | None:
        cue = rule.in_request
        assert cue is not None
        text = request.text
        hits = _longest([(m.start(), m.end(), (t, m)) for pattern, t in self.fact_patterns[rule.name] for m in pattern.finditer(text)])
        values = [(s, e, t.value) for s, e, (t, _m) in hits if not isinstance(t.value, Computed)]
        if values:
            start, end, value = values[0]
        elif cue.otherwise is not None:
            start, end, value = 0, len(text), cue.otherwise
        else:
            return None
        evidence = Evidence(text, 0, len(text), text[start:end], start, end)
        scope = None if cue.scope == "case" else (request.index,)
        return Assertion(rule.name, value, evidence, -1, None, scope, REQUEST_LINE)

    # ---- pain scores ---------------------------------------------------------------------------

    def _pain_scores(self, run: _Run) -> list[Assertion]:
        facts = {"with": self.cues.facts["pain_score_with_medication"], "without": self.cues.facts["pain_score_without_medication"]}
        found = []
        for info in run.sentences:
            text = info.sentence.text
            if not self.pain_word.search(text):
                continue
            for qualifier, score_span, span in self._scores(text):
                value = _number(text[score_span[0] : score_span[1]], self.numbers)
                if value is None or not 0 <= value <= 10:
                    continue
                assertion = self._assert(run, info, facts[qualifier], _tidy(value), span)
                if assertion:
                    found.append(assertion)
        return found

    def _scores(self, text: str) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
        """(with|without, the number's span, the span of number and qualifier) for each pain score
        the sentence ties to medication use."""
        scores: list[list[Any]] = []
        for m in self.pain_score.finditer(text):
            if re.search(r"\d(?:\s*/\s*10)?\s*(?:-|to)\s*$", text[max(0, m.start() - 12) : m.start()]):
                continue  # the end of a range
            after = re.match(r"\s*,?\s*", text[m.end() :])
            rest = m.end() + (after.end() if after else 0)
            qualifier = self._qualifier_at(text, rest)
            rated = self.score_before.search(text, max(0, m.start() - 16), m.start())
            if qualifier is None and not m.group("scale") and not rated:
                continue  # a bare number that is no score
            scores.append([m, qualifier])
        for i, (m, qualifier) in enumerate(scores):
            if qualifier is None:
                scores[i][1] = self._qualifier_before(text, m, scores[i - 1][0].end() if i else 0)
        for i, (m, qualifier) in enumerate(scores):
            later = [s for s in scores[i + 1 :] if s[1] and s[1][0] == "with"]
            if qualifier is None and later and self.reduction.search(text[m.end() : later[0][0].start()]):
                scores[i][1] = ("without", (m.start(), m.end()))
        found = []
        for m, qualifier in scores:
            if qualifier:
                kind, (q_start, q_end) = qualifier
                found.append((kind, (m.start("score"), m.end("score")), (min(m.start(), q_start), max(m.end(), q_end))))
        taken = {span for _, span, _ in found}
        for pattern in self.transitions:  # "pain goes from a nine to a six after she takes tramadol"
            for m in pattern.finditer(text):
                for kind in ("without", "with"):
                    if kind in m.re.groupindex and m.group(kind) is not None and m.span(kind) not in taken:
                        found.append((kind, m.span(kind), m.span()))
        return found

    def _qualifier_at(self, text: str, at: int) -> tuple[str, tuple[int, int]] | None:
        for kind, pattern in (("without", self.without_med), ("with", self.with_med)):
            m = pattern.match(text, at)
            if m:
                return kind, (m.start(), m.end())
        return None

    def _qualifier_before(self, text: str, score: re.Match[str], floor: int) -> tuple[str, tuple[int, int]] | None:
        window_start = max(floor, score.start() - 80)
        best = None
        for kind, pattern in (("without", self.without_med), ("with", self.with_med)):
            for m in pattern.finditer(text, window_start, score.start()):
                between = text[m.end() : score.start()]
                if re.search(r";|\b(?:and|but|however)\b", between):
                    continue
                if best is None or m.start() > best[1][0]:
                    best = (kind, (m.start(), m.end()))
        return best

    # ---- therapy visits ------------------------------------------------------------------------

    def _therapy(self, run: _Run) -> list[Assertion]:
        rule = self.cues.facts["therapy_visits_completed"]
        found = []
        for info in run.sentences:
            text = info.sentence.text
            hits = []
            for pattern in self.therapy_counts:
                hits += [(m.start(), m.end(), self._visits(m), m.group("kind")) for m in pattern.finditer(text)]
            for pattern in self.therapy_none:
                hits += [(m.start(), m.end(), 0, m.group("kind")) for m in pattern.finditer(text)]
            for start, end, count, kind in _longest_with_extra(hits):
                if count is None:
                    continue
                assertion = self._assert(run, info, rule, count, (start, end), self._therapy_kind(kind))
                if assertion:
                    found.append(assertion)
        return found

    def _visits(self, m: re.Match[str]) -> int | None:
        """The visits a count states: n, or m courses of n ("two courses of six PT visits")."""
        visits = self._count(m.group("n"))
        courses = self._count(m.group("m")) if "m" in m.re.groupindex and m.group("m") else 1
        return None if visits is None or courses is None else visits * courses

    def _count(self, written: str) -> int | None:
        number = _number(written, self.numbers)
        return None if number is None else int(number)

    def _therapy_kind(self, text: str) -> str:
        """The kind of therapy named first ("chiropractic physiotherapy" is chiropractic)."""
        found = [(m.start(), kind) for kind, rx in self.therapy_kinds.items() if (m := rx.search(text))]
        return min(found)[1] if found else ""

    # ---- imaging and electrodiagnostic studies -------------------------------------------------

    def _imaging(self, run: _Run) -> list[Assertion]:
        corroborates, prior = self.cues.facts["imaging_corroborates"], self.cues.facts["prior_imaging"]
        found = []
        for info in run.sentences:
            text = info.sentence.text
            studies = self._studies(info)
            if not studies or not self.image_result.search(text):
                continue
            finding = self._finding(info)
            if finding:
                value, span, negation = finding
                assertion = self._assert(run, info, corroborates, value, span, decided_by=negation)
                if assertion:
                    found.append(assertion)
            for modality, span in studies:
                matching = self._matching_imaging_requests(run, text, modality)
                if matching:
                    assertion = self._assert(run, info, prior, True, span, matching, negation_is_result=True)
                    if assertion:
                        found.append(assertion)
        return found

    def _studies(self, info: SentenceInfo) -> list[tuple[str, tuple[int, int]]]:
        """The studies a sentence reports as done (not planned, requested or uncertain)."""
        found = []
        for modality, pattern in self.modalities.items():
            for m in pattern.finditer(info.sentence.text):
                cats = self.context.assess(info.modifiers, m.start(), m.end())
                if not set(cats) & set(DROPPING):
                    found.append((modality, (m.start(), m.end())))
        return found

    def _finding(self, info: SentenceInfo) -> tuple[bool, tuple[int, int], Modifier | None] | None:
        """True with the first pathological finding, else False with the first negated finding
        (and its negation cue) or the first normal result."""
        text = info.sentence.text
        normal: tuple[bool, tuple[int, int], Modifier | None] | None = None
        for m in self.image_abnormal.finditer(text):
            cats = self.context.assess(info.modifiers, m.start(), m.end())
            if set(cats) & {"hypothetical", "uncertain", "requested", "review", "conditional"}:
                continue
            if "negated" in cats:
                normal = normal or (False, m.span(), cats["negated"])
                continue
            return True, m.span(), None
        for m in self.image_normal.finditer(text):
            normal = normal or (False, m.span(), None)
        return normal

    def _matching_imaging_requests(self, run: _Run, text: str, modality: str) -> tuple[int, ...]:
        parts = {p for p, rx in self.body_parts.items() if rx.search(text)}
        sides = _sides(text)
        return tuple(r.index for r in run.requests if r.modality == modality and r.parts & parts and _sides_agree(r.sides, sides))

    # ---- requests ------------------------------------------------------------------------------

    def _request_info(self, index: int, text: str) -> RequestInfo:
        from checker.derive import parse_request_line  # derive imports the case types

        parsed = parse_request_line(text, self.ruleset.lexicon)
        found = self.ruleset.lexicon.resolve(parsed.drug_named) if parsed.drug_named else None
        named = self.drug_pattern.search(text)
        drug = found.drug if found else self.ruleset.lexicon.drugs[self.drug_names[normalise(named.group(0))]] if named else None
        modality = next((k for k, rx in self.modalities.items() if rx.search(text)), "")
        return RequestInfo(
            index=index,
            text=text,
            drug=drug.generic if drug else "",
            classes=frozenset(drug.classes) if drug else frozenset(),
            therapy="" if drug else self._therapy_kind(text),
            modality="" if drug else modality,
            parts=frozenset(p for p, rx in self.body_parts.items() if rx.search(text)),
            sides=frozenset(_sides(text)),
            injection="" if drug else self._injection_kind(text),
        )

    def _injection_kind(self, text: str) -> str:
        """The kind of injection named first (injection_kinds), or ""."""
        found = [(m.start(), kind) for kind, rx in self.injection_kinds.items() if (m := rx.search(text))]
        return min(found)[1] if found else ""

    # ---- claimant, injury date, diagnoses ------------------------------------------------------

    def _claimant(self, doc: Document, evidence: dict[str, Any], run: _Run) -> dict[str, Any]:
        found: dict[str, Any] = {}
        age = self._age(doc, run)
        if age is not None:
            found["age"], sentence, span = age
            evidence["claimant.age"] = self._doc_evidence(doc, sentence, span).as_dict()
        sex = self._first(doc, self.sex_pattern) or self._first(doc, self.sex_word)
        if sex:
            found["sex"] = self.sex_values[sex[1].group("sex").lower()]
            evidence["claimant.sex"] = self._doc_evidence(doc, sex[0], sex[1].span("sex")).as_dict()
        else:
            counts = {k: len(rx.findall(doc.norm)) for k, rx in self.pronouns.items()}
            winner = max(counts, key=lambda k: counts[k])
            if counts[winner] >= 2 and min(counts.values()) == 0:
                first = self._first(doc, self.pronouns[winner])
                if first:
                    found["sex"] = winner
                    evidence["claimant.sex"] = self._doc_evidence(doc, first[0], first[1].span()).as_dict()
        return found

    def _age(self, doc: Document, run: _Run) -> tuple[int, Sentence, tuple[int, int]] | None:
        """The stated age (digits or words, "58 y/o", "age 62"), else the age on the request date
        from a single stated date of birth."""
        for pattern in self.age_patterns:
            for sentence in doc.sentences:
                for m in pattern.finditer(sentence.text):
                    age = _number(m.group("age"), self.numbers)
                    if age is not None and 0 <= age <= 120 and not self._someone_elses(sentence.text, m.span()):
                        return int(age), sentence, m.span()
        born = self._first(doc, self.birth_date)
        if born is None or run.as_of is None:
            return None
        parsed = parse_date(born[1].group("date"), run.pivot)
        if not parsed or parsed[1] != "day" or not _plausible(parsed[0], run.as_of):
            return None
        day, as_of = parsed[0], run.as_of
        age = as_of.year - day.year - ((as_of.month, as_of.day) < (day.month, day.day))
        return (age, born[0], born[1].span()) if 0 <= age <= 120 else None

    def _someone_elses(self, text: str, span: tuple[int, int]) -> bool:
        """An age written beside a relative or another person ("her 70 y/o father", "son, age 12")."""
        if self.someone_else is None:
            return False
        return bool(self.someone_else.search(text[max(0, span[0] - 25) : span[0]]) or self.someone_else.match(text, span[1], min(len(text), span[1] + 25)))

    def _injury(self, doc: Document, run: _Run, evidence: dict[str, Any]) -> dt.date | None:
        best = None
        for pattern in self.injury_patterns:
            for sentence in doc.sentences:
                m = pattern.search(sentence.text)
                if m and (best is None or (sentence.start + m.start()) < best[2]):
                    parsed = parse_date(m.group("date"), run.pivot)
                    if parsed and parsed[1] == "day" and _plausible(parsed[0], run.as_of):
                        best = (sentence, m, sentence.start + m.start(), parsed[0])
        if best is None:
            return None
        evidence["dates.injury"] = self._doc_evidence(doc, best[0], best[1].span()).as_dict()
        return best[3]

    def _first(self, doc: Document, pattern: re.Pattern[str]) -> tuple[Sentence, re.Match[str]] | None:
        for sentence in doc.sentences:
            m = pattern.search(sentence.text)
            if m:
                return sentence, m
        return None

    def _doc_evidence(self, doc: Document, sentence: Sentence, cue: tuple[int, int]) -> Evidence:
        cue = _trimmed(sentence.text, cue)
        start, end = doc.raw_span(sentence.start, sentence.end)
        cue_start, cue_end = doc.raw_span(sentence.start + cue[0], sentence.start + cue[1])
        return Evidence(sentence.text, start, end, sentence.text[cue[0] : cue[1]], cue_start, cue_end)

    def _diagnoses(self, run: _Run, evidence: dict[str, Any]) -> list[str]:
        found: list[str] = []
        sources = []
        for info in run.sentences:
            if info.review:
                continue
            text = info.sentence.text
            cue = min((m for rx in self.dx_cues for m in rx.finditer(text)), key=lambda m: (m.start(), -m.end()), default=None)
            if cue is None:
                continue
            cats = self.context.assess(info.modifiers, cue.start(), cue.end())
            if set(cats) & {"hypothetical", "uncertain", "requested", "negated", "not_documented", "other_person", "conditional"}:
                continue
            added = False
            for item in _split_list(text[cue.end() :].rstrip(" .")):
                item = item.strip(" \"'“”.:")
                if item and not self.dx_skip.search(item) and item.lower() not in {f.lower() for f in found}:
                    found.append(item)
                    added = True
            if added:
                sources.append(self._evidence(run, info, cue.span()).as_dict())
        if sources:
            evidence["diagnoses"] = sources
        return found

    # ---- medications ---------------------------------------------------------------------------

    def _medications(self, run: _Run, left_out: list[dict[str, Any]]) -> list[dict[str, Any]]:
        uses: dict[str, list[dict[str, Any]]] = {}
        first: dict[str, Evidence] = {}
        for info in run.sentences:
            mentions = list(info.drugs) + self._listed_unknowns(run, info, left_out)
            since = self._since(run, info, mentions)
            for mention in mentions:
                use = self._use(run, info, mention)
                if use is None:
                    continue
                use["since"] = since.get((mention.start, mention.end))
                uses.setdefault(mention.generic, []).append(use)
            for generic, evidence in self._first_prescriptions(run, info).items():
                first.setdefault(generic, evidence)
        found = [self._medication(generic, used) for generic, used in uses.items()]
        for entry in found:
            if entry["drug"] in first and entry["status"] == "current":
                entry.pop("documented_since", None)
                entry["new_start"] = True
                entry["evidence"] = first[entry["drug"]].as_dict()
        return found

    def _first_prescriptions(self, run: _Run, info: SentenceInfo) -> dict[str, Evidence]:
        """A sentence calling a drug's prescription the first one ("a first-time request for
        Naprosyn"): the drug is a new start, whatever dates earlier notes gave it. The cue must name
        one drug only in its sentence and must not be negated."""
        text = info.sentence.text
        generics = {d.generic for d in info.drugs}
        if len(generics) != 1 or info.review:
            return {}
        for pattern in self.new_start_patterns:
            m = pattern.search(text)
            if m and "negated" not in self.context.assess(info.modifiers, m.start(), m.end()):
                drug = info.drugs[0]
                return {drug.generic: self._evidence(run, info, m.span(), (drug.start, drug.end))}
        return {}

    def _use(self, run: _Run, info: SentenceInfo, mention: DrugMention) -> dict[str, Any] | None:
        cats = self.context.assess(info.modifiers, mention.start, mention.end)
        if "ongoing" in cats and "stopped" in cats:  # "stop X and continue Y": the nearer cue decides
            farther = max(("ongoing", "stopped"), key=lambda c: distance(cats[c], mention.start, mention.end))
            cats.pop(farther)
        if "ongoing" in cats:
            cats.pop("hypothetical", None)
        if set(cats) & {"review", "requested", "hypothetical", "uncertain", "negated", "not_documented", "other_person", "conditional"}:
            return None
        past = "historical" in cats or "remote" in cats or "stopped" in cats
        return {
            "stopped": "stopped" in cats,
            "past": past,
            "date": info.date,
            "evidence": self._evidence(run, info, (mention.start, mention.end)),
            "written": mention.written,
        }

    def _medication(self, generic: str, uses: list[dict[str, Any]]) -> dict[str, Any]:
        current = [u for u in uses if not u["past"]]
        last_stop = max((i for i, u in enumerate(uses) if u["stopped"]), default=-1)
        last_current = max((i for i, u in enumerate(uses) if not u["past"]), default=-1)
        status = "current" if current and last_current > last_stop else "past"
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
        entry["evidence"] = evidence.as_dict()
        return entry

    def _since(self, run: _Run, info: SentenceInfo, mentions: list[DrugMention]) -> dict[tuple[int, int], dict[str, Any]]:
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
                    key = (mention.start, mention.end)
                    if key not in found or _since_key(found[key]) > _since_key({"fields": fields}):
                        found[key] = {"fields": fields, "evidence": self._evidence(run, info, m.span(), (mention.start, mention.end))}
        return found

    def _since_fields(self, m: re.Match[str], kind: str, run: _Run) -> dict[str, Any] | None:
        if kind == "since":
            parsed = parse_date(m.group("date"), run.pivot)
            if not parsed or not _plausible(parsed[0], run.as_of):
                return None
            return {"documented_since": parsed[0]}
        count = self._count(m.group("n"))
        unit = m.group("unit").lower().rstrip("s")
        if not count:
            return None
        if unit == "year":
            return {"duration_months": count * 12}
        return {f"duration_{unit}s": count}

    def _listed_unknowns(self, run: _Run, info: SentenceInfo, left_out: list[dict[str, Any]]) -> list[DrugMention]:
        """Names in a medication list the lexicon does not know exactly: a close misspelling becomes a
        mention of that drug; any other name is noted as left out, never written as a drug."""
        text = info.sentence.text
        cue = self.med_list_cue.search(text)
        if cue is None or info.review:
            return []
        found = []
        for start, item in _list_items(text, cue.end()):
            if any(start <= d.start < start + len(item) for d in info.drugs):
                continue
            name = self.dose_tail.sub("", item).strip(" .")
            if not name or len(name.split()) > 3 or not re.fullmatch(r"[A-Za-z][A-Za-z\s'-]*", name) or self.not_a_drug.search(name):
                continue
            end = start + len(name)
            resolved = self.ruleset.lexicon.resolve(name)
            if resolved:
                found.append(DrugMention(start, end, resolved.drug.generic, name))
            elif self._use(run, info, DrugMention(start, end, "", name)) is not None:
                evidence = self._evidence(run, info, (start, end)).as_dict()
                left_out.append({"what": "medication", "named": name, "why": "not in the drug lexicon", "evidence": evidence})
        return found

    # ---- resolving assertions into facts and conflicts -----------------------------------------

    def _resolve(self, assertions: list[Assertion], n_requests: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        groups: dict[tuple[int | None, str], list[Assertion]] = {}
        for a in sorted(assertions, key=lambda a: (a.order, a.fact)):
            for where in a.scope if a.scope is not None else (None,):
                groups.setdefault((where, a.fact), []).append(a)
        # a statement that names no region is about the whole case, so also about each request's region:
        # it joins what the request's own statements say (one positive finding is enough for any_true)
        for (where, fact), found in groups.items():
            rule = self.cues.facts[fact]
            if where is not None and rule.attribute in _REGIONAL and (None, fact) in groups:
                found[:] = sorted(found + groups[(None, fact)], key=lambda a: (a.order, a.fact))
        order = list(self.ruleset.vocabulary.facts)
        case: dict[str, Any] = {}
        items: list[dict[str, Any]] = [{} for _ in range(n_requests)]
        for (where, fact), found in sorted(groups.items(), key=lambda g: (order.index(g[0][1]), -1 if g[0][0] is None else g[0][0])):
            entry = _fact_entry(self.cues.facts[fact], found)
            (case if where is None else items[where])[fact] = entry
        return case, items


# ---- helpers ---------------------------------------------------------------------------------


def _apply(how: str, value: Any) -> Any:
    if how == "drop":
        return _DROP
    if how == "invert":
        return (not value) if isinstance(value, bool) else _DROP
    return how == "true"


def _fresh(value: Any) -> Any:
    """A copy sharing no object, so yaml.safe_dump writes no anchors (the case loader refuses them)."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    return value


def _recent_year(text: str, modifier: Modifier, as_of: dt.date | None) -> bool:
    """A remote cue that is a year no earlier than the year before the request ("in 2016" for a request
    of 2016): recent for a fact that only sets remote mentions aside."""
    year = re.search(r"(?:19|20)\d\d", text[modifier.start : modifier.end])
    return bool(year and as_of and int(year.group(0)) >= as_of.year - 1)


def _adjacent(text: str, modifier: Modifier, span: tuple[int, int]) -> bool:
    between = text[modifier.end : span[0]] if modifier.end <= span[0] else text[span[1] : modifier.start]
    return len(between.split()) <= 1


def _trimmed(text: str, span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    while start < end and text[start] in " ,:":
        start += 1
    while end > start and text[end - 1] in " ,:":
        end -= 1
    return start, end


def _plausible(day: dt.date, as_of: dt.date | None) -> bool:
    return day.year >= _EARLIEST_YEAR and (as_of is None or day <= as_of)


def _longest(hits: list[tuple[int, int, Any]]) -> list[tuple[int, int, Any]]:
    """Of overlapping matches keep the longest (the earliest on a tie). The kept spans never overlap,
    so a new one is checked against its two neighbours only (n log n, not n squared)."""
    starts: list[int] = []  # the kept spans, ordered by start
    kept: list[tuple[int, int, Any]] = []
    for hit in sorted(hits, key=lambda h: (-(h[1] - h[0]), h[0])):
        at = bisect.bisect_left(starts, hit[0])
        if (at > 0 and kept[at - 1][1] > hit[0]) or (at < len(kept) and kept[at][0] < hit[1]):
            continue
        starts.insert(at, hit[0])
        kept.insert(at, hit)
    return kept


def _longest_with_extra(hits: list[tuple[int, int, Any, Any]]) -> list[tuple[int, int, Any, Any]]:
    kept = _longest([(s, e, (v, x)) for s, e, v, x in hits])
    return [(s, e, v, x) for s, e, (v, x) in kept]


def _trie_regex(names: list[str]) -> str:
    """An alternation of names written as a prefix tree ("hydro(?:codone|morphone)"): the same matches,
    longest first, without trying every name at every position of the text. Spaces match any whitespace."""
    trie: dict[str, dict] = {}
    for name in names:
        node = trie
        for token in (r"\s+" if ch == " " else re.escape(ch) for ch in " ".join(name.lower().split())):
            node = node.setdefault(token, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        branches = [token + build(child) for token, child in sorted(node.items()) if token]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def _number(written: str | None, words: dict[str, int]) -> float | None:
    """A number written in digits (12, 1.2) or words (six, twenty-four, thirty nine)."""
    if written is None:
        return None
    text = written.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    parts = re.split(r"[\s-]+", text)
    if parts and all(p in words for p in parts):
        return float(sum(words[p] for p in parts))
    digits = re.search(r"\d+(?:\.\d+)?", text)
    return float(digits.group(0)) if digits else None


def _tidy(value: float) -> int | float:
    """A whole number as an int, else one decimal."""
    rounded = round(value, 1)
    return int(rounded) if float(rounded).is_integer() else rounded


def _sides_agree(requested: frozenset[str], stated: set[str]) -> bool:
    return not (requested and stated and not requested & stated and "bilateral" not in requested | stated)


def _sides(text: str) -> set[str]:
    return {side for side in ("left", "right", "bilateral") if re.search(rf"\b{side}\b", text, re.IGNORECASE)}


def _split_list(text: str) -> list[str]:
    """'a, b, and c' / 'a; b; c' / 'low back pain and lumbar strain' -> items."""
    parts = [p for p in re.split(r";", text)] if ";" in text else re.split(r",", text)
    items: list[str] = []
    for part in parts:
        part = re.sub(r"^\s*(?:and|or)\s+", "", part.strip())
        pieces = re.split(r"\s+and\s+", part)
        if len(pieces) == 2 and all(len(p.split()) >= 2 for p in pieces):
            items.extend(pieces)
        elif part:
            items.append(part)
    return items


def _list_items(text: str, start: int) -> list[tuple[int, str]]:
    """Items of a medication list from `start` to the end of the sentence, with their offsets."""
    found = []
    for m in re.finditer(r"[^,;]+", text[start:]):
        piece = m.group(0)
        offset = start + m.start()
        for sub in re.finditer(r"(?:(?<=\s)|^)(?:(?!\s(?:and|as\s+well\s+as)\s).)+", piece):
            item = re.sub(r"^\s*(?:and|as\s+well\s+as)\s+", "", sub.group(0))
            lead = len(sub.group(0)) - len(item)
            stripped = item.strip()
            if stripped:
                found.append((offset + sub.start() + lead + (len(item) - len(item.lstrip())), stripped))
    return found


def _attached(text: str, mentions: list[DrugMention], at: int) -> list[DrugMention]:
    """The drug mentions a start or duration phrase at `at` belongs to: the list of drugs right
    before it ("Soma and Oxycodone for at least 3 months"), else the nearest drug before it, else
    the nearest one after it."""
    before = [d for d in mentions if d.end <= at]
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
    return after[:1]


def _since_key(since: dict[str, Any]) -> tuple[int, Any]:
    """Order start evidence by how much use it proves (the earliest start first)."""
    fields = since["fields"]
    if "documented_since" in fields:
        return (0, fields["documented_since"])
    days = fields.get("duration_days", 0) + 7 * fields.get("duration_weeks", 0) + 30 * fields.get("duration_months", 0)
    return (1, -days)


def _fact_entry(rule: FactRule, found: list[Assertion]) -> dict[str, Any]:
    values: list[Any] = []
    for a in found:
        if not any(_same(v, a.value) for v in values):
            values.append(a.value)
    chosen = _choose(rule, found, values)
    if chosen is not None:
        return {"value": chosen.value, "origin": "extracted", "source": chosen.source, "evidence": chosen.evidence.as_dict()}
    return {
        "value": None,
        "origin": "extracted",
        "source": SOURCE,
        "conflict": [
            {"value": v, "evidence": next(a for a in found if _same(a.value, v)).evidence.as_dict()}
            for v in values
        ],
    }


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _choose(rule: FactRule, found: list[Assertion], values: list[Any]) -> Assertion | None:
    if len(values) == 1:
        return found[0]
    if rule.resolve == "any_true" and any(v is True for v in values):
        return next(a for a in found if a.value is True)
    if rule.current_only and all(a.date for a in found):
        latest = max(a.date for a in found if a.date)
        at_latest = [a for a in found if a.date == latest]
        if len({repr(a.value) for a in at_latest}) == 1:
            return at_latest[0]
    return None
