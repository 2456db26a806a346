"""What a topic `applies_to` is named as the lexicons name it: services and body parts by their keys
in services.yaml, categories by those its services have or by a drug class of drugs.yaml (a topic of
general principles), drugs (and `except_drugs`) by their generic names in drugs.yaml, drug classes by
those listed there. A name the lexicons do not know matches no request, so the topic would silently
never apply.

Passes:

    applies_to: {services: [brace], body_parts: [elbow]}

Fails (the body part is elbow):

    applies_to: {services: [brace], body_parts: [elbows]}
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from checker.base.fields import did_you_mean
from checker.lint.defect import Defect
from checker.load.ruleset import RuleSet, Topic

ID = "applies-to"
TITLE = "a topic naming an unknown service, body part, category, drug or drug class"


def check(ruleset: RuleSet) -> list[Defect]:
    return [defect for topic in ruleset.topics for defect in _unknown_names(ruleset, topic)]


def _unknown_names(ruleset: RuleSet, topic: Topic) -> list[Defect]:
    lexicon = ruleset.services
    categories = {s.category for s in lexicon.services.values()} | ruleset.lexicon.classes()
    drugs = (*topic.drugs, *topic.except_drugs)
    return [
        *_unknown(topic, "applies_to.services", "service", topic.services, lexicon.services, "use a service key from services.yaml"),
        *_unknown(topic, "applies_to.body_parts", "body part", topic.body_parts, lexicon.body_parts, "use a body part key from services.yaml"),
        *_unknown(topic, "applies_to.categories", "service category or drug class", topic.categories, categories,
                  "use a category of a service in services.yaml or a drug class in drugs.yaml"),
        *_unknown(topic, "applies_to", "drug", drugs, ruleset.lexicon.drugs, "use a generic name from drugs.yaml", suggest=False),
        *_unknown(topic, "applies_to.drug_classes", "drug class", topic.drug_classes, ruleset.lexicon.classes(), "use a class listed in drugs.yaml",
                  suggest=False),
    ]


def _unknown(topic: Topic, field: str, kind: str, names: Iterable[str], known: Collection[str], fix: str, *, suggest: bool = True) -> list[Defect]:
    """A defect for each name not known; with `suggest`, its fix names a close known name if any."""
    return [
        Defect(topic.path, field, f"unknown {kind} '{name}'", did_you_mean(name, known, fix) if suggest else fix)
        for name in names if name not in known
    ]
