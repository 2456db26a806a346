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

from pathlib import Path

from checker.lint.defect import Defect
from checker.rules import RuleSet
from checker.yamlio import load_yaml

ID = "fact-range"
TITLE = "a fact whose minimum is above its maximum"


def check(ruleset: RuleSet) -> list[Defect]:
    return [
        Defect(_declared_in(ruleset, f.name), f"facts.{f.name}.min", f"minimum {f.minimum:g} is above the maximum {f.maximum:g}", "correct min: or max:")
        for f in ruleset.vocabulary.facts.values()
        if f.minimum is not None and f.maximum is not None and f.minimum > f.maximum
    ]


def _declared_in(ruleset: RuleSet, fact: str) -> str:
    """The vocabulary file declaring a fact (facts.yaml or one of facts/*.yaml, of the rules or a site
    rule folder); read again, since this is needed only for a defect."""
    main = Path(ruleset.vocabulary.path)
    site = [Path(folder) for folder in ruleset.extra_dirs]
    own = [path for folder in site for path in [folder / "facts.yaml", *sorted((folder / "facts").glob("*.yaml"))] if path.is_file()]
    for path in [main, *sorted((main.parent / "facts").glob("*.yaml")), *own]:
        data = load_yaml(path, "fact vocabulary")
        if fact in (data.get("facts") or {}):
            return str(path)
    return str(main)
