"""Reading a request line: the drug or service it names, strength, quantity, frequency, visits, route,
timing and a compound's ingredients. Part of loading a case (checker/load/case.py), before anything is derived."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from checker.base.patterns import LazyPattern
from checker.base.records import dataclass
from checker.load.lexicon import Lexicon
from checker.load.prescription import NUMBER_WORDS, Prescription, read_prescription, read_quantity
from checker.load.services import ServiceLexicon

_LOOKS_LIKE_DRUG = LazyPattern(r"\d\s*(?:mg|mcg|ml)\b|#\s*\d", re.I)
_BRACKETS_AS_SPACES = str.maketrans("()[]", "    ")
_INCLUDED = LazyPattern(r"\b(?:to include|labs?)\s*:\s*", re.I, needs=("lab", "to include"))
_PERCENT = LazyPattern(r"\d+(?:\.\d+)?\s*%")
_COMPOUND = LazyPattern(r"\bcompound(?:ed)?\b", re.I, needs=("compound",))
_ORAL = LazyPattern(r"\b(?:oral|orally|by mouth|p\.?o\.?|tablets?|capsules?|suspension)\b", re.I)
# an injected drug ("ketorolac 60 mg intramuscular injection", "Toradol 60 mg IM"): not its usual route by mouth
_INJECTED = LazyPattern(r"(?i:\binject(?:ion|ions|ed|able)?\b|\b(?:intramuscular|intravenous|subcutaneous)(?:ly)?\b)|\b(?:IM|IV)\b")
_TOPICAL = LazyPattern(
    r"\b(?:topical|cream|gel|patch|patches|ointment|lotion|pad|pads|spray|liniment|balm|roll-on)\b", re.I,
    needs=("balm", "cream", "gel", "liniment", "lotion", "ointment", "pad", "patch", "roll-on", "spray", "topical"),
)
_PREOP = LazyPattern(r"\bpre-?\s?op(?:erative)?\b|\bpre-?surgical\b|\bmedical clearance\b", re.I, needs=("medical clearance", "pre", "surgical"))
_POSTOP = LazyPattern(r"\bpost-?\s?op(?:erative)?\b|\bpost-?surgical\b|\bafter surgery\b", re.I, needs=("after surgery", "post", "surgical"))
_ASSOCIATED = LazyPattern(r"\bassociated surgical service\b", re.I, needs=("associated surgical service",))
_VISIT_CATEGORIES = ("therapy", "modality", "program")
_PER_WEEK = r"(?:x|times?|sessions?|visits?|(?:full[\s-]?)?days?)?\s*(?:a|per|/|each)?\s*(?:week|wk)s?|weekly|x\s*/\s*(?:week|wk)"  # "1 time a week"
_FOR_WEEKS = r"\s*[,]?\s*(?:for|x|times|over)\s*(\d+)\s*(?:weeks?|wks?)"
# A functional restoration programme is given in full days (CPMTG: no longer than 2 weeks without demonstrated
# efficacy, about 20 full-day sessions in all): its days are its visits, a week is 5 of them and a request in
# hours is read as full days of 8 hours (80 hours, 2 weeks; 160 hours, 20 days), rounded up.
_FULL_DAY_PROGRAMS = frozenset({"functional_restoration_program"})
_DAYS_A_WEEK = 5
_HOURS_A_DAY = 8
# visits (or days) a week for some weeks: '2-3x/week x 6 weeks' (the upper bound), '5 days a week for 2 weeks'
_PER_WEEK_PATTERNS = [
    (LazyPattern(rf"\b(\d+)\s*(?:-|to)\s*(\d+)\s*(?:{_PER_WEEK}){_FOR_WEEKS}"), lambda lo, hi, weeks: hi * weeks),
    (LazyPattern(rf"\b(\d+)\s*(?:{_PER_WEEK}){_FOR_WEEKS}"), lambda per, weeks: per * weeks),
]
# visits a month for some months, or monthly: '1 time a month for 6 months' -> 6, 'monthly for 12 months' -> 12
_FOR_MONTHS = r"\s*[,]?\s*(?:for|x|times|over)\s*(\d+)\s*(?:months?|mos?)\b"
_PER_MONTH_PATTERNS = [
    (LazyPattern(rf"\b(\d+)\s*(?:x|times?|sessions?|visits?)?\s*(?:a|per|/|each)\s*(?:month|mo){_FOR_MONTHS}"), lambda per, months: per * months),
    (LazyPattern(rf"\b(?:monthly|once\s+(?:a|per|each)\s+month){_FOR_MONTHS}"), lambda months: months),
]
_VISIT_PATTERNS = [  # the first match wins, so the most explicit forms come first
    (
        LazyPattern(r"\b(\d+)\s*(?:physical therapy |therapy |chiropractic |acupuncture |treatment |additional |more )?(?:visits?|sessions?|treatments?)\b"),
        lambda n: n,
    ),
    *_PER_WEEK_PATTERNS,
    *_PER_MONTH_PATTERNS,
    (LazyPattern(r"\b(\d+)\s*(?:x|times)\s*(\d+)\b"), lambda a, b: a * b),
    (LazyPattern(r"(?:#|\bx\s*|\btimes\s+)(\d+)\b"), lambda n: n),
]
# a full-day programme: its days a week first, then days, weeks and hours written alone, then any visit form
_FULL_DAY_PATTERNS = [
    *_PER_WEEK_PATTERNS,
    (
        LazyPattern(r"\b(\d+)\s*(?:of\s+\d+\s+)?(?:additional\s+|more\s+|remaining\s+|further\s+)?(?:full[\s-]?)?(?:days?|sessions?)\b(?!\s*(?:a|per|/|each)\s*(?:week|wk))"),
        lambda n: n,
    ),
    (LazyPattern(r"\b(\d+)\s*(?:additional\s+|more\s+|further\s+)?(?:weeks?|wks?)\b"), lambda weeks: weeks * _DAYS_A_WEEK),
    (LazyPattern(r"\b(\d+)\s*(?:additional\s+|more\s+|further\s+)?(?:hours?|hrs?)\b"), lambda hours: -(-hours // _HOURS_A_DAY)),
    *_VISIT_PATTERNS,
]



@dataclass(frozen=True)
class ParsedIngredient:
    """An ingredient of a compounded product as the request line writes it."""

    drug: str  # the name as written
    strength: str


@dataclass(frozen=True)
class ParsedRequest:
    """A request line read into a drug (with strength, quantity and frequency) or a service."""

    drug_named: str
    strength: str
    quantity: int | None
    frequency: str
    units_per_dose: float | None
    looks_like_drug: bool
    service: str = ""
    body_parts: tuple[str, ...] = ()
    visits: int | None = None
    route: str = ""
    timing: str = ""
    ingredients: tuple[ParsedIngredient, ...] = ()


def parse_request_line(text: str, lexicon: Lexicon, services: ServiceLexicon | None = None) -> ParsedRequest:
    """'Soma 350 mg BID #60' -> drug Soma, strength 350 mg, frequency BID, quantity 60;
    'Physical therapy 2 times a week for 6 weeks, lumbar spine' -> service, body part, 12 visits."""
    return parse_request(text, lexicon, services)[0]


def parse_request(text: str, lexicon: Lexicon, services: ServiceLexicon | None = None) -> tuple[ParsedRequest, Prescription | None]:
    """The request line's fields, and for a drug its written prescription (checker/load/prescription.py)."""
    drugs = lexicon.find_all_in_text(text)
    service = _requested_service(text, services)
    first_drug = min((d.start for d in drugs), default=None)
    if service and (first_drug is None or service.start < first_drug) and not _is_compound(text, drugs):
        return _service_request(text, service.key, services), None
    # Looked for only once the line is not a service's: a service's words ("epidural adhesiolysis")
    # are no drug's name, and each unknown word costs a fuzzy search of the lexicon.
    found = lexicon.find_in_text(text)
    if found is None and drugs:
        found = drugs[0]
    ingredients = _ingredients(text, drugs)
    rx = read_prescription(text, None if ingredients else found, lexicon)
    parsed = ParsedRequest(
        drug_named="" if ingredients else (found.matched if found else ""),
        strength=rx.strength.written if rx.strength and not ingredients else "",
        quantity=_whole(rx.quantity.value) if rx.quantity else None,
        frequency=rx.frequency.written if rx.frequency else "",
        units_per_dose=_written_units(rx),
        looks_like_drug=bool(_LOOKS_LIKE_DRUG.search(text)),
        body_parts=services.find_body_parts(text) if services else (),
        route=_route(text, found.drug if found else None, bool(ingredients)),
        timing=_timing(text, ""),
        ingredients=ingredients,
    )
    return parsed, (None if ingredients else rx)


