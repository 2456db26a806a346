"""The result of a check as plain data: what JSON prints and what every template renders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from checker.case import Case, FactEvidence, Request
from checker.conditions import tests, unknown_groups
from checker.evaluate import CriterionResult, ItemResult
from checker.lexicon import normalise
from checker.prescription import Dose, Note
from checker.rules import Citation, RuleSet, governing_after, parse_pages

REPORT_SCHEMA = "mtus-check-report/1"
# IMR letters about requests up to this date cite guidelines by page; later ones cite section titles
# (the 2016 CPMTG update renamed and renumbered its sections; mtus-reference.md, "How IMR letters name
# the guideline").
PAGE_CITATION_ERA_ENDS = dt.date(2016, 7, 28)


def case_report(ruleset: RuleSet, case: Case, items: list[ItemResult], as_of: dt.date, engine: str) -> dict[str, Any]:
    return {
        "schema": REPORT_SCHEMA,
        "ruleset": {"name": ruleset.name, "version": ruleset.version, "digest": ruleset.digest[:12], "stamp": ruleset.stamp},
        "as_of": as_of.isoformat(),
        "input": {"path": case.path, "sha256": case.input_hash},
        "engine": engine,
        "case": {
            "id": case.case_id,
            "title": case.title,
            "age": case.age,
            "sex": case.sex,
            "injury_date": case.injury_date.isoformat() if case.injury_date else None,
            "request_date": case.request_date.isoformat(),
            "diagnoses": list(case.diagnoses),
        },
        "items": [_item(ruleset, item, case, _page_era(case), as_of) for item in items],
    }


def _page_era(case: Case) -> bool:
    return case.request_date <= PAGE_CITATION_ERA_ENDS


def _item(ruleset: RuleSet, item: ItemResult, case: Case, page_era: bool, as_of: dt.date) -> dict[str, Any]:
    req = item.request
    criteria = [
        {**_criterion(ruleset, r, page_era), "decisive": any(r is d for d in item.decisive)}
        for r in item.criteria
    ]
    decisive = [c for c in criteria if c["decisive"]]
    met = [c for c in criteria if c["status"] == "met"]
    return {
        "id": req.id,
        "request": req.text,
        "drug": req.drug or None,
        "drug_named": req.drug_named or None,
        "service": req.service or None,
        "body_parts": list(req.body_parts),
        "visits": req.visits,
        "route": req.route or None,
        "timing": req.timing or None,
        "ingredients": [{"drug": i.drug, "named": i.named, "strength": i.strength or None} for i in req.ingredients],
        "read_as": _read_as(ruleset, req),
        "prescription": _prescription(req.dose),
        "associated_with": req.associated_with or None,
        "original_text": req.original_text or None,
        "certified": req.certified or None,
        "decision": item.decision,
        "no_rule_reason": item.no_rule_reason or None,
        "undetermined_by": [_label(ruleset, name) for name in item.main.undetermined_by],
        "topic": {"id": item.topic.topic, "title": item.topic.title} if item.topic else None,
        # no topic names the item's service or body part: a topic of general principles judges it
        "general_principles": _general_principles(ruleset, item),
        "category": ruleset.services.category(req.service) or None,
        "governed_by": _governed_by(ruleset, item, as_of),
        "edition": item.edition.edition if item.edition else None,
        "on_denial": item.edition.on_denial if item.edition else None,
        "criteria": criteria,
        "decisive": [c["id"] + (f"[{c['subject']}]" if c["subject"] else "") for c in decisive],
        "cited": group_citations(ruleset, [r.criterion.citation for r in item.decisive if r.criterion.citation], page_era),
        "uncited": list(dict.fromkeys(r.criterion.basis for r in item.decisive if r.criterion.citation is None and r.criterion.basis)),
        "non_mtus": any(not c["citation"]["mtus"] for c in decisive if c["citation"]),
        "documented": _unique((f for c in met for f in c["facts"] if f["value"] is not None and f["name"] in c["requires"]), "name"),
        "missing": _unique((f for c in decisive if c["status"] == "not_documented" for f in c["facts"] if f["name"] in c["unknown"]), "name"),
        "missing_groups": _missing_groups(ruleset, [r for r in item.decisive if r.status == "not_documented"], tuple(_absent(decisive))),
        # what the records show against the request; an `exists: false` test holds on a silence, which is no finding
        "contrary": _unique((t for c in decisive if c["status"] == "not_met" for t in c["tests"] if t["holds"] and t["op"] != "exists"), "fact"),
        "follow_up": [_follow_up(ruleset, r, page_era) for r in item.follow_up],
        "facts": [
            {"name": k, "value": v.value, "origin": v.origin, "source": v.source or None, "reason": v.reason or None, "evidence": _evidence(v.evidence)}
            for k, v in sorted(item.facts.items())
        ],
        "conflicts": _conflicts(item, case),
    }


def _read_as(ruleset: RuleSet, req: Request) -> list[dict[str, Any]]:
    """Each drug name as written that is not the lexicon's generic name, and how it was read."""
    rx = req.dose.prescription if req.dose else None
    named = [(i.named, i.drug) for i in req.ingredients] if req.ingredients else [(req.drug_named, req.drug)] if req.drug else []
    found = []
    for written, generic in named:
        if normalise(written) == normalise(generic):
            continue
        resolved = ruleset.lexicon.resolve(written)
        how, name = (rx.how, rx.lexicon_name) if rx and rx.written_name == written else (resolved.how, resolved.name) if resolved else ("exact", generic)
        release = rx.release if rx and rx.written_name == written else ""
        found.append({"written": written, "drug": generic, "how": how, "name": name, "release": release or None})
    return found


