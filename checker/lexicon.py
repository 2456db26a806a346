"""The drug lexicon (rules/drugs.yaml): brand names and misspellings to generic names and classes."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.errors import InputError
from checker.fields import check_keys, require_list, require_mapping
from checker.yamlio import load_yaml

# A fuzzy match must be this close (difflib ratio) and clearly ahead of the runner-up.
FUZZY_CUTOFF = 0.85
FUZZY_MARGIN = 0.05
_STRENGTH_TOKEN = re.compile(r"\d+(?:\.\d+)?%")

_DRUG_KEYS = ("classes", "brands", "aliases", "strength_of", "strength_unit", "med_factor", "med_basis", "med_tiers", "route")
ROUTES = ("oral", "topical", "injection", "transdermal")


@dataclass(frozen=True)
class Drug:
    generic: str
    classes: tuple[str, ...]
    names: tuple[str, ...]
    strength_of: str = ""
    strength_unit: str = "mg"
    med_factor: float | None = None
    med_basis: str = "per_mg"
    med_tiers: tuple[tuple[float, float], ...] = field(default_factory=tuple)
    route: str = ""  # set for products made for one route only (Lidoderm: topical)

    def med_per_day(self, daily_amount: float) -> float | None:
        """Morphine milligram equivalents per day, or None when the lexicon has no factor."""
        if self.med_tiers:
            for limit, factor in self.med_tiers:
                if daily_amount <= limit:
                    return round(daily_amount * factor, 1)
            return None
        if self.med_factor is None:
            return None
        return round(daily_amount * self.med_factor, 1)


@dataclass(frozen=True)
class Resolution:
    drug: Drug
    matched: str
    how: str  # "exact" or "fuzzy"
    start: int = 0  # where the name starts in the text it was found in


@dataclass
class Lexicon:
    drugs: dict[str, Drug]
    path: str
    _index: dict[str, str] = field(default_factory=dict)
    _fuzzy: dict[str, str | None] = field(default_factory=dict, repr=False)  # key -> generic, memoised

    def __post_init__(self) -> None:
        for drug in self.drugs.values():
            for name in (drug.generic, *drug.names):
                self._index.setdefault(normalise(name), drug.generic)

    def resolve(self, name: str) -> Resolution | None:
        """Exact name (generic, brand, alias), else a close and unambiguous fuzzy match, else None."""
        key = normalise(name)
        if key in self._index:
            return Resolution(self.drugs[self._index[key]], name, "exact")
        if key not in self._fuzzy:  # the same unknown words recur in every request line of a corpus
            self._fuzzy[key] = self._closest_unambiguous(key)
        generic = self._fuzzy[key]
        return Resolution(self.drugs[generic], name, "fuzzy") if generic else None

    def _closest_unambiguous(self, key: str) -> str | None:
        scored = sorted(
            ((difflib.SequenceMatcher(None, key, known).ratio(), known) for known in _close_candidates(key, self._index)),
            reverse=True,
        )
        if not scored or scored[0][0] < FUZZY_CUTOFF:
            return None
        best_score, best = scored[0]
        rivals = [k for s, k in scored[1:] if best_score - s < FUZZY_MARGIN and self._index[k] != self._index[best]]
        return None if rivals else self._index[best]

    def find_in_text(self, text: str) -> Resolution | None:
        """The lexicon name that starts a request line ("Norco 10/325 mg #90"), longest first."""
        # digits and '#' too ("Tylenol #3"), but not a bare strength: "Lidocaine 5% patch" names "lidocaine patch"
        words = [w for w in re.findall(r"[A-Za-z0-9#][A-Za-z0-9#/\-%]*", text) if not _STRENGTH_TOKEN.fullmatch(w)]
        for size in (4, 3, 2, 1):
            for start in range(0, min(len(words), 3)):
                phrase = " ".join(words[start : start + size])
                if len(words[start : start + size]) == size:
                    key = normalise(phrase)
                    if key in self._index:
                        return Resolution(self.drugs[self._index[key]], phrase, "exact")
        for start in range(0, min(len(words), 2)):
            if len(words[start]) >= 5 and words[start][0].isalpha():
                found = self.resolve(words[start])
                if found:
                    return found
        return None

    def find_all_in_text(self, text: str) -> list[Resolution]:
        """Every lexicon name in the text (exact names only), left to right, longest first at each place."""
        words = [w for w in re.finditer(r"[A-Za-z0-9#][A-Za-z0-9#/\-%]*", text) if not _STRENGTH_TOKEN.fullmatch(w.group(0))]
        found: list[Resolution] = []
        position = 0
        while position < len(words):
            for size in (4, 3, 2, 1):
                span = words[position : position + size]
                if len(span) < size:
                    continue
                phrase = text[span[0].start() : span[-1].end()]
                key = normalise(" ".join(w.group(0) for w in span))
                if key in self._index:
                    found.append(Resolution(self.drugs[self._index[key]], phrase, "exact", span[0].start()))
                    position += size
                    break
            else:
                position += 1
        return found

    def closest(self, name: str) -> str:
        close = difflib.get_close_matches(normalise(name), list(self._index), n=1, cutoff=0.6)
        return self._index[close[0]] if close else ""  # the generic name: the closest key may be a misspelling

    def classes(self) -> set[str]:
        return {c for d in self.drugs.values() for c in d.classes}


def _close_candidates(key: str, names: Iterable[str]) -> Iterator[str]:
    """The names whose cheap upper bounds of difflib's ratio reach the margin below the cutoff: any
    other name can be neither the match nor its rival, so its exact ratio is not needed (speed only;
    the bounds are symmetric, so one matcher indexes `key` once)."""
    matcher = difflib.SequenceMatcher(None)
    matcher.set_seq2(key)
    floor = FUZZY_CUTOFF - FUZZY_MARGIN - 0.01
    for known in names:
        matcher.set_seq1(known)
        if matcher.real_quick_ratio() >= floor and matcher.quick_ratio() >= floor:
            yield known


def normalise(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


def load_lexicon(path: Path) -> Lexicon:
    data = require_mapping(load_yaml(path, "drug lexicon"), str(path), "")
    check_keys(data, ("schema", "drugs"), str(path), "", required=("drugs",))
    drugs = {}
    for generic, spec in require_mapping(data["drugs"], str(path), "drugs").items():
        drugs[str(generic)] = _drug(str(generic), spec or {}, str(path))
    return Lexicon(drugs=drugs, path=str(path))


def _drug(generic: str, spec: Any, path: str) -> Drug:
    where = f"drugs.{generic}"
    spec = require_mapping(spec, path, where)
    check_keys(spec, _DRUG_KEYS, path, where, required=("classes",))
    raw_tiers = require_list(spec.get("med_tiers", []), path, f"{where}.med_tiers")
    tiers = tuple(_tier(t, path, f"{where}.med_tiers[{i}]") for i, t in enumerate(raw_tiers))
    route = str(spec.get("route", ""))
    if route and route not in ROUTES:
        raise InputError(path, f"{where}.route", f"unknown route {route!r}", f"use one of: {', '.join(ROUTES)}")
    factor = spec.get("med_factor")
    if factor is not None and not _is_number(factor):
        raise InputError(path, f"{where}.med_factor", "expected a number", "write the conversion factor as a number")
    return Drug(
        generic=generic,
        classes=tuple(require_list(spec["classes"], path, f"{where}.classes")),
        names=tuple(str(n) for k in ("brands", "aliases") for n in require_list(spec.get(k, []), path, f"{where}.{k}")),
        strength_of=str(spec.get("strength_of", "")),
        strength_unit=str(spec.get("strength_unit", "mg")),
        med_factor=float(factor) if factor is not None else None,
        med_basis=str(spec.get("med_basis", "per_mg")),
        med_tiers=tiers,
        route=route,
    )


def _tier(raw: Any, path: str, where: str) -> tuple[float, float]:
    raw = require_mapping(raw, path, where)
    check_keys(raw, ("up_to_mg_per_day", "factor"), path, where, required=("up_to_mg_per_day", "factor"))
    for key in ("up_to_mg_per_day", "factor"):
        if not _is_number(raw[key]):
            raise InputError(path, f"{where}.{key}", "expected a number", "write it as a number without quotes")
    return float(raw["up_to_mg_per_day"]), float(raw["factor"])


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
