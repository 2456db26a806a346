"""Reading the guidelines an IMR reviewer cited ("MAXIMUS guideline: Decision based on ..."):
guideline key and edition (rules/guidelines.yaml and its aliases), section titles (split with the
catalogue in rules/sections.yaml) and pages, whether the reviewer went outside the MTUS, or cited
nothing."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from checker.base.errors import InputError
from checker.base.fields import check_keys, require_list, require_mapping
from checker.base.yamlio import load_yaml
from checker.load.ruleset import Citation, GuidelineEdition

SECTIONS_SCHEMA = "mtus-sections/1"
_NO_CITATION = re.compile(r"did not cite any medical evidence", re.I)
_OUTSIDE_MTUS = re.compile(r"outside of the MTUS", re.I)
_CLAUSE = re.compile(r"Decision based on\s+", re.I)
_PAGE_LIST = r"\d+(?:\s*[-–]\s*\d+)?(?:\s*[,;]\s*\d+(?:\s*[-–]\s*\d+)?)*"
_PAGES = re.compile(rf"(?:\bPage\(s\)|\b(?:Pages?|pgs?|pp?)\b\.?)\s*:?\s*(?P<pages>{_PAGE_LIST})", re.I)
_SECTIONS_LABEL = re.compile(r"^Section\(s\)\s*:\s*", re.I)
_NUMBERED_TITLE = re.compile(r"\d+(?:\.\d+)*\.?\s+\S")
_FUZZY_CUTOFF = 0.9


@dataclass(frozen=True)
class Note:
    """Something the reader could not map cleanly; rendered by templates/import.txt.j2."""

    kind: str  # unknown_guideline | unknown_section | unknown_edition | nothing_read
    text: str
    guideline: str = ""
    edition: str = ""


@dataclass(frozen=True)
class CitedEvidence:
    citations: tuple[Citation, ...]
    non_mtus: bool
    no_citation: bool
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class _Name:
    guideline: str
    edition: str  # "" when the name carries no edition


class SectionCatalogue:
    """Titles per (guideline, edition), longest first, for splitting 'Section(s): A, B, C'."""

    def __init__(self, titles: dict[tuple[str, str], tuple[str, ...]]) -> None:
        self._titles = {key: tuple(sorted(set(names), key=len, reverse=True)) for key, names in titles.items()}

    def titles(self, guideline: str, edition: str) -> tuple[str, ...]:
        return self._titles.get((guideline, edition), ())


def load_sections(path: Path, guidelines: dict[tuple[str, str], GuidelineEdition]) -> SectionCatalogue:
    p = str(path)
    data = require_mapping(load_yaml(Path(path), "section catalogue"), p, "")
    check_keys(data, ("schema", "catalogue"), p, "", required=("schema", "catalogue"))
    if data["schema"] != SECTIONS_SCHEMA:
        raise InputError(p, "schema", f"unsupported schema {data['schema']!r}", f"write schema: {SECTIONS_SCHEMA}")
    titles: dict[tuple[str, str], list[str]] = {}
    for i, entry in enumerate(require_list(data["catalogue"], p, "catalogue")):
        where = f"catalogue[{i}]"
        entry = require_mapping(entry, p, where)
        check_keys(entry, ("guidelines", "editions", "titles"), p, where, required=("guidelines", "editions", "titles"))
        names = [str(t).strip() for t in require_list(entry["titles"], p, f"{where}.titles") if str(t).strip()]
        for guideline in require_list(entry["guidelines"], p, f"{where}.guidelines"):
            for edition in require_list(entry["editions"], p, f"{where}.editions"):
                key = (str(guideline), str(edition))
                if key not in guidelines:
                    raise InputError(p, where, f"guideline {key[0]} edition {key[1]} is not in guidelines.yaml", "name a guideline and edition listed there")
                titles.setdefault(key, []).extend(names)
    return SectionCatalogue({k: tuple(v) for k, v in titles.items()})


class CitationReader:
    """Reads one reviewer guideline line against the guideline catalogue and section titles."""

    def __init__(self, guidelines: dict[tuple[str, str], GuidelineEdition], sections: SectionCatalogue) -> None:
        self.guidelines = guidelines
        self.sections = sections
        self._editions: dict[str, list[GuidelineEdition]] = {}
        for edition in guidelines.values():
            self._editions.setdefault(edition.guideline, []).append(edition)
        self._names = _name_index(guidelines)
        alternation = "|".join(_name_pattern(n) for n in sorted(self._names, key=len, reverse=True))
        self._mtus_name = re.compile(rf"(?<![A-Za-z])(?:MTUS\s+)?(?P<name>{alternation})(?:\s+(?P<year>\d{{4}}))?(?![A-Za-z])", re.I)
        non_mtus = {n: v for n, v in self._names.items() if not self._is_mtus(v.guideline)}
        other = "|".join(_name_pattern(n) for n in sorted(non_mtus, key=len, reverse=True))
        self._source_name = re.compile(rf"(?<![A-Za-z])(?P<name>{other})(?![A-Za-z])", re.I)

    def _is_mtus(self, guideline: str) -> bool:
        return all(e.mtus for e in self._editions.get(guideline, []))

    def read(self, text: str, request_date: dt.date) -> CitedEvidence:
        text = " ".join(text.split())
        if _NO_CITATION.search(text):
            return CitedEvidence((), False, True, ())
        citations: list[Citation] = []
        notes: list[Note] = []
        for clause in _CLAUSE.split(text)[1:]:
            clause = clause.strip().rstrip(".").strip()
            if re.match(r"Non-MTUS Citation\b", clause, re.I):
                citations += self._non_mtus(re.sub(r"^Non-MTUS Citation\s*:?\s*", "", clause, flags=re.I))
            else:
                found, clause_notes = self._mtus(re.sub(r"^MTUS\b\s*:?\s*", "", clause, flags=re.I), request_date)
                citations += found
                notes += clause_notes
        if not citations:
            notes.append(Note("nothing_read", text))
        non_mtus = bool(_OUTSIDE_MTUS.search(text)) or any(not self._is_mtus(c.guideline) for c in citations)
        return CitedEvidence(tuple(_unique(citations)), non_mtus, False, tuple(notes))

    # --- MTUS guidelines: "Low Back Complaints 2004, Section(s): A, and Chronic Pain Medical Treatment 2016, Section(s): B"
    def _mtus(self, clause: str, request_date: dt.date) -> tuple[list[Citation], list[Note]]:
        chain = [m for m in self._mtus_name.finditer(clause) if self._starts_citation(clause, m)]
        if not chain:
            return [], [Note("unknown_guideline", clause)]
        citations: list[Citation] = []
        notes: list[Note] = []
        for k, match in enumerate(chain):
            end = chain[k + 1].start() if k + 1 < len(chain) else len(clause)
            body = re.sub(r"[\s,;]*(?:\band\b)?[\s,;]*$", "", clause[match.end(): end]).lstrip(" ,:;.")
            name = self._names[_normal(match.group("name"))]
            edition, note = self._edition(name, match.group("year"), request_date, clause)
            notes += [note] if note else []
            found, body_notes = self._body(name.guideline, edition, body)
            citations += found
            notes += body_notes
        return citations, notes

    def _starts_citation(self, clause: str, match: re.Match) -> bool:
        """A guideline name starts a citation at the start of the clause, or after 'and' or ',' when
        the edition year follows (so 'Chronic Opioid Treatment' inside a section title does not)."""
        before = clause[: match.start()].strip()
        if not before.strip(" :"):
            return True
        dated = match.group("year") or self._names[_normal(match.group("name"))].edition
        return bool(dated) and bool(re.search(r"(?:,|;|\band)$", before))

    def _edition(self, name: _Name, year: str | None, request_date: dt.date, clause: str) -> tuple[str, Note | None]:
        editions = self._editions[name.guideline]
        if year and (name.guideline, year) in self.guidelines:
            return year, None
        if name.edition:
            return name.edition, None
        if year:
            return year, Note("unknown_edition", clause, name.guideline, year)
        in_force = [e.edition for e in editions if _in_force(e, request_date)]
        if len(in_force) == 1:
            return in_force[0], None
        if len(editions) == 1:
            return editions[0].edition, None
        return "", Note("unknown_edition", clause, name.guideline, "")

    def _body(self, guideline: str, edition: str, body: str) -> tuple[list[Citation], list[Note]]:
        if not body:
            return [Citation(guideline, edition)], []
        label = _SECTIONS_LABEL.match(body)
        if label:
            return self._sections(guideline, edition, body[label.end():])
        return _by_pages(guideline, edition, body), []

    def _sections(self, guideline: str, edition: str, text: str) -> tuple[list[Citation], list[Note]]:
        citations, notes = [], []
        for title, known in split_titles(text, self.sections.titles(guideline, edition)):
            if re.fullmatch(_PAGE_LIST, title):
                citations.append(Citation(guideline, edition, "", normal_pages(title)))  # "Section(s): 326" is a page
                continue
            if not known:
                notes.append(Note("unknown_section", title, guideline, edition))
            citations.append(Citation(guideline, edition, title))
        return citations, notes

    # --- non-MTUS sources: "Official Disability Guidelines (ODG) Pain, Soma (Carisoprodol) and Other Medical Treatment Guidelines ..."
    def _non_mtus(self, clause: str) -> list[Citation]:
        starts = [m.start() for m in self._source_name.finditer(clause) if re.search(r"(?:^|\band|;)$", clause[: m.start()].strip())]
        bounds = sorted({0, *starts})
        pieces = [clause[a:b] for a, b in zip(bounds, [*bounds[1:], len(clause)], strict=True)]
        return [c for c in (self._source(p) for p in pieces) if c is not None]

    def _source(self, piece: str) -> Citation | None:
        piece = re.sub(r"^(?:and\b|;)\s*", "", piece.strip()).strip()
        piece = re.sub(r"[\s,;]*(?:\band\b)?[\s,;.]*$", "", piece)
        if not piece:
            return None
        named = self._source_name.match(piece)
        if named:
            guideline = self._names[_normal(named.group("name"))].guideline
            rest = piece[named.end():].lstrip(" ,:;-–")
        else:
            inside = self._source_name.search(piece)
            guideline = self._names[_normal(inside.group("name"))].guideline if inside else "other"
            rest = piece
        pages = ""
        page_match = _PAGES.search(rest)
        if page_match:
            pages = normal_pages(page_match.group("pages"))
            rest = (rest[: page_match.start()] + rest[page_match.end():]).strip(" ,;:.")
        editions = self._editions.get(guideline, [])
        edition = editions[0].edition if len(editions) == 1 else ""
        return Citation(guideline, edition, rest.strip(" ,;:"), pages)


def split_titles(text: str, titles: tuple[str, ...]) -> list[tuple[str, bool]]:
    """'NSAIDs, GI symptoms & cardiovascular risk, Proton Pump Inhibitors (PPIs)' -> the two titles.
    Catalogue titles (longest first) are taken whole; numbered titles ('3.3.6 Opioids ...: ...') run to
    the next number; anything else runs to the next comma. Returns (title, in the catalogue)."""
    rest = text.strip().rstrip(".").strip()
    lowered_titles = [t.lower() for t in titles]
    found: list[tuple[str, bool]] = []
    while rest:
        rest = re.sub(r"^(?:[,;]\s*|and\s+)+", "", rest).strip()
        if not rest:
            break
        title = next((t for t in titles if _title_at_start(rest, t)), None)
        if title is not None:
            found.append((title, True))
            rest = rest[len(title):]
            continue
        if _NUMBERED_TITLE.match(rest):
            nxt = re.search(r",\s+(?=\d+(?:\.\d+)*\.?\s+[A-Z])", rest)
        else:
            nxt = re.search(r"[,;]\s+", rest)
        piece = (rest[: nxt.start()] if nxt else rest).strip()
        rest = rest[nxt.start():] if nxt else ""
        close = difflib.get_close_matches(piece.lower(), lowered_titles, n=1, cutoff=_FUZZY_CUTOFF)
        found.append((titles[lowered_titles.index(close[0])], True) if close else (piece, False))
    return found


def _title_at_start(text: str, title: str) -> bool:
    if not text.lower().startswith(title.lower()):
        return False
    after = text[len(title):]
    return not after or bool(re.match(r"\s*(?:[,;.]|and\b|$)", after))


def _by_pages(guideline: str, edition: str, body: str) -> list[Citation]:
    """2009-style 'Carisoprodol, page 60: Medications for Chronic Pain, Page(s): 94' -> one citation per page group."""
    citations, start = [], 0
    for match in _PAGES.finditer(body):
        section = body[start: match.start()].strip(" ,:;.")
        citations.append(Citation(guideline, edition, section, normal_pages(match.group("pages"))))
        start = match.end()
    leftover = body[start:].strip(" ,:;.")
    if leftover or not citations:
        citations.append(Citation(guideline, edition, leftover))
    return citations


def normal_pages(pages: str) -> str:
    """'74-80; 92' -> '74-80, 92'."""
    parts = [re.sub(r"\s*[-–]\s*", "-", p.strip()) for p in re.split(r"[,;]", pages)]
    return ", ".join(p for p in parts if p)


def _name_index(guidelines: dict[tuple[str, str], GuidelineEdition]) -> dict[str, _Name]:
    index: dict[str, _Name] = {}
    for (key, edition), spec in sorted(guidelines.items()):
        for raw in (*spec.aliases, spec.letter_name):
            name = re.sub(r"^MTUS\s+", "", raw.strip(), flags=re.I)
            if raw == spec.letter_name and name.endswith(f" {edition}"):
                index.setdefault(_normal(name[: -len(edition) - 1]), _Name(key, ""))
                index.setdefault(_normal(name), _Name(key, edition))
            else:
                index.setdefault(_normal(name), _Name(key, ""))
    return index


def _name_pattern(normal_name: str) -> str:
    return r"\s+".join(re.escape(part) for part in normal_name.split())


def _normal(name: str) -> str:
    return " ".join(name.lower().split())


def _in_force(edition: GuidelineEdition, day: dt.date) -> bool:
    if edition.effective_from is None:
        return False
    return edition.effective_from <= day and (edition.effective_to is None or day <= edition.effective_to)


def _unique(citations: list[Citation]) -> list[Citation]:
    seen: list[Citation] = []
    for citation in citations:
        if citation not in seen:
            seen.append(citation)
    return seen
