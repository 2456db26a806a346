"""Bad input never produces a traceback: one line on stderr naming the file, the field and the fix.

Case files: `mtus check FILE` on every file in tests/bad_inputs/ (and a few generated in tmp_path)
exits 2 with exactly one line "mtus: error: <file>: <field>: <problem>; fix: <fix>".
Rule directories: the repository's rules/ copied into tmp_path with one thing broken, then
`mtus rules lint DIR` (exit 1 for a defect, 2 for a structural error) or `mtus check --rules DIR` (exit 2);
and the corpus of broken rule files in tests/bad_rules/, each in a rules directory of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from rulesets import BAD_RULES, rules_with

from checker.base.yamlio import MAX_YAML_BYTES
from tests.cli_runner import run

REPO = Path(__file__).resolve().parent.parent
BAD_INPUTS = Path(__file__).resolve().parent / "bad_inputs"

# file in tests/bad_inputs/ (or "generated:<name>"), the field the message names ("" when the whole
# file is at fault), and a fragment of the problem or fix the message must hold.
CASES = [
    ("malformed_yaml.yaml", "", "malformed YAML at line 5"),
    ("empty.yaml", "", "case file is empty"),
    ("whitespace_only.yaml", "", "case file is empty"),
    ("missing_request_date.yaml", "dates.request", "required field is missing; fix: add 'request:'"),
    ("missing_requests.yaml", "requests", "required field is missing; fix: add 'requests:'"),
    ("age_as_word.yaml", "claimant.age", "age is declared integer, found a text value 'fifty'"),
    ("boolean_fact_as_text.yaml", "facts.pain_relief", "declared boolean, found a text value 'yes'; fix: write true or false"),
    ("number_fact_as_text.yaml", "facts.pain_score_with_medication", "declared number, found a text value '5'"),
    ("unknown_fact_typo.yaml", "facts.acute_muscle_spasms", "unknown fact; fix: did you mean 'acute_muscle_spasm'?"),
    ("unknown_request_field.yaml", "requests[0].quantiy", "unknown field; fix: did you mean 'quantity'?"),
    ("unknown_drug.yaml", "requests[0].drug", "unknown drug 'Xyzzoprodol'"),
    ("dose_without_known_drug.yaml", "requests[0].text", "no known drug in 'Qwertaxin 40 mg daily #30'"),
    ("derived_fact_set.yaml", "facts.days_supply", "is derived by mtus-checker and cannot be set"),
    ("reviewer_fact_without_reason.yaml", "facts.functional_improvement.reason", "a reviewer's fact needs a reason"),
    ("duplicate_key.yaml", "pain_relief", "key given twice (line 10)"),
    ("yaml_alias.yaml", "line 4", "YAML aliases (*name) are not accepted"),
    ("binary_junk.yaml", "", "case file holds binary data"),
    ("not_utf8.yaml", "", "case file is not UTF-8"),
    ("control_character.yaml", "line 9", "holds the character U+0007, which YAML does not allow"),
    ("generated:oversized.yaml", "", f"over the {MAX_YAML_BYTES}-byte limit"),
    ("generated:missing.yaml", "", "case file not found"),
    ("generated:a_directory.yaml", "", "is a directory"),
    ("injury_after_request.yaml", "dates.injury", "injury date 2014-01-05 is after the request date 2013-11-20"),
    ("impossible_date.yaml", "line 6", "'2013-02-30' is not a valid date"),
    ("ur_decision_not_a_date.yaml", "dates.ur_decision", "expected a date, found a text value 'last week'"),
    ("medication_started_after_request.yaml", "medications[0].started", "2014-02-01 is after the request date"),
    ("infinite_duration.yaml", "medications[0].duration_days", "expected a positive number, found the number inf"),
    ("medication_prescription_of_another_drug.yaml", "medications[0].prescription", "the prescription names hydrocodone/acetaminophen, not fentanyl"),
    ("negative_quantity.yaml", "requests[0].quantity", "found the number -90"),
    ("nan_quantity.yaml", "requests[0].quantity", "found the number nan"),
    ("top_level_list.yaml", "", "expected a mapping, found a list"),
    ("unquoted_hash_text.yaml", "line 9", "YAML reads as a comment"),
    ("request_text_list.yaml", "requests[0].text", "expected text, found a list"),
    ("drug_name_with_line_break.yaml", "requests[0].drug", r"unknown drug 'Xyzzo\nprodol'"),
    ("divergence_item_list.yaml", "known_divergences[0].item", "no expected: entry for item"),
    ("bad_int_tag.yaml", "line 5", "'fifty' is not a valid int"),
    ("two_documents.yaml", "", "holds more than one YAML document"),
    ("unknown_schema.yaml", "schema", "unsupported schema 'mtus-case/9'"),
    ("duplicate_request_id.yaml", "requests[1].id", "id 'relaxant' is used twice"),
    ("alias_bomb.yaml", "line 6", "YAML aliases (*name) are not accepted"),
    ("generated:deep_nesting.yaml", "line 2", "YAML nested more than 100 levels deep; fix: flatten the document"),
    ("generated:fifty_megabytes.yaml", "", f"case file is 52428800 bytes, over the {MAX_YAML_BYTES}-byte limit"),
    ("python_object_tag.yaml", "line 6", "the YAML tag '!!python/object/apply:os.system' is not accepted"),
    ("terminal_escape_in_title.yaml", "title", "text holds the control character U+001B; fix: remove it"),
    ("carriage_return_in_request.yaml", "requests[0].text", "text holds the control character U+000D"),
    ("request_in_the_future.yaml", "dates.request", "2999-11-20 is in the future (today is "),
    ("injury_in_the_future.yaml", "dates.injury", "2999-03-01 is in the future"),
    ("absurd_quantity.yaml", "requests[0].quantity", "up to 10000, found the number 100000"),
    ("absurd_strength.yaml", "requests[0].text", "strength '5000 mg' per unit is above 2,000 mg"),
    ("absurd_strength_field.yaml", "requests[0].strength", "strength '100000 mg' per unit is above 2,000 mg"),
    ("huge_integer.yaml", "line 3", "is not a valid int"),
    ("generated:pasted_page_as_request.yaml", "requests[0].text", "200005 characters, more than a request line (1000)"),
    # a letter or notes given where a case file belongs: the command that makes a case file of them
    ("generated:letter.txt", "", "is plain text, not a case file; fix: for an IMR letter run 'mtus import "),
    ("generated:letter.pdf", "", "is a PDF, not a case file; fix: for an IMR letter run 'mtus import "),
    ("generated:notes.yaml", "", "is plain text, not a case file; fix: for an IMR letter run 'mtus import "),
]


# The opening of an IMR letter, in its shape (made up): YAML reads "Dear ...:" as a key and then fails.
LETTER_TEXT = """Independent Medical Review Final Determination Letter
Dear Claimant:
MAXIMUS Federal Services has completed the Independent Medical Review of the disputed items.
CLINICAL CASE SUMMARY: The patient is a 50 year old female who reported an injury on 04/10/2002.
"""



def case_path(name: str, tmp_path: Path) -> Path:
    if not name.startswith("generated:"):
        return BAD_INPUTS / name
    path = tmp_path / name.split(":", 1)[1]
    if path.name == "oversized.yaml":
        head = b"schema: mtus-case/1\ncase: oversized\n"
        path.write_bytes(head + b"# padding\n" * ((MAX_YAML_BYTES - len(head)) // 10 + 1))
        assert path.stat().st_size > MAX_YAML_BYTES
    elif path.name == "a_directory.yaml":
        path.mkdir()
    elif path.name == "deep_nesting.yaml":
        # 100,000 nested lists: libyaml's composer recursed once per level and crashed (segfault).
        path.write_text("schema: mtus-case/1\ncase: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    elif path.name == "pasted_page_as_request.yaml":
        path.write_text(f'schema: mtus-case/1\ncase: x\ndates: {{request: 2013-11-20}}\nrequests:\n  - text: "Soma {"1" * 200_000}"\n', encoding="utf-8")
    elif path.name == "letter.txt":
        path.write_text(LETTER_TEXT, encoding="utf-8")
    elif path.name == "notes.yaml":  # notes saved under a case file's name, reading as one run of text
        path.write_text("Progress note 05/06/2015. Low back pain 6/10, Norco helps. No muscle spasm today.\n", encoding="utf-8")
    elif path.name == "letter.pdf":
        path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")
    elif path.name == "fifty_megabytes.yaml":
        with path.open("wb") as out:  # a sparse file: 50 MB long, written in no time
            out.write(b"schema: mtus-case/1\n")
            out.truncate(50 * 1024 * 1024)
    return path


def assert_one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and result.stderr.endswith("\n"), result.stderr
    line = lines[0]
    assert line.startswith("mtus: error: ") and "; fix: " in line, line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def test_every_fixture_file_is_in_the_table():
    listed = {name for name, _, _ in CASES if not name.startswith("generated:")}
    assert listed == {p.name for p in BAD_INPUTS.iterdir()}


@pytest.mark.parametrize(("name", "field", "fragment"), CASES, ids=[c[0].removeprefix("generated:") for c in CASES])
def test_check_refuses_bad_case_file(name: str, field: str, fragment: str, tmp_path: Path):
    path = case_path(name, tmp_path)
    result = run("check", path)
    line = assert_one_line_error(result, fragment)
    assert result.stdout == ""
    where = f"mtus: error: {path}: {field}: " if field else f"mtus: error: {path}: "
    assert line.startswith(where), line


# ---- rule directories with one defect -------------------------------------------------------------

VALID_CASE = """\
schema: mtus-case/1
case: rules-dir-probe
claimant: {age: 44}
dates: {injury: 2010-03-01, request: 2013-11-20}
facts: {acute_muscle_spasm: true}
requests:
  - id: relaxant
    text: "Soma 350 mg TID #21"
