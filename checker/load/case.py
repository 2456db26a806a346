"""Loading a case file: claimant, dates, diagnoses, documented facts, medications, requests."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import field, replace
from pathlib import Path
from typing import Any

import yaml

from checker.base.errors import SITE_RULES, InputError
from checker.base.fields import (
    check_keys,
    describe,
    did_you_mean,
    join,
    require_at_most,
    require_date,
    require_list,
    require_mapping,
    require_text,
    short,
)
from checker.base.memo import keep, remembered
from checker.base.outcomes import DECISIONS
from checker.base.patterns import compile_pattern
from checker.base.records import dataclass
from checker.base.yamlio import parse_yaml, read_text, require_yaml_size
from checker.load.lexicon import ROUTES
from checker.load.prescription import MAX_STRENGTH, Dose, Prescription, Strength, read_prescription, with_drug, with_fields, work_out
from checker.load.request_line import ParsedRequest, parse_request
from checker.load.ruleset import TIMINGS, Citation, RuleSet

CASE_SCHEMA = "mtus-case/1"
# The longest request line in the IMR letters read so far is about 115 characters; parsing a line
# costs time in proportion to its length, so a pasted page is refused rather than parsed.
MAX_REQUEST_CHARS = 1000
MAX_REQUESTS = 100  # requested items in one case (an IMR letter decides at most about ten)
ORIGINS = ("structured", "extracted", "reviewer")
CASE_KEYS = (  # the keys a case file may hold (the importer writes only these)
    "schema", "case", "title", "source", "reviewer", "claimant", "dates", "diagnoses", "medications", "facts", "requests", "expected", "known_divergences",
    "extraction",
)
REQUEST_KEYS = (  # the keys a request may hold
    "id", "text", "drug", "service", "body_parts", "strength", "quantity", "frequency", "units_per_dose", "visits", "route", "timing",
    "ingredients", "associated_with", "original_text", "certified", "new_start", "facts",
)
_INGREDIENT_KEYS = ("drug", "strength")
_DATE_KEYS = ("injury", "request", "ur_decision", "assigned", "decision", "surgery")
_REVIEWER_KEYS = ("specialty", "licensure")
_MED_KEYS = (
    "drug", "started", "documented_since", "duration_days", "duration_weeks", "duration_months", "new_start", "status", "form", "over_the_counter",
    "prescription", "note", "evidence",
)
_FACT_KEYS = ("value", "origin", "source", "reason", "evidence", "conflict")
_EVIDENCE_KEYS = ("sentence", "span", "cue", "cue_span", "mention")
_EXTRACTION_KEYS = ("cues", "text_sha256", "evidence", "left_out")


@dataclass(frozen=True)
class FactEvidence:
    """Where an extracted value came from: the sentence, its span in the text, the deciding cue."""

    sentence: str
    span: tuple[int, int]
    cue: str
    cue_span: tuple[int, int]


@dataclass(frozen=True)
class FactValue:
    """A fact's value in a case, with its origin, source, reason and evidence."""

    value: Any
    origin: str = "structured"
    source: str = ""
    reason: str = ""
    evidence: FactEvidence | None = None


_new_object = object.__new__


def fact_value(value: Any, origin: str = "structured", source: str = "") -> FactValue:
    """FactValue(value, origin, source), its fields written into its __dict__ in their order rather than
    by the frozen dataclass's __init__, which sets each through object.__setattr__: the same object
    (equal, the same fields in the same order, pickled alike: tests/test_speed.py) in under half the
    time. A regression run makes about ten per item (the case's facts, the derived ones)."""
    fact = _new_object(FactValue)
    fields = fact.__dict__
    fields["value"] = value
    fields["origin"] = origin
    fields["source"] = source
    fields["reason"] = ""
    fields["evidence"] = None
    return fact


@dataclass(frozen=True)
class FactConflict:
    """Statements that contradict each other: the fact stays undocumented until a reviewer decides."""

    name: str
    options: tuple[tuple[Any, FactEvidence | None], ...]


@dataclass(frozen=True)
class Medication:
    """A medication the records list: the drug, since when, for how long, and its status."""

    drug: str  # generic
    named: str
    started: dt.date | None
    documented_since: dt.date | None
    duration_days: int | None
    new_start: bool
    status: str
    form: str = ""  # "topical" for a cream, gel or patch; "" when the records do not say it is one
    over_the_counter: bool = False  # bought without a prescription ("OTC ibuprofen")
    dose: Dose | None = None  # its prescription as the records write it ("fentanyl 25 mcg/h patch every 72 hours"), worked out


@dataclass(frozen=True)
class Request:
    """A requested item as the case states it, read into drug or service, dose and facts."""

    id: str
    text: str
    drug: str  # generic name, "" for a service
    drug_named: str
    service: str
    strength: str
    quantity: float | None
    frequency: str
    units_per_dose: float | None
    new_start: bool
    facts: dict[str, FactValue]
    index: int
    body_parts: tuple[str, ...] = ()
    visits: int | None = None
    route: str = ""
    timing: str = ""
    ingredients: tuple[Ingredient, ...] = ()
    associated_with: str = ""  # id of the surgery or procedure this (pre-op, post-op, associated) item serves
    original_text: str = ""  # the full original request when UR certified part of it; text is then the IMR-eligible rest
    certified: str = ""  # what UR certified
    conflicts: dict[str, FactConflict] = field(default_factory=dict)
    dose: Dose | None = None  # the written prescription worked out (checker/load/prescription.py)


