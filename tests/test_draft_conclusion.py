"""The conclusion of a denial that rests only on what a reviewer must confirm says so: unknown is not
false, so the draft denies "without that confirmation" rather than as if the records lacked it."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from checker.cli import main


def _draft(tmp_path: Path, request: str, facts: dict | None = None) -> str:
    case = {
        "schema": "mtus-case/1",
        "case": "conclusion",
        "claimant": {"age": 70},
        "dates": {"injury": "2016-10-01", "request": "2016-11-01"},
        "diagnoses": ["foot fracture"],
        "requests": [{"id": "item", "text": request}],
        **({"facts": facts} if facts else {}),
    }
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case))
    result = CliRunner().invoke(main, ["draft", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_denial_resting_on_the_reviewer_s_confirmation_says_so(tmp_path: Path) -> None:
    draft = _draft(tmp_path, "Acute inpatient rehabilitation 7 days")
    assert "need the reviewer's confirmation. Therefore, without that confirmation, the request for" in draft


def test_a_denial_on_missing_documentation_concludes_plainly(tmp_path: Path) -> None:
    draft = _draft(tmp_path, "MRI of the lumbar spine")
    assert "There is no documentation of" in draft
    assert "Therefore, the request for MRI of the lumbar spine is not medically necessary." in draft
    assert "without that confirmation" not in draft


def _rationale(draft: str) -> str:
    return next(line for line in draft.splitlines() if line.startswith("Decision rationale:"))


def test_an_approval_states_the_requirement_then_what_the_records_show_that_meets_it(tmp_path: Path) -> None:
    """A requirement is worded as the guideline's ("Under the ..., active therapy ... must record the
    measured deficits"), never as the condition of an approval ("support this treatment when ...
    needs ..."); what meets it is what the records document."""
    draft = _draft(tmp_path, "Six physical therapy visits for the lumbar spine", {"objective_functional_deficits": True})
    rationale = _rationale(draft)
    assert "is medically necessary." in rationale
    assert rationale.startswith("Decision rationale: Under the ")
    assert "support this treatment when" not in rationale
    assert "The records document what the guideline requires: objective functional deficits" in rationale


def test_a_lumbar_mri_denial_states_no_requirement_of_another_study(tmp_path: Path) -> None:
    """The red-flag requirement of low back imaging decides MRI, CT and plain films alike, so it names
    none of them: an MRI denial says nothing of plain x-rays."""
    rationale = _rationale(_draft(tmp_path, "MRI of the lumbar spine"))
    assert "red-flag diagnosis" in rationale
    assert "x-ray" not in rationale.lower()
