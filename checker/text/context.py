"""ConText for clinical text: is a mention negated, historical, hypothetical, requested, uncertain, or
part of a utilization-review report? Cues are data (checker/cues/context.yaml), the algorithm is the
ConText one (Harkema et al. 2009; the medspaCy implementation): a cue modifies the mentions in its
scope, which runs forward, backward or both from the cue to the end of the sentence, a terminating
cue, a ';' or a word limit. A pseudo-cue ("no change") blocks the cues it overlaps.

Offsets: clinical text arrives hard-wrapped ("x-\\nray", "10/10/ \\n2016"). A Document normalises the
whitespace for matching and maps every normalised offset back to the original text, so evidence
spans always point into the text the user gave.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from checker.base.errors import InputError
from checker.base.fields import check_keys, require_list, require_mapping
from checker.base.yamlio import load_yaml
from checker.load.ruleset import cues_dir
from checker.text.literals import required_literals

CONTEXT_SCHEMA = "mtus-context-cues/1"
CATEGORIES = (
    "negated", "not_documented", "historical", "remote", "prior_treatment", "hypothetical", "requested", "uncertain", "review", "ongoing",
    "stopped", "other_person", "conditional", "certified",
)
# a utilization review's words and what it certified: what a review says, not records evidence
REVIEW_CATEGORIES = ("review", "certified")
DIRECTIONS = ("forward", "backward", "bidirectional", "sentence", "pseudo", "terminate", "terminate_backward")
TERMINATORS = ("terminate", "terminate_backward")

# Words after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    "dr mr mrs ms vs etc approx e.g i.e st jr sr fig q b.i.d t.i.d q.i.d p.o p.r.n a.m p.m".split()
)


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int  # offsets in the normalised text
    end: int
    text: str
    section: str = ""  # the ConText category of the section heading it is under ("Plan:" is hypothetical), if any


@dataclass(frozen=True)
class SectionRule:
    """A note's section heading ("Plan:", "PMH:", "Family history:") and the category its lines take;
    an empty category ends the section before it ("Objective:", "Work status:")."""

    pattern: re.Pattern[str]
    category: str
    unless: re.Pattern[str] | None = None  # a line that matches it is outside the section's category


class Document:
    """A clinical text, its whitespace-normalised form and its sentences. A note's layout ends
    sentences too: a line that starts a list item or a heading ("- PT 2x6", "2. Lumbar strain",
    "Motor: 4/5 EHL"), or a line after one that stopped well short of the text's width (a line
    ending with its content, not a hard-wrapped one). `sections` give each sentence the category of
    the section heading it is under."""

    def __init__(self, raw: str, sections: tuple[SectionRule, ...] = ()) -> None:
        self.raw = raw
        self.norm, self._offsets = _normalise(raw)
        starts = _line_starts(raw)
        breaks = sorted({bisect.bisect_left(self._offsets, at) for at, _ in starts if at > 0})
        self.sentences = _split_sentences(self.norm, breaks)
        if sections:
            self.sentences = _with_sections(self.sentences, [(bisect.bisect_left(self._offsets, at), head) for at, head in starts], sections)

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that normalised [start, end) came from."""
        if end <= start:
            at = self._offsets[start] if start < len(self._offsets) else len(self.raw)
            return at, at
        return self._offsets[start], self._offsets[end - 1] + 1

    def raw_text(self, start: int, end: int) -> str:
        a, b = self.raw_span(start, end)
        return self.raw[a:b]


# Notes write a change with an arrow ("leg pain ↓ ~75% since injection", "walking ↑ from 10 to 30 min",
# "↓ sens L5"): read as the word it stands for. Each letter of the word maps back to the arrow.
_ARROW_WORDS = {"↓": "decreased", "↑": "increased"}

# Notes write "with", "without" and "consistent with" in a clinician's shorthand ("8/10 w/o meds, 4/10 w/
# meds"; "UDS 9/2016 c/w Rx"; "w/meds walks 30 min"): read as the words they stand for, so every cue
# written with the words reads the shorthand too. A slash word of one letter more ("w/c", a wheelchair;
# "w/u", a work-up) is another abbreviation and stays as written.
_SHORTHAND = re.compile(r"(?<![\w/])(?:(?P<word>w/o|c/w)(?![\w/])|w/(?=\s|[,;:.)]|$|(?P<joined>[A-Za-z]{2})))", re.IGNORECASE)
_SHORTHAND_WORDS = {"w/o": "without", "c/w": "consistent with", "w/": "with"}


