"""Derived facts: computed from the request line, the dates and the medication history, never typed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from checker.base.memo import keep, remembered
from checker.base.outcomes import LETTER_DECISIONS, MEDICALLY_NECESSARY
from checker.base.patterns import LazyPattern
from checker.base.records import dataclass
from checker.load.case import Case, FactValue, Medication, Request, fact_value, replaced_request
from checker.load.conditions import evaluate as kleene
from checker.load.conditions import tests
from checker.load.lexicon import Lexicon
from checker.load.prescription import NUMBER_WORDS, Dose
from checker.load.prescription import doses_per_day as doses_per_day  # importer reads frequencies with it
from checker.load.request_line import visits_of_service
from checker.load.services import ServiceLexicon
from checker.load.vocabulary import Equivalents, Vocabulary

_ACUTE_DAYS = 28
_DAYS_PER_MONTH = 30.44  # average month: "3 or more months" is read as months_since_injury >= 3
# a period of coverage in place of an amount: "three months coverage of", "one month supply of"
_COVERAGE_PERIOD = LazyPattern(
    r"\b(?:\d+|an?|one|two|three|four|five|six|several)[\s-]*(?:days?|weeks?|months?)'?\s+(?:of\s+)?(?:coverage|supply)\b", re.I,
    needs=("coverage", "supply"),
)
# What an equipment, modality or home care request line says of how long, how it is acquired and how
# many hours ("Cold therapy unit 30 day rental", "H-wave unit purchase", "Home health aide 8 hours a
# day, 5 days a week"): limits the guidelines set on them (7 days of post-operative cryotherapy, a
# one-month trial before a purchase, 35 hours of home health a week) are documented by the request.
_USE_CATEGORIES = ("equipment", "modality")
_UNIT_WORDS = LazyPattern(r"\b(?:units?|devices?|machines?|rental|rent|rented|purchase|purchased|trial|home use|use)\b", re.I)
_NUMBER = r"(\d+|" + "|".join(sorted((w for w in NUMBER_WORDS if " " not in w), key=len, reverse=True)) + r")"
_DURATION = LazyPattern(rf"\b{_NUMBER}[\s-]*(days?|weeks?|months?)\b", re.I)
_DAYS_PER_UNIT = {"day": 1, "week": 7, "month": 30}
_PURCHASE = LazyPattern(r"\b(?:purchase|purchased|buy)\b", re.I)
_TAPER = LazyPattern(r"\b(?:taper(?:s|ed|ing)?|wean(?:s|ed|ing)?)\b", re.I)
# the care of opioids a request names: a pain or addiction specialist, or the opioids themselves ("medication management"
# names no drug class: the medications it is to manage are the referral question)
_OPIOID_CARE = LazyPattern(r"\b(?:pain\s+(?:management|medicine|specialist|clinic|physician|consult\w*)|addiction|opioids?|narcotics?|detox\w*)\b", re.I)
# plain films taken once already: a repeat, or dynamic views (flexion-extension, stress) that answer another question
_FILMS_TAKEN_BEFORE = LazyPattern(r"\b(?:repeat\w*|follow[\s-]?up|flexion|extension|dynamic|stress|serial)\b", re.I)
_CROSS_SECTIONAL = frozenset({"mri", "mr_arthrogram", "ct"})
_SPINAL_FUSION = "spinal_fusion"
_PREOPERATIVE_LABS = frozenset({"laboratory_tests", "cbc", "metabolic_panel", "coagulation_studies", "urinalysis"})
_ACTIVE_THERAPY = frozenset({
    "physical_therapy", "occupational_therapy", "aquatic_therapy", "therapeutic_exercise", "chiropractic_physiotherapy",
    "work_conditioning", "functional_restoration_program",
})
_RENTAL = LazyPattern(r"\b(?:rental|rent|rented|renting|trial|loan)\b", re.I)
_HOURS_A_DAY = LazyPattern(rf"\b{_NUMBER}\s*(?:-\s*)?(?:hours?|hrs?)\s*(?:a|per|/|each|every)\s*day\b", re.I)
_HOURS_A_WEEK = LazyPattern(rf"\b{_NUMBER}\s*(?:-\s*)?(?:hours?|hrs?)\s*(?:a|per|/|each|every)\s*(?:week|wk)\b", re.I)
_DAYS_A_WEEK = LazyPattern(rf"\b{_NUMBER}\s*(?:days?|x|times)\s*(?:a|per|/|each|every)\s*(?:week|wk)\b", re.I)
_ROUND_THE_CLOCK = LazyPattern(
    r"\b24\s*/\s*7\b|\b24[\s-]*(?:hours?|hrs?)\s*(?:a\s+day|care|nursing|per\s+day|/\s*day)|(?:a?round)[\s-]the[\s-]clock", re.I
)


@dataclass
class Derived:
    """A derived fact's value and what it was worked out from. Not frozen: an item derives a dozen, each
    set up in half the time of a frozen one's (whose __init__ sets each field through object.__setattr__),
    and none is changed once made (each becomes a FactValue)."""

    value: Any
    basis: dict


def derive_item_facts(
    case: Case,
    request: Request,
    lexicon: Lexicon,
    services: ServiceLexicon | None = None,
    decided: dict[str, str] | None = None,
    ingredient: str = "",
    vocabulary: Vocabulary | None = None,
    bases: bool = True,
) -> dict[str, FactValue]:
    """Case facts, then the item's own facts, then every derived fact that the records support, then
    the facts the records document by an equivalent (`vocabulary`'s documented_by: a diagnosis of a
    medial meniscus tear documents a suspected meniscus tear). `ingredient` evaluates one ingredient
    of a compounded product as if it were the requested drug; `decided` holds the decisions already
    reached on the case's other items. `bases=False` (a regression run, which reports no fact) leaves
    the source of the facts derived from the request, the records, their equivalents and the procedure's
    decision empty rather than writing out what each was worked out from (the same values:
    tests/test_speed.py)."""
    facts: dict[str, FactValue] = dict(case.facts)
    for name in _claimed_by_other_items(case, request, services):
        del facts[name]
    facts.update(request.facts)
    if request.timing == "postoperative" and request.associated_with and "therapy_visits_completed" in facts:
        # the surgery it follows is requested with it: the therapy counted so far was all before it
        before = facts["therapy_visits_completed"].value
        facts["therapy_visits_completed"] = FactValue(0, "derived", _basis_text({"procedure": request.associated_with, "visits_before_it": before}))
    if case.age is not None:
        facts["age"] = fact_value(case.age, "structured", "claimant.age")
    product = ""
    if ingredient:
        product = request.drug  # "" for a compound written out by its ingredients
        request = _as_ingredient(request, ingredient, lexicon)
    derived = _derived(case, request, lexicon, facts, product)
    derived.update(_request_shape(request, services, facts))
    derived.update(_served_procedure_facts(case, request, services, lexicon, facts.get("surgery_certified")))
    if request.drug and not request.body_parts:
        region = _case_region(case)
        if region:  # a drug or cream asked for in a case whose other requests are all for one region is for it
            # (a service naming no body part keeps it unknown: its guideline turns on the part it names)
            derived["body_part"] = Derived(region, {"region of the case's other requests": region})
    elif services is not None and request.service and not request.body_parts and services.category(request.service) == "therapy":
        region = _diagnosed_region(case, services)
        if region:  # a course of therapy naming no region treats the one region every diagnosis names
            derived["body_part"] = Derived(region, {"region of the diagnoses": region})
    if bases:
        texts: dict[int, str] = {}  # by basis mapping: the request shape's facts share theirs (the request line)
        for name, found in derived.items():
            text = texts.get(id(found.basis))
            if text is None:
                text = texts[id(found.basis)] = _basis_text(found.basis)
            facts[name] = fact_value(found.value, "derived", text)
    else:
        for name, found in derived.items():
            facts[name] = _bare_fact(found.value)
    facts.update(timeline_facts(case, bases))
    procedure = _procedure_decision(request, decided or {})
    if procedure is not None:
        facts["procedure_medically_necessary"] = _derived_fact(procedure, bases)
    if vocabulary is not None:
        for name, found in documented_by_equivalent(case, lexicon, vocabulary, facts).items():
            facts[name] = _derived_fact(found, bases)
    return facts


def _claimed_by_other_items(case: Case, request: Request, services: ServiceLexicon | None) -> set[str]:
    """Case-level facts whose value is what another requested item's service implies ("a pre-operative urinalysis
    and pre-op labs": lab_test urinalysis): that value is the other item's, so it is no value of this one."""
    if services is None or not request.service:
        return set()
    claimed: set[str] = set()
    for other in case.requests:
        implied = services.services[other.service].implies if other.service in services.services else {}
        if other is request or other.service == request.service or not implied:
            continue
        claimed.update(name for name, value in implied.items() if name in case.facts and case.facts[name].value == value)
    return claimed


