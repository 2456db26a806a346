"""`mtus rules lint`: every defect of a rule set, so a rule that cannot be trusted never runs.

Each check is a module of checker/lint/checks/, found there by name: its ID, TITLE, check(ruleset)
and its docstring, the documentation `mtus rules lint --explain ID` prints. The modules beside this
one are what several checks share: the defect and where it points (defect), the periods in force
(periods), how a test may compare a fact (comparisons), and whether conditions can hold (logic);
and what lint reports after "ok:", not a defect (reach: decisive criteria only a reviewer can decide).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from checker.base.errors import InputError
from checker.lint import checks as _checks
from checker.lint.defect import Defect
from checker.lint.reach import Unextractable, unextractable
from checker.load.ruleset import RuleSet

__all__ = ["CHECKS", "Check", "Defect", "Unextractable", "lint", "require_clean", "unextractable"]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    documentation: str  # the module's docstring: what the check refuses and why, a passing and a failing example
    check: Callable[[RuleSet], list[Defect]]

    @property
    def description(self) -> str:
        """The documentation without its examples."""
        return self.documentation.split("\nPasses", 1)[0].strip()


def _find_checks() -> dict[str, Check]:
    found = {}
    for name in sorted(info.name for info in pkgutil.iter_modules(_checks.__path__)):
        module = importlib.import_module(f"{_checks.__name__}.{name}")
        found[module.ID] = Check(module.ID, module.TITLE, inspect.cleandoc(module.__doc__ or ""), module.check)
    return found


CHECKS: dict[str, Check] = _find_checks()  # by ID, in the order of their modules' names


def lint(ruleset: RuleSet) -> list[Defect]:
    """Every defect every check finds, each once, sorted by file, field, problem and fix."""
    return sorted({defect for check in CHECKS.values() for defect in check.check(ruleset)})


def require_clean(ruleset: RuleSet) -> None:
    """Refuse to evaluate with a rule set that has defects; the first one is the error."""
    defects = lint(ruleset)
    if defects:
        first = defects[0]
        more = f" (and {len(defects) - 1} more; run 'mtus rules lint')" if len(defects) > 1 else ""
        raise InputError(first.path, first.field, first.problem + more, first.fix)
