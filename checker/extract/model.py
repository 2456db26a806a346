"""The values extraction passes between its stages: a drafted value's evidence, one assertion of a
fact, a drug mention, a sentence read in context, a request line read for attribution, and one run's
state. Evidence offsets are into the text as given (end exclusive)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from checker.text.context import Document, Modifier, Sentence

SOURCE = "clinical text"
REQUEST_LINE = "request line"  # evidence offsets then index the request line
DROP = object()  # a mention that gives the fact no value


@dataclass(frozen=True)
class Evidence:
    """Where a value came from: offsets are into the text as given (end exclusive)."""

    sentence: str
    start: int
    end: int
    cue: str
    cue_start: int
    cue_end: int
    mention: str = ""

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"sentence": self.sentence, "span": [self.start, self.end], "cue": self.cue, "cue_span": [self.cue_start, self.cue_end]}
        if self.mention and self.mention != self.cue:
            found["mention"] = self.mention
        return found


@dataclass(frozen=True)
class Assertion:
    fact: str
    value: Any
    evidence: Evidence
    order: int  # offset in the normalised text, for a stable order
    date: dt.date | None
    scope: tuple[int, ...] | None  # indexes of the requests it is about; None: the whole case
    source: str = SOURCE
    with_fact: str = ""  # it stands only when another assertion gives this fact as true


@dataclass(frozen=True)
class DrugMention:
    start: int  # sentence-relative
    end: int
    generic: str
    written: str


@dataclass
class SentenceInfo:
    sentence: Sentence
    modifiers: list[Modifier]
    date: dt.date | None
    drugs: list[DrugMention]
    classes: set[str]
    review: bool
    stated_date: dt.date | None = None  # the date the sentence itself states (not one carried from a note before it)


@dataclass(frozen=True)
class RequestInfo:
    index: int
    text: str
    drug: str
    classes: frozenset[str]
    therapy: str
    modality: str
    parts: frozenset[str]
    sides: frozenset[str]
    injection: str = ""  # the kind of injection requested (injection_kinds), if any


@dataclass
class Run:
    doc: Document
    sentences: list[SentenceInfo]
    requests: list[RequestInfo]
    as_of: dt.date | None
    pivot: int
    injury: dt.date | None = None
    regions: dict[int, tuple[set[str], set[str]]] = field(default_factory=dict)  # sentence index -> body parts, sides


def evidence_at(doc: Document, sentence: Sentence, cue: tuple[int, int], mention: tuple[int, int] | None = None) -> Evidence:
    """The evidence of a cue (and the mention it decided) in a sentence of the document."""
    cue = _trimmed(sentence.text, cue)
    start, end = doc.raw_span(sentence.start, sentence.end)
    cue_start, cue_end = doc.raw_span(sentence.start + cue[0], sentence.start + cue[1])
    written = sentence.text[mention[0] : mention[1]] if mention else ""
    return Evidence(sentence.text, start, end, sentence.text[cue[0] : cue[1]], cue_start, cue_end, written)


def _trimmed(text: str, span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    while start < end and text[start] in " ,:":
        start += 1
    while end > start and text[end - 1] in " ,:":
        end -= 1
    return start, end
