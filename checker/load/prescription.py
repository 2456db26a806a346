"""A written prescription read into a structured dose, and the dose worked out from it.

read_prescription: "Norco 10/325 mg 1-2 tabs PO q4-6h PRN #60, 1 refill" -> the drug as the lexicon
names it (and how the written name was read), the form, the strength per unit of the ingredient the
dose counts, units per dose, doses per day (as needed, with a daily maximum), quantity, refills.
work_out: that prescription -> the daily dose, the days' supply and the morphine milligram
equivalents (MME) per day, with each factor of the arithmetic kept for the report.

What cannot be read is never guessed: it is recorded as a Note with a code (templates word it) and
the facts that depend on it stay unknown. Readings that take a convention (one tablet a dose when
none is written, the upper bound of "1-2 tablets") are Notes too, so the report can say so.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from checker.base.memo import keep
from checker.base.patterns import LazyPattern, words_end
from checker.base.records import dataclass
from checker.load.lexicon import Drug, Lexicon, MmeFactor, MmeTable, Resolution

# ---- the words of a prescription ------------------------------------------------------------------

NUMBER_WORDS = {  # numbers written as words, in request lines of drugs and of visits alike
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15, "sixteen": 16, "eighteen": 18, "twenty": 20, "twenty-four": 24,
    "thirty": 30, "thirty-six": 36, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "one hundred": 100, "one hundred twenty": 120, "one hundred eighty": 180, "once": 1, "twice": 2,
}
_NUMBER_WORDS = {**NUMBER_WORDS, "no": 0, "zero": 0, "a": 1, "an": 1}  # "no refills", "a month's supply"
_WORD = (
    r"(?:one hundred (?:twenty|eighty)|one hundred|forty-five|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|one|two|three|four|five|six|seven|eight|nine|ten)"
)
_NUM = r"(?<![\d.])\d+(?:\.\d+)?"  # a whole run of digits only: a match never starts inside one (linear time)
_HALF = r"(?:1/2|½|half(?:\s+an?)?)"
# Patterns of single steps below, compiled on first use (from the table written ahead: checker/base/patterns.py)
_HALF_WORD = LazyPattern(_HALF)
_DECIMAL = LazyPattern(r"\d+(?:\.\d+)?")
_MG_OR_MCG = LazyPattern(r"\s*(?:mg|mcg)\s*", re.I)
_MG_OR_MCG_WORD = LazyPattern(r"(?i)(mg|mcg)")
_PER_ML = LazyPattern(r"(?:/|per)\s*(?:ml|cc)\b", re.I)
_PER_HOUR_END = LazyPattern(r"(?:/|per)(?:h|hr|hrs|hour)$")
_SPACES = LazyPattern(r"\s+")
_COMBINATION_MARK = LazyPattern(r"\s*(?:/|-|\bwith\b|\band\b)\s*")
_COUNT = rf"(?:{_NUM}|{_HALF}|\b{_WORD}\b)"
_MASS_UNITS = {"mg": 1.0, "mcg": 0.001, "g": 1000.0}
_UNIT_WORDS = {
    "mg": "mg", "milligram": "mg", "milligrams": "mg", "mcg": "mcg", "µg": "mcg", "ug": "mcg", "microgram": "mcg", "micrograms": "mcg",
}
_STRENGTH = LazyPattern(
    rf"(?P<amounts>{_NUM}(?:\s*(?:mg|mcg)?\s*(?P<sep>[/-])\s*\d+(?:\.\d+)?){{0,3}})\s*"
    r"(?P<unit>(?:mcg|micrograms?|µg|ug)\s*(?:/|per)\s*(?:h|hr|hrs|hour)\b|mg|mcg|µg|ug|milligrams?|micrograms?|%)"
    r"(?:\s*(?:/|per)\s*(?P<volume>\d+(?:\.\d+)?)?\s*(?:ml|cc)\b)?",
    re.I,
)
# "Norco 10/325", "Percocet 5/325": combination labels give mg, and a request often leaves the unit off
_BARE_COMBINATION = LazyPattern(r"(?<![\d./])\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?){1,2}(?![\d./%])(?!\s*(?:mcg|mg|g|ml|%))", re.I)
_GRAM_STRENGTH = LazyPattern(rf"(?<!#)(?<!#\s)({_NUM})\s*(?:g|gm|gram)\b(?!\s*(?:tube|jar|container))", re.I)
_FORM_WORDS = [  # (form, pattern): the first that matches names the form; product names go first
    ("patch", LazyPattern(r"\bpatch(?:es)?\b|\btransdermal\b", re.I, needs=("patch", "transdermal"))),
    ("film", LazyPattern(r"\bfilms?\b", re.I, needs=("film",))),
    ("lozenge", LazyPattern(r"\b(?:lozenges?|troches?|lollipops?)\b", re.I, needs=("lollipop", "lozenge", "troche"))),
    ("spray", LazyPattern(r"\bsprays?\b|\bactuations?\b|\bpuffs?\b", re.I, needs=("actuation", "puff", "spray"))),
    ("buccal tablet", LazyPattern(r"\bbuccal\b", re.I, needs=("buccal",))),
    ("sublingual tablet", LazyPattern(r"\bsublingual(?:ly)?\b|\bSL\b")),
    ("injection", LazyPattern(r"\binject(?:ion|ions|able)?\b|\b(?:intramuscular|intravenous|subcutaneous)(?:ly)?\b|\bvials?\b|\bamp(?:o)?ules?\b", re.I,
     needs=("amp", "inject", "intramuscular", "intravenous", "subcutaneous", "vial"))),
    ("injection", LazyPattern(r"\b(?:IM|IV|SQ|SC)\b")),
    ("suppository", LazyPattern(r"\bsuppositor(?:y|ies)\b|\brectal(?:ly)?\b", re.I, needs=("rectal", "suppositor"))),
    ("liquid", LazyPattern(r"\b(?:solution|suspension|susp|liquid|elixir|syrup|concentrate)\b", re.I,
     needs=("concentrate", "elixir", "liquid", "solution", "susp", "syrup"))),
    ("topical", LazyPattern(r"\b(?:cream|gel|ointment|lotion|foam|topical|liniment|balm|roll-on)\b", re.I,
     needs=("balm", "cream", "foam", "gel", "liniment", "lotion", "ointment", "roll-on", "topical"))),
    ("capsule", LazyPattern(r"\bcap(?:s|sule|sules)?\b", re.I, needs=("cap",))),
    ("tablet", LazyPattern(r"\btab(?:s|let|lets)?\b|\bpills?\b|\bODT\b", re.I, needs=("odt", "pill", "tab"))),
]
# What one unit of each form is, as the arithmetic names it.
DOSE_UNITS = {
    "tablet": "tablet", "capsule": "capsule", "liquid": "mL", "patch": "patch", "film": "film", "buccal tablet": "tablet",
    "sublingual tablet": "tablet", "lozenge": "lozenge", "spray": "spray", "injection": "mL", "topical": "g",
    "suppository": "suppository", "": "unit",  # no form named: a tablet, capsule ... whatever the product is
}
_COUNT_UNIT = (
    r"(?:tab|tabs|tablet|tablets|cap|caps|capsule|capsules|patch|patches|films?|lozenges?|troches?|sprays?|puffs?|actuations?"
    r"|suppositor(?:y|ies)|pills?)"
)
_COUNT_UNIT_NEEDS = ("actuation", "cap", "film", "lozenge", "patch", "pill", "puff", "spray", "suppositor", "tab", "troche")
_UNITS_PER_DOSE = LazyPattern(rf"({_COUNT})(?:\s*(?:-|to|or)\s*({_COUNT}))?\s*{_COUNT_UNIT}\b", re.I, needs=_COUNT_UNIT_NEEDS)
_VOLUME_PER_DOSE = LazyPattern(rf"(?<!#)(?<!#\s)({_COUNT})(?:\s*(?:-|to)\s*({_COUNT}))?\s*(ml|cc|teaspoons?(?:ful)?|tsp|tablespoons?(?:ful)?|tbsp)\b", re.I)
_GRAMS_PER_DOSE = LazyPattern(rf"(?<!#)(?<!#\s)({_COUNT})(?:\s*(?:-|to)\s*({_COUNT}))?\s*(?:g|gm|grams?)\b", re.I)
_DOSE_AMOUNT = LazyPattern(
    rf"\b(?:take|give|inject|administer|dose(?:\s+of)?)\s+({_NUM})\s*(mg|mcg)\b", re.I, needs=("administer", "dose", "give", "inject", "take")
)
_VOLUMES = {"ml": 1.0, "cc": 1.0, "tsp": 5.0, "teaspoon": 5.0, "tbsp": 15.0, "tablespoon": 15.0}
_MAX_COUNT_PER_DOSE = 4  # "90 tablets" is a quantity, not a dose ...
_MAX_COUNT_DOSED = 20  # ... but "5 tablets daily", a count its frequency follows, is a dose
_FREQUENCY_FOLLOWS = LazyPattern(
    r"\s*(?:(?:po|by mouth|orally|sl)\s+)?(?:q\s*\d|q\s*(?:d|day|am|pm|hs)\b|qhs|qid|tid|bid|daily|every|once|twice|at bedtime|nightly|\d+\s*(?:x|times))",
    re.I,
)
_MAX_ML_PER_DOSE = 60
_MAX_G_PER_DOSE = 10

_AS_NEEDED = LazyPattern(r"\bprn\b|\bas needed\b|\bwhen needed\b|\bif needed\b", re.I, needs=("as needed", "if needed", "prn", "when needed"))
_PER_DAY = r"(?:/|per|a|an|in|each|every)?\s*(?:24\s*(?:h|hrs?|hours?)|day|daily|d)\b"
_MAXIMUM = LazyPattern(
    rf"\b(?:max(?:imum)?|not to exceed|no more than|nte|mdd|do not exceed)\.?\s*(?:of\s*)?(?:dose\s*)?(?:[:=]\s*)?({_NUM}|\b{_WORD}\b)\s*"
    rf"(mg|mcg|tabs?|tablets?|caps?|capsules?|doses?|pills?|patches|sprays?|ml|films?|lozenges?)?\s*{_PER_DAY}",
    re.I,
    needs=("do not exceed", "max", "mdd", "no more than", "not to exceed", "nte"),
)
_DAILY_MAXIMUM = LazyPattern(  # "MDD 4", "MDD: 4 tabs": a maximum daily dose needs no "a day"
    rf"\bmdd\b\s*[:=]?\s*({_NUM}|\b{_WORD}\b)\s*(mg|mcg|tabs?|tablets?|caps?|capsules?|doses?|pills?|patches|sprays?|ml|films?|lozenges?)?", re.I,
    needs=("mdd",),
)
def _times_a_day(words: str, digit: int) -> str:
    """'tid', 'three times a day', 'three times daily', '3x/day', '3 times a day' ..."""
    return (
        rf"{words}\s+times\s+(?:a|per|each)?\s*day|{words}\s+times\s+daily"
        rf"|{digit}\s*x\s*(?:/\s*)?(?:a\s+)?day|{digit}\s*x\s*daily|{digit}\s+times\s+(?:a|per|each)?\s*day|{digit}\s+times\s+daily"
    )


_ONCE_A_DAY = (
    r"qd|daily|once\s+(?:a|per|each)\s+day|once\s+daily|q\s*day|qhs|hs|qam|qpm|q\s*am|q\s*pm|at\s+bedtime|nightly"
    r"|every\s+(?:morning|night|evening|day)|in\s+the\s+(?:morning|evening)|at\s+night"
)
_FIXED = [  # (pattern, doses per day, needs); the first match wins, so specific forms come first (compiled below)
    (r"\b\d+\s*(?:hours?|hrs?|h)\s*on\b[\s,]*\d+\s*(?:hours?|hrs?|h)\s*off\b", 1.0, ("off",)),
    (r"\b(?:every\s+other\s+day|qod)\b", 0.5, ("every", "qod")),
    (r"\b(?:weekly|once\s+(?:a|per|every)\s+week|every\s+week|q\s*(?:1\s*)?(?:wk|week))\b", 1 / 7, ()),
    (rf"\b(?:qid|{_times_a_day('four', 4)})\b", 4.0, ("daily", "day", "qid", "times")),
    (rf"\b(?:tid|{_times_a_day('three', 3)})\b", 3.0, ("daily", "day", "three", "tid", "times")),
    (rf"\b(?:bid|twice\s+(?:a|per|each)?\s*day|twice\s+daily|{_times_a_day('two', 2)})\b", 2.0, ("bid", "daily", "day", "times", "twice")),
    (rf"\b(?:{_ONCE_A_DAY})\b", 1.0, ()),
]
_FIXED_RE = [(LazyPattern(pattern, re.I, needs=needs), per_day) for pattern, per_day, needs in _FIXED]
_TIMES_A_DAY = LazyPattern(
    rf"\b({_NUM}|\b{_WORD}\b)(?:\s*(?:-|to|or)\s*({_NUM}|\b{_WORD}\b))?\s*(?:x|times)\s*(?:/\s*|a\s+|per\s+|each\s+)?(?:day|daily)\b", re.I
)
_INTERVAL = LazyPattern(
    r"(?:\bq\s*|\bevery\s+)(?<![\d.])(\d+(?:\.\d+)?)(?:\s*(?:-|to)\s*(\d+(?:\.\d+)?))?\s*(h|hr|hrs|hours?|d|days?)\b", re.I
)
_SINGLE = LazyPattern(r"\b(?:once|one\s+time|single\s+dose|stat|x\s*1)\b(?!\s*(?:a|per|daily|every|each))", re.I)
_PACKAGES = r"(?:box(?:es)?|bottles?|tubes?|containers?|jars?|kits?|packs?|packages?|pkgs?|cartons?)"
_PACKAGE_NEEDS = ("bottle", "box", "carton", "container", "jar", "kit", "pack", "pkg", "tube")
_QUANTITY_PATTERNS = [  # (pattern, unit group or fixed unit); the last match of the first pattern that matches wins
    (LazyPattern(rf"#\s*({_NUM})\s*({_PACKAGES})\b", re.I, needs=_PACKAGE_NEEDS), "package"),
    (LazyPattern(rf"#\s*({_NUM})\s*(ml|cc|g|gm|grams?)?\b", re.I), "unit"),
    (LazyPattern(rf"\b(?:qty|quantity|disp(?:ense)?)\b\.?\s*[:#]?\s*({_NUM})\s*(ml|cc|g|gm|grams?)?\b", re.I, needs=("disp", "qty", "quantity")), "unit"),
    (LazyPattern(rf"({_NUM})\s*(?:count|ct)\b", re.I), "unit"),
    (LazyPattern(rf"({_NUM})\s*(ml|cc)\b", re.I), "volume"),
    (LazyPattern(rf"({_NUM})\s*(g|gm|grams?)\b", re.I), "grams"),
    (LazyPattern(rf"({_NUM})\s*{_COUNT_UNIT}\b", re.I, needs=_COUNT_UNIT_NEEDS), "count"),
    (LazyPattern(rf"\b({_WORD})\s+(?:count|tablets|tabs|capsules|caps|patches)\b", re.I, needs=("caps", "count", "patches", "tablets", "tabs")), "count"),
    (LazyPattern(rf"\b({_NUM}|{_WORD}|a|an)\s+({_PACKAGES})\b", re.I, needs=_PACKAGE_NEEDS), "package"),
]
_REFILLS = [
    LazyPattern(rf"\b({_NUM}|{_WORD}|no|zero)\s*(?:\(\d+\)\s*)?refills?\b", re.I, needs=("refill",)),
    LazyPattern(rf"\brefills?\s*[:x#]?\s*({_NUM}|{_WORD})\b", re.I, needs=("refill",)),
    LazyPattern(rf"\b(?:rf|rfl)\s*[:x#]?\s*({_NUM})\b", re.I),
]
_DAYS_WRITTEN = [
    (LazyPattern(rf"\b({_NUM}|{_WORD})[\s-]*days?'?s?'?\s+supply\b", re.I, needs=("supply",)), 1),
    (LazyPattern(rf"\b({_NUM}|{_WORD}|a)[\s-]*months?'?s?'?\s+supply\b", re.I, needs=("supply",)), 30),
    (LazyPattern(rf"\b(?:for|x)\s*({_NUM}|{_WORD})\s+days?\b", re.I, needs=("day",)), 1),
    (LazyPattern(rf"\bfor\s+({_NUM}|{_WORD})\s+weeks?\b", re.I, needs=("week",)), 7),
]
_DAYS_PER_MONTH_SUPPLY = 30  # pharmacies count a month's supply as 30 days
# The largest strength one unit can have, by unit: far above any real product (gabapentin 800 mg,
# acetaminophen 1,000 mg, fentanyl 100 mcg/h), far below a typo's 5000 mg.
MAX_STRENGTH = {"mg": 2000.0, "mcg": 2000.0 * 1000, "mcg/h": 1000.0, "g": 2.0, "%": 100.0}


# ---- what a prescription says ----------------------------------------------------------------------

@dataclass(frozen=True)
class Note:
    """A reading the report words from its code: a convention taken, or what could not be read."""

    code: str
    detail: str = ""
    problem: bool = False


@dataclass(frozen=True)
class Strength:
    """Strength per unit: `amount` of `ingredient` (the one the dose counts) in `unit`, per one unit of
    the form, or per `per_ml` mL of a liquid."""

    written: str
    amount: float
    unit: str  # mg | mcg | g | mcg/h | %
    per_ml: float | None = None
    ingredient: str = ""
    parts: tuple[tuple[str, float], ...] = ()  # every ingredient's amount, for combinations
    ranged: bool = False  # "5-10 mg" of a single drug: the dose, not the unit, was written as a range

    def mass_per_unit_mg(self) -> float | None:
        """mg of the ingredient in one unit (tablet, mL, spray ...), or None for mcg/h and %."""
        if self.unit not in _MASS_UNITS:
            return None
        return self.amount * _MASS_UNITS[self.unit] / (self.per_ml or 1.0)


@dataclass(frozen=True)
class Frequency:
    """How often a dose is taken: doses a day, interval, as needed, and any daily maximum."""

    written: str
    doses_per_day: float | None
    interval_hours: float | None = None
    as_needed: bool = False
    maximum: float | None = None  # a daily maximum, in `maximum_unit`
    maximum_written: str = ""
    maximum_unit: str = ""  # "unit" (tablets, patches ...), "dose", "mL", "mg" or "mcg"
    ranged: bool = False  # "q4-6h", "2-3 times a day": the most frequent end is used
    single: bool = False  # one dose only ("x1", "once")


@dataclass(frozen=True)
class Quantity:
    """The quantity dispensed and the unit it is counted in."""

    value: float
    unit: str  # "unit" (tablets, patches ... or not written), "mL", "g", or "package" (box, bottle ...)
    written: str = ""


@dataclass(frozen=True)
class Prescription:
    """A prescription line read: drug, form, strength, units per dose, frequency, quantity, refills, notes."""

    text: str
    drug: str = ""  # generic
    written_name: str = ""
    lexicon_name: str = ""
    how: str = ""  # exact | fuzzy
    release: str = ""
    form: str = ""
    strength: Strength | None = None
    units_per_dose: float | None = None
    units_range: tuple[float, float] | None = None
    frequency: Frequency | None = None
    quantity: Quantity | None = None
    refills: int | None = None
    days_written: float | None = None
    notes: tuple[Note, ...] = ()

    @property
    def dose_unit(self) -> str:
        return dose_unit(self.form, self.strength)


@dataclass(frozen=True)
class Dose:
    """The arithmetic: strength x units per dose x doses a day (= daily dose) x factor (= MME/day)."""

    prescription: Prescription
    units_per_day: float | None = None
    daily_amount: float | None = None  # of the ingredient, in daily_unit
    daily_unit: str = ""  # mg, or mcg/h for a patch worn around the clock
    daily_mg: float | None = None
    factor: MmeFactor | None = None
    factor_value: float | None = None
    tier: tuple[float, float | None] | None = None
    table: MmeTable | None = None
    mme_basis: float | None = None  # the daily amount the factor multiplies, in factor.per
    mme: float | None = None
    mme_missing: Note | None = None
    days_supply: float | None = None
    days_from: str = ""  # "quantity" or "written"
    notes: tuple[Note, ...] = ()


def dose_unit(form: str, strength: Strength | None) -> str:
    """What one unit of the form is: a tablet, a patch, a mL of a liquid (or of an injection dosed by
    volume), a gram of a topical."""
    if form == "injection" and not (strength and strength.per_ml):
        return "injection"
    if form == "" and strength and strength.per_ml:
        return "mL"
    return DOSE_UNITS[form]


# ---- reading ----------------------------------------------------------------------------------------

def read_prescription(text: str, found: Resolution | None, lexicon: Lexicon) -> Prescription:
    """The written prescription: `found` is the drug name read from the line (None: no drug named)."""
    text = _plain(text)
    rest = without_name(text, found.matched) if found else text  # "Tylenol #3 ... #60": 60 is the quantity
    named = found.drug if found else None
    product = found.product if found else None
    strength_text, rest_after, notes = _written_strength(rest, found, lexicon)
    form = (product.form if product else "") or _form_in_rest(rest)
    strength, drug, strength_notes = _strength_for(strength_text, named, found, lexicon)
    form = form or _form_from_strength(strength)
    strength, patch_notes = _patch_rate(strength, form)
    units, units_range, unit_notes = _units_per_dose(rest_after, form, strength)
    frequency, quantity, refills, days_written = _directions(rest_after, form)
    return Prescription(
        text=text,
        drug=drug.generic if drug else "",
        written_name=found.matched if found else "",
        lexicon_name=(found.name if drug is named else drug.generic) if found and drug else "",
        how=found.how if found else "",
        release=((product.release if product else "") or named.release) if named else "",
        form=form,
        strength=strength,
        units_per_dose=units,
        units_range=units_range,
        frequency=frequency,
        quantity=quantity,
        refills=refills,
        days_written=days_written,
        notes=tuple(notes + strength_notes + patch_notes + unit_notes),
    )


# What a request line says besides its drug's name and strength, remembered by the words left (read_prescription):
# a corpus writes the same few directions (" TID #30", " Q4-6H PRN #60") after many names. At most this many
# of each, forgotten all at once when full.
MAX_REMEMBERED_DIRECTIONS = 4096
_Directions = tuple["Frequency | None", "Quantity | None", "int | None", "float | None"]
_directions_read: dict[tuple[str, str], _Directions] = {}
_forms_read: dict[str, str] = {}


def _directions(rest: str, form: str) -> _Directions:
    """plain_directions, remembered by the text and form: each part a function of them alone, and frozen
    (the same answers: tests/test_speed.py)."""
    key = (rest, form)
    found = _directions_read.get(key)
    if found is None:
        found = keep(_directions_read, key, plain_directions(rest, form), MAX_REMEMBERED_DIRECTIONS)
    return found


def plain_directions(rest: str, form: str) -> _Directions:
    """The frequency, quantity, refills and days written of a line's words after its name and strength."""
    return _frequency(rest), _quantity(rest, form), _refills(rest), _days_written(rest)