def _shorthand_at(raw: str, i: int) -> tuple[str, int] | None:
    """The words a shorthand starting at raw[i] stands for (in the case of its first letter, so a sentence
    still starts with a capital) and the shorthand's length; None if none starts there."""
    found = _SHORTHAND.match(raw, i)
    if found is None:
        return None
    written = found.group(0)
    words = _SHORTHAND_WORDS[written.lower()]
    if written[0].isupper():
        words = words[0].upper() + words[1:]
    return words + (" " if found.group("joined") else ""), len(written)


def _normalise(raw: str) -> tuple[str, list[int]]:
    """Collapse whitespace runs to one space; join a word hyphenated across a line break; an up or down
    arrow becomes its word (_ARROW_WORDS), a shorthand its words (_SHORTHAND)."""
    chars: list[str] = []
    offsets: list[int] = []
    i, n = 0, len(raw)
    while i < n and raw[i].isspace():
        i += 1
    while i < n:
        ch = raw[i]
        shorthand = _shorthand_at(raw, i) if ch in "wWcC" and raw.startswith("/", i + 1) else None  # each has "/" second
        if shorthand is not None:
            words, length = shorthand
            # the words map back to the shorthand: the last letter to its last character, the rest to its first
            chars.extend(words)
            offsets.extend([i] * (len(words) - 1) + [i + length - 1])
            i += length
            continue
        if ch in _ARROW_WORDS:
            word = ("" if not chars or chars[-1] == " " else " ") + _ARROW_WORDS[ch] + ("" if i + 1 >= n or raw[i + 1].isspace() else " ")
            chars.extend(word)
            offsets.extend([i] * len(word))
            i += 1
            continue
        if ch.isspace():
            j = i
            while j < n and raw[j].isspace():
                j += 1
            if j >= n:
                break
            joined = chars and chars[-1] in "-/" and "\n" in raw[i:j] and raw[j].isalnum()
            if not joined:
                chars.append(" ")
                offsets.append(i)
            i = j
            continue
        chars.append(ch)
        offsets.append(i)
        i += 1
    return "".join(chars), offsets


_SENTENCE_END = re.compile(r"[.!?](?=[\"'”)]?\s+[\"'“(]?[A-Z0-9])|[.!?](?=[A-Z][a-z])")
# a line that opens a list item or a heading: "- ", "• ", "2. ", "3) ", "Motor:", "Work status:", "A/P:"
_ITEM = re.compile(r"(?:[-–•*·▪]\s|\(?\d{1,2}[.)]\s)")
_HEADING = re.compile(r"[A-Z][\w/&'()+-]*(?:[ \t]+[\w/&'()+-]+){0,4}[ \t]*:(?![\d/])")
# a line that ends mid-phrase continues on the next one, however short it is
_CONTINUES = re.compile(r"(?:[,;:/&(+-]|\b(?:and|or|of|the|a|an|to|with|for|in|at|by|from|on|her|his|their|was|were|is|are|x))\s*$", re.IGNORECASE)
_LIST_NUMBER = re.compile(r"\(?\d{1,2}[.)]")  # "2." opening a list item is no sentence of its own
_SHORT_LINE = 0.7  # of the text's longest line: a line ending before this ended with its content


# A cue's scope never leaves its sentence, and the work on a sentence grows with the square of its
# length (every cue against every mention), so text without sentence punctuation is cut into pieces
# of at most this many characters, at a space: extraction stays linear in the length of the text.
# The longest sentence of the letters read so far has about 640 characters.
MAX_SENTENCE_CHARS = 2000


