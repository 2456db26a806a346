"""`mtus rules lint`: every defect of a rule set, so a rule that cannot be trusted never runs."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from itertools import combinations

from checker.conditions import tests
from checker.errors import InputError
from checker.fields import did_you_mean
from checker.rules import GATE_TOPIC, Criterion, Edition, RuleSet, Topic
from checker.vocabulary import FactDef

_ORDERING = ("lt", "lte", "gt", "gte")
_PROVES_ONLY_LOWER = ("gt", "gte")
_FAR = dt.date(9999, 12, 31)


@dataclass(frozen=True, order=True)
class Defect:
    path: str
    field: str
    problem: str
    fix: str

    def one_line(self) -> str:
        return InputError(self.path, self.field, self.problem, self.fix).one_line()


def lint(ruleset: RuleSet) -> list[Defect]:
    defects: list[Defect] = []
    defects += _duplicate_ids(ruleset)
    defects += _implied_fact_defects(ruleset)
    for topic in ruleset.topics:
        defects += _topic_coverage(ruleset, topic)
        defects += _edition_overlaps(topic)
        for edition in topic.editions:
            defects += _when_defects(ruleset, edition)
            defects += _decision_references(edition)
            for criterion in edition.criteria:
                defects += _citation_defects(ruleset, criterion)
                defects += _condition_defects(ruleset, criterion)
    defects += _topic_overlaps(ruleset)
    if not ruleset.topics:
        defects.append(Defect(ruleset.directory, "topics", "no rule topics found", "add topic files under topics/"))
    return sorted(set(defects))


def require_clean(ruleset: RuleSet) -> None:
    """Refuse to evaluate with a rule set that has defects; the first one is the error."""
    defects = lint(ruleset)
    if defects:
        first = defects[0]
        more = f" (and {len(defects) - 1} more; run 'mtus rules lint')" if len(defects) > 1 else ""
        raise InputError(first.path, first.field, first.problem + more, first.fix)


def _duplicate_ids(ruleset: RuleSet) -> list[Defect]:
    found: list[Defect] = []
    seen_topics: dict[str, str] = {}
    seen_criteria: dict[str, str] = {}
    for topic in ruleset.topics:
        if topic.topic in seen_topics:
            problem = f"topic id '{topic.topic}' is also used by {seen_topics[topic.topic]}"
            found.append(Defect(topic.path, "topic", problem, "give each topic file its own id; put editions of one topic in one file"))
        seen_topics.setdefault(topic.topic, topic.path)
        for edition in topic.editions:
            for c in edition.criteria:
                if c.id in seen_criteria:
                    problem = f"criterion id reused (also in {seen_criteria[c.id]})"
                    found.append(Defect(c.path, f"criteria[{c.id}]", problem, "give every criterion a unique id"))
                seen_criteria.setdefault(c.id, c.path)
    return found


def _citation_defects(ruleset: RuleSet, c: Criterion) -> list[Defect]:
    where = f"criteria[{c.id}].citation"
    cit = c.citation
    if cit is None:
        if c.basis:
            return []
        return [Defect(c.path, where, "criterion has no citation", "add citation: {guideline, edition, section, pages}, or basis: when no guideline applies")]
    missing = [k for k in ("guideline", "edition", "section") if not getattr(cit, k)]
    if missing:
        return [Defect(c.path, where, f"citation lacks {', '.join(missing)}", "complete the citation")]
    guideline = ruleset.guidelines.get((cit.guideline, cit.edition))
    if guideline is None:
        known = ", ".join(f"{g} {e}" for g, e in sorted(ruleset.guidelines))
        return [Defect(c.path, where, f"unknown guideline edition '{cit.guideline} {cit.edition}'", f"cite one listed in guidelines.yaml ({known})")]
    if guideline.cite_by == "pages" and not cit.page_numbers():
        return [Defect(c.path, f"{where}.pages", f"{cit.guideline} {cit.edition} is cited by page but no page is given", "add pages: \"29\" or \"63-66\"")]
    return []


def _condition_defects(ruleset: RuleSet, c: Criterion) -> list[Defect]:
    found = []
    for name, cond in c.conditions():
        found += _fact_test_defects(ruleset, cond, c.path, f"criteria[{c.id}].{name}")
    return found


def _implied_fact_defects(ruleset: RuleSet) -> list[Defect]:
    """A service's implied facts must be facts of the vocabulary, with values they can take."""
    found = []
    for service in ruleset.services.services.values():
        for name, value in service.implies.items():
            condition = ("test", name, "eq", value)
            found += _fact_test_defects(ruleset, condition, ruleset.services.path, f"services.{service.key}.implies")
            fact = ruleset.vocabulary.get(name)
            if fact is not None and fact.values and value not in fact.values:
                where = f"services.{service.key}.implies"
                found.append(Defect(ruleset.services.path, where, f"{name} has no value {value!r}", f"use one of: {', '.join(fact.values)}"))
    return found


def _when_defects(ruleset: RuleSet, edition: Edition) -> list[Defect]:
    return _fact_test_defects(ruleset, edition.when, edition.path, f"{edition.key}.when") if edition.when is not None else []


def _fact_test_defects(ruleset: RuleSet, cond: object, path: str, where: str) -> list[Defect]:
    found = []
    for _, fact, op, value in tests(cond):
        fact_def = ruleset.vocabulary.get(fact)
        if fact_def is None:
            found.append(Defect(path, where, f"unknown fact '{fact}'", ruleset.vocabulary.suggestion(fact)))
            continue
        problem = _test_problem(ruleset, fact_def, op, value)
        if problem:
            found.append(Defect(path, where, problem[0], problem[1]))
    return found