def _form_in_rest(rest: str) -> str:
    """form_in_text of a line without its drug's name, remembered by that text (the same form: tests/test_speed.py)."""
    form = _forms_read.get(rest)
    if form is None:
        form = keep(_forms_read, rest, form_in_text(rest), MAX_REMEMBERED_DIRECTIONS)
    return form


def _written_strength(rest: str, found: Resolution | None, lexicon: Lexicon) -> tuple[str, str, list[Note]]:
    """The strength as written (or as the product implies it), and the line without it."""
    match = _STRENGTH.search(rest)
    if match:
        return match.group(0), rest[: match.start()] + " " + rest[match.end():], []
    product = found.product if found else None
    if product and product.strength:
        return product.strength, rest, [Note("implied_strength", product.strength)]
    bare = _BARE_COMBINATION.search(rest) if found else None
    if bare and _takes_parts(found.drug, bare.group(0), lexicon):
        return f"{bare.group(0)} mg", rest[: bare.start()] + " " + rest[bare.end():], [Note("combination_unit_mg", bare.group(0))]
    gram = _GRAM_STRENGTH.search(rest)
    if gram and float(gram.group(1)) <= MAX_STRENGTH["g"] and not _is_topical(rest):
        return gram.group(0), rest[: gram.start()] + " " + rest[gram.end():], []
    return "", rest, []


