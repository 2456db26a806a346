"""The draft as a Word document (`mtus draft --format docx`, the web page's DOCX download).

The DOCX is made from the HTML draft, so it has the same content and headings and all its wording
stays in the templates: headings, paragraphs, lists, block quotes and tables become their Word
counterparts, bold and italic runs stay bold and italic. The bytes are the same for the same HTML
(fixed document properties and zip entry dates), as every other output's are.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = ("p", "li", "blockquote", "pre", "td", "th", *_HEADINGS)
_SKIPPED = ("head", "style", "script", "template")
_BOLD = ("strong", "b", "th")
_ITALIC = ("em", "i", "cite")
_MONOSPACE = ("code", "pre", "kbd", "samp")
# A fixed date for the document's properties: Word shows it, and a date of the run would change the bytes.
_FIXED_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_SPACES = re.compile(r"\s+")


@dataclass
class _Run:
    text: str
    bold: bool = False
    italic: bool = False
    monospace: bool = False
    line_break: bool = False


@dataclass
class _Block:
    kind: str  # heading | paragraph | bullet | number | quote | pre
    level: int = 0
    runs: list[_Run] = field(default_factory=list)


@dataclass
class _Table:
    rows: list[list[_Block]] = field(default_factory=list)


class _DraftReader(HTMLParser):
    """HTML -> blocks of runs: the subset the draft templates write (and plain Markdown renders)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.parts: list[_Block | _Table] = []
        self._open: list[str] = []
        self._block: _Block | None = None
        self._lists: list[str] = []
        self._quote = 0
        self._table: _Table | None = None
        self._in_title = False
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag in ("ul", "ol"):
            self._close_block()
            self._lists.append(tag)
        elif tag == "blockquote":
            self._close_block()
            self._quote += 1
        elif tag == "table":
            self._close_block()
            self._table = _Table()
            self.parts.append(self._table)
        elif tag == "tr" and self._table is not None:
            self._table.rows.append([])
        elif tag == "br":
            self._current().runs.append(_Run("", line_break=True))
            return
        elif tag in _BLOCKS:
            self._close_block()
            self._block = self._new_block(tag)
            if tag in ("td", "th") and self._table is not None and self._table.rows:
                self._table.rows[-1].append(self._block)
            elif tag not in ("td", "th"):
                self.parts.append(self._block)
        if tag not in ("br", "hr", "meta", "link", "img", "input"):
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in ("ul", "ol") and self._lists:
            self._close_block()
            self._lists.pop()
        elif tag == "blockquote":
            self._close_block()
            self._quote = max(0, self._quote - 1)
        elif tag == "table":
            self._close_block()
            self._table = None
        elif tag in _BLOCKS:
            self._close_block()
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag)]

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._skip:
            return
        monospace = any(t in _MONOSPACE for t in self._open)
        text = data if monospace else _SPACES.sub(" ", data)
        if not text or (text == " " and self._block is None):
            return
        block = self._current()
        if not monospace and text.startswith(" ") and block.runs and block.runs[-1].text.endswith(" "):
            text = text[1:]
        if text:
            block.runs.append(_Run(text, any(t in _BOLD for t in self._open), any(t in _ITALIC for t in self._open), monospace))

    def _new_block(self, tag: str) -> _Block:
        if tag in _HEADINGS:
            return _Block("heading", _HEADINGS[tag])
        if tag == "li":
            return _Block("number" if self._lists and self._lists[-1] == "ol" else "bullet", len(self._lists))
        if tag == "pre":
            return _Block("pre")
        return _Block("quote" if self._quote else "paragraph")

    def _current(self) -> _Block:
        """The open block, or a new paragraph for text standing outside one (inside a <section>)."""
        if self._block is None:
            self._block = _Block("quote" if self._quote else "paragraph")
            self.parts.append(self._block)
        return self._block

    def _close_block(self) -> None:
        self._block = None


def html_to_docx(html: str) -> bytes:
    """A Word document with the HTML's headings, paragraphs, lists, quotes and tables."""
    import docx

    reader = _DraftReader()
    reader.feed(html)
    reader.close()
    document = docx.Document()
    for part in reader.parts:
        if isinstance(part, _Table):
            _add_table(document, part)
        elif any(run.text.strip() or run.line_break for run in part.runs):
            _add_block(document, part)
    _fix_properties(document, " ".join(reader.title.split()))
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _add_block(document: Any, block: _Block) -> None:
    if block.kind == "heading":
        paragraph = document.add_heading(level=min(block.level, 9))
    else:
        paragraph = document.add_paragraph(style=_style(block))
    _add_runs(paragraph, block.runs)


def _style(block: _Block) -> str | None:
    depth = "" if block.level <= 1 else f" {min(block.level, 3)}"
    return {"bullet": f"List Bullet{depth}", "number": f"List Number{depth}", "quote": "Quote"}.get(block.kind)


def _add_runs(paragraph: Any, runs: list[_Run]) -> None:
    runs = _trimmed(runs)
    for run in runs:
        if run.line_break:
            paragraph.add_run().add_break()
            continue
        added = paragraph.add_run(run.text)
        added.bold = run.bold or None
        added.italic = run.italic or None
        if run.monospace:
            added.font.name = "Courier New"


def _trimmed(runs: list[_Run]) -> list[_Run]:
    """No space at the start or end of a paragraph, nor around a line break (HTML does not show them)."""
    runs = [_Run(r.text, r.bold, r.italic, r.monospace, r.line_break) for r in runs]
    for i, run in enumerate(runs):
        if run.monospace or run.line_break:
            continue
        if i == 0 or runs[i - 1].line_break:
            run.text = run.text.lstrip()
        if i == len(runs) - 1 or runs[i + 1].line_break:
            run.text = run.text.rstrip()
    return [r for r in runs if r.text or r.line_break]


def _add_table(document: Any, table: _Table) -> None:
    rows = [row for row in table.rows if row]
    if not rows:
        return
    columns = max(len(row) for row in rows)
    added = document.add_table(rows=len(rows), cols=columns)
    added.style = "Table Grid"
    for cells, row in zip(added.rows, rows, strict=True):
        for cell, block in zip(cells.cells, row, strict=False):
            _add_runs(cell.paragraphs[0], block.runs)


def _fix_properties(document: Any, title: str) -> None:
    props = document.core_properties
    props.title = title
    props.author = "mtus-checker"
    props.last_modified_by = "mtus-checker"
    props.comments = ""
    props.revision = 1
    props.created = _FIXED_TIME.replace(tzinfo=None)
    props.modified = _FIXED_TIME.replace(tzinfo=None)
    props.last_printed = _FIXED_TIME.replace(tzinfo=None)


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with every entry dated alike (python-docx dates them with the time of saving)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()
