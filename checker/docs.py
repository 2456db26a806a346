"""The rule set as a readable reference (`mtus rules docs`): the guideline catalogue and every topic,
edition, criterion, condition, limit and citation, as plain data for the Markdown and HTML templates.

Conditions reach the templates through condition_data(), one converter for the tuple IR of
checker/conditions.py; the words for them are in templates/_rules_docs.j2 (condition_words).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checker.conditions import Condition, negate, tests
from checker.errors import InputError
from checker.report import citation_data
from checker.rules import Criterion, Edition, RuleSet, Topic
from checker.vocabulary import Vocabulary

DOCS_SCHEMA = "mtus-rules-docs/1"
# What a topic may apply to, in the order the reference lists them (body_parts once topics carry it).
APPLIES_TO_FIELDS = ("drugs", "drug_classes", "except_drugs", "services", "body_parts", "routes", "timing")


def docs_data(ruleset: RuleSet) -> dict[str, Any]:
    return {
        "schema": DOCS_SCHEMA,
        "ruleset": {"name": ruleset.name, "version": ruleset.version, "digest": ruleset.digest, "stamp": ruleset.stamp},
        "guidelines": guideline_catalogue(ruleset),
        "topics": [topic_data(ruleset, topic) for topic in ruleset.topics],
        "facts": facts_used(ruleset),
    }


def write_docs(text: str, out: Path) -> None:
    """Write the reference to a file, byte for byte as rendered (UTF-8, '\\n' line ends)."""
    try:
        with open(out, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise InputError(str(out), "--out", f"cannot write the file ({exc.strerror})", "name a file in a folder that exists and is writable") from None


def guideline_catalogue(ruleset: RuleSet) -> list[dict[str, Any]]:
    """rules/guidelines.yaml grouped by guideline, in file order."""
    grouped: dict[str, dict[str, Any]] = {}
    for (key, _), g in ruleset.guidelines.items():
        entry = grouped.setdefault(key, {"key": key, "title": g.title, "mtus": g.mtus, "editions": []})
        entry["editions"].append({
            "edition": g.edition,
            "letter_name": g.letter_name,
            "cite_by": g.cite_by,
            "effective_from": _date(g.effective_from),
            "effective_to": _date(g.effective_to),
        })
    return list(grouped.values())


def topic_data(ruleset: RuleSet, topic: Topic) -> dict[str, Any]:
    return {
        "id": topic.topic,
        "title": topic.title,
        "file": Path(topic.path).name,
        "applies_to": [
            {"field": name, "values": list(getattr(topic, name))} for name in APPLIES_TO_FIELDS if getattr(topic, name, ())
        ],
        "sources": " ".join(topic.sources.split()),
        "editions": [edition_data(ruleset, edition) for edition in topic.editions],
    }


def edition_data(ruleset: RuleSet, edition: Edition) -> dict[str, Any]:
    titles = {c.id: c.title for c in edition.criteria}
    return {
        "edition": edition.edition,
        "key": edition.key,
        "effective_from": _date(edition.effective_from),
        "effective_to": _date(edition.effective_to),
        "when": condition_data(edition.when, ruleset.vocabulary) if edition.when is not None else None,
        "criteria": [criterion_data(ruleset, c) for c in edition.criteria],
        "decision": decision_data(edition.decision, titles),
        "on_denial": edition.on_denial,
    }


def criterion_data(ruleset: RuleSet, criterion: Criterion) -> dict[str, Any]:
    """A criterion with every condition it has, marking those derived by negation rather than written."""
    vocabulary = ruleset.vocabulary
    derived_not_applicable = criterion.applies_when is not None and criterion.not_applicable_when == negate(criterion.applies_when)
    citation = None
    if criterion.citation is not None:
        guideline = ruleset.guidelines.get((criterion.citation.guideline, criterion.citation.edition))
        citation = {**citation_data(ruleset, criterion.citation), "mtus": guideline.mtus if guideline else None}
    return {
        "id": criterion.id,
        "title": criterion.title,
        "requirement": " ".join(criterion.requirement.split()),
        "met_when": condition_data(criterion.met_when, vocabulary),
        "not_met_when": condition_data(criterion.not_met_when, vocabulary),
        "not_met_derived": criterion.not_met_when == negate(criterion.met_when),
        "applies_when": condition_data(criterion.applies_when, vocabulary) if criterion.applies_when is not None else None,
        "not_applicable_when": condition_data(criterion.not_applicable_when, vocabulary) if criterion.not_applicable_when is not None else None,
        "not_applicable_derived": derived_not_applicable,
        "citation": citation,
        "basis": criterion.basis or None,
    }


def condition_data(cond: Condition, vocabulary: Vocabulary) -> dict[str, Any]:
    """The condition IR as nested mappings, each test carrying its fact's label, unit and type."""
    kind = cond[0]
    if kind == "test":
        _, name, op, value = cond
        fact = vocabulary.get(name)
        return {
            "kind": "test",
            "fact": name,
            "op": op,
            "value": list(value) if isinstance(value, tuple) else value,
            "type": fact.type if fact else "",
            "label": fact.label if fact else name,
            "unit": fact.unit if fact else "",
            "when_true": fact.when_true if fact else "",
            "when_false": fact.when_false if fact else "",
            "lower_bound": fact.lower_bound if fact else False,
        }
    if kind == "not":
        return {"kind": "not", "parts": [condition_data(cond[1], vocabulary)]}
    return {"kind": kind, "parts": [condition_data(part, vocabulary) for part in cond[1]]}


def decision_data(tree: Any, titles: dict[str, str]) -> dict[str, Any]:
    if isinstance(tree, str):
        return {"kind": "criterion", "id": tree, "title": titles.get(tree, "")}
    kind, parts = tree
    return {"kind": kind, "parts": [decision_data(part, titles) for part in parts]}


def facts_used(ruleset: RuleSet) -> list[dict[str, Any]]:
    """The vocabulary entries the criteria read, in vocabulary order."""
    used: set[str] = set()
    for _, _, criterion in ruleset.criteria():
        for _, cond in criterion.conditions():
            used.update(name for _, name, _, _ in tests(cond))
    return [
        {
            "name": f.name,
            "label": f.label,
            "type": f.type,
            "unit": f.unit,
            "meaning": " ".join(f.meaning.split()),
            "derived": f.derived,
            "obtained": f.obtained,
            "lower_bound": f.lower_bound,
        }
        for f in ruleset.vocabulary.facts.values()
        if f.name in used
    ]


def _date(day: Any) -> str | None:
    return day.isoformat() if day else None