def with_fields(rx: Prescription, lexicon: Lexicon, strength: str | None = None, frequency: str | None = None,
                quantity: float | None = None, units_per_dose: float | None = None) -> Prescription:
    """The prescription with what a case file states in its own fields instead of what the line says."""
    if strength is not None:
        drug = lexicon.drugs.get(rx.drug)
        found = Resolution(drug, rx.written_name, rx.how, name=rx.lexicon_name) if drug else None
        read, _, notes = _strength_for(str(strength), drug, found, lexicon)
        if read is None and not notes:
            notes = [Note("strength_unreadable", str(strength), problem=True)]  # "10": mg? mcg? not said
        kept = tuple(n for n in rx.notes if n.code not in _STRENGTH_NOTES)
        form = rx.form or _form_from_strength(read)
        read, patch_notes = _patch_rate(read, form)
        rx = replace(rx, strength=read, notes=kept + tuple(notes) + tuple(patch_notes), form=form)
    if frequency is not None:
        rx = replace(rx, frequency=read_frequency(frequency))
    if quantity is not None:
        rx = replace(rx, quantity=Quantity(float(quantity), "unit", str(quantity)))
    if units_per_dose is not None:
        kept = tuple(n for n in rx.notes if n.code not in _UNIT_NOTES)
        rx = replace(rx, units_per_dose=float(units_per_dose), units_range=None, notes=kept)
    return rx


