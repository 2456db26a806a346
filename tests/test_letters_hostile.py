"""`mtus import` on letters nobody should trust: every bad letter is one line on stderr naming the
file, the problem and the fix; the good letters of the same run are still written; exit code 2.

Every PDF here is generated (pypdf writes them), never committed: the DWC's own layout (AES-128
with an empty user password), the same with AES-256, with a real user password, truncated, without
any text, and a few hundred byte-level mutations of a letter."""

from __future__ import annotations

import io
import random
import time
from pathlib import Path

import pytest
import yaml

from checker.imr.letters import MAX_LETTER_BYTES
from tests.cli_runner import run
from tests.test_import import LETTER, _pdf

CASE_FILE = "CM99-0000001.yaml"  # the synthetic letter's case number



def letter_pdf() -> bytes:
    """The synthetic letter as the DWC publishes its letters: AES-128, empty user password."""
    return _pdf([LETTER.splitlines()])


def reencrypted(data: bytes, user_password: str, algorithm: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(data))
    reader.decrypt("")
    writer = PdfWriter(clone_from=reader)
    writer.encrypt(user_password=user_password, owner_password="dwc-owner", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def one_error_line(result, name: str, *fragments: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr  # nothing else on stderr, e.g. no warning the PDF library logs
    line = lines[0]
    assert line.startswith("mtus: error: ") and name in line and "; fix: " in line, line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_an_encrypted_letter_with_an_empty_user_password_imports(algorithm: str, tmp_path: Path):
    data = letter_pdf() if algorithm == "AES-128" else reencrypted(letter_pdf(), "", algorithm)
    (tmp_path / "letter.pdf").write_bytes(data)
    result = run("import", tmp_path / "letter.pdf", "--out", tmp_path / "out")
    assert result.exit_code == 0 and result.stderr == "", result.output
    case = yaml.safe_load((tmp_path / "out" / CASE_FILE).read_text(encoding="utf-8"))
    assert case["case"] == "CM99-0000001" and len(case["requests"]) == 3


# name, bytes of the letter (made in tmp_path), fragments the error line must hold
BAD_LETTERS = [
    ("empty.pdf", lambda: b"", ["the letter is empty"]),
    ("empty.txt", lambda: b"", ["the letter is empty"]),
    ("blank_lines.txt", lambda: b"\n \n\t\n", ["the letter is empty"]),
    ("password.pdf", lambda: reencrypted(letter_pdf(), "s3cret", "AES-128"), ["the PDF cannot be decrypted: it needs a user password",
                                                                            "fix: give the letter as published by the DWC (empty user password)"]),
    ("password_aes256.pdf", lambda: reencrypted(letter_pdf(), "s3cret", "AES-256"), ["cannot be decrypted"]),
    ("truncated.pdf", lambda: letter_pdf()[: len(letter_pdf()) // 2], ["unreadable PDF"]),
    ("header_only.pdf", lambda: b"%PDF-1.7\n", ["unreadable PDF"]),
    ("scanned.pdf", blank_pdf, ["the PDF holds no text (a scanned image?)", "fix: give the text of the letter"]),
    ("junk.txt", lambda: random.Random(7).randbytes(4096) + b"\x00", ["neither a PDF nor a text file"]),
    ("latin1.txt", lambda: LETTER.replace("Carsoprodol", "Carsopr\xf6dol").encode("latin-1"),
     ["byte ", "text is not UTF-8", "save the extracted text as UTF-8"]),
    ("no_decisions.txt", lambda: LETTER.split("IMR ISSUES, DECISIONS AND RATIONALES")[0].encode(),
     ["IMR ISSUES, DECISIONS AND RATIONALES: section not found"]),
]


@pytest.mark.parametrize(("name", "make", "fragments"), BAD_LETTERS, ids=[b[0] for b in BAD_LETTERS])
def test_a_bad_letter_is_one_line_and_the_good_ones_are_still_written(name: str, make, fragments: list[str], tmp_path: Path):
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / name).write_bytes(make())
    (folder / "good.pdf").write_bytes(letter_pdf())
    result = run("import", folder, "--out", tmp_path / "out")
    one_error_line(result, str(folder / name), *fragments)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [CASE_FILE]  # the good letter, and no temporary file
    assert "imported 1 letter(s)" in result.stdout


def test_every_bad_letter_in_one_run_is_listed_and_the_good_ones_written(tmp_path: Path):
    folder = tmp_path / "letters"
    folder.mkdir()
    for name, make, _ in BAD_LETTERS:
        (folder / name).write_bytes(make())
    (folder / "good.pdf").write_bytes(letter_pdf())
    result = run("import", folder, "--out", tmp_path / "out")
    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert len(errors) == len(BAD_LETTERS) and all(e.startswith("mtus: error: ") and "; fix: " in e for e in errors), result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [CASE_FILE]


def test_a_fifty_megabyte_letter_is_refused_without_being_read(tmp_path: Path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as out:  # sparse: 50 MB long, nothing written
        out.write(b"CLINICAL CASE SUMMARY\n")
        out.truncate(50 * 1024 * 1024)
    started = time.perf_counter()
    result = run("import", path, "--out", tmp_path / "out")
    elapsed = time.perf_counter() - started
    one_error_line(result, "huge.txt", f"letter is 52428800 bytes, over the {MAX_LETTER_BYTES}-byte limit", "fix: give one IMR letter per file")
    assert elapsed < 5, elapsed  # refused from its size; reading and parsing it would take far longer


def test_control_characters_in_a_letter_reach_neither_the_case_file_nor_the_terminal(tmp_path: Path):
    hostile = LETTER.replace("Carsoprodol 350mg", "Carsoprodol\x1b[2J 350mg\x07").replace("lumbar strain", "lumbar\x9b31m strain")
    (tmp_path / "letter.txt").write_text(hostile, encoding="utf-8")
    result = run("import", tmp_path / "letter.txt", "--out", tmp_path / "out")
    assert result.exit_code == 0, (result.output, result.stderr)
    written = (tmp_path / "out" / CASE_FILE).read_text(encoding="utf-8")
    for control in ("\x1b", "\x07", "\x9b", "\\e", "\\a", "\\x9B", "\\x9b"):
        assert control not in written and control not in result.output
    assert run("check", tmp_path / "out" / CASE_FILE).exit_code == 0


def test_mutated_pdfs_import_or_give_one_error_line_each(tmp_path: Path):
    """Truncations, byte flips and cut-out runs of a DWC-style letter: the PDF library raised a
    handful of exception types on them (not only its own PdfReadError) and logged repairs to stderr."""
    original = letter_pdf()
    rng = random.Random(20261123)
    folder = tmp_path / "letters"
    folder.mkdir()
    count = 120
    for i in range(count):
        data = bytearray(original)
        if i % 3 == 0:
            data = data[: rng.randrange(len(data))]
        elif i % 3 == 1:
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            start = rng.randrange(len(data))
            del data[start: start + rng.randint(1, 64)]
        (folder / f"mutant{i:03d}.pdf").write_bytes(bytes(data))
    result = run("import", folder, "--out", tmp_path / "out")
    assert result.exit_code in (0, 2) and "Traceback" not in result.stderr
    errors = result.stderr.splitlines()
    assert all(e.startswith("mtus: error: ") and "mutant" in e and "; fix: " in e for e in errors), errors[:3]
    written = [p for p in (tmp_path / "out").iterdir()] if (tmp_path / "out").exists() else []
    # Each mutant is either reported or imported (mutants that still read as the letter share its
    # case number, so after the first the rest are refused as 'already imported').
    assert len(errors) + len(written) == count, (len(errors), len(written))
    assert len(errors) > count // 2  # most mutations break the PDF: the test does exercise the error paths


@pytest.mark.parametrize(
    ("name", "edit", "fragments"),
    [
        ("long_summary.txt", lambda text: text.replace("CLINICAL CASE SUMMARY", "CLINICAL CASE SUMMARY " + "The patient reports pain. " * 8000, 1),
         ["CLINICAL CASE SUMMARY: the summary is", "more than an IMR letter's (100000)"]),
        ("long_item_name.txt", lambda text: text.replace("Carsoprodol 350mg", "Dr. e.g. vs. " * 1000 + "Carsoprodol 350mg", 1),
         ["item 1: the item's name before its decision is", "(at most 2000)"]),
    ],
    ids=["summary", "item_name"],
)
def test_an_oversized_part_of_a_letter_is_refused_quickly(name: str, edit, fragments: list[str], tmp_path: Path):
    """Reading a letter takes time in proportion to its text (the fact extractor reads the summary,
    the request parser each item name), so parts far larger than any IMR letter's are refused."""
    (tmp_path / name).write_text(edit(LETTER), encoding="utf-8")
    started = time.perf_counter()
    result = run("import", tmp_path / name, "--out", tmp_path / "out")
    one_error_line(result, name, *fragments)
    assert time.perf_counter() - started < 10


def test_an_item_name_of_many_short_sentences_is_read_in_linear_time():
    """Finding where an item's name starts searched all the text before every full stop again
    (quadratic: 5,000 characters took 0.06 s, 20,000 about 0.9 s); now each stop reads a short window."""
    from checker.imr.letters import _split_header

    started = time.perf_counter()
    _, header = _split_header("Dr. e.g. vs. " * 40_000 + "Soma 350 mg")
    assert time.perf_counter() - started < 5
    assert header.endswith("Soma 350 mg")
