"""The library entry point: load rules once, then check cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.case import Case, load_case
from checker.compiler import Program, compile_program
from checker.decide import decide
from checker.evaluate import Evaluator, ItemResult, evaluate_case
from checker.lint import require_clean
from checker.report import case_report
from checker.rules import RuleSet, default_rules_dir, load_ruleset

ENGINES = ("durable", "reference")


@dataclass
class CheckResult:
    case: Case
    items: list[ItemResult]
    report: dict[str, Any]


class Checker:
    """A rule set compiled once, with one evaluator, used for any number of cases."""

    def __init__(self, rules_dir: Path | None = None, engine: str = "durable") -> None:
        self.ruleset: RuleSet = load_ruleset(Path(rules_dir) if rules_dir else default_rules_dir())
        require_clean(self.ruleset)
        self.program: Program = compile_program(self.ruleset)
        self.evaluator: Evaluator = make_evaluator(self.program, engine)

    def load(self, path: Path) -> Case:
        return load_case(Path(path), self.ruleset)

    def check_case(self, case: Case, as_of: dt.date | None = None) -> CheckResult:
        day = as_of or case.request_date
        items = [decide(item) for item in evaluate_case(self.ruleset, self.program, self.evaluator, case, day)]
        return CheckResult(case, items, case_report(self.ruleset, case, items, day, self.evaluator.engine_name))

    def check(self, path: Path, as_of: dt.date | None = None) -> CheckResult:
        return self.check_case(self.load(path), as_of)


def make_evaluator(program: Program, engine: str) -> Evaluator:
    if engine == "reference":
        from checker.reference import ReferenceEvaluator

        return ReferenceEvaluator(program)
    from checker.engine import DurableEvaluator

    return DurableEvaluator(program)