def _test_problem(ruleset: RuleSet, fact: FactDef, op: str, value: object) -> tuple[str, str] | None:
    if op == "exists":
        return None
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if not _value_fits(fact.type, v):
            return (f"{fact.name} is {fact.type} but is compared with {v!r}", f"compare it with a {fact.type} value")
    if op in _ORDERING and fact.type in ("boolean", "string"):
        return (f"'{op}' does not apply to the {fact.type} fact {fact.name}", "use eq, ne, in or not_in")
    if fact.lower_bound and op not in _PROVES_ONLY_LOWER:
        return (f"{fact.name} is a lower bound and cannot show '{op} {value}'", "test it only with gt/gte, and use the exact fact for upper limits")
    if fact.name == "drug":
        unknown = [v for v in values if v not in ruleset.lexicon.drugs]
        if unknown:
            return (f"unknown drug {unknown[0]!r}", "use a generic name from drugs.yaml")
    return None


def _value_fits(kind: str, value: object) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("integer", "number"):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, str)


def _decision_references(edition: Edition) -> list[Defect]:
    ids = {c.id for c in edition.criteria}
    used = set(_leaves(edition.decision))
    found = [
        Defect(edition.path, f"{edition.key}.decision", f"refers to unknown criterion '{ref}'", "name a criterion of this edition")
        for ref in sorted(used - ids)
    ]
    found += [
        Defect(edition.path, f"criteria[{cid}]", "criterion does not take part in the decision", "add it to decision.medically_necessary_when")
        for cid in sorted(ids - used)
    ]
    return found


def _leaves(tree: object) -> list[str]:
    if isinstance(tree, str):
        return [tree]
    return [leaf for part in tree[1] for leaf in _leaves(part)]


def _edition_overlaps(topic: Topic) -> list[Defect]:
    """Editions are tried in order, so one in force together with a later one must say `when`."""
    found = []
    for e in topic.editions:
        if e.effective_to is not None and e.effective_to < e.effective_from:
            found.append(Defect(topic.path, f"{e.key}.effective_to", "ends before it starts", "correct the dates"))
    for a, b in combinations(topic.editions, 2):
        if a.when is None and a.effective_from <= (b.effective_to or _FAR) and b.effective_from <= (a.effective_to or _FAR):
            problem = f"editions {a.edition} and {b.edition} are both in force on {max(a.effective_from, b.effective_from)}"
            found.append(Defect(topic.path, f"{b.key}.effective_from", problem, f"end one before the other starts, or give {a.edition} a when: condition"))
    if len({e.edition for e in topic.editions}) != len(topic.editions):
        found.append(Defect(topic.path, "editions", "an edition name is used twice", "give each edition its own name"))
    return found


def _topic_coverage(ruleset: RuleSet, topic: Topic) -> list[Defect]:
    found = []
    for key, known, kind in (("services", ruleset.services.services, "service"), ("body_parts", ruleset.services.body_parts, "body part")):
        for name in getattr(topic, key):
            if name not in known:
                fix = did_you_mean(name, known, f"use a {kind} key from services.yaml")
                found.append(Defect(topic.path, f"applies_to.{key}", f"unknown {kind} '{name}'", fix))
    for name in (*topic.drugs, *topic.except_drugs):
        if name not in ruleset.lexicon.drugs:
            found.append(Defect(topic.path, "applies_to", f"unknown drug '{name}'", "use a generic name from drugs.yaml"))
    for cls in topic.drug_classes:
        if cls not in ruleset.lexicon.classes():
            found.append(Defect(topic.path, "applies_to.drug_classes", f"unknown drug class '{cls}'", "use a class listed in drugs.yaml"))
    return found


def _topic_overlaps(ruleset: RuleSet) -> list[Defect]:
    """Two topics that one request could match equally specifically leave the choice to file order."""
    found = []
    topics = [t for t in ruleset.topics if t.topic != GATE_TOPIC]
    for a, b in combinations(topics, 2):
        if a.specificity() == b.specificity() and _can_share_request(ruleset, a, b):
            problem = f"a request could match topics {a.topic} and {b.topic} equally"
            found.append(Defect(b.path, "applies_to", problem, "narrow one topic (except_drugs:, body_parts:, routes:, timing:) or merge them"))
    return found


def _can_share_request(ruleset: RuleSet, a: Topic, b: Topic) -> bool:
    ca, cb = a.constraints(), b.constraints()
    drug_keys = ("drugs", "drug_classes")
    a_drug, b_drug = any(k in ca for k in drug_keys), any(k in cb for k in drug_keys)
    if a_drug != b_drug or ("services" in ca) != ("services" in cb):
        return False
    if a_drug and not any(_claims(a, d) and _claims(b, d) for d in ruleset.lexicon.drugs.values()):
        return False
    return all(set(ca[k]) & set(cb[k]) for k in ("services", "body_parts", "routes", "timing") if k in ca and k in cb)


def _claims(topic: Topic, drug: object) -> bool:
    if drug.generic in topic.except_drugs:
        return False
    by_name = not topic.drugs or drug.generic in topic.drugs
    by_class = not topic.drug_classes or bool(set(drug.classes) & set(topic.drug_classes))
    return by_name and by_class
