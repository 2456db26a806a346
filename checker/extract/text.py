"""Small readers of clinical wording shared by the fact families: numbers written in digits or
words, dates within reason, sides of the body, lists, and an alternation of many names."""

from __future__ import annotations

import datetime as dt
import re

EARLIEST_YEAR = 1950


# quantity words that are no plain number word: "a couple of" visits, "a dozen" sessions, "half a dozen"
QUANTITY_WORDS = {"couple": 2, "pair": 2, "dozen": 12}
# counts of times ("injected twice", "three times"): the word "times" adds nothing to the number
TIMES_WORDS = {"once": 1, "twice": 2}
_MULTIPLIERS = {"dozen"}
# days in each unit of time a duration is written in, and the unit names as written
DAYS_IN = {"day": 1.0, "week": 7.0, "month": 30.44, "year": 365.25}
_UNIT = re.compile(r"\b(?:(?P<day>days?)|(?P<week>weeks?|wks?)|(?P<month>months?|mos?)|(?P<year>years?|yrs?))\b", re.IGNORECASE)


def number(written: str | None, words: dict[str, int]) -> float | None:
    """A number written in digits (12, 1.2) or words (six, twenty-four, thirty nine, a dozen, a couple
    of, two and a half, half a); of a range ("6-8", "six to eight") the lower bound, the one stated for
    certain."""
    if written is None:
        return None
    text = re.sub(r"\s*\(\d+\)\s*$", "", written.strip().lower())
    text = re.split(r"\s+(?:to|or)\s+|\s*[–—]\s*|(?<=\d)\s*-\s*(?=\d)", text)[0].strip()
    half = re.search(r"\s*\band\s+a\s+half$", text)
    if half:
        text = text[: half.start()]
    found = _amount(text, words)
    return None if found is None else found + (0.5 if half else 0)


def _amount(text: str, words: dict[str, int]) -> float | None:
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    parts = [p for p in re.split(r"[\s-]+", text) if p and p not in ("of", "times")]
    if parts[:1] == ["half"]:
        rest = _amount(" ".join(parts[1:]), words) if len(parts) > 1 else 1.0
        return None if rest is None else rest / 2
    if parts[:1] in (["a"], ["an"]):
        parts = parts[1:] or ["one"]
    known = {**words, **QUANTITY_WORDS, **TIMES_WORDS, "one": 1}
    if parts and all(p in known for p in parts):
        total = 0.0
        for p in parts:
            total = (total or 1) * known[p] if p in _MULTIPLIERS else total + known[p]
        return total
    digits = re.search(r"\d+(?:\.\d+)?", text)
    return float(digits.group(0)) if digits else None


def duration(written: str | None, words: dict[str, int], unit: str) -> float | None:
    """A duration ("six weeks", "a month and a half", "two and a half months", "half a year", "6-8
    weeks") in `unit` (day, week, month or year)."""
    if written is None:
        return None
    found = _UNIT.search(written)
    if found is None:
        return None
    amount_text = re.sub(r"\b(?:full|whole)\b", " ", written[: found.start()] + written[found.end() :])
    amount = number(" ".join(amount_text.split()).strip(" -"), words)
    return None if amount is None else amount * DAYS_IN[found.lastgroup or "day"] / DAYS_IN[unit]


def duration_unit(written: str | None) -> str | None:
    """The unit a duration is written in (day, week, month or year), or None."""
    found = _UNIT.search(written or "")
    return found.lastgroup if found else None


def height_m(written: str | None) -> float | None:
    """A height in metres from feet and inches ("5 ft 6 in", "5'6\""), centimetres or metres."""
    if not written:
        return None
    text = written.lower()
    feet = re.search(r"(\d)\s*(?:ft|feet|foot|')\s*(?:(\d{1,2}(?:\.\d)?)\s*(?:in|inches|inch|\"|'')?)?", text)
    if feet:
        return (int(feet.group(1)) * 12 + float(feet.group(2) or 0)) * 0.0254
    metric = re.search(r"(\d+(?:\.\d+)?)\s*(cm|m)\b", text)
    if metric:
        return float(metric.group(1)) / (100 if metric.group(2) == "cm" else 1)
    return None


