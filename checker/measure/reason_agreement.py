"""Does the draft name the same deciding criterion as the IMR letter's rationale, and name it first?

A hand-read key (tests/imr/deciding.yaml, schema mtus-deciding-key/1) gives, for a sample of imported
letter items, the letter's decision and the criterion ids that encode its deciding reason. For each
key item the imported case is checked and its report read: the reasons the draft's rationale names
(report item `reasons`, in the order it names them) and every criterion that decided (`decisive`).
The item agrees when the decisions agree and the first reason the draft names is one of the key's
criteria. Nothing is read from rendered text: the templates print the report's reasons (a test in
tests/test_deciding.py holds them to that)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.base.errors import InputError
from checker.base.outcomes import LETTER_DECISIONS
from checker.base.yamlio import load_yaml
from checker.load.ruleset import RuleSet

KEY_SCHEMA = "mtus-deciding-key/1"
DECISIONS = LETTER_DECISIONS
_ITEM_FIELDS = {"case", "item", "decision", "reason", "criteria", "missing"}

# Outcome categories, in the order they are tested.
AGREES = "agrees"
NO_CRITERION = "no_criterion_encodes_reason"
DECISION_DIFFERS = "decision_differs"
LATER_REASON = "same_decision_key_criterion_not_first"
OTHER_CRITERION = "same_decision_other_criterion"
NOT_IMPORTED = "item_not_imported"


@dataclass(frozen=True)
class KeyItem:
    case: str
    item: str
    decision: str
    reason: str
    criteria: tuple[str, ...]
    missing: str


@dataclass(frozen=True)
class ItemOutcome:
    key: KeyItem
    decision: str | None  # the tool's decision; None when the case or item was not imported
    reasons: tuple[str, ...]  # criterion ids the rationale names, in order
    decisive: tuple[str, ...]  # every criterion that decided, in order (with [subject] for compound ingredients)
    matched: tuple[str, ...]  # key criteria among the decisive ones
    category: str


def load_key(path: Path) -> list[KeyItem]:
    """The key's items; InputError naming the field for anything malformed."""
    data = load_yaml(Path(path), "deciding key")
    where = str(path)
    if not isinstance(data, dict) or data.get("schema") != KEY_SCHEMA:
        raise InputError(where, "schema", f"not a {KEY_SCHEMA} file", f"start the file with 'schema: {KEY_SCHEMA}'")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise InputError(where, "items", "missing or empty", "list the sampled items under 'items:'")
    items = [_key_item(raw, where, f"items[{n}]") for n, raw in enumerate(raw_items)]
    seen: set[tuple[str, str]] = set()
    for n, item in enumerate(items):
        if (item.case, item.item) in seen:
            raise InputError(where, f"items[{n}]", f"{item.case} / {item.item} is listed twice", "keep one entry per item")
        seen.add((item.case, item.item))
    if "sample_size" in data and data["sample_size"] != len(items):
        raise InputError(where, "sample_size", f"says {data['sample_size']} but {len(items)} items are listed", "make sample_size the number of items")
    return items


