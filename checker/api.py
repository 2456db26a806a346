"""The library entry point: load rules once, then check cases."""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from checker.base.records import dataclass
from checker.evaluate.evaluate import Evaluator, evaluate_case
from checker.evaluate.results import ItemResult
from checker.load.cache import load_compiled_rules
from checker.load.case import Case, load_case
from checker.load.compiler import Program
from checker.load.ruleset import RuleSet, default_rules_dir
from checker.report.report import case_report

ENGINES = ("durable", "reference")


@dataclass
class CheckResult:
    """One case checked: the case, each item's decision with its criteria, and the report."""

    case: Case
    items: list[ItemResult]
    report: dict[str, Any]


class Checker:
    """A rule set compiled once, with one evaluator, used for any number of cases.

    extra_dirs: site rule folders added to the rules (--rules-extra; see checker.load.ruleset.add_rule_folder).
    registration: "all" registers every engine rule when the first case is evaluated (many cases);
    "on_demand" registers only the rule editions the case needs (one case: start-up does not grow
    with the size of the rule set); "by_edition" gives each edition an engine rule set of its own,
    registered when first needed (a regression run). The results are the same.
    """

    def __init__(self, rules_dir: Path | None = None, engine: str = "durable", registration: str = "all", extra_dirs: Sequence[Path] = ()) -> None:
        self.ruleset: RuleSet
        self.program: Program
        directory = Path(rules_dir) if rules_dir else default_rules_dir()
        self.ruleset, self.program = load_compiled_rules(directory, tuple(Path(d) for d in extra_dirs))
        self.engine = engine
        self.registration = registration
        self._evaluator: Evaluator | None = None

    @classmethod
    def from_state(cls, state: bytes) -> Checker:
        """A Checker rebuilt from `state()` (a worker process gets its rules this way, not from disk)."""
        checker = cls.__new__(cls)
        checker.ruleset, checker.program, checker.engine, checker.registration = pickle.loads(state)  # noqa: S301 - from our own parent process
        checker._evaluator = None
        return checker

    def state(self) -> bytes:
        return pickle.dumps((self.ruleset, self.program, self.engine, self.registration), protocol=pickle.HIGHEST_PROTOCOL)

    @property
    def evaluator(self) -> Evaluator:
        if self._evaluator is None:
            self._evaluator = make_evaluator(self.program, self.engine, self.registration)
        return self._evaluator

    def load(self, path: Path) -> Case:
        return load_case(path, self.ruleset)

    def decide_case(self, case: Case, as_of: dt.date | None = None, details: bool = True, ordered: bool = True) -> list[ItemResult]:
        """Every requested item with its criteria and decision; details=False leaves out the facts
        and tests each criterion read (statuses and decisions are the same); ordered=False ranks the
        deciding criteria only where their order orders their citations (checker.decide.decide)."""
        day = as_of or case.request_date
        return evaluate_case(self.ruleset, self.program, self.evaluator, case, day, details, ordered)

    def check_case(self, case: Case, as_of: dt.date | None = None) -> CheckResult:
        day = as_of or case.request_date
        items = self.decide_case(case, day)
        return CheckResult(case, items, case_report(self.ruleset, case, items, day, self.evaluator.engine_name))

    def check(self, path: Path, as_of: dt.date | None = None) -> CheckResult:
        return self.check_case(self.load(path), as_of)


def make_evaluator(program: Program, engine: str, registration: str = "all") -> Evaluator:
    if engine == "reference":
        from checker.evaluate.reference import ReferenceEvaluator

        return ReferenceEvaluator(program)
    from checker.evaluate.engine import DurableEvaluator

    return DurableEvaluator(program, registration)
