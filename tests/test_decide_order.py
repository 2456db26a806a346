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


def test_the_finding_a_service_is_for_comes_before_the_wait_and_the_care_so_far():
    """'After a month of conservative care, to confirm neurological findings': with none of it
    documented, the missing finding is named first, then the failed care it is needed together with
    (though the records say care was given), then the month not yet passed. With the finding shown,
    the wait stays the first reason (nothing else decides before it)."""
    finding = _criterion("neuro_findings", "indication", ("test", "neurologic_deficit", "eq", True))
    failed_care = _criterion(
        "failed_care", "indication",
        ("all", (("test", "conservative_care_given", "eq", True), ("test", "conservative_care_failed", "eq", True))),
    )
    wait = _criterion("first_month", "limit", ("test", "months_since_injury", "gte", 1))
    tree = ("all", ("demo.neuro_findings", "demo.failed_care"))
    facts = {"conservative_care_given": FactValue(True, "extracted")}
    item = _item(tree, [(finding, "not_documented"), (failed_care, "not_documented"), (wait, "not_met")], facts)
    assert _order(item) == ["neuro_findings", "failed_care", "first_month"]

    shown = _item(tree, [(finding, "met"), (failed_care, "not_documented"), (wait, "not_met")], facts)
    assert _order(shown) == ["first_month", "failed_care"]


def test_failed_care_on_its_own_route_keeps_its_place_among_alternatives():
    """The finding-first order holds among indications needed together; failed care that is an
    alternative way on its own (neither needs the other) is ordered as before (the records speak to it)."""
    sign = _criterion("warning_sign", "indication", SERIOUS_SIGN)
    failed_care = _criterion(
        "failed_care", "indication",
        ("all", (("test", "conservative_care_given", "eq", True), ("test", "conservative_care_failed", "eq", True))),
    )
    results = [(sign, "not_documented"), (failed_care, "not_documented")]
    facts = {"conservative_care_given": FactValue(True, "extracted")}
    alternatives = _item(("any", ("demo.warning_sign", "demo.failed_care")), results, facts)
    assert _order(alternatives) == ["failed_care", "warning_sign"]
    together = _item(("all", ("demo.warning_sign", "demo.failed_care")), results, facts)
    assert _order(together) == ["warning_sign", "failed_care"]


def test_a_phase_the_guideline_does_not_recommend_stays_first():
    """'Not recommended for chronic pain' reads the phase of care, which names the kind of pain, not a
    wait: it is a limit shown exceeded and is named first."""
    chronic = _criterion("not_chronic", "limit", ("test", "phase_of_care", "in", ["acute", "subacute"]))
    finding = _criterion("headache", "indication", ("test", "tension_headache", "eq", True))
    item = _item("demo.headache", [(finding, "not_documented"), (chronic, "not_met")], {})
    assert _order(item) == ["not_chronic", "headache"]


def test_what_a_continued_treatment_achieved_comes_before_how_it_is_monitored():
    """To continue a drug already taken, the missing benefit is named before a second prescriber; for
    a drug the records do not show taken, the prescriber limit stays first."""
    benefit = _criterion(
        "benefit", "indication", ("test", "functional_improvement", "eq", True),
        applies_when=("test", "weeks_of_use_at_least", "gt", 0),
    )
    prescriber = _criterion("one_prescriber", "limit", ("test", "single_prescriber", "eq", True))
    results = [(benefit, "not_documented"), (prescriber, "not_met")]
    in_use = _item("demo.benefit", results, {"weeks_of_use_at_least": FactValue(38, "derived")})
    assert _order(in_use) == ["benefit", "one_prescriber"]
    unknown_use = _item("demo.benefit", results, {})
    assert _order(unknown_use) == ["one_prescriber", "benefit"]


