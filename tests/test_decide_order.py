"""Which reason a rationale names first (checker.decide.decide.reason_order), on small made-up topics.

Each test builds one item with criteria of its own (ids and wording invented here) and checks the
order the principles give, and that the order turns when the fact the principle rests on changes."""

from __future__ import annotations

import datetime as dt

from checker.decide.decide import decide
from checker.evaluate.results import CriterionResult, ItemResult, Unit
from checker.load.case import FactValue
from checker.load.ruleset import Criterion, Edition

SERIOUS_SIGN = ("test", "warning_sign", "eq", True)


def _criterion(cid: str, role: str, met_when: tuple, applies_when: tuple | None = None, not_applicable_when: tuple | None = None) -> Criterion:
    return Criterion(
        id=f"demo.{cid}", title=cid, requirement=f"requirement of {cid}", citation=None, met_when=met_when,
        not_met_when=("not", met_when), not_applicable_when=not_applicable_when, applies_when=applies_when,
        path="demo.yaml", role=role,
    )


def _item(decision_tree: object, results: list[tuple[Criterion, str]], facts: dict[str, FactValue]) -> ItemResult:
    criteria = tuple(c for c, _ in results)
    edition = Edition("demo@1", "1", dt.date(2000, 1, 1), None, criteria, decision_tree, "none", "demo.yaml")
    unit = Unit("item", "", None, edition, "", facts, criteria=[CriterionResult(c, status, (), ()) for c, status in results])
    return decide(ItemResult(request=None, units=[unit]))  # type: ignore[arg-type]


def _order(item: ItemResult) -> list[str]:
    return [r.criterion.id.removeprefix("demo.") for r in item.decisive]


def test_a_limit_that_an_unmet_indication_would_lift_is_named_after_that_indication():
    """'Not within the first weeks without a warning sign': with no warning sign documented, the missing
    sign is the reason (it would lift the timing bar too); a bar no indication lifts stays first."""
    sign = _criterion("warning_sign", "indication", SERIOUS_SIGN)
    too_early = _criterion("too_early", "limit", ("test", "weeks_since_injury", "gte", 4), not_applicable_when=SERIOUS_SIGN)
    item = _item("demo.warning_sign", [(sign, "not_documented"), (too_early, "not_met")], {})
    assert item.decision == "not_medically_necessary"
    assert _order(item) == ["warning_sign", "too_early"]

    count = _criterion("visit_count", "limit", ("test", "visits_total", "lte", 10))
    item = _item("demo.warning_sign", [(sign, "not_documented"), (count, "not_met")], {})
    assert _order(item) == ["visit_count", "warning_sign"]


def test_benefit_of_a_treatment_comes_first_only_when_the_records_show_it_was_given():
    """A request to continue asks first what the drug already achieved; when the records do not say the
    drug was taken at all, the reason to start it comes first."""
    start = _criterion("first_line_failed", "indication", ("test", "first_line_analgesic_failed", "eq", True))
    benefit = _criterion(
        "benefit", "indication", ("test", "functional_improvement", "eq", True),
        applies_when=("test", "weeks_of_use_at_least", "gt", 0), not_applicable_when=("test", "weeks_of_use", "eq", 0),
    )
    tree = ("all", ("demo.first_line_failed", "demo.benefit"))
    results = [(start, "not_documented"), (benefit, "not_documented")]
    in_use = _item(tree, results, {"weeks_of_use_at_least": FactValue(12, "derived")})
    assert _order(in_use) == ["benefit", "first_line_failed"]
    unknown_use = _item(tree, results, {})
    assert _order(unknown_use) == ["first_line_failed", "benefit"]


def test_what_a_treatment_achieved_comes_after_the_reasons_to_start_it_when_the_records_show_no_use():
    """Even where the guideline lists the pain relief the drug gives before the trial's own condition,
    records that show neither use of the drug nor any outcome of it are asked first for the reason to
    start it; once they state an outcome of the drug (the relief it gives), it was taken, and the
    guideline's order stands."""
    relief = _criterion(
        "relief", "indication", ("test", "pain_relief", "eq", True),
        applies_when=("test", "weeks_of_use_at_least", "gt", 0), not_applicable_when=("test", "weeks_of_use", "eq", 0),
    )
    start = _criterion("first_line_failed", "indication", ("test", "first_line_analgesic_failed", "eq", True))
    tree = ("all", ("demo.relief", "demo.first_line_failed"))
    unknown_use = _item(tree, [(relief, "not_documented"), (start, "not_documented")], {})
    assert _order(unknown_use) == ["first_line_failed", "relief"]

    function = _criterion(
        "function", "indication", ("test", "functional_improvement", "eq", True),
        applies_when=("test", "weeks_of_use_at_least", "gt", 0), not_applicable_when=("test", "weeks_of_use", "eq", 0),
    )
    tree = ("all", ("demo.function", "demo.first_line_failed"))
    results = [(function, "not_documented"), (start, "not_documented")]
    assert _order(_item(tree, results, {})) == ["first_line_failed", "function"]
    outcome_stated = _item(tree, results, {"pain_relief": FactValue(True, "extracted")})
    assert _order(outcome_stated) == ["function", "first_line_failed"]


def test_of_equally_close_alternatives_the_one_the_records_speak_to_comes_first():
    """Two alternative ways to support the request, both undocumented: the records stating that care was
    given (its outcome not said) puts failed care before the warning sign they say nothing of; a derived
    fact (the phase of care) is not a statement of the records."""
    sign = _criterion("warning_sign", "indication", SERIOUS_SIGN)
    failed_care = _criterion(
        "failed_care", "indication",
        ("all", (("test", "conservative_care_given", "eq", True), ("test", "conservative_care_failed", "eq", True))),
    )
    tree = ("any", ("demo.warning_sign", "demo.failed_care"))
    results = [(sign, "not_documented"), (failed_care, "not_documented")]
    silent = _item(tree, results, {})
    assert _order(silent) == ["warning_sign", "failed_care"]
    stated = _item(tree, results, {"conservative_care_given": FactValue(True, "extracted")})
    assert _order(stated) == ["failed_care", "warning_sign"]
    derived = _item(tree, results, {"conservative_care_given": FactValue(True, "derived")})
    assert _order(derived) == ["warning_sign", "failed_care"]
