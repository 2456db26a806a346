"""`mtus import`: IMR letters -> case files with the letter's decisions as `expected:`.

What a letter's decisions and rationales say never reaches the case's facts or requests: facts are
drafted from the CLINICAL CASE SUMMARY alone (checker.extract, when present), requests from the item
names, dates from the header and the summary. The rationale is read only to warn when it restates an
item differently from its header."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.base.errors import InputError
from checker.derive.derive import doses_per_day
from checker.extract import draft_facts, merge_draft
from checker.imr.letters import DATE, Letter, LetterItem, parse_date, parse_letter, read_letter_text, summary_sentences
from checker.load import case as case_loader
from checker.load.case import dump_case
from checker.load.citations import CitationReader, load_sections
from checker.load.request_line import parse_request_line
from checker.load.ruleset import RuleSet, default_rules_dir

LETTER_SUFFIXES = (".pdf", ".txt")
# A request naming no drug of rules/drugs.yaml and no recognised service, but looking like a drug
# ("Viagra 50mg"), is written with this service so the case file loads; no rule applies to it.
UNCLASSIFIED_SERVICE = "unclassified"
_OWN_REQUEST_KEYS = ("id", "text", "original_text", "certified", "associated_with", "facts")
_ASSOCIATED = re.compile(
    r"^(?:associated surgical service|pre-?\s?op(?:erative)?|post-?\s?op(?:erative)?|peri-?\s?op(?:erative)?|labs?)\b"
    r"|\b(?:clearance|assist|assistant surgeon)\b",
    re.I,
)
_PROCEDURE = re.compile(
    r"\b(?:arthroscop\w*|surgery|surgical|repair|decompression|fusion|release|reconstruction|debridement|replacement|\w+ectomy|\w+plasty|\w+otomy|\w+odesis)\b",
    re.I,
)
_RFA = r"(?:request for authori[sz]ation|\bRFA\b)"
_NECESSARY = r",?\s+(?:is|was|are)\s+(?:not\s+|determined to\s+(?:not\s+)?be\s+)?medically necessary"
_RESTATED = (
    # "... the request for Soma 350 mg BID #60 for muscle relaxation is not medically necessary"
    re.compile(rf"(?:request(?:ed)?|prescription|decision)\s+(?:for\s+)?(?:the\s+|a\s+|an\s+)?[\"“]?(?P<item>[^\"”.]{{3,200}}?)[\"”]?{_NECESSARY}", re.I),
    # "... months. Norco 10/325mg #90 is not medically necessary."
    re.compile(rf"(?:^|[.!?]\s+)(?P<item>[A-Z][^.]{{2,120}}?){_NECESSARY}"),
)
_RESTATED_PREFIX = re.compile(r"^(?:the\s+)?(?:remaining IMR eligible portion of the original request,?\s*)", re.I)


@dataclass(frozen=True)
class ImportWarning:
    """Rendered by templates/import.txt.j2 according to its kind."""

    letter: str
    kind: str  # unclassified_request | fields_dropped | restated_differently | unknown_guideline | unknown_section | unknown_edition
    #            | nothing_read | injury_after_request | draft_rejected | no_case_number | no_age_or_sex
    item: str = ""
    detail: str = ""
    other: str = ""


@dataclass
class ImportedLetter:
    letter: str
    case: str
    written: str
    items: int
    request_date_from: str  # rfa | date_of_service | ur_decision | latest_summary_date


@dataclass
class ImportRun:
    imported: list[ImportedLetter] = field(default_factory=list)
    warnings: list[ImportWarning] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def items(self) -> int:
        return sum(i.items for i in self.imported)


@dataclass
class CaseDraft:
    """A case file's content before it is written."""

    letter: str
    content: dict[str, Any]
    without_extracted: dict[str, Any]  # the same case without what checker.extract drafted
    request_date_from: str
    warnings: list[ImportWarning]
    decisions_stated: int = 0  # the decisions the letter states, counted apart from the items read


