"""Therapy visits completed (therapy of checker/cues/facts.yaml): counts of visits by kind of
therapy, the fact therapy_visits_completed under the request for the same kind."""

from __future__ import annotations

import dataclasses
import re

from checker.extract.asserting import Asserter
from checker.extract.model import Assertion, Run, SentenceInfo
from checker.extract.shared import SharedCues
from checker.text.context import Modifier, keep_longest
from checker.text.extract_cues import fill

_PROGRAM_DAYS_A_WEEK = 5
# the session told by its place in the course ("after the fourth session"): the sessions held so far
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
    "tenth": 10, "eleventh": 11, "twelfth": 12,
}
_ORDINAL = "|".join(_ORDINALS) + r"|\d{1,2}(?:st|nd|rd|th)"
# the contexts in which a mention of a kind of therapy tells no care of it given; any other mention, denied or doubted
# too, leaves the kind to the counts and denials read from the records
_NOT_GIVEN = frozenset(("requested", "hypothetical", "conditional", "review", "other_person"))


def _ordinal(written: str) -> int | None:
    """The count an ordinal gives ("fourth", "6th"); None for any other word."""
    word = written.lower()
    if word in _ORDINALS:
        return _ORDINALS[word]
    digits = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)", word)
    return int(digits.group(1)) if digits else None


def _denied_right_before(text: str, negation: Modifier | None, start: int) -> bool:
    """A denial that opens the mention's own phrase ("no therapy or manipulation"), not one that reaches it from
    another clause ("acetaminophen, which did not control her pain, 10 physical therapy visits")."""
    return negation is not None and 0 <= start - negation.end <= 25 and "," not in text[negation.end : start]


