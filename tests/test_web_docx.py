"""The draft as a Word document (`mtus draft --format docx`, the workbench's DOCX download), read
back with python-docx: the HTML draft's headings and text, its lists, quotes and tables, and the
same bytes every time."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import docx
import pytest

from checker.api import Checker
from checker.render.render import render
from checker.render.render_docx import html_to_docx

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


def _read(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def _html_headings(html: str) -> list[tuple[str, str]]:
    return [(f"Heading {level}", unescape(re.sub(r"<[^>]+>", "", body))) for level, body in re.findall(r"<h(\d)>(.*?)</h\d>", html, re.S)]


def _words(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("case", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_draft_has_the_html_drafts_headings_and_text(case: Path):
    html = render("draft", "html", {"report": Checker().check(case).report})
    document = _read(html_to_docx(html))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == _html_headings(html)
    body = unescape(re.sub(r"<[^>]+>", " ", html.split("<body>", 1)[1]))
    assert _words(" ".join(p.text for p in document.paragraphs)) == _words(body)
    assert document.core_properties.title == f"Draft determination: {Checker().load(case).case_id}"


def test_the_command_writes_the_same_bytes_every_time():
    run = [sys.executable, "-m", "checker.cli", "draft", str(REPO / "examples" / "seed-000.yaml"), "--format", "docx"]
    first, second = (subprocess.run(run, capture_output=True, check=True) for _ in range(2))
    assert first.stdout == second.stdout and first.stdout.startswith(b"PK")
    html = subprocess.run([*run[:-1], "html"], capture_output=True, check=True).stdout.decode("utf-8")
    assert first.stdout == html_to_docx(html), "the document is made from the HTML draft"


def test_lists_quotes_tables_and_runs_keep_their_shape():
    html = (
        "<html><head><title>T</title><style>p { color: red }</style></head><body>"
        "<h1>Title</h1><p>Plain <strong>bold</strong> and <em>italic</em><br>next line &amp; more</p>"
        "<blockquote><p>Quoted words</p></blockquote>"
        "<ul><li>one</li><li>two<ul><li>inner</li></ul></li></ul><ol><li>first</li></ol>"
        "<table><tr><th>Status</th><th>Criterion</th></tr><tr><td>met</td><td>Lowest dose</td></tr></table>"
        "<section>Loose text</section><pre>  kept  as is</pre></body></html>"
    )
    document = _read(html_to_docx(html))
    shape = [(p.style.name, p.text) for p in document.paragraphs]
    assert shape == [
        ("Heading 1", "Title"), ("Normal", "Plain bold and italic\nnext line & more"), ("Quote", "Quoted words"),
        ("List Bullet", "one"), ("List Bullet", "two"), ("List Bullet 2", "inner"), ("List Number", "first"),
        ("Normal", "Loose text"), ("Normal", "  kept  as is"),
    ]
    runs = {r.text: (r.bold, r.italic) for r in document.paragraphs[1].runs}
    assert runs["bold"] == (True, None) and runs["italic"] == (None, True)
    table = document.tables[0]
    assert [[c.text for c in row.cells] for row in table.rows] == [["Status", "Criterion"], ["met", "Lowest dose"]]
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold
    assert document.core_properties.title == "T" and "color" not in " ".join(p.text for p in document.paragraphs)
