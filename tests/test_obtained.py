"""How each fact is obtained (issue 14): `obtained: derived | extracted | reviewer` in rules/facts.yaml,
what `mtus rules lint` refuses and reports about it, and the wording check and draft use for a
fact only a reviewer can give."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.base.errors import InputError
from checker.cli import main
from checker.lint import lint, unextractable
from checker.load.ruleset import RuleSet, load_ruleset
from checker.load.vocabulary import load_vocabulary
from checker.text.extract_cues import load_extraction_cues

REPO = Path(__file__).resolve().parents[1]


def _facts_file(tmp_path: Path, spec: dict) -> Path:
    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump({"schema": "mtus-facts/1", "facts": {"x": {"type": "boolean", "label": "x", "meaning": "x", **spec}}}))
    return path


@pytest.mark.parametrize(
    ("spec", "obtained"),
    [({"obtained": "reviewer"}, "reviewer"), ({"derived": True}, "derived"), ({}, "extracted"), ({"obtained": "derived", "derived": True}, "derived")],
)
def test_obtained_is_read_and_derived_true_still_means_derived(tmp_path: Path, spec: dict, obtained: str) -> None:
    fact = load_vocabulary(_facts_file(tmp_path, spec)).facts["x"]
    assert fact.obtained == obtained
    assert fact.derived == (obtained == "derived")


@pytest.mark.parametrize(
    ("spec", "field", "problem"),
    [
        ({"obtained": "typed"}, "facts.x.obtained", "unknown value 'typed'"),
        ({"obtained": "reviewer", "derived": True}, "facts.x.derived", "contradicts obtained: reviewer"),
        ({"derived": "yes"}, "facts.x.derived", "expected true or false"),
    ],
)
def test_a_wrong_obtained_is_refused(tmp_path: Path, spec: dict, field: str, problem: str) -> None:
    with pytest.raises(InputError) as err:
        load_vocabulary(_facts_file(tmp_path, spec))
    assert err.value.field == field and problem in err.value.problem


def test_every_fact_of_the_repository_says_how_it_is_obtained(repo_ruleset: RuleSet) -> None:
    written = {}
    for path in [REPO / "rules" / "facts.yaml", *sorted((REPO / "rules" / "facts").glob("*.yaml"))]:
        written.update(yaml.safe_load(path.read_text())["facts"])
    assert [name for name, spec in written.items() if "obtained" not in spec] == []
    cued = load_extraction_cues().drafted
    for fact in repo_ruleset.vocabulary.facts.values():
        assert (fact.obtained == "extracted") == (fact.name in cued), fact.name


def _rules_with(tmp_path: Path, fact: str, obtained: str) -> Path:
    """A copy of the repository's rules in which `fact` is obtained another way."""
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    for path in [rules / "facts.yaml", *sorted((rules / "facts").glob("*.yaml"))]:
        text, count = re.subn(rf"(\n  {fact}:\n(?:    .*\n)*?)    obtained: \w+\n", rf"\g<1>    obtained: {obtained}\n", path.read_text())
        if count:
            path.write_text(text)
            return rules
    raise AssertionError(f"{fact} is not declared where this test expects it")


def test_lint_refuses_an_extracted_fact_without_cues(tmp_path: Path) -> None:
    reviewer_fact = "guideline_variance_evidence"
    assert reviewer_fact not in load_extraction_cues().drafted
    rules = _rules_with(tmp_path, reviewer_fact, "extracted")
    defects = [d for d in lint(load_ruleset(rules)) if d.field == f"facts.{reviewer_fact}.obtained"]
    assert len(defects) == 1 and "no cues" in defects[0].problem
    result = CliRunner().invoke(main, ["rules", "lint", str(rules)])
    assert result.exit_code == 1 and f"facts.{reviewer_fact}.obtained" in result.output


def test_lint_refuses_cues_for_a_fact_left_to_the_reviewer(tmp_path: Path) -> None:
    rules = _rules_with(tmp_path, "acute_muscle_spasm", "reviewer")
    defects = [d for d in lint(load_ruleset(rules)) if d.field == "facts.acute_muscle_spasm.obtained"]
    assert len(defects) == 1 and "has cues" in defects[0].problem


def test_lint_reports_per_topic_the_decisive_criteria_reading_reviewer_facts(repo_ruleset: RuleSet) -> None:
    reach = {t.topic: t for t in unextractable(repo_ruleset)}
    assert "guideline_variance_evidence" in reach["traction"].facts
    assert len(reach["traction"].reading) <= reach["traction"].criteria
    assert all(repo_ruleset.vocabulary.facts[f].obtained == "reviewer" for t in reach.values() for f in t.facts)
    result = CliRunner().invoke(main, ["rules", "lint"])
    assert result.exit_code == 0, result.output
    assert "traction: " in result.output and "guideline_variance_evidence" in result.output


LUMBAR_TRACTION = """\
schema: mtus-case/1
case: reviewer-fact
dates: {request: 2016-06-01, injury: 2014-01-01}
requests:
  - {id: t1, text: "Lumbar traction unit for home use"}
"""


def test_a_missing_reviewer_fact_needs_confirmation_not_documentation(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(LUMBAR_TRACTION)
    draft = CliRunner().invoke(main, ["draft", str(case)])
    assert draft.exit_code == 0, draft.output
    assert "Scientific evidence that this claimant reasonably requires a variance from the guideline needs the reviewer's confirmation." in draft.output
    assert "no documentation of scientific evidence" not in draft.output
    check = CliRunner().invoke(main, ["check", str(case)])
    assert "reads: guideline_variance_evidence = (needs the reviewer's confirmation)" in check.output
    report = CliRunner().invoke(main, ["check", str(case), "--format", "json"])
    item = yaml.safe_load(report.output)["items"][0]
    assert [[(a["names"], a["obtained"]) for a in group] for group in item["missing_groups"]] == [[(["guideline_variance_evidence"], "reviewer")]]
    assert item["criteria"][0]["facts"][0]["obtained"] == "reviewer"


def test_a_missing_extracted_fact_still_reads_no_documentation(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(LUMBAR_TRACTION.replace("Lumbar traction unit for home use", "Cyclobenzaprine 7.5mg #60"))
    draft = CliRunner().invoke(main, ["draft", str(case)])
    assert draft.exit_code == 0, draft.output
    assert "no documentation of" in draft.output and "reviewer's confirmation" not in draft.output