class TherapyVisits:
    def __init__(self, shared: SharedCues, asserter: Asserter, raw: dict) -> None:
        self.shared = shared
        self.asserter = asserter
        self.fact = shared.cues.facts["therapy_visits_completed"]
        self.kinds = shared.therapy_kinds
        self.operation_to_come = shared.regex(raw["operation_to_come"], "therapy.operation_to_come")
        self.operation_done = shared.regex(raw["operation_done"], "therapy.operation_done")
        kind = "|".join(f"(?:{rx})" for rx in raw["kinds"].values())
        program = raw["kinds"]["functional_restoration"]
        all_given = fill(raw["all_given"], number=shared.number)  # filled first: fill puts the parts in one pass
        self.counts = [
            shared.regex(rx, f"therapy.counts[{i}]", number=shared.number, kind=kind, program=program, all_given=all_given, ordinal=_ORDINAL)
            for i, rx in enumerate(raw["counts"])
        ]
        self.none = [shared.regex(rx, f"therapy.none[{i}]", number=shared.number, kind=kind) for i, rx in enumerate(raw["none"])]
        self.none_unnamed = [shared.regex(rx, f"therapy.none_unnamed[{i}]") for i, rx in enumerate(raw.get("none_unnamed", []))]
        # a trial or first course of a kind proposed now: none of that kind given before it. Read only inside a
        # plan or request (a trial that "helped" was given), so the rule keeps and requires those categories
        self.first_course = [shared.regex(rx, f"therapy.first_course[{i}]", kind=kind) for i, rx in enumerate(raw.get("first_course", []))]
        planned = frozenset({"requested", "hypothetical", "conditional"})
        self.planned_fact = dataclasses.replace(self.fact, keep=self.fact.keep | planned, require=planned)
        left_out = raw.get("left_out_of_care_so_far") or {}
        self.care_list = shared.regex(left_out["list"], "therapy.left_out_of_care_so_far.list") if left_out else None
        self.standing_for = {
            kind: shared.regex(rx, f"therapy.left_out_of_care_so_far.standing_for.{kind}") for kind, rx in (left_out.get("standing_for") or {}).items()
        }
        # the items listed right after a kind a "none" cue denies ("no physical therapy, massage or acupuncture"):
        # each a kind of therapy or another treatment, read one by one
        self.listed_next = re.compile(
            rf"\s*(?:,\s*(?:(?:or|nor)\s+)?|\s+(?:or|nor|and)\s+)(?:(?P<kind>{kind})|[A-Za-z-]+(?:\s+(?:therapy|therapies|care|treatments?))?)\b",
            re.IGNORECASE,
        )

    def read(self, run: Run) -> list[Assertion]:
        found = []
        for info in run.sentences:
            text = info.sentence.text
            hits, listed = [], []
            for pattern in self.counts:
                hits += [(m.start(), m.end(), (self._visits(m), m.group("kind") or "")) for m in pattern.finditer(text)]
            for pattern in self.none:
                for m in pattern.finditer(text):
                    hits.append((m.start(), m.end(), (0, m.group("kind"))))
                    listed += self._denied_with_it(text, m.start(), m.end())
            for pattern in self.none_unnamed:  # every therapy request's kind (kind_of gives "")
                hits += [(m.start(), m.end(), (0, "")) for m in pattern.finditer(text)]
            counted = {self.kind_of(kind) for _, _, (count, kind) in hits if count}
            listed = [hit for hit in listed if self.kind_of(hit[2][1]) not in counted]  # a count of its own wins
            for start, end, (count, kind) in keep_longest(hits) + listed:
                if count is None:
                    continue
                assertion = self.asserter.assertion(run, info, self.fact, count, (start, end), self.kind_of(kind))
                if assertion:
                    found.append(assertion)
            found += self._first_courses(run, info, counted)
        return found + self._left_out_of_care_so_far(run)

    def _left_out_of_care_so_far(self, run: Run) -> list[Assertion]:
        """None of a kind requested that the records' list of care so far leaves out, where no sentence tells that
        kind, or a word that may stand for it, as care given (left_out_of_care_so_far of the cues)."""
        requested = {r.therapy for r in run.requests if r.therapy in self.standing_for}
        if not requested:
            return []
        listing, span = next(((info, span) for info in run.sentences if not info.review and (span := self._care_list_span(info))), (None, None))
        if listing is None:
            return []
        given = set()
        for info in run.sentences:
            for kind in requested - given:
                patterns = (self.kinds[kind], self.standing_for[kind])
                if any(self._told_as_given(info, m.span()) for rx in patterns for m in rx.finditer(info.sentence.text)):
                    given.add(kind)
        found = []
        for kind in sorted(requested - given):
            assertion = self.asserter.assertion(run, listing, self.fact, 0, span, kind)
            if assertion:
                found.append(assertion)
        return found

    def _care_list_span(self, info: SentenceInfo) -> tuple[int, int] | None:
        """Where the sentence says it lists the care so far: its own words, else the context cue's; None if it
        lists no care so far."""
        found = self.care_list.search(info.sentence.text) if self.care_list else None
        if found:
            return found.span()
        cue = next((m for m in info.modifiers if m.category == "prior_treatment"), None)
        if cue is None:
            return None
        return (cue.start, cue.end) if cue.end > cue.start else (0, min(len(info.sentence.text), 1))

    def _told_as_given(self, info: SentenceInfo, span: tuple[int, int]) -> bool:
        """A mention of the care that is not a request, a plan, a review or about another person."""
        cats = self.asserter.context.assess(info.modifiers, *span)
        return not info.review and not set(cats) & _NOT_GIVEN and not _denied_right_before(info.sentence.text, cats.get("negated"), span[0])

    def _first_courses(self, run: Run, info: SentenceInfo, counted: set[str]) -> list[Assertion]:
        """None of a kind given, from a trial or first course of it planned or requested in the sentence
        (a count of that kind in the same sentence wins)."""
        found = []
        for pattern in self.first_course:
            for m in pattern.finditer(info.sentence.text):
                kind = self.kind_of(m.group("kind"))
                if kind in counted:
                    continue
                assertion = self.asserter.assertion(run, info, self.planned_fact, 0, m.span(), kind)
                if assertion:
                    found.append(assertion)
        return found

    def _denied_with_it(self, text: str, start: int, at: int) -> list[tuple[int, int, tuple[int, str]]]:
        """The kinds listed right after a denied one share its denial: none of each, its span the
        denial's with that kind (so the denying word is the cue's own, not a negation of it)."""
        hits = []
        while (m := self.listed_next.match(text, at)) is not None and len(hits) < 8:
            if m.group("kind"):
                hits.append((start, m.end(), (0, m.group("kind"))))
            at = m.end()
        return hits

    def _visits(self, m: re.Match[str]) -> int | None:
        """The visits a count states: n, or m courses of n ("two courses of six PT visits"), or a programme's
        weeks of 5 full days each ("completed two weeks of the FRP")."""
        if "w" in m.re.groupindex and m.group("w"):
            weeks = self.shared.count(m.group("w"))
            return None if weeks is None else weeks * _PROGRAM_DAYS_A_WEEK
        visits = _ordinal(m.group("n")) or self.shared.count(m.group("n"))
        courses = self.shared.count(m.group("m")) if "m" in m.re.groupindex and m.group("m") else 1
        return None if visits is None or courses is None else visits * courses

    def kind_of(self, text: str) -> str:
        """The kind of therapy named first ("chiropractic physiotherapy" is chiropractic)."""
        found = [(m.start(), kind) for kind, rx in self.kinds.items() if (m := rx.search(text))]
        return min(found)[1] if found else ""