def _as_ingredient(request: Request, ingredient: str, lexicon: Lexicon) -> Request:
    """The request as one of its drugs: of a compound, the ingredient alone; of a product judged as the
    drugs it holds, the same prescription (quantity, frequency), with the worked-out dose only for the
    drug the dose counts ("ibuprofen" in ibuprofen/famotidine)."""
    if not request.drug:
        return replaced_request(request, drug=ingredient, drug_named=ingredient, strength="", frequency="", quantity=None, dose=None)
    counted = lexicon.drugs[request.drug].dose_of == ingredient
    return replaced_request(request, drug=ingredient, drug_named=ingredient, strength=request.strength if counted else "",
                   dose=request.dose if counted else None)


def documented_by_equivalent(case: Case, lexicon: Lexicon, vocabulary: Vocabulary, facts: dict[str, FactValue]) -> dict[str, Derived]:
    """Facts the records leave unstated but document by an equivalent (facts.yaml `documented_by`):
    a diagnosis holding the words of one of its phrases, a current medication of one of its drug
    classes, or another fact documented as true or as a count above 0. What the records state, even
    a conflict, is never overridden. Only the facts the case's records document, or that other facts
    may document, are read, and the remembered bases of other facts' values are looked up once a case
    (the same facts as plain_documented_by_equivalent: tests/test_speed.py)."""
    found: dict[str, Derived] = {}
    documenting, memo = _records_read(case, lexicon, vocabulary)
    for name, basis, equivalents in documenting:
        if name in facts:
            continue
        if not basis:  # one fact of ten: its tests read only the facts it names
            basis = _basis_in_fact_values(vocabulary, name, equivalents, facts, memo)
        if basis:
            found[name] = Derived(True, basis)
    return found


def plain_documented_by_equivalent(case: Case, lexicon: Lexicon, vocabulary: Vocabulary, facts: dict[str, FactValue]) -> dict[str, Derived]:
    """documented_by_equivalent reading every fact an equivalent may document in the case's records afresh
    (tests/test_speed.py)."""
    found: dict[str, Derived] = {}
    for name, equivalents in documented_by(vocabulary):
        if name in facts:
            continue
        basis = _basis_in_records(case, lexicon, equivalents)
        if not basis and equivalents.tests:
            basis = _basis_in_fact_values(vocabulary, name, equivalents, facts)
        if basis:
            found[name] = Derived(True, basis)
    return found


# The last case's diagnosis and medication bases (_records_read): (diagnoses, medications, lexicon, vocabulary
# facts, (documenting, memo)), the objects themselves, so a case of other records is never mistaken for it.
_last_bases: list[tuple] = []

# Per fact an equivalent may document that the records or other facts may document: its name, what the
# records document it by ({} when nothing) and its equivalents.
Documenting = tuple[tuple[str, dict[str, str], Equivalents], ...]


