"""Derived facts: computed from the request line, the dates and the medication history, never typed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from checker.case import Case, FactValue, Medication, Request
from checker.lexicon import Lexicon

_WORD_NUMBERS = {
    "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "one hundred": 100, "one hundred twenty": 120,
    "one hundred eighty": 180,
}
_FREQUENCIES = [  # (pattern, doses per day); the first match wins, so specific forms come first
    (r"\bq\s*(\d+)(?:\s*-\s*\d+)?\s*(?:h|hr|hrs|hours?)\b", None),  # "Q4-6H": the shortest interval
    (r"\bevery\s+(\d+)(?:\s*-\s*\d+)?\s*(?:h|hr|hrs|hours?)\b", None),
    (r"\b(?:qid|four times (?:a|per) day|4 times (?:a|per) day)\b", 4),
    (r"\b(?:tid|three times (?:a|per) day|3 times (?:a|per) day)\b", 3),
    (r"\b(?:bid|twice (?:a|per) day|two times (?:a|per) day|2 times (?:a|per) day)\b", 2),
    (r"\b(?:qd|daily|once (?:a|per) day|q\.?\s*day|qhs|hs|at bedtime|nightly)\b", 1),
]
_LOOKS_LIKE_DRUG = re.compile(r"\d\s*(?:mg|mcg|ml)\b|#\s*\d", re.I)


@dataclass(frozen=True)
class ParsedRequest:
    drug_named: str
    strength: str
    quantity: int | None
    frequency: str
    units_per_dose: float | None
    looks_like_drug: bool


def parse_request_line(text: str, lexicon: Lexicon) -> ParsedRequest:
    """'Soma 350 mg BID #60' -> drug Soma, strength 350 mg, frequency BID, quantity 60."""
    found = lexicon.find_in_text(text)
    rest = _without_name(text, found.matched) if found else text  # "Tylenol #3 ... #60": 60 is the quantity
    return ParsedRequest(
        drug_named=found.matched if found else "",
        strength=_strength(rest),
        quantity=_quantity(rest),
        frequency=_frequency_text(rest),
        units_per_dose=_units_per_dose(rest),
        looks_like_drug=bool(_LOOKS_LIKE_DRUG.search(text)),
    )


def _without_name(text: str, name: str) -> str:
    pattern = r"\s+".join(re.escape(part) for part in name.split())
    return re.sub(pattern, " ", text, count=1, flags=re.I)


def _strength(text: str) -> str:
    match = re.search(r"(\d+(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?)\s*(mg|mcg/h|mcg/hr|mcg)\b", text, re.I)
    if not match:
        return ""
    amount = re.sub(r"\s+", "", match.group(1))
    return f"{amount} {match.group(2).lower()}"


def _quantity(text: str) -> int | None:
    for pattern in (r"#\s*(\d+)", r"\b(?:qty|quantity)[.:]?\s*(\d+)", r"\b(\d+)\s*(?:count|tablets|tabs|capsules|caps|patches)\b"):
        found = re.findall(pattern, text, re.I)
        if found:
            return int(found[-1])  # the count closes the line: "Tylenol with Codeine #3 ... #60"
    lowered = text.lower()
    for words in sorted(_WORD_NUMBERS, key=len, reverse=True):
        if re.search(rf"\b{words}\s+(?:count|tablets|tabs|capsules)\b", lowered):
            return _WORD_NUMBERS[words]
    return None


def _undotted(text: str) -> str:
    """'t.i.d.' -> 'tid', 'q.8h' -> 'q8h' (dots between letters and digits only)."""
    return re.sub(r"(?<=[A-Za-z])\.(?=[A-Za-z0-9]|\s|$)", "", text)


def _frequency_text(text: str) -> str:
    text = _undotted(text)
    for pattern, _ in _FREQUENCIES:
        match = re.search(pattern, text, re.I)
        if match:
            return match.group(0)
    return ""


def doses_per_day(frequency: str) -> float | None:
    frequency = _undotted(frequency)
    for pattern, per_day in _FREQUENCIES:
        match = re.search(pattern, frequency, re.I)
        if match:
            if per_day is not None:
                return float(per_day)
            hours = int(match.group(1))
            return round(24 / hours, 3) if 0 < hours <= 168 else None
    return None


def _units_per_dose(text: str) -> float | None:
    match = re.search(r"\b(\d+|one|two|three)\s*(?:tab|tabs|tablet|tablets|cap|caps|capsule|capsules|patch)\b(?!\s*#)", text, re.I)
    if not match:
        return None
    word = match.group(1).lower()
    value = {"one": 1, "two": 2, "three": 3}.get(word) or int(word)
    # "90 tablets" is a quantity, not a dose
    return float(value) if value <= 4 else None


def strength_amount(strength: str) -> float | None:
    """The first number of a strength ('10/325 mg' -> 10): the ingredient the lexicon names."""
    match = re.match(r"\s*(\d+(?:\.\d+)?)", strength)
    return float(match.group(1)) if match else None


@dataclass(frozen=True)
class Derived:
    value: Any
    basis: dict


def derive_item_facts(case: Case, request: Request, lexicon: Lexicon) -> dict[str, FactValue]:
    """Case facts, then the item's own facts, then every derived fact that the records support."""
    facts: dict[str, FactValue] = dict(case.facts)
    facts.update(request.facts)
    if case.age is not None:
        facts["age"] = FactValue(case.age, "structured", "claimant.age")
    for name, derived in _derived(case, request, lexicon, facts).items():
        facts[name] = FactValue(derived.value, "derived", _basis_text(derived.basis))
    return facts