def _line_starts(raw: str) -> list[tuple[int, str]]:
    """Raw offsets where a line starts a new sentence, each with the heading it opens ('' for none)."""
    lines = [(m.start(), m.group(0)) for m in re.finditer(r"[^\n]*", raw) if m.group(0).strip()]
    widest = max((len(text.rstrip()) for _, text in lines), default=0)
    found = []
    previous = ""
    for at, text in lines:
        body = text.lstrip()
        start = at + len(text) - len(body)
        item = _ITEM.match(body)
        heading = _HEADING.match(body, item.end() if item else 0)
        ended = previous and not _CONTINUES.search(previous) and len(previous) < _SHORT_LINE * widest and body[:1].isupper()
        if item or heading or ended or not previous:
            found.append((start, heading.group(0).rstrip(" \t:") if heading else ""))
        previous = text.rstrip()
    return found


def _split_sentences(text: str, breaks: list[int] | None = None) -> list[Sentence]:
    """Sentences end at a full stop (not an abbreviation's) and at the line breaks of a note's layout."""
    ends = []
    for match in _SENTENCE_END.finditer(text):
        if _is_abbreviation(text, match.start()):
            continue
        if text[match.start()] == "." and match.end() < len(text) and text[match.end()] != " " and not text[match.start() - 1 : match.start()].isalnum():
            continue  # ".In" splits only after a word or number
        ends.append(match.end())
    found: list[Sentence] = []
    start = 0
    for end in sorted(set(ends) | set(breaks or ())):
        if end > start and not _LIST_NUMBER.fullmatch(text[start:end].strip()):
            _add_sentence(found, text, start, end)
            start = end
    _add_sentence(found, text, start, len(text))
    return found


def _with_sections(sentences: list[Sentence], starts: list[tuple[int, str]], rules: tuple[SectionRule, ...]) -> list[Sentence]:
    """Each sentence that opens a line with the category of the section heading before it (a heading
    the rules do not name, such as "Lumbar spine:", keeps the section it is in). Prose that goes on
    after a sentence on the same line keeps its own context ("Plan: refill Norco. It gives 50%
    relief." plans only the refill)."""
    marks = []  # (normalised offset, rule) where a section starts or ends
    for at, heading in starts:
        rule = next((r for r in rules if heading and r.pattern.fullmatch(heading)), None)
        if rule is not None:
            marks.append((at, rule))
    if not marks:
        return sentences
    positions = [at for at, _ in marks]
    line_starts = {at for at, _ in starts}
    found = []
    for sentence in sentences:
        i = bisect.bisect_right(positions, sentence.start) - 1
        rule = marks[i][1] if i >= 0 else None
        opens_line = sentence.start in line_starts
        if rule is None or not rule.category or not opens_line or (rule.unless is not None and rule.unless.search(sentence.text)):
            found.append(sentence)
        else:
            found.append(Sentence(sentence.index, sentence.start, sentence.end, sentence.text, rule.category))
    return found


def _add_sentence(found: list[Sentence], text: str, start: int, end: int) -> None:
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS)
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        _add_piece(found, text, start, cut)
        start = cut
    _add_piece(found, text, start, end)


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = re.search(r"([A-Za-z.]+)$", text[max(0, dot - 12) : dot])
    if not word:
        return False
    token = word.group(1).lower().strip(".")
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha() and text[dot - 1].isupper())


def _add_piece(found: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start] == " ":
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    if end > start:
        found.append(Sentence(len(found), start, end, text[start:end]))


# ---- cue rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CueRule:
    literal: str
    category: str
    direction: str
    pattern: re.Pattern[str]
    max_scope: int | None  # words
    needs: tuple[str, ...] | None = None  # lower-case strings one of which every match holds (None: always scan)


@dataclass(frozen=True)
class Modifier:
    rule: CueRule
    start: int  # cue span, sentence-relative
    end: int
    scope_start: int
    scope_end: int

    @property
    def category(self) -> str:
        return self.rule.category


class Modifiers(list):
    """A sentence's modifiers, in order; a mention looks only at those whose scope can reach it (the
    scopes of a few hundred characters by where they start, the wider ones always), so a long
    sentence costs in proportion to its length."""

    _NARROW = 300  # characters

    def near(self, start: int, end: int) -> list[Modifier]:
        if not hasattr(self, "_starts"):
            narrow = sorted((m.scope_start, i) for i, m in enumerate(self) if m.scope_end - m.scope_start <= self._NARROW)
            self._starts = [s for s, _ in narrow]
            self._narrow = [i for _, i in narrow]
            self._wide = [i for i, m in enumerate(self) if m.scope_end - m.scope_start > self._NARROW]
        lo = bisect.bisect_left(self._starts, start - self._NARROW)
        hi = bisect.bisect_left(self._starts, end)
        return [self[i] for i in sorted(self._narrow[lo:hi] + self._wide)]


