"""A request goes to the most specific topic that matches it (naming drugs is more specific than
naming drug classes, a service more than a category, and a body part, route or timing adds to
either), so no request may match two topics equally specifically: the choice would be left to the
order of the files. Narrow one topic (except_drugs:, body_parts:, routes:, timing:) or merge them.

Passes (carisoprodol goes to its own, more specific topic):

    # topics/muscle_relaxants.yaml
    applies_to: {drug_classes: [muscle_relaxant], except_drugs: [carisoprodol]}
    # topics/carisoprodol.yaml
    applies_to: {drugs: [carisoprodol]}

Fails (a request for cyclobenzaprine matches both):

    # topics/muscle_relaxants.yaml
    applies_to: {drug_classes: [muscle_relaxant]}
    # topics/antispasmodics.yaml
    applies_to: {drug_classes: [muscle_relaxant], except_drugs: [carisoprodol]}
"""

from __future__ import annotations

from itertools import combinations

from checker.lint.defect import Defect
from checker.load.lexicon import Drug
from checker.load.ruleset import GATE_TOPIC, RuleSet, Topic

ID = "overlapping-topics"
TITLE = "two topics one request could match equally"


def check(ruleset: RuleSet) -> list[Defect]:
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


def _claims(topic: Topic, drug: Drug) -> bool:
    if drug.generic in topic.except_drugs or drug.judged_as:  # a product judged as its drugs is never judged itself
        return False
    by_name = not topic.drugs or drug.generic in topic.drugs
    by_class = not topic.drug_classes or bool(set(drug.classes) & set(topic.drug_classes))
    return by_name and by_class