def _key_item(raw: Any, where: str, field: str) -> KeyItem:
    if not isinstance(raw, dict):
        raise InputError(where, field, "not a mapping", "give case, item, decision, reason and criteria")
    unknown = sorted(set(raw) - _ITEM_FIELDS)
    if unknown:
        raise InputError(where, f"{field}.{unknown[0]}", "unknown field", f"use only {', '.join(sorted(_ITEM_FIELDS))}")
    for name in ("case", "item", "reason"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise InputError(where, f"{field}.{name}", "missing or not text", f"give the {name}")
    if raw.get("decision") not in DECISIONS:
        raise InputError(where, f"{field}.decision", f"{raw.get('decision')!r} is not a letter decision", f"use one of {', '.join(DECISIONS)}")
    criteria = raw.get("criteria")
    if not isinstance(criteria, list) or not all(isinstance(c, str) and c for c in criteria):
        raise InputError(where, f"{field}.criteria", "not a list of criterion ids", "list criterion ids, or [] with missing: when none encodes the reason")
    missing = raw.get("missing", "")
    if not criteria and not (isinstance(missing, str) and missing.strip()):
        raise InputError(where, f"{field}.missing", "criteria is empty and missing: is not given", "say what criterion would encode the reason")
    if criteria and missing:
        raise InputError(where, f"{field}.missing", "given although criteria are listed", "drop missing:, or empty criteria")
    return KeyItem(raw["case"], raw["item"], raw["decision"], raw["reason"], tuple(criteria), missing or "")


def unknown_criteria(key: list[KeyItem], ruleset: RuleSet) -> list[tuple[KeyItem, str]]:
    """Key criterion ids that no rule topic defines."""
    known = {criterion.id for _, _, criterion in ruleset.criteria()}
    return [(item, cid) for item in key for cid in item.criteria if cid not in known]


def measure(key: list[KeyItem], imported: Path, rules_dir: Path | None = None) -> list[ItemOutcome]:
    """Check every key item's imported case and compare the reasons its draft names with the key's."""
    from checker.api import Checker

    checker = Checker(rules_dir)
    unknown = unknown_criteria(key, checker.ruleset)
    if unknown:
        item, cid = unknown[0]
        raise InputError(f"{item.case} / {item.item}", "criteria", f"unknown criterion id {cid}", "name a criterion id of rules/topics/*.yaml")
    reports: dict[str, dict[str, Any]] = {}
    outcomes = []
    for entry in key:
        path = Path(imported) / f"{entry.case}.yaml"
        if entry.case not in reports and path.is_file():
            reports[entry.case] = checker.check(path).report
        outcomes.append(outcome(entry, reports[entry.case]) if entry.case in reports else _not_imported(entry))
    return outcomes


def _not_imported(entry: KeyItem) -> ItemOutcome:
    return ItemOutcome(entry, None, (), (), (), NOT_IMPORTED)


def outcome(entry: KeyItem, report: dict[str, Any]) -> ItemOutcome:
    """How the report's item compares with the key entry."""
    item = next((it for it in report["items"] if it["id"] == entry.item), None)
    if item is None:
        return _not_imported(entry)
    reasons = tuple(r["id"] for r in item["reasons"])
    decisive = tuple(item["decisive"])
    decisive_ids = {d.split("[", 1)[0] for d in decisive}
    matched = tuple(c for c in entry.criteria if c in decisive_ids)
    return ItemOutcome(entry, item["decision"], reasons, decisive, matched, _category(entry, item["decision"], reasons, matched))


def _category(entry: KeyItem, decision: str, reasons: tuple[str, ...], matched: tuple[str, ...]) -> str:
    if decision != entry.decision:
        return DECISION_DIFFERS
    if not entry.criteria:
        return NO_CRITERION
    if reasons and reasons[0] in entry.criteria:
        return AGREES
    return LATER_REASON if matched else OTHER_CRITERION


def rate(outcomes: list[ItemOutcome]) -> tuple[int, int]:
    """(items whose draft names the letter's deciding criterion first, items whose decisions agree).
    An item whose reason no criterion encodes counts as not agreeing."""
    same = [o for o in outcomes if o.category not in (DECISION_DIFFERS, NOT_IMPORTED)]
    return sum(o.category == AGREES for o in same), len(same)


def rate_where_encoded(outcomes: list[ItemOutcome]) -> tuple[int, int]:
    """The same, leaving out the items whose reason no criterion encodes."""
    same = [o for o in outcomes if o.category not in (DECISION_DIFFERS, NOT_IMPORTED, NO_CRITERION)]
    return sum(o.category == AGREES for o in same), len(same)


def distinct(ids: tuple[str, ...]) -> int:
    """Criterion ids counted once over the ingredients of a compounded product."""
    return len({i.split("[", 1)[0] for i in ids})