"""


def replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(rules: Path) -> None:
        path = rules / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is no longer in {name}; update this test"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def edit_topic(topic: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(rules: Path) -> None:
        path = rules / "topics" / f"{topic}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    return edit


def _drop_age_fact(rules: Path) -> None:
    path = rules / "facts.yaml"
    text, count = re.subn(r"\n  age:\n(?:    .*\n)+", "\n", path.read_text(encoding="utf-8"))
    assert count == 1, "the age fact is no longer where this test expects it"
    path.write_text(text, encoding="utf-8")


FIRST_BLOCK = dt.date(2009, 7, 18)


def _drop_citation(topic: dict) -> None:
    del topic["criteria"][1][FIRST_BLOCK]["citation"]


def _reuse_criterion_id(topic: dict) -> None:
    criteria = topic["criteria"]
    criteria[3]["id"] = criteria[2]["id"]


def _overlapping_edition(topic: dict) -> None:
    """A second guideline followed over the same years, the first without a when: condition."""
    topic["follows"].append({"guideline": "acoem2004_general", "edition": "2004"})


UNKNOWN_FACT = replace("topics/carisoprodol.yaml", "{fact: first_line_analgesic_failed, eq: true}", "{fact: first_line_analgesic_faild, eq: true}")
SECOND_LINE = "criteria[carisoprodol.second_line]"
SHORT_COURSE = "criteria[carisoprodol.short_course_request]"

# id, the edit, the command ("lint" or "check"), exit code, fragments one output line must hold
RULE_DEFECTS = [
    ("unknown_fact", UNKNOWN_FACT, "lint", 1,
     ["carisoprodol.yaml", SECOND_LINE, "unknown fact 'first_line_analgesic_faild'", "did you mean 'first_line_analgesic_failed'?"]),
    ("missing_citation", edit_topic("carisoprodol", _drop_citation), "lint", 1,
     ["carisoprodol.yaml", f"{SHORT_COURSE}.2009-07-18.citation", "criterion has no citation"]),
    ("duplicate_criterion_id", edit_topic("carisoprodol", _reuse_criterion_id), "lint", 1,
     ["carisoprodol.yaml", "criteria[carisoprodol.acute_exacerbation]", "criterion id reused"]),
    ("overlapping_editions", edit_topic("carisoprodol", _overlapping_edition), "lint", 1,
     ["carisoprodol.yaml", "follows[0]", "editions cpmtg-2009 and acoem2004_general-2004 are both in force on 2009-07-18"]),
    ("infinite_limit", replace("topics/carisoprodol.yaml", "{fact: days_supply, lte: 21}", "{fact: days_supply, lte: .inf}"), "lint", 1,
     ["carisoprodol.yaml", f"{SHORT_COURSE}.2009-07-18.met_when", "days_supply is number but is compared with inf"]),
    ("unknown_operator", replace("topics/carisoprodol.yaml", "{fact: days_supply, lte: 21}", "{fact: days_supply, lte_x: 21}"), "lint", 2,
     ["carisoprodol.yaml", f"{SHORT_COURSE}.2009-07-18.met_when", "a test needs exactly one comparison, found lte_x"]),
    ("impossible_block_date", replace("topics/carisoprodol.yaml", "    2009-07-18:\n", "    2009-02-30:\n"), "lint", 2,
     ["carisoprodol.yaml", "'2009-02-30' is not a valid date"]),
    ("fact_limit_as_text", replace("facts.yaml", "    min: 0\n    max: 120\n", "    min: 0\n    max: \"120\"\n"), "lint", 2,
     ["facts.yaml", "facts.age.max", "expected a number, found a text value '120'"]),
    ("brands_not_a_list", replace("drugs.yaml", "brands: [Soma]", "brands: Soma"), "lint", 2,
     ["drugs.yaml", "drugs.carisoprodol.brands", "expected a list"]),
    ("mme_tier_not_a_number", replace("drugs.yaml", "{up_to_mg_per_day: 20, factor: 4}", "{up_to_mg_per_day: twenty, factor: 4}"), "lint", 2,
     ["drugs.yaml", "drugs.methadone.mme.tiers[0].up_to_mg_per_day", "expected a number"]),
    ("opioid_without_mme", replace("drugs.yaml", "    mme: {factor: 0.4, per: mg, table: cdc2016}\n", "", ), "lint", 2,
     ["drugs.yaml", "drugs.tapentadol", "an opioid without a conversion to morphine equivalents"]),
    ("name_of_two_drugs", replace("drugs.yaml", "brands: [Soma]", "brands: [Soma, Norco]"), "lint", 2,
     ["drugs.yaml", "drugs.hydrocodone/acetaminophen", "the name 'Norco' is also a name of carisoprodol"]),
    ("mme_unknown_table", replace("drugs.yaml", "{factor: 1.5, per: mg, table: cdc2016}", "{factor: 1.5, per: mg, table: cdc2061}"), "lint", 2,
     ["drugs.yaml", "drugs.oxycodone.mme.table", "unknown table 'cdc2061'"]),
    ("check_refuses_rules_with_defect", UNKNOWN_FACT, "check", 2,
     ["carisoprodol.yaml", SECOND_LINE, "unknown fact 'first_line_analgesic_faild'"]),
    ("check_with_rules_lacking_age", _drop_age_fact, "check", 2, ["'age'"]),
    ("check_refuses_infinite_limit", replace("topics/carisoprodol.yaml", "{fact: days_supply, lte: 21}", "{fact: days_supply, lte: .inf}"), "check", 2,
     ["carisoprodol.yaml", SHORT_COURSE, "compared with inf"]),
]


@pytest.mark.parametrize(("edit", "command", "code", "fragments"), [r[1:] for r in RULE_DEFECTS], ids=[r[0] for r in RULE_DEFECTS])
def test_broken_rules_directory(edit, command: str, code: int, fragments: list[str], tmp_path: Path):
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    edit(rules)
    if command == "lint":
        result = run("rules", "lint", rules)
    else:
        case = tmp_path / "case.yaml"
        case.write_text(VALID_CASE, encoding="utf-8")
        result = run("check", case, "--rules", rules)
    if code == 2:
        assert_one_line_error(result, str(rules), *fragments)
        assert result.stdout == ""
        return
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert any(all(f in line for f in fragments) for line in result.stdout.splitlines()), result.stdout
    assert result.stderr.splitlines() == [result.stderr.strip()] and "defect(s)" in result.stderr


def test_unbroken_rules_copy_lints_clean(tmp_path: Path):
    """The edits above are the only defects: the copied rule set itself is clean."""
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    result = run("rules", "lint", rules)
    assert result.exit_code == 0, result.output
    case = tmp_path / "case.yaml"
    case.write_text(VALID_CASE, encoding="utf-8")
    assert run("check", case, "--rules", rules).exit_code == 0


# ---- the broken rule-file corpus: tests/bad_rules/ -------------------------------------------------
# A rules directory made of the repository's vocabulary and lexicons (facts.yaml, facts/, drugs.yaml,
# guidelines.yaml, services.yaml ...) and one topic, tests/bad_rules/clean_topic.yaml, which lints
# clean and decides the probe case. Each file in bad_rules/topics/ replaces that topic; each file in
# bad_rules/facts/ is added to facts/ beside it; each file in bad_rules/guidelines/ replaces the
# guideline catalogue. The repository's own topics are left out, so the corpus does not change as
# they do.

# file under bad_rules/, exit code of `mtus rules lint` (1 a lint defect, 2 a file that does not
# load), the field the line names, fragments it must hold. `mtus check --rules` exits 2 on every one
# of them with the same line (for lint defects: the first, with how many more there are).
BAD_RULE_FILES = [
    ("topics/malformed_yaml.yaml", 2, "", ["malformed YAML at line 8, column 1", "fix: fix the YAML syntax there"]),
    ("topics/alias_bomb.yaml", 2, "line 5", ["YAML aliases (*name) are not accepted"]),
    ("topics/duplicate_key.yaml", 2, "met_when", ["key given twice (line 29)", "fix: keep one of the two entries"]),
    ("topics/duplicate_dated_block.yaml", 2, "2009-07-18", ["key given twice (line 21)", "fix: keep one of the two entries"]),
    ("topics/unknown_field.yaml", 2, "criteria[hostile.short_course].2009-07-18.met_wen", ["unknown field; fix: did you mean 'met_when'?"]),
    ("topics/criteria_not_a_list.yaml", 2, "criteria", ["expected a list, found a text value"]),
    ("topics/date_as_words.yaml", 2, "criteria[hostile.short_course].mid 2009", ["expected a date, found a text value 'mid 2009'"]),
    ("topics/quoted_date.yaml", 2, "criteria[hostile.short_course].2009-07-18", ["expected a date, found a text value '2009-07-18'", "unquoted"]),
    ("topics/impossible_date.yaml", 2, "line 17", ["'2009-02-30' is not a valid date"]),
    ("topics/python_object_tag.yaml", 2, "line 4", ["the YAML tag '!!python/object/apply:os.system' is not accepted"]),
    ("topics/control_character.yaml", 2, "title", ["text holds the control character U+001B"]),
    ("topics/empty.yaml", 2, "", ["rule file is empty"]),
    ("topics/not_utf8.yaml", 2, "", ["rule file is not UTF-8 (byte 62)", "fix: save the file as UTF-8"]),
    ("topics/v1_schema.yaml", 2, "schema", ["the rule format mtus-rules/1 is no longer read", "fix: convert it with tools/migrate_rules_v2.py"]),
    ("topics/unknown_role.yaml", 2, "criteria[hostile.spasm].role", ["unknown role 'prerequisite'", "fix: use one of: indication, limit, documentation"]),
    ("topics/no_dated_block.yaml", 2, "criteria[hostile.spasm]", ["no dated block"]),
    ("topics/key_outside_a_block.yaml", 2, "criteria[hostile.spasm].met_when",
     ["belongs in a dated block", "fix: write it under the date it takes effect (2009-07-18:)"]),
    ("topics/unknown_comparison.yaml", 2, "criteria[hostile.short_course].2009-07-18.met_when", ["a test needs exactly one comparison, found lte_x"]),
    ("topics/unknown_group_operator.yaml", 2, "criteria[hostile.short_course].2009-07-18.met_when.either",
     ["unknown operator; fix: use all, any, not or fact"]),
    ("topics/unknown_fact.yaml", 1, "criteria[hostile.spasm].2009-07-18.met_when",
     ["unknown fact 'acute_muscle_spasms'", "did you mean 'acute_muscle_spasm'?"]),
    ("topics/value_of_the_wrong_type.yaml", 1, "criteria[hostile.short_course].2009-07-18.met_when", ["days_supply is number but is compared with '21'"]),
    ("topics/missing_citation.yaml", 1, "criteria[hostile.short_course].2009-07-18.citation", ["criterion has no citation"]),
    ("topics/decision_names_unknown_criterion.yaml", 1, "decision.indicated_when", ["refers to unknown criterion 'hostile.spasms'"]),
    ("topics/indicated_when_names_a_limit.yaml", 1, "decision.indicated_when",
     ["names the limit 'hostile.spasm'", "fix: only indications are combined there"]),
    ("topics/indication_left_out.yaml", 1, "criteria[hostile.spasm]", ["indication left out of decision.indicated_when"]),
    ("topics/contradictory_range.yaml", 1, "criteria[hostile.short_course].2009-07-18.met_when",
     ["can never hold: days_supply > 6 and days_supply < 3 exclude each other", "fix: correct the limits or values"]),
    ("topics/contradictory_values.yaml", 1, "criteria[hostile.short_course].2009-07-18.met_when",
     ["can never hold: route = oral and route = topical exclude each other"]),
    ("topics/outside_declared_range.yaml", 1, "criteria[hostile.spasm].2009-07-18.met_when",
     ["can never hold: age > 150 is outside the range of age (0..120)"]),
    ("topics/never_applies.yaml", 1, "criteria[hostile.spasm].2009-07-18.applies_when",
     ["can never hold: acute_muscle_spasm exists: false and acute_muscle_spasm = true exclude each other"]),
    ("topics/edition_when_never_holds.yaml", 1, "follows[0].when", ["can never hold: months_since_injury < 0 is outside the range"]),
    ("topics/met_and_not_met_overlap.yaml", 1, "criteria[hostile.short_course]",
     ["met_when and not_met_when can both hold (when days_supply <= 21 and days_supply >= 14)"]),
    ("topics/overlapping_editions.yaml", 1, "follows[0]",
     ["editions cpmtg-2009 and acoem2004_general-2004 are both in force on 2009-07-18", "fix: give cpmtg-2009 a when: condition"]),
    ("topics/under_unfollowed_guideline.yaml", 1, "criteria[hostile.spasm].under", ["the topic follows no guideline 'opioids_tg'", "fix: use one of: cpmtg"]),
    ("topics/block_outside_followed_period.yaml", 1, "criteria[hostile.short_course].2017-01-01",
     ["the date falls in no period the topic follows", "cpmtg-2009 2009-07-18..2016-07-28"]),
    ("topics/citation_not_in_force.yaml", 1, "criteria[hostile.short_course].2009-07-18.citation",
     ["cites cpmtg 2016 (2016-07-29..2017-11-30) for 2009-07-18..2016-07-28"]),
    ("topics/unconfirmed_page.yaml", 1, "criteria[hostile.spasm].2009-07-18.citation",
     ["an unconfirmed source cites a page as if confirmed", "fix: add pages_confirmed: false"]),
    ("topics/unconfirmed_paraphrase_page.yaml", 1, "criteria[hostile.spasm].provenance.paraphrases",
     ["an unconfirmed source cites a page as if confirmed"]),
    ("topics/until_outside_edition.yaml", 2, "follows[0].until",
     ["2017-03-01 is outside the days cpmtg 2009 is in force (2009-07-18..2016-07-28)", "fix: give a date inside that period"]),
    ("topics/no_criterion_in_force.yaml", 1, "follows[0]",
     ["no criterion is in force under cpmtg-2009 from 2009-07-18 to 2011-12-31, so every request would be approved"]),
    ("guidelines/edition_ends_before_it_starts.yaml", 1, "guidelines.cpmtg.editions.2009.effective_to",
     ["cpmtg 2009 ends (2008-07-28) before it starts (2009-07-18)"]),
    ("facts/unknown_type.yaml", 2, "facts.hostile_score.type", ["unknown type 'float'", "fix: use one of: boolean, integer, number, string"]),
    ("facts/declared_twice.yaml", 2, "facts.acute_muscle_spasm", ["already declared in"]),
    ("facts/duplicate_key.yaml", 2, "type", ["key given twice (line 6)"]),
    ("facts/python_object_tag.yaml", 2, "line 3", ["the YAML tag '!!python/object/apply:subprocess.check_output' is not accepted"]),
    ("facts/min_above_max.yaml", 1, "facts.hostile_score.min", ["minimum 10 is above the maximum 5"]),
]


def test_every_bad_rule_file_is_in_the_table():
    listed = {name for name, *_ in BAD_RULE_FILES}
    assert listed == {p.relative_to(BAD_RULES).as_posix() for p in BAD_RULES.glob("*/*.yaml")}


def test_the_clean_topic_lints_clean_and_decides_the_probe_case(tmp_path: Path):
    rules, _ = rules_with(tmp_path, None)
    linted = run("rules", "lint", rules)
    assert linted.exit_code == 0 and linted.output.startswith("ok: 1 topics, 2 criteria"), linted.output
    case = tmp_path / "case.yaml"
    case.write_text(VALID_CASE, encoding="utf-8")
    checked = run("check", case, "--rules", rules, "--format", "json")
    assert checked.exit_code == 0, checked.output
    assert [i["decision"] for i in json.loads(checked.output)["items"]] == ["medically_necessary"]


@pytest.mark.parametrize(("name", "lint_code", "field", "fragments"), BAD_RULE_FILES, ids=[b[0] for b in BAD_RULE_FILES])
def test_bad_rule_file(name: str, lint_code: int, field: str, fragments: list[str], tmp_path: Path):
    rules, broken = rules_with(tmp_path, name)
    where = f"{broken}: {field}: " if field else f"{broken}: "
    linted = run("rules", "lint", rules)
    if lint_code == 2:
        line = assert_one_line_error(linted, *fragments)
        assert line.startswith(f"mtus: error: {where}"), line
    else:
        assert linted.exit_code == 1, (linted.exit_code, linted.output, linted.exception)
        assert "Traceback" not in linted.output and "Traceback" not in linted.stderr
        lines = [ln for ln in linted.stdout.splitlines() if ln.startswith(where)]
        assert any(all(f in ln for f in fragments) for ln in lines), linted.stdout
        assert linted.stderr == f"{len(linted.stdout.splitlines())} defect(s) in {rules}\n"
    case = tmp_path / "case.yaml"
    case.write_text(VALID_CASE, encoding="utf-8")
    checked = run("check", case, "--rules", rules)
    line = assert_one_line_error(checked)
    assert line.startswith(f"mtus: error: {broken}: ") and checked.stdout == "", line
    if lint_code == 2 or len(linted.stdout.splitlines()) == 1:  # check names the first defect lint lists
        assert all(f in line for f in fragments), line


def test_a_rule_file_nested_too_deeply_is_refused(tmp_path: Path):
    rules, topic = rules_with(tmp_path, None)
    text = topic.read_text(encoding="utf-8")
    deep = "{not: " * 60_000 + "{fact: days_supply, lte: 21}" + "}" * 60_000
    topic.write_text(text.replace("{fact: days_supply, lte: 21}", deep, 1), encoding="utf-8")
    line = assert_one_line_error(run("rules", "lint", rules), "YAML nested more than 100 levels deep")
    assert line.startswith(f"mtus: error: {topic}: line ")


# ---- mtus regress: a broken case file among good ones ------------------------------------------------

BROKEN_CASES = {  # file name -> what its one-line error must hold
    "malformed.yaml": "malformed YAML at line 3",
    "binary.yaml": "case file holds binary data",
    "unknown_fact.yaml": "facts.acute_muscle_spasms: unknown fact",
    "alias_bomb.yaml": "YAML aliases (*name) are not accepted",
    "future.yaml": "dates.request: 2999-11-20 is in the future",
}


def _regress_folder(tmp_path: Path) -> tuple[Path, int]:
    """Two example cases and the broken files; returns the folder and how many items the examples expect."""
    folder = tmp_path / "cases"
    folder.mkdir()
    expected_items = 0
    for name in ("seed-000.yaml", "seed-003.yaml"):
        shutil.copy(REPO / "examples" / name, folder / name)
        expected_items += len(yaml.safe_load((folder / name).read_text(encoding="utf-8"))["expected"])
    (folder / "malformed.yaml").write_text("case: x\ndates: {request: 2014-01-01\n", encoding="utf-8")
    (folder / "binary.yaml").write_bytes(b"case: x\n\x00\x01\x02")
    (folder / "unknown_fact.yaml").write_text((BAD_INPUTS / "unknown_fact_typo.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copy(BAD_INPUTS / "alias_bomb.yaml", folder / "alias_bomb.yaml")
    shutil.copy(BAD_INPUTS / "request_in_the_future.yaml", folder / "future.yaml")
    return folder, expected_items


def test_regress_reports_every_broken_case_file_and_runs_the_rest_in_every_format(tmp_path: Path):
    folder, expected_items = _regress_folder(tmp_path)
    as_json = run("regress", folder, "--format", "json")
    assert as_json.exit_code == 2, as_json.output
    summary = json.loads(as_json.stdout)
    assert summary["items"] == summary["agree"] == expected_items and summary["cases"] == 2 and not summary["passed"]
    errors = {Path(e["case"]).name: e["error"] for e in summary["errors"]}
    assert set(errors) == set(BROKEN_CASES)
    for name, fragment in BROKEN_CASES.items():
        assert errors[name].startswith(f"{folder / name}: ") and fragment in errors[name] and "; fix: " in errors[name], errors[name]
        assert "\n" not in errors[name]

    text = run("regress", folder)
    assert text.exit_code == 2
    error_lines = [ln for ln in text.stdout.splitlines() if ln.startswith("ERROR ")]
    assert sorted(ln.split(None, 1)[1] for ln in error_lines) == sorted(errors.values())
    item_lines = [ln for ln in text.stdout.splitlines() if re.match(r"(AGREE|KNOWN_DIVERGENCE) +\S+ / \S+: expected", ln)]
    assert len(item_lines) == expected_items
    assert f"FAILED: 0 item(s) disagree, {len(BROKEN_CASES)} unreadable case file(s)" in text.stdout

    junit = run("regress", folder, "--format", "junit")
    assert junit.exit_code == 2
    suite = ET.fromstring(junit.stdout).find("testsuite")
    assert suite.get("errors") == str(len(BROKEN_CASES)) and suite.get("failures") == "0"
    unreadable = [case for case in suite.findall("testcase") if case.get("classname") == "unreadable"]
    assert sorted(case.find("error").get("message") for case in unreadable) == sorted(errors.values())
    assert len(suite.findall("testcase")) == expected_items + len(BROKEN_CASES)


def test_a_case_the_engine_fails_on_is_that_file_s_error_and_the_rest_still_run(tmp_path: Path):
    """met_when and not_met_when on different facts pass lint (derived facts are related in ways it
    cannot see), so a rule author can still write a pair that both hold: the engine refuses that case."""
    rules, topic = rules_with(tmp_path, None)
    text = topic.read_text(encoding="utf-8")
    topic.write_text(text.replace(
        "      met_when: {fact: days_supply, lte: 21}\n",
        "      met_when: {fact: days_supply, lte: 21}\n      not_met_when: {fact: acute_muscle_spasm, eq: true}\n", 1), encoding="utf-8")
    assert run("rules", "lint", rules).exit_code == 0
    folder = tmp_path / "cases"
    folder.mkdir()
    expected = "expected:\n  - {item: relaxant, decision: not_medically_necessary}\n"
    (folder / "both.yaml").write_text(VALID_CASE + expected, encoding="utf-8")  # spasm documented: met and not met
    (folder / "fine.yaml").write_text(VALID_CASE.replace("facts: {acute_muscle_spasm: true}\n", "") + expected, encoding="utf-8")
    result = run("regress", folder, "--rules", rules, "--format", "json")
    assert result.exit_code == 2, result.output
    summary = json.loads(result.stdout)
    assert [r["case"] for r in summary["results"]] == ["rules-dir-probe"] and summary["results"][0]["file"].endswith("fine.yaml")
    (error,) = summary["errors"]
    assert error["case"].endswith("both.yaml")
    assert "the rule engine failed on this case (criterion hostile.short_course is both met and not met" in error["error"]

    result = run("check", folder / "both.yaml", "--rules", rules)
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"mtus: error: {folder / 'both.yaml'}: the rule engine failed (criterion hostile.short_course is both met and not met")
    assert "fix: run 'mtus rules lint' and correct the rule named" in line


# ---- no edition in force: reported, never guessed -------------------------------------------------------

LATER_TOPIC = """\
schema: mtus-rules/2
topic: hostile_opioid
title: Opioid (a topic whose only edition starts in 2016)
applies_to: {drugs: [hydrocodone/acetaminophen]}
follows:
  - {guideline: cpmtg, edition: "2016"}