def _written_units(rx: Prescription) -> float | None:
    """Units per dose as a case file states them: tablets, capsules, patches ... when the line says how many."""
    if rx.units_per_dose is None or rx.dose_unit in ("mL", "g") or any(n.code == "assumed_one_unit" for n in rx.notes):
        return None
    return rx.units_per_dose


def _requested_service(text: str, services: ServiceLexicon | None) -> Any:
    """'Labs to include: EKG' requests an EKG and 'Pre-op labs: CBC' a blood count: what follows
    'to include:' or 'labs:' names the service."""
    if services is None:
        return None
    # A gloss in brackets inside a service's name ("first dorsal compartment (de Quervain) release") is
    # part of the name's words: the brackets read as spaces, so every offset stays the line's own.
    if "(" in text or "[" in text:
        text = text.translate(_BRACKETS_AS_SPACES)
    included = _INCLUDED.search(text)
    found = services.find_service(text[included.end():]) if included else None
    if found is not None:
        return replace(found, start=found.start + included.end(), end=found.end + included.end())
    return services.find_service(text)


def _service_request(text: str, service: str, services: ServiceLexicon) -> ParsedRequest:
    category = services.category(service)
    quantity = read_quantity(text) if category not in _VISIT_CATEGORIES else None
    return ParsedRequest(
        drug_named="",
        strength="",
        quantity=_whole(quantity.value) if quantity else None,
        frequency="",
        units_per_dose=None,
        looks_like_drug=False,
        service=service,
        body_parts=services.find_body_parts(text),
        visits=visits_of_service(text, service) if category in _VISIT_CATEGORIES else None,
        timing=_timing(text, category),
    )