# Request's fields in their order (request_record, replaced_request): each is given, none is made.
_REQUEST_FIELDS = tuple(Request.__dataclass_fields__)


def request_record(**fields: Any) -> Request:
    """Request(**fields) given every field by name in the class's order, written into its dict rather
    than set one by one through the frozen dataclass's __init__: the same object (equal, the same fields
    in the same order, pickled alike: tests/test_speed.py) in a quarter of the time; a regression run
    makes one per item."""
    if tuple(fields) != _REQUEST_FIELDS:
        raise TypeError("request_record takes every field of Request, in order")
    request = _new_object(Request)
    request.__dict__.update(fields)
    return request


def replaced_request(request: Request, **changes: Any) -> Request:
    """dataclasses.replace(request, **changes), the fields copied into the new object's dict (a tenth of
    the time); a subclass of Request, or a name that is no field of it, goes to dataclasses.replace."""
    if request.__class__ is not Request or not changes.keys() <= _REQUEST_FIELD_NAMES:
        return replace(request, **changes)
    copy = _new_object(Request)
    fields = copy.__dict__
    fields.update(request.__dict__)
    fields.update(changes)
    return copy


_REQUEST_FIELD_NAMES = frozenset(_REQUEST_FIELDS)


@dataclass(frozen=True)
class Ingredient:
    """One ingredient of a compounded product, as written and as the lexicon names it."""

    drug: str  # generic
    named: str
    strength: str


@dataclass(frozen=True)
class Expected:
    """The decision and citations a known determination gave an item (for regress)."""

    item: str
    decision: str
    citations: tuple[Citation, ...]
    non_mtus: bool = False
    no_citation: bool = False  # the letter's reviewer cited no medical evidence


@dataclass(frozen=True)
class KnownDivergence:
    """An item on which the checker knowingly differs from the letter, and why."""

    item: str
    about: str  # "decision" or "citation"
    reason: str


@dataclass
class Case:
    """A case file read and checked against the rule set's vocabulary."""

    path: str
    case_id: str
    title: str
    source: str
    age: int | None
    sex: str
    injury_date: dt.date | None
    request_date: dt.date
    diagnoses: tuple[str, ...]
    medications: tuple[Medication, ...] | None
    facts: dict[str, FactValue]
    requests: tuple[Request, ...]
    expected: dict[str, Expected] = field(default_factory=dict)
    known_divergences: tuple[KnownDivergence, ...] = ()
    input_hash: str = ""
    surgery_date: dt.date | None = None
    reviewer_specialty: tuple[str, ...] = ()
    reviewer_licensure: tuple[str, ...] = ()
    assigned_date: dt.date | None = None  # IMR assignment and decision dates, as an imported letter gives them
    decision_date: dt.date | None = None
    conflicts: dict[str, FactConflict] = field(default_factory=dict)


def load_case(path: Path, ruleset: RuleSet) -> Case:
    path = path if isinstance(path, Path) else Path(path)
    text, raw = _read_case_yaml(path)
    _refuse_hash_comments(text, str(path))
    return case_from_mapping(raw, ruleset, str(path), hashlib.sha256(text.encode("utf-8")).hexdigest())


def case_mapping(text: str, path: str) -> Any:
    """A case file's text parsed as load_case parses it (safe YAML; no quantity lost to a ' #' comment)."""
    raw = parse_yaml(text, path, "case file")
    _refuse_hash_comments(text, path)
    return raw


def case_from_text(text: str, ruleset: RuleSet, path: str = "case") -> Case:
    """A case from a case file's text, checked as load_case checks a file holding that text (its size
    included) and stamped with the same SHA-256: a draft about to be written, loaded without a file."""
    require_yaml_size(text, path, "case file")
    return case_from_mapping(case_mapping(text, path), ruleset, path, hashlib.sha256(text.encode("utf-8")).hexdigest())


class _CaseDumper(yaml.SafeDumper):
    """No anchors or aliases for repeated values (one date as request and UR date): the loader refuses them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _DraftDumper(_CaseDumper):
    """Short lists of scalars on one line, for a draft a person reads."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(not isinstance(x, (dict, list)) for x in data) and len(data) <= 4
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_DraftDumper.add_representer(list, _represent_list)


def dump_case(case: dict[str, Any], width: int = 120, inline_short_lists: bool = True) -> str:
    """A case file's text, the one writer of case files: keys in the mapping's order, the same bytes
    for the same case. inline_short_lists writes a list of up to 4 scalars on one line; width is where
    long lines fold."""
    dumper = _DraftDumper if inline_short_lists else _CaseDumper
    return yaml.dump(case, Dumper=dumper, sort_keys=False, allow_unicode=True, width=width, default_flow_style=False)


