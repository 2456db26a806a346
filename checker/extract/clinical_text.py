"""Reading a clinical text within bounds: a UTF-8 file or standard input, refused when binary,
empty, or over the limits."""

from __future__ import annotations

import sys
from pathlib import Path

from checker.base.errors import InputError
from checker.base.yamlio import read_bounded
from checker.extract.model import SOURCE

# Limits on a clinical text (a UR summary or an IMR letter's is a few thousand characters; a bundle
# of progress notes may run to tens of thousands): work grows with the text, linearly
# (benchmarks/extract_linear.py), so these bound the time and memory of one draft.
MAX_TEXT_BYTES = 1024 * 1024
MAX_TEXT_CHARS = 1_000_000
MAX_TEXT_LINES = 100_000


def read_clinical_text(path: Path) -> str:
    """A UTF-8 text file of clinical notes; '-' reads standard input (as bounded as a file)."""
    name = "standard input" if str(path) == "-" else str(path)
    size_fix = "give the summary or note, not a whole file set"
    if str(path) == "-":
        data = sys.stdin.buffer.read(MAX_TEXT_BYTES + 1)
        if len(data) > MAX_TEXT_BYTES:
            raise InputError(name, "", f"clinical text is over the {MAX_TEXT_BYTES}-byte limit", size_fix)
    else:
        data = read_bounded(Path(path), "clinical text", MAX_TEXT_BYTES, "name the text file of the notes", size_fix)
    if b"\x00" in data:
        raise InputError(name, "", "holds binary data", "extract the text first (e.g. pdftotext) and give the .txt")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(name, "", f"clinical text is not UTF-8 (byte {exc.start})", "save the file as UTF-8") from None
    if not text.strip():
        raise InputError(name, "", "clinical text is empty", "give a file with the clinical notes")
    require_text_within_limits(text, name)
    return text


def require_text_within_limits(text: str, name: str = SOURCE) -> None:
    """Refuse a clinical text over MAX_TEXT_CHARS characters or MAX_TEXT_LINES lines."""
    fix = "give the summary or the notes that bear on the request, not a whole file set"
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(name, "", f"clinical text of {len(text):,} characters, over the limit of {MAX_TEXT_CHARS:,}", fix)
    lines = text.count("\n") + 1
    if lines > MAX_TEXT_LINES:
        raise InputError(name, "", f"clinical text of {lines:,} lines, over the limit of {MAX_TEXT_LINES:,}", fix)
