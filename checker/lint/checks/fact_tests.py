"""Every test in a condition (`met_when`, `not_met_when`, `applies_when`, `not_applicable_when`, an
edition's `when:`) names a fact of the vocabulary (facts.yaml, facts/) and compares it as the fact
allows: with a value of its type (a finite number, true or false, text); with `lt`/`lte`/`gt`/`gte`
only for numbers; a lower-bound fact such as `weeks_of_use_at_least` only with `gt`/`gte`, since it
can show that use is long, never that it is short; the fact `drug` only with drugs of drugs.yaml.

Passes:

    met_when: {fact: days_supply, lte: 21}

Fails (a number compared with text):

    met_when: {fact: days_supply, lte: "21"}
"""

from __future__ import annotations

from checker.lint.comparisons import comparison_defects
from checker.lint.defect import Defect, written_conditions
from checker.load.ruleset import RuleSet

ID = "fact-tests"
TITLE = "a condition testing an unknown fact, or a fact in a way it cannot be tested"


def check(ruleset: RuleSet) -> list[Defect]:
    return [defect for condition, path, where in written_conditions(ruleset) for defect in comparison_defects(ruleset, condition, path, where)]