class Importer:
    """Reads letters against one rule set (guideline names, section titles, drug lexicon)."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        sections_path = Path(ruleset.directory) / "sections.yaml"
        if not sections_path.is_file():  # a rule set of one's own may keep the packaged catalogue
            sections_path = default_rules_dir() / "sections.yaml"
        self.citations = CitationReader(ruleset.guidelines, load_sections(sections_path, ruleset.guidelines))
        self._parsed: dict[str, Any] = {}

    def run(self, paths: list[Path], out_dir: Path) -> ImportRun:
        """Import every letter: one that cannot be read is reported (one line) and skipped, the others are written."""
        out_dir = Path(out_dir)
        if out_dir.exists() and not out_dir.is_dir():
            raise InputError(str(out_dir), "--out", "is a file, not a folder", "name a folder for the case files")
        letters = collect_letters(paths)
        out_dir.mkdir(parents=True, exist_ok=True)
        run = ImportRun()
        imported_from: dict[str, str] = {}
        for path in letters:
            try:
                draft = self.draft(path)
                case_id = draft.content["case"]
                if case_id in imported_from:
                    earlier = imported_from[case_id]
                    raise InputError(str(path), "Case Number", f"case {case_id} was already imported from {earlier}", "import each letter once")
                target = self.write(draft, out_dir)
            except InputError as exc:
                run.errors.append(exc.one_line())
                continue
            imported_from[case_id] = str(path)
            run.warnings += draft.warnings
            run.imported.append(ImportedLetter(str(path), case_id, str(target), len(draft.content["requests"]), draft.request_date_from))
        return run

    def draft(self, path: Path) -> CaseDraft:
        """The case file's content for one letter."""
        letter = parse_letter(read_letter_text(path), str(path))
        return self.draft_from_letter(letter, Path(path).name, Path(path).stem)

    def draft_from_letter(self, letter: Letter, source: str, fallback_id: str) -> CaseDraft:
        warnings: list[ImportWarning] = []
        note = _warner(letter.path, warnings)
        if not letter.case_number:
            note("no_case_number", detail=fallback_id)
        request_date, basis = request_date_of(letter)
        if request_date is None:
            raise InputError(letter.path, "dates", "no UR denial date, request date or dated report found", "give the letter with its header table")
        claimant = claimant_from_summary(letter.summary)
        if not claimant:
            note("no_age_or_sex")
        requests = self._requests(letter)
        expected = [self._expected(item, request["id"], request_date, note) for item, request in zip(letter.items, requests, strict=True)]
        for item in letter.items:
            self._compare_restated(item, note)
        case: dict[str, Any] = {
            "schema": case_loader.CASE_SCHEMA,
            "case": letter.case_number or fallback_id,
            "title": "; ".join(r["text"] for r in requests),
            "source": source,
        }
        if letter.reviewer:
            case["reviewer"] = letter.reviewer
        case.update({"claimant": claimant, "dates": _dates(letter, request_date, note), "diagnoses": diagnoses_from_summary(letter.summary)})
        extracted = draft_facts(letter.summary, [r["text"] for r in requests], self.ruleset, as_of=request_date)
        plain = {**case, "requests": requests, "expected": expected}
        return CaseDraft(letter.path, with_extracted(plain, extracted), plain, basis, warnings, letter.decisions_stated)

    def write(self, draft: CaseDraft, out_dir: Path) -> Path:
        """Write the case file atomically (a temporary file in out_dir, loaded as `mtus check` loads
        it, then renamed). A request the loader refuses is written with its text only (or as an
        unclassified service); extracted facts it refuses are left out. Nothing else is left behind."""
        _require_every_decision(draft)
        target = Path(out_dir) / f"{_file_stem(str(draft.content['case']))}.yaml"
        reduced: set[int] = set()
        while True:
            problem = _write_if_loadable(draft.content, target, self.ruleset)
            if problem is None:
                return target
            index = _request_index(problem.field)
            if index is not None and index not in reduced:
                reduced.add(index)
                draft.content["requests"][index] = self._reduced_request(draft, index, problem)
            elif draft.content is not draft.without_extracted and draft.content != draft.without_extracted:
                _warner(draft.letter, draft.warnings)("draft_rejected", detail=problem.one_line())
                draft.without_extracted["requests"] = draft.content["requests"]
                draft.content = draft.without_extracted
            else:
                raise InputError(draft.letter, problem.field, f"the case file made of it does not load ({problem.problem})", "report the letter")

    def _requests(self, letter: Letter) -> list[dict[str, Any]]:
        ids: list[str] = []
        requests: list[dict[str, Any]] = []
        procedure_id = ""
        for item in letter.items:
            rid = _unique_id(_slug(item.text), ids)
            ids.append(rid)
            request: dict[str, Any] = {"id": rid, "text": item.text}
            if item.original_text:
                request.update(original_text=item.original_text, certified=item.certified)
            associated = bool(_ASSOCIATED.search(item.text))
            if associated and procedure_id:
                request["associated_with"] = procedure_id
            elif not associated and _PROCEDURE.search(item.text):
                procedure_id = rid
            parsed = dataclasses.asdict(self._parse(item.text))
            request.update({k: _plain(v) for k, v in parsed.items() if k in _parsed_keys() and v not in (None, "", False, [], {}, ())})
            requests.append(request)
        return requests

    def _parse(self, text: str) -> Any:
        if text not in self._parsed:
            self._parsed[text] = parse_request_line(text, self.ruleset.lexicon, self.ruleset.services)
        return self._parsed[text]

    def _reduced_request(self, draft: CaseDraft, index: int, problem: InputError) -> dict[str, Any]:
        """The request with its text only, or as an unclassified service when even that does not load."""
        request = draft.content["requests"][index]
        own = {k: v for k, v in request.items() if k in _OWN_REQUEST_KEYS}
        for attempt in (own, {**own, "service": UNCLASSIFIED_SERVICE}):
            try:
                case_loader.request_from_mapping(attempt, index, self.ruleset, draft.letter)
            except InputError:
                continue
            kind = "unclassified_request" if "service" in attempt else "fields_dropped"
            _warner(draft.letter, draft.warnings)(kind, item=own["id"], detail=own["text"], other=problem.one_line())
            return attempt
        return own  # the next load reports what is wrong with it

    def _expected(self, item: LetterItem, item_id: str, request_date: dt.date, note: Any) -> dict[str, Any]:
        evidence = self.citations.read(item.reviewer_text, request_date)
        for found in evidence.notes:
            note(found.kind, item=item_id, detail=found.text, other=" ".join(p for p in (found.guideline, found.edition) if p))
        entry: dict[str, Any] = {"item": item_id, "decision": item.decision}
        if evidence.citations:
            entry["citations"] = [c.as_dict() for c in evidence.citations]
        if evidence.non_mtus:
            entry["non_mtus"] = True
        if evidence.no_citation:
            entry["no_citation"] = True
        return entry

    def _compare_restated(self, item: LetterItem, note: Any) -> None:
        restated = restated_request(item.rationale)
        if restated and not self.same_request(item.text, restated):
            note("restated_differently", item=item.text, detail=restated)

    def same_request(self, header: str, restated: str) -> bool:
        """False when a field both texts give (drug, strength, quantity, doses per day, ...) differs."""
        left, right = dataclasses.asdict(self._parse(header)), dataclasses.asdict(self._parse(restated))
        for key in left:
            a, b = left[key], right[key]
            if key == "looks_like_drug" or a in (None, "", [], {}) or b in (None, "", [], {}):
                continue
            if key == "drug_named":
                a, b = _generic(a, self.ruleset), _generic(b, self.ruleset)
            elif key == "frequency":
                a, b = doses_per_day(a), doses_per_day(b)
            elif isinstance(a, str) and isinstance(b, str):
                a, b = re.sub(r"\s+", "", a.lower()), re.sub(r"\s+", "", b.lower())
            if a != b:
                return False
        return True


