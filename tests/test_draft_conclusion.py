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


def _follow_up(draft: str) -> list[str]:
    return [line for line in draft.splitlines() if line.startswith("- ")]


def test_what_only_the_reviewer_can_confirm_is_a_note_when_the_denial_rests_on_more(tmp_path: Path) -> None:
    """A denial that also rests on what the records lack keeps the reviewer's loose end (a variance
    from the visit count) out of the rationale: it follows as a note. Resting on it alone, the
    rationale says so (test above)."""
    draft = _draft(tmp_path, "Physical therapy 12 visits for the lumbar spine")
    assert "reviewer's confirmation" not in _rationale(draft)
    note = "Reviewer's note: Scientific evidence that this claimant reasonably requires a variance from the guideline needs the reviewer's confirmation."
    assert note in draft
    assert "Therefore, the request for Physical therapy 12 visits for the lumbar spine is not medically necessary." in draft


def test_a_request_too_early_is_not_asked_for_failed_care(tmp_path: Path) -> None:
    """Shoulder films eleven days after the injury: the observation period is not over, so the list of
    what to document does not ask for a failed course of conservative care."""
    case = {
        "schema": "mtus-case/1", "case": "early", "claimant": {"age": 40},
        "dates": {"injury": "2016-10-01", "request": "2016-10-12"}, "diagnoses": ["shoulder strain"],
        "requests": [{"id": "item", "text": "X-rays of the left shoulder"}],
    }
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case))
    result = CliRunner().invoke(main, ["draft", str(path)])
    assert result.exit_code == 0, result.output
    listed = _follow_up(result.output)
    assert listed and not any("failed course of conservative care" in line for line in listed)


def test_an_alternative_holding_another_is_not_said(tmp_path: Path) -> None:
    """'A, or A and B' asks for A: the draft names A once."""
    from checker.load.ruleset import default_rules_dir, load_ruleset
    from checker.report.report import _worded

    ruleset = load_ruleset(default_rules_dir())
    group = [(("test", "red_flags", "eq", True),), (("test", "red_flags", "eq", True), ("test", "surgery_planned", "eq", True))]
    assert [a["names"] for a in _worded(ruleset, group)] == [["red_flags"]]
    apart = [(("test", "red_flags", "eq", True),), (("test", "surgery_planned", "eq", True),)]
    assert [a["names"] for a in _worded(ruleset, apart)] == [["red_flags"], ["surgery_planned"]]


def test_an_entry_another_asks_for_with_more_is_not_listed() -> None:
    """'Functional improvement' beside 'functional improvement and pain relief' for the same drug: the
    list keeps the larger; an entry for another ingredient, or asking for something else, stays."""
    from checker.report.report import _without_implied

    def entry(subjects: list[str], *groups: list[str]) -> dict:
        return {"subjects": subjects, "needs": [[{"names": [name]} for name in group] for group in groups]}

    function = entry(["tramadol"], ["functional_improvement"])
    both = entry(["tramadol"], ["functional_improvement"], ["pain_relief", "pain_reduction_percent"])
    other_drug = entry(["ketoprofen"], ["functional_improvement"])
    other_need = entry(["tramadol"], ["cures_checked"])
    assert _without_implied([function, both, other_drug, other_need]) == [both, other_drug, other_need]


def test_an_approval_names_only_the_facts_that_meet_its_requirements(tmp_path: Path) -> None:
    """A met criterion with alternatives (neurological findings, entrapment signs or radiculopathy) rests
    on the alternatives the records show; a fact documented against another alternative (no
    radiculopathy) met nothing and is not among "what the guideline requires"."""
    found = {"nerve_entrapment_signs": True, "radiculopathy": False, "conservative_care_failed": True, "carpal_tunnel_or_de_quervain": True}
    rationale = _rationale(_draft(tmp_path, "EMG/NCS right upper extremity", found))
    assert "is medically necessary." in rationale
    assert "clinical signs of a focal nerve entrapment" in rationale
    assert "radiculopathy on examination" not in rationale


def test_an_approval_names_only_the_alternative_that_met_a_requirement(tmp_path: Path) -> None:
    """A requirement met by one alternative (care that failed) does not list the facts of another
    alternative it also mentions (care given without improvement), even where one of them holds too:
    a test inside an alternative that failed met nothing."""
    found = {"red_flags": True, "conservative_care_failed": True, "conservative_care_given": True, "neurologic_deficit": True}
    rationale = _rationale(_draft(tmp_path, "MRI of the right shoulder", found))
    assert "is medically necessary." in rationale
    assert "conservative care (rest, medication, physical therapy or home exercise) that failed to relieve the symptoms" in rationale
    assert "conservative treatment already given" not in rationale


def test_a_denial_still_names_a_finding_documented_against_its_indication(tmp_path: Path) -> None:
    found = {"nerve_entrapment_signs": False, "radiculopathy": False, "conservative_care_failed": True}
    rationale = _rationale(_draft(tmp_path, "EMG/NCS right upper extremity", found))
    assert "is not medically necessary." in rationale
    assert "The records document no clinical signs of a focal nerve entrapment" in rationale


def test_a_limit_exceeded_is_named_by_the_alternative_that_holds(tmp_path: Path) -> None:
    """A limit written per condition (the initial course of each surgery) names the threshold of the
    surgery documented: 24 visits after arthroscopic shoulder surgery are beyond 12, not beyond the 8 of
    another surgery's alternative, whose visit test alone would also hold."""
    found = {"postsurgical_condition": "arthroscopic_rotator_cuff_or_impingement_surgery", "therapy_visits_completed": 0, "objective_functional_deficits": True}
    rationale = _rationale(_draft(tmp_path, "Post-op physical therapy 3 times a week for 8 weeks for the right shoulder", found))
    assert "is not medically necessary." in rationale
    assert "24 visits requested, beyond the limit of 12 visits" in rationale
    assert "limit of 8 visits" not in rationale