def phrase_pattern(phrase: str, case_sensitive: bool = False) -> re.Pattern[str]:
    """A literal phrase as a regex: word boundaries, any whitespace between words."""
    words = [re.escape(w) for w in phrase.split()]
    body = r"\s+".join(words)
    left = r"\b" if phrase[:1].isalnum() else ""
    right = r"\b" if phrase[-1:].isalnum() else ""
    return re.compile(left + body + right, 0 if case_sensitive else re.IGNORECASE)


@dataclass(frozen=True)
class ContextRules:
    rules: tuple[CueRule, ...]
    path: str
    across_semicolons: frozenset[str] = frozenset()  # categories whose scope a ';' does not end (a list of requested items)
    sections: tuple[SectionRule, ...] = ()  # note headings whose lines take a category ("Plan:")

    def sentence_modifiers(self, sentence: Sentence) -> Modifiers:
        """The cues of a sentence, and the category of the section it is under as a cue over the whole
        sentence (its span is the sentence's start: the heading itself is elsewhere)."""
        found = self.modifiers(sentence.text)
        if sentence.section:
            rule = CueRule(f"section: {sentence.section}", sentence.section, "sentence", _NEVER, None, None)
            found.append(Modifier(rule, 0, 0, 0, len(sentence.text)))
        return found

    def modifiers(self, sentence: str) -> Modifiers:
        """The cues in one sentence with their scopes (sentence-relative offsets)."""
        lowered = sentence.lower()
        hits = [
            (m.start(), m.end(), rule)
            for rule in self.rules if rule.needs is None or any(n in lowered for n in rule.needs)
            for m in rule.pattern.finditer(sentence)
        ]
        # the kept matches never overlap, so a pseudo-cue has blocked every cue it overlaps already
        hits = [h for h in keep_longest(hits, tie=lambda h: h[2].literal) if h[2].direction != "pseudo"]
        terminators = sorted((h[0], h[1]) for h in hits if h[2].direction == "terminate")
        backward_only = [(h[0], h[1]) for h in hits if h[2].direction == "terminate_backward"]
        semicolons = [(m.start(), m.end()) for m in re.finditer(";", sentence)]
        stop_lists = {False: _Stops(terminators), True: _Stops(sorted(terminators + semicolons))}
        backward_stops = _Stops(sorted(terminators + semicolons + backward_only)) if backward_only else stop_lists[True]
        words = _Words(sentence)
        brackets = _Brackets(sentence)
        found = Modifiers()
        for start, end, rule in hits:
            if rule.direction in TERMINATORS:
                continue
            forward_stops = stop_lists[rule.category not in self.across_semicolons]
            scope_start, scope_end = _scope(sentence, start, end, rule, (forward_stops, backward_stops), words)
            scope_end = min(scope_end, brackets.closing(start, scope_end))
            found.append(Modifier(rule, start, end, scope_start, scope_end))
        return found

    def assess(self, modifiers: list[Modifier], start: int, end: int) -> dict[str, Modifier]:
        """The categories whose scope covers the mention [start, end), each with its nearest cue.
        A cue that overlaps the mention itself is part of the mention ("no improvement")."""
        found: dict[str, Modifier] = {}
        near = modifiers.near(start, end) if isinstance(modifiers, Modifiers) else modifiers
        for mod in near:
            if _overlaps(mod.start, mod.end, start, end):
                continue
            if not _overlaps(mod.scope_start, mod.scope_end, start, end):
                continue
            best = found.get(mod.category)
            if best is None or distance(mod, start, end) < distance(best, start, end):
                found[mod.category] = mod
        if "certified" in found:
            found.pop("requested", None)  # "requested a release, which UR certified": a certified request
        return found