def with_drug(rx: Prescription, found: Resolution) -> Prescription:
    """The prescription of a drug a case file names in its own `drug:` field."""
    return replace(rx, drug=found.drug.generic, written_name=found.matched, lexicon_name=found.name, how=found.how,
                   release=(found.product.release if found.product else "") or found.drug.release,
                   form=rx.form or (found.product.form if found.product else ""))


_STRENGTH_NOTES = (
    "implied_strength", "one_strength_for_combination", "combination_from_strength", "strength_parts_mismatch", "dose_range_upper_bound",
    "combination_unit_mg", "patch_mcg_per_hour", "strength_unreadable",
)
_UNIT_NOTES = ("assumed_one_unit", "range_upper_bound", "units_from_dose_amount", "liquid_without_volume", "dose_range_units_unknown")


def without_name(text: str, name: str) -> str:
    """The text with the first occurrence of the name (its words apart by any whitespace, any case)
    made one space: what plain_without_name's regex does, found without compiling a regex for every
    name a corpus writes (288 in a 2,000-item corpus). Text other than ASCII goes to the
    regex, whose case folding pairs some non-ASCII letters with ASCII ones (tests/test_speed.py)."""
    words = name.lower().split()
    if not (words and text.isascii() and name.isascii()):
        return plain_without_name(text, name)
    lowered = text.lower()
    start = lowered.find(words[0])
    while start >= 0:
        end = words_end(lowered, start + len(words[0]), words[1:])
        if end >= 0:
            return text[:start] + " " + text[end:]
        start = lowered.find(words[0], start + 1)
    return text


