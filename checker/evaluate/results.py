"""What evaluating a case gives, and what deciding completes: each criterion's status with the facts
and tests it read, per unit of an item (its own topic, an ingredient, the associated-services gate).
checker/evaluate/evaluate.py fills them in, checker/decide/decide.py sets the item's decision, checker/report/report.py reads them."""

from __future__ import annotations

from dataclasses import field

from checker.base.outcomes import NOT_APPLICABLE, STATUSES  # noqa: F401 - the statuses a CriterionResult holds
from checker.base.records import dataclass
from checker.load.case import FactValue, Request
from checker.load.ruleset import Citation, Criterion, Edition, Topic


@dataclass(frozen=True)
class FactRead:
    """A fact a criterion read: its value (None when the records are silent) and where it came from."""

    name: str
    label: str
    unit: str
    value: object  # None when the records are silent
    origin: str
    source: str


@dataclass(frozen=True)
class TestRead:
    """One test of a criterion: the fact, the comparison, the value expected and found, and whether it held."""

    fact: str
    op: str
    expected: object
    actual: object
    holds: bool | None


@dataclass(frozen=True)
class CriterionResult:
    """A criterion's status for an item, with the facts and tests that settled it (or left it undecided)."""

    criterion: Criterion
    status: str
    facts: tuple[FactRead, ...]
    tests: tuple[TestRead, ...]
    unknown: tuple[str, ...] = ()  # undocumented facts that leave the criterion undecided
    subject: str = ""  # the ingredient of a compounded product the criterion was applied to
    unknown_groups: tuple[tuple[str, ...], ...] = ()  # `unknown` as alternatives: any one of a group would decide


_new_object = object.__new__


def criterion_status(criterion: Criterion, status: str, subject: str = "") -> CriterionResult:
    """CriterionResult(criterion, status, (), (), subject=subject), its fields written into its __dict__
    in their order rather than by the frozen dataclass's __init__, which sets each through
    object.__setattr__: the same object (equal, the same fields in the same order, pickled alike:
    tests/test_speed.py). A regression run makes one for every criterion of every item."""
    result = _new_object(CriterionResult)
    fields = result.__dict__
    fields["criterion"] = criterion
    fields["status"] = status
    fields["facts"] = ()
    fields["tests"] = ()
    fields["unknown"] = ()
    fields["subject"] = subject
    fields["unknown_groups"] = ()
    return result


@dataclass
class Unit:
    """One evaluation of an item under one topic edition: the item itself, one ingredient of a
    compounded product, or the associated-services gate of a pre- or post-operative item."""
    role: str  # "item", "ingredient" or "gate"
    subject: str  # the ingredient's generic name; "" otherwise
    topic: Topic | None
    edition: Edition | None
    no_rule_reason: str  # "", "no_topic", "no_edition_in_force" or "edition_undetermined"
    facts: dict[str, FactValue]
    undetermined_by: tuple[str, ...] = ()  # undocumented facts that would pick the edition
    criteria: list[CriterionResult] = field(default_factory=list)


@dataclass
class ItemResult:
    """A requested item decided: its units, the decision, the criteria that decided and those to follow up."""

    request: Request
    units: list[Unit]
    decision: str = ""
    decisive: list[CriterionResult] = field(default_factory=list)
    follow_up: list[CriterionResult] = field(default_factory=list)  # documentation to request that did not decide

    @property
    def main(self) -> Unit:
        """The unit the item is reported under: its own topic, or the first ingredient with a rule."""
        own = [u for u in self.units if u.role != "gate"]
        return next((u for u in own if u.edition is not None), own[0])

    @property
    def topic(self) -> Topic | None:
        return self.main.topic

    @property
    def edition(self) -> Edition | None:
        return self.main.edition

    @property
    def deciding_topic(self) -> Topic | None:
        """The item's own topic, or the associated-services gate when only the gate has a rule."""
        topic = self.main.topic
        if topic is not None:
            return topic
        return next((u.topic for u in self.units if u.role == "gate" and u.edition is not None), None)

    @property
    def no_rule_reason(self) -> str:
        return self.main.no_rule_reason

    @property
    def facts(self) -> dict[str, FactValue]:
        return self.main.facts

    @property
    def criteria(self) -> list[CriterionResult]:
        return [c for u in self.units for c in u.criteria]

    @property
    def citations(self) -> list[Citation]:
        """The guideline the decision rests on: the citations of the criteria that decided. An item
        decided only by a criterion no guideline states (the associated-services gate: a surgery's
        items follow the surgery) rests on its own topic's guideline as well, as reviewers cite it:
        the citations of its criteria that applied."""
        cited = [r.criterion.citation for r in self.decisive if r.criterion.citation]
        if cited or not self.decisive:
            return cited
        return [r.criterion.citation for r in self.main.criteria if r.criterion.citation and r.status != NOT_APPLICABLE]
