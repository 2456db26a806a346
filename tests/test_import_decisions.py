"""`mtus import` never writes a case whose items differ from the letter's decisions: page furniture
between an item and its guideline lines is read through; an unknown decision word, stray text in
its place, a second letter or case number in one file, and a decision that no item accounts for are
each an error for that letter (exit 2, the other letters still imported, nothing written for it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.cli_runner import run
from tests.test_import import LETTER, _check_synthetic

CASE_FILE = "CM99-0000001.yaml"
FIRST_ITEM_END = "low back: Upheld\n"
SECOND_HEADER = "Physical therapy 12 visits for the low back was the original request."



def imported(tmp_path: Path, text: str) -> dict:
    (tmp_path / "letter.txt").write_text(text, encoding="utf-8")
    result = run("import", tmp_path / "letter.txt", "--out", tmp_path / "out")
    assert result.exit_code == 0 and result.stderr == "", result.output
    return yaml.safe_load((tmp_path / "out" / CASE_FILE).read_text(encoding="utf-8"))


def refused(tmp_path: Path, text: str, *fragments: str) -> str:
    """The bad letter beside a good one: one error line for it, nothing written for it, the good one written."""
    (tmp_path / "bad.txt").write_text(text, encoding="utf-8")
    (tmp_path / "good.txt").write_text(LETTER.replace("CM99-0000001", "CM99-0000002"), encoding="utf-8")
    result = run("import", tmp_path / "bad.txt", tmp_path / "good.txt", "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"mtus: error: {tmp_path / 'bad.txt'}: ") and "; fix: " in line, line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["CM99-0000002.yaml"]
    return line


@pytest.mark.parametrize("furniture", ["Page 2 of 4", "page 2", "2 of 4", "- 2 -", "  Page 2 / 4  "])
def test_page_furniture_between_an_item_and_its_guideline_lines_drops_nothing(furniture: str, tmp_path: Path):
    text = LETTER.replace(FIRST_ITEM_END, f"{FIRST_ITEM_END}{furniture}\n")
    _check_synthetic(imported(tmp_path, text))


def test_page_furniture_inside_an_item_name_is_not_part_of_it(tmp_path: Path):
    text = LETTER.replace("for spasm of the\nlow back: Upheld", "for spasm of the\nPage 1 of 3\nlow back: Upheld")
    _check_synthetic(imported(tmp_path, text))


@pytest.mark.parametrize("variant", ["UPHELD", "upheld", "Upheld."])
def test_the_decision_words_as_letters_write_them(variant: str, tmp_path: Path):
    case = imported(tmp_path, LETTER.replace(FIRST_ITEM_END, f"low back: {variant}\n"))
    assert [e["decision"] for e in case["expected"]] == ["not_medically_necessary", "medically_necessary", "not_medically_necessary"]


@pytest.mark.parametrize(
    ("word", "fragment"),
    [
        ("Partially Overturned", "'Partially Overturned' is not one an IMR gives an item"),
        ("Modified", "'Modified' is not one an IMR gives an item"),
        ("Uphled", "unknown decision 'Uphled'"),
        ("Denied", "unknown decision 'Denied'"),
    ],
)
def test_a_decision_word_that_is_not_upheld_or_overturned_is_an_error(word: str, fragment: str, tmp_path: Path):
    refused(tmp_path, LETTER.replace(FIRST_ITEM_END, f"low back: {word}\n"), "item 1", fragment)


def test_stray_text_between_an_item_and_its_guideline_lines_is_an_error(tmp_path: Path):
    text = LETTER.replace(FIRST_ITEM_END, f"{FIRST_ITEM_END}See the attached records\n")
    refused(tmp_path, text, "item 1", "unknown decision 'Upheld See the attached records'")


def test_a_decision_no_item_accounts_for_is_an_error(tmp_path: Path):
    """An item whose guideline lines are lost ('Urine drug screen: Upheld' and straight on to the
    next item) would vanish into the previous rationale."""
    text = LETTER.replace(SECOND_HEADER, "Urine drug screen: Upheld\n" + SECOND_HEADER)
    refused(tmp_path, text, "the letter states 4 decision(s) but 3 item(s) and 3 decision(s) were read")


def test_two_letters_in_one_file_are_an_error(tmp_path: Path):
    other = LETTER.replace("CM99-0000001", "CM99-0000003").replace("47-year-old woman", "52-year-old man")
    refused(tmp_path, LETTER + "\n" + other, "the file holds more than one letter")


def test_a_second_case_number_is_an_error(tmp_path: Path):
    text = LETTER.replace("Priority:  Standard Application", "Priority:  Standard Application Case Number: CM99-0000009")
    refused(tmp_path, text, "Case Number: the file names 2 case numbers (CM99-0000001, CM99-0000009)")


def test_the_same_case_number_twice_is_read_once(tmp_path: Path):
    text = LETTER.replace("Priority:  Standard Application", "Priority:  Standard Application Case Number: CM99-0000001")
    _check_synthetic(imported(tmp_path, text))
