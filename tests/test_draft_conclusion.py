"""The conclusion of a denial that rests only on what a reviewer must confirm says so: unknown is not
false, so the draft denies "without that confirmation" rather than as if the records lacked it."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from checker.cli import main


def _draft(tmp_path: Path, request: str) -> str:
    case = {
        "schema": "mtus-case/1",
        "case": "conclusion",
        "claimant": {"age": 70},
        "dates": {"injury": "2016-10-01", "request": "2016-11-01"},
        "diagnoses": ["foot fracture"],
        "requests": [{"id": "item", "text": request}],
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
