"""The facts a service `implies` in services.yaml (a request for a CBC is a request for the lab test
`cbc`) are facts of the vocabulary, given a value of their type that they can take.

Passes:

    cbc:
      category: laboratory
      names: [cbc, "complete blood count"]
      implies: {lab_test: cbc}

Fails (lab_test takes cbc, metabolic_panel, coagulation_studies or urinalysis):

    cbc:
      category: laboratory
      names: [cbc, "complete blood count"]
      implies: {lab_test: blood_count}
"""

from __future__ import annotations

from checker.lint.comparisons import comparison_defects
from checker.lint.defect import Defect
from checker.load.ruleset import RuleSet

ID = "service-implies"
TITLE = "a service implying an unknown fact, or a value its fact cannot take"


def check(ruleset: RuleSet) -> list[Defect]:
    found = []
    path = ruleset.services.path
    for service in ruleset.services.services.values():
        where = f"services.{service.key}.implies"
        for name, value in service.implies.items():
            found += comparison_defects(ruleset, ("test", name, "eq", value), path, where)
            fact = ruleset.vocabulary.get(name)
            if fact is not None and fact.values and value not in fact.values:
                found.append(Defect(path, where, f"{name} has no value {value!r}", f"use one of: {', '.join(fact.values)}"))
    return found