def _require_every_decision(draft: CaseDraft) -> None:
    """A case file holds exactly the letter's decisions: one request and one expected decision for
    each decision the letter states, never one lost or invented."""
    requests, expected = len(draft.content["requests"]), len(draft.content.get("expected", []))
    if not requests == expected == draft.decisions_stated:
        problem = f"the letter states {draft.decisions_stated} decision(s) but {requests} item(s) and {expected} decision(s) were read"
        raise InputError(draft.letter, "IMR ISSUES, DECISIONS AND RATIONALES", problem,
                         "give the full text of the letter, each item followed by ': Upheld' or ': Overturned' and its guideline lines")


def collect_letters(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in LETTER_SUFFIXES)
        elif path.exists():  # a file, or something else the reader refuses as that letter's error (a FIFO, a device)
            found.append(path)
        else:
            raise InputError(str(path), "", "no such file or folder", "name IMR letters (PDF or text) or folders holding them")
    return sorted(set(found))


def _warner(letter: str, warnings: list[ImportWarning]) -> Any:
    def note(kind: str, item: str = "", detail: str = "", other: str = "") -> None:
        warnings.append(ImportWarning(letter, kind, item, detail, other))

    return note


# --- dates -------------------------------------------------------------------------------------

def request_date_of(letter: Letter) -> tuple[dt.date | None, str]:
    """The request date picks the guideline edition. Letters give no request date as such: take a
    request-for-authorization date the summary states (the latest one not after the UR decision),
    else a date of service the items state ("DOS 11/18/16", "Retro Dispensed 08/07/14"), else the UR
    denial date (header, or the summary for letters without a header), else the latest date the
    summary mentions."""
    ur = letter.dates.get("ur_decision") or ur_date_from_summary(letter.summary)
    injury = letter.dates.get("injury")
    plausible = [d for d in rfa_dates(letter.summary) if (ur is None or d <= ur) and (injury is None or d >= injury)]
    if plausible:
        return max(plausible), "rfa"
    served = [d for d in (service_date(item.text) for item in letter.items) if d and (ur is None or d <= ur)]
    if served:
        return max(served), "date_of_service"
    if ur:
        return ur, "ur_decision"
    mentioned = [d for d in (parse_date(m.group(0)) for m in re.finditer(DATE, letter.summary, re.I)) if d]
    return (max(mentioned), "latest_summary_date") if mentioned else (None, "")


