"""The negative claims a draft makes, checked against the case.

A draft says "there is no documentation of X" for what the reasons it names lack (report item
`missing_groups`), and asks the records to "also document" what other criteria left open
(`follow_up` entries of criteria the records are silent on). Either is unfounded when the case
documents X: as a fact with a value, through an equivalent the fact vocabulary declares
(facts.yaml `documented_by`: a diagnosis, a current medication of a drug class, another fact), or by
a diagnosis that names every content word of X's label."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checker.base.outcomes import NOT_DOCUMENTED
from checker.derive.derive import equivalent_in_records
from checker.load.case import Case
from checker.load.ruleset import RuleSet
from checker.load.vocabulary import words

# Words of a fact's label that say nothing about what is documented: a diagnosis holding only these
# does not name the fact.
_FILLER = frozenset(
    "a an the of or and with to for in on at by from as that this is are be been any other no not its it "
    "than more less after before during per each who which when documented documentation treatment "
    "request requested records record claimant".split()
)


@dataclass(frozen=True)
class Claim:
    item: str
    fact: str
    where: str  # "rationale" ("no documentation of") or "follow-up" ("should also document")
    documented_by: str  # what in the case documents the fact


def claims(item: dict[str, Any]) -> list[tuple[str, str]]:
    """(fact, where) for every fact the item's draft says is not documented."""
    found = [(name, "rationale") for group in item["missing_groups"] for alternative in group for name in alternative["names"]]
    found += [
        (name, "follow-up")
        for entry in item["follow_up"] if entry["status"] == NOT_DOCUMENTED
        for group in entry["needs"] for alternative in group for name in alternative["names"]
    ]
    return list(dict.fromkeys(found))


def unfounded_claims(report: dict[str, Any], case: Case, ruleset: RuleSet) -> list[Claim]:
    """Every negative claim of the report's drafts that the case contradicts."""
    found = []
    for item in report["items"]:
        values = {f["name"]: f["value"] for f in item["facts"]}
        for name, where in claims(item):
            evidence = _documenting(name, values, case, ruleset)
            if evidence:
                found.append(Claim(item["id"], name, where, evidence))
    return found


def _documenting(name: str, values: dict[str, Any], case: Case, ruleset: RuleSet) -> str:
    if values.get(name) is not None:
        return f"the item's fact {name} = {values[name]!r}"
    fact = ruleset.vocabulary.facts[name]
    if fact.documented_by is not None:
        known = {k: v for k, v in values.items() if v is not None}
        basis = equivalent_in_records(case, ruleset.lexicon, fact.documented_by, known)
        if basis:
            return ", ".join(f"{k}: {v}" for k, v in basis.items())
    content = words(fact.label) - _FILLER
    named = next((d for d in case.diagnoses if content and content <= words(d)), "")
    return f"diagnosis: {named}" if named else ""