def _prescription(dose: Dose | None) -> dict[str, Any] | None:
    """The written prescription and its arithmetic: strength x units a dose x doses a day = daily dose,
    x factor = MME a day; quantity / units a day = days' supply; with every note on how it was read."""
    if dose is None:
        return None
    rx = dose.prescription
    strength, frequency, quantity = rx.strength, rx.frequency, rx.quantity
    return {
        "form": rx.form or None,
        "dose_unit": rx.dose_unit,
        "strength": {
            "written": strength.written, "amount": strength.amount, "unit": strength.unit, "per_ml": strength.per_ml,
            "ingredient": strength.ingredient or None, "parts": [{"ingredient": i, "amount": a} for i, a in strength.parts],
            "mg_per_unit": strength.mass_per_unit_mg(),
        } if strength else None,
        "units_per_dose": rx.units_per_dose,
        "frequency": {
            "written": frequency.written or None, "doses_per_day": frequency.doses_per_day, "as_needed": frequency.as_needed,
            "maximum": frequency.maximum, "maximum_unit": frequency.maximum_unit or None, "single": frequency.single,
            "every_hours": round(24 / frequency.doses_per_day) if frequency.doses_per_day and frequency.doses_per_day < 1 else None,
        } if frequency else None,
        "units_per_day": dose.units_per_day,
        "daily": {"amount": dose.daily_amount, "unit": dose.daily_unit, "mg": dose.daily_mg} if dose.daily_amount is not None else None,
        "mme": {
            "value": dose.mme, "factor": dose.factor_value, "per": dose.factor.per, "basis": dose.mme_basis,
            "tier": {"above": dose.tier[0], "up_to": dose.tier[1]} if dose.tier else None,
            "table": {"name": dose.table.name, "dated": dose.table.dated},
        } if dose.mme is not None else None,
        "mme_missing": _note(dose.mme_missing, dose) if dose.mme_missing else None,
        "quantity": {"value": quantity.value, "unit": quantity.unit, "written": quantity.written} if quantity else None,
        "refills": rx.refills,
        "days_supply": {"value": dose.days_supply, "from": dose.days_from} if dose.days_supply is not None else None,
        "notes": [_note(n, dose) for n in dose.notes if not n.problem],
        "problems": [_note(n, dose) for n in dose.notes if n.problem],
    }


