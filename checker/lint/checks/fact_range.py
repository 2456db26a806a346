"""A fact's declared range is not empty: its `min:` is not above its `max:`. Every case documenting
the fact would be refused, since no value fits.

Passes:

    facts:
      pain_score:
        type: number
        min: 0
        max: 10

Fails:

    facts:
      pain_score:
        type: number
        min: 10
        max: 0
"""

from __future__ import annotations

from checker.lint.defect import Defect, declared_in
from checker.load.ruleset import RuleSet

ID = "fact-range"
TITLE = "a fact whose minimum is above its maximum"


def check(ruleset: RuleSet) -> list[Defect]:
    return [
        Defect(declared_in(ruleset, f.name), f"facts.{f.name}.min", f"minimum {f.minimum:g} is above the maximum {f.maximum:g}", "correct min: or max:")
        for f in ruleset.vocabulary.facts.values()
        if f.minimum is not None and f.maximum is not None and f.minimum > f.maximum
    ]