def case_from_mapping(raw: Any, ruleset: RuleSet, path: str = "case", input_hash: str = "") -> Case:
    """A case from the mapping a case file holds (a web form's, an importer's), checked as load_case
    checks a file. `path` names it in errors; `input_hash` is the SHA-256 of the text it came from."""
    p = str(path)
    data = require_mapping(raw, p, "", "a case file is a mapping with case:, dates:, requests: (see README)")
    check_keys(data, CASE_KEYS, p, "", required=("case", "dates", "requests"))
    if data.get("schema", CASE_SCHEMA) != CASE_SCHEMA:
        raise InputError(p, "schema", f"unsupported schema {_quoted(data['schema'])}", f"write schema: {CASE_SCHEMA}")
    claimant = require_mapping(data.get("claimant", {}), p, "claimant")
    check_keys(claimant, ("age", "sex"), p, "claimant")
    dates = require_mapping(data["dates"], p, "dates")
    check_keys(dates, _DATE_KEYS, p, "dates", required=("request",))
    request_date = require_date(dates["request"], p, "dates.request")
    surgery = require_date(dates["surgery"], p, "dates.surgery") if dates.get("surgery") is not None else None
    injury = require_date(dates["injury"], p, "dates.injury") if dates.get("injury") is not None else None
    letter_dates = {k: require_date(dates[k], p, f"dates.{k}") for k in ("ur_decision", "assigned", "decision") if dates.get(k) is not None}
    _refuse_future_dates({"request": request_date, "injury": injury, "surgery": surgery, **letter_dates}, p)
    if injury and injury > request_date:
        raise InputError(p, "dates.injury", f"injury date {injury} is after the request date {request_date}", "correct one of the two dates")
    age = claimant.get("age")
    if age is not None:
        ruleset.vocabulary.check_value("age", age, p, "claimant.age")
    case = Case(
        path=p,
        case_id=str(require_text(str(data["case"]), p, "case")),
        title=str(data.get("title", "")),
        source=str(data.get("source", "")),
        age=age,
        sex=_sex(claimant.get("sex"), p),
        injury_date=injury,
        request_date=request_date,
        diagnoses=tuple(str(d) for d in require_list(data.get("diagnoses", []), p, "diagnoses")),
        medications=_medications(data, ruleset, p, request_date),
        facts=_facts(data.get("facts", {}), ruleset, p, "facts"),
        requests=_requests(data["requests"], ruleset, p),
        input_hash=input_hash,
        surgery_date=surgery,
        assigned_date=letter_dates.get("assigned"),
        decision_date=letter_dates.get("decision"),
        conflicts=_conflicts(data.get("facts", {}), ruleset, p, "facts"),
    )
    case.reviewer_specialty, case.reviewer_licensure = _reviewer(data.get("reviewer"), p)
    _extraction(data.get("extraction"), p)
    case.expected = _expected(data.get("expected", []), case, p)
    case.known_divergences = _divergences(data.get("known_divergences", []), case, p)
    return case


_CASE_SUFFIXES = (".yaml", ".yml", ".json")


def _read_case_yaml(path: Path) -> tuple[str, Any]:
    """The text and YAML of a case file. A letter or notes given instead (a PDF, a text file that does
    not read as a case file, or any file reading as one run of text) get the command that makes a case
    file of them, rather than a YAML parser's complaint."""
    try:
        text = read_text(path, "case file")
        raw = parse_yaml(text, path, "case file")
    except InputError:
        if path.suffix.lower() in _CASE_SUFFIXES or not path.is_file() or not path.stat().st_size:
            raise
        raise _not_a_case_file(path) from None
    named_as_case = path.suffix.lower() in _CASE_SUFFIXES
    if isinstance(raw, str) or (not named_as_case and not (isinstance(raw, dict) and "requests" in raw)):
        raise _not_a_case_file(path)
    return text, raw


def _not_a_case_file(path: Path) -> InputError:
    import shlex  # here, not at the top: only this refusal quotes a path

    with path.open("rb") as handle:
        kind = "a PDF" if handle.read(5) == b"%PDF-" else "plain text"
    name = shlex.quote(str(path))
    fix = (
        f"for an IMR letter run 'mtus import {name} --out DIR'; for clinical notes run "
        f"'mtus extract {name} --request TEXT --as-of YYYY-MM-DD > case.yaml'; then check or draft the case file"
    )
    return InputError(str(path), "", f"is {kind}, not a case file", fix)


def _quoted(value: Any) -> str:
    """A value from the file as an error quotes it: in quotes, cut to a short excerpt."""
    return short(value, 60)


def _listed(ids: list[str]) -> str:
    """Item ids as a fix lists them: the first ten, each cut short."""
    shown = [i if len(i) <= 40 else i[:37] + "..." for i in ids[:10]]
    return ", ".join(shown) + (", ..." if len(ids) > 10 else "")


def _refuse_future_dates(dates: dict[str, dt.date | None], path: str) -> None:
    """A record cannot be dated after today: such a date is a typo (2031 for 2013), and no guideline
    edition can be known to be in force on it."""
    today = dt.date.today()
    for key in _DATE_KEYS:
        day = dates.get(key)
        if day is not None and day > today:
            raise InputError(path, f"dates.{key}", f"{day} is in the future (today is {today})", "correct the date")


_HASH_IN_PLAIN_TEXT = compile_pattern(r"^\s*(?:-\s+)?text:\s+[^\"'|>\s][^#]*\s#\s*\d")


# Where str.splitlines breaks an ASCII text besides a line feed.
_OTHER_ASCII_LINE_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


def _refuse_hash_comments(text: str, path: str) -> None:
    """'text: Soma 350 mg BID #60' loses '#60': YAML reads ' #' as the start of a comment. Only a
    line holding '#' can match (most lines of a case file hold none): in an ASCII text whose lines end
    with line feeds alone, only the lines around each '#' are read (the same lines: tests/test_speed.py)."""
    if "#" not in text:
        return
    if not text.isascii() or any(mark in text for mark in _OTHER_ASCII_LINE_BREAKS):
        for number, line in enumerate(text.splitlines(), start=1):
            if "#" in line and _HASH_IN_PLAIN_TEXT.match(line):
                _refuse_hash_comment(path, number)
        return
    hash_at = text.find("#")
    while hash_at >= 0:
        start = text.rfind("\n", 0, hash_at) + 1
        end = text.find("\n", hash_at)
        end = len(text) if end < 0 else end
        if _HASH_IN_PLAIN_TEXT.match(text[start:end]):
            _refuse_hash_comment(path, text.count("\n", 0, start) + 1)
        hash_at = text.find("#", end)


