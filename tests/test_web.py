"""The reviewer's workbench (`mtus serve`) through Flask's test client: new check, the reviewer's
facts, the draft and the case file downloaded, opening case files and letters, the regression view,
and what keeps it safe (CSRF, Host check, headers, escaping, upload limits, no logging of case text,
nothing on disk). tests/test_web_browser.py drives the same page in headless Chromium."""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
import yaml

from benchmarks.web import NOTES
from checker.api import Checker
from checker.extract import REQUEST_LINE
from checker.load.case import case_from_mapping, case_mapping, load_case
from checker.web import create_app
from checker.web.app import host_name
from checker.web.highlight import mark_of
from checker.web.server import trusted_hosts

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

# The benchmark's typical case (synthetic notes): the Norco request documents everything but functional
# improvement, the indication for continuing, so it is not medically necessary until a reviewer adds it.
REQUEST = "Norco 10/325 mg one tab PO TID #90"
REQUEST_DATE = "2015-09-02"

# A synthetic IMR letter in the DWC's 2016-17 layout (header table, summary, one item).
LETTER = """Case Number: CM99-0000042
Date Assigned: 09/10/2015 Date of Injury: 03/14/2012
Decision Date: 09/30/2015 UR Denial Date: 09/05/2015
HOW THE IMR FINAL DETERMINATION WAS MADE
An independent reviewer looked at the file. The expert reviewer is Board Certified in Anesthesiology and is licensed to practice in California.
CLINICAL CASE SUMMARY
The expert reviewer developed the following clinical case summary based on a review of the case file, including all medical records:
The injured worker is a 47-year-old man who hurt his low back at work on 03/14/2012. Diagnoses include lumbar disc herniation.
A Request for Authorization dated 09/02/2015 asked for the item below. He has taken Norco since at least 01/05/2015.
He denies side effects. There is no documentation of functional improvement with Norco.
IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:
Norco 10/325 mg one tab PO TID #90: Upheld
Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment Guidelines.
MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment Guidelines, Opioids, ongoing management, Page(s): 78.
Decision rationale: The records do not show functional gains. The request is not medically necessary.
"""


