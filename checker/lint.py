"""`mtus rules lint`: every defect of a rule set, so a rule that cannot be trusted never runs."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from checker.conditions import Condition, evaluate, negate, push_not, tests
from checker.errors import InputError
from checker.extract_cues import load_extraction_cues
from checker.fields import did_you_mean
from checker.rules import GATE_TOPIC, Criterion, DatedCriterion, Edition, RuleSet, Topic
from checker.vocabulary import FactDef
from checker.yamlio import load_yaml

_ORDERING = ("lt", "lte", "gt", "gte")
_PROVES_ONLY_LOWER = ("gt", "gte")
_FAR = dt.date(9999, 12, 31)
# A condition the loader derives by negating another, when a block does not write it.
_DERIVED_FROM = {"not_met_when": "met_when", "not_applicable_when": "applies_when"}


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
    defects += _fact_range_defects(ruleset)
    defects += _guideline_date_defects(ruleset)
    defects += _obtained_defects(ruleset)
    for topic in ruleset.topics:
        defects += _topic_coverage(ruleset, topic)
        defects += _edition_overlaps(topic)
        defects += _empty_editions(topic)
        defects += _decision_references(topic)
        defects += _dated_block_defects(ruleset, topic)
        for edition in topic.editions:
            defects += _when_defects(ruleset, edition)
            if edition.when is not None:
                defects += _never_holds(ruleset, edition.when, edition.path, f"follows[{edition.follows}].when")
            for criterion in edition.criteria:
                defects += _citation_defects(ruleset, topic, criterion)
                defects += _citation_in_force(ruleset, topic, edition, criterion)
                defects += _condition_defects(ruleset, topic, criterion)
                defects += _contradictions(ruleset, topic, criterion)
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
        for c in topic.dated_criteria:
            if c.id in seen_criteria:
                problem = f"criterion id reused (also in {seen_criteria[c.id]})"
                fix = "give every criterion a unique id; write what changes at a date in a dated block of the same criterion"
                found.append(Defect(c.path, f"criteria[{c.id}]", problem, fix))
            seen_criteria.setdefault(c.id, c.path)
    return found


def _written_in(topic: Topic, c: Criterion, key: str) -> str:
    """criteria[ID].DATE.KEY, naming the dated block that wrote the key in force on the criterion's
    edition (for a condition derived by negation, the block of the condition it negates; for a key
    no block writes, the criterion's first block), so a defect points at the line to edit."""
    dated = next((d for d in topic.dated_criteria if d.id == c.id), None)
    day = c.since
    if dated is not None:
        day = dated.blocks[0][0]
        for wanted in (key, _DERIVED_FROM.get(key)):
            written = [d for d, block in dated.blocks if c.since is not None and d <= c.since and wanted in block]
            if written:
                day = written[-1]
                break
    return f"criteria[{c.id}].{day}.{key}"


def _citation_defects(ruleset: RuleSet, topic: Topic, c: Criterion) -> list[Defect]:
    where = _written_in(topic, c, "citation")
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


def _condition_defects(ruleset: RuleSet, topic: Topic, c: Criterion) -> list[Defect]:
    found = []
    for name, cond in c.conditions():
        if not _derived(c, name):  # a negation reads the same facts as what it negates
            found += _fact_test_defects(ruleset, cond, c.path, _written_in(topic, c, name))
    return found


def _derived(c: Criterion, name: str) -> bool:
    if name == "not_met_when":
        return c.not_met_when == negate(c.met_when)
    if name == "not_applicable_when":
        return c.applies_when is not None and c.not_applicable_when == negate(c.applies_when)
    return False


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


def _fact_range_defects(ruleset: RuleSet) -> list[Defect]:
    """A fact whose minimum is above its maximum: every case documenting it would be refused."""
    return [
        Defect(_declared_in(ruleset, f.name), f"facts.{f.name}.min", f"minimum {f.minimum:g} is above the maximum {f.maximum:g}", "correct min: or max:")
        for f in ruleset.vocabulary.facts.values()
        if f.minimum is not None and f.maximum is not None and f.minimum > f.maximum
    ]


def _obtained_defects(ruleset: RuleSet) -> list[Defect]:
    """A fact marked extracted needs cues in checker/cues/facts.yaml, and only extracted facts may
    have them: otherwise `mtus extract` and `mtus import` could never draft it, or would draft a fact
    that is computed or left to a reviewer."""
    cued = load_extraction_cues().drafted
    found = []
    for f in ruleset.vocabulary.facts.values():
        where = (_declared_in(ruleset, f.name), f"facts.{f.name}.obtained")
        if f.obtained == "extracted" and f.name not in cued:
            found.append(Defect(*where, "marked extracted, but checker/cues/ has no cues for it", "add cues for it there, or write obtained: reviewer"))
        elif f.obtained != "extracted" and f.name in cued:
            found.append(Defect(*where, f"obtained: {f.obtained}, but checker/cues/ has cues for it", "write obtained: extracted, or remove its cues"))
    return found


@dataclass(frozen=True)
class Unextractable:
    """A topic's decisive criteria (indications and limits) that read a fact no cue can draft."""

    topic: str
    criteria: int  # decisive criteria of the topic (distinct ids over its editions)
    reading: tuple[str, ...]  # ids of those that read a reviewer-obtained fact
    facts: tuple[str, ...]


DECISIVE_ROLES = ("indication", "limit")


def unextractable(ruleset: RuleSet) -> list[Unextractable]:
    """Per topic, the decisive criteria that read facts only a reviewer can give: on a case drafted
    from text they stay "needs the reviewer's confirmation" until someone does. Topics without any are
    left out."""
    found = []
    for topic in ruleset.topics:
        decisive: dict[str, set[str]] = {}
        for edition in topic.editions:
            for c in edition.criteria:
                if c.role in DECISIVE_ROLES:
                    names = {name for _, cond in c.conditions() for _, name, _, _ in tests(cond)}
                    decisive.setdefault(c.id, set()).update(n for n in names if _obtained(ruleset, n) == "reviewer")
        reading = sorted(cid for cid, facts in decisive.items() if facts)
        if reading:
            facts = sorted(set().union(*(decisive[cid] for cid in reading)))
            found.append(Unextractable(topic.topic, len(decisive), tuple(reading), tuple(facts)))
    return found


def _obtained(ruleset: RuleSet, name: str) -> str:
    fact = ruleset.vocabulary.get(name)
    return fact.obtained if fact else ""


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


def _when_defects(ruleset: RuleSet, edition: Edition) -> list[Defect]:
    return _fact_test_defects(ruleset, edition.when, edition.path, f"follows[{edition.follows}].when") if edition.when is not None else []


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


def _decision_references(topic: Topic) -> list[Defect]:
    """decision.indicated_when names the topic's indications, every one of them."""
    if topic.indicated_when is None:
        return []
    roles = {c.id: c.role for c in topic.dated_criteria}
    used = set(_leaves(topic.indicated_when))
    found = [
        Defect(topic.path, "decision.indicated_when", f"refers to unknown criterion '{ref}'", "name a criterion of this topic")
        for ref in sorted(used - set(roles))
    ]
    alone = "only indications are combined there; limits and documentation act on their own"
    found += [
        Defect(topic.path, "decision.indicated_when", f"names the {roles[ref]} '{ref}'", alone)
        for ref in sorted(used & set(roles)) if roles[ref] != "indication"
    ]
    found += [
        Defect(topic.path, f"criteria[{cid}]", "indication left out of decision.indicated_when", "add it there, or give it another role")
        for cid, role in sorted(roles.items()) if role == "indication" and cid not in used
    ]
    return found


def _dated_block_defects(ruleset: RuleSet, topic: Topic) -> list[Defect]:
    """A criterion is under guidelines the topic follows, and each dated block falls in a period the
    topic follows (the periods are those of guidelines.yaml)."""
    found = []
    followed = {f.guideline for f in topic.follows}
    for c in topic.dated_criteria:
        for name in c.under:
            if name not in followed:
                problem = f"the topic follows no guideline '{name}'"
                found.append(Defect(c.path, f"criteria[{c.id}].under", problem, f"use one of: {', '.join(sorted(followed))}"))
        periods = [f for f in topic.follows if not c.under or f.guideline in c.under]
        for day, _ in c.blocks if periods else ():  # no period: the under: defect above says why
            if not any(f.effective_from <= day <= (f.effective_to or _FAR) for f in periods):
                spans = ", ".join(f"{f.label} {f.effective_from}..{f.effective_to or 'open'}" for f in periods)
                found.append(Defect(c.path, f"criteria[{c.id}].{day}", "the date falls in no period the topic follows", f"date it within one of: {spans}"))
        found += _unconfirmed_pages(c)
    return found


def _unconfirmed_pages(c: DatedCriterion) -> list[Defect]:
    """A criterion whose provenance is unconfirmed may not cite a page as confirmed, in its blocks'
    citations nor in the passage its provenance paraphrases."""
    if c.provenance is None or c.provenance.confidence != "unconfirmed":
        return []
    fix = "add pages_confirmed: false, or confirm the page and the confidence"
    problem = "an unconfirmed source cites a page as if confirmed"
    found = []
    for day, block in c.blocks:
        cit = block.get("citation") or {}
        if isinstance(cit, dict) and cit.get("pages") and cit.get("pages_confirmed", True) is not False:
            found.append(Defect(c.path, f"criteria[{c.id}].{day}.citation", problem, fix))
    paraphrases = c.provenance.paraphrases
    if paraphrases is not None and paraphrases.pages and paraphrases.pages_confirmed:
        found.append(Defect(c.path, f"criteria[{c.id}].provenance.paraphrases", problem, fix))
    return found


def _citation_in_force(ruleset: RuleSet, topic: Topic, edition: Edition, c: Criterion) -> list[Defect]:
    """The guideline edition a criterion cites was in force over the whole period it decides."""
    cit = c.citation
    guideline = ruleset.guidelines.get((cit.guideline, cit.edition)) if cit else None
    if guideline is None or guideline.effective_from is None:
        return []
    ends = edition.effective_to or _FAR
    if guideline.effective_from <= edition.effective_from and ends <= (guideline.effective_to or _FAR):
        return []
    period = f"{edition.effective_from}..{edition.effective_to or 'open'}"
    problem = f"cites {cit.guideline} {cit.edition} ({guideline.effective_from}..{guideline.effective_to or 'open'}) for {period}"
    return [Defect(c.path, _written_in(topic, c, "citation"), problem, "cite the edition in force then, in a dated block from the date it took effect")]


def _leaves(tree: object) -> list[str]:
    if isinstance(tree, str):
        return [tree]
    return [leaf for part in tree[1] for leaf in _leaves(part)]


def _edition_overlaps(topic: Topic) -> list[Defect]:
    """Editions are tried in order, so one in force together with a later one must say `when`."""
    found = []
    for a, b in combinations(topic.editions, 2):
        if a.when is None and a.follows != b.follows and a.effective_from <= (b.effective_to or _FAR) and b.effective_from <= (a.effective_to or _FAR):
            problem = f"editions {a.edition} and {b.edition} are both in force on {max(a.effective_from, b.effective_from)}"
            found.append(Defect(topic.path, f"follows[{a.follows}]", problem, f"give {a.edition} a when: condition, or follow one of them only"))
    return found


def _empty_editions(topic: Topic) -> list[Defect]:
    """A stretch of a followed edition in which no criterion is in force would approve every request."""
    fix = "date the criteria's first blocks from the edition's start, give the criteria under:, or stop following it"
    return [
        Defect(topic.path, f"follows[{e.follows}]", f"no criterion is in force under {e.edition} from {_period(e)}, so every request would be approved", fix)
        for e in topic.editions if not e.criteria
    ]


def _period(edition: Edition) -> str:
    return f"{edition.effective_from} to {edition.effective_to or 'open'}"


def _guideline_date_defects(ruleset: RuleSet) -> list[Defect]:
    """A guideline edition in guidelines.yaml that ends before it starts."""
    path = str(Path(ruleset.directory) / "guidelines.yaml")
    return [
        Defect(path, f"guidelines.{g.guideline}.editions.{g.edition}.effective_to",
               f"{g.guideline} {g.edition} ends ({g.effective_to}) before it starts ({g.effective_from})", "correct the dates")
        for g in ruleset.guidelines.values()
        if g.effective_from is not None and g.effective_to is not None and g.effective_to < g.effective_from
    ]


def _topic_coverage(ruleset: RuleSet, topic: Topic) -> list[Defect]:
    found = []
    for key, known, kind in (("services", ruleset.services.services, "service"), ("body_parts", ruleset.services.body_parts, "body part")):
        for name in getattr(topic, key):
            if name not in known:
                fix = did_you_mean(name, known, f"use a {kind} key from services.yaml")
                found.append(Defect(topic.path, f"applies_to.{key}", f"unknown {kind} '{name}'", fix))
    known_categories = {s.category for s in ruleset.services.services.values()} | ruleset.lexicon.classes()
    for name in topic.categories:
        if name not in known_categories:
            fix = did_you_mean(name, known_categories, "use a category of a service in services.yaml or a drug class in drugs.yaml")
            found.append(Defect(topic.path, "applies_to.categories", f"unknown service category or drug class '{name}'", fix))
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
    if ("categories" in ca) != ("categories" in cb):
        return False
    return all(set(ca[k]) & set(cb[k]) for k in ("services", "categories", "body_parts", "routes", "timing") if k in ca and k in cb)


def _claims(topic: Topic, drug: object) -> bool:
    if drug.generic in topic.except_drugs or drug.judged_as:  # a product judged as its drugs is never judged itself
        return False
    by_name = not topic.drugs or drug.generic in topic.drugs
    by_class = not topic.drug_classes or bool(set(drug.classes) & set(topic.drug_classes))
    return by_name and by_class


# ---- contradictory logic ---------------------------------------------------------------------------
# A condition holds only when every test of one of its alternatives (its disjunctive normal form,
# after negations are pushed down to the tests) holds on documented values, so whether it can ever
# hold is decided fact by fact. Conditions with more alternatives than this are not examined.
_MAX_ALTERNATIVES = 512


def _contradictions(ruleset: RuleSet, topic: Topic, c: Criterion) -> list[Defect]:
    """A written condition that can never hold, and a written not_met_when that can hold together
    with met_when (the engine would then find the criterion both met and not met)."""
    written = [(name, condition) for name, condition in c.conditions() if not _derived(c, name)]
    found = []
    for name, condition in written:
        found += _never_holds(ruleset, condition, c.path, _written_in(topic, c, name))
    # the negation of met_when never overlaps it
    together = _overlap(ruleset, c.met_when, c.not_met_when) if not _derived(c, "not_met_when") else []
    if together:
        problem = f"met_when and not_met_when can both hold (when {_describe_tests(together)})"
        found.append(Defect(c.path, f"criteria[{c.id}]", problem, "make not_met_when exclude every case met_when accepts"))
    return found


def _overlap(ruleset: RuleSet, met: Condition, not_met: Condition) -> list[Condition]:
    """Tests under which both conditions certainly hold, among alternatives of the two that read
    the same facts (one's facts a subset of the other's). Alternatives on different facts are left
    alone: derived facts are related in ways the vocabulary does not state (the exact weeks of use
    are at least the documented lower bound; the total visits include the requested ones)."""
    met_terms, not_met_terms = _alternatives(push_not(met)), _alternatives(push_not(not_met))
    if met_terms is None or not_met_terms is None or len(met_terms) * len(not_met_terms) > _MAX_ALTERNATIVES * 8:
        return []
    for left in met_terms:
        for right in not_met_terms:
            facts_left, facts_right = {t[1] for t in left}, {t[1] for t in right}
            if (facts_left <= facts_right or facts_right <= facts_left) and _can_all_hold(ruleset, left + right)[0] is True:
                return left + right
    return []


def _never_holds(ruleset: RuleSet, condition: Condition, path: str, where: str) -> list[Defect]:
    alternatives = _alternatives(push_not(condition))
    if alternatives is None:
        return []
    verdicts = [_can_all_hold(ruleset, terms) for terms in alternatives]
    if any(holds is not False for holds, _ in verdicts):
        return []
    conflict = verdicts[0][1]
    several = " in any of its alternatives" if len(alternatives) > 1 else ""
    if len(conflict) > 1:
        problem = f"can never hold{several}: {_describe_tests(conflict)} exclude each other"
    else:
        problem = f"can never hold{several}: {_describe_tests(conflict)} is outside {_range_words(ruleset.vocabulary.get(conflict[0][1]))}"
    return [Defect(path, where, problem, "correct the limits or values; as written the condition is always false")]


def _range_words(fact: FactDef | None) -> str:
    if fact is None:
        return "the fact's values"
    if fact.values:
        return f"the values of {fact.name} ({', '.join(fact.values)})"
    low = "" if fact.minimum is None else f"{fact.minimum:g}"
    high = "" if fact.maximum is None else f"{fact.maximum:g}"
    return f"the range of {fact.name} ({low}..{high})"


def _alternatives(condition: Condition) -> list[list[Condition]] | None:
    """Disjunctive normal form: each alternative a list of tests; None when it grows too large."""
    kind = condition[0]
    if kind == "test":
        return [[condition]]
    parts = [_alternatives(part) for part in condition[1]]
    if any(p is None for p in parts):
        return None
    if kind == "any":
        merged = [terms for part in parts for terms in part]
        return merged if len(merged) <= _MAX_ALTERNATIVES else None
    product: list[list[Condition]] = [[]]
    for part in parts:
        product = [left + right for left in product for right in part]
        if len(product) > _MAX_ALTERNATIVES:
            return None
    return product


def _can_all_hold(ruleset: RuleSet, terms: list[Condition]) -> tuple[bool | None, list[Condition]]:
    """Whether every test can hold at once: False with the tests on one fact that exclude each
    other, True when certain, None when unsure (an unknown fact, a value of the wrong type)."""
    by_fact: dict[str, list[Condition]] = {}
    for test in terms:
        by_fact.setdefault(test[1], []).append(test)
    unsure = False
    for fact, fact_tests in by_fact.items():
        holds = _can_hold(ruleset.vocabulary.get(fact), fact_tests)
        if holds is False:
            return False, fact_tests
        unsure = unsure or holds is None
    return (None if unsure else True), []


def _can_hold(fact: FactDef | None, fact_tests: list[Condition]) -> bool | None:
    """Whether one value of the fact (or its absence) passes every test; None when unsure."""
    absent = [t for t in fact_tests if t[2] == "exists" and t[3] is False]
    present = [t for t in fact_tests if not (t[2] == "exists" and t[3] is False)]
    if absent and present:
        return False  # a comparison never holds on a fact the records do not document
    if absent:
        return True
    if fact is None:
        return None
    name = fact_tests[0][1]
    candidates = _candidates(fact, [t for t in present if t[2] != "exists"])
    if candidates is None:
        return None
    try:
        return any(all(evaluate(t, {name: value}) for t in present) for value in candidates)
    except TypeError:  # a value of the wrong type: the type check reports it
        return None


def _candidates(fact: FactDef, comparisons: list[Condition]) -> list[object] | None:
    """Values that stand for every value the fact can take as far as these tests can tell: the
    tested constants and the declared min/max, one value between each two neighbours and one beyond
    each end (whole numbers for an integer fact), kept within min/max. None when unsure."""
    constants = [v for t in comparisons for v in (t[3] if isinstance(t[3], tuple) else (t[3],))]
    if fact.type == "boolean":
        return [True, False]
    if fact.type == "string":
        if fact.values:
            return list(fact.values)
        return [*(v for v in constants if isinstance(v, str)), "\0a value no test names"]
    if not all(_value_fits("number", v) for v in constants):
        return None  # a comparison with a value of the wrong type: the type check reports it
    points = sorted({float(v) for v in (*constants, fact.minimum, fact.maximum) if v is not None})
    if not points:
        return None
    if fact.type == "integer":
        between = [math.floor(low) + 1 for low, high in zip(points, points[1:], strict=False) if math.floor(low) + 1 < high]
        found = [*(p for p in points if p.is_integer()), *between, math.floor(points[-1]) + 1, math.ceil(points[0]) - 1]
    else:
        between = [(low + high) / 2 for low, high in zip(points, points[1:], strict=False)]
        found = [*points, *between, points[-1] + 1, points[0] - 1]
    return [
        int(v) if fact.type == "integer" else v for v in found
        if (fact.minimum is None or v >= fact.minimum) and (fact.maximum is None or v <= fact.maximum)
    ]


def _describe_tests(conditions: list[Condition]) -> str:
    words = {"eq": "=", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "in": "in", "not_in": "not in", "exists": "exists:"}
    shown = []
    for _, fact, op, value in conditions:
        value = list(value) if isinstance(value, tuple) else value
        shown.append(f"{fact} {words[op]} {str(value).lower() if isinstance(value, bool) else value}")
    return " and ".join(dict.fromkeys(shown))