def _refuse_hash_comment(path: str, number: int) -> None:
    raise InputError(
        path, f"line {number}", "an unquoted request text holds ' #', which YAML reads as a comment, dropping the quantity",
        'put the text in quotes: text: "Soma 350 mg BID #60"',
    )


def _reviewer(raw: Any, path: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """reviewer: {specialty: [..], licensure: [..]}, each a list of names or one name."""
    if not raw:  # no reviewer given (most case files): what an empty mapping gives
        return (), ()
    reviewer = require_mapping(raw, path, "reviewer")
    check_keys(reviewer, _REVIEWER_KEYS, path, "reviewer")
    found = []
    for key in _REVIEWER_KEYS:
        value = reviewer.get(key) or []
        names = [value] if isinstance(value, str) else require_list(value, path, f"reviewer.{key}")
        found.append(tuple(require_text(n, path, f"reviewer.{key}").strip() for n in names))
    return found[0], found[1]


def _sex(value: Any, path: str) -> str:
    if value is None:
        return ""
    if value not in ("female", "male", "unknown"):
        raise InputError(path, "claimant.sex", f"unknown value {_quoted(value)}", "use female, male or unknown")
    return value


# A fact given as a plain value (true, 3, "left"; not a number with a point), checked once per rule set: (name, type, value) ->
# its FactValue, at most this many, forgotten all at once when full.
MAX_REMEMBERED_FACTS = 8192
_PLAIN_FACT_TYPES = frozenset((bool, int, str))  # not float: 0.0 and -0.0 are one key


def _facts(raw: Any, ruleset: RuleSet, path: str, where: str) -> dict[str, FactValue]:
    """The facts a case or a request gives, each known, not derived and of its declared type and range.
    A fact given as a plain value is checked once per rule set and value: a corpus gives the same
    few values of each fact again and again, and the answer, a frozen FactValue, depends on the name,
    the value and the vocabulary alone (the same facts and errors as plain_facts: tests/test_speed.py)."""
    checked = remembered(ruleset, "_checked_facts", (ruleset.vocabulary, ruleset.vocabulary.facts))
    facts = {}
    for name, given in require_mapping(raw or {}, path, where).items():
        name = str(name)
        key = (name, given.__class__, given) if given.__class__ in _PLAIN_FACT_TYPES else None
        found = checked.get(key) if key is not None else None
        if found is None:
            found = _fact(name, given, ruleset, path, where)
            if found is not None and key is not None:
                keep(checked, key, found, MAX_REMEMBERED_FACTS)
        if found is not None:
            facts[name] = found
    return facts


def plain_facts(raw: Any, ruleset: RuleSet, path: str, where: str) -> dict[str, FactValue]:
    """_facts, every fact checked afresh."""
    facts = {}
    for name, given in require_mapping(raw or {}, path, where).items():
        found = _fact(str(name), given, ruleset, path, where)
        if found is not None:
            facts[str(name)] = found
    return facts


def _fact(name: str, given: Any, ruleset: RuleSet, path: str, where: str) -> FactValue | None:
    """One fact as given, checked; None when its value is null ("not documented")."""
    fact = ruleset.vocabulary.get(name)
    if fact is None:
        raise InputError(path, join(where, name), "unknown fact", ruleset.vocabulary.suggestion(name))
    if fact.derived:
        raise InputError(
            path, join(where, name), "is derived by mtus-checker and cannot be set", "remove it; give the request line and medication dates instead"
        )
    entry = _fact_value(given, path, f"{where}.{name}")
    if entry.value is None:
        return None  # null means "not documented", the same as leaving the fact out
    ruleset.vocabulary.check_value(name, entry.value, path, f"{where}.{name}")
    return entry


def _fact_value(given: Any, path: str, where: str) -> FactValue:
    if not isinstance(given, dict):
        return fact_value(given)
    check_keys(given, _FACT_KEYS, path, where, required=() if given.get("conflict") is not None else ("value",))
    origin = given.get("origin", "structured")
    if origin not in ORIGINS:
        raise InputError(path, f"{where}.origin", f"unknown origin {_quoted(origin)}", f"use one of: {', '.join(ORIGINS)}")
    if origin == "reviewer" and not str(given.get("reason", "")).strip():
        raise InputError(path, f"{where}.reason", "a reviewer's fact needs a reason", "add reason: why the reviewer set or changed it")
    if given.get("conflict") is not None and given.get("value") is not None:
        raise InputError(
            path, f"{where}.value", "a fact with a conflict: list has no value", "pick the right value, delete conflict: and set origin: reviewer with a reason"
        )
    evidence = _evidence(given["evidence"], path, f"{where}.evidence") if given.get("evidence") is not None else None
    return FactValue(given.get("value"), origin, str(given.get("source", "")), str(given.get("reason", "")), evidence)


def _evidence(raw: Any, path: str, where: str) -> FactEvidence:
    """{sentence, span: [start, end], cue, cue_span: [start, end]}: offsets into the clinical text."""
    raw = require_mapping(raw, path, where)
    check_keys(raw, _EVIDENCE_KEYS, path, where, required=("sentence", "span", "cue", "cue_span"))
    span = _span(raw["span"], path, f"{where}.span")
    cue_span = _span(raw["cue_span"], path, f"{where}.cue_span")
    if not span[0] <= cue_span[0] <= cue_span[1] <= span[1]:
        raise InputError(path, f"{where}.cue_span", f"{list(cue_span)} is not inside the span {list(span)}", "give the cue's offsets inside the sentence's")
    return FactEvidence(str(raw["sentence"]), span, str(raw["cue"]), cue_span)


def _span(raw: Any, path: str, where: str) -> tuple[int, int]:
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in raw) and raw[0] <= raw[1]):
        raise InputError(path, where, f"expected [start, end] character offsets, found {describe(raw)}", "write two offsets, start first: [120, 164]")
    return raw[0], raw[1]


