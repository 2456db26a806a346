"""The clinical text with the evidence of each drafted fact marked, and the context of each cue.

Presentation only: the offsets are the extractor's (checker.extract, `evidence.span` and
`evidence.cue_span` into the text as given), the context categories are ConText's
(checker.text.context). This module cuts the text where a mark begins or ends, so marks that share a
sentence never nest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checker.text.context import ContextRules


@dataclass(frozen=True)
class Mark:
    """One fact's evidence: the sentence [start, end) and the cue [cue_start, cue_end) inside it."""

    ref: str  # this evidence's own anchor in the text is "ev-<ref>"
    row: str  # the anchor of the row on the page that the evidence belongs to
    start: int
    end: int
    cue_start: int
    cue_end: int


@dataclass(frozen=True)
class Piece:
    """A run of the text under the same marks."""

    text: str
    refs: tuple[str, ...]  # the marks whose sentence covers it
    cue: bool  # inside some mark's cue
    opens: tuple[str, ...]  # marks that begin here (their anchors)
    closes: tuple[Mark, ...]  # marks that end here (a label linking to the row)


def mark_of(ref: str, evidence: Any, text: str, row: str = "") -> Mark | None:
    """The mark of an evidence mapping, or None when its offsets do not fit the text (evidence read
    from a request line indexes that line, and its sentence is not the text's there)."""
    if not isinstance(evidence, dict):
        return None
    span, cue = evidence.get("span"), evidence.get("cue_span")
    if not (_is_span(span) and _is_span(cue)):
        return None
    start, end, cue_start, cue_end = span[0], span[1], cue[0], cue[1]
    if not 0 <= start <= cue_start <= cue_end <= end <= len(text) or start == end:
        return None
    if isinstance(evidence.get("sentence"), str) and " ".join(text[start:end].split()) != " ".join(evidence["sentence"].split()):
        return None
    return Mark(ref, row or ref, start, end, cue_start, cue_end)


def _is_span(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in value)


def pieces(text: str, marks: list[Mark]) -> list[Piece]:
    """The text cut at every mark's edges, in order; the pieces join back to the text."""
    cuts = sorted({0, len(text), *(x for m in marks for x in (m.start, m.end, m.cue_start, m.cue_end))})
    found = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        covering = [m for m in marks if m.start <= a and b <= m.end]
        found.append(Piece(
            text[a:b],
            tuple(m.ref for m in covering),
            any(m.cue_start <= a and b <= m.cue_end for m in covering),
            tuple(m.ref for m in marks if m.start == a),
            tuple(m for m in marks if m.end == b),
        ))
    return found


def cue_context(context: ContextRules, evidence: Any) -> list[dict[str, str]]:
    """The ConText categories around an evidence's mention (negated, historical, hypothetical ...),
    each with the cue that carries it; [] for a plain, affirmed mention."""
    if not isinstance(evidence, dict) or not isinstance(evidence.get("sentence"), str) or not isinstance(evidence.get("cue"), str):
        return []
    sentence, cue = evidence["sentence"], evidence["cue"]
    span, cue_span = evidence.get("span"), evidence.get("cue_span")
    hint = cue_span[0] - span[0] if _is_span(span) and _is_span(cue_span) else 0
    cue_at = _nearest(sentence, cue, hint)
    if cue_at < 0:
        return []
    mention = evidence.get("mention") if isinstance(evidence.get("mention"), str) else cue
    mention_at = _nearest(sentence, mention, cue_at)
    modifiers = context.modifiers(sentence)
    found: dict[str, str] = {}
    for modifier in modifiers:
        if modifier.start == cue_at and modifier.end == cue_at + len(cue):
            found[modifier.category] = cue  # the cue that decided the value is a ConText cue itself
    if mention_at >= 0:
        for category, modifier in context.assess(modifiers, mention_at, mention_at + len(mention)).items():
            found.setdefault(category, sentence[modifier.start:modifier.end])
    return [{"category": category, "cue": words} for category, words in found.items()]


def _nearest(sentence: str, words: str, hint: int) -> int:
    """The occurrence of `words` in the sentence closest to offset `hint`, or -1."""
    if not words:
        return -1
    best, at = -1, sentence.find(words)
    while at >= 0:
        if best < 0 or abs(at - hint) < abs(best - hint):
            best = at
        at = sentence.find(words, at + 1)
    return best
