"""Does the draft name the same deciding criterion as the IMR letter's rationale?

A hand-read key (tests/imr/deciding.yaml, schema mtus-deciding-key/1) gives, for a sample of imported
letter items, the letter's decision and the criterion ids that encode its deciding reason. For each
key item the imported case is drafted; the item agrees when (a) one of the key's criteria is among
the draft's decisive criteria and (b) the rendered text draft prints that criterion's requirement in
the item's rationale."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.errors import InputError
from checker.rules import RuleSet
from checker.yamlio import load_yaml

KEY_SCHEMA = "mtus-deciding-key/1"
DECISIONS = ("medically_necessary", "not_medically_necessary")
_ITEM_FIELDS = {"case", "item", "decision", "reason", "criteria", "missing"}

# Outcome categories, in the order they are tested.
AGREES = "agrees"
NO_CRITERION = "no_criterion_encodes_reason"
DECISION_DIFFERS = "decision_differs"
OTHER_CRITERION = "same_decision_other_criterion"
WORDING_ABSENT = "criterion_decisive_wording_absent"
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
    decisive: tuple[str, ...]  # criterion ids (with [subject] for compound ingredients)
    matched: tuple[str, ...]  # key criteria among the decisive ones
    worded: tuple[str, ...]  # matched criteria whose requirement the draft prints for the item
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
    """Draft every key item's imported case and compare its deciding criteria with the key's."""
    from checker.api import Checker
    from checker.render import render

    checker = Checker(rules_dir)
    unknown = unknown_criteria(key, checker.ruleset)
    if unknown:
        item, cid = unknown[0]
        raise InputError(f"{item.case} / {item.item}", "criteria", f"unknown criterion id {cid}", "name a criterion id of rules/topics/*.yaml")
    drafts: dict[str, tuple[dict[str, Any], str]] = {}
    outcomes = []
    for entry in key:
        path = Path(imported) / f"{entry.case}.yaml"
        if entry.case not in drafts and path.is_file():
            report = checker.check(path).report
            drafts[entry.case] = (report, render("draft", "text", {"report": report}))
        outcomes.append(_outcome(entry, *drafts[entry.case]) if entry.case in drafts else _not_imported(entry))
    return outcomes


def _not_imported(entry: KeyItem) -> ItemOutcome:
    return ItemOutcome(entry, None, (), (), (), NOT_IMPORTED)


def _outcome(entry: KeyItem, report: dict[str, Any], text: str) -> ItemOutcome:
    items = report["items"]
    index = next((n for n, it in enumerate(items) if it["id"] == entry.item), None)
    if index is None:
        return _not_imported(entry)
    item = items[index]
    decisive = tuple(item["decisive"])
    decisive_ids = {c["id"] for c in item["criteria"] if c["decisive"]}
    matched = tuple(c for c in entry.criteria if c in decisive_ids)
    block = item_block(text, items, index)
    requirements = {c["id"]: c["requirement"] for c in item["criteria"]}
    worded = tuple(c for c in matched if requirements[c] in block)
    return ItemOutcome(entry, item["decision"], decisive, matched, worded, _category(entry, item["decision"], matched, worded))


def _category(entry: KeyItem, decision: str, matched: tuple[str, ...], worded: tuple[str, ...]) -> str:
    if not entry.criteria:
        return NO_CRITERION
    if decision != entry.decision:
        return DECISION_DIFFERS
    if not matched:
        return OTHER_CRITERION
    return AGREES if worded else WORDING_ABSENT


def item_block(text: str, items: list[dict[str, Any]], index: int) -> str:
    """The part of a text draft about items[index]: from its numbered heading to the next item's.
    The whole text when the heading is not found (a template that numbers items differently)."""
    starts = []
    at = 0
    for n, it in enumerate(items, start=1):
        found = text.find(f"{n}. {it['request']}:", at)
        starts.append(found)
        if found >= 0:
            at = found + 1
    start = starts[index]
    if start < 0:
        return text
    later = [s for s in starts[index + 1:] if s > start]
    return text[start: later[0] if later else len(text)]


def only_key_criteria(outcome: ItemOutcome) -> bool:
    """An agreeing item whose draft gives no decisive criterion beyond the key's (the draft names
    every failed criterion, so most agreeing drafts give more reasons than the letter)."""
    ids = {d.split("[", 1)[0] for d in outcome.decisive}
    return outcome.category == AGREES and ids <= set(outcome.key.criteria)


def rate(outcomes: list[ItemOutcome]) -> tuple[int, int]:
    """(items whose draft names the letter's deciding criterion, sample size)."""
    return sum(o.category == AGREES for o in outcomes), len(outcomes)