def _conflicts(raw: Any, ruleset: RuleSet, path: str, where: str) -> dict[str, FactConflict]:
    """Facts whose statements contradict each other (value null, conflict: [{value, evidence}])."""
    found = {}
    for name, given in (raw or {}).items():
        if not isinstance(given, dict) or given.get("conflict") is None:
            continue
        fw = f"{where}.{name}.conflict"
        options = []
        for i, option in enumerate(require_list(given["conflict"], path, fw)):
            option = require_mapping(option, path, f"{fw}[{i}]")
            check_keys(option, ("value", "evidence"), path, f"{fw}[{i}]", required=("value",))
            ruleset.vocabulary.check_value(str(name), option["value"], path, f"{fw}[{i}].value")
            evidence = _evidence(option["evidence"], path, f"{fw}[{i}].evidence") if option.get("evidence") is not None else None
            options.append((option["value"], evidence))
        found[str(name)] = FactConflict(str(name), tuple(options))
    return found


def _extraction(raw: Any, path: str) -> None:
    """The record `mtus extract` leaves (cue version, text hash, evidence, what it left out); not read by the checks."""
    if raw is not None:
        check_keys(require_mapping(raw, path, "extraction"), _EXTRACTION_KEYS, path, "extraction")


def _medications(data: dict, ruleset: RuleSet, path: str, request_date: dt.date) -> tuple[Medication, ...] | None:
    if "medications" not in data:
        return None  # the medication list is not documented at all
    found = []
    for i, raw in enumerate(require_list(data["medications"] or [], path, "medications")):
        where = f"medications[{i}]"
        raw = require_mapping(raw, path, where)
        check_keys(raw, _MED_KEYS, path, where, required=("drug",))
        if raw.get("evidence") is not None:
            _evidence(raw["evidence"], path, f"{where}.evidence")
        named = require_text(str(raw["drug"]), path, f"{where}.drug")
        generic = resolve_drug(ruleset, named, path, f"{where}.drug")
        dates = {k: require_date(raw[k], path, f"{where}.{k}") for k in ("started", "documented_since") if raw.get(k) is not None}
        for key, day in dates.items():
            if day > request_date:
                raise InputError(path, f"{where}.{key}", f"{day} is after the request date {request_date}", "correct the date")
        found.append(Medication(
            drug=generic,
            named=named,
            started=dates.get("started"),
            documented_since=dates.get("documented_since"),
            duration_days=_duration_days(raw, path, where),
            new_start=_flag(raw, "new_start", path, where),
            status=_status(raw, path, where),
            form=_form(raw, path, where),
            over_the_counter=_flag(raw, "over_the_counter", path, where),
            dose=_medication_dose(raw, generic, ruleset, path, where),
        ))
    return tuple(found)


def _medication_dose(raw: dict, generic: str, ruleset: RuleSet, path: str, where: str) -> Dose | None:
    """The dose of a listed medication's prescription ("Duragesic 25 mcg/hr patch every 72 hours"): read as a request
    line is, for the medication's own drug; one naming another drug is refused."""
    text = _optional_text(raw, "prescription", path, where)
    if not text:
        return None
    _, rx = parsed_request_line(text, ruleset)
    if rx is None or rx.drug != generic:
        named = f"names {rx.drug}" if rx is not None and rx.drug else "names no drug"
        fix = "write the drug's own prescription, e.g. 'Norco 10/325 mg four times daily'"
        raise InputError(path, f"{where}.prescription", f"the prescription {named}, not {generic}", fix)
    return worked_out(rx, ruleset)


def _duration_days(raw: dict, path: str, where: str) -> int | None:
    per_unit = {"duration_days": 1, "duration_weeks": 7, "duration_months": 30}
    given = [k for k in per_unit if raw.get(k) is not None]
    if not given:
        return None
    if len(given) > 1:
        raise InputError(path, f"{where}.{given[1]}", "give one duration only", f"keep {given[0]} or {given[1]}")
    value = raw[given[0]]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise InputError(path, f"{where}.{given[0]}", f"expected a positive number, found {describe(value)}", "write the number of days, weeks or months")
    return int(value * per_unit[given[0]])


