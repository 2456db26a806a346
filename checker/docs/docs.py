"""The rule set as a readable reference (`mtus rules docs`, and `mtus rules list` in short): the
guideline catalogue and, per topic, what it encodes and leaves out, the guideline editions it follows,
the editions materialised from them, and every criterion with its role, provenance and dated changes
(what changed on which date), conditions, limits and citations; then every unconfirmed item. Plain
data for the Markdown, HTML and text templates.

Conditions reach the templates through condition_data(), one converter for the tuple IR of
checker/load/conditions.py; the words for them are in templates/_rules_docs.j2 (condition_words).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checker.base.errors import InputError
from checker.load.conditions import Condition, negate, tests
from checker.load.ruleset import Citation, Criterion, DatedCriterion, Edition, Followed, Provenance, RuleSet, Topic
from checker.load.vocabulary import Vocabulary
from checker.report.report import citation_data

DOCS_SCHEMA = "mtus-rules-docs/2"
# What a topic may apply to, in the order the reference lists them.
APPLIES_TO_FIELDS = ("drugs", "drug_classes", "except_drugs", "services", "categories", "body_parts", "routes", "timing")
# The keys a dated block may change, in the order the reference shows them.
BLOCK_FIELDS = ("title", "requirement", "met_when", "not_met_when", "applies_when", "not_applicable_when", "citation", "basis", "withdrawn")


def docs_data(ruleset: RuleSet) -> dict[str, Any]:
    return {
        "schema": DOCS_SCHEMA,
        "ruleset": ruleset.identity(),
        "guidelines": guideline_catalogue(ruleset),
        "topics": [topic_data(ruleset, topic) for topic in ruleset.topics],
        "unconfirmed": unconfirmed_items(ruleset),
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
    titles = {c.id: c.title for c in topic.dated_criteria}
    return {
        "id": topic.topic,
        "title": topic.title,
        "file": Path(topic.path).name,
        "applies_to": [
            {"field": name, "values": list(getattr(topic, name))} for name in APPLIES_TO_FIELDS if getattr(topic, name, ())
        ],
        "summary": topic.provenance.summary,
        "readings": list(topic.provenance.readings),
        "not_encoded": [{"what": n.what, "why": n.why} for n in topic.not_encoded],
        "follows": [followed_data(ruleset, f) for f in topic.follows],
        "indicated_when": decision_data(topic.indicated_when, titles) if topic.indicated_when is not None else None,
        "on_denial": topic.editions[0].on_denial if topic.editions else "none",
        "editions": [edition_data(ruleset, edition) for edition in topic.editions],
        "criteria": [dated_criterion_data(ruleset, topic, c) for c in topic.dated_criteria],
    }


def followed_data(ruleset: RuleSet, followed: Followed) -> dict[str, Any]:
    guideline = ruleset.guidelines[(followed.guideline, followed.edition)]
    return {
        "label": followed.label,
        "guideline": followed.guideline,
        "edition": followed.edition,
        "title": guideline.title,
        "letter_name": guideline.letter_name,
        "effective_from": _date(followed.effective_from),
        "effective_to": _date(followed.effective_to),
        "until": _date(followed.until),
        "guideline_effective_to": _date(guideline.effective_to),
        "when": condition_data(followed.when, ruleset.vocabulary) if followed.when is not None else None,
    }


def edition_data(ruleset: RuleSet, edition: Edition) -> dict[str, Any]:
    """An edition as materialised: one followed guideline edition over a stretch of days in which no
    criterion changes."""
    titles = {c.id: c.title for c in edition.criteria}
    return {
        "edition": edition.edition,
        "key": edition.key,
        "effective_from": _date(edition.effective_from),
        "effective_to": _date(edition.effective_to),
        "when": condition_data(edition.when, ruleset.vocabulary) if edition.when is not None else None,
        "criteria": [{"id": c.id, "title": c.title, "role": c.role, "since": _date(c.since)} for c in edition.criteria],
        "decision": decision_data(edition.decision, titles) if edition.decision is not None else None,
        "on_denial": edition.on_denial,
    }


def dated_criterion_data(ruleset: RuleSet, topic: Topic, dated: DatedCriterion) -> dict[str, Any]:
    """A criterion as written: its role and provenance, and per dated block what changed then, shown
    through the criterion as in force from that date (so a condition derived by negation is shown)."""
    in_force = {c.since: c for e in topic.editions for c in e.criteria if c.id == dated.id}
    changes = []
    for position, (day, block) in enumerate(dated.blocks):
        version = in_force.get(day)
        after_withdrawal = position > 0 and bool(dated.blocks[position - 1][1].get("withdrawn"))
        changes.append({
            "date": day.isoformat(),
            "withdrawn": bool(block.get("withdrawn")),
            "whole": position == 0 or after_withdrawal,  # shown in full, not as changes
            "changed": [key for key in BLOCK_FIELDS if key in block],
            "criterion": criterion_data(ruleset, version) if version is not None else None,
        })
    return {
        "id": dated.id,
        "role": dated.role,
        "title": dated.title,
        "under": list(dated.under),
        "provenance": provenance_data(ruleset, dated.provenance),
        "changes": changes,
    }


def criterion_data(ruleset: RuleSet, criterion: Criterion) -> dict[str, Any]:
    """A criterion with every condition it has, marking those derived by negation rather than written."""
    vocabulary = ruleset.vocabulary
    derived_not_applicable = criterion.applies_when is not None and criterion.not_applicable_when == negate(criterion.applies_when)
    return {
        "id": criterion.id,
        "title": criterion.title,
        "role": criterion.role,
        "since": _date(criterion.since),
        "requirement": " ".join(criterion.requirement.split()),
        "met_when": condition_data(criterion.met_when, vocabulary),
        "not_met_when": condition_data(criterion.not_met_when, vocabulary),
        "not_met_derived": criterion.not_met_when == negate(criterion.met_when),
        "applies_when": condition_data(criterion.applies_when, vocabulary) if criterion.applies_when is not None else None,
        "not_applicable_when": condition_data(criterion.not_applicable_when, vocabulary) if criterion.not_applicable_when is not None else None,
        "not_applicable_derived": derived_not_applicable,
        "citation": reference_citation(ruleset, criterion.citation),
        "basis": criterion.basis or None,
    }


def reference_citation(ruleset: RuleSet, citation: Citation | None) -> dict[str, Any] | None:
    """A citation as the reference shows it: with its pages (and whether a source confirms them) and
    whether the guideline is MTUS (None: not in the catalogue)."""
    if citation is None:
        return None
    guideline = ruleset.guidelines.get((citation.guideline, citation.edition))
    return {**citation_data(ruleset, citation), "mtus": guideline.mtus if guideline else None}


def provenance_data(ruleset: RuleSet, provenance: Provenance | None) -> dict[str, Any] | None:
    if provenance is None:
        return None
    return {
        "paraphrases": reference_citation(ruleset, provenance.paraphrases),
        "confirmed_by": list(provenance.confirmed_by),
        "confidence": provenance.confidence,
        "note": provenance.note or None,
    }


def unconfirmed_items(ruleset: RuleSet) -> list[dict[str, Any]]:
    """Every criterion whose provenance is unconfirmed and every citation of a page no source
    confirms (pages_confirmed: false), topic by topic in file order."""
    found = []
    for topic in ruleset.topics:
        for dated in topic.dated_criteria:
            where = {"topic": topic.topic, "topic_title": topic.title, "criterion": dated.id, "title": dated.title}
            provenance = dated.provenance
            if provenance is not None and provenance.confidence == "unconfirmed":
                found.append({**where, "kind": "criterion", "date": None, "citation": None, "note": provenance.note or None})
            for day, block in dated.blocks:
                cited = block.get("citation")
                if isinstance(cited, dict) and cited.get("pages_confirmed") is False:
                    citation = _block_citation(topic, dated.id, day)
                    found.append({**where, "kind": "citation", "date": day.isoformat(), "citation": reference_citation(ruleset, citation), "note": None})
            if provenance is not None and provenance.paraphrases is not None and not provenance.paraphrases.pages_confirmed:
                found.append({**where, "kind": "paraphrase", "date": None, "citation": reference_citation(ruleset, provenance.paraphrases), "note": None})
    return found


def _block_citation(topic: Topic, criterion_id: str, day: Any) -> Citation | None:
    """The citation a block gives, as the loader read it (from the criterion in force from that day)."""
    return next((c.citation for e in topic.editions for c in e.criteria if c.id == criterion_id and c.since == day), None)


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