criteria:
  - id: hostile_opioid.relief
    role: indication
    title: Relief
    2016-07-29:
      requirement: pain relief is documented
      citation: {guideline: cpmtg, edition: "2016", section: "Opioids, criteria for use"}
      met_when: {fact: pain_relief, eq: true}
"""


@pytest.mark.parametrize(("request_date", "soma"), [("2008-05-01", "no_applicable_rule"), ("2014-01-06", "medically_necessary")],
                         ids=["before_every_edition", "before_one_topic_s_first_edition"])
def test_an_item_with_no_edition_in_force_is_reported_never_guessed(request_date: str, soma: str, tmp_path: Path):
    rules, _ = rules_with(tmp_path, None)
    (rules / "topics" / "hostile_opioid.yaml").write_text(LATER_TOPIC, encoding="utf-8")
    assert run("rules", "lint", rules).exit_code == 0
    case = tmp_path / "case.yaml"
    case.write_text(VALID_CASE.replace("2010-03-01", "2007-03-01").replace("2013-11-20", request_date)
                    + '  - id: opioid\n    text: "Norco 10/325 mg TID #90"\n    facts: {pain_relief: true}\n', encoding="utf-8")
    report = json.loads(run("check", case, "--rules", rules, "--format", "json").stdout)
    items = {i["id"]: i for i in report["items"]}
    assert (items["relaxant"]["decision"], items["opioid"]["decision"]) == (soma, "no_applicable_rule")
    assert items["opioid"]["no_rule_reason"] == "no_edition_in_force" and items["opioid"]["edition"] is None
    assert items["opioid"]["criteria"] == []  # no criterion of any edition was applied
    text = run("check", case, "--rules", rules)
    assert text.exit_code == 0
    assert f"    no edition of the topic is in force on {request_date}" in text.stdout
    draft = run("draft", case, "--rules", rules)
    assert draft.exit_code == 0
    assert f"a topic for this item (Opioid (a topic whose only edition starts in 2016)) but no edition of it in force on {request_date}" in draft.stdout
    assert "A reviewer must decide the request under the guideline in force on that date." in draft.stdout


def test_a_long_run_of_digits_in_a_request_line_parses_in_linear_time():
    """The strength pattern tried every start inside a run of digits: 20,000 digits took 30 s, 80,000
    took 8 minutes. Now a match starts only where a run starts."""
    from checker.load.request_line import parse_request_line
    from checker.load.ruleset import load_ruleset

    ruleset = load_ruleset(REPO / "rules")
    started = time.perf_counter()
    parsed = parse_request_line("Soma " + "1" * 50_000 + " mg TID #90", ruleset.lexicon, ruleset.services)
    assert time.perf_counter() - started < 10  # quadratic: about 3 minutes
    assert parsed.strength == "1" * 50_000 + " mg" and parsed.quantity == 90


def test_a_reader_that_closes_the_pipe_early_stops_the_command_quietly(capsys):
    """`mtus rules lint | head -1`: the reader went away, so there is nothing wrong to report; the exit
    code is the shell's for a writer stopped by SIGPIPE."""
    from checker.cli import EXIT_BROKEN_PIPE, guarded

    def writes_into_a_closed_pipe() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(SystemExit) as stopped:
        guarded(writes_into_a_closed_pipe)()
    assert stopped.value.code == EXIT_BROKEN_PIPE == 141
    assert capsys.readouterr().err == ""


def test_an_unknown_surgery_trait_is_refused_with_its_file_field_and_fix(tmp_path):
    """rules/services.yaml's `traits` (what a surgery settles for the items that serve it) take only the known
    traits: a misspelt one stops `mtus rules lint` with one line naming the file, the field and the choices."""
    rules = tmp_path / "rules"
    shutil.copytree(Path(__file__).resolve().parent.parent / "rules", rules)
    services = rules / "services.yaml"
    text = services.read_text(encoding="utf-8")
    assert "traits: [customarily_assisted, significant_blood_loss, implants_material]" in text
    services.write_text(text.replace("traits: [customarily_assisted, significant_blood_loss, implants_material]",
                                     "traits: [customarily_asisted]", 1), encoding="utf-8")
    result = run("rules", "lint", rules)
    assert result.exit_code == 2, result.output
    line = result.output.strip().splitlines()[-1]
    assert "services.yaml" in line and "services.spinal_fusion.traits" in line and "unknown trait 'customarily_asisted'" in line
    assert "use one of customarily_assisted, significant_blood_loss, implants_material, high_vte_risk" in line