def _note(note: Note, dose: Dose) -> dict[str, Any]:
    return {"code": note.code, "detail": note.detail or None, "table": dose.table.name if dose.table else None}


def _general_principles(ruleset: RuleSet, item: ItemResult) -> str | None:
    """The guideline whose general principles judge an item no topic names (the letter name of the
    guideline edition that decided it, or of the first its general-principles topic follows when none
    did); None for an item with its own topic."""
    topic = item.topic
    if topic is None or not topic.general_principles:
        return None
    followed = topic.follows[item.edition.follows] if item.edition is not None else topic.follows[0]
    guideline = ruleset.guidelines.get((followed.guideline, followed.edition))
    return guideline.letter_name if guideline else followed.label


def _governed_by(ruleset: RuleSet, item: ItemResult, day: dt.date) -> list[dict[str, Any]]:
    """For a request dated after the last edition its topic encodes: the guidelines that govern it."""
    if item.no_rule_reason != "no_edition_in_force" or item.topic is None:
        return []
    drug = bool(item.request.drug or item.request.ingredients)
    return [
        {"guideline": g.guideline, "title": g.title, "letter_name": g.letter_name, "effective_from": g.effective_from.isoformat()}
        for g in governing_after(ruleset, item.topic, day, drug)
    ]


def _label(ruleset: RuleSet, name: str) -> str:
    fact = ruleset.vocabulary.facts.get(name)
    return fact.label if fact else name


def _evidence(evidence: FactEvidence | None) -> dict[str, Any] | None:
    return {"cue": evidence.cue, "cue_span": list(evidence.cue_span), "span": list(evidence.span)} if evidence else None


def _conflicts(item: ItemResult, case: Case) -> list[dict[str, Any]]:
    """Facts whose statements contradict each other (case-level, or about this item), unless the
    item has a value for them."""
    found = {**case.conflicts, **item.request.conflicts}
    return [
        {"name": name, "options": [{"value": value, "evidence": _evidence(evidence)} for value, evidence in conflict.options]}
        for name, conflict in sorted(found.items())
        if name not in item.facts
    ]


def _follow_up(ruleset: RuleSet, result: CriterionResult, page_era: bool) -> dict[str, Any]:
    """Documentation to request that did not decide the item (decide.py sets item.follow_up): a limit
    the records leave undocumented, a documentation criterion not shown met, with the facts it needs
    (each group holds alternatives, any one of which would do)."""
    needed = result.unknown_groups if result.status == "not_documented" else unknown_groups(result.criterion.met_when, {})
    return {
        **_criterion_summary(ruleset, result, page_era),
        "needs": [[{"name": name, "label": _label(ruleset, name)} for name in group] for group in needed],
    }


def _criterion_summary(ruleset: RuleSet, result: CriterionResult, page_era: bool) -> dict[str, Any]:
    """What a criterion is and how it came out, without the facts and tests it read."""
    c = result.criterion
    return {
        "id": c.id,
        "title": c.title,
        "role": c.role,
        "requirement": c.requirement,
        "subject": result.subject or None,
        "status": result.status,
        "citation": citation_data(ruleset, c.citation, page_era) if c.citation else None,
        "basis": c.basis or None,
    }


def _criterion(ruleset: RuleSet, result: CriterionResult, page_era: bool = True) -> dict[str, Any]:
    c = result.criterion
    vocab = ruleset.vocabulary.facts
    return {
        **_criterion_summary(ruleset, result, page_era),
        "unknown": list(result.unknown),
        "requires": sorted({name for _, name, _, _ in tests(c.met_when)}),
        "facts": [
            {
                "name": f.name, "label": f.label, "unit": f.unit, "value": f.value, "origin": f.origin or None,
                "when_true": vocab[f.name].when_true, "when_false": vocab[f.name].when_false,
            }
            for f in result.facts
        ],
        "tests": [
            {
                "fact": t.fact, "op": t.op, "expected": list(t.expected) if isinstance(t.expected, tuple) else t.expected,
                "actual": t.actual, "holds": t.holds, "label": vocab[t.fact].label, "unit": vocab[t.fact].unit,
                "when_true": vocab[t.fact].when_true, "when_false": vocab[t.fact].when_false,
            }
            for t in result.tests
        ],
    }