_NEVER = re.compile(r"(?!)")


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def distance(mod: Modifier, start: int, end: int) -> int:
    """Characters between a cue and a mention (0 when they touch or overlap)."""
    return start - mod.end if mod.end <= start else mod.start - end if mod.start >= end else 0


T = TypeVar("T")


def keep_longest(hits: list[tuple[int, int, T]], tie: Callable[[tuple[int, int, T]], Any] | None = None) -> list[tuple[int, int, T]]:
    """Of overlapping spans (start, end, what) keep the longest: on a tie the earliest, then the least
    by `tie`, then the first given. The kept spans never overlap, so a new one is checked against its
    two neighbours only (n log n, not n squared)."""
    starts: list[int] = []  # the kept spans, ordered by start
    kept: list[tuple[int, int, T]] = []
    for hit in sorted(hits, key=lambda h: (-(h[1] - h[0]), h[0], tie(h) if tie else "")):
        at = bisect.bisect_left(starts, hit[0])
        if (at > 0 and kept[at - 1][1] > hit[0]) or (at < len(kept) and kept[at][0] < hit[1]):
            continue
        starts.insert(at, hit[0])
        kept.insert(at, hit)
    return kept


class _Stops:
    """Where scopes end (terminating cues, semicolons), ordered, for the nearest one either side."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.starts = [s for s, _ in spans]
        self.ends = sorted(e for _, e in spans)

    def after(self, at: int, default: int) -> int:
        i = bisect.bisect_left(self.starts, at)
        return self.starts[i] if i < len(self.starts) else default

    def before(self, at: int) -> int:
        i = bisect.bisect_right(self.ends, at)
        return self.ends[i - 1] if i else 0


class _Words:
    """The sentence's words (runs of non-space), to count a scope's words without re-reading it."""

    def __init__(self, sentence: str) -> None:
        spans = [m.span() for m in re.finditer(r"\S+", sentence)]
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def forward(self, start: int, end: int, words: int | None) -> int:
        """The end of the words-th word after start (within [start, end)), else end."""
        if words is None:
            return end
        first = bisect.bisect_right(self.ends, start)  # the first word ending after start
        if first + words < len(self.starts) and self.starts[first + words] < end:
            return min(self.ends[first + words - 1], end)
        return end

    def backward(self, start: int, end: int, words: int | None) -> int:
        """The start of the words-th word before end (within [start, end)), else start."""
        if words is None:
            return start
        last = bisect.bisect_left(self.starts, end) - 1  # the last word starting before end
        if last - words >= 0 and self.ends[last - words] > start:
            return max(self.starts[last - words + 1], start)
        return start


class _Brackets:
    """The sentence's bracketed spans: a cue inside brackets ("(no other prescribers)") speaks of what they
    hold, so its scope ends at their close."""

    def __init__(self, sentence: str) -> None:
        self.pairs: list[tuple[int, int]] = []
        if "(" not in sentence:
            return
        opened: list[int] = []
        for m in re.finditer(r"[()]", sentence):
            if m.group() == "(":
                opened.append(m.start())
            elif opened:
                self.pairs.append((opened.pop(), m.start()))

    def closing(self, at: int, default: int) -> int:
        """The close of the innermost brackets holding `at`, else default."""
        inside = [close for open_, close in self.pairs if open_ < at < close]
        return min(inside) if inside else default


def _scope(sentence: str, start: int, end: int, rule: CueRule, stops: tuple[_Stops, _Stops], words: _Words) -> tuple[int, int]:
    """`stops` are those ending a forward scope and a backward one: a request's items may follow it across
    semicolons, but what it looks back to is its own clause ("no chest pain; the ECG is requested")."""
    if rule.direction == "sentence":
        return 0, len(sentence)
    forward_stops, backward_stops = stops
    after = forward_stops.after(end, len(sentence))
    before = backward_stops.before(start)
    forward = (end, words.forward(end, after, rule.max_scope))
    backward = (words.backward(before, start, rule.max_scope), start)
    if rule.direction == "forward":
        return forward
    if rule.direction == "backward":
        return backward
    return backward[0], forward[1]


def load_context_rules(path: Path | None = None) -> ContextRules:
    path = Path(path) if path else cues_dir() / "context.yaml"
    return _load_context_rules(str(path))


@lru_cache(maxsize=8)
def _load_context_rules(path: str) -> ContextRules:
    data = require_mapping(load_yaml(Path(path), "context cue file"), path, "")
    check_keys(data, ("schema", "cues", "across_semicolons", "sections"), path, "", required=("cues",))
    if data.get("schema", CONTEXT_SCHEMA) != CONTEXT_SCHEMA:
        raise InputError(path, "schema", f"unsupported schema {data['schema']!r}", f"write schema: {CONTEXT_SCHEMA}")
    rules = [_cue_rule(raw, path, f"cues[{i}]") for i, raw in enumerate(require_list(data["cues"], path, "cues"))]
    across = frozenset(str(c) for c in require_list(data.get("across_semicolons", []), path, "across_semicolons"))
    unknown = across - set(CATEGORIES)
    if unknown:
        raise InputError(path, "across_semicolons", f"unknown category {sorted(unknown)[0]!r}", f"use: {', '.join(CATEGORIES)}")
    sections = tuple(_section_rule(raw, path, f"sections[{i}]") for i, raw in enumerate(require_list(data.get("sections", []), path, "sections")))
    return ContextRules(tuple(rules), path, across, sections)


def _section_rule(raw: Any, path: str, where: str) -> SectionRule:
    raw = require_mapping(raw, path, where)
    check_keys(raw, ("heading", "category", "unless"), path, where, required=("heading",))
    category = str(raw.get("category") or "")
    if category and category not in CATEGORIES:
        raise InputError(path, f"{where}.category", f"unknown category {category!r}", f"use one of: {', '.join(CATEGORIES)}, or leave it out")
    try:
        pattern = re.compile(str(raw["heading"]), re.IGNORECASE)
        unless = re.compile(str(raw["unless"]), re.IGNORECASE) if raw.get("unless") else None
    except re.error as exc:
        raise InputError(path, where, f"invalid regular expression ({exc})", "fix the pattern") from None
    return SectionRule(pattern, category, unless)


def _cue_rule(raw: Any, path: str, where: str) -> CueRule:
    raw = require_mapping(raw, path, where)
    check_keys(raw, ("cue", "regex", "category", "direction", "max_scope", "case_sensitive"), path, where, required=("direction",))
    direction = raw["direction"]
    if direction not in DIRECTIONS:
        raise InputError(path, f"{where}.direction", f"unknown direction {direction!r}", f"use one of: {', '.join(DIRECTIONS)}")
    category = raw.get("category", direction if direction in ("pseudo", *TERMINATORS) else None)
    if direction not in ("pseudo", *TERMINATORS) and category not in CATEGORIES:
        raise InputError(path, f"{where}.category", f"unknown category {category!r}", f"use one of: {', '.join(CATEGORIES)}")
    literal, pattern = compile_cue(raw, path, where)
    max_scope = raw.get("max_scope")
    if max_scope is not None and (isinstance(max_scope, bool) or not isinstance(max_scope, int) or max_scope < 1):
        raise InputError(path, f"{where}.max_scope", "expected a positive number of words", "write max_scope: 8, or leave it out")
    return CueRule(literal, str(category), direction, pattern, max_scope, required_literals(pattern))


def compile_cue(raw: dict, path: str, where: str) -> tuple[str, re.Pattern[str]]:
    """A cue given as a literal phrase (cue:) or a regular expression (regex:)."""
    sensitive = bool(raw.get("case_sensitive", False))
    if ("cue" in raw) == ("regex" in raw):
        raise InputError(path, where, "give exactly one of cue: (a phrase) or regex:", "write cue: no evidence of")
    if "cue" in raw:
        literal = str(raw["cue"]).strip()
        if not literal:
            raise InputError(path, f"{where}.cue", "empty cue", "write the phrase")
        return literal, phrase_pattern(literal, sensitive)
    literal = str(raw["regex"])
    try:
        return literal, re.compile(literal, 0 if sensitive else re.IGNORECASE)
    except re.error as exc:
        raise InputError(path, f"{where}.regex", f"invalid regular expression ({exc})", "fix the pattern") from None