def weight_kg(written: str | None) -> float | None:
    """A weight in kilograms from pounds or kilograms ("220 lb", "95 kg")."""
    found = re.search(r"(\d+(?:\.\d+)?)\s*(lbs?|pounds?|kg|kgs|kilograms?)\b", (written or "").lower())
    if not found:
        return None
    return float(found.group(1)) * (0.45359237 if found.group(2).startswith(("lb", "pound")) else 1)


def tidy(value: float) -> int | float:
    """A whole number as an int, else one decimal."""
    rounded = round(value, 1)
    return int(rounded) if float(rounded).is_integer() else rounded


def plausible(day: dt.date, as_of: dt.date | None) -> bool:
    """A date a note can state as past: not before EARLIEST_YEAR, not after the request date."""
    return day.year >= EARLIEST_YEAR and (as_of is None or day <= as_of)


def trie_regex(names: list[str]) -> str:
    """An alternation of names written as a prefix tree ("hydro(?:codone|morphone)"): the same matches,
    longest first, without trying every name at every position of the text. Spaces match any whitespace."""
    trie: dict[str, dict] = {}
    for name in names:
        node = trie
        for token in (r"\s+" if ch == " " else re.escape(ch) for ch in " ".join(name.lower().split())):
            node = node.setdefault(token, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        branches = [token + build(child) for token, child in sorted(node.items()) if token]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def sides_agree(requested: frozenset[str], stated: set[str]) -> bool:
    return not (requested and stated and not requested & stated and "bilateral" not in requested | stated)


# "left" as the verb, not the side: "left her pain free", "was left with", "left work early"; "the left"
# and "on left" are always the side ("positive on the left with increased translation")
_LEFT_AS_VERB = re.compile(
    r"(?<!\bthe\s)(?<!\bon\s)\bleft\s+(?=(?:her|him|them|me|us|it|the|a|an|his|their|work|home|early|without|with|over|behind|untreated|alone)\b)",
    re.IGNORECASE,
)


# the words that make what follows a finding's comparison ("versus", "compared with", "than")
COMPARED_WITH = r"(?:versus|vs\.?|compared\s+(?:with|to)|in\s+comparison\s+(?:with|to)|than|relative\s+to|against)"
# the side named as what a finding is measured against ("flexion to 110 degrees compared with 140 on the
# left", "4/5 versus 5/5 on the right", "worse than the left", "5 degrees against 15 on the left"), or its measure in
# brackets after the finding's ("grip 21 kg (left 34 kg)"): the measure, not the side the finding is on
_COMPARED_SIDE = re.compile(
    rf"\b{COMPARED_WITH}\b[^;,.]{{0,40}}?\b(?:left|right)\b|\(\s*(?:the\s+)?(?:left|right)(?:\s+(?:hand|side))?\s*:?\s*\d",
    re.IGNORECASE,
)


def sides(text: str) -> set[str]:
    text = _LEFT_AS_VERB.sub(" ", text) if "left" in text.lower() else text
    text = _COMPARED_SIDE.sub(" ", text)
    return {side for side in ("left", "right", "bilateral") if re.search(rf"\b{side}\b", text, re.IGNORECASE)}


def split_list(text: str) -> list[str]:
    """'a, b, and c' / 'a; b; c' / 'low back pain and lumbar strain' -> items."""
    parts = [p for p in re.split(r";", text)] if ";" in text else re.split(r",", text)
    items: list[str] = []
    for part in parts:
        part = re.sub(r"^\s*(?:and|or)\s+", "", part.strip())
        pieces = re.split(r"\s+and\s+", part)
        if len(pieces) == 2 and all(len(p.split()) >= 2 for p in pieces):
            items.extend(pieces)
        elif part:
            items.append(part)
    return items


def list_items(text: str, start: int) -> list[tuple[int, str]]:
    """Items of a medication list from `start` to the end of the sentence, with their offsets."""
    found = []
    for m in re.finditer(r"[^,;]+", text[start:]):
        piece = m.group(0)
        offset = start + m.start()
        for sub in re.finditer(r"(?:(?<=\s)|^)(?:(?!\s(?:and|as\s+well\s+as)\s).)+", piece):
            item = re.sub(r"^\s*(?:and|as\s+well\s+as)\s+", "", sub.group(0))
            lead = len(sub.group(0)) - len(item)
            stripped = item.strip()
            if stripped:
                found.append((offset + sub.start() + lead + (len(item) - len(item.lstrip())), stripped))
    return found