def plain_without_name(text: str, name: str) -> str:
    """without_name by a regex of the name."""
    pattern = r"\s+".join(re.escape(part) for part in name.split())
    return re.sub(pattern, " ", text, count=1, flags=re.I)


_THOUSANDS = LazyPattern(r"(?<=\d),(?=\d{3}(?!\d))")
_WORD_THEN_DIGITS = LazyPattern(rf"\b{_WORD}\s*\((\d+)\)", re.I)
_DOTS = LazyPattern(r"(?<=[A-Za-z])\.(?=[A-Za-z0-9]|\s|$)")


def _plain(text: str) -> str:
    """'1,000 mg' -> '1000 mg'; 'two (2) tablets' -> '2 tablets'; 't.i.d.' -> 'tid', 'q.8h' -> 'q8h'.
    Each substitution runs only on a text holding the character it removes or reads (a comma, an
    opening parenthesis, a dot): most request lines hold none (the same text: plain_plain)."""
    if "," in text:
        text = _THOUSANDS.sub("", text)
    if "(" in text:
        text = _WORD_THEN_DIGITS.sub(r"\1", text)
    return _DOTS.sub("", text) if "." in text else text


def plain_plain(text: str) -> str:
    """_plain, every substitution run."""
    return _DOTS.sub("", _WORD_THEN_DIGITS.sub(r"\1", _THOUSANDS.sub("", text)))


def form_in_text(text: str) -> str:
    return next((form for form, pattern in _FORM_WORDS if pattern.search(text)), "")


def _is_topical(text: str) -> bool:
    return form_in_text(text) == "topical"


def _patch_rate(strength: Strength | None, form: str) -> tuple[Strength | None, list[Note]]:
    """Patches are labelled by the rate they deliver: a patch written '25 mcg' is 25 mcg/h."""
    if form != "patch" or strength is None or strength.unit != "mcg" or strength.per_ml:
        return strength, []
    return replace(strength, unit="mcg/h"), [Note("patch_mcg_per_hour", strength.written)]


def _form_from_strength(strength: Strength | None) -> str:
    if strength is None:
        return ""
    if strength.unit == "mcg/h":
        return "patch"
    if strength.per_ml:
        return "liquid"
    return "topical" if strength.unit == "%" else ""


def _strength_for(written: str, drug: Drug | None, found: Resolution | None, lexicon: Lexicon) -> tuple[Strength | None, Drug | None, list[Note]]:
    """The strength of the ingredient the dose counts, and the drug it shows the request is for:
    a single drug written with a combination's strengths is that combination ('Oxycodone 10/325')."""
    match = _STRENGTH.search(written) if written else None
    if match is None:
        gram = _GRAM_STRENGTH.search(written) if written else None
        if gram is None:
            return None, drug, []
        amount = float(gram.group(1))
        return Strength(f"{gram.group(1)} g", amount, "g", ingredient=_dose_ingredient(drug)), drug, []
    amounts = [float(a) for a in _DECIMAL.findall(_MG_OR_MCG.sub(" ", match.group("amounts")))]
    unit = _unit(match.group("unit"))
    volume = match.group("volume")
    per_ml = float(volume) if volume else (1.0 if _PER_ML.search(match.group(0)) else None)
    digits = _SPACES.sub("", match.group("amounts"))
    digits = _MG_OR_MCG_WORD.sub("", digits)
    written_norm = (f"{digits}%" if unit == "%" else f"{digits} {unit}") + (f"/{_num(per_ml)} mL" if per_ml and per_ml != 1 else "/mL" if per_ml else "")
    notes: list[Note] = []
    if len(amounts) == 1:
        if drug is not None and len(drug.ingredients) > 1:
            notes.append(Note("one_strength_for_combination", drug.dose_of))
        return Strength(written_norm, amounts[0], unit, per_ml, _dose_ingredient(drug)), drug, notes
    if drug is None:
        return Strength(written_norm, amounts[0], unit, per_ml), drug, notes
    if not drug.ingredients and match.group("sep") == "-" and len(amounts) == 2:
        notes.append(Note("dose_range_upper_bound", f"{_num(amounts[0])}-{_num(amounts[1])} {unit}"))
        return Strength(written_norm, max(amounts), unit, per_ml, drug.generic, ranged=True), drug, notes
    if not drug.ingredients:
        combination = _combination_of(drug, len(amounts), lexicon)
        if combination is None:
            notes.append(Note("strength_parts_mismatch", digits, problem=True))
            return None, drug, notes
        notes.append(Note("combination_from_strength", combination.generic))
        order = (drug.generic, *(i for i in combination.ingredients if i != drug.generic))
        drug = combination
    else:
        order = _written_order(found, drug)
    if len(order) != len(amounts):
        notes.append(Note("strength_parts_mismatch", digits, problem=True))
        return None, drug, notes
    parts = tuple(zip(order, amounts, strict=True))
    amount = dict(parts)[drug.dose_of]
    return Strength(written_norm, amount, unit, per_ml, drug.dose_of, parts), drug, notes