def _records_read(case: Case, lexicon: Lexicon, vocabulary: Vocabulary) -> tuple[Documenting, dict[tuple, dict[str, str]]]:
    """The facts an equivalent may document that the case's records document or that other facts may document
    (their equivalents have tests), in the vocabulary's order, with what the records document each by ({} when
    nothing); and the vocabulary's remembered bases of other facts' values (_fact_bases_memo: replaced only with the
    vocabulary's facts). A fact's medications are read only when its diagnoses document nothing and it has
    medication classes (two facts of fourteen). Every item of a case asks again
    of the same records, so the last case's answers are kept, matched by the very tuples of diagnoses and
    medications (immutable) and the lexicon and vocabulary they were read with (the same answers:
    tests/test_speed.py)."""
    last = _last_bases[0] if _last_bases else None
    if last is not None and last[0] is case.diagnoses and last[1] is case.medications and last[2] is lexicon and last[3] is vocabulary.facts:
        return last[4]
    in_diagnoses = _bases_in_diagnoses(case.diagnoses, vocabulary)
    documenting = []
    for name, equivalents in documented_by(vocabulary):
        basis = in_diagnoses[name]
        if not basis and equivalents.medication_classes:
            basis = _basis_in_medications(case, lexicon, equivalents)
        if basis or equivalents.tests:
            documenting.append((name, basis, equivalents))
    answers = (tuple(documenting), _fact_bases_memo(vocabulary))
    _last_bases[:] = [(case.diagnoses, case.medications, lexicon, vocabulary.facts, answers)]
    return answers


# Diagnosis lists remembered per vocabulary (_bases_in_diagnoses): a corpus's cases share a few lists (a
# synthetic corpus of 10,000 items, 20 in 2,893 cases), bounded for a corpus of lists all different.
MAX_REMEMBERED_DIAGNOSES = 1024


def _bases_in_diagnoses(diagnoses: tuple[str, ...], vocabulary: Vocabulary) -> dict[str, dict[str, str]]:
    """Per fact an equivalent may document, what the diagnoses document it by ({} when nothing):
    remembered per vocabulary by the diagnoses (a tuple of texts), whatever case lists them (the
    same bases: tests/test_speed.py)."""
    memo = remembered(vocabulary, "_bases_in_diagnoses", (vocabulary.facts,))
    found = memo.get(diagnoses)
    if found is None:
        if len(memo) >= MAX_REMEMBERED_DIAGNOSES:
            memo.clear()
        found = memo[diagnoses] = {name: _basis_in_diagnoses(diagnoses, equivalents) for name, equivalents in documented_by(vocabulary)}
    return found


def documented_by(vocabulary: Vocabulary) -> tuple[tuple[str, Equivalents], ...]:
    """The facts that an equivalent may document, with their equivalents, in the vocabulary's order.
    Remembered per vocabulary: a few of its hundreds of facts, read for every item."""
    memo = remembered(vocabulary, "_documented_by", (vocabulary.facts,))
    if "facts" not in memo:
        memo["facts"] = tuple((name, fact.documented_by) for name, fact in vocabulary.facts.items() if fact.documented_by is not None)
    return memo["facts"]


def equivalent_in_records(case: Case, lexicon: Lexicon, equivalents: Equivalents, values: dict[str, Any]) -> dict[str, str]:
    """What in the records documents a fact through one of its equivalents (the first found), as a
    basis ({"diagnosis": ..., "equivalent": ...}); {} when nothing does. A kind of equivalent the
    fact has none of is not looked for (most facts have one kind)."""
    return _basis_in_records(case, lexicon, equivalents) or _basis_in_facts(equivalents, values)


def _basis_in_records(case: Case, lexicon: Lexicon, equivalents: Equivalents) -> dict[str, str]:
    """equivalent_in_records's diagnoses and medications."""
    return _basis_in_diagnoses(case.diagnoses, equivalents) or _basis_in_medications(case, lexicon, equivalents)


def _basis_in_diagnoses(diagnoses: tuple[str, ...], equivalents: Equivalents) -> dict[str, str]:
    for diagnosis in diagnoses if equivalents.diagnoses else ():
        phrase = equivalents.diagnosis_match(diagnosis)
        if phrase:
            return {"diagnosis": diagnosis, "equivalent": phrase}
    return {}


# What other facts' values document (_basis_in_fact_values), remembered per vocabulary by the fact and
# those values: at most this many, forgotten all at once when full.
MAX_REMEMBERED_FACT_BASES = 4096
_KEYED_VALUES = frozenset((bool, int, str))  # equal only when written alike (not 0.0 and -0.0)


def _fact_bases_memo(vocabulary: Vocabulary) -> dict[tuple, dict[str, str]]:
    """_basis_in_fact_values's answers, remembered per vocabulary."""
    return remembered(vocabulary, "_bases_in_facts", (vocabulary.facts,))


def _basis_in_fact_values(
    vocabulary: Vocabulary, name: str, equivalents: Equivalents, facts: dict[str, FactValue], memo: dict[tuple, dict[str, str]] | None = None,
) -> dict[str, str]:
    """_basis_in_facts of the values of the facts `name`'s equivalents read, remembered per vocabulary by
    `name` and those values (each a truth value, a whole number or a text; any other is read afresh): the
    tests read nothing else, and a corpus's items give a few values (a fresh dict each time; the same
    bases: tests/test_speed.py). `memo`: _fact_bases_memo(vocabulary), when the caller holds it."""
    values: dict[str, Any] = {}
    key: list[Any] = [name]
    keyed = True
    for other in equivalents.facts:
        fact = facts.get(other)
        if fact is not None:
            values[other] = value = fact.value
            keyed = keyed and value.__class__ in _KEYED_VALUES
            key.append((other, value.__class__, value))
    if not keyed:
        return _basis_in_facts(equivalents, values)
    if memo is None:
        memo = _fact_bases_memo(vocabulary)
    found = memo.get(tuple(key))
    if found is None:
        found = keep(memo, tuple(key), _basis_in_facts(equivalents, values), MAX_REMEMBERED_FACT_BASES)
    return dict(found)


def _basis_in_medications(case: Case, lexicon: Lexicon, equivalents: Equivalents) -> dict[str, str]:
    for medication in (case.medications or ()) if equivalents.medication_classes else ():
        known = lexicon.drugs.get(medication.drug)
        classes = set(known.classes) & set(equivalents.medication_classes) if known else set()
        if medication.status == "current" and classes:
            return {"medication": medication.drug, "class": sorted(classes)[0]}
    return {}


def _basis_in_facts(equivalents: Equivalents, values: dict[str, Any]) -> dict[str, str]:
    """equivalent_in_records's other facts."""
    for test in equivalents.tests:
        if kleene(test, values):
            name = next(name for _, name, _, _ in tests(test))
            return {"fact": name, "value": str(values.get(name))}
    return {}


