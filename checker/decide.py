"""From criterion statuses to the item decision, by the role each criterion plays in its guideline.

A unit (see checker.evaluate.Unit) is supported when its indications hold (the edition's indication
tree, three-valued: an undocumented indication leaves the request unsupported) and no limit is
documented as exceeded. Documentation criteria never decide; what they and undocumented limits
leave open is listed as documentation to request.

An item is evaluated in one or more units: its own topic, each ingredient of a compounded product,
and the associated-services gate. It is medically necessary only when every unit with a rule is; a
unit without a rule makes it no_applicable_rule unless another unit already denies it (a compound
with one ingredient that is not recommended is not recommended)."""

from __future__ import annotations

from checker.evaluate import CriterionResult, ItemResult, Unit

MEDICALLY_NECESSARY = "medically_necessary"
NOT_MEDICALLY_NECESSARY = "not_medically_necessary"
NO_APPLICABLE_RULE = "no_applicable_rule"
_SKIP = "skip"
_NO_RULE = "no_rule"
_VALUE = {"met": True, "not_met": False, "not_documented": None, "not_applicable": _SKIP}


def decide(item: ItemResult) -> ItemResult:
    values = [_unit_value(u) for u in item.units]
    if False in values or None in values:
        item.decision = NOT_MEDICALLY_NECESSARY
    elif _NO_RULE in values:
        item.decision = NO_APPLICABLE_RULE
    else:
        item.decision = MEDICALLY_NECESSARY
    item.decisive = [r for r in item.criteria if _decides(r, item.decision)]
    if item.decision == MEDICALLY_NECESSARY and not item.decisive:
        # No indication to show (a post-operative opioid: the request's timing is its indication), so
        # the approval rests on the limits shown to be kept.
        item.decisive = [r for r in item.criteria if r.criterion.role == "limit" and r.status == "met"]
    item.follow_up = [r for r in item.criteria if _left_open(r) and not _decides(r, item.decision)]
    return item


def _decides(result: CriterionResult, decision: str) -> bool:
    role, status = result.criterion.role, result.status
    if decision == MEDICALLY_NECESSARY:
        return role == "indication" and status == "met"
    if decision == NOT_MEDICALLY_NECESSARY:
        return (role == "indication" and status in ("not_met", "not_documented")) or (role == "limit" and status == "not_met")
    return False


def _left_open(result: CriterionResult) -> bool:
    """Documentation the reviewer would still ask for: a documentation criterion not shown met, or a
    limit the records leave undocumented."""
    role, status = result.criterion.role, result.status
    return (role == "documentation" and status in ("not_met", "not_documented")) or (role == "limit" and status == "not_documented")


def _unit_value(unit: Unit) -> object:
    if unit.edition is None:
        return _NO_RULE
    by_id = {r.criterion.id: r for r in unit.criteria}
    if any(r.criterion.role == "limit" and r.status == "not_met" for r in unit.criteria):
        return False
    if unit.edition.decision is None:
        return True
    holds = _tree_value(unit.edition.decision, by_id)
    return True if holds == _SKIP else holds


def _tree_value(tree: object, by_id: dict[str, CriterionResult]) -> object:
    """met -> True, not_met -> False, not_documented -> None (unknown), not_applicable -> skipped."""
    if isinstance(tree, str):
        return _VALUE[by_id[tree].status]
    kind, parts = tree
    values = [v for v in (_tree_value(p, by_id) for p in parts) if v != _SKIP]
    if not values:
        return _SKIP
    if kind == "all":
        return False if False in values else (None if None in values else True)
    return True if True in values else (None if None in values else False)
