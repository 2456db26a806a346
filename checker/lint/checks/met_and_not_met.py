"""A criterion's written `not_met_when` cannot hold together with its `met_when` on the same facts:
the engine would find the criterion both met and not met. (Without `not_met_when`, the criterion is
not met exactly when `met_when` is false, and never both.) Only alternatives of the two conditions
that read the same facts (one's facts among the other's) are compared: facts derived from others are
related in ways the vocabulary does not state (the exact weeks of use are at least the documented
lower bound; the total visits include the requested ones).

Passes:

    met_when: {fact: days_supply, lte: 21}
    not_met_when: {fact: days_supply, gt: 21}

Fails (a request for 14 to 21 days is both):

    met_when: {fact: days_supply, lte: 21}
    not_met_when: {fact: days_supply, gte: 14}
"""

from __future__ import annotations

from checker.lint.defect import Defect, derived
from checker.lint.logic import MAX_ALTERNATIVES, alternatives, can_all_hold, describe_tests
from checker.load.conditions import Condition, push_not
from checker.load.ruleset import RuleSet

ID = "met-and-not-met"
TITLE = "met_when and not_met_when that can both hold"


def check(ruleset: RuleSet) -> list[Defect]:
    found = []
    for _, _, c in ruleset.criteria():
        together = _overlap(ruleset, c.met_when, c.not_met_when) if not derived(c, "not_met_when") else []
        if together:
            problem = f"met_when and not_met_when can both hold (when {describe_tests(together)})"
            found.append(Defect(c.path, f"criteria[{c.id}]", problem, "make not_met_when exclude every case met_when accepts"))
    return found


def _overlap(ruleset: RuleSet, met: Condition, not_met: Condition) -> list[Condition]:
    """Tests under which both conditions certainly hold, among alternatives of the two that read
    the same facts."""
    met_terms, not_met_terms = alternatives(push_not(met)), alternatives(push_not(not_met))
    if met_terms is None or not_met_terms is None or len(met_terms) * len(not_met_terms) > MAX_ALTERNATIVES * 8:
        return []
    for left in met_terms:
        for right in not_met_terms:
            facts_left, facts_right = {t[1] for t in left}, {t[1] for t in right}
            if (facts_left <= facts_right or facts_right <= facts_left) and can_all_hold(ruleset, left + right)[0] is True:
                return left + right
    return []