def _takes_parts(drug: Drug, written: str, lexicon: Lexicon) -> bool:
    """Whether the drug (or the one combination of it) has as many ingredients as the numbers written."""
    parts = written.count("/") + 1
    return len(drug.ingredients) == parts or (not drug.ingredients and _combination_of(drug, parts, lexicon) is not None)


def _dose_ingredient(drug: Drug | None) -> str:
    return (drug.dose_of or drug.generic) if drug else ""


def _combination_of(drug: Drug, parts: int, lexicon: Lexicon) -> Drug | None:
    """The one combination in the lexicon whose dose is of this drug and that has this many ingredients."""
    found = [d for d in lexicon.drugs.values() if d.dose_of == drug.generic and len(d.ingredients) == parts]
    return found[0] if len(found) == 1 else None


_INGREDIENT_WORDS = {"apap": "acetaminophen", "paracetamol": "acetaminophen", "asa": "aspirin"}


def _written_order(found: Resolution | None, drug: Drug) -> tuple[str, ...]:
    """A name written as a list of ingredients ('APAP/codeine') gives the order of its strengths;
    any other name (a brand) the label's order."""
    if found is not None:
        words = [w for w in _COMBINATION_MARK.split(found.matched.lower()) if w]
        named = [_ingredient_named(w, drug.ingredients) for w in words]
        if len(words) > 1 and all(named) and sorted(named) == sorted(drug.ingredients):
            return tuple(named)
    return drug.ingredients


def _ingredient_named(word: str, ingredients: tuple[str, ...]) -> str:
    word = _INGREDIENT_WORDS.get(word.split()[0], word.split()[0]) if word.split() else ""
    return next((i for i in ingredients if word and i.startswith(word)), "")


def _unit(written: str) -> str:
    written = written.lower().replace(" ", "")
    if written == "%":
        return "%"
    if _PER_HOUR_END.search(written):
        return "mcg/h"
    return _UNIT_WORDS.get(written, written)


def _num(value: float) -> str:
    return f"{value:g}"


def _count(word: str) -> float:
    word = word.strip().lower()
    if _HALF_WORD.fullmatch(word):
        return 0.5
    return float(_NUMBER_WORDS[word]) if word in _NUMBER_WORDS else float(word)


def _units_per_dose(text: str, form: str, strength: Strength | None) -> tuple[float | None, tuple[float, float] | None, list[Note]]:
    """Units of the form per dose: tablets, patches worn at once, mL of a liquid, g of a topical."""
    per_ml = strength is not None and strength.per_ml
    if per_ml or form == "liquid":
        found = _ranged(_VOLUME_PER_DOSE, text, _MAX_ML_PER_DOSE, _volume_factor)
        if found is None:
            return _units_from_dose_amount(text, strength) or (None, None, [Note("liquid_without_volume", problem=bool(strength))])
        return found
    if form == "topical":
        found = _ranged(_GRAMS_PER_DOSE, text, _MAX_G_PER_DOSE)
        return found if found is not None else (None, None, [])
    if strength is not None and strength.ranged:  # "5-10 mg": one dose of up to 10 mg, in tablets unknown
        return 1.0, None, [Note("dose_range_units_unknown", strength.written, problem=True)]
    found = _ranged(_UNITS_PER_DOSE, text, _MAX_COUNT_PER_DOSE, dosed=_MAX_COUNT_DOSED)
    if found is not None:
        return found
    from_amount = _units_from_dose_amount(text, strength)
    if from_amount is not None:
        return from_amount
    return 1.0, None, [Note("assumed_one_unit", dose_unit(form, strength))]


def _ranged(pattern: re.Pattern, text: str, limit: float, scale: Any = None, dosed: float = 0) -> tuple[float, tuple[float, float] | None, list[Note]] | None:
    """The first amount the pattern finds within the limit (or within `dosed` when a frequency
    follows it); of a range ('1-2 tablets') the upper bound."""
    for match in pattern.finditer(text):
        factor = scale(match) if scale else 1.0
        low = _count(match.group(1)) * factor
        high = _count(match.group(2)) * factor if match.group(2) else low
        most = dosed if dosed and _FREQUENCY_FOLLOWS.match(text, match.end()) else limit
        if 0 < high <= most and low <= high:
            if high != low:
                return high, (low, high), [Note("range_upper_bound", f"{_num(low)}-{_num(high)}")]
            return high, None, []
    return None


def _volume_factor(match: re.Match) -> float:
    word = match.group(3).lower()
    return next(v for k, v in _VOLUMES.items() if word.startswith(k))


def _units_from_dose_amount(text: str, strength: Strength | None) -> tuple[float, None, list[Note]] | None:
    """'Take 10 mg' of 5 mg tablets (or of a 20 mg/mL liquid): units per dose = dose / strength."""
    match = _DOSE_AMOUNT.search(text)
    per_unit = strength.mass_per_unit_mg() if strength else None
    if match is None or not per_unit:
        return None
    units = float(match.group(1)) * _MASS_UNITS[match.group(2).lower()] / per_unit
    return round(units, 4), None, [Note("units_from_dose_amount", f"{match.group(1)} {match.group(2).lower()}")]


