"""How a request finds its rule: request parsing (services, body parts, visits, routes, compounds),
topic specificity, editions chosen by date and `when:`, compounds decided per ingredient, the era's
citation style, and the lint checks that keep selection unambiguous.

The topics here are written for the test into a copy of the repository's vocabulary and lexicons,
so the test does not depend on the clinical content of rules/topics/."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml
from rulesets import cite, criterion, rules_dir, topic

from checker.api import Checker
from checker.lint import lint
from checker.load.case import load_case
from checker.load.request_line import parse_request_line, parse_visits, visits_of_service
from checker.load.ruleset import load_ruleset
from checker.render.render import render

REPO_RULES = Path(__file__).resolve().parent.parent / "rules"


def _knee(section: str, pages: str = "") -> dict:
    return cite("acoem2004_knee", "2004", section, pages)


# Chronic knee complaints follow the knee chapter, acute ones (under 3 months) the general approaches:
# `when:` picks the followed edition, `under:` keeps each criterion to its own.
KNEE_MRI = topic("test_knee_imaging", "Knee imaging (test)", {"services": ["mri"], "body_parts": ["knee"]}, [
    criterion("test.knee.red_flags", "Red flags", since="2007-06-15", under=["acoem2004_knee"],
              requirement="imaging needs red flags", citation=_knee("Special Studies", "335-336"),
              met_when={"fact": "red_flags", "eq": True}),
    criterion("test.knee.acute_conservative", "Conservative care first", since="2007-06-15", under=["acoem2004_general"],
              requirement="conservative care first", citation=_knee("Initial Care"),
              met_when={"fact": "conservative_care_failed", "eq": True}),
], follows=[
    {"guideline": "acoem2004_knee", "edition": "2004", "when": {"fact": "months_since_injury", "gte": 3}},
    ("acoem2004_general", "2004"),
])

ANY_MRI = topic("test_any_imaging", "Imaging (test)", {"services": ["mri"]}, [
    criterion("test.any.prior_imaging", "No earlier study", since="2007-06-15",
              requirement="no earlier study", citation=cite("acoem2004_general", "2004", "Special Studies"),
              met_when={"fact": "prior_imaging", "eq": False}),
], follows=[("acoem2004_general", "2004")])

TOPICAL = topic("test_topical", "Topical analgesics (test)",
                {"drug_classes": ["nsaid", "muscle_relaxant", "anti_epilepsy_drug"], "routes": ["topical"]}, [
    criterion("test.topical.agent", "Agent recommended topically", since="2016-07-29",
              requirement="the agent is one the guideline recommends topically",
              citation=cite("cpmtg", "2016", "Topical analgesics"),
              met_when={"fact": "drug", "in": ["diclofenac"]},
              not_met_when={"fact": "drug", "in": ["cyclobenzaprine", "gabapentin"]}),
], follows=[("cpmtg", "2016")])


def _case(tmp_path: Path, requests: list[dict], request_date: str = "2016-09-01", injury: str | None = "2016-01-10", facts: dict | None = None) -> Path:
    dates = {"request": request_date, **({"injury": injury} if injury else {})}
    body = {"schema": "mtus-case/1", "case": "t", "dates": dates, "facts": facts or {}, "requests": requests}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def repo_rules():
    return load_ruleset(REPO_RULES)


@pytest.mark.parametrize(("text", "service", "body_parts", "visits"), [
    ("Continue physical therapy 3 times a week for 2 weeks", "physical_therapy", (), 6),
    ("Physical therapy 2-3 times a week for 6 weeks", "physical_therapy", (), 18),
    ("Initial acupuncture, 1 to 2 times per week for 4 weeks, for the neck", "acupuncture", ("cervical_spine",), 8),
    ("Four sessions of physical therapy two times a week times 2 weeks", "physical_therapy", (), 4),
    ("Twelve physical therapy sessions, three times weekly, for the right elbow", "physical_therapy", ("elbow",), 12),
    ("Chiropractic spinal manipulation times 6", "chiropractic", (), 6),
    ("Acupuncture therapy sessions lumbar spine #6", "acupuncture", ("lumbar_spine",), 6),
    ("MRI of neck and right hand without contrast", "mri", ("cervical_spine", "wrist_hand"), None),
    ("EMG/NCV bilateral upper extremity", "emg_ncs", ("upper_extremity",), None),
    ("Right L4 transforaminal epidural steroid injection", "epidural_steroid_injection", ("lumbar_spine",), None),
    ("Wrist braces #2", "brace", ("wrist_hand",), None),
    ("Aquatic therapy 2 times a week for 4 weeks for the lumbar spine", "aquatic_therapy", ("lumbar_spine",), 8),
    ("Lumbar brace purchase", "lumbar_support", ("lumbar_spine",), None),
    ("Back brace for the low back", "lumbar_support", ("lumbar_spine",), None),
])
def test_service_requests_are_parsed(repo_rules, text, service, body_parts, visits):
    parsed = parse_request_line(text, repo_rules.lexicon, repo_rules.services)
    assert (parsed.service, parsed.body_parts, parsed.visits) == (service, body_parts, visits)
    assert parsed.drug_named == ""


@pytest.mark.parametrize(("text", "service"), [
    ("Ultrasound-guided cortisone injection of the right shoulder", "joint_injection"),
    ("CT-guided epidural steroid injection L4-5", "epidural_steroid_injection"),
    ("Right knee injection under ultrasound guidance", "joint_injection"),
    ("CT guided facet injection L4-5", "facet_injection"),
    ("CT scan of the lumbar spine", "ct"),
    ("Ultrasound of the right shoulder", "diagnostic_ultrasound"),
])
def test_the_imaging_that_guides_a_procedure_is_not_the_service_requested(repo_rules, text, service):
    """What is requested is the procedure; the imaging named as its guidance is how it is done."""
    assert parse_request_line(text, repo_rules.lexicon, repo_rules.services).service == service


@pytest.mark.parametrize(("text", "service"), [
    ("Left first dorsal compartment (de Quervain) release", "de_quervain_release"),
    ("Left first dorsal compartment release", "de_quervain_release"),
    ("MRI (lumbar spine) without contrast", "mri"),
    ("Physical therapy (2x6) for the lumbar spine", "physical_therapy"),
])
def test_a_gloss_in_brackets_inside_a_service_name_is_part_of_the_name(repo_rules, text, service):
    """A name glossed in brackets ("first dorsal compartment (de Quervain) release") is the same name: the
    brackets read as spaces; a line without them reads as before."""
    assert parse_request_line(text, repo_rules.lexicon, repo_rules.services).service == service


def test_quantity_of_equipment_is_not_read_as_visits(repo_rules):
    parsed = parse_request_line("Wrist braces #2", repo_rules.lexicon, repo_rules.services)
    assert (parsed.quantity, parsed.visits) == (2, None)


@pytest.mark.parametrize(("text", "timing"), [
    ("Pre-op chest x-ray", "preoperative"),
    ("Medical Clearance", "preoperative"),
    ("Post-op physical therapy 2 times a week for 4 weeks", "postoperative"),
    ("Associated surgical service: Cold compression therapy 30 day rental", "postoperative"),
    ("MRI of the right knee", ""),
])
def test_timing_is_read_from_the_request(repo_rules, text, timing):
    assert parse_request_line(text, repo_rules.lexicon, repo_rules.services).timing == timing


def test_compound_lists_its_ingredients_and_is_topical(repo_rules):
    parsed = parse_request_line("Gabapentin 10%, Cyclobenzaprine 6% in cream base, 240 grams", repo_rules.lexicon, repo_rules.services)
    assert [(i.drug, i.strength) for i in parsed.ingredients] == [("Gabapentin", "10%"), ("Cyclobenzaprine", "6%")]
    assert parsed.route == "topical" and parsed.drug_named == ""


def test_a_drug_named_before_a_service_word_is_a_drug_request(repo_rules):
    parsed = parse_request_line("Post-op Norco 5/325mg #60, 1-2 tabs orally every 4-6 hrs", repo_rules.lexicon, repo_rules.services)
    assert (parsed.drug_named, parsed.service, parsed.route, parsed.timing, parsed.quantity) == ("Norco", "", "oral", "postoperative", 60)


@pytest.mark.parametrize(("text", "expected"), [
    ("PT x6", 6), ("therapy 2x6", 12), ("six visits", 6), ("MRI of the knee", None),
    ("Massage therapy 1 time a week for 6 weeks, cervical spine", 6),  # "1 time", singular (batch 48)
    # a monthly schedule (batch 52): its visits a month times its months
    ("Chiropractic manipulation 1 time a month for 6 months, lumbar spine", 6), ("Chiropractic care monthly for 12 months", 12),
    ("Acupuncture 2x/month x 3 months", 6), ("Chiropractic care once a month", None),
])
def test_parse_visits(text, expected):
    assert parse_visits(text) == expected


@pytest.mark.parametrize(
    ("text", "service", "expected"),
    [
        # a functional restoration programme counts its full days: weeks of 5, hours as days of 8 (rounded up)
        ("Functional restoration program x 10 days", "functional_restoration_program", 10),
        ("FRP x 2 weeks", "functional_restoration_program", 10),
        ("Functional restoration program 160 hours", "functional_restoration_program", 20),
        ("FRP x 80 hours (10 days)", "functional_restoration_program", 10),
        ("FRP, remaining 5 of 10 additional days", "functional_restoration_program", 5),
        ("FRP 5 days a week for 4 weeks", "functional_restoration_program", 20),
        # other services keep the visit patterns: a therapy's days a week are its visits a week, hours are none
        ("Physical therapy 3 days a week for 4 weeks", "physical_therapy", 12),
        ("Physical therapy 80 hours", "physical_therapy", None),
    ],
)
def test_a_full_day_programme_counts_its_days(text, service, expected):
    assert visits_of_service(text, service) == expected


def _check(tmp_path: Path, rules: Path, case: Path) -> dict:
    return Checker(rules).check(case).report["items"][0]


def test_body_part_topic_wins_over_the_general_one(tmp_path):
    rules = rules_dir(tmp_path, KNEE_MRI, ANY_MRI)
    assert lint(load_ruleset(rules)) == []
    knee = _check(tmp_path, rules, _case(tmp_path, [{"id": "a", "text": "MRI of the right knee"}]))
    shoulder = _check(tmp_path, rules, _case(tmp_path, [{"id": "a", "text": "MRI of the right shoulder"}]))
    assert knee["topic"]["id"] == "test_knee_imaging"
    assert shoulder["topic"]["id"] == "test_any_imaging"


@pytest.mark.parametrize(("injury", "edition", "reason"), [
    ("2016-08-01", "acoem2004_general-2004", None),  # one month: acute
    ("2016-01-10", "acoem2004_knee-2004", None),     # almost eight months: chronic
    (None, None, "edition_undetermined"),            # no injury date: the guideline cannot be chosen
])
def test_when_chooses_the_edition_and_unknown_does_not_guess(tmp_path, injury, edition, reason):
    rules = rules_dir(tmp_path, KNEE_MRI)
    item = _check(tmp_path, rules, _case(tmp_path, [{"id": "a", "text": "MRI of the right knee"}], injury=injury))
    assert (item["edition"], item["no_rule_reason"]) == (edition, reason)
    if reason:
        assert item["decision"] == "no_applicable_rule"
        assert item["undetermined_by"] == ["time from the injury to the request"]


def test_undetermined_edition_is_explained_in_the_draft(tmp_path):
    rules = rules_dir(tmp_path, KNEE_MRI)
    result = Checker(rules).check(_case(tmp_path, [{"id": "a", "text": "MRI of the right knee"}], injury=None))
    draft = render("draft", "text", {"report": result.report})
    assert "depends on time from the injury to the request" in draft


def test_compound_is_denied_by_one_unrecommended_ingredient(tmp_path):
    rules = rules_dir(tmp_path, TOPICAL)
    item = _check(tmp_path, rules, _case(tmp_path, [{"id": "a", "text": "Diclofenac 5%, Cyclobenzaprine 2% cream"}]))
    statuses = {(c["subject"], c["status"]) for c in item["criteria"]}
    assert statuses == {("diclofenac", "met"), ("cyclobenzaprine", "not_met")}
    assert item["decision"] == "not_medically_necessary"
    assert item["decisive"] == ["test.topical.agent[cyclobenzaprine]"]
    assert [c["subject"] for c in item["criteria"] if c["decisive"]] == ["cyclobenzaprine"]


def test_compound_of_recommended_ingredients_and_single_topical(tmp_path):
    rules = rules_dir(tmp_path, TOPICAL)
    single = _check(tmp_path, rules, _case(tmp_path, [{"id": "a", "text": "Voltaren gel 1% 100 grams"}]))
    assert (single["topic"]["id"], single["route"], single["decision"]) == ("test_topical", "topical", "medically_necessary")
    oral = _check(tmp_path, rules, _case(tmp_path, [{"id": "a", "text": "Voltaren 75 mg BID #60"}]))
    assert oral["decision"] == "no_applicable_rule"  # the test topic is for the topical route only


def test_compound_with_an_ingredient_no_topic_covers(tmp_path):
    rules = rules_dir(tmp_path, TOPICAL)
    item = _check(tmp_path, rules, _case(tmp_path, [{"id": "a", "text": "Diclofenac 5%, Tramadol 5% cream"}]))
    assert item["decision"] == "no_applicable_rule"


@pytest.mark.parametrize(("request_date", "expected"), [
    ("2015-09-01", "MTUS Knee Complaints 2004, Special Studies, Page(s): 335-336"),
    ("2016-09-01", "MTUS Knee Complaints 2004, Section(s): Special Studies"),
])
def test_draft_cites_the_way_letters_of_the_era_do(tmp_path, request_date, expected):
    rules = rules_dir(tmp_path, KNEE_MRI)
    case = _case(tmp_path, [{"id": "a", "text": "MRI of the right knee"}], request_date=request_date, injury="2014-01-01")
    draft = render("draft", "text", {"report": Checker(rules).check(case).report})
    assert f"Decision based on {expected}." in draft


def test_non_mtus_citation_is_marked(tmp_path):
    odg = copy.deepcopy(ANY_MRI)
    odg["criteria"][0][dt.date(2007, 6, 15)]["citation"] = cite("odg", "current", "Knee & Leg, MRI's")
    rules = rules_dir(tmp_path, odg)
    result = Checker(rules).check(_case(tmp_path, [{"id": "a", "text": "MRI of the right knee"}], facts={"prior_imaging": True}))
    assert result.report["items"][0]["non_mtus"] is True
    expected = "Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Section(s): Knee & Leg, MRI's."
    assert expected in render("draft", "text", {"report": result.report})


def test_lint_refuses_equally_specific_topics(tmp_path):
    twin = copy.deepcopy(ANY_MRI)
    twin["topic"] = "test_any_imaging_twin"
    twin["criteria"][0]["id"] = "test.twin.prior"
    defects = lint(load_ruleset(rules_dir(tmp_path, ANY_MRI, twin)))
    assert any("could match topics test_any_imaging and test_any_imaging_twin equally" in d.problem for d in defects)


def test_lint_refuses_overlapping_editions_without_when(tmp_path):
    broken = copy.deepcopy(KNEE_MRI)
    del broken["follows"][0]["when"]
    defects = lint(load_ruleset(rules_dir(tmp_path, broken)))
    assert any(d.field == "follows[0]" and "editions acoem2004_knee-2004 and acoem2004_general-2004 are both in force" in d.problem for d in defects)


def test_lint_refuses_unknown_service_and_body_part(tmp_path):
    broken = {**KNEE_MRI, "applies_to": {"services": ["mir"], "body_parts": ["kne"]}}
    problems = {d.problem for d in lint(load_ruleset(rules_dir(tmp_path, broken)))}
    assert {"unknown service 'mir'", "unknown body part 'kne'"} <= problems


def test_unknown_body_part_in_a_case_is_a_one_line_error(tmp_path, repo_rules):
    from checker.base.errors import InputError

    case = _case(tmp_path, [{"id": "a", "text": "MRI", "body_parts": ["kneee"]}])
    with pytest.raises(InputError) as error:
        load_case(case, repo_rules)
    assert "requests[0].body_parts" in error.value.one_line() and "did you mean 'knee'?" in error.value.one_line()


def test_undocumented_alternatives_are_grouped():
    from checker.load.conditions import parse_condition, unknown_groups

    cond = parse_condition({"all": [
        {"fact": "red_flags", "eq": True},
        {"any": [{"fact": "radiculopathy", "eq": True}, {"fact": "neurologic_deficit", "eq": True}]},
        {"any": [{"fact": "prior_imaging", "eq": False}, {"fact": "significant_change", "eq": True}]},
    ]}, "t", "")
    assert unknown_groups(cond, {"prior_imaging": False}) == [("red_flags",), ("radiculopathy", "neurologic_deficit")]
    assert unknown_groups(cond, {"red_flags": False}) == []  # already decided: not met


def test_a_service_name_implies_facts_the_records_can_override(tmp_path, repo_rules):
    from checker.derive.derive import derive_item_facts

    requests = [{"id": "a", "text": "Pre-op labs: CBC"}, {"id": "b", "text": "Pre-op labs", "facts": {"lab_test": "urinalysis"}}]
    case = load_case(_case(tmp_path, requests), repo_rules)
    implied, documented = (derive_item_facts(case, r, repo_rules.lexicon, repo_rules.services) for r in case.requests)
    assert (case.requests[0].service, implied["lab_test"].value, implied["lab_test"].origin) == ("cbc", "cbc", "derived")
    assert (documented["lab_test"].value, documented["lab_test"].origin) == ("urinalysis", "structured")


def test_lint_checks_the_facts_a_service_implies(tmp_path):
    rules = rules_dir(tmp_path, ANY_MRI)
    services = yaml.safe_load((rules / "services.yaml").read_text())
    services["services"]["mri"]["implies"] = {"lab_test": "x-ray", "no_such_fact": True}
    (rules / "services.yaml").write_text(yaml.safe_dump(services, sort_keys=False))
    problems = {d.problem for d in lint(load_ruleset(rules))}
    assert "lab_test has no value 'x-ray'" in problems and "unknown fact 'no_such_fact'" in problems