def _whole(value: float) -> float | int:
    return int(value) if value.is_integer() else value


def _is_compound(text: str, drugs: list) -> bool:
    """Two drugs or more with their percentages, or in one cream, gel or other topical form ("Flurbiprofen/
    baclofen/lidocaine cream"), or a request that says 'compound'."""
    several = len(drugs) >= 2
    return several and (len(_PERCENT.findall(text)) >= 2 or bool(_TOPICAL.search(text))) or bool(drugs and _COMPOUND.search(text))


def _ingredients(text: str, drugs: list) -> tuple[ParsedIngredient, ...]:
    """The ingredients of a compounded product (_is_compound)."""
    if not _is_compound(text, drugs):
        return ()
    parts = []
    for i, drug in enumerate(drugs):
        end = drugs[i + 1].start if i + 1 < len(drugs) else len(text)
        percent = _PERCENT.search(text, drug.start, end)  # "Lidocaine 5% gel": the strength may sit inside the name
        name = " ".join(_PERCENT.sub(" ", drug.matched).split())
        parts.append(ParsedIngredient(name, percent.group(0).replace(" ", "") if percent else ""))
    return tuple(parts)


def _route(text: str, drug: Any, compound: bool) -> str:
    if _ORAL.search(text):
        return "oral"
    if _TOPICAL.search(text) or compound:
        return "topical"
    if _INJECTED.search(text):
        return "injection"
    return drug.route if drug is not None and drug.route else ""


def visits_of_service(text: str, service: str) -> int | None:
    """The visits a text gives for a service: parse_visits, counting full days for a programme given in them."""
    return parse_visits(text, full_days=service in _FULL_DAY_PROGRAMS)


def says_postoperative(text: str) -> bool:
    """The request line names itself post-operative ("post-op PT x12", "therapy after surgery")."""
    return _POSTOP.search(text) is not None


def _timing(text: str, category: str) -> str:
    if _PREOP.search(text):
        return "preoperative"
    if _POSTOP.search(text):
        return "postoperative"
    if _ASSOCIATED.search(text):
        return "preoperative" if category == "perioperative" else "postoperative"
    return "preoperative" if category == "perioperative" else ""


def parse_visits(text: str, full_days: bool = False) -> int | None:
    """Visits requested: '2 times a week for 6 weeks' -> 12, '2-3x/week x 6 weeks' -> 18 (the upper
    bound), 'six sessions' -> 6, '#6', 'x6', 'times 6' -> 6. A programme of full days (full_days) counts
    its days: '10 days' -> 10, '2 weeks' -> 10, '80 hours' -> 10."""
    lowered = _number_words_to_digits(text.lower())
    for pattern, combine in _FULL_DAY_PATTERNS if full_days else _VISIT_PATTERNS:
        match = pattern.search(lowered)
        if match:
            value = combine(*(int(g) for g in match.groups() if g is not None))
            return value if 0 < value <= 500 else None
    return None


def _number_words_to_digits(text: str) -> str:
    """Number words as digits ("two times a week for six weeks" -> "2 times a week for 6 weeks"), in one
    pass: the longest word at each place, as substituting the words one by one, longest first, does
    (no word holds a longer one's start after a boundary of its own: tests/test_speed.py)."""
    return _NUMBER_WORD.sub(lambda match: str(NUMBER_WORDS[match.group(0)]), text)


_NUMBER_WORD = LazyPattern(r"\b(?:" + "|".join(re.escape(w) for w in sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b")