def _case_region(case: Case) -> str:
    """The one body part every request of the case that names one names, or "" (none, or several)."""
    parts = {r.body_parts for r in case.requests if r.body_parts}
    if len(parts) != 1:
        return ""
    (only,) = parts
    return only[0] if len(only) == 1 else ""


def _diagnosed_region(case: Case, services: ServiceLexicon) -> str:
    """The one body part the case's diagnoses name, or "" (none, or several)."""
    parts = {part for diagnosis in case.diagnoses for part in services.find_body_parts(diagnosis)}
    return next(iter(parts)) if len(parts) == 1 else ""


def _request_shape(request: Request, services: ServiceLexicon | None, facts: dict[str, FactValue]) -> dict[str, Derived]:
    found: dict[str, Derived] = {}
    text = {"text": request.text}
    if request.service:
        found["service"] = Derived(request.service, text)
        if services is not None and request.service in services.services:
            for name, value in services.services[request.service].implies.items():
                if name not in facts:  # what the records say wins over what the service name implies
                    found[name] = Derived(value, {"service": request.service})
    if request.drug and not request.ingredients and "medication_quantity_specified" not in facts:
        # the request line shows an amount, or a period of coverage in its place; what the records say wins
        if request.quantity is not None or _COVERAGE_PERIOD.search(request.text):
            found["medication_quantity_specified"] = Derived(request.quantity is not None, text)
    if request.body_parts:
        found["body_part"] = Derived(request.body_parts[0], text)
        found["body_part_count"] = Derived(len(request.body_parts), text)
    route = request.route or ("oral" if request.drug and not request.ingredients else "")
    if request.ingredients and not request.route:
        route = "topical"
    if route:
        found["route"] = Derived(route, text)
    if request.timing:
        found["timing"] = Derived(request.timing, text)
    if request.drug:
        found["taper_requested"] = _taper_requested(text, facts.get("taper_planned"))
    if request.visits is not None:
        found.update(_visit_counts(request, facts.get("therapy_visits_completed"), facts.get("therapy_visits_unused")))
    category = services.category(request.service) if services is not None and request.service else ""
    found.update(_use_requested(request.text, category))
    if category == "home_health":
        hours = hours_per_week(request.text)
        if hours is not None:
            found["hours_per_week_requested"] = Derived(hours, text)
    return found


def _taper_requested(line: dict[str, str], planned: FactValue | None) -> Derived:
    """A supply to taper the drug: the request line says so, or the records put the drug on a taper."""
    said = _TAPER.search(line["text"]) is not None
    if not said and planned is not None and planned.value is True:
        return Derived(True, {"taper_planned": True})
    return Derived(said, line)


def _use_requested(text: str, category: str) -> dict[str, Derived]:
    """Days of use and purchase or rental, for equipment and for a modality given as a unit."""
    if category not in _USE_CATEGORIES or (category == "modality" and not _UNIT_WORDS.search(text)):
        return {}
    found: dict[str, Derived] = {}
    days = days_of_use(text)
    if days is not None:
        found["days_of_use_requested"] = Derived(days, {"text": text})
    if _PURCHASE.search(text) or _RENTAL.search(text):
        found["purchase_requested"] = Derived(bool(_PURCHASE.search(text)), {"text": text})
    return found


def _number(word: str) -> float:
    return float(word) if word[0].isdigit() else float(NUMBER_WORDS[word.lower()])


def days_of_use(text: str) -> int | None:
    """'30 day rental' -> 30, 'seven day use' -> 7, 'x 2 weeks' -> 14, '1 month trial' -> 30."""
    match = _DURATION.search(text)
    if match is None:
        return None
    days = int(_number(match.group(1)) * _DAYS_PER_UNIT[match.group(2).lower().rstrip("s")])
    return days if 0 < days <= 3650 else None


def hours_per_week(text: str) -> float | None:
    """Hours of home care a week: '4 hours per week' -> 4, '8 hours a day, 5 days a week' -> 40,
    '6 hours per day' -> 42 (every day), '24/7' or '24 hour care' -> 168."""
    if _ROUND_THE_CLOCK.search(text):
        return 168.0
    weekly = _HOURS_A_WEEK.search(text)
    if weekly:
        return _number(weekly.group(1))
    daily = _HOURS_A_DAY.search(text)
    if daily is None:
        return None
    days = _DAYS_A_WEEK.search(text)
    per_week = _number(days.group(1)) if days else 7.0
    hours = _number(daily.group(1)) * min(per_week, 7.0)
    return hours if 0 < hours <= 168 else None


def _visit_counts(request: Request, completed: FactValue | None, unused: FactValue | None = None) -> dict[str, Derived]:
    """Visits requested, those UR already certified of the same request, and the total they make with
    the visits completed and those an earlier authorization allows and are not yet used (batch 64: part of the
    course already granted); when the completed visits are unknown, the rest is a lower bound on the total
    (visits_total_at_least), and its basis says so."""
    certified = _certified_visits(request)
    found = {
        "visits_requested": Derived(request.visits, {"text": request.text}),
        "visits_certified": Derived(certified, {"certified": request.certified or "none"}),
    }
    left = unused.value if unused is not None else 0
    counted = {**({"certified": certified} if certified else {}), **({"authorized_unused": left} if left else {}), "requested": request.visits}
    certified += left
    if completed is not None:
        found["visits_total"] = Derived(completed.value + certified + request.visits, {"completed": completed.value, **counted})
    else:
        found["visits_total_at_least"] = Derived(certified + request.visits, {**counted, "completed": "not documented"})
    return found


def _certified_visits(request: Request) -> int:
    """Visits UR certified outside the IMR-eligible item: the certified part of a request whose
    remaining part is the item. When the item is the whole original request (UR modified it), the
    certified visits are a part of it, not more."""
    if not request.certified or _same_request(request.text, request.original_text):
        return 0
    return visits_of_service(request.certified, request.service) or 0


def _same_request(text: str, original: str) -> bool:
    return " ".join(text.lower().split()) == " ".join(original.lower().split())


