"""Imaging and electrodiagnostic studies (imaging of checker/cues/facts.yaml): whether a reported
study corroborates the findings (imaging_corroborates), and earlier studies of the same modality
and body part as an imaging request (prior_imaging)."""

from __future__ import annotations

from checker.extract.asserting import Asserter
from checker.extract.model import Assertion, Run, SentenceInfo
from checker.extract.regions import Regions
from checker.extract.shared import SharedCues
from checker.extract.text import sides, sides_agree
from checker.text.context import REVIEW_CATEGORIES, ContextRules, Modifier
from checker.text.extract_cues import DROPPING

_SPINE = frozenset({"lumbar", "cervical", "thoracic"})  # the regions whose studies corroborate a radiculopathy


class Imaging:
    def __init__(self, shared: SharedCues, asserter: Asserter, context: ContextRules, regions: Regions, raw: dict) -> None:
        self.asserter = asserter
        self.context = context
        self.regions = regions
        self.corroborates, self.prior = shared.cues.facts["imaging_corroborates"], shared.cues.facts["prior_imaging"]
        self.modalities = {k: shared.regex(rx, f"imaging.modalities.{k}") for k, rx in raw["modalities"].items()}
        self.result = shared.regex(raw["result"], "imaging.result")
        self.abnormal = shared.regex(raw["abnormal"], "imaging.abnormal")
        self.normal = shared.regex(raw["normal"], "imaging.normal")
        self.neural = shared.regex(raw["neural"], "imaging.neural")
        self.only_before = shared.regex(raw["only_before"], "imaging.only_before")

    def modality(self, text: str) -> str:
        """The modality a text names first in the cue file's order, or ""."""
        return next((k for k, rx in self.modalities.items() if rx.search(text)), "")

    def read(self, run: Run) -> list[Assertion]:
        found = []
        for info in run.sentences:
            text = info.sentence.text
            studies = self._studies(info)
            if not studies or not self.result.search(text):
                continue
            finding = self._finding(info)
            if finding:
                value, span, negation = finding
                assertion = self.asserter.assertion(run, info, self.corroborates, value, span, decided_by=negation)
                if assertion:
                    found.append(assertion)
            for modality, span in studies:
                matching = self._matching_requests(run, text, modality)
                if matching:
                    assertion = self.asserter.assertion(run, info, self.prior, True, span, matching, result_cue=self.normal)
                    if assertion:
                        found.append(assertion)
        return found

    def _studies(self, info: SentenceInfo) -> list[tuple[str, tuple[int, int]]]:
        """The studies a sentence reports as done (not planned, requested or uncertain)."""
        found = []
        for modality, pattern in self.modalities.items():
            for m in pattern.finditer(info.sentence.text):
                cats = self.context.assess(info.modifiers, m.start(), m.end())
                if not set(cats) & set(DROPPING):
                    found.append((modality, (m.start(), m.end())))
        return found

    def _finding(self, info: SentenceInfo) -> tuple[bool, tuple[int, int], Modifier | None] | None:
        """True with the first pathological finding, else False with the first negated finding
        (and its negation cue) or the first normal result. A study that denies a nerve root's
        compromise corroborates nothing with its other findings unless it reports one as well."""
        text = info.sentence.text
        normal: tuple[bool, tuple[int, int], Modifier | None] | None = None
        pathological: tuple[bool, tuple[int, int], Modifier | None] | None = None
        root_denied: tuple[bool, tuple[int, int], Modifier | None] | None = None
        for m in self.abnormal.finditer(text):
            cats = self.context.assess(info.modifiers, m.start(), m.end())
            if set(cats) & {"hypothetical", "uncertain", "requested", *REVIEW_CATEGORIES, "conditional"}:
                continue
            neural = self.neural.search(m.group(0)) is not None
            if "negated" in cats:
                normal = normal or (False, m.span(), cats["negated"])
                root_denied = root_denied or ((False, m.span(), cats["negated"]) if neural else None)
                continue
            if self.only_before.search(text, max(0, m.start() - 60), m.start()):
                continue  # "only a small joint effusion": what the study found instead of a lesion
            if neural:
                return True, m.span(), None
            pathological = pathological or (True, m.span(), None)
        if pathological:
            return root_denied if root_denied and self.regions.parts(text) & _SPINE else pathological
        for m in self.normal.finditer(text):
            normal = normal or (False, m.span(), None)
        return normal

    def _matching_requests(self, run: Run, text: str, modality: str) -> tuple[int, ...]:
        parts = self.regions.parts(text)
        stated = sides(text)
        return tuple(r.index for r in run.requests if r.modality == modality and r.parts & parts and sides_agree(r.sides, stated))
