"""What every fact family's cues are compiled with: the drug names of the rule set's lexicon, the
number words ({number}), the first-line analgesics ({first_line}), the drug classes' own words
({drug:CLASS}) and the shared fragments of checker/cues/facts.yaml."""

from __future__ import annotations

import re

from checker.extract.text import QUANTITY_WORDS, duration, number, trie_regex
from checker.load.lexicon import normalise
from checker.load.ruleset import RuleSet
from checker.text.extract_cues import ExtractionCues, compile_regex, drug_placeholders, fill_fragments
from checker.text.textdates import FULL_DATE, MONTH_YEAR


class SharedCues:
    """The cue file's shared vocabulary compiled for one rule set."""

    def __init__(self, ruleset: RuleSet, cues: ExtractionCues) -> None:
        self.ruleset = ruleset
        self.cues = cues
        raw, path = cues.raw, cues.path
        self.drug_names: dict[str, str] = {}
        for drug in ruleset.lexicon.drugs.values():
            for name in (drug.generic, *drug.names):
                self.drug_names.setdefault(normalise(name), drug.generic)
        names = sorted(self.drug_names, key=lambda n: (-len(n), n))
        # a drug's name used as a unit of measure ("45 mg morphine equivalent per day") names no drug taken
        measure = raw["medications"].get("name_as_measure")
        not_measure = f"(?!{measure})" if measure else ""
        self.drug_pattern = re.compile(r"(?<![A-Za-z0-9])(?:" + trie_regex(names) + r")(?![A-Za-z0-9])" + not_measure, re.IGNORECASE)
        self.class_words = {cls: compile_regex(rx, path, f"drug_class_words.{cls}") for cls, rx in raw.get("drug_class_words", {}).items()}
        self._alternatives: dict[str | None, str] = {}
        self.numbers = {str(k).lower(): int(v) for k, v in raw["therapy"]["numbers"].items()}
        self.number = number_regex(self.numbers)
        self.first_line = self._first_line(raw["first_line"])
        self.full_date = re.compile(FULL_DATE, re.IGNORECASE)
        self.date_or_month = re.compile(f"{FULL_DATE}|{MONTH_YEAR}", re.IGNORECASE)
        medications = raw["medications"]
        self._remedy_before = self.cue_regex(medications["remedy_before"], "medications.remedy_before")
        self._remedy_after = self.cue_regex(medications["remedy_after"], "medications.remedy_after")
        self._reduced_before = self.cue_regex(medications["reduced_before"], "medications.reduced_before")
        self._reduced_after = self.cue_regex(medications["reduced_after"], "medications.reduced_after")
        self._stopped_before = self.cue_regex(medications["stopped_before"], "medications.stopped_before")
        self._stopped_after = self.cue_regex(medications["stopped_after"], "medications.stopped_after")
        other = self.cues.fragments.get("other_treatment")
        self._other_treatment = self.cue_regex(other, "fragments.other_treatment") if other else None
        # each kind of therapy (therapy.kinds of the cues) as a whole word; TherapyVisits reads the same patterns
        self.therapy_kinds = {kind: compile_regex(rf"\b(?:{rx})\b", path, f"therapy.kinds.{kind}") for kind, rx in raw["therapy"]["kinds"].items()}
        carries = self.cues.fragments.get("carries_on")
        self._carries_on = self.cue_regex(carries, "fragments.carries_on") if carries else None
        dose = self.cues.fragments.get("dose_named_alone")
        self._dose_named_alone = self.cue_regex(dose, "fragments.dose_named_alone") if dose else None

    def _first_line(self, raw: dict) -> str:
        """{first_line}: the names of the first-line analgesics (acetaminophen, the NSAIDs)."""
        classes = set(raw.get("drug_classes", []))
        generics = {d.generic for d in self.ruleset.lexicon.drugs.values() if classes & set(d.classes)} | set(raw.get("drugs", []))
        names = sorted((n for n, g in self.drug_names.items() if g in generics), key=len, reverse=True)
        alternatives = [r"\s+".join(re.escape(w) for w in n.split()) for n in names] + list(raw.get("words", []))
        return "|".join(f"(?:{a})" for a in alternatives)

    def drug_alternatives(self, drug_class: str | None) -> str:
        """The names of every drug of a class (all drugs for None) and the class's own words."""
        if drug_class not in self._alternatives:
            self._alternatives[drug_class] = self._alternatives_of(drug_class)
        return self._alternatives[drug_class]

    def _alternatives_of(self, drug_class: str | None) -> str:
        generics = {d.generic for d in self.ruleset.lexicon.drugs.values() if drug_class is None or drug_class in d.classes}
        names = sorted((n for n, g in self.drug_names.items() if g in generics), key=lambda n: (-len(n), n))
        class_words = self.cues.raw.get("drug_class_words", {})
        words = [class_words[drug_class]] if drug_class in class_words else []
        return "|".join([r"(?<![A-Za-z0-9])(?:" + trie_regex(names) + r")(?![A-Za-z0-9])", *words])

    def cue_regex(self, source: str, where: str, case_sensitive: bool = False) -> re.Pattern[str]:
        """A fact cue with its fragments filled in: {number}, {drug}, {drug:CLASS}, {date}."""
        filled = drug_placeholders(fill_fragments(source, self.cues.fragments), self.drug_alternatives)
        return compile_regex(filled, self.cues.path, where, case_sensitive, number=self.number, first_line=self.first_line)

    def regex(self, source: str, where: str, **parts: str) -> re.Pattern[str]:
        """A special section's regex as written (no fact fragments), with the given parts filled in."""
        return compile_regex(source, self.cues.path, where, **parts)

    def count(self, written: str) -> int | None:
        """A whole count written in digits or words."""
        found = number(written, self.numbers)
        return None if found is None else int(found)

    def number_in(self, written: str | None) -> float | None:
        return number(written, self.numbers)

    def duration_in(self, written: str | None, unit: str) -> float | None:
        return duration(written, self.numbers, unit)

    def names_remedy(self, text: str, start: int, end: int) -> bool:
        """The drug named at text[start:end] is the remedy for another drug's adverse effect."""
        return bool(self._remedy_before.search(text, max(0, start - 120), start) or self._remedy_after.match(text[end : end + 120]))

    def names_reduced(self, text: str, start: int, end: int) -> bool:
        """The drug named at text[start:end] is what was cut down, the benefit of other care."""
        return bool(self._reduced_before.search(text, max(0, start - 60), start) or self._reduced_after.match(text[end : end + 60]))

    def names_a_dose_alone(self, text: str) -> bool:
        """The sentence speaks of a drug's dose without naming the drug ("on the lower dose"; dose_named_alone of the cues)."""
        return self._dose_named_alone is not None and self._dose_named_alone.search(text) is not None

    def carries_on(self, text: str) -> bool:
        """The sentence opens by carrying on the claimant's account of the one before (carries_on of the cues)."""
        return self._carries_on is not None and self._carries_on.match(text) is not None

    def therapy_kinds_in(self, text: str) -> set[str]:
        """The kinds of therapy (therapy.kinds of the cues) the text names."""
        return {kind for kind, rx in self.therapy_kinds.items() if rx.search(text)}

    def names_other_treatment(self, text: str) -> bool:
        """The sentence names a treatment other than a drug (an injection, a therapy, an operation): the
        other_treatment fragment of the cues."""
        return bool(self._other_treatment is not None and self._other_treatment.search(text))

    def names_stopped(self, text: str, start: int, end: int) -> bool:
        """The drug named at text[start:end] is told as stopped."""
        return bool(self._stopped_before.search(text, max(0, start - 60), start) or self._stopped_after.match(text[end : end + 60]))

    def names_other_care(self, text: str, start: int, end: int) -> bool:
        """The drug named at text[start:end] is not what the sentence speaks of: a remedy for another drug's
        effect, what other care let the claimant cut down, or a drug stopped where the sentence names care other than
        drugs (what that care made unneeded)."""
        return (self.names_remedy(text, start, end) or self.names_reduced(text, start, end)
                or (self.names_stopped(text, start, end) and self.names_other_treatment(text)))

    def generic(self, written: str) -> str | None:
        """The generic name of a drug name as written, or None."""
        return self.drug_names.get(normalise(written))


def number_regex(numbers: dict[str, int]) -> str:
    """{number}: digits (a decimal, a range "6-8" or "6 to 8"), a number word or a compound of two
    ("thirty-nine", "six to eight"), a quantity ("a dozen", "half a dozen", "a couple of"), each with
    "and a half" or not, and with the digits repeated in brackets or not."""
    words = "|".join(sorted((re.escape(w) for w in numbers), key=len, reverse=True))
    word = rf"(?:{words})(?:[\s-](?:{words})(?!\w)(?!-(?:{words})\b))?"
    digits = r"\d{1,3}(?:\.\d{1,2})?"
    quantity = "|".join(QUANTITY_WORDS)
    amount = (
        rf"{digits}(?:\s*(?:-|–|to)\s*{digits}(?![\d/]))?"
        rf"|(?:half\s+)?(?:an?\s+|{word}\s+)?(?:{quantity})(?:\s+of)?(?!\w)"
        rf"|{word}(?:\s+(?:to|or)\s+{word})?"
    )
    return rf"(?:(?:{amount})(?:\s+and\s+a\s+half)?(?:\s*\(\d{{1,3}}\))?)"
