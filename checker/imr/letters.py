"""Reading an IMR final determination letter: its text (PDF or extracted text), header, reviewer,
clinical case summary and disputed items, each with its decision, the reviewer's guideline line and
rationale. Layout only: what the citations mean is checker/load/citations.py's business."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from checker.base.errors import InputError
from checker.base.outcomes import MEDICALLY_NECESSARY, NOT_MEDICALLY_NECESSARY
from checker.base.yamlio import read_bounded
from checker.text import textdates

MAX_LETTER_BYTES = 20 * 1024 * 1024
# An IMR letter runs to a few pages (the longest read so far, about a dozen); reading a PDF's text
# takes time and memory in proportion to its pages, so their number is checked before any is read.
MAX_PDF_PAGES = 100
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The two decisions an IMR letter gives an item. Anything else where a decision stands is refused,
# never guessed: a part-decision ("Partially Overturned", "Modified") is not one decision on one item.
DECISIONS = {"upheld": NOT_MEDICALLY_NECESSARY, "overturned": MEDICALLY_NECESSARY}
_PART_DECISION = re.compile(r"\b(?:partial(?:ly)?|in part|modified|modify|split)\b", re.I)

SUMMARY_HEADING = "CLINICAL CASE SUMMARY"
ISSUES_HEADING = "IMR ISSUES, DECISIONS AND RATIONALES"
_SUMMARY_INTRO = re.compile(
    r"^The expert reviewer developed the following clinical case summary based on a review of the case file, including all medical records:\s*", re.I
)
_ISSUES_INTRO = re.compile(r"The Final Determination was based on decisions for the disputed items/services set forth below:\s*", re.I)
_CA_LABEL = "Claims Administrator guideline:"
_REVIEWER_LABEL = "MAXIMUS guideline:"
_RATIONALE_LABEL = "Decision rationale:"
# "<item>: Upheld" right before the guideline lines; "is:" closes a partly certified item.
_DECISION_MARK = re.compile(
    r"(?:\s+is)?\s*:\s*(Upheld|Overturned)\.?\s*(?=(?:Claims Administrator guideline:|MAXIMUS guideline:|Decision rationale:))", re.I
)
# The lines each item's block holds, in this order (the first may be missing); a block starts at a
# label that does not follow an earlier label of the same block.
_BLOCK_LABELS = re.compile(r"Claims Administrator guideline:|MAXIMUS guideline:|Decision rationale:")
_BLOCK_ORDER = {"Claims Administrator guideline:": 0, "MAXIMUS guideline:": 1, "Decision rationale:": 2}
# A decision as the letter states it, for counting: "<item>: Upheld", on the item's line or the next.
_STATED_DECISION = re.compile(r":\s*(?:Upheld|Overturned)\b", re.I)
_WORD_BEFORE_BLOCK = re.compile(r":\s*([^:]{1,60}?)\s*$")
# Lines a PDF repeats on every page, which may fall anywhere, even between an item and its
# guideline lines: "Page 2 of 4", "Page 2", "2 of 4", "- 2 -".
_PAGE_FURNITURE = re.compile(r"^\s*(?:page\s+\d+(?:\s*(?:of|/)\s*\d+)?|\d+\s+of\s+\d+|-\s*\d+\s*-)\s*$", re.I | re.M)
_LETTER_HEADINGS = ("HOW THE IMR FINAL DETERMINATION WAS MADE", SUMMARY_HEADING, ISSUES_HEADING)
_CASE_NUMBER = re.compile(r"Case Number:\s*(CM\s*\d{2}\s*-\s*\d{5,8})", re.I)
_SENTENCE_END = re.compile(r"[.!?][\"”')]*\s+")
# Reading a letter takes time in proportion to its text; the letters read so far have summaries of
# at most about 5,000 characters and item names of at most about 420, so these limits are generous.
MAX_SUMMARY_CHARS = 100_000
MAX_ITEM_CHARS = 2_000
_WORD_WINDOW = 80  # far longer than any abbreviation, and than the spaces and quotes after its stop
_ABBREVIATIONS = {"vs", "dr", "mr", "mrs", "ms", "no", "approx", "e.g", "i.e", "etc", "st", "inc"}
_PARTLY_CERTIFIED = [
    # "<original> was the original request. <certified> was authorized by the Claims Administrator.
    #  The remaining IMR eligible portion of the original request, <remaining>"
    re.compile(
        r"^(?P<original>.+?)\s+was the original request\.\s+(?P<certified>.+?)\s+(?:was|were) authorized by the Claims Administrator\.\s+"
        r"The remaining IMR eligible portion of the original request,?\s+(?P<text>.+)$",
        re.I,
    ),
    # "<original> was the original request. The Claims Administrator authorized <certified>, leaving the
    #  original request IMR eligible. The original request, <original>"
    re.compile(
        r"^(?P<original>.+?)\s+was the original request\.\s+The Claims Administrator authorized\s+(?P<certified>.+?),?\s+"
        r"leaving the original request IMR eligible\.\s+The original request,?\s+(?P<text>.+)$",
        re.I,
    ),
]
_PARTLY_CERTIFIED_TAIL = re.compile(r"^(?:the\s+)?(?:remaining IMR eligible portion of the\s+)?original request\b", re.I)

_LAST_TWO_DIGIT_YEAR = 2040
_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"], start=1
)}
_MONTH_NAMES = "|".join([*_MONTHS, "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"])
# Numeric dates tolerate the stray spaces a PDF line break leaves ("11-23- 2016", "10/ 30/2016").
NUMERIC_DATE = r"(?<![\d.])\d{1,2}\s*[/-]\s*\d{1,2}\s*[/-]\s*(?:\d{4}|\d{2})(?![\d/])"
WORDED_DATE = rf"\b(?:{_MONTH_NAMES})\.?\s+\d{{1,2}}\s*,?\s*\d{{4}}\b"
DATE = rf"(?:{NUMERIC_DATE}|{WORDED_DATE})"


@dataclass(frozen=True)
class LetterItem:
    header: str  # the item as the letter heads it, including a partial-certification preamble
    text: str  # the item decided (the remaining IMR-eligible portion when UR certified part)
    original_text: str  # the full original request when UR certified part of it, else ""
    certified: str  # what UR certified, else ""
    decision: str  # medically_necessary | not_medically_necessary
    claims_administrator_text: str
    reviewer_text: str  # the "MAXIMUS guideline:" line: the reviewer's citations
    rationale: str


@dataclass(frozen=True)
class Letter:
    path: str
    case_number: str
    dates: dict[str, dt.date]  # injury, ur_decision, assigned, decision, received (as the header states them)
    reviewer: dict[str, list[str]]
    summary: str
    items: tuple[LetterItem, ...]
    decisions_stated: int = 0  # the decisions the letter states (": Upheld", ": Overturned"), counted apart from the items read


def read_letter_text(path: Path) -> str:
    """The letter's text: a PDF (the DWC's are AES-encrypted with an empty user password) or a text file."""
    path = Path(path)
    data = read_bounded(path, "letter", MAX_LETTER_BYTES, "name the letter files (PDF or text) or a folder holding them", "give one IMR letter per file")
    return letter_text(data, str(path))


def letter_text(data: bytes, path: str) -> str:
    """The text of a letter's bytes already read (an upload): a PDF or UTF-8 text; `path` names it in errors."""
    if not data.strip():
        raise InputError(str(path), "", "the letter is empty", "give the letter as published by the DWC (PDF) or the text extracted from it")
    if data.startswith(b"%PDF"):
        text = _pdf_text(data, str(path))
        if not text.strip():
            raise InputError(str(path), "", "the PDF holds no text (a scanned image?)", "give the text of the letter, e.g. read by OCR")
        return _without_control_characters(text)
    if b"\x00" in data:
        raise InputError(str(path), "", "neither a PDF nor a text file", "give the letter as a PDF or as the text extracted from it")
    try:
        return _without_control_characters(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"byte {exc.start}", "text is not UTF-8", "save the extracted text as UTF-8") from None