def _basis_text(basis: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in basis.items())


def _derived(case: Case, request: Request, lexicon: Lexicon, facts: dict[str, FactValue]) -> dict[str, Derived]:
    found: dict[str, Derived] = {}
    if request.drug:
        drug = lexicon.drugs[request.drug]
        found["drug"] = Derived(request.drug, {"named": request.drug_named})
        found.update(_duration(case, request))
        found.update(_dose(request, drug))
        relaxants = _other_in_class(case, request, lexicon, "muscle_relaxant")
        if relaxants is not None:
            found["other_muscle_relaxants"] = relaxants
    reduction = _pain_reduction(facts)
    if reduction is not None:
        found["pain_reduction_percent"] = reduction
    return found


def _duration(case: Case, request: Request) -> dict[str, Derived]:
    """Weeks of the current course: exact from a start date, else a lower bound from 'since' dates.
    Past courses are left out: a drug stopped and restarted counts from the restart."""
    history = [m for m in (case.medications or ()) if m.drug == request.drug and m.status == "current"]
    if request.new_start or any(m.new_start for m in history):
        basis = {"new_start": True}
        return {"weeks_of_use": Derived(0.0, basis), "weeks_of_use_at_least": Derived(0.0, basis)}
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


def _dose(request: Request, drug: Any) -> dict[str, Derived]:
    found: dict[str, Derived] = {}
    per_day = doses_per_day(request.frequency) if request.frequency else None
    units = request.units_per_dose or 1.0
    if per_day and request.quantity:
        basis = {"quantity": request.quantity, "doses_per_day": per_day, "units_per_dose": units}
        found["days_supply"] = Derived(round(request.quantity / (per_day * units), 1), basis)
    amount = strength_amount(request.strength) if request.strength else None
    if amount is None:
        return found
    if drug.med_basis == "per_mcg_per_hour":
        med = drug.med_per_day(amount)
        if med is not None:
            found["med_per_day"] = Derived(med, {"strength": request.strength, "factor": drug.med_factor})
        return found
    if per_day:
        daily = round(amount * per_day * units, 1)
        found["daily_dose_mg"] = Derived(daily, {"strength": request.strength, "doses_per_day": per_day, "units_per_dose": units})
        if "opioid" in drug.classes:
            med = drug.med_per_day(daily)
            if med is not None:
                found["med_per_day"] = Derived(med, {"daily_dose_mg": daily, "drug": drug.generic})
    return found


def _other_in_class(case: Case, request: Request, lexicon: Lexicon, drug_class: str) -> Derived | None:
    if drug_class not in lexicon.drugs[request.drug].classes:
        return None
    requested = {r.drug for r in case.requests if r.drug and r.drug != request.drug}
    current = {m.drug for m in (case.medications or ()) if m.status == "current" and m.drug != request.drug}
    others = sorted(d for d in requested | current if drug_class in lexicon.drugs[d].classes)
    if case.medications is None and not others:
        return None  # no medication list: the count is not documented
    return Derived(len(others), {"others": ", ".join(others) or "none"})


def _pain_reduction(facts: dict[str, FactValue]) -> Derived | None:
    with_med = facts.get("pain_score_with_medication")
    without = facts.get("pain_score_without_medication")
    if with_med is None or without is None or without.value <= 0:
        return None
    percent = round((without.value - with_med.value) / without.value * 100, 1)
    return Derived(percent, {"without": without.value, "with": with_med.value})
