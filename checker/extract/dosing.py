"""The dosing of a drug request whose line gives none, read where the records give it for that drug: a
request line "Cyclobenzaprine 7.5mg #90" and a note "cyclobenzaprine 7.5 mg three times daily" make a
request taken three times a day, as a reviewer reads the two together. Only mentions of the same drug, at the
request's strength where both give one, that are not negated, past, hedged, hypothetical, another person's or
a reviewer's; when they give different doses a day, none is taken."""

from __future__ import annotations

from dataclasses import dataclass

from checker.extract.model import Evidence, Run, SentenceInfo, evidence_at
from checker.load.lexicon import Lexicon
from checker.load.prescription import doses_per_day
from checker.load.request_line import parse_request_line
from checker.text.context import ContextRules

# what a mention may not be to give the request's dosing: the drug denied, stopped or taken before, only
# considered, someone else's, or a reviewer's account of a request. (batch 62) A plan's dosing of the drug
# ("The plan was cyclobenzaprine 7.5 mg, one tablet three times daily for ten days") is the prescription the
# request asks for, so a planned mention gives it
_NOT_TAKEN_NOW = frozenset({"negated", "historical", "uncertain", "other_person", "conditional", "review", "certified"})
_CLAUSE_ENDS = ";"
_WINDOW = 90  # characters after the drug's name where its dosing is written


@dataclass(frozen=True)
class Dosing:
    frequency: str
    evidence: Evidence


class RequestDosing:
    def __init__(self, context: ContextRules, lexicon: Lexicon) -> None:
        self.context = context
        self.lexicon = lexicon

    def read(self, run: Run) -> dict[int, Dosing]:
        """The dosing found for each drug request whose line writes no frequency, by the request's index."""
        found: dict[int, Dosing] = {}
        for request in run.requests:
            if not request.drug:
                continue
            line = parse_request_line(request.text, self.lexicon)
            if line.frequency:
                continue
            dosing = self._agreed(run, request.drug, _compact(line.strength))
            if dosing is not None:
                found[request.index] = dosing
        return found

    def _agreed(self, run: Run, generic: str, strength: str) -> Dosing | None:
        """The latest mention's dosing when every mention that gives one gives the same doses a day."""
        given = [dosing for info in run.sentences if not info.review for dosing in self._in_sentence(run, info, generic, strength)]
        per_day = {doses_per_day(d.frequency) for d in given}
        return given[-1] if len(per_day) == 1 and None not in per_day else None

    def _in_sentence(self, run: Run, info: SentenceInfo, generic: str, strength: str) -> list[Dosing]:
        text = info.sentence.text
        found = []
        starts = sorted(d.start for d in info.drugs)
        for mention in info.drugs:
            if mention.generic != generic or set(self.context.assess(info.modifiers, mention.start, mention.end)) & _NOT_TAKEN_NOW:
                continue
            end = min([s for s in starts if s > mention.start] + [mention.start + _WINDOW, len(text)])
            clause_end = text.find(_CLAUSE_ENDS, mention.start, end)
            window = text[mention.start : clause_end if clause_end >= 0 else end]
            parsed = parse_request_line(window, self.lexicon)
            if not parsed.frequency or strength and parsed.strength and _compact(parsed.strength) != strength:
                continue
            span = (mention.start, mention.start + len(window.rstrip(" ,.")))
            found.append(Dosing(parsed.frequency, evidence_at(run.doc, info.sentence, span)))
        return found


def _compact(strength: str) -> str:
    return "".join(strength.lower().split())