def _without_control_characters(text: str) -> str:
    """A letter's text goes into case files and onto the terminal: control characters (a terminal
    escape, a stray form feed from the PDF) become spaces."""
    return _CONTROL.sub(" ", text)


def _pdf_text(data: bytes, path: str) -> str:
    import io
    import logging

    from pypdf import PdfReader

    # pypdf logs what it repairs ("EOF marker not found") through the logging module, which would
    # print it on stderr beside our one-line error; what it could not repair raises.
    logging.getLogger("pypdf").addHandler(logging.NullHandler())
    logging.getLogger("pypdf").propagate = False
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(
                path, "", "the PDF cannot be decrypted: it needs a user password",
                "give the letter as published by the DWC (empty user password), or the text extracted from it",
            )
        pages = len(reader.pages)
        if pages > MAX_PDF_PAGES:
            raise InputError(path, "", f"the PDF has {pages:,} pages, over the limit of {MAX_PDF_PAGES} for one letter", "give one IMR letter per file")
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except InputError:
        raise
    except ImportError as exc:  # pypdf needs the cryptography package for AES
        raise InputError(path, "", f"cannot decrypt the PDF ({exc})", "pip install cryptography") from None
    except RecursionError:
        raise InputError(path, "", "unreadable PDF (objects nested too deeply)", "give the text extracted from it") from None
    except Exception as exc:  # noqa: BLE001 - any failure of the PDF parser on a damaged file is an unreadable letter
        # (fuzzing a DWC-style PDF raised PdfReadError, LimitReachedError, NotImplementedError, AttributeError ...)
        problem = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(path, "", f"unreadable PDF ({problem})", "give the letter as published by the DWC, or the text extracted from it") from None


