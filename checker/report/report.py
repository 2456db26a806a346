"""The result of a check as plain data: what JSON prints and what every template renders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from checker.base.outcomes import MET, NOT_APPLICABLE, NOT_DOCUMENTED, NOT_MEDICALLY_NECESSARY, NOT_MET
from checker.decide.decide import on_the_course, routes, unit_routes
from checker.evaluate.results import CriterionResult, ItemResult
from checker.load.case import Case, FactEvidence, Request
from checker.load.conditions import evaluate, tests, unknown_alternatives
from checker.load.lexicon import normalise
from checker.load.prescription import Dose, Note
from checker.load.ruleset import Citation, RuleSet, governing_after
from checker.load.vocabulary import FactDef

REPORT_SCHEMA = "mtus-check-report/1"


def case_report(ruleset: RuleSet, case: Case, items: list[ItemResult], as_of: dt.date, engine: str) -> dict[str, Any]:
    return {
        "schema": REPORT_SCHEMA,
        "ruleset": ruleset.identity(12),
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
        "items": [_item(ruleset, item, case, _page_era(ruleset, case), as_of) for item in items],
    }


def page_citation_era_ends(ruleset: RuleSet) -> dt.date | None:
    """IMR letters about requests up to the last day of a guideline edition cited by page
    (guidelines.yaml, `cite_by: pages`: the 2009 CPMTG) cite guidelines by page; later ones cite
    section titles (the 2016 CPMTG update renamed and renumbered its sections; mtus-reference.md,
    "How IMR letters name the guideline")."""
    ends = [g.effective_to for g in ruleset.guidelines.values() if g.cite_by == "pages" and g.effective_to]
    return max(ends, default=None)


def _page_era(ruleset: RuleSet, case: Case) -> bool:
    ends = page_citation_era_ends(ruleset)
    return ends is not None and case.request_date <= ends


def _item(ruleset: RuleSet, item: ItemResult, case: Case, page_era: bool, as_of: dt.date) -> dict[str, Any]:
    req = item.request
    criteria = [
        {**_criterion(ruleset, r, page_era), "decisive": any(r is d for d in item.decisive)}
        for r in item.criteria
    ]
    by_result = {id(r): c for r, c in zip(item.criteria, criteria, strict=True)}
    decisive = [by_result[id(r)] for r in item.decisive]  # in the order a rationale names them (decide.reason_order)
    named, deferred = _named_reasons(item.decisive)
    conflicting = set(case.conflicts) | set(req.conflicts)
    missing_by_reason = _said_once([
        _without(_missing_groups(ruleset, [r for r in group if r.status == NOT_DOCUMENTED], _absent([by_result[id(r)] for r in group])), conflicting)
        for group in named
    ])
    named_criteria = [by_result[id(r)] for group in named for r in group]
    met = [c for c in criteria if c["status"] == MET]
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
        # a product judged as the drugs it holds, each under its own topic (an NSAID with a gastric protector)
        "judged_as": [
            {"drug": u.subject, "topic": u.topic.topic if u.topic else None} for u in item.units if u.role == "ingredient"
        ] if req.drug else [],
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
        "category": _category(ruleset, item),
        "governed_by": _governed_by(ruleset, item, as_of),
        "edition": item.edition.edition if item.edition else None,
        "on_denial": item.edition.on_denial if item.edition else None,
        "phase_of_care": _fact_value(item, "phase_of_care"),
        "criteria": criteria,
        "decisive": [c["id"] + (f"[{c['subject']}]" if c["subject"] else "") for c in decisive],
        # the one or two criteria the rationale names, strongest first; the others that decided are listed to document
        "reasons": [_reason(ruleset, group, page_era) for group in named],
        # every criterion that decided, as the letter's "Decision based on" line cites what the reviewer relied on
        "cited": group_citations(ruleset, item.citations, page_era),
        "uncited": list(dict.fromkeys(r.criterion.basis for r in item.decisive if r.criterion.citation is None and r.criterion.basis)),
        "non_mtus": any(not c["citation"]["mtus"] for c in decisive if c["citation"]),
        "documented": _documented(ruleset, named_criteria, _on_route(item, named, by_result), met, item.decision),
        "missing": _unique((f for c in named_criteria if c["status"] == NOT_DOCUMENTED for f in c["facts"] if f["name"] in c["unknown"]), "name"),
        # the rationale's "no documentation of ...": what the named reasons lack (a fact the records
        # state both ways is not missing: it is listed apart, as conflicting)
        "missing_groups": [g for groups in missing_by_reason for g in groups],
        # the same, per reason named; two reasons that are alternatives (neither on the other's route
        # through the indication tree) are joined with "or", others with "and"
        "missing_by_reason": missing_by_reason,
        "reasons_together": _together(item, named),
        "conflicting": [_label(ruleset, name) for name in _conflicting(named_criteria, conflicting)],
        # every documentation gap among the criteria that decided (the workbench's checklist)
        "missing_all": _missing_groups(ruleset, [r for r in item.decisive if r.status == NOT_DOCUMENTED], _absent(decisive)),
        # what the records show against the request; an `exists: false` test holds on a silence, which is no finding
        "contrary": _contrary(ruleset, named_criteria),
        "follow_up": _not_asked_again(
            _without_implied(_merged_over_subjects([_follow_up(ruleset, r, page_era) for r in [*deferred, *item.follow_up]])),
            missing_by_reason,
        ),
        "facts": [
            {"name": k, "value": v.value, "origin": v.origin, "source": v.source or None, "reason": v.reason or None, "evidence": _evidence(v.evidence)}
            for k, v in sorted(item.facts.items())
        ],
        "conflicts": _conflicts(item, case),
        # what a request for information (8 CCR 9792.9.1) would ask the requesting physician for
        "information": _information(ruleset, item, page_era),
    }


# A rationale names at most this many of the criteria that decided (each with every ingredient it
# decided for); the rest are listed as documentation to request. Letters name one or two reasons.
REASONS_NAMED = 2


def _named_reasons(decisive: list[CriterionResult]) -> tuple[list[list[CriterionResult]], list[CriterionResult]]:
    """(the first REASONS_NAMED criteria that decided, grouped by criterion id over ingredients;
    the results of the others the records are silent on, which the draft lists to document)."""
    groups: dict[str, list[CriterionResult]] = {}
    for result in decisive:
        groups.setdefault(result.criterion.id, []).append(result)
    ordered = list(groups.values())
    # one the records contradict is no documentation to ask for: it is left out; so is care that has
    # failed, or another condition on the course so far, while a waiting period is shown not over
    # (asking a three-week injury for failed conservative care contradicts "too early")
    too_early = any(r.criterion.role == "limit" and r.status == NOT_MET and on_the_course(r.criterion) for r in decisive)
    deferred = [r for group in ordered[REASONS_NAMED:] for r in group if r.status == NOT_DOCUMENTED]
    return ordered[:REASONS_NAMED], [r for r in deferred if not (too_early and on_the_course(r.criterion))]


def _reason(ruleset: RuleSet, group: list[CriterionResult], page_era: bool) -> dict[str, Any]:
    """One reason the rationale names: the criterion, and the ingredients it decided for."""
    return {**_criterion_summary(ruleset, group[0], page_era), "subjects": [r.subject for r in group if r.subject]}


def _documented(
    ruleset: RuleSet, named: list[dict[str, Any]], on_route: list[dict[str, Any]], met: list[dict[str, Any]], decision: str
) -> list[dict[str, Any]]:
    """What the records document that bears on the reasons named: the facts those criteria read that
    the records give (and do not hold against the request), and those of the indications met on the
    first reason's route through the indication tree (the records show neurological findings; what
    is missing is failed care). A denial that rests only on limits also says which indications the
    records do document, as letters do ("... however, the request exceeds")."""
    shown_against = {t["fact"] for t in _contrary(ruleset, named)}
    bearing = [c for c in named if c["status"] != NOT_MET or c["role"] == "indication"] + on_route
    if decision == NOT_MEDICALLY_NECESSARY and named and all(c["role"] == "limit" for c in named):
        bearing += [c for c in met if c["role"] == "indication"]
    facts = (
        f for c in bearing for f in c["facts"]
        if f["value"] is not None and f["name"] in _bearing_facts(c) and f["name"] not in shown_against | _THE_REQUEST_ITSELF
    )
    return _unique(facts, "name")


# what the request line itself names is no finding of the records ("the records document a request for xray")
_THE_REQUEST_ITSELF = frozenset({"service"})


def _bearing_facts(criterion: dict[str, Any]) -> set[str]:
    """The facts of a criterion that bear on how it came out: for one met, only those whose tests hold
    (an EMG's entrapment signs, not the radiculopathy the examination ruled out, which met none of its
    alternatives); for one not met or undocumented, every fact it requires."""
    if criterion["status"] == MET:
        return {t["fact"] for t in criterion["tests"]}
    return set(criterion["requires"])


def _on_route(item: ItemResult, named: list[list[CriterionResult]], by_result: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The indications met on the best route through the first named reason (decide.unit_routes)."""
    route = _route(item, named[0][0]) if named else ()
    return [by_result[id(r)] for r in item.criteria if r.criterion.id in route and r.status == MET and r.criterion.role == "indication"]


