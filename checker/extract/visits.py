"""The visits of a service request whose line counts none, read where the plan counts them: a request line
"Acupuncture for the cervical spine" and a plan "acupuncture for the neck, two times per week for six weeks, for a
total of 12 visits" make a request for 12 visits, as a reviewer reads the request with the plan it carries out
(batch 64). Only a mention of the same service inside a plan or request (not one told as given, denied, someone
else's, a reviewer's or certified), of the request's body part where both name one; when the plan's mentions count
different numbers, none is taken."""

from __future__ import annotations

import re
from dataclasses import dataclass

from checker.extract.model import Evidence, Run, SentenceInfo, evidence_at
from checker.load.prescription import NUMBER_WORDS
from checker.load.request_line import parse_request
from checker.load.ruleset import RuleSet
from checker.text.context import ContextRules

_PLANNED = frozenset({"hypothetical", "requested"})
_NOT_PLANNED = frozenset({"negated", "historical", "remote", "other_person", "review", "certified", "conditional", "uncertain"})
_CLAUSE_ENDS = ";"
# the services counted in visits whose plan may ask for "N more visits" without naming them again
_COUNTED = frozenset({
    "physical_therapy", "occupational_therapy", "aquatic_therapy", "chiropractic", "chiropractic_physiotherapy", "acupuncture", "psychotherapy",
    "massage", "manual_therapy",
})
_MORE_VISITS = re.compile(
    r"\b(?:asked\s+for|asks\s+for|requested|requests|recommended|recommends|ordered|prescribed|plans?|planned)\s+(?:an?\s+)?"
    r"(?:additional\s+|further\s+)?(?P<n>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|sixteen|eighteen|twenty|twenty-four)\s+"
    r"(?:more\s+|additional\s+|further\s+)?(?:visits|sessions|treatments)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PlannedVisits:
    visits: int
    evidence: Evidence


class RequestVisits:
    def __init__(self, context: ContextRules, ruleset: RuleSet) -> None:
        self.context = context
        self.lexicon = ruleset.lexicon
        self.services = ruleset.services

    def read(self, run: Run) -> dict[int, PlannedVisits]:
        """The plan's count for each service request whose line counts no visits, by the request's index."""
        found: dict[int, PlannedVisits] = {}
        lines = {r.index: parse_request(r.text, self.lexicon, self.services)[0] for r in run.requests if not r.drug}
        uncounted = [i for i, line in lines.items() if line.service and line.visits is None and line.service in _COUNTED]
        for request in run.requests:
            line = lines.get(request.index)
            if line is None or not line.service or line.visits is not None:
                continue
            counted = [c for info in run.sentences if not info.review for c in self._in_sentence(run, info, line.service, set(line.body_parts))]
            if not counted and uncounted == [request.index]:
                counted = [c for info in run.sentences if not info.review for c in self._unnamed(run, info)]
            if len({c.visits for c in counted}) == 1:
                found[request.index] = counted[-1]
        return found

    def _unnamed(self, run: Run, info: SentenceInfo) -> list[PlannedVisits]:
        """More visits asked for without the service's name ("The treating physician asked for four more visits"), in a
        case whose only service request without a count is the one they are for."""
        text = info.sentence.text
        found = []
        for m in _MORE_VISITS.finditer(text):
            visits = _count(m.group("n"))
            cats = self.context.assess(info.modifiers, m.start(), m.end())
            if visits is None or cats.keys() & _NOT_PLANNED:
                continue
            found.append(PlannedVisits(visits, evidence_at(run.doc, info.sentence, m.span())))
        return found

    def _in_sentence(self, run: Run, info: SentenceInfo, service: str, parts: set[str]) -> list[PlannedVisits]:
        text = info.sentence.text
        mentions = self.services.service_mentions(text)
        found = []
        for at, mention in enumerate(mentions):
            if mention.key != service:
                continue
            cats = self.context.assess(info.modifiers, mention.start, mention.end)
            if not cats.keys() & _PLANNED or cats.keys() & _NOT_PLANNED:
                continue
            cue = min(cats[c].start for c in cats.keys() & _PLANNED)
            start = max(min(cue, mention.start), text.rfind(_CLAUSE_ENDS, 0, mention.start) + 1, mentions[at - 1].end if at else 0)
            end = min([m.start for m in mentions[at + 1 :]] + [len(text)])
            clause_end = text.find(_CLAUSE_ENDS, mention.end, end)
            window = text[start : clause_end if clause_end >= 0 else end]
            parsed, _ = parse_request(window, self.lexicon, self.services)
            if parsed.service != service or parsed.visits is None or parts and parsed.body_parts and not parts & set(parsed.body_parts):
                continue
            span = (start, start + len(window.rstrip(" ,.")))
            found.append(PlannedVisits(parsed.visits, evidence_at(run.doc, info.sentence, span)))
        return found


def _count(written: str) -> int | None:
    return int(written) if written.isdigit() else NUMBER_WORDS.get(written.lower())
