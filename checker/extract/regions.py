"""Region attribution: a statement naming a body region (and side) goes to the requests for that
region, one naming another region is left out, one naming none is the case's (imaging.body_parts,
limb_groups, same_region and injection_kinds of checker/cues/facts.yaml)."""

from __future__ import annotations

import re
from typing import Any

from checker.extract.model import DROP, Run
from checker.extract.shared import SharedCues
from checker.extract.text import COMPARED_WITH, sides, sides_agree
from checker.text.context import Sentence

_SPINE = frozenset({"cervical", "thoracic", "lumbar"})
_COMPARED_WITH = re.compile(rf"\b{COMPARED_WITH}\b", re.IGNORECASE)


class Regions:
    def __init__(self, shared: SharedCues, raw: dict) -> None:
        self.body_parts = {k: shared.regex(rx, f"imaging.body_parts.{k}") for k, rx in raw["body_parts"].items()}
        self.limb_groups = [frozenset(parts) for parts in (raw.get("limb_groups") or {}).values()]
        self.region_groups = [frozenset(parts) for parts in raw.get("same_region") or ()]
        self.injection_kinds = {k: shared.regex(rx, f"imaging.injection_kinds.{k}") for k, rx in (raw.get("injection_kinds") or {}).items()}
        self.other_limb = shared.regex(raw["other_limb"], "imaging.other_limb") if raw.get("other_limb") else None
        # the spine-and-limb pairs of same_region ([lumbar, leg], [cervical, arm]): the limb's spinal region
        self.limb_home = {part: spine for group in self.region_groups if len(group) == 2
                          for spine in group & _SPINE for part in group - _SPINE}

    def parts(self, text: str) -> set[str]:
        """The body parts a text names."""
        return {p for p, rx in self.body_parts.items() if rx.search(text)}

    def injection_kind(self, text: str) -> str:
        """The kind of injection named first (injection_kinds), or ""."""
        found = [(m.start(), kind) for kind, rx in self.injection_kinds.items() if (m := rx.search(text))]
        return min(found)[1] if found else ""

    def same_region(
        self, run: Run, sentence: Sentence, limbs: bool = False, span: tuple[int, int] | None = None, own_clause: bool = False
    ) -> Any:
        """A statement about a body region goes to the requests for that region (and side); one about
        another region than every request's is dropped; one that names no region is case-level. Where
        the placed requests are all for one region, the requests that name none go with them. With
        `limbs`, a limb counts as the spinal region that supplies it (a foot's numbness is lumbar). With
        `own_clause` (batch 64), the region the mention's own clause names, where it names one, is the
        statement's ("no therapy for the knee; the six visits in 2014 were for the shoulder": the six are the shoulder's)."""
        placed = [r for r in run.requests if r.parts]
        if not placed:
            return None
        if sentence.index not in run.regions:  # read once per sentence, however many mentions it holds
            run.regions[sentence.index] = (self.parts(sentence.text), sides(sentence.text))
        parts, stated_sides = run.regions[sentence.index]
        if own_clause and span is not None and len(parts) > 1:
            clause = sentence.text[_clause_start(sentence.text, span[0]) : _clause_end(sentence.text, span[1])]
            in_clause = self.parts(clause)
            if in_clause:
                parts, stated_sides = in_clause, sides(clause)
        if span is not None and {"left", "right"} <= stated_sides:
            parts, stated_sides = self._sides_of_own_clause(sentence.text, span, parts, stated_sides)
        if self._names_other_limb(placed, sentence.text, span):
            return DROP
        if not parts:
            return DROP if other_side(placed, stated_sides) else None
        same = tuple(r.index for r in placed if self._reach(r.parts, limbs) & parts and sides_agree(r.sides, stated_sides))
        if same and len({self._spinal_home(r.parts) for r in placed}) == 1:
            # every placed request is for one region: a request that names none (a drug, a cream) is about it too
            same += tuple(r.index for r in run.requests if not r.parts)
        return same or DROP

    def _sides_of_own_clause(self, text: str, span: tuple[int, int], parts: Any, stated: set[str]) -> tuple[Any, set[str]]:
        """(batch 70) A sentence naming both sides, its clauses one side each ("positive Tinel's sign at the right wrist
        ...; the left hand examination was normal"): the side, and the parts, of the mention's own clause, where it names
        a side; else the sentence's."""
        clause = text[_clause_start(text, span[0]) : _clause_end(text, span[1])]
        in_clause = sides(clause)
        if not in_clause:
            return parts, stated
        return (self.parts(clause) or parts), in_clause

    def same_injection(self, run: Run, sentence: Sentence, span: tuple[int, int] = (0, 0)) -> Any:
        """A statement about earlier injections goes to the requests for the same kind of injection
        (and region); one naming only another kind is set aside ("trigger point injections" say nothing
        of a knee's hyaluronic series); one naming no kind goes by region. Where the sentence names
        several kinds, the statement is about the kind named last before it ("medial branch blocks gave
        80% relief, and an ablation was done": the 80% is the blocks')."""
        kinds = self._kinds_before(sentence.text, span[0])
        typed = [r for r in run.requests if r.injection]
        if not kinds or not typed:
            return self.same_region(run, sentence)
        by_region = self.same_region(run, sentence)
        if by_region is DROP:
            return DROP
        same = tuple(r.index for r in typed if r.injection in kinds and (by_region is None or r.index in by_region))
        return same or DROP

    def _kinds_before(self, text: str, at: int) -> set[str]:
        """The kinds of injection the sentence names; of several, the one named last before `at` (all of
        them when none comes before it)."""
        last: dict[str, int] = {}
        for kind, rx in self.injection_kinds.items():
            starts = [m.start() for m in rx.finditer(text)]
            if starts:
                before = [s for s in starts if s < at]
                last[kind] = max(before) if before else -1
        if len(last) > 1 and max(last.values()) >= 0:
            nearest = max(last.values())
            return {kind for kind, start in last.items() if start == nearest}
        return set(last)

    def _spinal_home(self, parts: frozenset[str]) -> frozenset[str]:
        """The parts with a limb named as a whole ("the lower extremities") read as the spinal region whose
        roots supply it (same_region's spine-and-limb pairs): nerve studies of the legs beside a lumbar MRI
        are one region's requests. A joint stays itself."""
        return frozenset(self.limb_home.get(part, part) for part in parts)

    def _names_other_limb(self, requests: list[Any], text: str, span: tuple[int, int] | None = None) -> bool:
        """The statement is about "the other knee" or "the opposite shoulder", and no request is for
        both sides. The other side named as the measure a finding is compared with ("15 degrees versus
        5 on the uninjured side") is not a statement about it. (batch 63) With the mention's `span`, only
        the other limb named in the mention's own clause counts (between semicolons, or a contrast joined by
        a comma: "..., all in the left lower extremity; the other leg was neurologically normal": the first
        clause is the left leg's)."""
        if self.other_limb is None or any("bilateral" in r.sides for r in requests):
            return False
        start, end = (_clause_start(text, span[0]), _clause_end(text, span[1])) if span is not None else (0, len(text))
        return any(
            not _COMPARED_WITH.search(text, max(0, m.start() - 60), m.start()) for m in self.other_limb.finditer(text, start, end)
        )

    def _reach(self, parts: frozenset[str], limbs: bool) -> frozenset[str]:
        """The body parts a request's findings may name: its own and those of the same region (a limb
        and its joints, hand and wrist), and with `limbs` the rest of its limb group."""
        groups = self.region_groups + (self.limb_groups if limbs else [])
        return parts.union(*(group for group in groups if group & parts))


def _clause_start(text: str, at: int) -> int:
    """Where the clause holding `at` starts: after the last semicolon or contrasting join before it."""
    return max((m.end() for m in _CLAUSE_BREAK.finditer(text, 0, at)), default=0)


def _clause_end(text: str, at: int) -> int:
    """Where the clause holding `at` ends: the next semicolon or contrasting join, or the text's end."""
    found = _CLAUSE_BREAK.search(text, at)
    return len(text) if found is None else found.start()


# a clause of its own: after a semicolon, or a contrast joined by a comma ("..., while the released contralateral side
# had normalized")
_CLAUSE_BREAK = re.compile(r";|,\s+(?:while|whereas|but)\s", re.IGNORECASE)


def other_side(requests: list[Any], stated: set[str]) -> bool:
    """A statement that names only the side opposite every request's ("positive Neer on the left" for
    a right shoulder injection) is about the other limb, region named or not."""
    sided = [r for r in requests if r.sides]
    return bool(stated and sided and len(sided) == len(requests) and not any(sides_agree(r.sides, stated) for r in sided))