def flatten(text: str) -> str:
    """One line of text: lines joined by a space, words hyphenated across a line break joined back
    ('anti-' + 'inflammatory', '10-' + '30-2016', URLs), runs of spaces collapsed."""
    joined: list[str] = []
    for line in (ln.strip() for ln in text.splitlines()):
        if not line:
            continue
        if joined and joined[-1].endswith("-") and not joined[-1].endswith(" -"):
            joined[-1] += line
        else:
            joined.append(line)
    return re.sub(r"\s+", " ", " ".join(joined)).strip()


def parse_letter(text: str, path: str) -> Letter:
    """Split a letter into header, reviewer, clinical case summary and disputed items."""
    flat = flatten(_PAGE_FURNITURE.sub("", text))
    _refuse_second_letter(flat, path)
    summary_at = flat.find(SUMMARY_HEADING)
    issues_at = flat.find(ISSUES_HEADING)
    if issues_at < 0:
        raise InputError(path, ISSUES_HEADING, "section not found", "give the full text of an IMR final determination letter")
    if summary_at < 0 or summary_at > issues_at:
        raise InputError(path, SUMMARY_HEADING, "section not found before the decisions", "give the full text of an IMR final determination letter")
    summary = _SUMMARY_INTRO.sub("", flat[summary_at + len(SUMMARY_HEADING): issues_at].strip())
    if len(summary) > MAX_SUMMARY_CHARS:
        problem = f"the summary is {len(summary)} characters long, more than an IMR letter's ({MAX_SUMMARY_CHARS})"
        raise InputError(path, SUMMARY_HEADING, problem, "give one IMR letter per file, as the DWC publishes it")
    head = flat[:summary_at]
    issues = flat[issues_at + len(ISSUES_HEADING):]
    return Letter(
        path=path,
        case_number=_case_number(head),
        dates=_header_dates(head, path),
        reviewer=_reviewer(head),
        summary=summary,
        items=_items(issues, path),
        decisions_stated=len(_STATED_DECISION.findall(issues)),
    )


def _refuse_second_letter(flat: str, path: str) -> None:
    """One letter per file: two letters would become one case holding the other claimant's items."""
    for heading in _LETTER_HEADINGS:
        count = flat.count(heading)
        if count > 1:
            raise InputError(path, heading, f"the heading appears {count} times: the file holds more than one letter", "give one IMR letter per file")
    numbers = sorted({_normal_case_number(m.group(1)) for m in _CASE_NUMBER.finditer(flat)})
    if len(numbers) > 1:
        raise InputError(path, "Case Number", f"the file names {len(numbers)} case numbers ({', '.join(numbers[:3])})", "give one IMR letter per file")


def _case_number(head: str) -> str:
    found = _CASE_NUMBER.search(head)
    return _normal_case_number(found.group(1)) if found else ""


