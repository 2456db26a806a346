"""Diagnoses (diagnoses of checker/cues/facts.yaml): the items a diagnosis cue lists, in order,
each once, with the sentences that stated them."""

from __future__ import annotations

from typing import Any

from checker.extract.model import Run, evidence_at
from checker.extract.shared import SharedCues
from checker.extract.text import split_list
from checker.text.context import ContextRules


class Diagnoses:
    def __init__(self, shared: SharedCues, context: ContextRules, raw: dict) -> None:
        self.context = context
        self.cues = [shared.regex(rx, f"diagnoses.cues[{i}]") for i, rx in enumerate(raw["cues"])]
        self.skip = shared.regex(raw["skip"], "diagnoses.skip")
        self.clause = shared.regex(raw["clause"], "diagnoses.clause")

    def read(self, run: Run, evidence: dict[str, Any]) -> list[str]:
        found: list[str] = []
        sources = []
        for info in run.sentences:
            if info.review:
                continue
            text = info.sentence.text
            cue = min((m for rx in self.cues for m in rx.finditer(text)), key=lambda m: (m.start(), -m.end()), default=None)
            if cue is None:
                continue
            cats = self.context.assess(info.modifiers, cue.start(), cue.end())
            if set(cats) & {"hypothetical", "uncertain", "requested", "negated", "not_documented", "other_person", "conditional"}:
                continue
            added = False
            for item in split_list(text[cue.end() :].rstrip(" .")):
                item = item.strip(" \"'“”.:")
                if item and not self.skip.search(item) and not self.clause.search(item) and item.lower() not in {f.lower() for f in found}:
                    found.append(item)
                    added = True
            if added:
                sources.append(evidence_at(run.doc, info.sentence, cue.span()).as_dict())
        if sources:
            evidence["diagnoses"] = sources
        return found