def _derived_fact(found: Derived, bases: bool = True) -> FactValue:
    """The fact, its source what it was worked out from; `bases=False`: no source."""
    return fact_value(found.value, "derived", _basis_text(found.basis)) if bases else _bare_fact(found.value)


# Derived facts without their bases, one per value (_bare_fact): at most this many, forgotten all at once when full.
MAX_BARE_FACTS = 4096
_bare_facts: dict[tuple[type, Any], FactValue] = {}


def _bare_fact(value: Any) -> FactValue:
    """fact_value(value, "derived"), a derived fact without its basis: one FactValue (frozen) for every item
    that derives a value of a keyed type (a truth value, a whole number or a text: equal only when written
    alike); any other value is made afresh (the same facts: tests/test_speed.py)."""
    if value.__class__ not in _KEYED_VALUES:
        return fact_value(value, "derived")
    key = (value.__class__, value)
    fact = _bare_facts.get(key)
    if fact is None:
        fact = keep(_bare_facts, key, fact_value(value, "derived"), MAX_BARE_FACTS)
    return fact


# The last case's timeline facts (timeline_facts): its injury, request and surgery dates and whether the facts
# have their bases, and the facts.
_last_timeline: list[tuple] = []


def timeline_facts(case: Case, bases: bool = True) -> dict[str, FactValue]:
    """_timeline's facts as derive_item_facts writes them (`bases=False`: without their sources), kept for
    the last dates asked of: every item of a case asks again (FactValue is frozen; the plain answer:
    tests/test_speed.py)."""
    dates = (case.injury_date, case.request_date, case.surgery_date, bases)
    last = _last_timeline[0] if _last_timeline else None
    if last is not None and last[0] == dates:
        return last[1]
    facts = {name: _derived_fact(found, bases) for name, found in _timeline(case).items()}
    _last_timeline[:] = [(dates, facts)]
    return facts


def _timeline(case: Case) -> dict[str, Derived]:
    found: dict[str, Derived] = {}
    if case.injury_date:
        days = (case.request_date - case.injury_date).days
        span = {"injury": case.injury_date.isoformat(), "request": case.request_date.isoformat()}
        found["months_since_injury"] = Derived(round(days / _DAYS_PER_MONTH, 1), span)
        found["weeks_since_injury"] = Derived(round(days / 7, 1), span)
        found["phase_of_care"] = Derived(phase_of_care(days), {**span, "days": days})
    if case.surgery_date:
        weeks = round((case.request_date - case.surgery_date).days / 7, 1)
        found["weeks_since_surgery"] = Derived(weeks, {"surgery": case.surgery_date.isoformat(), "request": case.request_date.isoformat()})
    return found


def phase_of_care(days_since_injury: int) -> str:
    """The MTUS phases by time from the injury: acute up to 4 weeks, subacute to 3 months, chronic
    from 3 months (8 CCR 9792.20: chronic pain lasts 3 months or more; the 2016 Opioids Treatment
    Guidelines' acute section covers up to 4 weeks and its subacute section 1 to 3 months)."""
    if days_since_injury <= _ACUTE_DAYS:
        return "acute"
    return "subacute" if days_since_injury / _DAYS_PER_MONTH < 3 else "chronic"


def _procedure_decision(request: Request, decided: dict[str, str]) -> Derived | None:
    decision = decided.get(request.associated_with)
    if decision not in LETTER_DECISIONS:
        return None  # no decision on the procedure (no rule for it): the gate stays undecided
    return Derived(decision == MEDICALLY_NECESSARY, {"procedure": request.associated_with, "decision": decision})


def _extended_release(dose: Dose) -> Derived:
    """An extended-release product, or a patch dosed per hour and worn around the clock (a fentanyl or buprenorphine
    patch): a long-acting drug, not one taken as needed."""
    rx = dose.prescription
    return Derived(rx.release == "extended" or dose.daily_unit == "mcg/h", {"written": rx.written_name})


def _basis_text(basis: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in basis.items())


def _derived(case: Case, request: Request, lexicon: Lexicon, facts: dict[str, FactValue], product: str = "") -> dict[str, Derived]:
    """`product`: the product an ingredient request belongs to (its drugs are not 'other' drugs)."""
    found: dict[str, Derived] = {}
    if request.drug:
        found["drug"] = Derived(request.drug, {"named": request.drug_named})
        if request.dose is not None:
            found["extended_release"] = _extended_release(request.dose)
        found.update(_duration(case, request, product, _opioid_trial_planned(request, lexicon, facts)))
        found.update(_dose(request.dose))
        if "opioid" in lexicon.drugs[request.drug].classes and not product:
            found.update(_opioid_total(case, lexicon, facts))
        relaxants = _other_in_class(case, request, lexicon, "muscle_relaxant", product)
        if relaxants is not None:
            found["other_muscle_relaxants"] = relaxants
        nsaids = _other_in_class(case, request, lexicon, "nsaid", product)
        if nsaids is not None:
            found["other_nsaids"] = nsaids
        nsaids = _alongside(case, request, lexicon, "nsaid", systemic_only=True, product=product)
        if nsaids is not None:
            found["nsaids_alongside"] = nsaids
    opioids = _alongside(case, request, lexicon, "opioid", product=product)  # a service too: a drug test serves the opioids taken
    if opioids is not None:
        found["opioids_alongside"] = opioids
    if request.service == "consultation":
        opioid_care = _OPIOID_CARE.search(request.text) is not None
        found["opioid_care_requested"] = Derived(opioid_care, {"text": request.text})
        if opioid_care:  # the specialist is asked about the opioids taken and requested
            found.update(_opioid_total(case, lexicon, facts))
    if request.service in _CROSS_SECTIONAL and request.body_parts:
        found["first_films_requested"] = _first_films_requested(case, request)
    if request.service == "tens":
        therapy = _other_requests(case, request, lambda r: r.service in _ACTIVE_THERAPY)
        found["active_therapy_requested"] = Derived(bool(therapy), {"therapy": "; ".join(therapy) or "none"})
    if request.service == "functional_restoration_program" and len(case.requests) > 1:
        # alone on its form, the program says nothing of whether its evaluation was asked for elsewhere
        evaluation = _other_requests(case, request, lambda r: r.service == "frp_evaluation")
        found["frp_evaluation_requested"] = Derived(bool(evaluation), {"evaluation": "; ".join(evaluation) or "none"})
    reduction = _pain_reduction(facts)
    if reduction is not None:
        found["pain_reduction_percent"] = reduction
    return found


