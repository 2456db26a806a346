"""The claimant and the injury (claimant and injury_date of checker/cues/facts.yaml): the stated
age or one from a date of birth, the sex, the date of injury."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from checker.extract.model import Run, evidence_at
from checker.extract.shared import SharedCues
from checker.extract.text import plausible
from checker.text.context import Document, Sentence
from checker.text.textdates import parse_date


class Claimant:
    def __init__(self, shared: SharedCues, raw: dict, injury_date: list) -> None:
        self.shared = shared
        self.age_patterns = [shared.cue_regex(rx, f"claimant.age[{i}]") for i, rx in enumerate(raw["age"])]
        self.birth_date = shared.cue_regex(raw["date_of_birth"], "claimant.date_of_birth")
        self.someone_else = shared.cue_regex(raw["someone_else"], "claimant.someone_else") if raw.get("someone_else") else None
        self.sex_pattern = shared.regex(raw["sex"], "claimant.sex")
        self.sex_word = shared.regex(raw["sex_word"], "claimant.sex_word")
        self.pronouns = {
            "female": shared.regex(raw["female_pronoun"], "claimant.female_pronoun"),
            "male": shared.regex(raw["male_pronoun"], "claimant.male_pronoun"),
        }
        self.sex_values = dict(raw["sex_values"])
        self.injury_patterns = [shared.regex(rx, f"injury_date[{i}]") for i, rx in enumerate(injury_date)]

    def read(self, doc: Document, evidence: dict[str, Any], run: Run) -> dict[str, Any]:
        found: dict[str, Any] = {}
        age = self._age(doc, run)
        if age is not None:
            found["age"], sentence, span = age
            evidence["claimant.age"] = evidence_at(doc, sentence, span).as_dict()
        sex = _first(doc, self.sex_pattern) or _first(doc, self.sex_word)
        if sex:
            found["sex"] = self.sex_values[sex[1].group("sex").lower()]
            evidence["claimant.sex"] = evidence_at(doc, sex[0], sex[1].span("sex")).as_dict()
        else:
            counts = {k: len(rx.findall(doc.norm)) for k, rx in self.pronouns.items()}
            winner = max(counts, key=lambda k: counts[k])
            if counts[winner] >= 2 and min(counts.values()) == 0:
                first = _first(doc, self.pronouns[winner])
                if first:
                    found["sex"] = winner
                    evidence["claimant.sex"] = evidence_at(doc, first[0], first[1].span()).as_dict()
        return found

    def _age(self, doc: Document, run: Run) -> tuple[int, Sentence, tuple[int, int]] | None:
        """The stated age (digits or words, "58 y/o", "age 62"), else the age on the request date
        from a single stated date of birth."""
        for pattern in self.age_patterns:
            for sentence in doc.sentences:
                for m in pattern.finditer(sentence.text):
                    age = self.shared.number_in(m.group("age"))
                    if age is not None and 0 <= age <= 120 and not self._someone_elses(sentence.text, m.span()):
                        return int(age), sentence, m.span()
        born = _first(doc, self.birth_date)
        if born is None or run.as_of is None:
            return None
        parsed = parse_date(born[1].group("date"), run.pivot)
        if not parsed or parsed[1] != "day" or not plausible(parsed[0], run.as_of):
            return None
        day, as_of = parsed[0], run.as_of
        age = as_of.year - day.year - ((as_of.month, as_of.day) < (day.month, day.day))
        return (age, born[0], born[1].span()) if 0 <= age <= 120 else None

    def _someone_elses(self, text: str, span: tuple[int, int]) -> bool:
        """An age written beside a relative or another person ("her 70 y/o father", "son, age 12")."""
        if self.someone_else is None:
            return False
        return bool(self.someone_else.search(text[max(0, span[0] - 25) : span[0]]) or self.someone_else.match(text, span[1], min(len(text), span[1] + 25)))

    def injury(self, doc: Document, run: Run, evidence: dict[str, Any]) -> dt.date | None:
        best = None
        for pattern in self.injury_patterns:
            for sentence in doc.sentences:
                m = pattern.search(sentence.text)
                if m and (best is None or (sentence.start + m.start()) < best[2]):
                    parsed = parse_date(m.group("date"), run.pivot)
                    if parsed and parsed[1] == "day" and plausible(parsed[0], run.as_of):
                        best = (sentence, m, sentence.start + m.start(), parsed[0])
        if best is None:
            return None
        evidence["dates.injury"] = evidence_at(doc, best[0], best[1].span()).as_dict()
        return best[3]

    def injury_mentions(self, text: str) -> list[tuple[int, int]]:
        """The spans of the dates of injury a sentence states (no note date)."""
        return [m.span("date") for rx in self.injury_patterns for m in rx.finditer(text)]


def _first(doc: Document, pattern: re.Pattern[str]) -> tuple[Sentence, re.Match[str]] | None:
    for sentence in doc.sentences:
        m = pattern.search(sentence.text)
        if m:
            return sentence, m
    return None