def _flag(raw: dict, key: str, path: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise InputError(path, f"{where}.{key}", f"expected true or false, found {describe(value)}", "write true or false")
    return value


def _form(raw: dict, path: str, where: str) -> str:
    form = raw.get("form") or ""
    if form not in ("", "topical", "systemic"):
        raise InputError(path, f"{where}.form", f"unknown form {_quoted(form)}", "use topical or systemic, or leave it out")
    return form


def _status(raw: dict, path: str, where: str) -> str:
    status = raw.get("status", "current")
    if status not in ("current", "past"):
        raise InputError(path, f"{where}.status", f"unknown status {_quoted(status)}", "use current or past")
    return status


def resolve_drug(ruleset: RuleSet, named: str, path: str, where: str) -> str:
    found = ruleset.lexicon.resolve(named)
    if found is None:
        closest = ruleset.lexicon.closest(named)
        hint = f"did you mean '{closest}'? If not, " if closest else ""
        raise InputError(path, where, f"unknown drug {_quoted(named)}", f"{hint}write its generic name, or add the drug to drugs.yaml in {SITE_RULES}")
    return found.drug.generic


def _requests(raw: Any, ruleset: RuleSet, path: str) -> tuple[Request, ...]:
    items = require_list(raw, path, "requests")
    require_at_most(items, MAX_REQUESTS, path, "requests", "requested items", "split the requests over several case files")
    if not items:
        raise InputError(path, "requests", "no requested item", "list at least one requested item")
    found = [request_from_mapping(r, i, ruleset, path) for i, r in enumerate(items)]
    ids = [r.id for r in found]
    for i, rid in enumerate(ids):
        if rid in ids[:i]:
            raise InputError(path, f"requests[{i}].id", f"id {_quoted(rid)} is used twice", "give each requested item its own id")
    for i, request in enumerate(found):
        if request.associated_with and request.associated_with not in ids:
            problem = f"no requested item has id {_quoted(request.associated_with)}"
            raise InputError(path, f"requests[{i}].associated_with", problem, f"use one of: {_listed(ids)}")
        if request.associated_with == request.id:
            raise InputError(path, f"requests[{i}].associated_with", "an item cannot serve itself", "name the procedure's item id")
    return tuple(_with_procedure(found, ruleset))


def _with_procedure(requests: list[Request], ruleset: RuleSet) -> list[Request]:
    """A pre- or post-operative item, or equipment, in a case that also requests a surgery serves that
    surgery (crutches or a cold therapy unit requested with a knee arthroscopy are for after it)."""
    surgeries = [r.id for r in requests if ruleset.services.category(r.service) == "surgery"]
    if not surgeries:
        return requests
    return [
        replaced_request(r, associated_with=surgeries[0]) if _serves_a_surgery(r, ruleset) and not r.associated_with and r.id not in surgeries else r
        for r in requests
    ]


def _serves_a_surgery(request: Request, ruleset: RuleSet) -> bool:
    return bool(request.timing) or (not request.drug and ruleset.services.category(request.service) == "equipment")


def request_from_mapping(raw: Any, index: int, ruleset: RuleSet, path: str) -> Request:
    """One requested item (requests[index] of a case) as the loader reads it; InputError when it does not load."""
    where = f"requests[{index}]"
    raw = require_mapping(raw, path, where)
    check_keys(raw, REQUEST_KEYS, path, where, required=("text",))
    text = require_text(raw["text"], path, f"{where}.text").strip()
    for key in ("text", "original_text", "certified"):
        if isinstance(raw.get(key), str) and len(raw[key]) > MAX_REQUEST_CHARS:
            problem = f"{len(raw[key])} characters, more than a request line ({MAX_REQUEST_CHARS})"
            raise InputError(path, f"{where}.{key}", problem, "give the requested item as the request states it; put notes elsewhere")
    parsed, rx = parsed_request_line(text, ruleset)
    ingredients = _ingredients(raw, parsed, ruleset, path, where)
    drug_named = str(raw["drug"]) if raw.get("drug") is not None else ("" if ingredients else parsed.drug_named)
    service = _service(raw, parsed, ruleset, path, where)
    generic = ""
    if raw.get("drug") is not None:
        generic = resolve_drug(ruleset, drug_named, path, f"{where}.drug")
        rx = _named_drug(rx, text, ruleset.lexicon.resolve(drug_named), ruleset) if rx is not None else None
    elif drug_named:
        generic = rx.drug if rx is not None and rx.drug else resolve_drug(ruleset, drug_named, path, f"{where}.text")
    elif not service and not ingredients and parsed.looks_like_drug:
        fix = f"add drug: with the generic or brand name, or add the drug to drugs.yaml in {SITE_RULES}"
        raise InputError(path, f"{where}.text", f"no known drug in {_quoted(text)}", fix)
    quantity = raw.get("quantity", parsed.quantity)
    if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or not 0 < quantity <= 10000):
        problem = f"expected a number of units above 0 and up to 10000, found {describe(quantity)}"
        raise InputError(path, f"{where}.quantity", problem, "write the count dispensed, e.g. 60")
    units = raw.get("units_per_dose", parsed.units_per_dose)
    if units is not None and (isinstance(units, bool) or not isinstance(units, (int, float)) or not 0 < units <= 20):
        raise InputError(path, f"{where}.units_per_dose", f"expected 1-20 units per dose, found {describe(units)}", "write how many tablets make one dose")
    if rx is not None and generic:
        rx = _stated_fields(rx, raw, parsed, ruleset)
        _refuse_absurd_strength(rx.strength, path, f"{where}.strength" if raw.get("strength") else f"{where}.text")
    strength = str(raw.get("strength") or parsed.strength or "")
    return request_record(
        id=str(raw.get("id") or f"item{index + 1}"),
        text=text,
        drug=generic,
        drug_named=drug_named,
        service=service,
        strength=strength,
        quantity=quantity,
        frequency=str(raw.get("frequency") or parsed.frequency or ""),
        units_per_dose=units,
        new_start=_flag(raw, "new_start", path, where),
        facts=_facts(raw.get("facts", {}), ruleset, path, f"{where}.facts"),
        index=index,
        body_parts=_body_parts(raw, parsed, ruleset, path, where),
        visits=_visits(raw, parsed, path, where),
        route=_choice(raw, "route", parsed.route or (ruleset.lexicon.drugs[generic].route if generic else ""), ROUTES, path, where),
        timing=_choice(raw, "timing", parsed.timing, TIMINGS, path, where),
        ingredients=ingredients,
        associated_with=_optional_text(raw, "associated_with", path, where),
        original_text=_optional_text(raw, "original_text", path, where),
        certified=_optional_text(raw, "certified", path, where),
        conflicts=_conflicts(raw.get("facts", {}), ruleset, path, f"{where}.facts"),
        dose=worked_out(rx, ruleset) if rx is not None and generic else None,
    )