def _served_procedure_facts(
    case: Case, request: Request, services: ServiceLexicon | None, lexicon: Lexicon, certified: FactValue | None
) -> dict[str, Derived]:
    """What the surgery an associated service serves settles about it: whether it almost always needs an assistant,
    whether significant blood loss is expected, whether it implants foreign material, whether it is a spinal fusion
    (a brace or a bone growth stimulator after it) and of more than one level, whether it puts the claimant at high
    risk of a clot (an anticoagulant after it), whether its cardiac risk is low (an electrocardiogram before it).
    Nothing when the item is none of these or no surgery is named."""
    if services is None:
        return {}
    after_fusion = (request.timing == "postoperative" and request.service == "lumbar_support") or request.service == "bone_growth_stimulator"
    before_ecg = request.timing == "preoperative" and request.service == "ekg"
    if request.service == "assistant_surgeon":
        wanted = {"procedure_customarily_assisted": "customarily_assisted"}
    elif request.timing == "preoperative" and request.service in _PREOPERATIVE_LABS:
        wanted = {"procedure_blood_loss_expected": "significant_blood_loss", "procedure_implants_material": "implants_material"}
    elif after_fusion:
        wanted = {}  # the fusion itself, below
    elif before_ecg:
        wanted = {}  # the riskiest operation named, below
    elif request.drug and _is_anticoagulant(request.drug, lexicon):
        wanted = {"procedure_high_vte_risk": "high_vte_risk"}
    else:
        return {}
    procedures, text = _served_procedures(case, request, services, certified)
    if not procedures:
        return {}
    basis = {"procedure": ", ".join(procedures)}
    derived = {name: Derived(any(trait in services.traits(p) for p in procedures), basis) for name, trait in wanted.items()}
    if before_ecg:
        # the riskiest part decides: an "arthroscopic rotator cuff repair" is a repair done through a scope, not a scope
        named = _surgeries_named(text, services) or procedures
        derived["procedure_low_cardiac_risk"] = Derived(all("low_cardiac_risk" in services.traits(p) for p in named), {"procedure": ", ".join(named)})
    if after_fusion:
        derived["procedure_is_spinal_fusion"] = Derived(_SPINAL_FUSION in procedures, basis)
    if request.service == "bone_growth_stimulator" and _SPINAL_FUSION in procedures:
        levels = spinal_levels(text)
        if levels:
            derived["multilevel_fusion"] = Derived(levels > 1, {"procedure": text, "levels": levels})
    return derived


def _is_anticoagulant(drug: str, lexicon: Lexicon) -> bool:
    entry = lexicon.drugs.get(drug)
    return entry is not None and "anticoagulant" in entry.classes


def _served_procedures(
    case: Case, request: Request, services: ServiceLexicon, certified: FactValue | None
) -> tuple[tuple[str, ...], str]:
    """The surgery an associated service serves, and the text naming it: the one it is requested with, else the
    surgeries its own line names, else those named where the records say a surgery was certified (one operation may
    name several: a decompression and fusion); ((), "") without any."""
    served = next((r for r in case.requests if request.associated_with and r.id == request.associated_with), None)
    if served is not None:
        return (served.service,), served.text
    texts = [request.text]
    if certified is not None and certified.value is True and certified.evidence is not None:
        texts.append(certified.evidence.sentence)
    for text in texts:
        surgeries = _surgeries_named(text, services)
        if surgeries:
            return surgeries, text
    return (), ""


def _surgeries_named(text: str, services: ServiceLexicon) -> tuple[str, ...]:
    return tuple(key for key in services.services_named(text) if services.category(key) == "surgery")


_SEGMENT = LazyPattern(r"\b([CTL])\s?(\d{1,2})\s*(?:-|\u2013|/|to|through)\s*([CTLS])?\s?(\d{1,2})\b", re.I)
_LEVELS_NAMED = LazyPattern(r"\b(?:(one|single|1)|(two|2|double)|(three|3)|(four|4)|(multi|multiple))(?:[\s-]+|(?<=i))levels?\b", re.I)
_VERTEBRAE = {"C": 7, "T": 12, "L": 5}


def spinal_levels(text: str) -> int:
    """The spinal motion segments a procedure's text names ("L4-5 and L5-S1": 2, "L3-S1": 3, "C5-6": 1, "two-level":
    2); 0 when it names none. A stated count of levels wins over the segments."""
    named = _LEVELS_NAMED.search(text)
    if named:
        return next(i for i, group in enumerate(named.groups(), 1) if group) if not named.group(5) else 2
    segments: set[tuple[str, int]] = set()
    for region, upper, lower_region, lower in _SEGMENT.findall(text):
        region, lower_region = region.upper(), (lower_region or region).upper()
        top, bottom = int(upper), int(lower)
        if lower_region == region:
            segments.update((region, n) for n in range(top, bottom))
        elif lower_region in ("S", "T", "L") and region in _VERTEBRAE:
            segments.update((region, n) for n in range(top, _VERTEBRAE[region] + 1))
            segments.update((lower_region, n) for n in range(1, bottom) if lower_region != "S")
    return len(segments)


def _first_films_requested(case: Case, request: Request) -> Derived:
    """Whether the case also requests plain films of a body part this study names, other than films
    taken before (a repeat, dynamic views): films requested now have no result yet."""
    parts = set(request.body_parts)
    films = _other_requests(
        case, request, lambda r: r.service == "xray" and parts.intersection(r.body_parts) and not _FILMS_TAKEN_BEFORE.search(r.text)
    )
    return Derived(bool(films), {"films": "; ".join(films) or "none"})


def _other_requests(case: Case, request: Request, wanted: Callable[[Request], Any]) -> list[str]:
    """The lines of the case's other requests that `wanted` accepts, in the case's order."""
    return [r.text for r in case.requests if r.id != request.id and wanted(r)]