def rfa_dates(summary: str) -> list[dt.date]:
    found = []
    patterns = (
        rf"\(\s*({DATE})\s*\)\s+of the {_RFA}",  # "At the time (11/20/13) of the request for authorization"
        rf"{_RFA}[^.]{{0,60}}?({DATE})",  # "Request for Authorization (form) (was) dated/signed on/received on DATE"
        rf"({DATE}),?\s+(?:the\s+|a\s+|an\s+)?{_RFA}",  # "On 11-17-2016, the Request for Authorization ..."
        rf"({DATE}),?\s+(?:a|the)\s+request\s+(?:was\s+)?(?:received|submitted)\b",  # "On December 01, 2016 a request was received"
        rf"\brequest\s+(?:was\s+)?(?:received|submitted)\s+(?:on\s+)?({DATE})",
    )
    for pattern in patterns:
        for match in re.finditer(pattern, summary, re.I):
            day = parse_date(match.group(1))
            if day:
                found.append(day)
    return found


def service_date(item_text: str) -> dt.date | None:
    match = re.search(rf"\b(?:DOS|date of service|dispensed|dispensed on)\s*:?\s*({DATE})", item_text, re.I)
    return parse_date(match.group(1)) if match else None


def ur_date_from_summary(summary: str) -> dt.date | None:
    ur = r"(?:Utilization Review|\bUR\b)"
    for pattern in (rf"{ur}[^.]{{0,40}}?({DATE})", rf"({DATE}),?\s+(?:the\s+)?{ur}"):
        match = re.search(pattern, summary, re.I)
        if match and parse_date(match.group(1)):
            return parse_date(match.group(1))
    return None


def _dates(letter: Letter, request_date: dt.date, note: Any) -> dict[str, dt.date]:
    injury = letter.dates.get("injury") or injury_from_summary(letter.summary)
    if injury and injury > request_date:
        note("injury_after_request", detail=injury.isoformat(), other=request_date.isoformat())
        injury = None
    dates: dict[str, dt.date] = {"injury": injury} if injury else {}
    dates["request"] = request_date
    for key in ("ur_decision", "assigned", "decision"):
        if key in letter.dates:
            dates[key] = letter.dates[key]
    return dates


def injury_from_summary(summary: str) -> dt.date | None:
    for sentence in summary_sentences(summary)[:3]:
        if re.search(r"injur", sentence, re.I):
            match = re.search(DATE, sentence, re.I)
            if match:
                return parse_date(match.group(0))
    return None


# --- claimant and diagnoses ------------------------------------------------------------------------

_SEX_WORDS = {"female": "female", "woman": "female", "lady": "female", "male": "male", "man": "male", "gentleman": "male"}


