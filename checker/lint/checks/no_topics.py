"""A rule set has at least one topic (a file under topics/): without one, no request has a rule.

Passes:

    # topics/carisoprodol.yaml
    schema: mtus-rules/2
    topic: carisoprodol
    title: Carisoprodol (Soma)

Fails (no file under topics/):

    # topics/ is empty
"""

from __future__ import annotations

from checker.lint.defect import Defect
from checker.load.ruleset import RuleSet

ID = "no-topics"
TITLE = "a rule set without topics"


def check(ruleset: RuleSet) -> list[Defect]:
    return [] if ruleset.topics else [Defect(ruleset.directory, "topics", "no rule topics found", "add topic files under topics/")]