class PageReader(HTMLParser):
    """What the tests read of a page: the workbench form's fields, controls and their labels,
    element ids, decisions, marks and notices."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self.ids: list[str] = []
        self.labels: set[str] = set()
        self.controls: list[tuple[str, dict[str, str]]] = []
        self.decisions: list[str] = []
        self.marks = 0
        self.scripts = 0
        self.text_parts: list[str] = []
        self._textarea: str | None = None
        self._decision = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append((tag, a))
        if tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a.get("value", "")
        if tag == "textarea":
            self._textarea = a.get("name", "")
            self.fields[self._textarea] = ""
        if tag == "p" and "decision" in a.get("class", "").split():
            self._decision = True
            self.decisions.append("")
        self.marks += tag == "mark"
        self.scripts += tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            value = self.fields[self._textarea]
            self.fields[self._textarea] = value[1:] if value.startswith("\n") else value  # as a browser reads it
            self._textarea = None
        if tag == "p":
            self._decision = False

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)
        if self._textarea is not None:
            self.fields[self._textarea] += data
        if self._decision:
            self.decisions[-1] += data

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())


def read(page: bytes) -> PageReader:
    reader = PageReader()
    reader.feed(page.decode("utf-8"))
    return reader


@pytest.fixture(scope="module")
def app():
    return create_app()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf(client) -> str:
    return read(client.get("/").data).fields["csrf_token"]


def start(client, text: str = NOTES, requests: str = REQUEST, date: str = REQUEST_DATE, case_id: str = "web-test"):
    return client.post("/check", data={"csrf_token": csrf(client), "text": text, "requests": requests, "request_date": date, "case_id": case_id})


def step(client, page, **changes):
    """Post the workbench form as the page holds it, with `changes` (an action and its fields)."""
    fields = {k: v for k, v in read(page.data).fields.items() if k in ("csrf_token", "case_yaml", "text", "draft_base", "draft")}
    return client.post("/work", data={**fields, **changes})


def download(client, page, kind: str, **changes):
    fields = {k: v for k, v in read(page.data).fields.items() if k in ("csrf_token", "case_yaml", "text", "draft_base", "draft")}
    return client.post(f"/download/{kind}", data={**fields, **changes})


def case_of(page) -> dict:
    return yaml.safe_load(read(page.data).fields["case_yaml"])


ADD_FUNCTION = {
    "action": "add", "add_fact": "functional_improvement", "add_where": "item-0", "add_value": "true",
    "add_reason": "walks 30 minutes with Norco, noted by the prescriber",
}


# ---- new check ----------------------------------------------------------------------------------

def test_new_check_shows_the_text_with_its_evidence_and_each_items_checklist(client):
    page = start(client)
    assert page.status_code == 200
    reader = read(page.data)
    assert reader.decisions == ["Not medically necessary"]
    assert reader.marks >= 8, "each drafted fact's sentence is marked in the text"
    text = reader.text
    assert "negated (cue “no”)" in text, "the spasm's negation is shown as such"
    assert "4 A's: activities of daily living" in text and "no documentation of objective functional improvement with this treatment" in text
    # the derived facts with their arithmetic
    assert "90 tablets / 3 tablets a day = 30 days" in text
    assert "2015-09-02 (request) − 2015-01-05 (documented since) = 34.3 weeks, at least" in text
    # every mark's anchor and every fact's row exist, and each label links a row
    assert {"ev-f1", "f1", "item-0", "draft"} <= set(reader.ids)


def test_evidence_of_each_fact_is_marked_at_its_span(client):
    page = start(client)
    case = case_of(page)
    html = page.data.decode("utf-8")
    for name, fact in case["facts"].items():
        span = fact["evidence"]["span"]
        if fact["source"] == REQUEST_LINE:  # its offsets index the request line, which the text does not hold
            assert mark_of("x", fact["evidence"], NOTES) is None, name
            continue
        sentence = NOTES[span[0]:span[1]]
        assert sentence == fact["evidence"]["sentence"], name
    cue = case["facts"]["aberrant_drug_behavior"]["evidence"]
    assert NOTES[cue["cue_span"][0]:cue["cue_span"][1]] == "no"
    assert '<mark><b>no</b></mark>' in html, "the deciding cue is marked inside its sentence"


def test_marks_stay_on_their_words_when_the_browser_sends_line_ends_back_as_crlf(client):
    notes = NOTES.replace(". ", ".\n")  # one sentence a line
    page = start(client, notes.replace("\n", "\r\n"))  # pasted from a Windows file
    fields = read(page.data).fields
    assert fields["text"] == notes
    again = step(client, page, action="refresh", text=fields["text"].replace("\n", "\r\n"))  # how a browser posts the form
    html = again.data.decode("utf-8")
    assert read(again.data).fields["text"] == notes and '<mark>There is </mark><mark><b>no</b></mark><mark> aberrant drug behavior.</mark>' in html


def test_a_conflict_shows_both_statements_and_the_reviewer_settles_it(client):
    notes = "Progress note of 05/01/2015. The patient is a 52-year-old woman. Norco improves her function. Norco gives her no functional improvement.\n"
    page = start(client, notes, "Norco 10/325 mg #90", "2015-05-20")
    text = read(page.data).text
    assert "Not documented until you choose: the text states conflicting values." in text
    assert "“Norco improves her function.”" in text and "“Norco gives her no functional improvement.”" in text
    settled = step(client, page, **{"action": "set.item-0.functional_improvement", "value.item-0.functional_improvement": "false",
                                   "reason.item-0.functional_improvement": "the later note is the current one"})
    fact = case_of(settled)["requests"][0]["facts"]["functional_improvement"]
    assert fact["value"] is False and fact["origin"] == "reviewer" and fact["reason"] == "the later note is the current one"
    assert "conflict" not in fact and fact["evidence"]["sentence"] == "Norco gives her no functional improvement."


def test_historical_and_hypothetical_mentions_are_shown_as_such(client):
    notes = "Progress note of 05/01/2015. The patient is a 52-year-old woman. She has a history of lumbar radiculopathy. A lumbar fusion is recommended.\n"
    text = read(start(client, notes, "MRI of the lumbar spine", "2015-05-20").data).text
    assert "Cue “radiculopathy”: historical (cue “history of”)" in text
    assert "Cue “fusion”: hypothetical (planned, recommended, conditional) (cue “is recommended”)" in text


def test_a_drug_the_lexicon_does_not_know_is_listed_as_left_out(client):
    notes = "Progress note of 05/01/2015. The patient is a 52-year-old woman. Current medications include Norco 10/325 mg and Zorbaflex 5 mg.\n"
    text = read(start(client, notes, "Norco 10/325 mg #90", "2015-05-20").data).text
    assert "Left out (not in the drug list, so not a medication of the case): Zorbaflex." in text


def test_new_check_refuses_missing_input_and_keeps_what_was_typed(client):
    token = csrf(client)
    for data, words in (
        ({"text": "", "requests": REQUEST, "request_date": REQUEST_DATE}, "Paste the clinical text or choose a PDF or text file."),
        ({"text": NOTES, "requests": " \n ", "request_date": REQUEST_DATE}, "Enter the requested items, one a line"),
        ({"text": NOTES, "requests": REQUEST, "request_date": "09/02/2015"}, "Enter the request date"),
        ({"text": NOTES, "requests": REQUEST, "request_date": "2099-01-01"}, "is in the future"),
        ({"text": NOTES, "requests": "Zorbaflex 10 mg #30", "request_date": REQUEST_DATE}, "no known drug"),
    ):
        page = client.post("/check", data={"csrf_token": token, "case_id": "", **data})
        assert page.status_code == 422, words
        reader = read(page.data)
        assert words in reader.text
        assert reader.fields["requests"] == data["requests"], "what the reviewer typed is kept"


# ---- the reviewer's facts -----------------------------------------------------------------------

def test_adding_a_fact_with_a_reason_changes_the_decision_at_once(client):
    page = start(client)
    added = step(client, page, **ADD_FUNCTION)
    assert read(added.data).decisions == ["Medically necessary"]
    fact = case_of(added)["requests"][0]["facts"]["functional_improvement"]
    assert fact == {"value": True, "origin": "reviewer", "reason": "walks 30 minutes with Norco, noted by the prescriber"}
    assert "Saved. The checklist and the draft follow the facts" in read(added.data).text


def test_correcting_a_fact_keeps_its_evidence_and_changes_the_decision(client):
    page = step(client, start(client), **ADD_FUNCTION)
    corrected = step(client, page, **{"action": "set.case.aberrant_drug_behavior", "value.case.aberrant_drug_behavior": "true",
                                     "reason.case.aberrant_drug_behavior": "CURES shows early refills from two pharmacies"})
    assert read(corrected.data).decisions == ["Not medically necessary"]
    fact = case_of(corrected)["facts"]["aberrant_drug_behavior"]
    assert (fact["value"], fact["origin"], fact["reason"]) == (True, "reviewer", "CURES shows early refills from two pharmacies")
    assert fact["evidence"]["sentence"] == "There is no aberrant drug behavior.", "the text's evidence stays with the corrected fact"


def test_confirming_a_fact_stores_the_reviewer_and_the_reason(client):
    page = start(client)
    confirmed = step(client, page, **{"action": "set.case.single_prescriber", "value.case.single_prescriber": "true",
                                     "reason.case.single_prescriber": "CURES report of 08/28 checked"})
    fact = case_of(confirmed)["facts"]["single_prescriber"]
    assert (fact["value"], fact["origin"], fact["reason"]) == (True, "reviewer", "CURES report of 08/28 checked")


def test_a_fact_without_a_reason_is_refused_and_nothing_changes(client):
    page = start(client)
    refused = step(client, page, **{"action": "set.case.aberrant_drug_behavior", "value.case.aberrant_drug_behavior": "true",
                                   "reason.case.aberrant_drug_behavior": "  "})
    reader = read(refused.data)
    assert "A reviewer's fact needs a reason: say why you set, confirmed or changed it." in reader.text
    assert reader.decisions == ["Not medically necessary"]
    assert case_of(refused) == case_of(page), "the case is unchanged"
    assert 'aria-invalid="true"' in refused.data.decode(), "the reason field is flagged"


def test_a_value_of_the_wrong_type_is_refused_with_the_librarys_message(client):
    page = start(client)
    refused = step(client, page, **{"action": "set.case.pain_score_with_medication", "value.case.pain_score_with_medication": "low",
                                   "reason.case.pain_score_with_medication": "re-read"})
    assert "pain_score_with_medication is declared" in read(refused.data).text
    assert case_of(refused) == case_of(page)


def test_removing_a_fact_reads_it_as_not_documented(client):
    page = start(client)
    removed = step(client, page, action="remove.item-0.functional_improvement")
    assert "functional_improvement" not in (case_of(removed)["requests"][0].get("facts") or {})
    assert "no documentation of" in read(removed.data).fields["draft"]


def test_adding_a_fact_already_listed_or_unknown_is_refused(client):
    page = start(client)
    twice = step(client, page, **{**ADD_FUNCTION, "add_fact": "single_prescriber", "add_where": "case"})
    assert "is already listed there" in read(twice.data).text
    unknown = step(client, page, **{**ADD_FUNCTION, "add_fact": "weeks_of_use"})  # derived: never set by hand
    assert "Choose a fact from the list." in read(unknown.data).text
    assert case_of(twice) == case_of(unknown) == case_of(page)


# ---- the draft and the case file ----------------------------------------------------------------

def test_downloads_are_what_the_command_line_makes_of_the_downloaded_case_file(client, tmp_path):
    page = step(client, start(client), **ADD_FUNCTION)
    case_file = tmp_path / "web-test.yaml"
    got = download(client, page, "case.yaml")
    assert got.headers["Content-Disposition"] == 'attachment; filename="web-test.yaml"'
    case_file.write_bytes(got.data)
    assert load_case(case_file, Checker().ruleset).requests[0].facts["functional_improvement"].origin == "reviewer"
    for kind, fmt in (("draft.md", "markdown"), ("draft.html", "html"), ("draft.docx", "docx")):
        cli = subprocess.run([sys.executable, "-m", "checker.cli", "draft", str(case_file), "--format", fmt], capture_output=True, check=True)
        assert download(client, page, kind).data == cli.stdout, kind
    markdown = download(client, page, "draft.md").data.decode("utf-8")
    assert "### 1. Norco 10/325 mg one tab PO TID #90: Medically necessary" in markdown


def test_an_edited_draft_is_downloaded_with_the_edits_in_every_format(client):
    page = start(client)
    draft = read(page.data).fields["draft"] + "\nThe reviewer adds: <script>alert(1)</script> records of 08/20/2015 were read in full.\n"
    md = download(client, page, "draft.md", draft=draft).data.decode("utf-8")
    assert md == draft
    html = download(client, page, "draft.html", draft=draft).data.decode("utf-8")
    assert "records of 08/20/2015 were read in full" in html
    assert "<script>" not in html and "&lt;script&gt;" in html, "raw HTML in the edits is shown, never run"
    assert "Content-Security-Policy" in html
    document = docx.Document(io.BytesIO(download(client, page, "draft.docx", draft=draft).data))
    assert any("<script>alert(1)</script> records of 08/20/2015 were read in full" in p.text for p in document.paragraphs)
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == ["Draft determination rationale"]


def test_edits_are_kept_when_the_facts_change_and_a_new_draft_replaces_them_on_request(client):
    page = start(client)
    edited = read(page.data).fields["draft"].replace("Draft determination rationale", "Draft determination rationale (edited)")
    changed = step(client, page, draft=edited, **ADD_FUNCTION)
    reader = read(changed.data)
    assert reader.fields["draft"] == edited
    assert "the facts have changed since" in reader.text
    renewed = step(client, changed, action="redraft")
    assert "(edited)" not in read(renewed.data).fields["draft"]
    assert "Medically necessary" in read(renewed.data).fields["draft"]


# ---- opening a case file or a letter ------------------------------------------------------------

def open_file(client, name: str, data: bytes, text_file: tuple[str, bytes] | None = None):
    files = {"csrf_token": csrf(client), "file": (io.BytesIO(data), name)}
    if text_file:
        files["text_file"] = (io.BytesIO(text_file[1]), text_file[0])
    return client.post("/open", data=files, content_type="multipart/form-data")


def test_opening_a_case_file_shows_its_checklist_and_the_letters_decisions(client):
    page = open_file(client, "seed-000.yaml", (EXAMPLES / "seed-000.yaml").read_bytes())
    assert page.status_code == 200
    reader = read(page.data)
    assert reader.decisions == ["Not medically necessary", "Not medically necessary"]
    assert reader.text.count("The letter decided: Not medically necessary (the checklist agrees)") == 2
    assert reader.fields["case_yaml"] and case_of(page)["case"] == "seed-000"


def test_a_case_file_saved_from_the_page_opens_with_its_clinical_text_marked(client):
    saved = download(client, start(client), "case.yaml").data
    page = open_file(client, "web-test.yaml", saved, ("notes.txt", NOTES.encode()))
    assert read(page.data).marks >= 8
    other = open_file(client, "web-test.yaml", saved, ("notes.txt", NOTES.replace("47", "48").encode()))
    reader = read(other.data)
    assert reader.marks == 0 and "is not the one these facts were drafted from" in reader.text


def test_a_case_file_without_facts_gets_them_from_the_text_given_with_it(client):
    bare = f"schema: mtus-case/1\ncase: bare\ndates: {{request: {REQUEST_DATE}}}\nrequests:\n  - {{id: norco, text: \"{REQUEST}\"}}\n"
    page = open_file(client, "bare.yaml", bare.encode(), ("notes.txt", NOTES.encode()))
    case = case_of(page)
    assert case["requests"][0]["id"] == "norco", "the case's own ids are kept"
    assert case["facts"]["single_prescriber"]["origin"] == "extracted"
    assert read(page.data).marks >= 8


def test_opening_a_letter_drafts_its_case_and_shows_the_letters_decision(client):
    page = open_file(client, "letter.txt", LETTER.encode())
    assert page.status_code == 200
    reader = read(page.data)
    case = case_of(page)
    assert case["case"] == "CM99-0000042" and case["expected"][0]["decision"] == "not_medically_necessary"
    assert "The letter decided: Not medically necessary (the checklist agrees)" in reader.text
    assert reader.marks >= 3, "the facts drafted from the summary are marked in it"
    assert "He has taken Norco since at least 01/05/2015." in reader.fields["text"]


def test_pdf_notes_and_a_pdf_letter_are_read(client):
    import textwrap

    from test_import import _pdf  # a minimal PDF, AES-encrypted with an empty user password like the DWC's

    notes = _pdf([textwrap.wrap(NOTES, 90)])
    page = client.post("/check", data={"csrf_token": csrf(client), "requests": REQUEST, "request_date": REQUEST_DATE,
                                       "file": (io.BytesIO(notes), "notes.pdf")}, content_type="multipart/form-data")
    assert page.status_code == 200
    reader = read(page.data)
    assert reader.decisions == ["Not medically necessary"] and reader.marks >= 8
    letter = open_file(client, "letter.pdf", _pdf([LETTER.splitlines()]))
    assert letter.status_code == 200 and case_of(letter)["case"] == "CM99-0000042"


def test_a_broken_case_file_or_letter_is_one_line_on_the_start_page(client):
    for name, data, words in (
        ("case.yaml", b"case: x\ndates: {request: 2015-01-01}\nrequests: []\n", "requests: no requested item"),
        ("case.yaml", b"a: [1\n", "malformed YAML"),
        ("case.yaml", b"\xff\xfe", "is not a UTF-8 text file"),
        ("letter.txt", b"Dear claimant, nothing here.", "section not found"),
        ("letter.pdf", b"not a pdf", "is named .pdf but is not a PDF"),
        ("letter.pdf", b"%PDF-1.4 broken", "unreadable PDF"),
        ("notes.exe", b"MZ", "is not a file the page reads here"),
    ):
        page = open_file(client, name, data)
        assert page.status_code == 422, name
        assert words in read(page.data).text, (name, read(page.data).text[:600])


# ---- regression view ----------------------------------------------------------------------------

def regress_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    for path in EXAMPLES.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    seed = folder / "seed-000.yaml"
    seed.write_text(seed.read_text(encoding="utf-8").replace("decision: not_medically_necessary", "decision: medically_necessary", 1), encoding="utf-8")
    return folder


def test_regression_view_shows_the_figures_and_links_each_disagreeing_item(client, tmp_path):
    folder = regress_folder(tmp_path)
    page = client.post("/regress", data={"csrf_token": csrf(client), "folder": str(folder), "divergences": ""})
    assert page.status_code == 200
    html = page.data.decode("utf-8")
    text = read(page.data).text
    assert "Decision agreement (ruled items)" in text and "1 item(s) disagree" in text
    links = re.findall(r'<a href="(/regress/item/[^"]+)">seed-000 / soma</a>', html)
    assert len(links) == 1, "the disagreeing item is linked in its topic's row"
    opened = client.get(links[0])
    assert opened.status_code == 200
    reader = read(opened.data)
    assert "Opened from the regression run at item soma" in reader.text and 'href="#item-0"' in opened.data.decode()
    assert "The letter decided: Medically necessary (the checklist differs)" in reader.text


def test_regression_links_cannot_be_forged(client, tmp_path):
    assert client.get("/regress/item/WyIvZXRjL3Bhc3N3ZCIsICJ4Il0").status_code == 404


def test_regression_of_a_missing_folder_is_one_line(client, tmp_path):
    page = client.post("/regress", data={"csrf_token": csrf(client), "folder": str(tmp_path / "nowhere")})
    assert page.status_code == 422 and "no such file or directory" in read(page.data).text


# ---- safe by default ----------------------------------------------------------------------------

def test_every_form_needs_its_csrf_token(client):
    for path, data in (("/check", {"text": NOTES, "requests": REQUEST, "request_date": REQUEST_DATE}), ("/work", {"case_yaml": "case: x"}),
                       ("/regress", {"folder": "/"}), ("/download/case.yaml", {"case_yaml": "case: x"})):
        page = client.post(path, data=data)
        assert page.status_code == 400, path
        assert "The form had expired" in read(page.data).text


def test_only_the_host_names_served_are_answered(app, client):
    assert client.get("/", headers={"Host": "127.0.0.1:8080"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost"}).status_code == 200
    refused = client.get("/", headers={"Host": "attacker.example"})  # a page elsewhere, through DNS rebinding
    assert refused.status_code == 400 and "answers only to the address" in refused.data.decode()
    assert client.get("/", headers={"Host": "[::1]:8080"}).status_code == 200
    assert client.post("/check", headers={"Host": "attacker.example"}).status_code == 400, "refused before the CSRF check answers"
    assert trusted_hosts("0.0.0.0") is None and "192.168.1.5" in trusted_hosts("192.168.1.5")
    assert [host_name(h) for h in ("127.0.0.1:80", "[::1]:8080", "[::1]", "LocalHost", "a:b:c")] == ["127.0.0.1", "::1", "::1", "localhost", "a:b:c"]


def test_headers_forbid_scripts_framing_and_caching(client):
    for page in (client.get("/"), start(client)):
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
        assert page.headers["Cache-Control"] == "no-store" and page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["X-Content-Type-Options"] == "nosniff" and read(page.data).scripts == 0
    style = client.get("/static/style.css")
    assert style.status_code == 200 and style.mimetype == "text/css" and style.headers["Cache-Control"] == "no-store"


def test_case_text_is_escaped_everywhere(client):
    hostile = NOTES + 'He wrote <script>alert("x")</script> and <img src=x onerror=alert(1)> on the form.\n'
    page = start(client, hostile, REQUEST, REQUEST_DATE, '<b onmouseover="x">case</b>')
    html = page.data.decode("utf-8")
    assert "<script>" not in html and "<img src=x" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;" in html and read(page.data).fields["text"] == hostile


def test_uploads_are_limited_in_size_and_type(client, monkeypatch):
    import checker.web.app as web_app

    monkeypatch.setattr(web_app, "MAX_UPLOAD_BYTES", 1000)
    page = client.post("/check", data={"csrf_token": csrf(client), "requests": REQUEST, "request_date": REQUEST_DATE,
                                       "file": (io.BytesIO(b"x" * 2000), "notes.txt")}, content_type="multipart/form-data")
    assert page.status_code == 422 and "larger than" in read(page.data).text
    page = client.post("/check", data={"csrf_token": csrf(client), "requests": REQUEST, "request_date": REQUEST_DATE,
                                       "file": (io.BytesIO(b"x"), "notes.docx")}, content_type="multipart/form-data")
    assert page.status_code == 422 and "choose a .pdf, .txt file" in read(page.data).text


def test_a_request_over_the_size_limit_is_refused_before_it_is_read(app, client):
    page = client.post("/check", data={"csrf_token": csrf(client), "text": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert page.status_code == 413 and "the upload limit" in read(page.data).text


def test_nothing_with_case_text_is_logged_and_nothing_is_written_to_disk(client, caplog, monkeypatch, tmp_path):
    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    sentinel = "Zyxwvut-sentinel-words"
    notes = NOTES + f"He said {sentinel}. " + "Filler words for a long note. " * 18000  # about 540 kB: over Werkzeug's 500 kB spooling
    with caplog.at_level(logging.DEBUG):
        page = client.post("/check", data={"csrf_token": csrf(client), "requests": REQUEST, "request_date": REQUEST_DATE,
                                           "file": (io.BytesIO(notes.encode()), "notes.txt")}, content_type="multipart/form-data")
        assert page.status_code == 200
        step(client, page, **{**ADD_FUNCTION, "add_reason": sentinel})
        step(client, page, **{"action": "set.case.single_prescriber", "value.case.single_prescriber": sentinel, "reason.case.single_prescriber": sentinel})
        client.post("/work", data={"csrf_token": csrf(client), "case_yaml": f"case: {sentinel}"})  # no longer a case: refused
        for kind in ("case.yaml", "draft.md", "draft.html", "draft.docx"):
            assert download(client, page, kind, draft=f"# {sentinel}\n").status_code == 200
        open_file(client, "letter.txt", LETTER.replace("lumbar disc herniation", sentinel).encode())
        open_file(client, "case.yaml", f"case: {sentinel}\n".encode())  # refused: no dates, no requests
    assert sentinel not in caplog.text
    assert list(spool.iterdir()) == [], "no upload or case text was spooled to a temporary file"


def test_an_internal_error_logs_its_class_only(app, client, caplog, monkeypatch):
    from checker.web.workbench import Workbench

    def fail(*args, **kwargs):
        raise ValueError("Zyxwvut case words")

    monkeypatch.setattr(Workbench, "new_case", fail)
    with caplog.at_level(logging.DEBUG):
        page = start(client)
    assert page.status_code == 500 and "Something went wrong" in read(page.data).text
    assert "ValueError" in caplog.text and "Zyxwvut" not in caplog.text


# ---- keyboard and labels ------------------------------------------------------------------------

def test_every_control_has_a_label(client, tmp_path):
    pages = [client.get("/"), start(client), open_file(client, "letter.txt", LETTER.encode())]
    for page in pages:
        reader = read(page.data)
        unlabelled = [(tag, a.get("name")) for tag, a in reader.controls if a.get("id") not in reader.labels]
        assert not unlabelled, unlabelled
        assert len(reader.ids) == len(set(reader.ids)), "ids are unique (labels and anchors find one element)"
        assert 'class="skip" href="#main"' in page.data.decode()


# ---- mtus serve --------------------------------------------------------------------------------

def test_serve_prints_its_loopback_address_and_serves_there():
    import selectors
    import urllib.request

    process = subprocess.Popen([sys.executable, "-m", "checker.cli", "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            assert selector.select(60), "mtus serve printed nothing"
        line = process.stdout.readline()
        address = re.fullmatch(r"mtus serve: the reviewer's workbench is at (http://127\.0\.0\.1:\d+/)\n", line)
        assert address, line
        with urllib.request.urlopen(address.group(1), timeout=30) as response:
            assert response.status == 200 and "Check a request against the MTUS" in response.read().decode("utf-8")
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_on_a_port_in_use_is_one_line():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "checker.cli", "serve", "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("mtus: error: command line: --port: cannot listen on 127.0.0.1:") and result.stderr.count("\n") == 1


# ---- the library underneath ---------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_case_from_mapping_is_load_case_without_the_file(name):
    ruleset = Checker().ruleset
    path = EXAMPLES / name
    text = path.read_text(encoding="utf-8")
    import hashlib

    from_file = load_case(path, ruleset)
    from_mapping = case_from_mapping(case_mapping(text, str(path)), ruleset, str(path), hashlib.sha256(path.read_bytes()).hexdigest())
    assert from_file == from_mapping
    assert from_file.input_hash == hashlib.sha256(path.read_bytes()).hexdigest()
