"""Extraction cues of the imaging and electrodiagnostic facts, on sentences written for these tests:
conservative care given (only in a list of treatment so far), a therapy program, care that helped,
mechanical joint symptoms and hernias."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checker.base.errors import InputError
from checker.extract import draft_facts
from checker.load.ruleset import load_ruleset
from checker.text.extract_cues import load_extraction_cues

REPO = Path(__file__).resolve().parents[1]
RULESET = load_ruleset(REPO / "rules")


def value(text: str, fact: str) -> Any:
    facts = draft_facts(text, [], RULESET)["facts"]
    return facts[fact]["value"] if fact in facts else "absent"


@pytest.mark.parametrize(
    ("text", "fact", "expected"),
    [
        ("Treatment to date has included physical therapy and medication.", "conservative_care_given", True),
        ("Treatment to date has included physical therapy and medication.", "therapy_program_given", True),
        ("Relevant treatments have included: work restrictions and medications.", "conservative_care_given", True),
        ("Relevant treatments have included: work restrictions and medications.", "therapy_program_given", "absent"),
        ("The treatment plan included physical therapy and medications.", "conservative_care_given", "absent"),
        ("Physical therapy six sessions was certified by utilization review.", "therapy_program_given", "absent"),
        ("Treatment rendered included a physical therapy referral.", "therapy_program_given", "absent"),
        ("Treatment has included chiropractic physiotherapy.", "therapy_program_given", "absent"),
        ("Treatment has included chiropractic physiotherapy.", "conservative_care_given", True),
        ("She takes medications for the pain.", "conservative_care_given", "absent"),
        ("She stated that six acupuncture visits have helped.", "conservative_care_failed", False),
        ("His right knee gives way and there is locking.", "mechanical_joint_symptoms", True),
        ("He was unable to bear weight after the fall.", "mechanical_joint_symptoms", True),
        ("The physician noted a reducible umbilical hernia.", "hernia_clinically_evident", True),
        ("The physician noted a reducible umbilical hernia.", "hernia_suspected", True),
        ("The MRI showed a herniated disc at L4-5.", "hernia_suspected", "absent"),
        ("A CT scan was requested to rule out an inguinal hernia.", "hernia_suspected", True),
    ],
)
def test_imaging_cues(text: str, fact: str, expected: Any) -> None:
    assert value(text, fact) == expected


def test_require_names_a_known_category(tmp_path: Path) -> None:
    cues = tmp_path / "facts.yaml"
    cues.write_text(
        "schema: mtus-extract-cues/1\nfacts:\n  red_flags:\n    require: [prior_care]\n"
        "    targets:\n      - {regex: 'red flags', value: true}\n"
    )
    with pytest.raises(InputError, match="prior_care"):
        load_extraction_cues(cues)
