"""What the workbench page shows, as plain data for templates/web/: the facts of the case with their
evidence and context, the marked clinical text, and each item's checklist from the library's report.
No wording here: the templates word every value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checker.load.ruleset import RuleSet
from checker.text.context import ContextRules, load_context_rules
from checker.web.highlight import cue_context, mark_of, pieces
from checker.web.workbench import CASE, Checked


@dataclass
class FactRow:
    number: int
    ref: str  # the row's anchor; its evidence in the text is "ev-<ref>"
    where: str
    name: str
    label: str
    type: str
    unit: str
    choices: tuple[Any, ...]  # the values a select offers (booleans, listed values, a conflict's)
    value: Any
    origin: str
    source: str
    reason: str
    evidence: dict[str, Any] | None
    context: list[dict[str, str]]
    conflict: list[dict[str, Any]] = field(default_factory=list)
    marked: bool = False  # its evidence is marked in the text shown


@dataclass
class EvidenceRow:
    """Evidence for what is not a fact: claimant, injury date, diagnoses, medications."""

    ref: str
    what: str  # claimant.age | claimant.sex | dates.injury | diagnoses | medication
    value: Any
    evidence: dict[str, Any]
    marked: bool = False


class Views:
    """The page data of a checked case: fact rows, evidence marks, checklists."""

    def __init__(self, ruleset: RuleSet, context: ContextRules | None = None) -> None:
        self.ruleset = ruleset
        self.context = context or load_context_rules()

    def page(self, checked: Checked, text: str) -> dict[str, Any]:
        case = checked.case
        rows = self.fact_rows(case)
        evidence_rows = self.evidence_rows(case)
        found = [(r.ref, r.evidence, r.ref) for r in [*rows, *evidence_rows]]
        found += [(o["ref"], o["evidence"], r.ref) for r in rows for o in r.conflict]
        marks = [m for m in (mark_of(ref, evidence, text, row) for ref, evidence, row in found) if m] if text else []
        marked = {m.ref for m in marks}
        for row in [*rows, *evidence_rows]:
            row.marked = row.ref in marked
            for option in getattr(row, "conflict", []):
                option["marked"] = option["ref"] in marked
        report = checked.result.report
        return {
            "case": case,
            "report": report,
            "facts": rows,
            "evidence_rows": evidence_rows,
            "pieces": pieces(text, marks) if text else [],
            "items": [self.item(item, i, case, rows) for i, item in enumerate(report["items"])],
            "addable": self.addable(report),
            "where_choices": [CASE] + [f"item-{i}" for i in range(len(report["items"]))],
            "left_out": _extraction(case).get("left_out") or [],
        }

    def fact_rows(self, case: dict[str, Any]) -> list[FactRow]:
        rows: list[FactRow] = []
        places = [(CASE, case.get("facts"))]
        places += [(f"item-{i}", r.get("facts")) for i, r in enumerate(case.get("requests") or []) if isinstance(r, dict)]
        for where, facts in places:
            for name, given in (facts or {}).items() if isinstance(facts, dict) else ():
                rows.append(self._row(len(rows) + 1, where, str(name), given))
        return rows

    def _row(self, number: int, where: str, name: str, given: Any) -> FactRow:
        fact = self.ruleset.vocabulary.get(name)
        entry = given if isinstance(given, dict) else {"value": given}
        conflict = [
            {"ref": f"f{number}-{k}", "value": o.get("value"), "evidence": o.get("evidence"), "context": cue_context(self.context, o.get("evidence"))}
            for k, o in enumerate((o for o in entry.get("conflict") or [] if isinstance(o, dict)), start=1)
        ]
        kind = fact.type if fact else "string"
        choices: tuple[Any, ...] = (True, False) if kind == "boolean" else tuple(fact.values) if fact and fact.values else ()
        if conflict and not choices:
            choices = tuple(dict.fromkeys(o["value"] for o in conflict))
        evidence = entry.get("evidence") if isinstance(entry.get("evidence"), dict) else None
        return FactRow(
            number=number, ref=f"f{number}", where=where, name=name, label=fact.label if fact else name, type=kind,
            unit=fact.unit if fact else "", choices=choices, value=entry.get("value"), origin=str(entry.get("origin") or "structured"),
            source=str(entry.get("source") or ""), reason=str(entry.get("reason") or ""), evidence=evidence,
            context=cue_context(self.context, evidence), conflict=conflict,
        )

    def evidence_rows(self, case: dict[str, Any]) -> list[EvidenceRow]:
        rows: list[EvidenceRow] = []
        for what, evidence in (_extraction(case).get("evidence") or {}).items():
            for one in evidence if isinstance(evidence, list) else [evidence]:
                rows.append(EvidenceRow(f"e{len(rows) + 1}", str(what), _value_at(case, str(what)), one))
        for medication in case.get("medications") or []:
            if isinstance(medication, dict) and isinstance(medication.get("evidence"), dict):
                rows.append(EvidenceRow(f"e{len(rows) + 1}", "medication", medication, medication["evidence"]))
        return rows

    def item(self, item: dict[str, Any], index: int, case: dict[str, Any], rows: list[FactRow]) -> dict[str, Any]:
        expected = {e.get("item"): e for e in case.get("expected") or [] if isinstance(e, dict)}.get(item["id"])
        derived = [{**f, "inputs": basis_inputs(f.get("source"))} for f in item["facts"] if f["origin"] == "derived"]
        return {
            **item,
            "index": index,
            "where": f"item-{index}",
            "expected": expected,
            "derived": derived,
            "rows": {r.name: r.ref for r in rows if r.where in (CASE, f"item-{index}")},
        }

    def addable(self, report: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
        """The facts a reviewer may add: those the checklists read first, then every other one."""
        vocab = self.ruleset.vocabulary.facts
        read = {f["name"] for item in report["items"] for c in item["criteria"] for f in c["facts"]}
        settable = sorted((f for f in vocab.values() if not f.derived), key=lambda f: f.label)
        return {
            "read": [(f.name, f.label) for f in settable if f.name in read],
            "other": [(f.name, f.label) for f in settable if f.name not in read],
        }


def basis_inputs(source: Any) -> dict[str, str]:
    """A derived fact's inputs as the library states them ('quantity=60; doses_per_day=2.0'), or {}."""
    if not isinstance(source, str) or not source:
        return {}
    found = {}
    for part in source.split("; "):
        key, sep, value = part.partition("=")
        if not sep or not key.isidentifier():
            return {}
        found[key] = value
    return found


def _extraction(case: dict[str, Any]) -> dict[str, Any]:
    extraction = case.get("extraction")
    return extraction if isinstance(extraction, dict) else {}


def _value_at(case: dict[str, Any], what: str) -> Any:
    if what == "diagnoses":
        return case.get("diagnoses")
    head, _, key = what.partition(".")
    holder = case.get(head)
    return holder.get(key) if isinstance(holder, dict) else None
