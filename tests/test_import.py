"""`mtus import`: IMR letters to case files.

Against the real letters in ../shared (skipped when absent): the importer's output equals a key
verified by hand for 35 letters (tests/import_key), every letter of the seeds and the dev corpus
imports with every disputed item, and neither the decisions nor the rationales reach the facts or
`mtus check`. Against synthetic letters written here: each layout the importer handles, PDF input,
bad letters, determinism, and the case-file keys the importer adds."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from checker.base.errors import InputError
from checker.cli import main
from checker.imr.importer import Importer
from checker.imr.letters import flatten, parse_letter, read_letter_text
from checker.load.ruleset import default_rules_dir, load_ruleset
from tests.cli_runner import run

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
DEV = SHARED / "imr-corpus" / "dev"
KEY = Path(__file__).resolve().parent / "import_key"
KEY_FILES = sorted(KEY.glob("*.yaml"))
CASE_SCHEMA = Draft202012Validator(json.loads((REPO / "checker" / "schemas" / "case.schema.json").read_text()))

needs_letters = pytest.mark.skipif(not (SEEDS.is_dir() and DEV.is_dir()), reason="../shared/seeds or ../shared/imr-corpus/dev is not present")



@pytest.fixture(scope="module")
def importer() -> Importer:
    return Importer(load_ruleset(default_rules_dir()))


def all_letters() -> list[Path]:
    return sorted(SEEDS.glob("*.txt")) + sorted(DEV.glob("*.txt"))


def decisions_in(letter: Path) -> list[str]:
    """The letter's own count: every 'Upheld'/'Overturned' after its decisions heading."""
    text = letter.read_text(encoding="utf-8")
    section = text[text.index("IMR ISSUES, DECISIONS AND RATIONALES"):]
    return re.findall(r"\b(Upheld|Overturned)\b", section)


# --- the hand-verified key ----------------------------------------------------------------------

def test_key_holds_at_least_30_letters_with_every_seed():
    names = {p.stem for p in KEY_FILES}
    assert len(names) >= 30
    assert sum(n.startswith("CM") for n in names) >= 25
    assert sum(not n.startswith("CM") for n in names) == 5  # the five seed letters


@needs_letters
@pytest.mark.parametrize("key_file", KEY_FILES, ids=[p.stem for p in KEY_FILES])
def test_import_matches_the_hand_verified_key(key_file: Path, importer: Importer):
    key = yaml.safe_load(key_file.read_text(encoding="utf-8"))
    case = importer.draft(SHARED / key["letter"]).content
    assert case["case"] == key["case"]
    assert case["dates"] == key["dates"]
    assert case["claimant"] == key["claimant"]
    assert case.get("reviewer", {}) == key["reviewer"]
    expected = {e["item"]: e for e in case["expected"]}
    texts = {r["id"]: r["text"] for r in case["requests"]}
    found = []
    for request in case["requests"]:
        entry = expected[request["id"]]
        item = {"text": request["text"], "decision": entry["decision"]}
        item.update({k: request[k] for k in ("original_text", "certified") if k in request})
        if "associated_with" in request:
            item["associated_with"] = texts[request["associated_with"]]
        item.update({k: entry[k] for k in ("citations", "non_mtus", "no_citation") if k in entry})
        found.append(item)
    assert found == key["items"]


# --- the whole corpus ---------------------------------------------------------------------------

