"""The dosing of a drug request whose line gives none, read where the records give it for that drug: a
request line "Cyclobenzaprine 7.5mg #90" and a note "cyclobenzaprine 7.5 mg three times daily" make a
request taken three times a day, as a reviewer reads the two together. Only mentions of the same drug, at the
request's strength where both give one, that are not negated, past, hedged, hypothetical, another person's or
a reviewer's; when they give different doses a day, none is taken."""

from __future__ import annotations

import re
from dataclasses import dataclass

from checker.extract.model import Evidence, Run, SentenceInfo, evidence_at
from checker.load.lexicon import Lexicon
from checker.load.prescription import doses_per_day
from checker.load.request_line import parse_request, parse_request_line
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
    strength: str = ""
    written: str = ""  # the prescription as written, from the drug's name on
    release: str = ""  # "extended" for a long-acting product
    named: str = ""  # the drug's name as written


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

    def listed_prescriptions(self, run: Run, medications: list[dict]) -> dict[int, list[Dosing]]:
        """(batch 64) The prescriptions of each opioid the records list as taken now ("a fentanyl 25 mcg/hr patch every
        72 hours"), by its place in the medication list: the CPMTG adds the morphine equivalents of every opioid taken
        ("Opioids, dosing"), so a second product's dose is part of a request's total. One prescription for each
        release of the drug the records dose (OxyContin every 12 hours and oxycodone IR for breakthrough pain are two
        products), leaving out the release a request asks for (its dose is the request's). Only mentions that write
        both a strength and a frequency, and only a release whose mentions all give the same strength and doses a
        day; its text, from the drug's name on, is the prescription."""
        requested = {r.drug: _release(r.text, self.lexicon) for r in run.requests if r.drug}
        found: dict[int, list[Dosing]] = {}
        for index, entry in enumerate(medications):
            drug = self.lexicon.drugs.get(entry["drug"])
            if entry.get("status") != "current" or drug is None or "opioid" not in drug.classes:
                continue
            by_release: dict[str, list[Dosing]] = {}
            for info in run.sentences:
                for dosing in self._in_sentence(run, info, drug.generic, "", whole=True) if not info.review else ():
                    by_release.setdefault(dosing.release, []).append(dosing)
            agreed = [
                given[-1] for release, given in by_release.items()
                if requested.get(drug.generic) != release
                and len({doses_per_day(d.frequency) for d in given}) == 1 and len({_compact(d.strength) for d in given}) == 1
            ]
            if agreed:
                found[index] = agreed
        return found

    def _agreed(self, run: Run, generic: str, strength: str) -> Dosing | None:
        """The latest mention's dosing when every mention that gives one gives the same doses a day."""
        given = [dosing for info in run.sentences if not info.review for dosing in self._in_sentence(run, info, generic, strength)]
        per_day = {doses_per_day(d.frequency) for d in given}
        return given[-1] if len(per_day) == 1 and None not in per_day else None

    def _in_sentence(self, run: Run, info: SentenceInfo, generic: str, strength: str, whole: bool = False) -> list[Dosing]:
        """The dosing each mention of the drug writes; `whole`: only a mention that writes its strength too, kept
        with the prescription's text."""
        text = info.sentence.text
        found = []
        starts = sorted(d.start for d in info.drugs)
        for mention in info.drugs:
            if mention.generic != generic or set(self.context.assess(info.modifiers, mention.start, mention.end)) & _NOT_TAKEN_NOW:
                continue
            end = min([s for s in starts if s > mention.start] + [mention.start + _WINDOW, len(text)])
            clause_end = text.find(_CLAUSE_ENDS, mention.start, end)
            window = text[mention.start : clause_end if clause_end >= 0 else end]
            parsed, rx = parse_request(window, self.lexicon)
            if not parsed.frequency or strength and parsed.strength and _compact(parsed.strength) != strength:
                continue
            if whole and not parsed.strength:
                continue
            written = _JOINING_TAIL.sub("", window)
            span = (mention.start, mention.start + len(written))
            evidence = evidence_at(run.doc, info.sentence, span)
            found.append(Dosing(parsed.frequency, evidence, parsed.strength, written, rx.release if rx else "", mention.written))
        return found


# the words joining a prescription to the next drug named ("OxyContin 60 mg every 12 hours together with oxycodone IR")
_JOINING_TAIL = re.compile(r"(?:[\s,.;]|\b(?:together\s+with|along\s+with|as\s+well\s+as|and|plus|with)\b)+$", re.IGNORECASE)


def _compact(strength: str) -> str:
    return "".join(strength.lower().split())


def _release(text: str, lexicon: Lexicon) -> str:
    """The release of the product a request line names: "extended" for OxyContin or "tramadol ER", else ""."""
    rx = parse_request(text, lexicon)[1]
    return rx.release if rx else ""
