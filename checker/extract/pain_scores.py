"""Pain scores with and without medication (pain_scores of checker/cues/facts.yaml): the facts
pain_score_with_medication and pain_score_without_medication, by the qualifier the sentence ties to
each score."""

from __future__ import annotations

import re
from typing import Any

from checker.extract.asserting import Asserter
from checker.extract.model import Assertion, Run
from checker.extract.shared import SharedCues
from checker.extract.text import tidy

# the bare "with"/"without" of a comparison ("5/10 compared with 8/10 in May") names no medication; the
# window searched ends at the score, so the bare-word qualifier would otherwise take it
# what may lie between a score and its qualifier: a comma, and the time the claimant is in that state ("a 7 when she
# is without tramadol", batch 41)
_TO_QUALIFIER = re.compile(
    r"\s*,?\s*(?:(?:when|while|on\s+days?\s+when)\s+(?:she|he|they)\s+(?:is|are|was|were|goes|went|has\s+been)\s+(?=without\b|off\b))?",
    re.IGNORECASE,
)
_BARE_COMPARED = re.compile(r"\b(?:compared|contrasted|as\s+opposed)\s+(?:with|to|without)\s*$", re.I)


_ARROW = re.compile(r"(?:\s*/\s*10)?\s*(?:->|→|=>|-->)")


def _arrow_after(text: str, span: tuple[int, int]) -> bool:
    return _ARROW.match(text, span[1]) is not None


def _end_of_reading(score: list[Any]) -> int:
    """Where a score and the qualifier read after it end: that qualifier is the score's own, so the next score
    does not take it as its qualifier before ("8/10 before pregabalin, 5/10 now": 5 is no score before it)."""
    m, qualifier = score
    return max(m.end(), qualifier[1][1]) if qualifier else m.end()


