"""The facts found by their target mentions: the `facts:` of checker/cues/facts.yaml and of each
fact family's file in checker/cues/facts/ (diagnostics, medications, procedures, services,
therapy), in the clinical text and, for facts with in_request:, in the request lines."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from checker.extract.asserting import Asserter
from checker.extract.model import REQUEST_LINE, Assertion, Evidence, RequestInfo, Run, SentenceInfo
from checker.extract.motion import MotionNorms
from checker.extract.shared import SharedCues
from checker.extract.text import height_m, tidy, weight_kg
from checker.text.context import keep_longest
from checker.text.extract_cues import Computed, FactRule, Target
from checker.text.literals import required_literals
from checker.text.textdates import parse_date


class TargetFacts:
    def __init__(self, shared: SharedCues, asserter: Asserter, motion: MotionNorms) -> None:
        self.shared = shared
        self.asserter = asserter
        self.motion = motion
        self.facts = shared.cues.facts
        cue = shared.cue_regex
        self.fact_patterns: dict[str, list[tuple[re.Pattern[str], Target]]] = {}
        self.fact_literals: dict[str, list[tuple[str, ...] | None]] = {}
        self.request_match: dict[str, re.Pattern[str] | None] = {}
        self.sentence_match: dict[str, re.Pattern[str]] = {}
        self.with_request: dict[str, re.Pattern[str]] = {}
        self.target_sentence: dict[tuple[str, int], re.Pattern[str]] = {}  # a target's own sentence condition
        refers_back = shared.cues.fragments.get("refers_back")
        self.refers_back = cue(refers_back, "fragments.refers_back") if refers_back else None
        carries_on = shared.cues.fragments.get("carries_on")
        self.carries_on = cue(carries_on, "fragments.carries_on") if carries_on else None
        for name, rule in self.facts.items():
            if rule.with_request:
                self.with_request[name] = cue(rule.with_request, f"facts.{name}.with_request")
            if rule.sentence_must_match:
                self.sentence_match[name] = cue(rule.sentence_must_match, f"facts.{name}.sentence_must_match")
            self.fact_patterns[name] = [(cue(t.source, f"facts.{name}.targets[{i}].regex", t.case_sensitive), t) for i, t in enumerate(rule.targets)]
            for i, t in enumerate(rule.targets):
                if t.sentence:
                    self.target_sentence[(name, i)] = cue(t.sentence, f"facts.{name}.targets[{i}].sentence")
            self.fact_literals[name] = [required_literals(pattern) for pattern, _ in self.fact_patterns[name]]
            if rule.in_request is not None:
                match = rule.in_request.match
                self.request_match[name] = cue(match, f"facts.{name}.in_request.match") if match else None
        self.always_scanned = {name: {i for i, literals in enumerate(found) if literals is None} for name, found in self.fact_literals.items()}
        self.literal_keys: dict[str, list[tuple[str, int]]] = {}  # literal -> the (fact, target) scans it lets through
        for name, found in self.fact_literals.items():
            for i, literals in enumerate(found):
                for literal in literals or ():
                    self.literal_keys.setdefault(literal, []).append((name, i))

    # ---- in the clinical text ------------------------------------------------------------------

    def read(self, run: Run) -> list[Assertion]:
        found = []
        rules = [r for r in self.facts.values() if self._about_a_request(r, run)]
        texts = [info.sentence.text for info in run.sentences]
        for position, info in enumerate(run.sentences):
            text = info.sentence.text
            before = texts[position - 1] if position else ""
            two_back = texts[position - 2] if position > 1 else ""  # for an account that refers back twice
            lowered = text.lower()
            possible: dict[str, set[int]] = {}
            for literal, keys in self.literal_keys.items():
                if literal in lowered:
                    for name, i in keys:
                        possible.setdefault(name, set()).add(i)
            for rule in rules:
                scans = self.always_scanned[rule.name] | possible.get(rule.name, set())
                if not scans:
                    continue
                patterns = [
                    self.fact_patterns[rule.name][i] for i in sorted(scans)
                    if (rule.name, i) not in self.target_sentence or self._sentence_holds(self.target_sentence[(rule.name, i)], text, before)
                ]
                must = self.sentence_match.get(rule.name)
                unnamed = must is not None and not self._context_named(must, text, before, two_back)
                if not patterns or unnamed or (rule.in_request and rule.in_request.only):
                    continue
                hits = keep_longest([(m.start(), m.end(), (t, m)) for pattern, t in patterns for m in pattern.finditer(text)])
                in_sentence = []
                for start, end, (target, match) in hits:
                    value = self._value(target, match, run, info)
                    if value is None:
                        continue
                    mention = match.group(0) if rule.attribute == "other_drug" else None
                    if mention is not None and value is True and self.shared.generic(mention) is None:
                        continue  # "NSAIDs" names no other drug; only its denial ("no other NSAID") says something
                    assertion = self.asserter.assertion(run, info, rule, value, (start, end), mention, target=target)
                    if assertion:
                        in_sentence.append(assertion)
                found.extend(_outweighed_dropped(rule, in_sentence))
        return found

    def _sentence_holds(self, condition: re.Pattern[str], text: str, before: str) -> bool:
        """A target's sentence condition holds in its sentence, or in the sentence before when this one
        carries on the claimant's account ("She now sleeps six hours" after the drug's effect)."""
        return _here_or_before(condition, text, before, self.carries_on)

    def _context_named(self, must: re.Pattern[str], text: str, before: str, earlier: str = "") -> bool:
        """The sentence names what the fact is about (an epidural, a drug screen), or it refers back to
        the sentence before that does ("She had an epidural in May. It helped for six weeks."), or to one
        that itself refers back to the sentence naming it ("An epidural was given in March. At the April
        follow-up her pain had fallen by 75%. The note of August records that the relief lasted ten weeks.")."""
        if _here_or_before(must, text, before, self.refers_back):
            return True
        opener = self.refers_back
        return bool(earlier) and opener is not None and _opens_by_continuing(opener, text) and _here_or_before(must, before, earlier, opener)

    def _about_a_request(self, rule: FactRule, run: Run) -> bool:
        """A fact about one kind of request (the surgery a post-operative opioid follows) only with one."""
        gate = self.with_request.get(rule.name)
        return gate is None or any(gate.search(r.text) for r in run.requests)

    def _value(self, target: Target, match: re.Match[str], run: Run, info: SentenceInfo | None = None) -> Any:
        """The target's value, or the one computed from the match (None when it cannot be)."""
        how = target.value
        if not isinstance(how, Computed):
            return how
        if how.kind == "below_norm":
            return self.motion.below_norm(match, *how.groups, before=self.motion.joint_before(run, info))
        if how.kind == "dates_within_days":
            if run.as_of is None:
                return None
            dated = {parse_date(m.group(0), run.pivot) for m in self.shared.date_or_month.finditer(match.group(0))}
            return sum(1 for d in dated if d and _within_days(run.as_of, d, how.days))
        if how.kind == "bmi":  # weight in kilograms over the square of height in metres
            height, weight = height_m(match.group(how.groups[0])), weight_kg(match.group(how.groups[1]))
            return tidy(weight / height**2) if height and weight else None
        if how.kind == "duration":
            found = self.shared.duration_in(match.group(how.groups[0]), how.unit)
            return None if found is None else tidy(found * how.factor)
        numbers = [self.shared.number_in(match.group(g)) for g in how.groups]
        if any(n is None for n in numbers):
            return None
        if how.kind == "percent_drop":
            before, after = numbers
            return tidy(100 * (before - after) / before) if before and 0 <= after <= before else None
        if how.kind == "below":  # a measure short of its normal (abduction 90/180), by at least `by` when given
            return numbers[0] < numbers[1] if not how.by else numbers[0] <= numbers[1] - how.by
        if how.kind == "unequal":  # two sides differing by more than the fraction `times` of the larger
            return abs(numbers[0] - numbers[1]) > how.factor * max(numbers)
        value = numbers[0] * (numbers[1] if how.kind == "product" else 1) * how.factor
        return tidy(value)

    # ---- in the request lines ------------------------------------------------------------------

    def read_requests(self, run: Run) -> list[Assertion]:
        """Facts a request line states (a quantity, a rental): under that request, or the whole case."""
        found = []
        for rule in self.facts.values():
            if rule.in_request is None:
                continue
            match = self.request_match[rule.name]
            for request in run.requests:
                if match is not None and not match.search(request.text):
                    continue
                assertion = self._request_assertion(rule, request)
                if assertion:
                    found.append(assertion)
        return found

    def _request_assertion(self, rule: FactRule, request: RequestInfo) -> Assertion | None:
        cue = rule.in_request
        assert cue is not None
        text = request.text
        hits = keep_longest([(m.start(), m.end(), (t, m)) for pattern, t in self.fact_patterns[rule.name] for m in pattern.finditer(text)])
        values = [(s, e, t.value) for s, e, (t, _m) in hits if not isinstance(t.value, Computed)]
        if values:
            start, end, value = values[0]
        elif cue.otherwise is not None:
            start, end, value = 0, len(text), cue.otherwise
        else:
            return None
        evidence = Evidence(text, 0, len(text), text[start:end], start, end)
        scope = None if cue.scope == "case" else (request.index,)
        return Assertion(rule.name, value, evidence, -1, None, scope, REQUEST_LINE)


def _outweighed_dropped(rule: FactRule, in_sentence: list[Assertion]) -> list[Assertion]:
    """A sentence's assertions of the fact, without its negative ones where the rule lets a positive
    finding in the same sentence outweigh them (resolve: true_in_its_sentence)."""
    if rule.resolve == "true_in_its_sentence" and any(a.value is True for a in in_sentence):
        return [a for a in in_sentence if a.value is not False]
    return in_sentence


def _here_or_before(condition: re.Pattern[str], text: str, before: str, opener: re.Pattern[str] | None) -> bool:
    """The condition holds in the sentence, or in the sentence before when this one opens by continuing it."""
    if condition.search(text):
        return True
    return bool(before) and opener is not None and _opens_by_continuing(opener, text) and condition.search(before) is not None


def _opens_by_continuing(opener: re.Pattern[str], text: str) -> bool:
    """The sentence, or a clause after its semicolon, opens by continuing the account ("His score fell; he has
    resumed walking")."""
    return opener.match(text) is not None or any(opener.match(text, m.end()) for m in re.finditer(r";\s*", text))


def _within_days(as_of: dt.date, dated: tuple[dt.date, str], days: int) -> bool:
    """A dated event no later than as_of and at most `days` before it; a month without its day only when the whole
    month is (so a count of events in the year is never overstated)."""
    date, precision = dated
    earliest = date.replace(day=1) if precision == "month" else date
    return 0 <= (as_of - date).days and (as_of - earliest).days <= days
