"""Which guideline an item's decision cites (ItemResult.citations), on small made-up topics.

The criteria that decided are cited. An item decided only by the associated-services gate (a
surgery's items follow the surgery, a principle no guideline states) cites its own topic's guideline
too, as reviewers do: the criteria of its topic that applied, never those that did not apply."""

from __future__ import annotations

import datetime as dt

from checker.decide.decide import decide
from checker.evaluate.results import CriterionResult, ItemResult, Unit
from checker.load.ruleset import Citation, Criterion, Edition

OWN_SECTION = Citation("demo_guideline", "2016", "Opioids after surgery")
OTHER_SECTION = Citation("demo_guideline", "2016", "Opioids for chronic pain")


def _criterion(cid: str, role: str, citation: Citation | None) -> Criterion:
    met_when = ("test", cid, "eq", True)
    return Criterion(
        id=f"demo.{cid}", title=cid, requirement=f"requirement of {cid}", citation=citation, met_when=met_when,
        not_met_when=("not", met_when), not_applicable_when=None, applies_when=None, path="demo.yaml", role=role,
    )


def _unit(role: str, tree: object, results: list[tuple[Criterion, str]]) -> Unit:
    criteria = tuple(c for c, _ in results)
    edition = Edition(f"{role}@1", "1", dt.date(2000, 1, 1), None, criteria, tree, "none", "demo.yaml")
    return Unit(role, "", None, edition, "", {}, criteria=[CriterionResult(c, s, (), ()) for c, s in results])


def _post_operative_item(gate_status: str, own_status: str) -> ItemResult:
    gate = _criterion("surgery_necessary", "limit", None)
    supply = _criterion("days_supply_within_limit", "limit", OWN_SECTION)
    chronic = _criterion("chronic_use_checks", "limit", OTHER_SECTION)
    own = _unit("item", None, [(supply, own_status), (chronic, "not_applicable")])
    gated = _unit("gate", None, [(gate, gate_status)])
    return decide(ItemResult(request=None, units=[own, gated]))  # type: ignore[arg-type]


def test_an_item_the_gate_alone_decides_cites_its_own_topics_guideline():
    """A post-operative drug whose days' supply is not stated: the supply is documentation to request,
    so the approval rests on the surgery alone, and cites the drug's own section beside it."""
    item = _post_operative_item(gate_status="met", own_status="not_documented")
    assert item.decision == "medically_necessary"
    assert [r.criterion.id for r in item.decisive] == ["demo.surgery_necessary"]
    assert item.citations == [OWN_SECTION]


def test_a_denial_on_the_gate_cites_the_guideline_of_the_criteria_that_applied():
    item = _post_operative_item(gate_status="not_met", own_status="met")
    assert item.decision == "not_medically_necessary"
    assert [r.criterion.id for r in item.decisive] == ["demo.surgery_necessary"]
    assert item.citations == [OWN_SECTION]


def test_an_item_whose_deciding_criteria_cite_a_guideline_cites_only_those():
    indication = _criterion("indication", "indication", OTHER_SECTION)
    item = decide(ItemResult(request=None, units=[_unit("item", "demo.indication", [(indication, "met")])]))  # type: ignore[arg-type]
    assert item.decision == "medically_necessary" and item.citations == [OTHER_SECTION]