class PainScores:
    def __init__(self, shared: SharedCues, asserter: Asserter, raw: dict) -> None:
        self.shared = shared
        self.asserter = asserter
        cue = shared.cue_regex
        self.facts = {"with": shared.cues.facts["pain_score_with_medication"], "without": shared.cues.facts["pain_score_without_medication"]}
        self.score = cue(raw["score"], "pain_scores.score")
        self.score_range = cue(raw["score_range"], "pain_scores.score_range")
        self.pain_word = cue(raw["pain_word"], "pain_scores.pain_word")
        self.with_med = cue(raw["with_medication"], "pain_scores.with_medication")
        self.without_med = cue(raw["without_medication"], "pain_scores.without_medication")
        self.reduction = cue(raw["reduction"], "pain_scores.reduction")
        self.comparison = cue(raw["comparison"], "pain_scores.comparison")
        self.score_before = cue(raw["score_before"], "pain_scores.score_before")
        self.transitions = [cue(rx, f"pain_scores.transitions[{i}]") for i, rx in enumerate(raw.get("transitions", ()))]

    def read(self, run: Run) -> list[Assertion]:
        found = []
        for info in run.sentences:
            text = info.sentence.text
            if not self.pain_word.search(text):
                continue
            for qualifier, score_span, span in self._scores(text):
                value = self.shared.number_in(text[score_span[0] : score_span[1]])
                if value is None or not 0 <= value <= 10:
                    continue
                assertion = self.asserter.assertion(run, info, self.facts[qualifier], tidy(value), span)
                if assertion:
                    found.append(assertion)
        return found

    def _scores(self, text: str) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
        """(with|without, the number's span, the span of number and qualifier) for each pain score
        the sentence ties to medication use."""
        scores: list[list[Any]] = []
        ranges = list(self.score_range.finditer(text))
        for m in self.score.finditer(text):
            if any(r.start() <= m.start() < r.end() for r in ranges):
                continue  # read with its range below
            if re.search(r"\d(?:\s*/\s*10)?\s*(?:-|to)\s*$", text[max(0, m.start() - 12) : m.start()]):
                continue  # the end of a range
            qualifier = self._qualifier_after(text, m.end())
            rated = self.score_before.search(text, max(0, m.start() - 16), m.start())
            if qualifier is None and not m.group("scale") and not rated:
                continue  # a bare number that is no score
            scores.append([m, qualifier])
        for i, (m, qualifier) in enumerate(scores):
            if qualifier is None:
                scores[i][1] = self._qualifier_before(text, m, _end_of_reading(scores[i - 1]) if i else 0)
        for i, (m, qualifier) in enumerate(scores):
            later = [s for s in scores[i + 1 :] if s[1] and s[1][0] == "with"]
            if qualifier is None and later and self.reduction.search(text[m.end() : later[0][0].start()]):
                scores[i][1] = ("without", (m.start(), m.end()))
            if scores[i][1] is None and (
                self._compared_with_a_score_off_the_drug(text, m, scores[i + 1 :]) or self._compared_with_a_range_off_the_drug(text, m, ranges)
            ):
                scores[i][1] = ("with", (m.start(), m.end()))
        found = []
        for m, qualifier in scores:
            if qualifier:
                kind, (q_start, q_end) = qualifier
                found.append((kind, (m.start("score"), m.end("score")), (min(m.start(), q_start), max(m.end(), q_end))))
        found += self._ranges(text, ranges)
        taken = {span for _, span, _ in found}
        for pattern in self.transitions:  # "pain goes from a nine to a six after she takes tramadol"
            for m in pattern.finditer(text):
                for kind in ("without", "with"):
                    if kind not in m.re.groupindex or m.group(kind) is None:
                        continue
                    if m.span(kind) not in taken:
                        found.append((kind, m.span(kind), m.span()))
                    elif kind == "without" and _arrow_after(text, m.span(kind)):
                        # "With diclofenac pain 7/10 -> 4/10": the drug named before an arrow qualifies the change, so
                        # the score the arrow leaves is the one without it
                        found = [f for f in found if f[1] != m.span(kind)] + [(kind, m.span(kind), m.span())]
        return found

    def _ranges(self, text: str, ranges: list[re.Match[str]]) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
        """Each range of scores tied to medication use, read at its end least favourable to the drug:
        its lower score without the drug, its higher score with it."""
        found = []
        for m in ranges:
            qualifier = self._qualifier_after(text, m.end()) or self._qualifier_before(text, m, 0)
            if qualifier:
                kind, (q_start, q_end) = qualifier
                end = "low" if kind == "without" else "high"
                found.append((kind, m.span(end), (min(m.start(), q_start), max(m.end(), q_end))))
        return found

    def _compared_with_a_score_off_the_drug(self, text: str, score: re.Match[str], later: list[list[Any]]) -> bool:
        """The next score is one without the drug, and a comparison joins the two ("4/10, compared with
        8/10 before Lyrica"): this one is the score on the drug."""
        if not later or not later[0][1] or later[0][1][0] != "without":
            return False
        return bool(self.comparison.search(text[score.end() : later[0][0].start()]))

    def _compared_with_a_range_off_the_drug(self, text: str, score: re.Match[str], ranges: list[re.Match[str]]) -> bool:
        """The same, when the score off the drug is a range ("5/10, down from 7-8/10 before duloxetine")."""
        following = next((r for r in ranges if r.start() >= score.end()), None)
        if following is None:
            return False
        qualifier = self._qualifier_after(text, following.end())
        return qualifier is not None and qualifier[0] == "without" and bool(self.comparison.search(text[score.end() : following.start()]))

    def _qualifier_after(self, text: str, end: int) -> tuple[str, tuple[int, int]] | None:
        """The with/without-medication phrase right after a score (a comma between allowed)."""
        after = _TO_QUALIFIER.match(text, end)
        return self._qualifier_at(text, after.end() if after else end)

    def _qualifier_at(self, text: str, at: int) -> tuple[str, tuple[int, int]] | None:
        for kind, pattern in (("without", self.without_med), ("with", self.with_med)):
            m = pattern.match(text, at)
            if m:
                return kind, (m.start(), m.end())
        return None

    def _qualifier_before(self, text: str, score: re.Match[str], floor: int) -> tuple[str, tuple[int, int]] | None:
        window_start = max(floor, score.start() - 80)
        best = None
        for kind, pattern in (("without", self.without_med), ("with", self.with_med)):
            for m in pattern.finditer(text, window_start, score.start()):
                between = text[m.end() : score.start()]
                if re.search(r";|->|→|=>|\b(?:and|but|however|now)\b", between):  # "7/10 before gabapentin, now 4/10": now is no longer before
                    continue
                if _BARE_COMPARED.search(text, max(0, m.start() - 24), m.end()):
                    continue  # "compared with 8/10": a comparison, not a score with the drug
                if best is None or m.start() > best[1][0]:
                    best = (kind, (m.start(), m.end()))
        return best