def citation_data(ruleset: RuleSet, citation: Citation, page_era: bool = True) -> dict[str, Any]:
    """A citation as letters of the request's era write it: by page up to 2016-07-28 when pages are
    known, by section title after. A page no source confirms (pages_confirmed: false) is kept for the
    reviewer but never cited by page."""
    guideline = ruleset.guidelines.get((citation.guideline, citation.edition))
    by_pages = guideline is not None and guideline.cite_by == "pages" or (page_era and bool(citation.pages) and citation.pages_confirmed)
    return {
        "guideline": citation.guideline,
        "edition": citation.edition,
        "section": citation.section,
        "pages": citation.pages,
        "pages_confirmed": citation.pages_confirmed,
        "title": guideline.title if guideline else citation.guideline,
        "letter_name": guideline.letter_name if guideline else citation.guideline,
        "cite_by": "pages" if by_pages else "sections",
        "mtus": guideline.mtus if guideline else True,
    }


def group_citations(ruleset: RuleSet, citations: list[Citation], page_era: bool = True) -> list[dict[str, Any]]:
    """Merge the citations of the decisive criteria by guideline edition, then by section."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for cit in citations:
        data = citation_data(ruleset, cit, page_era)
        group = groups.setdefault((cit.guideline, cit.edition), {**data, "sections": {}})
        group["sections"].setdefault(cit.section, set()).update(cit.page_numbers() if cit.pages_confirmed else ())
    merged = []
    for group in groups.values():
        sections = sorted(group.pop("sections").items(), key=lambda s: (min(s[1]) if s[1] else 0, s[0]))
        group.pop("section"), group.pop("pages")
        group["sections"] = [{"section": name, "pages": format_pages(pages)} for name, pages in sections]
        merged.append(group)
    return merged


def format_pages(pages: set[int] | frozenset[int]) -> str:
    """{63, 64, 65, 66, 29} -> '29, 63-66'."""
    ordered = sorted(pages)
    runs: list[list[int]] = []
    for page in ordered:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _missing_groups(ruleset: RuleSet, undecided: list[CriterionResult], absent: tuple[str, ...] = ()) -> list[list[dict[str, str]]]:
    """What to document, once each: a group holds alternatives, any one of which would do."""
    groups = list(dict.fromkeys([*(group for r in undecided for group in r.unknown_groups), *((name,) for name in absent)]))
    # "no documentation of A or B" already says A is missing: a group inside a larger one is left out
    kept = [g for g in groups if not any(set(g) < set(other) for other in groups)]
    return [[{"name": name, "label": _label(ruleset, name)} for name in group] for group in kept]


def _absent(decisive: list[dict[str, Any]]) -> list[str]:
    """Facts that not-met criteria hold against because the records are silent on them (an `exists:
    false` test): the draft asks for them rather than saying the records show them."""
    tests = (t for c in decisive if c["status"] == "not_met" for t in c["tests"])
    return list(dict.fromkeys(t["fact"] for t in tests if t["op"] == "exists" and t["holds"] and not t["expected"]))


def _unique(entries: Any, key: str) -> list[dict[str, Any]]:
    """Keep the first entry for each value of `key`, in order."""
    seen, found = set(), []
    for entry in entries:
        if entry[key] not in seen:
            seen.add(entry[key])
            found.append(entry)
    return found


def page_set(pages: str) -> frozenset[int]:
    return parse_pages(pages)
