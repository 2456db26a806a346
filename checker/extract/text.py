"""Small readers of clinical wording shared by the fact families: numbers written in digits or
words, dates within reason, sides of the body, lists, and an alternation of many names."""

from __future__ import annotations

import datetime as dt
import re

EARLIEST_YEAR = 1950


def number(written: str | None, words: dict[str, int]) -> float | None:
    """A number written in digits (12, 1.2) or words (six, twenty-four, thirty nine)."""
    if written is None:
        return None
    text = written.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    parts = re.split(r"[\s-]+", text)
    if parts and all(p in words for p in parts):
        return float(sum(words[p] for p in parts))
    digits = re.search(r"\d+(?:\.\d+)?", text)
    return float(digits.group(0)) if digits else None


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


def sides(text: str) -> set[str]:
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