@needs_letters
def test_every_letter_imports_with_every_disputed_item(tmp_path: Path):
    result = run("import", SEEDS, DEV, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    letters = all_letters()
    assert len(letters) == 83
    written = sorted(tmp_path.glob("*.yaml"))
    assert len(written) == len(letters)
    assert not [p for p in tmp_path.iterdir() if p.suffix != ".yaml"]  # no temporary file left
    by_source = {yaml.safe_load(p.read_text(encoding="utf-8"))["source"]: p for p in written}
    for letter in letters:
        case = yaml.safe_load(by_source[letter.name].read_text(encoding="utf-8"))
        decisions = decisions_in(letter)
        assert len(case["requests"]) == len(case["expected"]) == len(decisions), letter.name
        wanted = ["not_medically_necessary" if d == "Upheld" else "medically_necessary" for d in decisions]
        assert [e["decision"] for e in case["expected"]] == wanted, letter.name
        assert all(e.get("citations") or e.get("no_citation") for e in case["expected"]), letter.name
        assert list(CASE_SCHEMA.iter_errors(json.loads(json.dumps(case, default=str)))) == [], letter.name
    regress = run("regress", tmp_path, "--format", "json")
    assert regress.exit_code in (0, 1), regress.output  # runs: every imported case loads
    summary = json.loads(regress.output)
    assert summary["errors"] == [] and summary["cases"] == 83
    assert summary["items"] == sum(len(decisions_in(p)) for p in letters)


@needs_letters
def test_import_is_deterministic(tmp_path: Path):
    letters = [DEV / "CM16-0238035.txt", SEEDS / "003_d5a862758c58cc3d.txt"]
    assert run("import", *letters, "--out", tmp_path / "a").exit_code == 0
    assert run("import", *letters, "--out", tmp_path / "b").exit_code == 0
    for first in sorted((tmp_path / "a").glob("*.yaml")):
        assert first.read_bytes() == (tmp_path / "b" / first.name).read_bytes()


# --- decisions and rationales never feed the facts or the check ------------------------------------

INDEPENDENCE_LETTERS = ["000_79c63337c1751a54", "001_54b8f692fb4011a5", "002_1bbc6da227c0190d", "003_d5a862758c58cc3d",
                        "004_f03b8f82d3723e56", "CM16-0237163", "CM17-0013077", "CM17-0015790", "CM17-0010420", "CM16-0238035"]


def _letter(name: str) -> Path:
    return (SEEDS if not name.startswith("CM") else DEV) / f"{name}.txt"


def _flipped(text: str) -> str:
    return re.sub(r"\b(Upheld|Overturned)\b", lambda m: "Overturned" if m.group(1) == "Upheld" else "Upheld", text)


def _without_rationales(path: Path) -> str:
    letter = parse_letter(read_letter_text(path), str(path))
    original = text = flatten(read_letter_text(path))
    for item in letter.items:
        assert item.rationale and item.rationale in original
        text = text.replace(item.rationale, "")  # every copy: some letters repeat one rationale
    return text


def _drafted(case_file: Path) -> dict:
    case = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    return {k: v for k, v in case.items() if k not in ("expected", "source")}


def _checked(case_file: Path) -> dict:
    result = run("check", case_file, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    report.pop("input")  # the file's path and hash
    return report


@needs_letters
@pytest.mark.parametrize("name", INDEPENDENCE_LETTERS)
def test_decisions_and_rationales_do_not_reach_facts_or_check(name: str, tmp_path: Path):
    letter = _letter(name)
    variants = {"original": letter.read_text(encoding="utf-8"), "flipped": _flipped(letter.read_text(encoding="utf-8")),
                "no_rationale": _without_rationales(letter)}
    outputs = {}
    for variant, text in variants.items():
        (tmp_path / variant).mkdir()
        (tmp_path / variant / letter.name).write_text(text, encoding="utf-8")
        result = run("import", tmp_path / variant / letter.name, "--out", tmp_path / f"{variant}-out")
        assert result.exit_code == 0, result.output
        (outputs[variant],) = (tmp_path / f"{variant}-out").glob("*.yaml")
    original = yaml.safe_load(outputs["original"].read_text(encoding="utf-8"))
    flipped = yaml.safe_load(outputs["flipped"].read_text(encoding="utf-8"))
    assert [e["decision"] for e in original["expected"]] != [e["decision"] for e in flipped["expected"]]  # the flip reached expected:
    for variant in ("flipped", "no_rationale"):
        assert _drafted(outputs[variant]) == _drafted(outputs["original"]), variant
        assert _checked(outputs[variant]) == _checked(outputs["original"]), variant


# --- synthetic letters: every layout --------------------------------------------------------------

HEADER = """Case Number: CM99-0000001
Date Assigned: 03/01/2017 Date of Injury:  01/ 05/2016
Decision Date: 03/20/2017 UR Denial Date:  02/10/2017
Priority:  Standard Application
Received:
02/20/2017
HOW THE IMR FINAL DETERMINATION WAS MADE
A reviewer with no tie to the parties looked at the file. The expert
reviewer is Board Certified in Physical Medicine & Rehabilitation and is licensed to practice in California.
He/she works at least 24 hours a week.
"""
SUMMARY = """CLINICAL CASE SUMMARY
The expert reviewer developed the following clinical case summary based on a review of the
case file, including all medical records:
The injured worker is a 47-year-old woman who hurt her back lifting crates on 01-05-2016.
Diagnoses include lumbar strain and cervical strain. A Request for Authorization dated 01-
28-2017 asked for the items below. She takes no medication other than what is requested.
"""
ISSUES = """IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:
Carsoprodol 350mg three times a day #90 for spasm of the
low back: Upheld
Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016.
MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s):
Carisoprodol (Soma), Muscle relaxants (for pain), and Forearm, Wrist, and Hand Complaints 2004,
Section(s): Initial Care.
Decision rationale: Long courses are not supported and no flare-up is described. The request
for Carsoprodol 350mg three times a day #60 is not medically necessary.
Physical therapy 12 visits for the low back was the original request. Physical therapy 6 visits was
authorized by the Claims Administrator. The remaining IMR eligible portion of the
original request, Physical therapy 6 visits is: Overturned
Claims Administrator guideline: The Claims Administrator did not cite any medical evidence
for its decision.
MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016,
Section(s): Physical medicine treatment. Decision based on Non-MTUS Citation Official
Disabilities Guidelines, Low Back, Physical therapy.
Decision rationale: Six more visits fit the guideline after a documented gain. The request is
medically necessary. Labs to include: CBC: Upheld
Claims Administrator guideline: The Claims Administrator did not cite any medical evidence
for its decision.
MAXIMUS guideline: The Expert Reviewer did not cite any medical evidence for its decision.
Decision rationale: No procedure needing it was approved.
"""
LETTER = HEADER + SUMMARY + ISSUES


def _check_synthetic(case: dict) -> None:
    assert case["case"] == "CM99-0000001"
    assert {k: str(v) for k, v in case["dates"].items()} == {
        "injury": "2016-01-05", "request": "2017-01-28", "ur_decision": "2017-02-10", "assigned": "2017-03-01", "decision": "2017-03-20"}
    assert case["reviewer"] == {"specialty": ["Physical Medicine & Rehabilitation"], "licensure": ["California"]}
    assert case["claimant"] == {"age": 47, "sex": "female"}
    assert case["diagnoses"] == ["lumbar strain", "cervical strain"]
    soma, therapy, labs = case["requests"]
    assert soma["text"] == "Carsoprodol 350mg three times a day #90 for spasm of the low back"
    assert (soma["strength"], soma["quantity"]) == ("350 mg", 90)
    assert therapy == {"id": therapy["id"], "text": "Physical therapy 6 visits", "original_text": "Physical therapy 12 visits for the low back",
                       "certified": "Physical therapy 6 visits", **{k: v for k, v in therapy.items() if k not in ("id", "text", "original_text", "certified")}}
    assert labs["text"] == "Labs to include: CBC" and "associated_with" not in labs  # no surgery in the letter
    first, second, third = case["expected"]
    assert first == {"item": soma["id"], "decision": "not_medically_necessary", "citations": [
        {"guideline": "cpmtg", "edition": "2016", "section": "Carisoprodol (Soma)"},
        {"guideline": "cpmtg", "edition": "2016", "section": "Muscle relaxants (for pain)"},
        {"guideline": "acoem2004_hand", "edition": "2004", "section": "Initial Care"}]}
    assert second == {"item": therapy["id"], "decision": "medically_necessary", "non_mtus": True, "citations": [
        {"guideline": "cpmtg", "edition": "2016", "section": "Physical medicine treatment"},
        {"guideline": "odg", "edition": "current", "section": "Low Back, Physical therapy"}]}
    assert third == {"item": labs["id"], "decision": "not_medically_necessary", "no_citation": True}


def test_synthetic_letter_layouts(tmp_path: Path):
    (tmp_path / "letter.txt").write_text(LETTER, encoding="utf-8")
    result = run("import", tmp_path / "letter.txt", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    case_file = tmp_path / "out" / "CM99-0000001.yaml"
    _check_synthetic(yaml.safe_load(case_file.read_text(encoding="utf-8")))
    assert "rationale restates the request differently" in result.output  # #60 in the rationale, #90 in the header
    checked = run("check", case_file, "--format", "json")
    assert checked.exit_code == 0
    assert json.loads(checked.output)["items"][0]["drug"] == "carisoprodol"  # the misspelt name resolves


def test_credentials_block_and_worded_dates(importer: Importer):
    block = HEADER.replace(
        "The expert\nreviewer is Board Certified in Physical Medicine & Rehabilitation and is licensed to practice in California.",
        "The Expert Reviewer has the following credentials:\nState(s) of Licensure: Texas,New York\n"
        "Certification(s)/Specialty: Family Practice, Pain Management",
    )
    summary = SUMMARY.replace("A Request for Authorization dated 01-\n28-2017", "On January 27, 2017 a request was received")
    letter = parse_letter(block + summary + ISSUES, "block.txt")
    assert letter.reviewer == {"specialty": ["Family Practice", "Pain Management"], "licensure": ["Texas", "New York"]}
    draft = importer.draft_from_letter(letter, "block.txt", "block")
    assert str(draft.content["dates"]["request"]) == "2017-01-27" and draft.request_date_from == "rfa"


def test_request_date_falls_back_to_the_ur_denial_date(importer: Importer):
    summary = SUMMARY.replace("A Request for Authorization dated 01-\n28-2017 asked", "The provider asked")
    draft = importer.draft_from_letter(parse_letter(HEADER + summary + ISSUES, "x.txt"), "x.txt", "x")
    assert str(draft.content["dates"]["request"]) == "2017-02-10" and draft.request_date_from == "ur_decision"


def _pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF with one Helvetica text line per entry, AES-encrypted with an empty user password
    like the DWC's letters."""
    from pypdf import PdfReader, PdfWriter

    count = len(pages)
    font = 3 + 2 * count
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{' '.join(f'{3 + 2 * i} 0 R' for i in range(count))}] /Count {count} >>".encode()]
    for i, lines in enumerate(pages):
        shown = " T* ".join("({}) Tj".format(ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")) for ln in lines)
        stream = f"BT /F1 8 Tf 10 TL 20 780 Td {shown} ET".encode("latin-1")
        resources = f"/Resources << /Font << /F1 {font} 0 R >> >>"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R {resources} >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    raw = io.BytesIO()
    raw.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(raw.tell())
        raw.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = raw.tell()
    raw.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets))
    raw.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(raw.getvalue())))
    writer.encrypt(user_password="", owner_password="dwc", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_pdf_letter_with_a_page_break_inside_an_item(tmp_path: Path):
    lines = LETTER.splitlines()
    split = lines.index("low back: Upheld")  # the first item's name runs over the page break
    (tmp_path / "letter.pdf").write_bytes(_pdf([lines[:split], lines[split:]]))
    assert read_letter_text(tmp_path / "letter.pdf").count("Upheld") == 2
    result = run("import", tmp_path / "letter.pdf", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    _check_synthetic(yaml.safe_load((tmp_path / "out" / "CM99-0000001.yaml").read_text(encoding="utf-8")))


# --- bad letters ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "named"),
    [
        (HEADER + SUMMARY, "IMR ISSUES, DECISIONS AND RATIONALES: section not found"),
        (HEADER + ISSUES, "CLINICAL CASE SUMMARY: section not found"),
        (HEADER + SUMMARY + ISSUES.replace(": Upheld", " was decided").replace(": Overturned", " was decided"), "no disputed item with a decision"),
        (HEADER + SUMMARY + ISSUES.split("MAXIMUS guideline:")[0], "no 'MAXIMUS guideline:' line"),
        ("Case Number: CM99-0000002\nno date anywhere\n" + SUMMARY.replace("01-05-2016", "last year").replace(
            "A Request for Authorization dated 01-\n28-2017", "A request") + ISSUES, "no UR denial date, request date or dated report found"),
    ],
    ids=["no_decisions_section", "no_summary", "no_decision", "no_reviewer_line", "no_date"],
)
def test_unreadable_letter_is_one_error_line_and_leaves_nothing(text: str, named: str, tmp_path: Path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.txt").write_text(text, encoding="utf-8")
    (tmp_path / "in" / "good.txt").write_text(LETTER, encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(tmp_path / "in"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and "bad.txt" in errors[0] and named in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["CM99-0000001.yaml"]  # the good letter only, no temporary file


def test_binary_or_missing_input_is_refused(tmp_path: Path):
    (tmp_path / "junk.pdf").write_bytes(b"%PDF-1.4\n\x00\x01 not really")
    result = CliRunner().invoke(main, ["import", str(tmp_path / "junk.pdf"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "junk.pdf" in result.stderr and "unreadable PDF" in result.stderr
    missing = CliRunner().invoke(main, ["import", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "out")])
    assert missing.exit_code == 2 and "nope.txt" in missing.stderr and "no such file" in missing.stderr
    (tmp_path / "letter.txt").write_text(LETTER, encoding="utf-8")
    (tmp_path / "taken").write_text("a file", encoding="utf-8")
    out_is_file = CliRunner().invoke(main, ["import", str(tmp_path / "letter.txt"), "--out", str(tmp_path / "taken")])
    assert out_is_file.exit_code == 2 and "--out" in out_is_file.stderr and "is a file" in out_is_file.stderr


def test_the_same_case_twice_in_one_run_is_refused(tmp_path: Path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(LETTER, encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "already imported" in result.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["CM99-0000001.yaml"]


def test_unknown_drug_is_written_so_that_the_case_loads(tmp_path: Path):
    letter = LETTER.replace("Carsoprodol 350mg three times a day #90", "Zyxolarin 40mg daily #30").replace(
        "for Carsoprodol 350mg three times a day #60", "for Zyxolarin 40mg daily #30")
    (tmp_path / "letter.txt").write_text(letter, encoding="utf-8")
    result = run("import", tmp_path / "letter.txt", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "neither a drug of the drug lexicon (drugs.yaml) nor a recognised service" in result.output
    assert "drugs.yaml in a site rule folder, then imported again with --rules-extra DIR" in result.output
    case_file = tmp_path / "out" / "CM99-0000001.yaml"
    first = yaml.safe_load(case_file.read_text(encoding="utf-8"))["requests"][0]
    assert first["text"] == "Zyxolarin 40mg daily #30 for spasm of the low back" and first["service"] == "unclassified"
    checked = json.loads(run("check", case_file, "--format", "json").output)
    assert checked["items"][0]["decision"] == "no_applicable_rule"


# --- the case-file keys the importer adds ------------------------------------------------------------

def _case_with(tmp_path: Path, **changes) -> Path:
    case = {
        "case": "keys", "dates": {"request": "2017-01-10", "assigned": "2017-01-20", "decision": "2017-02-10"},
        "reviewer": {"specialty": ["Family Practice"], "licensure": "California"},
        "requests": [{"id": "surgery", "text": "Right knee arthroscopy"},
                     {"id": "clearance", "text": "Pre-op clearance", "associated_with": "surgery",
                      "original_text": "Pre-op clearance and labs", "certified": "labs"}],
        "expected": [{"item": "clearance", "decision": "not_medically_necessary", "no_citation": True}],
    }
    for key, value in changes.items():
        target, _, leaf = key.rpartition("__")
        node = case
        for part in filter(None, target.split("__")):
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[leaf] = value
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False), encoding="utf-8")
    return path


def test_case_loader_keeps_the_imported_keys(tmp_path: Path):
    from checker.load.case import load_case

    case = load_case(_case_with(tmp_path), load_ruleset(default_rules_dir()))
    assert case.reviewer_specialty == ("Family Practice",) and case.reviewer_licensure == ("California",)
    assert (str(case.assigned_date), str(case.decision_date)) == ("2017-01-20", "2017-02-10")
    clearance = case.requests[1]
    assert (clearance.associated_with, clearance.original_text, clearance.certified) == ("surgery", "Pre-op clearance and labs", "labs")
    assert case.expected["clearance"].no_citation


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"requests__1__associated_with": "nothing"}, "requests[1].associated_with"),
        ({"requests__0__associated_with": "surgery"}, "requests[0].associated_with"),
        ({"expected__0__citations": [{"guideline": "cpmtg"}]}, "expected[0].no_citation"),
        ({"reviewer__board": "yes"}, "reviewer.board"),
        ({"dates__assigned": "soon"}, "dates.assigned"),
        ({"requests__1__certified": ""}, "requests[1].certified"),
    ],
)
def test_case_loader_refuses_bad_imported_keys(changes: dict, field: str, tmp_path: Path):
    from checker.load.case import load_case

    with pytest.raises(InputError) as caught:
        load_case(_case_with(tmp_path, **changes), load_ruleset(default_rules_dir()))
    assert caught.value.field == field


# --- merging what the fact extractor drafts from the summary -----------------------------------------

def test_header_values_win_over_the_extracted_draft_which_adds_its_own_keys():
    from checker.imr.importer import with_extracted

    case = {
        "case": "CM99-0000001", "claimant": {"sex": "female"}, "dates": {"injury": "2016-01-05", "request": "2017-01-28"},
        "diagnoses": ["lumbar strain"], "requests": [{"id": "soma", "text": "Soma 350 mg #60"}],
    }
    extracted = {
        "claimant": {"age": 47, "sex": "male"},
        "dates": {"injury": "2015-12-31", "request": "2017-02-01"},
        "diagnoses": ["lumbar strain", "cervical strain"],
        "facts": {"pain_relief": {"value": True, "origin": "extracted", "source": "pain 4/10 with medication"}},
        "medications": [{"drug": "Soma", "documented_since": "2016-12-01"}],
        "requests": [{"text": "never taken from the draft", "facts": {"functional_improvement": True}}],
    }
    merged = with_extracted(case, extracted)
    assert merged["claimant"] == {"age": 47, "sex": "female"}  # the importer's sex, the draft's age where the importer had none
    assert merged["dates"] == case["dates"]
    assert merged["diagnoses"] == ["lumbar strain", "cervical strain"]
    assert merged["facts"] == extracted["facts"] and merged["medications"] == extracted["medications"]
    assert merged["requests"] == [{"id": "soma", "text": "Soma 350 mg #60", "facts": {"functional_improvement": True}}]  # item facts by position
    assert with_extracted(case, {}) == case


def test_an_extracted_draft_that_does_not_load_is_left_out_with_a_warning(tmp_path: Path, importer: Importer):
    (tmp_path / "letter.txt").write_text(LETTER, encoding="utf-8")
    draft = importer.draft(tmp_path / "letter.txt")
    draft.content = {**draft.content, "facts": {"no_such_fact": True}}
    target = importer.write(draft, tmp_path)
    written = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert "facts" not in written and written["requests"] == draft.without_extracted["requests"]
    assert [w.kind for w in draft.warnings].count("draft_rejected") == 1
