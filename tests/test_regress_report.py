"""`mtus regress` figures: known divergences listed apart from the case files, the four agreement
figures beside the always-uphold baseline, the confusion table per topic, and citation matching."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from checker.load.ruleset import Citation
from checker.measure.regress import citations_agree
from tests.cli_runner import run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"



def case_with_wrong_decision(tmp_path: Path) -> Path:
    case = yaml.safe_load((EXAMPLES / "seed-000.yaml").read_text())
    case["expected"][0]["decision"] = "medically_necessary"
    path = tmp_path / "cases" / "wrong.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(case))
    return path


def divergence_file(tmp_path: Path, entries: list[dict], schema: str = "mtus-divergences/1") -> Path:
    path = tmp_path / "divergences.yaml"
    path.write_text(yaml.safe_dump({"schema": schema, "divergences": entries}))
    return path


def test_a_listed_divergence_is_counted_apart_and_the_run_passes(tmp_path):
    case = case_with_wrong_decision(tmp_path)
    item = yaml.safe_load(case.read_text())["expected"][0]["item"]
    listed = divergence_file(tmp_path, [{"case": "seed-000", "item": item, "about": "decision", "reason": "the reviewer read records the summary omits"}])
    plain = json.loads(run("regress", case.parent, "--format", "json").output)
    assert plain["disagree"] == 1 and plain["failures"] == 1

    result = run("regress", case.parent, "--divergences", listed, "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["known_divergences"] == 1 and summary["decision_divergences"] == 1 and summary["failures"] == 0
    diverging = next(r for r in summary["results"] if r["item"] == item)
    assert diverging["status"] == "known_divergence"
    assert diverging["known_divergence"]["reason"] == "the reviewer read records the summary omits"

    text = run("regress", case.parent, "--divergences", listed).output
    assert "without known decision divergences" in text


def test_a_listed_divergence_that_no_longer_occurs_is_stale(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "seed-000.yaml").write_text((EXAMPLES / "seed-000.yaml").read_text())
    item = yaml.safe_load((EXAMPLES / "seed-000.yaml").read_text())["expected"][0]["item"]
    listed = divergence_file(tmp_path, [{"case": "seed-000", "item": item, "about": "decision", "reason": "fixed since"}])
    result = run("regress", cases, "--divergences", listed)
    assert result.exit_code == 1 and "STALE_DIVERGENCE" in result.output


def test_a_bad_divergence_list_is_a_one_line_input_error(tmp_path):
    bad_about = divergence_file(tmp_path, [{"case": "c", "item": "i", "about": "mood", "reason": "r"}])
    result = run("regress", EXAMPLES, "--divergences", bad_about)
    assert result.exit_code == 2
    assert "divergences[0].about: unknown value 'mood'; fix: use decision or citation" in result.output

    twice = divergence_file(tmp_path, [{"case": "c", "item": "i", "about": "decision", "reason": "r"} for _ in range(2)])
    assert "c / i is listed twice" in run("regress", EXAMPLES, "--divergences", twice).output

    wrong_schema = divergence_file(tmp_path, [], schema="nope/1")
    result = run("regress", EXAMPLES, "--divergences", wrong_schema)
    assert result.exit_code == 2 and "write schema: mtus-divergences/1" in result.output


def test_the_report_shows_the_four_figures_beside_the_baseline_and_a_table_per_topic(tmp_path):
    case = case_with_wrong_decision(tmp_path)
    summary = json.loads(run("regress", case.parent, "--format", "json").output)
    rows = {row["topic"]: row for row in summary["topics"]}
    expected = yaml.safe_load(case.read_text())["expected"]
    assert sum(row["items"] for row in rows.values()) == len(expected) == summary["items"]
    wrong_topic = next(r["actual"]["topic"] for r in summary["results"] if not r["agree"])
    assert rows[wrong_topic]["mn_nmn"] == 1  # the letter said necessary, the tool did not

    text = run("regress", case.parent).output
    for figure in ("scope (items with an applicable rule)", "decision agreement (ruled items)", "overturns caught (IMR overturned)",
                   "citation match (ruled, letter cites)", "always-uphold baseline"):
        assert figure in text
    assert "overturns caught (IMR overturned)        0/1 (0.0%)" in text
    assert any(line.startswith(wrong_topic) for line in text.splitlines())


def test_citation_matching():
    cited = [{"guideline": "odg", "edition": "current", "section": "Gym memberships", "pages": ""},
             {"guideline": "acupuncture", "edition": "2007", "section": "Frequency and duration", "pages": ""}]
    assert citations_agree((Citation("odg", "current", "Forearm, Wrist and Hand, Gym Membership", ""),), cited)
    assert citations_agree((Citation("acupuncture", "2007", "", ""),), cited)  # the letter names only the guideline
    assert not citations_agree((Citation("acupuncture", "2016", "", ""),), cited)
    assert not citations_agree((Citation("odg", "current", "Lumbar supports", ""),), cited)
