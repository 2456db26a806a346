"""From criterion statuses to the item decision, by the logic each rule edition states.

An item is evaluated in one or more units (see checker.evaluate.Unit): its own topic, each ingredient
of a compounded product, and the associated-services gate. It is medically necessary only when every
unit with a rule is; a unit without a rule makes it no_applicable_rule unless another unit already
denies it (a compound with one ingredient that is not recommended is not recommended)."""

from __future__ import annotations

from checker.evaluate import CriterionResult, ItemResult, Unit

MEDICALLY_NECESSARY = "medically_necessary"
NOT_MEDICALLY_NECESSARY = "not_medically_necessary"
NO_APPLICABLE_RULE = "no_applicable_rule"
_SKIP = "skip"
_NO_RULE = "no_rule"


def decide(item: ItemResult) -> ItemResult:
    values = [_unit_value(u) for u in item.units]
    if False in values or None in values:
        item.decision = NOT_MEDICALLY_NECESSARY
    elif _NO_RULE in values:
        item.decision = NO_APPLICABLE_RULE
    else:
        item.decision = MEDICALLY_NECESSARY
    wanted = {MEDICALLY_NECESSARY: ("met",), NOT_MEDICALLY_NECESSARY: ("not_met", "not_documented")}.get(item.decision, ())
    item.decisive = [r for r in item.criteria if r.status in wanted]
    return item


def _unit_value(unit: Unit) -> object:
    if unit.edition is None:
        return _NO_RULE
    by_id = {r.criterion.id: r for r in unit.criteria}
    holds = _tree_value(unit.edition.decision, by_id)
    return True if holds == _SKIP else holds


def _tree_value(tree: object, by_id: dict[str, CriterionResult]) -> object:
    """met -> True, not_met -> False, not_documented -> None (unknown), not_applicable -> skipped."""
    if isinstance(tree, str):
        return {"met": True, "not_met": False, "not_documented": None, "not_applicable": _SKIP}[by_id[tree].status]
    kind, parts = tree
    values = [v for v in (_tree_value(p, by_id) for p in parts) if v != _SKIP]
    if not values:
        return _SKIP
    if kind == "all":
        return False if False in values else (None if None in values else True)
    return True if True in values else (None if None in values else False)