def _duration(case: Case, request: Request, product: str = "", trial_planned: bool = False) -> dict[str, Derived]:
    """Weeks of the current course: exact from a start date, else a lower bound from 'since' dates.
    Past courses are left out: a drug stopped and restarted counts from the restart. A drug of a
    product counts the product's course too. `trial_planned`: the records plan a trial of the drug's class."""
    taken = {request.drug, product} - {""}
    history = [m for m in (case.medications or ()) if m.drug in taken and m.status == "current"]
    started_now = _new_start_basis(case, request, history, taken, trial_planned)
    if started_now:
        return {"weeks_of_use": Derived(0.0, started_now), "weeks_of_use_at_least": Derived(0.0, started_now)}
    starts = [m.started for m in history if m.started]
    if starts:
        started = max(starts)
        weeks = _weeks(case, started)
        basis = {"started": started.isoformat(), "request": case.request_date.isoformat()}
        return {"weeks_of_use": Derived(weeks, basis), "weeks_of_use_at_least": Derived(weeks, basis)}
    bounds = [_weeks(case, m.documented_since) for m in history if m.documented_since]
    bounds += [round(m.duration_days / 7, 1) for m in history if m.duration_days is not None]
    if not bounds:
        return {}
    return {"weeks_of_use_at_least": Derived(max(bounds), _history_basis(history, case))}


def _opioid_trial_planned(request: Request, lexicon: Lexicon, facts: dict[str, FactValue]) -> bool:
    """An opioid requested where the records plan an opioid trial ("proposed a short-acting opioid trial: tramadol"):
    the request starts the drug (CPMTG and 2016 Opioid Treatment Guidelines: a trial before any continued use)."""
    planned = facts.get("opioid_trial_planned")
    return planned is not None and planned.value is True and "opioid" in lexicon.drugs[request.drug].classes


def _new_start_basis(case: Case, request: Request, history: list[Medication], taken: set[str], trial_planned: bool = False) -> dict[str, bool]:
    """Why the request starts the drug, or {}: a new start recorded (on the request or the current
    course), a current medication list that holds the drug nowhere (not current, not past), or a trial
    of its class planned with no current course of it. Without a current medication list nothing is
    read from the drug's absence."""
    if request.new_start or any(m.new_start for m in history):
        return {"new_start": True}
    medications = case.medications or ()
    if not any(m.drug in taken for m in medications) and any(m.status == "current" for m in medications):
        return {"not_on_current_medications": True}
    return {"trial_planned": True} if trial_planned and not history else {}


def _weeks(case: Case, since: Any) -> float:
    return round((case.request_date - since).days / 7, 1)


def _history_basis(history: list[Medication], case: Case) -> dict:
    basis: dict = {"request": case.request_date.isoformat()}
    for m in history:
        if m.started:
            basis["started"] = m.started.isoformat()
        if m.documented_since:
            basis["documented_since"] = m.documented_since.isoformat()
        if m.duration_days is not None:
            basis["duration_days_at_least"] = m.duration_days
    return basis


def _dose(dose: Dose | None) -> dict[str, Derived]:
    """The dose facts the worked-out prescription supports; what it could not work out stays unknown."""
    if dose is None:
        return {}
    rx = dose.prescription
    found: dict[str, Derived] = {}
    per_day = {"units_per_day": _round(dose.units_per_day)}
    if dose.days_supply is not None:
        basis = {"quantity": rx.quantity.written, **per_day} if dose.days_from == "quantity" else {"written": rx.text}
        found["days_supply"] = Derived(dose.days_supply, basis)
    strength = {"strength": rx.strength.written} if rx.strength else {}
    if dose.daily_mg is not None:
        found["daily_dose_mg"] = Derived(_round(dose.daily_mg), {**strength, **per_day})
    if dose.mme is not None:
        basis = {"daily": f"{_round(dose.mme_basis)} {dose.factor.per}", "factor": dose.factor_value, "table": dose.table.name}
        found["med_per_day"] = Derived(dose.mme, basis)
    return found


def _opioid_total(case: Case, lexicon: Lexicon, facts: dict[str, FactValue]) -> dict[str, Derived]:
    """The morphine equivalents a day of the opioids taken with an opioid request, or that a consultation for the care
    of opioids is asked about, added as the CPMTG's dosing advice adds them ("Opioids, dosing"): the opioids requested
    in the case at their requested doses, and each other opioid the records list as taken now at its listed
    prescription. Exact when every dose is worked out; else a lower bound from
    those that are, or from a total the records state, whichever is larger; nothing when no opioid is documented."""
    requested = [r for r in case.requests if r.drug and "opioid" in lexicon.drugs[r.drug].classes]
    releases = {(r.drug, r.dose.prescription.release if r.dose else "") for r in requested}
    listed = [
        m for m in (case.medications or ())
        if m.status == "current" and "opioid" in lexicon.drugs[m.drug].classes and not _requested_product(m, releases)
    ]
    doses = [(r.drug, r.dose) for r in requested] + [(m.drug, m.dose) for m in listed]
    if not doses and "opioid_med_stated" not in facts:
        return {}  # no opioid documented: the dose is unknown, not none
    known = [(drug, dose.mme) for drug, dose in doses if dose is not None and dose.mme is not None]
    basis: dict[str, Any] = {}
    for drug, mme in known:  # a drug taken in two products (OxyContin and oxycodone IR) is named twice
        basis[drug if drug not in basis else f"{drug} ({sum(k.startswith(drug) for k in basis) + 1})"] = _round(mme)
    found: dict[str, Derived] = {}
    if doses and len(known) == len(doses):
        found["opioid_med_total"] = Derived(_round(sum(m for _, m in known)), basis)
    stated = facts.get("opioid_med_stated")
    bounds = [b for b in (_round(sum(m for _, m in known)) if known else None, stated.value if stated is not None else None) if b is not None]
    if bounds:
        found["opioid_med_total_at_least"] = Derived(max(bounds), {**basis, **({"stated": stated.value} if stated is not None else {})})
    return found


