"""`mtus draft --kind information-request`: what utilization review sends the requesting physician
before deciding (8 CCR 9792.9.1): per item, the documentation that would decide it under the
guideline in force, in plain language, citing the section, with the date it is needed by left blank.
In text, Markdown, HTML and DOCX (made from the HTML, read back here)."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

import docx
import pytest
import yaml
from click.testing import CliRunner

from checker.api import Checker
from checker.cli import main
from checker.render.render import render
from checker.render.render_docx import html_to_docx

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
BLANK = "____________________"


def _case(tmp_path: Path, body: dict, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"schema": "mtus-case/1", "case": "rfi", "source": "synthetic", **body}, sort_keys=False))
    return path


def _request(path: Path, fmt: str = "text") -> str:
    result = CliRunner().invoke(main, ["draft", str(path), "--kind", "information-request", "--format", fmt])
    assert result.exit_code == 0, result.output
    return result.output


def _section(text: str, number: int) -> str:
    """One item's part of a text request."""
    start = text.index(f"\n{number}. ")
    end = text.find(f"\n{number + 1}. ", start + 1)
    return text[start: end if end > 0 else text.index("Please send the documentation by", start)]


SHOULDER = {
    "dates": {"injury": "2016-09-01", "request": "2016-11-20"},
    "diagnoses": ["right shoulder strain"],
    "requests": [{"id": "mri", "text": "MRI of the right shoulder"}],
}


def test_an_undocumented_indication_is_asked_for_with_its_section_and_the_date_left_blank(tmp_path: Path):
    text = _request(_case(tmp_path, SHOULDER))
    assert text.startswith("REQUEST FOR INFORMATION")
    assert "8 CCR 9792.9.1" in text and text.count(BLANK) == 2 and "(date)" in text
    item = _section(text, 1)
    # the ways of meeting the shoulder chapter's indications that need the fewest undocumented findings
    assert "any one of the following" in item
    assert "(1) red flags for serious pathology (MTUS Shoulder Complaints 2004, Special Studies)" in item
    assert "failure to progress in a strengthening program" in item
    assert "imaging_shoulder." not in text and "_" not in item.replace(BLANK, "")  # plain language: no ids or fact names


def test_each_way_lists_everything_it_needs_and_a_fact_once(tmp_path: Path):
    """Conservative care failed plus neurological findings is one way of meeting the neck chapter:
    with the findings documented, the way needs only the failed care."""
    body = {**SHOULDER, "facts": {"neurologic_deficit": True}, "requests": [{"id": "mri", "text": "MRI of the cervical spine"}]}
    item = Checker(registration="on_demand").check(_case(tmp_path, body)).report["items"][0]
    (unit,) = item["information"]["options"]
    ways = [[e["id"] for e in way] for way in unit["ways"]]
    assert ["imaging_neck.conservative_care_failed"] in ways and ["imaging_neck.red_flag"] in ways
    assert all(len(way) == 1 for way in ways)


def test_a_limit_the_records_show_exceeded_is_said_and_nothing_is_asked(tmp_path: Path):
    text = _request(REPO / "examples" / "seed-000.yaml")
    soma = _section(text, 1)
    assert "no further documentation would change the decision" in soma
    assert "the records show use of the requested drug for at least 12 weeks before the request, beyond the limit of 3 weeks" in soma
    assert "Please send documentation of" not in soma
    oxycodone = _section(text, 2)
    assert "Please send documentation of:" in oxycodone and "objective functional improvement" in oxycodone
    assert oxycodone.count("objective functional improvement") == 1


def test_an_exception_that_would_lift_an_exceeded_limit_is_asked_for(tmp_path: Path):
    body = {"dates": {"injury": "2016-10-01", "request": "2016-12-08"}, "diagnoses": ["lumbar strain"],
            "facts": {"objective_functional_deficits": True, "therapy_visits_completed": 12, "functional_improvement": True,
                      "active_rehabilitation": True},
            "requests": [{"id": "pt", "text": "Physical therapy 2 times a week for 4 weeks"}]}
    item = _section(_request(_case(tmp_path, body)), 1)
    assert "the limit does not apply if the records show the following" in item
    assert "scientific evidence that this claimant reasonably requires a variance from the guideline" in item


def test_an_approved_item_needs_nothing_and_an_undetermined_one_asks_for_what_picks_the_guideline(tmp_path: Path):
    approved = {"dates": {"injury": "2016-09-01", "request": "2016-11-20"}, "facts": {"red_flags": True, "prior_imaging": False},
                "requests": [{"id": "mri", "text": "MRI of the right shoulder"}, {"id": "esi", "text": "Epidural steroid injection"}]}
    report = Checker(registration="on_demand").check(_case(tmp_path, approved)).report
    assert report["items"][0]["decision"] == "medically_necessary"
    text = render("information-request", "text", {"report": report})
    assert "No further information is needed to decide this request." in _section(text, 1)
    assert report["items"][1]["no_rule_reason"] == "edition_undetermined"
    assert "Please state:" in _section(text, 2) and "body part of the request" in _section(text, 2)


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_every_format_says_the_same_things_and_is_the_same_every_time(fmt: str):
    case = REPO / "examples" / "seed-000.yaml"
    first, second = _request(case, fmt), _request(case, fmt)
    assert first == second
    plain = unescape(re.sub(r"<[^>]+>|\*\*|^#+ |^> ", "", first, flags=re.M))
    for phrase in ("8 CCR 9792.9.1", BLANK, "Please send documentation of", "Opioids, long-term assessment"):
        assert phrase in plain, (fmt, phrase)
    if fmt == "markdown":
        assert first.startswith("# Request for information") and first.count("\n### ") == 2


@pytest.mark.parametrize("case", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_docx_has_the_html_requests_headings_and_text(case: Path):
    html = render("information-request", "html", {"report": Checker(registration="on_demand").check(case).report})
    document = docx.Document(io.BytesIO(html_to_docx(html)))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [(f"Heading {level}", unescape(re.sub(r"<[^>]+>", "", body))) for level, body in re.findall(r"<h(\d)>(.*?)</h\d>", html, re.S)]
    body = unescape(re.sub(r"<[^>]+>", " ", html.split("<body>", 1)[1]))
    assert "".join(" ".join(p.text for p in document.paragraphs).split()) == "".join(body.split())
    assert document.core_properties.title.startswith("Request for information: ")


def test_the_docx_command_writes_the_document_made_from_the_html(tmp_path: Path):
    case = REPO / "examples" / "seed-000.yaml"
    result = CliRunner().invoke(main, ["draft", str(case), "--kind", "information-request", "--format", "docx"])
    assert result.exit_code == 0 and result.stdout_bytes.startswith(b"PK")
    assert result.stdout_bytes == html_to_docx(_request(case, "html"))


def test_case_text_is_escaped_in_html_and_markdown(tmp_path: Path):
    body = {**SHOULDER, "title": "<script>alert(1)</script>", "requests": [{"id": "mri", "text": "MRI <b>shoulder</b>"}]}
    path = _case(tmp_path, body)
    for fmt in ("html", "markdown"):
        out = _request(path, fmt)
        assert "<script>" not in out and "<b>" not in out and "&lt;script&gt;" in out


def test_an_unknown_kind_is_refused():
    result = CliRunner().invoke(main, ["draft", str(REPO / "examples" / "seed-000.yaml"), "--kind", "letter"])
    assert result.exit_code == 2