def read_frequency(text: str) -> Frequency | None:
    """Doses a day from a frequency ('TID', 'q6h', 'every 72 hours'), whether as needed, and a daily
    maximum ('max 4 tablets a day'); None when the text gives none of them."""
    return _frequency(_plain(text))


def _frequency(text: str) -> Frequency | None:
    as_needed = bool(_AS_NEEDED.search(text))
    maximum = _MAXIMUM.search(text) or _DAILY_MAXIMUM.search(text)
    if maximum:
        text = text[: maximum.start()] + " " + text[maximum.end():]
    written, per_day, interval, ranged, single = _doses_per_day(text)
    if not (written or as_needed or maximum):
        return None
    found = Frequency(written, per_day, interval, as_needed, ranged=ranged, single=single)
    if maximum:
        unit = (maximum.group(2) or "").lower()
        found = replace(found, maximum=_count(maximum.group(1)), maximum_unit=_maximum_unit(unit), maximum_written=maximum.group(0).strip())
    return found


def _maximum_unit(unit: str) -> str:
    if unit in ("mg", "mcg"):
        return unit
    if unit == "ml":
        return "mL"
    return "dose" if unit.startswith("dose") else "unit"


def _doses_per_day(text: str) -> tuple[str, float | None, float | None, bool, bool]:
    """(the words read, doses a day, interval in hours, ranged, single dose)."""
    interval = _INTERVAL.search(text)
    if interval:
        hours_per = 24.0 if interval.group(3).lower().startswith("d") else 1.0
        shortest = float(interval.group(1)) * hours_per
        if 0 < shortest <= 24 * 28:
            return interval.group(0), round(24 / shortest, 4), shortest, interval.group(2) is not None, False
    times = _TIMES_A_DAY.search(text)
    if times:
        high = _count(times.group(2)) if times.group(2) else _count(times.group(1))
        if 0 < high <= 24:
            return times.group(0), high, None, times.group(2) is not None, False
    for pattern, per_day in _FIXED_RE:
        match = pattern.search(text)
        if match:
            return match.group(0), round(per_day, 4), None, False, False
    single = _SINGLE.search(text)
    if single:
        return single.group(0), 1.0, None, False, True
    return "", None, None, False, False


def doses_per_day(frequency: str) -> float | None:
    """Doses a day a frequency gives ('Q4-6H PRN' -> 6: the shortest interval)."""
    found = read_frequency(frequency)
    return found.doses_per_day if found else None


def read_quantity(text: str, form: str = "") -> Quantity | None:
    """The quantity dispensed: '#60', 'qty 60', '90 tablets', 'ninety count', '480 mL', '240 grams', '#1 box'."""
    return _quantity(_plain(text), form)


def _quantity(text: str, form: str) -> Quantity | None:
    for pattern, kind in _QUANTITY_PATTERNS:
        for match in reversed(list(pattern.finditer(text))):  # the count closes the line: "Tylenol with Codeine #3 ... #60"
            quantity = _quantity_from(match, kind, form)
            if quantity is not None:
                return quantity
    return None


def _quantity_from(match: re.Match, kind: str, form: str) -> Quantity | None:
    word = match.group(1)
    value = float(_NUMBER_WORDS.get(word.lower(), 0)) if not word[0].isdigit() else float(word)
    if value <= 0:
        return None
    unit_word = (match.group(2) or "").lower() if match.re.groups >= 2 else ""
    if kind == "package":
        return Quantity(value, "package", match.group(0).strip())
    if kind == "volume" or unit_word in ("ml", "cc"):
        return Quantity(value, "mL", match.group(0).strip()) if kind != "volume" or value > _MAX_ML_PER_DOSE else None
    if kind == "grams" or unit_word.startswith("g"):
        return Quantity(value, "g", match.group(0).strip()) if kind != "grams" or value > _MAX_G_PER_DOSE or form != "topical" else None
    if kind == "count" and value <= _MAX_COUNT_PER_DOSE and match.group(0)[0].isdigit():
        return None  # "2 tablets" is a dose
    return Quantity(value, "unit", match.group(0).strip())


def _refills(text: str) -> int | None:
    for pattern in _REFILLS:
        match = pattern.search(text)
        if match:
            word = match.group(1).lower()
            value = _NUMBER_WORDS.get(word, None) if not word[0].isdigit() else float(word)
            if value is not None and value < 100:
                return int(value)
    return None


def _days_written(text: str) -> float | None:
    for pattern, days in _DAYS_WRITTEN:
        match = pattern.search(text)
        if match:
            word = match.group(1).lower()
            value = float(_NUMBER_WORDS.get(word, 0)) if not word[0].isdigit() else float(word)
            if 0 < value * days <= 366:
                return value * days
    return None


# ---- working out the dose ---------------------------------------------------------------------------

def work_out(rx: Prescription, lexicon: Lexicon) -> Dose:
    """Daily dose, days' supply and MME per day, each from the factors the prescription states."""
    drug = lexicon.drugs.get(rx.drug)
    notes: list[Note] = list(rx.notes)
    units_per_day, day_notes = _units_per_day(rx)
    notes += day_notes
    daily, unit, daily_notes = _daily_amount(rx, units_per_day)
    notes += daily_notes
    daily_mg = round(daily * _MASS_UNITS[unit], 4) if daily is not None and unit in _MASS_UNITS else None
    dose = Dose(rx, units_per_day=units_per_day, daily_amount=daily if daily is None else round(daily, 4), daily_unit=unit, daily_mg=daily_mg)
    if drug is not None and "opioid" in drug.classes:
        dose = _morphine_equivalents(dose, drug, lexicon)
    days, days_from, supply_notes = _days_supply(rx, units_per_day)
    notes += supply_notes
    if units_per_day is None:  # a convention about units a dose matters only where a dose was worked out
        notes = [n for n in notes if n.code != "assumed_one_unit"]
    return replace(dose, days_supply=days, days_from=days_from, notes=tuple(_unique(notes)))


def _unique(notes: list[Note]) -> list[Note]:
    return list(dict.fromkeys(notes))