def worked_out(rx: Prescription, ruleset: RuleSet) -> Dose:
    """work_out of the rule set's lexicon, remembered per prescription object: a request line read
    from memory (parsed_request_line) brings the very prescription it brought before, and its dose is
    the same (Dose is frozen; the plain answer: tests/test_speed.py). The memo holds each prescription
    it answers for, so no other object can take its id while it is kept."""
    memo = remembered(ruleset, "_worked_out", (ruleset.lexicon,))
    found = memo.get(id(rx))
    if found is not None and found[0] is rx:
        return found[1]
    if len(memo) >= MAX_REMEMBERED_LINES:
        memo.clear()
    dose = work_out(rx, ruleset.lexicon)
    memo[id(rx)] = (rx, dose)
    return dose


# Request lines remembered per rule set (parsed_request_line), about 2 KB each: enough for a corpus's
# recurring lines (a synthetic corpus of 4,000 items, 1,178 different lines, reads 1,257 with this bound
# and 1,178 without), bounded so that a corpus of lines all different does not grow a long run's memory.
MAX_REMEMBERED_LINES = 1024


def parsed_request_line(text: str, ruleset: RuleSet) -> tuple[ParsedRequest, Prescription | None]:
    """parse_request of the rule set's lexicon and services, remembered per rule set: a corpus repeats
    the same request lines ("Norco 10/325 mg #90"), and reading one is most of loading a case. The
    answer is the one parse_request gives afresh (its parts are frozen; tests/test_speed.py)."""
    lines = remembered(ruleset, "_parsed_lines", (ruleset.lexicon, ruleset.services))
    found = lines.get(text)
    if found is None:
        found = keep(lines, text, parse_request(text, ruleset.lexicon, ruleset.services), MAX_REMEMBERED_LINES)
    return found


def _named_drug(rx: Prescription, text: str, found: Any, ruleset: RuleSet) -> Prescription:
    """The prescription of the drug the request's drug: field names: the line read again for it when
    the line itself names another drug or none."""
    if rx.drug == found.drug.generic:
        return with_drug(rx, found)
    return read_prescription(text, found, ruleset.lexicon)


def _stated_fields(rx: Prescription, raw: dict, parsed: Any, ruleset: RuleSet) -> Prescription:
    """The prescription with the request's own fields (strength:, frequency:, quantity:, units_per_dose:)
    where they say something other than the line does."""
    stated = {
        key: raw[key] for key in ("strength", "frequency", "quantity", "units_per_dose")
        if raw.get(key) is not None and str(raw[key]).strip() != str(getattr(parsed, key) or "").strip()
    }
    return with_fields(rx, ruleset.lexicon, **stated) if stated else rx


def _refuse_absurd_strength(strength: Strength | None, path: str, where: str) -> None:
    """The largest strength one tablet, capsule, patch or mL can have, by unit: far above any real
    product (gabapentin 800 mg, acetaminophen 1,000 mg, fentanyl 100 mcg/h), far below a typo's 5000 mg."""
    if strength is None or strength.unit not in MAX_STRENGTH:
        return
    amount, limit = strength.amount / (strength.per_ml or 1.0), MAX_STRENGTH[strength.unit]
    if amount <= 0 or amount > limit:
        shown = f"{limit:,.0f} {strength.unit}" if strength.unit != "%" else f"{limit:,.0f}%"
        raise InputError(
            path, where, f"strength {short(strength.written)} per unit is {'zero' if amount <= 0 else 'above ' + shown}, which no product has",
            "correct the strength of one tablet, capsule or patch (the daily dose is derived from it)",
        )


def _optional_text(raw: dict, key: str, path: str, where: str) -> str:
    return require_text(raw[key], path, f"{where}.{key}").strip() if raw.get(key) is not None else ""


def _service(raw: dict, parsed: Any, ruleset: RuleSet, path: str, where: str) -> str:
    if raw.get("service") is None:
        return parsed.service
    service = str(raw["service"])
    if ruleset.services.services and service not in ruleset.services.services:
        known = f"use a service key the rules know ('mtus rules docs' lists them), or add one to services.yaml in {SITE_RULES}"
        fix = did_you_mean(service, ruleset.services.services, known)
        raise InputError(path, f"{where}.service", f"unknown service {_quoted(service)}", fix)
    return service


def _body_parts(raw: dict, parsed: Any, ruleset: RuleSet, path: str, where: str) -> tuple[str, ...]:
    if raw.get("body_parts") is None:
        return parsed.body_parts
    parts = tuple(str(b) for b in require_list(raw["body_parts"], path, f"{where}.body_parts"))
    for part in parts:
        if part not in ruleset.services.body_parts:
            fix = did_you_mean(part, ruleset.services.body_parts, f"use a body part key the rules know, or add one to services.yaml in {SITE_RULES}")
            raise InputError(path, f"{where}.body_parts", f"unknown body part {_quoted(part)}", fix)
    return parts