def _requested_product(medication: Medication, releases: set[tuple[str, str]]) -> bool:
    """The listed drug is the one requested: the same drug, unless its prescription is the other release of it (oxycodone
    for breakthrough pain beside requested OxyContin is a second product taken with it)."""
    if not any(drug == medication.drug for drug, _ in releases):
        return False
    return medication.dose is None or (medication.drug, medication.dose.prescription.release) in releases


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def _other_in_class(case: Case, request: Request, lexicon: Lexicon, drug_class: str, product: str = "") -> Derived | None:
    """The other drugs of the class taken now or requested with this one. A systemic drug's count leaves out
    topical products (a cream's or patch's drug is not taken with it in the way two tablets are), and a
    drug bought over the counter is the one a prescribed systemic drug of its class replaces, not one taken with it."""
    if drug_class not in lexicon.drugs[request.drug].classes:
        return None
    same = {request.drug, product}  # the drug itself, or the product it is part of
    systemic = not _topical_request(request)
    requested = {
        r.drug for r in case.requests if r.drug and r.drug not in same and r.id != request.id and not (systemic and _topical_request(r))
    }
    current = {
        m.drug for m in (case.medications or ())
        if m.status == "current" and m.drug not in same and not (systemic and (m.over_the_counter or m.form == "topical"))
    }
    others = sorted(d for d in requested | current if drug_class in lexicon.drugs[d].classes)
    if case.medications is None and not others:
        return None  # no medication list: the count is not documented
    return Derived(len(others), {"others": ", ".join(others) or "none"})


def _topical_request(request: Request) -> bool:
    return request.route == "topical" or bool(request.ingredients)


def _alongside(
    case: Case, request: Request, lexicon: Lexicon, drug_class: str, systemic_only: bool = False, product: str = ""
) -> Derived | None:
    """Drugs of a class requested in the same case or taken now, other than this item (a laxative
    requested with a post-operative opioid), and the other drugs of the product this drug is part of
    (the NSAID of an NSAID with a gastric protector). systemic_only leaves out requests for a topical or
    compounded product, and listed drugs the records give as topical (a cream's NSAID is not the systemic NSAID a
    gastric protector guards against). The case's drugs of the class are read once per case (_alongside_in_case;
    the same counts as plain_alongside: tests/test_speed.py)."""
    requested, current = _alongside_in_case(case, lexicon, drug_class, systemic_only)
    found = set(current)
    for rid, drug in requested:
        if rid != request.id:
            found.add(drug)
    if product and not (systemic_only and request.route == "topical"):
        found.update(d for d in lexicon.drugs[product].judged_as if drug_class in lexicon.drugs[d].classes)
    found.discard(request.drug)
    found.discard(product)
    if case.medications is None and not found:
        return None  # no medication list and nothing requested alongside: not documented
    return Derived(len(found), {drug_class: ", ".join(sorted(found)) or "none"})


def _alongside_in_case(case: Case, lexicon: Lexicon, drug_class: str, systemic_only: bool) -> tuple[tuple[tuple[str, str], ...], frozenset[str]]:
    """The drugs of a class that _alongside counts whatever the item: the requests (id, drug) and the current
    medications; systemic_only leaves out requests for a topical or compounded product, listed drugs the case
    requests as one, and listed drugs the records give as topical."""
    answers = _case_answers(case, lexicon)
    key = ("alongside", drug_class, systemic_only)
    found = answers.get(key)
    if found is None:
        topical = {r.id: r.drug for r in case.requests if r.drug and _topical_request(r)} if systemic_only else {}
        requested = tuple(
            (r.id, r.drug) for r in case.requests if r.drug and r.id not in topical and drug_class in lexicon.drugs[r.drug].classes
        )
        # a listed drug that the case requests as a topical product is that product, continued (the list does not say
        # its form): no systemic NSAID either
        current = frozenset(
            m.drug for m in (case.medications or ())
            if m.status == "current" and m.drug not in topical.values() and not (systemic_only and m.form == "topical")
            and drug_class in lexicon.drugs[m.drug].classes
        )
        found = answers[key] = (requested, current)
    return found


def plain_alongside(
    case: Case, request: Request, lexicon: Lexicon, drug_class: str, systemic_only: bool = False, product: str = ""
) -> Derived | None:
    """_alongside reading the case's requests and medications for every item (tests/test_speed.py)."""
    topical = {r.id: r.drug for r in case.requests if r.drug and _topical_request(r)} if systemic_only else {}
    requested = {r.drug for r in case.requests if r.drug and r.id != request.id and r.id not in topical}
    current = {
        m.drug for m in (case.medications or ())
        if m.status == "current" and m.drug not in topical.values() and not (systemic_only and m.form == "topical")
    }
    in_product = set(lexicon.drugs[product].judged_as) if product and not (systemic_only and request.route == "topical") else set()
    found = sorted(d for d in (requested | current | in_product) - {request.drug, product} if drug_class in lexicon.drugs[d].classes)
    if case.medications is None and not found:
        return None
    return Derived(len(found), {drug_class: ", ".join(found) or "none"})


# The last case's answers about its drugs (_case_answers): (requests, medications, lexicon, answers), the
# objects themselves, so a case of other requests or medications is never mistaken for it.
_last_case_answers: list[tuple] = []


def _case_answers(case: Case, lexicon: Lexicon) -> dict[tuple, Any]:
    """A dict for answers read from the case's requests and medications alone, kept for the last case asked
    of (every item of a case asks again), matched by the very tuples of requests and medications (immutable)
    and the lexicon they are read with."""
    last = _last_case_answers[0] if _last_case_answers else None
    if last is not None and last[0] is case.requests and last[1] is case.medications and last[2] is lexicon:
        return last[3]
    answers: dict[tuple, Any] = {}
    _last_case_answers[:] = [(case.requests, case.medications, lexicon, answers)]
    return answers


def _pain_reduction(facts: dict[str, FactValue]) -> Derived | None:
    """The pain reduction from the scores with and without the medication, else the relief the
    records state in percent."""
    with_med = facts.get("pain_score_with_medication")
    without = facts.get("pain_score_without_medication")
    if with_med is not None and without is not None and without.value > 0:
        percent = round((without.value - with_med.value) / without.value * 100, 1)
        return Derived(percent, {"without": without.value, "with": with_med.value})
    stated = facts.get("pain_relief_percent")
    if stated is not None and stated.value is not None:
        return Derived(stated.value, {"stated": stated.value})
    return None
