"""The rule set as plain data, for `rules list` (and later `rules docs`)."""

from __future__ import annotations

from typing import Any

from checker.report import citation_data
from checker.rules import RuleSet


def catalogue(ruleset: RuleSet) -> dict[str, Any]:
    return {
        "name": ruleset.name,
        "stamp": ruleset.stamp,
        "topics": [
            {
                "id": t.topic,
                "title": t.title,
                "drugs": list(t.drugs),
                "drug_classes": list(t.drug_classes),
                "except_drugs": list(t.except_drugs),
                "services": list(t.services),
                "body_parts": list(t.body_parts),
                "routes": list(t.routes),
                "timing": list(t.timing),
                "editions": [
                    {
                        "edition": e.edition,
                        "effective_from": e.effective_from.isoformat(),
                        "effective_to": e.effective_to.isoformat() if e.effective_to else None,
                        "criteria": [
                            {"id": c.id, "title": c.title, "citation": citation_data(ruleset, c.citation) if c.citation else None, "basis": c.basis or None}
                            for c in e.criteria
                        ],
                    }
                    for e in t.editions
                ],
            }
            for t in ruleset.topics
        ],
    }