def _units_per_day(rx: Prescription) -> tuple[float | None, list[Note]]:
    """Units (tablets, mL, patches ...) a day: units per dose x doses a day, capped by a daily maximum;
    as needed, the interval or the maximum is the most that may be taken."""
    frequency = rx.frequency
    if frequency is None:
        return None, [Note("no_frequency", problem=True)] if rx.strength else []
    notes: list[Note] = []
    if frequency.ranged:
        notes.append(Note("interval_range_shortest", frequency.written))
    units = rx.units_per_dose
    from_frequency = units * frequency.doses_per_day if units is not None and frequency.doses_per_day is not None else None
    cap = _maximum_in_units(frequency, units, rx.strength)
    if cap is not None and (from_frequency is None or cap < from_frequency):
        notes.append(Note("maximum_used", frequency.maximum_written))
        return round(cap, 4), notes
    if from_frequency is None:
        if frequency.as_needed and frequency.doses_per_day is None:
            notes.append(Note("as_needed_without_limit", problem=True))
        elif frequency.doses_per_day is None:
            notes.append(Note("no_frequency", problem=True))
        return None, notes
    if frequency.as_needed:
        notes.append(Note("as_needed_most_frequent", frequency.written))
    return round(from_frequency, 4), notes


def _maximum_in_units(frequency: Frequency, units: float | None, strength: Strength | None) -> float | None:
    if frequency.maximum is None:
        return None
    if frequency.maximum_unit in ("unit", "mL"):
        return frequency.maximum
    if frequency.maximum_unit == "dose":
        return frequency.maximum * units if units is not None else None
    per_unit = strength.mass_per_unit_mg() if strength else None
    return frequency.maximum * _MASS_UNITS[frequency.maximum_unit] / per_unit if per_unit else None


def _daily_amount(rx: Prescription, units_per_day: float | None) -> tuple[float | None, str, list[Note]]:
    """The ingredient a day: mg (mass strengths, topical % x grams), or mcg/h for a patch (a rate:
    patches worn at once x strength, whatever the change interval)."""
    strength = rx.strength
    if strength is None:
        return None, "", [Note("no_strength", problem=True)] if rx.drug and rx.frequency else []
    if strength.unit == "mcg/h":
        return strength.amount * (rx.units_per_dose or 1.0), "mcg/h", []
    if rx.form == "patch":
        return None, "", []  # a patch's content in mg is not a dose taken: only a rate (mcg/h) is
    if strength.unit == "%":
        if rx.form != "topical":
            return None, "", [Note("percent_strength", strength.written)]
        if units_per_day is None:
            return None, "", [Note("topical_without_amount", problem=True)] if rx.frequency and rx.units_per_dose is None else []
        return strength.amount * 10 * units_per_day, "mg", []  # 1% is 10 mg in each gram
    if units_per_day is None:
        return None, "", []
    unit = "mcg" if strength.unit == "mcg" else "mg"
    per_unit_mg = strength.mass_per_unit_mg()
    return per_unit_mg * units_per_day / _MASS_UNITS[unit], unit, []


def _morphine_equivalents(dose: Dose, drug: Drug, lexicon: Lexicon) -> Dose:
    rx = dose.prescription
    if drug.mme_none:
        return replace(dose, mme_missing=Note("drug_not_in_table", drug.mme_none))
    factors = drug.mme_factors(rx.form)
    if rx.form and not factors:
        return replace(dose, mme_missing=Note("form_not_in_table", rx.form))
    factor, note = _choose_factor(factors, rx)
    if factor is None:
        return replace(dose, mme_missing=note)
    table = lexicon.tables.get(factor.table)
    if table is not None and rx.form in table.leaves_out:
        return replace(dose, table=table, mme_missing=Note("form_not_in_table", rx.form))
    basis, missing = _mme_basis(dose, factor)  # a basis found comes with no note
    if basis is None:
        return replace(dose, factor=factor, table=table, mme_missing=missing)
    found = factor.at(dose.daily_mg if factor.tiers else basis)
    if found is None:
        return replace(dose, factor=factor, mme_basis=basis, mme_missing=Note("beyond_tiers"))
    value, tier = found
    return replace(dose, factor=factor, factor_value=value, tier=tier, table=table, mme_basis=round(basis, 4),
                   mme=round(basis * value, 1))


def _choose_factor(factors: tuple[MmeFactor, ...], rx: Prescription) -> tuple[MmeFactor | None, Note | None]:
    if len(factors) == 1:
        return factors[0], None
    by_unit = [f for f in factors if rx.strength and (f.per == "mcg/h") == (rx.strength.unit == "mcg/h")]
    if rx.strength and rx.strength.unit == "mcg/h" and len(by_unit) == 1:
        return by_unit[0], None
    return None, Note("form_needed", ", ".join(f for factor in factors for f in factor.forms), problem=True)


def _mme_basis(dose: Dose, factor: MmeFactor) -> tuple[float | None, Note | None]:
    """The daily amount in the unit the factor multiplies, or why there is none."""
    rx = dose.prescription
    strength = rx.strength
    if factor.per == "mcg/h":
        if strength is None:
            return None, Note("needs_daily_dose")
        if strength.unit == "mcg/h":
            return dose.daily_amount, None
        return None, Note("patch_strength_not_per_hour", strength.written, problem=True)
    if strength is not None and strength.unit == "mcg/h":
        return None, Note("strength_per_hour_not_a_patch", strength.written, problem=True)
    if dose.daily_mg is None:
        return None, Note("needs_daily_dose")
    return (dose.daily_mg if factor.per == "mg" else dose.daily_mg * 1000), None


def _days_supply(rx: Prescription, units_per_day: float | None) -> tuple[float | None, str, list[Note]]:
    """Quantity / units a day, when the quantity is counted in the unit a dose is; else the days'
    supply the line states ('30 day supply')."""
    quantity = rx.quantity
    if rx.strength is not None and rx.strength.ranged:
        return _written_days(rx, [])
    if quantity is not None and units_per_day and not (rx.frequency and rx.frequency.single):
        if quantity.unit == "package":
            return _written_days(rx, [Note("quantity_in_packages", quantity.written)])
        if _quantity_matches(quantity, rx):
            return round(quantity.value / units_per_day, 1), "quantity", []
        return _written_days(rx, [Note("quantity_unit_mismatch", quantity.written)])
    return _written_days(rx, [])


def _written_days(rx: Prescription, notes: list[Note]) -> tuple[float | None, str, list[Note]]:
    if rx.days_written is not None:
        return rx.days_written, "written", notes
    return None, "", notes


def _quantity_matches(quantity: Quantity, rx: Prescription) -> bool:
    unit = rx.dose_unit
    if quantity.unit == "unit":
        return True  # a bare count is of the units a dose is given in
    return quantity.unit == unit