def _normal_case_number(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


_HEADER_DATES = {
    "assigned": r"Date Assigned:",
    "injury": r"Date of Injury:",
    "decision": r"Decision Date:",
    "ur_decision": r"UR Denial Date:",
    "received": r"Received:",
}


def _header_dates(head: str, path: str) -> dict[str, dt.date]:
    found: dict[str, dt.date] = {}
    for key, label in _HEADER_DATES.items():
        match = re.search(label + r"\s*(" + DATE + ")", head, re.I)
        if match:
            day = parse_date(match.group(1))
            if day is None:
                raise InputError(path, label.rstrip(":"), f"not a date: {match.group(1)!r}", "correct the date in the letter's header")
            found[key] = day
    return found


def parse_date(text: str) -> dt.date | None:
    """'11/20/13', '10-30-2016', '11-23- 2016', 'August 13, 2009' -> a date; None when impossible or
    without its day. Read by checker.text.textdates once the stray spaces a PDF line break leaves around
    '/', '-' and ',' are closed; a two-digit year is one of 1941-2040."""
    closed = re.sub(r"\s*,\s*", ", ", re.sub(r"\s*([/-])\s*", r"\1", text.strip()))
    found = textdates.parse_date(closed, _LAST_TWO_DIGIT_YEAR)
    return found[0] if found is not None and found[1] == "day" else None


def _reviewer(head: str) -> dict[str, list[str]]:
    """Credentials as a block ('State(s) of Licensure: ...') or as a sentence ('is Board Certified in ...')."""
    block = re.search(r"State\(s\) of Licensure:\s*(.+?)\s*Certification\(s\)/Specialty:\s*(.+?)\s*(?:\s(?:He/she|The|This)\s|$)", head, re.I)
    if block:
        return {"specialty": _listed(block.group(2)), "licensure": _listed(block.group(1))}
    sentence = re.search(
        r"reviewer is Board Certified in\s+(.+?)(?:,?\s+has a subspecialty in\s+(.+?))?,?\s+and is licensed to practice in\s+(.+?)\.", head, re.I
    )
    if sentence:
        specialty = _listed(sentence.group(1)) + (_listed(sentence.group(2)) if sentence.group(2) else [])
        return {"specialty": specialty, "licensure": _listed(sentence.group(3))}
    return {}


def _listed(text: str) -> list[str]:
    parts = re.split(r"\s*,\s*|\s+and\s+(?=[A-Z])", text.strip().rstrip("."))
    return [p.strip() for p in parts if p.strip()]


def _items(section: str, path: str) -> tuple[LetterItem, ...]:
    intro = _ISSUES_INTRO.search(section)
    body = section[intro.end():] if intro else section
    marks = list(_DECISION_MARK.finditer(body))
    if not marks:
        raise InputError(path, ISSUES_HEADING, "no disputed item with a decision (': Upheld' or ': Overturned') found", "give the full text of the letter")
    _require_a_decision_for_every_block(body, marks, path)
    # The text before decision mark k holds item k-1's guideline lines and rationale, then item k's
    # header; the text after the last mark holds the last item's guideline lines and rationale.
    starts = [0] + [m.end() for m in marks]
    before_marks = [body[starts[k]: marks[k].start()] for k in range(len(marks))]
    headers: list[str] = []
    bodies: list[str] = []
    for k, segment in enumerate(before_marks):
        label = segment.rfind(_RATIONALE_LABEL) if k else -1
        cut = label + len(_RATIONALE_LABEL) if label >= 0 else 0
        rationale_end, header = _split_header(segment[cut:])
        if not header:
            raise InputError(path, f"item {k + 1}", "the item's name before its decision is missing", "give the full text of the letter")
        if len(header) > MAX_ITEM_CHARS:
            problem = f"the item's name before its decision is {len(header)} characters long (at most {MAX_ITEM_CHARS})"
            raise InputError(path, f"item {k + 1}", problem, "give the full text of the letter, each item named as the DWC's letters name it")
        if k:
            bodies.append(segment[:cut] + " " + rationale_end)
        headers.append(header)
    bodies.append(body[marks[-1].end():])
    return tuple(
        _item(header, DECISIONS[mark.group(1).lower()], bodies[k], path, k)
        for k, (mark, header) in enumerate(zip(marks, headers, strict=True))
    )


def _require_a_decision_for_every_block(body: str, marks: list[re.Match[str]], path: str) -> None:
    """Every item's block of guideline lines follows a decision, and every decision starts a block:
    an item whose decision is not Upheld or Overturned, or is separated from its guideline lines by
    stray text, is refused, never dropped or merged into its neighbour."""
    starts = _block_starts(body)
    decided = {m.end() for m in marks}
    for k, start in enumerate(starts):
        if start not in decided:
            raise _undecided(body, start, k, path)
    stray = sorted(decided - set(starts))
    if stray:
        k = sum(s < stray[0] for s in starts)
        problem = "a decision stands inside the item's guideline lines"
        raise InputError(path, f"item {k + 1}", problem, "give the full text of the letter as the DWC published it")


def _block_starts(body: str) -> list[int]:
    starts: list[int] = []
    previous = None
    for label in _BLOCK_LABELS.finditer(body):
        order = _BLOCK_ORDER[label.group(0)]
        if previous is None or order <= previous:
            starts.append(label.start())
        previous = order
    return starts


def _undecided(body: str, start: int, k: int, path: str) -> InputError:
    found = _WORD_BEFORE_BLOCK.search(body[max(0, start - 200): start])
    if found is None:
        return InputError(path, f"item {k + 1}", "no decision (': Upheld' or ': Overturned') before the item's guideline lines",
                          "give the full text of the letter as the DWC published it")
    word = found.group(1)
    if _PART_DECISION.search(word):
        return InputError(path, f"item {k + 1}", f"the decision {word!r} is not one an IMR gives an item (Upheld or Overturned)",
                          "import the letter once it gives each part of the item its own Upheld or Overturned")
    return InputError(path, f"item {k + 1}", f"unknown decision {word!r} before the item's guideline lines (Upheld or Overturned expected)",
                      "correct the decision word, or remove the stray text between the item and its guideline lines")


def _split_header(text: str) -> tuple[str, str]:
    """(end of the previous rationale, this item's header): the header is the last sentence, or the
    last three for a partly certified item ('X was the original request. ...')."""
    start = _last_sentence_start(text, len(text))
    if _PARTLY_CERTIFIED_TAIL.match(text[start:].strip()):
        original = text.lower().rfind("was the original request", 0, start)
        if original >= 0:
            start = _last_sentence_start(text, original)
    header = text[start:]
    cut = header.lower().rfind("medically necessary")  # a rationale without a closing full stop
    if cut >= 0:
        header = header[cut + len("medically necessary"):].lstrip(" .;:,")
        start = len(text) - len(header)
    return text[:start].strip(), header.strip()


def _last_sentence_start(text: str, before: int) -> int:
    start = 0
    for match in _SENTENCE_END.finditer(text, 0, before):
        if match.end() >= before:
            break
        # The word before the stop, read from a short window: searching all the text before every
        # stop made a header of many sentences quadratic (20,000 characters took about a second).
        word = re.search(r"([A-Za-z.]+)[.!?][\"”')]*\s+$", text[max(0, match.end() - _WORD_WINDOW): match.end()])
        if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        start = match.end()
    return start


def _item(header: str, decision: str, tail: str, path: str, index: int) -> LetterItem:
    if _REVIEWER_LABEL not in tail:
        raise InputError(path, f"item {index + 1} ({header[:60]})", f"no '{_REVIEWER_LABEL}' line", "give the full text of the letter")
    ca_text, _, rest = tail.partition(_REVIEWER_LABEL)
    reviewer_text, _, rationale = rest.partition(_RATIONALE_LABEL)
    text, original, certified = _partly_certified(header)
    return LetterItem(
        header=header,
        text=text,
        original_text=original,
        certified=certified,
        decision=decision,
        claims_administrator_text=ca_text.replace(_CA_LABEL, "").strip(),
        reviewer_text=reviewer_text.strip(),
        rationale=rationale.strip(),
    )


def _partly_certified(header: str) -> tuple[str, str, str]:
    for pattern in _PARTLY_CERTIFIED:
        match = pattern.match(header)
        if match:
            return _clean_item(match.group("text")), _clean_item(match.group("original")), _clean_item(match.group("certified"))
    return _clean_item(header), "", ""


def _clean_item(text: str) -> str:
    return text.strip().rstrip(",;").strip()


def summary_sentences(summary: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", summary) if s.strip()]
