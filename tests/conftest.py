"""Shared pytest fixtures: the repository rule set, compiled once, and one evaluator per engine.

durable_rules registers the compiled rule set in a host when the evaluator is created, so the
DurableEvaluator is built once per test session and reused by every test that asks for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.evaluate.engine import DurableEvaluator
from checker.evaluate.reference import ReferenceEvaluator
from checker.load.compiler import Program, compile_program
from checker.load.ruleset import RuleSet, load_ruleset

REPO_ROOT = Path(__file__).resolve().parent.parent
REPO_RULES_DIR = REPO_ROOT / "rules"


@pytest.fixture(scope="session")
def repo_ruleset() -> RuleSet:
    """The rule set in the repository's rules/ directory."""
    return load_ruleset(REPO_RULES_DIR)


@pytest.fixture(scope="session")
def repo_program(repo_ruleset: RuleSet) -> Program:
    """repo_ruleset compiled once for the whole session."""
    return compile_program(repo_ruleset)


@pytest.fixture(scope="session")
def durable_evaluator(repo_program: Program) -> DurableEvaluator:
    """The durable_rules evaluator of repo_program: one per process, reuse it."""
    return DurableEvaluator(repo_program)


@pytest.fixture(scope="session")
def reference_evaluator(repo_program: Program) -> ReferenceEvaluator:
    """The plain-Python evaluator of repo_program."""
    return ReferenceEvaluator(repo_program)


@pytest.fixture
def templates_from_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """The packaged templates read from their sources (and Jinja's bytecode cache), not from the
    modules compiled ahead (checker/render/ahead.py): for the tests of those paths."""
    from checker.render import ahead

    monkeypatch.setattr(ahead, "compiled_keys", dict)
