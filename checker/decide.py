"""From criterion statuses to the item decision, by the logic each rule edition states."""

from __future__ import annotations

from checker.evaluate import CriterionResult, ItemResult

MEDICALLY_NECESSARY = "medically_necessary"
NOT_MEDICALLY_NECESSARY = "not_medically_necessary"
NO_APPLICABLE_RULE = "no_applicable_rule"
_SKIP = "skip"


def decide(item: ItemResult) -> ItemResult:
    if item.edition is None:
        item.decision = NO_APPLICABLE_RULE
        return item
    by_id = {r.criterion.id: r for r in item.criteria}
    holds = _tree_value(item.edition.decision, by_id)
    item.decision = MEDICALLY_NECESSARY if holds in (True, _SKIP) else NOT_MEDICALLY_NECESSARY
    wanted = ("met",) if item.decision == MEDICALLY_NECESSARY else ("not_met", "not_documented")
    item.decisive = [r for r in item.criteria if r.status in wanted]
    return item


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
