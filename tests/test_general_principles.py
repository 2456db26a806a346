"""Topics of general principles (applies_to: {categories: [...]}) and requests dated after the last
encoded edition ("no edition encoded for DATE", naming the guideline that governs them)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from checker.cli import main
from checker.evaluate.evaluate import select_topic
from checker.lint import lint
from checker.load.case import load_case
from checker.load.ruleset import default_rules_dir, governing_after, load_ruleset
from tests.rulesets import cite, criterion, rules_dir, topic

RULES = load_ruleset(default_rules_dir())


def _request(tmp_path: Path, text: str):
    return load_case(_write_case(tmp_path, text, "2015-03-02"), RULES).requests[0]


def _write_case(tmp_path: Path, text: str, day: str, facts: dict | None = None) -> Path:
    path = tmp_path / "case.yaml"
    body = {"schema": "mtus-case/1", "case": "demo", "dates": {"injury": "2015-01-12", "request": day},
            "facts": facts or {}, "requests": [{"id": "a", "text": text}]}
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


def test_a_topic_naming_the_service_and_body_part_wins_over_general_principles(tmp_path):
    assert select_topic(RULES, _request(tmp_path, "MRI of the right knee")).topic == "imaging_knee"
    assert select_topic(RULES, _request(tmp_path, "Cortisone injection right knee")).topic == "joint_injection_knee"


def test_an_item_of_a_known_category_without_a_topic_is_judged_by_general_principles(tmp_path):
    chosen = {text: select_topic(RULES, _request(tmp_path, text)) for text in (
        "MRI of the left lower extremity", "Cortisone injection right wrist", "Right wrist dorsal ganglion cyst excision",
        "Transfer of care to pain management", "Visual evoked potentials")}
    assert {t: c.topic for t, c in chosen.items()} == {
        "MRI of the left lower extremity": "general_imaging",
        "Cortisone injection right wrist": "general_injections",
        "Right wrist dorsal ganglion cyst excision": "general_surgery",
        "Transfer of care to pain management": "general_consultation",
        "Visual evoked potentials": "general_electrodiagnostics",
    }
    assert all(c.general_principles for c in chosen.values())
    assert not select_topic(RULES, _request(tmp_path, "MRI of the right knee")).general_principles


def test_a_drug_never_reaches_a_topic_of_general_principles(tmp_path):
    assert select_topic(RULES, _request(tmp_path, "Gabapentin 300 mg #90")).topic == "anti_epilepsy_drugs"


def test_the_draft_says_the_item_is_judged_by_general_principles(tmp_path):
    path = _write_case(tmp_path, "MRI of the left lower extremity", "2015-03-02", {"red_flags": True})
    draft = CliRunner().invoke(main, ["draft", str(path)])
    assert draft.exit_code == 0, draft.output
    assert ("There is no topic for MRI of the left lower extremity in this rule set; it is judged by the general "
            "principles of the MTUS General Approaches 2004.") in draft.output
    check = CliRunner().invoke(main, ["check", str(path), "--format", "json"])
    item = json.loads(check.stdout)["items"][0]
    assert item["general_principles"] == "MTUS General Approaches 2004" and item["category"] == "imaging"
    knee = _write_case(tmp_path, "MRI of the right knee", "2015-03-02", {"red_flags": True})
    assert json.loads(CliRunner().invoke(main, ["check", str(knee), "--format", "json"]).stdout)["items"][0]["general_principles"] is None


def test_lint_refuses_an_unknown_category_and_two_general_topics_of_one_category(tmp_path):
    red = criterion("gen.red", "Red flag", since="2007-06-15", requirement="a red flag",
                    citation=cite("acoem2004_general", "2004", "General Approach to Initial Assessment and Documentation"),
                    met_when={"fact": "red_flags", "eq": True}, provenance={"confidence": "unconfirmed"})
    follows = [("acoem2004_general", "2004")]
    other = {**red, "id": "gen2.red"}
    rules = rules_dir(tmp_path, topic("gen", "General", {"categories": ["imaging"]}, [red], follows=follows),
                      topic("gen2", "General too", {"categories": ["imaging", "imagery"]}, [other], follows=follows))
    problems = [d.one_line() for d in lint(load_ruleset(rules))]
    assert any("applies_to.categories: unknown service category or drug class 'imagery'" in p for p in problems)
    assert any("could match topics gen and gen2 equally" in p for p in problems)


def test_requests_after_the_last_encoded_edition_name_the_guideline_that_governs_them(tmp_path):
    knee = next(t for t in RULES.topics if t.topic == "imaging_knee")
    assert governing_after(RULES, knee, dt.date(2017, 11, 30), drug=False) == []
    assert [g.guideline for g in governing_after(RULES, knee, dt.date(2017, 12, 1), drug=False)] == ["acoem2015_knee"]
    opioids = next(t for t in RULES.topics if t.topic == "opioids")
    december = [g.guideline for g in governing_after(RULES, opioids, dt.date(2017, 12, 15), drug=True)]
    january = [g.guideline for g in governing_after(RULES, opioids, dt.date(2018, 1, 2), drug=True)]
    assert "mtus_drug_formulary" not in december and "mtus_drug_formulary" in january
    path = _write_case(tmp_path, "MRI of the right knee", "2018-02-05")
    check = CliRunner().invoke(main, ["check", str(path)])
    assert "no edition encoded for 2018-02-05; governed by: ACOEM Knee Disorders (October 28, 2015) (in force from 2017-12-01)" in check.output
    draft = CliRunner().invoke(main, ["draft", str(path)])
    assert "No edition is encoded for 2018-02-05" in draft.output and "ACOEM Knee Disorders (October 28, 2015)" in draft.output
    assert "Guideline: No edition encoded for the request date; governed by ACOEM Knee Disorders (October 28, 2015)." in draft.output
    assert "no criterion decided this item" not in draft.output


def test_scope_counts_the_items_judged_by_general_principles(tmp_path):
    _write_case(tmp_path, "MRI of the left lower extremity", "2015-03-02")
    result = CliRunner().invoke(main, ["scope", str(tmp_path), "--format", "json"])
    summary = json.loads(result.stdout)
    assert summary["general_principles"] == 1 and summary["general_principles_kinds"] == [{"kind": "mri", "count": 1}]
    text = CliRunner().invoke(main, ["scope", str(tmp_path)]).output
    assert "judged by general principles (no topic names the service or body part): 1 (mri 1)" in text


def test_items_of_the_service_categories_without_a_topic_are_judged_by_their_general_principles(tmp_path):
    chosen = {text: select_topic(RULES, _request(tmp_path, text)) for text in (
        "Lace-up ankle brace", "Diathermy x6", "Speech therapy x6", "Yoga classes x10", "Respite care",
        "Assisted living facility")}
    assert {t: c.topic for t, c in chosen.items()} == {
        "Lace-up ankle brace": "general_equipment",
        "Diathermy x6": "general_modalities",
        "Speech therapy x6": "general_therapy",
        "Yoga classes x10": "general_programs",
        "Respite care": "general_home_health",
        "Assisted living facility": "general_facility",
    }
    assert all(c.general_principles for c in chosen.values())


def test_traction_and_shockwave_naming_no_region_their_topics_take_reach_the_general_modalities(tmp_path):
    topics = {text: select_topic(RULES, _request(tmp_path, text)).topic for text in (
        "Spinolator therapy (traction) times 6", "Cervical traction x6", "Unknown shockwave treatments",
        "Shockwave therapy for the lumbar spine x3", "Shockwave therapy for the left heel x3")}
    assert topics == {
        "Spinolator therapy (traction) times 6": "general_modalities",
        "Cervical traction x6": "traction",
        "Unknown shockwave treatments": "general_modalities",
        "Shockwave therapy for the lumbar spine x3": "shockwave",
        "Shockwave therapy for the left heel x3": "general_modalities",
    }


def test_treatments_not_recommended_never_reach_the_general_principles(tmp_path):
    for text in ("Cold laser therapy x6", "Prolotherapy injections", "Trigger point impedance imaging", "Thermography"):
        topic = select_topic(RULES, _request(tmp_path, text))
        assert topic.topic in ("unproven_treatments", "unproven_treatments_odg") and not topic.general_principles, text


def test_the_draft_names_the_guideline_of_the_phase_that_decided_a_general_item(tmp_path):
    acute = _write_case(tmp_path, "Diathermy x6", "2015-02-02")  # injury 2015-01-12: acute phase
    assert "judged by the general principles of the MTUS General Approaches 2004." in CliRunner().invoke(main, ["draft", str(acute)]).output
    chronic = _write_case(tmp_path, "Diathermy x6", "2016-10-03")
    assert "judged by the general principles of the MTUS Chronic Pain Medical Treatment 2016." in CliRunner().invoke(main, ["draft", str(chronic)]).output