def _visits(raw: dict, parsed: Any, path: str, where: str) -> int | None:
    visits = raw.get("visits", parsed.visits)
    if visits is not None and (isinstance(visits, bool) or not isinstance(visits, int) or not 0 < visits <= 500):
        problem = f"expected a whole number of visits (1-500), found {describe(visits)}"
        raise InputError(path, f"{where}.visits", problem, "write the number of visits requested, e.g. 12")
    return visits


def _choice(raw: dict, key: str, parsed: str, allowed: tuple[str, ...], path: str, where: str) -> str:
    value = str(raw[key]) if raw.get(key) is not None else parsed
    if value and value not in allowed:
        raise InputError(path, f"{where}.{key}", f"unknown value {_quoted(value)}", f"use one of: {', '.join(allowed)}")
    return value


def _ingredients(raw: dict, parsed: Any, ruleset: RuleSet, path: str, where: str) -> tuple[Ingredient, ...]:
    if raw.get("ingredients") is None:
        if not parsed.ingredients:  # most lines: no compound
            return ()
        named = [(i.drug, i.strength) for i in parsed.ingredients]
        return tuple(Ingredient(resolve_drug(ruleset, n, path, f"{where}.text"), n, s) for n, s in named)
    found = []
    for i, item in enumerate(require_list(raw["ingredients"], path, f"{where}.ingredients")):
        iw = f"{where}.ingredients[{i}]"
        item = require_mapping(item, path, iw)
        check_keys(item, _INGREDIENT_KEYS, path, iw, required=("drug",))
        named = require_text(str(item["drug"]), path, f"{iw}.drug")
        found.append(Ingredient(resolve_drug(ruleset, named, path, f"{iw}.drug"), named, str(item.get("strength") or "")))
    return tuple(found)


def _expected(raw: Any, case: Case, path: str) -> dict[str, Expected]:
    found: dict[str, Expected] = {}
    ids = [r.id for r in case.requests]
    for i, entry in enumerate(require_list(raw or [], path, "expected")):
        where = f"expected[{i}]"
        entry = require_mapping(entry, path, where)
        check_keys(entry, ("item", "decision", "citations", "non_mtus", "no_citation", "note"), path, where, required=("item", "decision"))
        item = str(entry["item"])
        if item not in ids:
            raise InputError(path, f"{where}.item", f"no requested item has id {_quoted(item)}", f"use one of: {_listed(ids)}")
        if entry["decision"] not in DECISIONS:
            raise InputError(path, f"{where}.decision", f"unknown decision {_quoted(entry['decision'])}", f"use one of: {', '.join(DECISIONS)}")
        cites = []
        for j, cite in enumerate(require_list(entry.get("citations", []), path, f"{where}.citations")):
            cw = f"{where}.citations[{j}]"
            cite = require_mapping(cite, path, cw)
            check_keys(cite, ("guideline", "edition", "section", "pages"), path, cw, required=("guideline",))
            cites.append(Citation(str(cite["guideline"]), str(cite.get("edition", "")), str(cite.get("section", "")), str(cite.get("pages", ""))))
        no_citation = _flag(entry, "no_citation", path, where)
        if no_citation and cites:
            raise InputError(path, f"{where}.no_citation", "says the reviewer cited nothing, yet citations are listed", "remove no_citation or the citations")
        found[item] = _expected_entry(item, entry["decision"], tuple(cites), bool(entry.get("non_mtus", False)), no_citation)
    return found


# Expected entries without citations, one per item id, decision and flags (_expected_entry): at most this many,
# forgotten all at once when full.
MAX_REMEMBERED_EXPECTED = 4096
_expected_entries: dict[tuple[str, str, bool, bool], Expected] = {}


def _expected_entry(item: str, decision: str, cites: tuple[Citation, ...], non_mtus: bool, no_citation: bool) -> Expected:
    """Expected(item, decision, cites, non_mtus, no_citation): for an entry without citations (a corpus's
    items: the same few ids and decisions again and again) the one made for the first entry alike, as the
    object is frozen (the same entries: tests/test_speed.py)."""
    if cites or decision.__class__ is not str:
        return Expected(item, decision, cites, non_mtus, no_citation)
    key = (item, decision, non_mtus, no_citation)
    found = _expected_entries.get(key)
    if found is None:
        found = keep(_expected_entries, key, Expected(item, decision, cites, non_mtus, no_citation), MAX_REMEMBERED_EXPECTED)
    return found


def _divergences(raw: Any, case: Case, path: str) -> tuple[KnownDivergence, ...]:
    if not raw:  # none listed (most case files)
        return ()
    found = []
    for i, entry in enumerate(require_list(raw or [], path, "known_divergences")):
        where = f"known_divergences[{i}]"
        entry = require_mapping(entry, path, where)
        check_keys(entry, ("item", "about", "reason"), path, where, required=("item", "about", "reason"))
        item = str(entry["item"])
        if item not in case.expected:
            raise InputError(path, f"{where}.item", f"no expected: entry for item {_quoted(item)}", "name an item listed under expected:")
        if entry["about"] not in ("decision", "citation"):
            raise InputError(path, f"{where}.about", f"unknown value {_quoted(entry['about'])}", "use decision or citation")
        found.append(KnownDivergence(item, entry["about"], require_text(entry["reason"], path, f"{where}.reason")))
    return tuple(found)