def test_a_compounding_kit_is_judged_first_by_the_drug_it_carries():
    """A kit judged as its drug and the compounded preparation: the drug's criteria come first, even
    when the preparation's single criterion is closer to met than the drug's several."""
    import dataclasses

    from checker.load.ruleset import Topic

    drug_a = _criterion("first_line_failed", "indication", ("test", "first_line_analgesic_failed", "eq", True))
    drug_b = _criterion("relief", "indication", ("test", "pain_relief", "eq", True))
    form = _criterion("form_unsuitable", "indication", ("test", "commercial_form_unsuitable", "eq", True))

    def unit(subject: str, classes: tuple[str, ...], tree: object, results: list[tuple[Criterion, str]]) -> Unit:
        criteria = tuple(c for c, _ in results)
        edition = Edition("demo@1", "1", dt.date(2000, 1, 1), None, criteria, tree, "none", "demo.yaml")
        topic = Topic(f"demo_{subject}", subject, (), classes, (), (), None, (), (edition,), "demo.yaml")  # type: ignore[arg-type]
        return Unit("ingredient", subject, topic, edition, "", {}, criteria=[CriterionResult(c, s, (), ()) for c, s in results])

    drug = unit("drug", ("opioid",), ("all", ("demo.first_line_failed", "demo.relief")), [(drug_a, "not_documented"), (drug_b, "not_documented")])
    vehicle = unit("compounded preparation", ("compounded_preparation",), "demo.form_unsuitable", [(form, "not_documented")])
    item = decide(ItemResult(request=None, units=[drug, vehicle]))  # type: ignore[arg-type]
    assert _order(item) == ["first_line_failed", "relief", "form_unsuitable"]
    plain = dataclasses.replace(vehicle, topic=dataclasses.replace(vehicle.topic, drug_classes=("other",)))
    item = decide(ItemResult(request=None, units=[drug, plain]))  # type: ignore[arg-type]
    assert _order(item)[0] == "form_unsuitable"


def test_a_denying_gate_of_associated_services_is_named_before_the_items_own_limit():
    """Therapy after a surgery that is not medically necessary follows no surgery: the gate's reason
    comes before the therapy's own limit exceeded; with the surgery approved, the limit is the reason."""
    visits = _criterion("visits_within_course", "limit", ("test", "visits", "lte", 12))
    deficits = _criterion("measured_deficits", "indication", ("test", "deficits", "eq", True))
    gate = _criterion("surgery_necessary", "indication", ("test", "surgery_ok", "eq", True))

    def item(gate_status: str) -> ItemResult:
        own = Edition("demo@1", "1", dt.date(2000, 1, 1), None, (visits, deficits), "demo.measured_deficits", "none", "demo.yaml")
        gated = Edition("gate@1", "1", dt.date(2000, 1, 1), None, (gate,), "demo.surgery_necessary", "none", "demo.yaml")
        units = [
            Unit("item", "", None, own, "", {}, criteria=[CriterionResult(visits, "not_met", (), ()), CriterionResult(deficits, "met", (), ())]),
            Unit("gate", "", None, gated, "", {}, criteria=[CriterionResult(gate, gate_status, (), ())]),
        ]
        return decide(ItemResult(request=None, units=units))  # type: ignore[arg-type]

    assert _order(item("not_met")) == ["surgery_necessary", "visits_within_course"]
    assert _order(item("met")) == ["visits_within_course"]


def test_an_approval_rests_on_the_route_the_records_meet():
    """Surgery after failed care, or at once for an acute lesion: with the acute lesion documented and
    the failed-care route incomplete (the lesion's imaging not documented), the approval rests on the
    acute lesion alone; the care given, met on a route the records do not complete, is not a reason.
    When both routes are met, both are."""
    imaging = _criterion("imaging", "indication", ("test", "imaging_corroborates", "eq", True))
    care = _criterion("failed_care", "indication", ("test", "conservative_care_failed", "eq", True))
    acute = _criterion("acute_lesion", "indication", ("test", "acute_surgical_lesion", "eq", True))
    tree = ("any", (("all", ("demo.imaging", "demo.failed_care")), "demo.acute_lesion"))
    item = _item(tree, [(imaging, "not_documented"), (care, "met"), (acute, "met")], {})
    assert item.decision == "medically_necessary" and _order(item) == ["acute_lesion"]
    item = _item(tree, [(imaging, "met"), (care, "met"), (acute, "met")], {})
    assert item.decision == "medically_necessary" and set(_order(item)) == {"imaging", "failed_care", "acute_lesion"}