def _route(item: ItemResult, result: CriterionResult) -> tuple[str, ...]:
    unit = next((u for u in item.units if any(r is result for r in u.criteria)), None)
    if unit is None:
        return ()
    return unit_routes(unit).get(result.criterion.id, ((0, 0), ()))[1]


def _together(item: ItemResult, named: list[list[CriterionResult]]) -> bool:
    """Whether the reasons named are needed together: false only for two indications that are
    alternatives, neither on the best route through the other."""
    if len(named) < 2 or any(g[0].criterion.role != "indication" for g in named):
        return True
    first, second = named[0][0], named[1][0]
    return second.criterion.id in _route(item, first) or first.criterion.id in _route(item, second)


def _contrary(ruleset: RuleSet, named: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tests of the named reasons that hold against the request, once per fact; a fact shown only
    because it documents another shown fact (facts.yaml documented_by: the count of other NSAIDs
    documents another NSAID taken at the same time) is left out, so one finding is said once."""
    found = _unique((t for c in named if c["status"] == NOT_MET for t in c["tests"] if t["holds"] and t["op"] != "exists"), "fact")
    shown = {t["fact"] for t in found}
    sources = {
        source for name in shown
        for source in (ruleset.vocabulary.facts[name].documented_by.facts if ruleset.vocabulary.facts[name].documented_by else ())
    }
    return [t for t in found if t["fact"] not in sources]


def _conflicting(named: list[dict[str, Any]], conflicting: set[str]) -> list[str]:
    """Facts a named reason needs that the records state both ways (a conflict for the reviewer to
    settle): the rationale says so rather than that they are not documented."""
    return list(dict.fromkeys(name for c in named if c["status"] == NOT_DOCUMENTED for name in c["unknown"] if name in conflicting))


def _without(groups: list[list[dict[str, Any]]], names: set[str]) -> list[list[dict[str, Any]]]:
    kept = ([a for a in group if not set(a["names"]) & names] for group in groups)
    return [group for group in kept if group]


def _fact_value(item: ItemResult, name: str) -> Any:
    fact = item.facts.get(name)
    return fact.value if fact is not None else None


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
    guideline edition its general-principles topic follows on the request date, or of the first it
    follows when none is in force); None for an item with its own topic."""
    topic = item.topic
    if topic is None or not topic.general_principles:
        return None
    followed = topic.follows[item.edition.follows if item.edition else 0]
    guideline = ruleset.guidelines.get((followed.guideline, followed.edition))
    return guideline.letter_name if guideline else followed.label


def _category(ruleset: RuleSet, item: ItemResult) -> str | None:
    """The service's category; for a drug judged by general principles, the drug class its topic names."""
    req = item.request
    if req.service:
        return ruleset.services.category(req.service) or None
    topic = item.topic
    if req.drug and topic is not None and topic.general_principles:
        return next((c for c in ruleset.lexicon.drugs[req.drug].classes if c in topic.categories), None)
    return None


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
    """Documentation to request apart from the reasons the rationale names: a criterion that decided
    but is not named (REASONS_NAMED), a limit the records leave undocumented (decide.py sets
    item.follow_up), a documentation criterion not shown met; with the facts it needs (each group
    holds alternatives, any one of which would do)."""
    return {
        **_criterion_summary(ruleset, result, page_era),
        "needs": _needed(ruleset, result, None if result.status == NOT_DOCUMENTED else _holding(result)),
    }


def _merged_over_subjects(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One follow-up entry for a criterion that needs the same documentation for several ingredients
    of a compounded product, naming them all (`subjects`), in order of first appearance."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for entry in entries:
        key = (entry["id"], entry["status"], repr(entry["needs"]))
        if key in merged:
            merged[key]["subjects"] += [entry["subject"]] if entry["subject"] else []
        else:
            merged[key] = {**entry, "subjects": [entry["subject"]] if entry["subject"] else []}
    return list(merged.values())


def _without_implied(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The follow-up entries less one whose every group of documentation another entry for the same
    ingredients also asks for, with more ("functional improvement" beside "functional improvement and
    pain relief"): documenting the larger documents the smaller."""
    def asked(entry: dict[str, Any]) -> set[frozenset[tuple[str, ...]]]:
        return {frozenset(tuple(a["names"]) for a in group) for group in entry["needs"]}

    return [
        e for e in entries
        if not (e["needs"] and any(o is not e and o["subjects"] == e["subjects"] and asked(e) < asked(o) for o in entries))
    ]


def _not_asked_again(entries: list[dict[str, Any]], missing_by_reason: list[list[list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """The follow-up list less the alternatives the rationale already says are missing (a denial for
    no red flags does not ask again for "no earlier imaging, or red flags"), and less an entry left
    with nothing to ask."""
    asked = {name for groups in missing_by_reason for group in groups for alternative in group for name in alternative["names"]}
    kept = []
    for entry in entries:
        needs = _unasked(entry["needs"], asked)
        if not entry["needs"] or needs:
            kept.append({**entry, "needs": needs})
    return kept


def _unasked(needs: list[list[dict[str, Any]]], asked: set[str]) -> list[list[dict[str, Any]]]:
    """The groups of alternatives less each alternative whose facts are all in `asked`, and less a
    group left empty."""
    groups = [[a for a in group if not set(a["names"]) <= asked] for group in needs]
    return [group for group in groups if group]


def _holding(result: CriterionResult) -> dict[str, Any]:
    """The facts a criterion read whose tests hold: what is already documented as it requires. A
    not-met criterion then needs only the rest (the records show pain relief; they should also show
    functional improvement)."""
    values = {f.name: f.value for f in result.facts if f.value is not None}
    return {name: values[name] for test in tests(result.criterion.met_when) for _, name, _, _ in [test] if name in values and evaluate(test, values)}


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
    origins = {f.name: f.origin for f in result.facts}
    return {
        **_criterion_summary(ruleset, result, page_era),
        "unknown": list(result.unknown),
        "requires": sorted({name for _, name, _, _ in tests(c.met_when)}),
        "facts": [
            {
                "name": f.name, "label": f.label, "unit": f.unit, "value": f.value, "origin": f.origin or None,
                "obtained": vocab[f.name].obtained, "when_true": vocab[f.name].when_true, "when_false": vocab[f.name].when_false,
                "stated": _stated(vocab[f.name], f.origin), "worded": _value_wording(vocab[f.name], f.value),
            }
            for f in result.facts
        ],
        "tests": [
            {
                "fact": t.fact, "op": t.op, "expected": list(t.expected) if isinstance(t.expected, tuple) else t.expected,
                "actual": t.actual, "holds": t.holds, "label": vocab[t.fact].label, "unit": vocab[t.fact].unit,
                "when_true": vocab[t.fact].when_true, "when_false": vocab[t.fact].when_false,
                "stated": _stated(vocab[t.fact], origins.get(t.fact)), "worded": _value_wording(vocab[t.fact], t.actual),
            }
            for t in result.tests
        ],
    }


def _stated(fact: FactDef, origin: str | None) -> str:
    """The phrase a draft states the fact's value in: its own for a value derived in place of the records'."""
    return fact.stated_when_derived if origin == "derived" and fact.stated_when_derived else fact.stated


def _value_wording(fact: FactDef, value: Any) -> str | None:
    """The wording facts.yaml gives a value whose name is not plain words ("crps"), if any."""
    return fact.value_words.get(value) if isinstance(value, str) else None


def citation_data(ruleset: RuleSet, citation: Citation, page_era: bool = True) -> dict[str, Any]:
    """A citation as letters of the request's era write it: by page in the page era
    (page_citation_era_ends) when pages are known, by section title after. A page no source confirms (pages_confirmed: false) is kept for the
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


def _missing_groups(ruleset: RuleSet, undecided: list[CriterionResult], absent: tuple[str, ...] = ()) -> list[list[dict[str, Any]]]:
    """What to document, once each: a group holds alternatives, any one of which would do."""
    groups = [group for r in undecided for group in _needed(ruleset, r)]
    groups += [[_alternative(ruleset, (("test", name, "exists", True),))] for name in absent]
    unique = list({_names(g): g for g in reversed(groups)}.values())[::-1]
    # "no documentation of A or B" already says A is missing: a group inside a larger one is left out
    return [g for g in unique if not any(_names(g) < _names(other) for other in unique)]


def _obtained(ruleset: RuleSet, name: str) -> str:
    """derived, extracted or reviewer (rules/facts.yaml): a missing reviewer fact needs confirming, not documenting."""
    fact = ruleset.vocabulary.facts.get(name)
    return fact.obtained if fact else "extracted"


# At most this many ways to meet an indication tree are offered in a request for information.
ROUTES_OFFERED = 3


def _information(ruleset: RuleSet, item: ItemResult, page_era: bool) -> dict[str, Any]:
    """The documentation that would decide the item under the guideline in force, for a request for
    information to the requesting physician:
    - `options`, per evaluated unit with indications to show: the ways of meeting its indication
      tree that need the fewest indications the records are silent on (and none they contradict),
      each a list of what to document (any one way would do; all of one way is needed);
    - `limits`: limits the records leave undocumented (documented, they could deny);
    - `exceptions`: limits the records show exceeded that an undocumented fact would lift;
    - `outside`: what no documentation would change as the records stand (an exceeded limit with no
      exception; indications contradicted on every way of meeting the tree), with what the records show;
    - `undetermined_by`: the facts that decide which guideline applies, when they are missing."""
    info: dict[str, Any] = {"options": [], "limits": [], "exceptions": [], "outside": [], "undetermined_by": []}
    if item.main.no_rule_reason == "edition_undetermined":
        info["undetermined_by"] = [_label(ruleset, name) for name in item.main.undetermined_by]
    for unit in item.units:
        if unit.edition is None:
            continue
        by_id = {r.criterion.id: r for r in unit.criteria}
        for result in unit.criteria:
            if result.criterion.role == "limit" and result.status == NOT_MET:
                lifting = _lifting(ruleset, result, page_era)
                info["exceptions" if lifting else "outside"].append(_info_entry(ruleset, result, page_era, lifting))
            elif result.criterion.role == "limit" and result.status == NOT_DOCUMENTED:
                info["limits"].append(_info_entry(ruleset, result, page_era, _needed(ruleset, result)))
        options, contradicted = _ways(unit.edition.decision, by_id)
        if options:
            info["options"].append({"subject": unit.subject or None, "ways": [_way(ruleset, [by_id[cid] for cid in way], page_era) for way in options]})
        info["outside"] += [_info_entry(ruleset, by_id[cid], page_era, []) for cid in contradicted]
    for key in ("limits", "exceptions", "outside"):
        info[key] = _merged_over_subjects(info[key])
    return _asked_once(info)


def _asked_once(info: dict[str, Any]) -> dict[str, Any]:
    """Each fact asked for once: an exception or a limit's alternative whose facts an earlier part of
    the request already asks for (the red flag that meets the indication also lifts the first-month
    limit) is left out, and so is an entry left with nothing to ask."""
    asked = {name for o in info["options"] for way in o["ways"] for e in way for g in e["needs"] for a in g for name in a["names"]}
    for key in ("exceptions", "limits"):
        kept = []
        for entry in info[key]:
            needs = _unasked(entry["needs"], asked)
            if needs:
                kept.append({**entry, "needs": needs})
            asked |= {name for g in entry["needs"] for a in g for name in a["names"]}
        info[key] = kept
    return info


def _lifting(ruleset: RuleSet, result: CriterionResult, page_era: bool) -> list[list[dict[str, Any]]]:
    """What would lift an exceeded limit if the records showed it: a fact its not-met test needs the
    records to be silent on (variance evidence), or a fact that makes it not apply (a red flag)."""
    alternatives = [_alternative(ruleset, (("test", n, "exists", True),)) for n in _absent([_criterion(ruleset, result, page_era)])]
    exemption = result.criterion.not_applicable_when
    if exemption is not None:
        values = {f.name: f.value for f in result.facts if f.value is not None}
        alternatives += [a for group in unknown_alternatives(exemption, values) for a in _worded(ruleset, group, _proofs(exemption))]
    return [alternatives] if alternatives else []  # any one of them would lift the limit


def _way(ruleset: RuleSet, results: list[CriterionResult], page_era: bool) -> list[dict[str, Any]]:
    """One way of meeting the indications: an entry per indication it lacks, each fact said once."""
    needs = _said_once([_needed(ruleset, r) for r in results])
    return [_info_entry(ruleset, r, page_era, groups) for r, groups in zip(results, needs, strict=True) if groups]


def _ways(tree: object, by_id: dict[str, CriterionResult]) -> tuple[list[tuple[str, ...]], list[str]]:
    """(the ways of meeting the tree that need the fewest undocumented indications, none contradicted,
    as the undocumented indications each needs; [] when it is met or cannot be met by documenting;
    the contradicted indications of the closest way when every way has one)."""
    status = {cid: r.status for cid, r in by_id.items()}
    # as decide.py reads the tree: a way whose indications all do not apply is no way at all
    every = [way for way in routes(tree) if any(status.get(cid, NOT_APPLICABLE) != NOT_APPLICABLE for cid in way)]
    if not every or any(all(status.get(cid) in (MET, NOT_APPLICABLE) for cid in way) for way in every):
        return [], []
    open_ways = [way for way in every if not any(status.get(cid) == NOT_MET for cid in way)]
    if not open_ways:
        closest = min(every, key=lambda way: sum(status.get(cid) != MET for cid in way))
        return [], [cid for cid in closest if status.get(cid) == NOT_MET]
    needs = [tuple(dict.fromkeys(cid for cid in way if status.get(cid) == NOT_DOCUMENTED)) for way in open_ways]
    fewest = min(len(n) for n in needs)
    return list(dict.fromkeys(n for n in needs if len(n) == fewest))[:ROUTES_OFFERED], []


def _info_entry(ruleset: RuleSet, result: CriterionResult, page_era: bool, needs: list[list[dict[str, Any]]]) -> dict[str, Any]:
    criterion = _criterion(ruleset, result, page_era)
    return {
        **_criterion_summary(ruleset, result, page_era),
        "subjects": [result.subject] if result.subject else [],
        "needs": needs,
        "shows": _contrary(ruleset, [criterion]) if result.status == NOT_MET else [],
    }


def _said_once(by_reason: list[list[list[dict[str, Any]]]]) -> list[list[list[dict[str, Any]]]]:
    """Each reason's groups less those another reason's larger group (or an earlier equal one) already says."""
    said: list[frozenset[str]] = []
    every = [_names(g) for groups in by_reason for g in groups]
    kept = []
    for groups in by_reason:
        mine = []
        for group in groups:
            names = _names(group)
            if names not in said and not any(names < other for other in every):
                mine.append(group)
                said.append(names)
        kept.append(mine)
    return kept


def _needed(ruleset: RuleSet, result: CriterionResult, known: dict[str, Any] | None = None) -> list[list[dict[str, Any]]]:
    """The groups of alternatives a criterion still needs documented, given what it read (or `known`)."""
    values = known if known is not None else {f.name: f.value for f in result.facts if f.value is not None}
    condition = result.criterion.met_when
    return [_worded(ruleset, group, _proofs(condition)) for group in unknown_alternatives(condition, values)]


def _worded(ruleset: RuleSet, group: list[tuple[Any, ...]], proofs: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """A group's alternatives for the draft. An alternative that only needs the records to show a
    proof fact absent (no functional improvement from the care given: see _proofs) proves what a
    positive alternative names (a failed course of care): when there is one, it alone is said."""
    positive = [a for a in group if not any(_wants_false(part) and part[1] in proofs for part in a)]
    said: dict[tuple[tuple[str, bool], ...], dict[str, Any]] = {}
    for alternative in positive or group:  # alternatives that differ only in the values compared are said once
        said.setdefault(tuple((part[1], _wants_false(part)) for part in alternative), _alternative(ruleset, alternative))
    # "A, or A and B" asks for A: an alternative that holds every part of another is left out
    return [a for key, a in said.items() if not any(set(other) < set(key) for other in said)]


def _proofs(condition: Any) -> frozenset[str]:
    """Facts a condition needs absent only together with something present (care given, and no
    improvement from it): a way of proving another of its alternatives, not one of its own."""
    found = set()
    for group in unknown_alternatives(condition, {}):
        for alternative in group:
            if any(not _wants_false(part) for part in alternative):
                found |= {part[1] for part in alternative if _wants_false(part)}
    return frozenset(found)


def _wants_false(test: tuple[Any, ...]) -> bool:
    _, _, op, value = test
    return (op == "eq" and value is False) or (op == "ne" and value is True)


def _alternative(ruleset: RuleSet, parts: tuple[tuple[Any, ...], ...]) -> dict[str, Any]:
    """One alternative: the facts it needs, each with the wording for the value it needs."""
    worded = []
    for test in parts:
        fact = ruleset.vocabulary.facts[test[1]]
        worded.append({"name": fact.name, "label": fact.label, "wanted_false": _wants_false(test), "when_false": fact.when_false or f"no {fact.label}"})
    obtained = "reviewer" if all(_obtained(ruleset, w["name"]) == "reviewer" for w in worded) else "extracted"
    return {"name": worded[0]["name"], "label": worded[0]["label"], "names": [w["name"] for w in worded], "parts": worded, "obtained": obtained}


def _names(group: list[dict[str, Any]]) -> frozenset[str]:
    return frozenset(name for alternative in group for name in alternative["names"])


def _absent(decisive: list[dict[str, Any]]) -> tuple[str, ...]:
    """Facts that not-met criteria hold against because the records are silent on them (an `exists:
    false` test): the draft asks for them rather than saying the records show them."""
    tests = (t for c in decisive if c["status"] == NOT_MET for t in c["tests"])
    return tuple(dict.fromkeys(t["fact"] for t in tests if t["op"] == "exists" and t["holds"] and not t["expected"]))


def _unique(entries: Any, key: str) -> list[dict[str, Any]]:
    """Keep the first entry for each value of `key`, in order."""
    seen, found = set(), []
    for entry in entries:
        if entry[key] not in seen:
            seen.add(entry[key])
            found.append(entry)
    return found
