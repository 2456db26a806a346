"""Every condition an author wrote (a criterion's conditions, an edition's `when:`) can hold for some
documented values. A condition that never holds is a typing slip (`gt` for `lt`, two values of one
fact required together) or a limit outside the range facts.yaml declares; as written it is always
false, so the criterion is never met or never applies. Conditions with more than 512 alternatives
(once `any:` and `not:` are multiplied out) are not examined.

Passes:

    met_when:
      all:
        - {fact: days_supply, gt: 3}
        - {fact: days_supply, lt: 6}

Fails (no number of days is above 6 and below 3):

    met_when:
      all:
        - {fact: days_supply, gt: 6}
        - {fact: days_supply, lt: 3}
"""

from __future__ import annotations

from checker.lint.defect import Defect, written_conditions
from checker.lint.logic import alternatives, can_all_hold, describe_tests
from checker.load.conditions import Condition, push_not
from checker.load.ruleset import RuleSet
from checker.load.vocabulary import FactDef

ID = "never-holds"
TITLE = "a condition that can never hold"


def check(ruleset: RuleSet) -> list[Defect]:
    return [defect for condition, path, where in written_conditions(ruleset) for defect in _never_holds(ruleset, condition, path, where)]


def _never_holds(ruleset: RuleSet, condition: Condition, path: str, where: str) -> list[Defect]:
    terms = alternatives(push_not(condition))
    if terms is None:
        return []
    verdicts = [can_all_hold(ruleset, alternative) for alternative in terms]
    if any(holds is not False for holds, _ in verdicts):
        return []
    conflict = verdicts[0][1]
    several = " in any of its alternatives" if len(terms) > 1 else ""
    if len(conflict) > 1:
        problem = f"can never hold{several}: {describe_tests(conflict)} exclude each other"
    else:
        problem = f"can never hold{several}: {describe_tests(conflict)} is outside {_range_words(ruleset.vocabulary.get(conflict[0][1]))}"
    return [Defect(path, where, problem, "correct the limits or values; as written the condition is always false")]


def _range_words(fact: FactDef | None) -> str:
    if fact is None:
        return "the fact's values"
    if fact.values:
        return f"the values of {fact.name} ({', '.join(fact.values)})"
    low = "" if fact.minimum is None else f"{fact.minimum:g}"
    high = "" if fact.maximum is None else f"{fact.maximum:g}"
    return f"the range of {fact.name} ({low}..{high})"
