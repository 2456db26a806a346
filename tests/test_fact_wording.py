"""How a draft states a fact's value: each non-boolean fact has its own phrase (facts.yaml `stated`),
so a rationale never reads "label of value" ("visits UR certified plus those requested of 12
visits"), which reviewers found unreadable when reading drafts as they would sign them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.base.errors import InputError
from checker.cli import main
from checker.load.ruleset import RuleSet
from checker.load.vocabulary import load_vocabulary

REPO = Path(__file__).resolve().parents[1]


def _facts_file(tmp_path: Path, spec: dict) -> Path:
    path = tmp_path / "facts.yaml"
    fact = {"type": "integer", "label": "visits", "meaning": "visits", "obtained": "derived", **spec}
    path.write_text(yaml.safe_dump({"schema": "mtus-facts/1", "facts": {"x": fact}}))
    return path


def test_every_fact_with_a_value_has_its_own_phrase(repo_ruleset: RuleSet) -> None:
    facts = repo_ruleset.vocabulary.facts.values()
    unstated = [f.name for f in facts if f.type != "boolean" and not f.stated]
    assert unstated == []
    assert all(f.stated.count("{value}") == 1 for f in facts if f.stated)


def test_a_phrase_is_read(tmp_path: Path) -> None:
    fact = load_vocabulary(_facts_file(tmp_path, {"stated": "{value} requested"})).facts["x"]
    assert fact.stated == "{value} requested"


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"stated": "visits requested"}, "expected the placeholder {value} once"),
        ({"stated": "{value} of {value}"}, "expected the placeholder {value} once"),
        ({"type": "boolean", "stated": "{value} requested"}, "a boolean fact is stated by when_true and when_false"),
    ],
)
def test_a_wrong_phrase_is_refused(tmp_path: Path, spec: dict, problem: str) -> None:
    with pytest.raises(InputError) as err:
        load_vocabulary(_facts_file(tmp_path, spec))
    assert err.value.field == "facts.x.stated" and problem in err.value.problem


def _case(tmp_path: Path, request: str, injury: str, request_date: str) -> Path:
    path = tmp_path / "case.yaml"
    case = {
        "schema": "mtus-case/1",
        "case": "wording",
        "claimant": {"age": 40},
        "dates": {"injury": injury, "request": request_date},
        "diagnoses": ["lumbar strain"],
        "requests": [{"id": "item", "text": request}],
    }
    path.write_text(yaml.safe_dump(case))
    return path


def test_a_draft_states_values_in_their_phrases_and_a_single_unit_in_the_singular(tmp_path: Path) -> None:
    case = _case(
        tmp_path,
        "X-rays of the lumbar spine",
        "2016-09-01",
        "2016-09-20",
    )
    result = CliRunner().invoke(main, ["draft", str(case)])
    assert result.exit_code == 0, result.output
    assert "a request 0.6 months after the injury, short of the required 1 month." in result.output
    assert "time from the injury to the request of" not in result.output


def test_no_example_draft_reads_label_of_value(repo_ruleset: RuleSet) -> None:
    labels = [f.label for f in repo_ruleset.vocabulary.facts.values() if f.type != "boolean"]
    for example in sorted((REPO / "examples").glob("*.yaml")):
        draft = CliRunner().invoke(main, ["draft", str(example)])
        assert draft.exit_code == 0, draft.output
        assert [label for label in labels if f"{label} of " in draft.output] == [], example.name


def test_values_given_with_their_wording_are_read(tmp_path: Path) -> None:
    spec = {"type": "string", "stated": "a {value} group", "values": {"crps": "complex regional pain syndrome", "arthritis": "arthritis"}}
    fact = load_vocabulary(_facts_file(tmp_path, spec)).facts["x"]
    assert set(fact.values) == {"crps", "arthritis"}
    assert fact.value_words == {"crps": "complex regional pain syndrome", "arthritis": "arthritis"}


def test_a_value_without_words_is_refused(tmp_path: Path) -> None:
    spec = {"type": "string", "stated": "a {value} group", "values": {"crps": None}}
    with pytest.raises(InputError) as err:
        load_vocabulary(_facts_file(tmp_path, spec))
    assert err.value.field == "facts.x.values.crps"


def test_a_draft_states_a_value_in_its_wording_not_its_name(tmp_path: Path) -> None:
    """A therapy count over the CRPS limit names the diagnosis group in words, not as "crps"."""
    path = tmp_path / "case.yaml"
    case = {
        "schema": "mtus-case/1",
        "case": "wording",
        "claimant": {"age": 40},
        "dates": {"injury": "2014-03-18", "request": "2016-09-08"},
        "diagnoses": ["complex regional pain syndrome of the right hand"],
        "facts": {"objective_functional_deficits": True, "functional_improvement": True},
        "requests": [
            {"id": "item", "text": "Physical therapy 2 x 6 right hand", "facts": {"therapy_visits_completed": 24, "physical_medicine_diagnosis": "crps"}},
        ],
    }
    path.write_text(yaml.safe_dump(case))
    result = CliRunner().invoke(main, ["draft", str(path)])
    assert result.exit_code == 0, result.output
    assert "a diagnosis in the complex regional pain syndrome (CRPS) group of the visit table" in result.output
    assert "crps group" not in result.output
    assert "The records give a diagnosis of complex regional pain syndrome of the right hand." in result.output


def test_a_draft_lists_several_diagnoses_with_and(tmp_path: Path) -> None:
    case = yaml.safe_load(_case(tmp_path, "X-rays of the lumbar spine", "2016-09-01", "2016-09-20").read_text())
    case["diagnoses"] = ["lumbar strain", "lumbar radiculitis", "sleep disturbance"]
    path = tmp_path / "three.yaml"
    path.write_text(yaml.safe_dump(case))
    result = CliRunner().invoke(main, ["draft", str(path)])
    assert result.exit_code == 0, result.output
    assert "The records give diagnoses of lumbar strain, lumbar radiculitis and sleep disturbance." in result.output


def _post_operative_case(tmp_path: Path, with_surgery: bool) -> Path:
    facts = {"therapy_visits_completed": 16, "postsurgical_condition": "arthroscopic_rotator_cuff_or_impingement_surgery"}
    therapy = {"id": "pt", "text": "Post-operative physical therapy x12 right shoulder", "facts": facts}
    requests = [therapy]
    if with_surgery:
        requests = [{"id": "repair", "text": "Right shoulder arthroscopic rotator cuff repair"}, {**therapy, "associated_with": "repair"}]
    path = tmp_path / f"post-op-{with_surgery}.yaml"
    case = {
        "schema": "mtus-case/1",
        "case": "wording",
        "claimant": {"age": 50},
        "dates": {"injury": "2016-01-22", "request": "2016-08-29"},
        "diagnoses": ["right rotator cuff tear"],
        "facts": {"objective_functional_deficits": True, "imaging_corroborates": True, "conservative_care_failed": True, "conservative_care_months": 6},
        "requests": requests,
    }
    path.write_text(yaml.safe_dump(case))
    return path


def test_a_count_derived_in_place_of_the_records_one_is_stated_as_derived(tmp_path: Path) -> None:
    """Therapy after a surgery requested with it counts none of the visits the records give (they came
    before the surgery): the draft says so rather than "0 visits already completed" beside records
    that list 16, and says a count of none in words. The same therapy without the surgery in the request counts the records' visits."""
    with_surgery = CliRunner().invoke(main, ["draft", str(_post_operative_case(tmp_path, True))])
    assert with_surgery.exit_code == 0, with_surgery.output
    assert "no visits of this therapy since the surgery it follows (the surgery is requested with it" in with_surgery.output
    assert "visits of this therapy already completed" not in with_surgery.output and "0 visits" not in with_surgery.output
    alone = CliRunner().invoke(main, ["draft", str(_post_operative_case(tmp_path, False))])
    assert alone.exit_code == 0, alone.output
    assert "28 visits in all" in alone.output and "since the surgery it follows" not in alone.output  # 16 given + 12


def test_a_derived_phrase_is_read_and_checked_like_the_phrase(tmp_path: Path) -> None:
    fact = load_vocabulary(_facts_file(tmp_path, {"stated": "{value} done", "stated_when_derived": "{value} since it"})).facts["x"]
    assert (fact.stated, fact.stated_when_derived) == ("{value} done", "{value} since it")
    with pytest.raises(InputError) as err:
        load_vocabulary(_facts_file(tmp_path, {"stated_when_derived": "since it"}))
    assert err.value.field == "facts.x.stated_when_derived" and "expected the placeholder {value} once" in err.value.problem