def claimant_from_summary(summary: str) -> dict[str, Any]:
    """Age and sex from the sentence that introduces the claimant (the summary's first sentence, or
    the first of its first three sentences that gives an age or sex)."""
    for sentence in summary_sentences(summary)[:3]:
        age = re.search(r"\b(\d{1,3})[\s-]+years?[\s-]+old\b", sentence, re.I)
        sex = re.search(r"\b(female|male|woman|man|gentleman|lady)\b", sentence, re.I)
        if age or sex:
            found: dict[str, Any] = {}
            if age and 0 < int(age.group(1)) <= 120:
                found["age"] = int(age.group(1))
            if sex:
                found["sex"] = _SEX_WORDS[sex.group(1).lower()]
            return found
    return {}


_DIAGNOSES = re.compile(
    r"\b(?:diagnoses|diagnosis)\s+(?:are|is|were|was|include|includes|included|have included|has included|consist of)\s*:?\s+"
    r"(?:(?:documented|noted|listed)(?:\s+as|\s+is)?\s+)?(?P<list>[^.]+?)\.(?:\s|$)"
    r"|\bdiagnosed (?:as having|with)\s+(?P<list2>[^.]+?)\.(?:\s|$)",
    re.I,
)


def diagnoses_from_summary(summary: str) -> list[str]:
    match = _DIAGNOSES.search(summary)
    if not match:
        return []
    listed = match.group("list") or match.group("list2")
    parts = re.split(r"\s*;\s*|\s*,\s*(?:and\s+)?|\s+and\s+", listed)
    return [p.strip() for p in parts if p.strip() and len(p.strip()) > 2]


# --- facts drafted from the summary ---------------------------------------------------------------

def with_extracted(case: dict[str, Any], draft: dict[str, Any]) -> dict[str, Any]:
    """The case with what checker.extract drafted from the summary: the importer's header values win
    (case number, dates, and the age and sex it read), the draft fills what the importer left out,
    adds its facts (item facts join the requests by position) and gives the diagnoses when it finds
    any (the importer's simple reading is the fallback)."""
    merged = merge_draft({k: v for k, v in case.items() if k != "diagnoses"}, draft)
    if not merged.get("diagnoses"):
        merged["diagnoses"] = case.get("diagnoses", [])
    return {k: merged[k] for k in case_loader.CASE_KEYS if k in merged}


# --- requests -----------------------------------------------------------------------------------

def _parsed_keys() -> frozenset[str]:
    return frozenset(k for k in case_loader.REQUEST_KEYS if k not in _OWN_REQUEST_KEYS)


def _slug(text: str) -> str:
    text = re.sub(r"^associated surgical service:\s*", "", text, flags=re.I)
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words[:4]) or "item"


def _unique_id(slug: str, taken: list[str]) -> str:
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    return candidate


def restated_request(rationale: str) -> str:
    """How the rationale's closing sentence names the item ('the request for Soma 350mg #30 is not
    medically necessary' -> 'Soma 350mg #30'), or ''."""
    for pattern in _RESTATED:
        found = list(pattern.finditer(rationale))
        item = _RESTATED_PREFIX.sub("", found[-1].group("item").strip()) if found else ""
        if item and not re.search(r"\b(?:request|service|medication)$", item, re.I):  # "As such, the request"
            return item
    return ""


def _generic(name: str, ruleset: RuleSet) -> str:
    found = ruleset.lexicon.resolve(name)
    return found.drug.generic if found else name.lower()


# --- writing ------------------------------------------------------------------------------------

def dump_imported_case(case: dict[str, Any]) -> str:
    """An imported case file: every list in block style, no line folded (a letter's long item lines
    stay whole)."""
    return dump_case(case, width=10_000, inline_short_lists=False)


def _write_if_loadable(case: dict[str, Any], target: Path, ruleset: RuleSet) -> InputError | None:
    """Load the case file's text as `mtus check` would load the file and, when it loads, write it to a
    temporary file beside target renamed to target; on a load error write nothing and return the error."""
    text = dump_imported_case(case)
    try:
        case_loader.case_from_text(text, ruleset, str(target))
    except InputError as exc:
        return exc
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".yaml.tmp", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, target)
        return None
    finally:
        if temp.exists():
            temp.unlink()


def _request_index(field_name: str) -> int | None:
    match = re.match(r"requests\[(\d+)\]", field_name)
    return int(match.group(1)) if match else None


def _file_stem(case_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", case_id).strip("._") or "case"


def _plain(value: Any) -> Any:
    """Parsed fields as YAML writes them: tuples (body parts, ingredients) become lists."""
    return [_plain(v) for v in value] if isinstance(value, (tuple, list)) else value
