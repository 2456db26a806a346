"""Derived facts: request lines, durations, doses, morphine equivalents and drug names."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from checker.derive.derive import derive_item_facts, doses_per_day
from checker.load.case import load_case
from checker.load.request_line import parse_request_line


@pytest.mark.parametrize(
    ("name", "generic"),
    [("Soma", "carisoprodol"), ("Carsoprodol", "carisoprodol"), ("Norco", "hydrocodone/acetaminophen"),
     ("Valium", "diazepam"), ("Zanaflex", "tizanidine"), ("tizanadine", "tizanidine"), ("OXYCODONE", "oxycodone")],
)
def test_names_resolve_to_the_generic(repo_ruleset, name, generic):
    assert repo_ruleset.lexicon.resolve(name).drug.generic == generic


@pytest.mark.parametrize("name", ["Xyzzoprodol", "Soma Coma", "cod", "Tylenol-ish"])
def test_far_or_ambiguous_names_are_not_guessed(repo_ruleset, name):
    assert repo_ruleset.lexicon.resolve(name) is None


@pytest.mark.parametrize(
    ("frequency", "per_day"),
    [("BID", 2), ("tid", 3), ("QID", 4), ("daily", 1), ("Q 8 hours PRN", 3), ("q6h", 4), ("every 12 hours", 2), ("twice per day", 2), ("as needed", None),
     ("t.i.d.", 3), ("b.i.d. prn", 2), ("Q4-6H PRN", 6), ("q.8h", 3)],
)
def test_doses_per_day(frequency, per_day):
    assert doses_per_day(frequency) == per_day


def _facts(tmp_path: Path, ruleset, body: dict, item: int = 0, services: bool = False) -> dict:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({"case": "t", "dates": {"injury": "2010-01-01", "request": "2014-06-10"}, **body}))
    case = load_case(path, ruleset)
    lexicon = ruleset.services if services else None
    return {k: v.value for k, v in derive_item_facts(case, case.requests[item], ruleset.lexicon, lexicon).items()}


def test_days_supply_dose_and_morphine_equivalents(tmp_path, repo_ruleset):
    soma = _facts(tmp_path, repo_ruleset, {"requests": [{"text": "Soma 350 mg BID #60"}]})
    assert soma["days_supply"] == 30 and soma["daily_dose_mg"] == 700 and "med_per_day" not in soma
    oxy = _facts(tmp_path, repo_ruleset, {"requests": [{"text": "Oxycodone 20 mg one tab PO Q 8 hours PRN #60"}]})
    assert oxy["days_supply"] == 20 and oxy["daily_dose_mg"] == 60 and oxy["med_per_day"] == 90
    norco = _facts(tmp_path, repo_ruleset, {"requests": [{"text": "Norco 10/325 mg 2 tabs TID #180"}]})
    assert norco["days_supply"] == 30 and norco["daily_dose_mg"] == 60 and norco["med_per_day"] == 60


def test_brand_with_a_number_sign_and_the_closing_count(repo_ruleset):
    parsed = parse_request_line("Tylenol with Codeine #3 1 tab q6h #60", repo_ruleset.lexicon)
    assert repo_ruleset.lexicon.resolve(parsed.drug_named).drug.generic == "codeine/acetaminophen"
    assert parsed.quantity == 60


def test_since_at_least_is_a_lower_bound_only(tmp_path, repo_ruleset):
    facts = _facts(tmp_path, repo_ruleset, {"medications": [{"drug": "Soma", "documented_since": "2014-03-11"}], "requests": [{"text": "Soma 350 mg"}]})
    assert facts["weeks_of_use_at_least"] == 13.0 and "weeks_of_use" not in facts  # 91 days


def test_a_restarted_drug_counts_from_the_restart(tmp_path, repo_ruleset):
    meds = [{"drug": "Soma", "status": "past", "documented_since": "2013-01-15"}, {"drug": "Soma", "started": "2014-05-27"}]
    facts = _facts(tmp_path, repo_ruleset, {"medications": meds, "requests": [{"text": "Soma 350 mg TID #21"}]})
    assert facts["weeks_of_use"] == 2.0 and facts["weeks_of_use_at_least"] == 2.0


def test_other_muscle_relaxants_needs_a_medication_list(tmp_path, repo_ruleset):
    alone = _facts(tmp_path, repo_ruleset, {"requests": [{"text": "Zanaflex 4 mg"}]})
    assert "other_muscle_relaxants" not in alone  # no list: not documented, not zero
    both = _facts(tmp_path, repo_ruleset, {"requests": [{"text": "Zanaflex 4 mg"}, {"text": "Soma 350 mg"}]})
    assert both["other_muscle_relaxants"] == 1
    listed = _facts(tmp_path, repo_ruleset, {"medications": [{"drug": "naproxen"}], "requests": [{"text": "Zanaflex 4 mg"}]})
    assert listed["other_muscle_relaxants"] == 0


def test_other_nsaids_counted_from_the_medication_list(tmp_path, repo_ruleset):
    alone = _facts(tmp_path, repo_ruleset, {"requests": [{"text": "Naproxen 500 mg #60"}]})
    assert "other_nsaids" not in alone  # no list: not documented, not zero
    listed = _facts(tmp_path, repo_ruleset, {"medications": [{"drug": "Norflex"}], "requests": [{"text": "Naproxen 500 mg #60"}]})
    assert listed["other_nsaids"] == 0
    both = _facts(tmp_path, repo_ruleset, {"medications": [{"drug": "Motrin"}], "requests": [{"text": "Naproxen 500 mg #60"}]})
    assert both["other_nsaids"] == 1


def test_a_listed_drug_requested_as_a_topical_product_is_no_systemic_nsaid(tmp_path, repo_ruleset):
    """A gastric protector guards against systemic NSAIDs: the diclofenac on the list, requested as a gel, is that gel
    continued (the list does not say its form); a listed oral NSAID still counts (batch 41)."""
    requests = [{"text": "Voltaren gel 1% 100g #2"}, {"text": "Omeprazole 20 mg #30"}]
    gel = _facts(tmp_path, repo_ruleset, {"medications": [{"drug": "diclofenac"}], "requests": requests}, item=1)
    assert gel["nsaids_alongside"] == 0
    oral = _facts(tmp_path, repo_ruleset, {"medications": [{"drug": "diclofenac"}, {"drug": "naproxen"}], "requests": requests}, item=1)
    assert oral["nsaids_alongside"] == 1


def _visit_facts(tmp_path: Path, ruleset, request: dict, facts: dict | None = None) -> dict:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({"case": "t", "dates": {"injury": "2016-10-01", "request": "2016-12-01"}, "facts": facts or {}, "requests": [request]}))
    case = load_case(path, ruleset)
    return {k: v.value for k, v in derive_item_facts(case, case.requests[0], ruleset.lexicon, ruleset.services).items()}


def test_visits_total_counts_completed_certified_and_requested(tmp_path, repo_ruleset):
    remainder = {"text": "Physical therapy 4 visits", "original_text": "Physical therapy 6 visits", "certified": "Physical therapy 2 visits"}
    facts = _visit_facts(tmp_path, repo_ruleset, remainder, {"therapy_visits_completed": 6})
    assert (facts["visits_requested"], facts["visits_certified"], facts["visits_total"]) == (4, 2, 12)
    assert "visits_total_at_least" not in facts


def test_completed_visits_unknown_gives_a_lower_bound_from_certified_plus_requested(tmp_path, repo_ruleset):
    remainder = {"text": "2 sessions of physical therapy", "original_text": "Physical therapy 12 sessions", "certified": "Physical therapy for 10 sessions"}
    facts = _visit_facts(tmp_path, repo_ruleset, remainder)
    assert facts["visits_total_at_least"] == 12 and "visits_total" not in facts
    lone = _visit_facts(tmp_path, repo_ruleset, {"text": "Physical therapy 2 times a week for 4 weeks"})
    assert (lone["visits_certified"], lone["visits_total_at_least"]) == (0, 8)  # nothing certified: the request alone


def test_certified_part_of_a_modified_whole_request_is_not_counted_twice(tmp_path, repo_ruleset):
    """UR modified the request and IMR reviews the whole original: the certified visits are among
    the requested ones."""
    whole = {"text": "Physical therapy 12 sessions to the right elbow", "original_text": "physical therapy 12 sessions to the right elbow",
             "certified": "2 sessions of occupational therapy"}
    facts = _visit_facts(tmp_path, repo_ruleset, whole, {"therapy_visits_completed": 6})
    assert (facts["visits_certified"], facts["visits_total"]) == (0, 18)


def test_the_lower_bound_says_what_it_counted(tmp_path, repo_ruleset):
    path = tmp_path / "case.yaml"
    remainder = {"text": "Chiropractic 6 visits", "original_text": "Chiropractic 12 visits", "certified": "Chiropractic 6 visits"}
    path.write_text(yaml.safe_dump({"case": "t", "dates": {"request": "2016-12-01"}, "requests": [remainder]}))
    case = load_case(path, repo_ruleset)
    basis = derive_item_facts(case, case.requests[0], repo_ruleset.lexicon, repo_ruleset.services)["visits_total_at_least"].source
    assert basis == "certified=6; requested=6; completed=not documented"


@pytest.mark.parametrize(
    ("text", "days", "purchase"),
    [("Cold compression therapy 30 day rental", 30, False), ("Cryotherapy unit, seven day use", 7, None),
     ("H-wave unit purchase", None, True), ("Interferential unit 1 month trial", 30, False), ("Wheelchair", None, None),
     ("Knee scooter rental x 2 weeks", 14, False)],
)
def test_equipment_length_of_use_and_purchase_come_from_the_request_line(tmp_path, repo_ruleset, text, days, purchase):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({"case": "t", "dates": {"injury": "2015-01-01", "request": "2015-06-10"}, "requests": [{"text": text}]}))
    case = load_case(path, repo_ruleset)
    facts = {k: v.value for k, v in derive_item_facts(case, case.requests[0], repo_ruleset.lexicon, repo_ruleset.services).items()}
    assert facts.get("days_of_use_requested") == days
    assert facts.get("purchase_requested") is purchase


def test_a_modality_given_in_sessions_has_no_length_of_use(tmp_path, repo_ruleset):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({"case": "t", "dates": {"injury": "2015-01-01", "request": "2015-06-10"},
                                    "requests": [{"text": "Interferential 2 times a week for 4 weeks"}]}))
    case = load_case(path, repo_ruleset)
    facts = derive_item_facts(case, case.requests[0], repo_ruleset.lexicon, repo_ruleset.services)
    assert "days_of_use_requested" not in facts and "purchase_requested" not in facts


@pytest.mark.parametrize(
    ("text", "hours"),
    [("Home health aide 8 hours a day, 5 days a week", 40), ("Home health aide 4 hours per week", 4),
     ("Caregiver 6 hours per day", 42), ("Home nursing 3 hrs/day 3x/week", 9), ("Home care 24/7", 168),
     ("24 hour care by a home health aide", 168), ("Home health aide", None)],
)
def test_home_care_hours_a_week(tmp_path, repo_ruleset, text, hours):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({"case": "t", "dates": {"injury": "2015-01-01", "request": "2015-06-10"}, "requests": [{"text": text}]}))
    case = load_case(path, repo_ruleset)
    facts = {k: v.value for k, v in derive_item_facts(case, case.requests[0], repo_ruleset.lexicon, repo_ruleset.services).items()}
    assert facts.get("hours_per_week_requested") == hours


def test_pain_reduction_from_the_scores_else_from_the_relief_stated(tmp_path, repo_ruleset):
    def facts(given: dict) -> dict:
        return _facts(tmp_path, repo_ruleset, {"facts": {k: {"value": v} for k, v in given.items()}, "requests": [{"text": "Gabapentin 300 mg TID #90"}]})

    assert facts({"pain_score_without_medication": 8, "pain_score_with_medication": 4})["pain_reduction_percent"] == 50.0
    assert facts({"pain_relief_percent": 40})["pain_reduction_percent"] == 40
    # scores, when both are given, decide over a stated share
    both = facts({"pain_score_without_medication": 10, "pain_score_with_medication": 8, "pain_relief_percent": 50})
    assert both["pain_reduction_percent"] == 20.0
    assert "pain_reduction_percent" not in facts({"pain_score_without_medication": 8})


def test_a_duration_of_use_in_any_form_is_a_lower_bound(tmp_path, repo_ruleset):
    meds = [{"drug": "gabapentin", "duration_days": 547}]
    facts = _facts(tmp_path, repo_ruleset, {"medications": meds, "requests": [{"text": "Gabapentin 300 mg TID #90"}]})
    assert facts["weeks_of_use_at_least"] == 78.1 and "weeks_of_use" not in facts


def test_a_drug_missing_from_a_current_medication_list_is_started_by_the_request(tmp_path, repo_ruleset):
    listed = _facts(tmp_path, repo_ruleset, {"medications": [{"drug": "naproxen"}], "requests": [{"text": "Lidoderm 5% patch #30"}]})
    assert listed["weeks_of_use"] == 0.0 and listed["weeks_of_use_at_least"] == 0.0
    no_list = _facts(tmp_path, repo_ruleset, {"requests": [{"text": "Lidoderm 5% patch #30"}]})
    assert "weeks_of_use" not in no_list  # nothing is read from the absence of a list
    past_only = _facts(tmp_path, repo_ruleset, {"medications": [{"drug": "naproxen", "status": "past"}], "requests": [{"text": "Lidoderm 5% patch #30"}]})
    assert "weeks_of_use" not in past_only  # a list of past drugs says nothing of what is taken now
    meds = [{"drug": "naproxen"}, {"drug": "Lidoderm", "status": "past"}]
    taken_before = _facts(tmp_path, repo_ruleset, {"medications": meds, "requests": [{"text": "Lidoderm 5% patch #30"}]})
    assert "weeks_of_use" not in taken_before  # a drug taken before is not read as a first start


def test_an_opioid_whose_trial_the_records_plan_is_started_by_the_request(tmp_path, repo_ruleset):
    """(batch 57) "The physician proposed a short-acting opioid trial: tramadol": the opioid requested starts, though no
    current medication list says so; a drug of another class, or an opioid already taken, is not started by it."""
    planned = {"facts": {"opioid_trial_planned": True}}
    trial = _facts(tmp_path, repo_ruleset, {**planned, "requests": [{"text": "Tramadol 50mg #60"}]})
    assert trial["weeks_of_use"] == 0.0
    other_class = _facts(tmp_path, repo_ruleset, {**planned, "requests": [{"text": "Naproxen 550mg #60"}]})
    assert "weeks_of_use" not in other_class
    on_it = {**planned, "medications": [{"drug": "tramadol", "started": "2014-01-06"}]}
    taken = _facts(tmp_path, repo_ruleset, {**on_it, "requests": [{"text": "Tramadol 50mg #60"}]})
    assert taken["weeks_of_use"] > 0


@pytest.mark.parametrize(("text", "route"), [
    ("Retrospective ketorolac 60 mg intramuscular injection", "injection"),
    ("Toradol 60 mg IM x1", "injection"),
    ("Ketorolac 10 mg tablets #20", "oral"),
    ("Toradol 10 mg QID #20", ""),  # no route written: the case loader gives the drug its usual one
])
def test_a_request_line_names_an_injected_drug_s_route(repo_ruleset, text: str, route: str):
    assert parse_request_line(text, repo_ruleset.lexicon).route == route


@pytest.mark.parametrize(("text", "ingredients"), [
    ("Flurbiprofen/baclofen/lidocaine cream 180gm", ["flurbiprofen", "baclofen", "lidocaine"]),
    ("Flurbiprofen/lidocaine cream 180gm", ["flurbiprofen", "lidocaine"]),
    ("Hydrocodone/APAP 10/325 #90", []),  # a product the lexicon names stays one drug
])
def test_drugs_joined_by_slashes_in_one_cream_are_a_compound(repo_ruleset, text: str, ingredients: list[str]):
    parsed = parse_request_line(text, repo_ruleset.lexicon)
    assert [repo_ruleset.lexicon.resolve(i.drug).drug.generic for i in parsed.ingredients] == ingredients


def test_an_evaluation_for_a_functional_restoration_program_is_that_evaluation(repo_ruleset):
    parsed = parse_request_line("Multidisciplinary evaluation for functional restoration program", repo_ruleset.lexicon, repo_ruleset.services)
    assert parsed.service == "frp_evaluation"


def test_therapy_before_a_surgery_requested_with_it_is_not_post_operative(tmp_path, repo_ruleset):
    body = {
        "facts": {"therapy_visits_completed": 6},
        "requests": [
            {"id": "release", "text": "Right carpal tunnel release"},
            {"id": "ot", "text": "Post-operative occupational therapy x4", "associated_with": "release"},
        ],
    }
    after = _facts(tmp_path, repo_ruleset, body, item=1)
    assert after["therapy_visits_completed"] == 0 and after["visits_total"] == 4
    alone = _facts(tmp_path, repo_ruleset, {"facts": {"therapy_visits_completed": 6}, "requests": [{"text": "Post-operative occupational therapy x4"}]})
    assert alone["therapy_visits_completed"] == 6


def test_a_request_naming_no_body_part_is_for_the_case_s_one_region(tmp_path, repo_ruleset):
    """A cream or a drug asked for beside requests that are all for one region is for that region (a topical
    NSAID's site is then known); beside requests for two regions, or alone, it has none; nor has a service
    that names none (which guideline applies turns on the part it names)."""
    one = {"requests": [{"text": "Right shoulder subacromial injection"}, {"text": "Flector 1.3% patch #30"}]}
    assert _facts(tmp_path, repo_ruleset, one, item=1)["body_part"] == "shoulder"
    two = {"requests": [{"text": "MRI lumbar spine"}, {"text": "X-ray right knee"}, {"text": "Flector 1.3% patch #30"}]}
    assert "body_part" not in _facts(tmp_path, repo_ruleset, two, item=2)
    assert "body_part" not in _facts(tmp_path, repo_ruleset, {"requests": [{"text": "Flector 1.3% patch #30"}]})
    service = {"requests": [{"text": "MRI of the right shoulder"}, {"text": "Epidural steroid injection"}]}
    assert "body_part" not in _facts(tmp_path, repo_ruleset, service, item=1)  # a service's guideline turns on its own part


def test_a_course_of_therapy_naming_no_region_treats_the_one_region_the_diagnoses_name(tmp_path, repo_ruleset):
    """Chiropractic asked for without a region, every diagnosis of the lumbar spine: the course is for the low back
    (whose visit limits then apply); diagnoses of two regions, or none, leave it unknown, and an injection naming none
    stays unknown whatever the diagnoses (its guideline turns on the part it names)."""
    diagnoses = ["lumbar segmental dysfunction", "lumbar sprain/strain", "chronic pain syndrome"]
    lumbar = {"diagnoses": diagnoses, "requests": [{"text": "Chiropractic treatment x6 visits"}]}
    assert _facts(tmp_path, repo_ruleset, lumbar, services=True)["body_part"] == "lumbar_spine"
    two = {"diagnoses": ["lumbar sprain/strain", "cervical strain"], "requests": [{"text": "Chiropractic treatment x6 visits"}]}
    assert "body_part" not in _facts(tmp_path, repo_ruleset, two, services=True)
    injection = {"diagnoses": ["lumbar radiculopathy"], "requests": [{"text": "Epidural steroid injection"}]}
    assert "body_part" not in _facts(tmp_path, repo_ruleset, injection, services=True)


@pytest.mark.parametrize(
    ("text", "planned", "taper"),
    [("Norco 10/325mg #60", None, False), ("Norco 10/325mg #60 (taper)", None, True),
     ("Norco 10/325mg #60", True, True), ("Norco 10/325mg #60", False, False)],
)
def test_a_taper_the_records_put_the_drug_on_is_a_taper_request(tmp_path, repo_ruleset, text, planned, taper):
    # rules 0.57.0: the request line's own word, or the records' taper of the requested drug (taper_planned)
    request: dict = {"text": text}
    if planned is not None:
        request["facts"] = {"taper_planned": {"value": planned}}
    facts = _facts(tmp_path, repo_ruleset, {"requests": [request]})
    assert facts["taper_requested"] is taper


def test_a_value_another_item_is_for_is_not_read_for_a_request_naming_none(tmp_path, repo_ruleset):
    # "a pre-operative urinalysis and pre-op labs": the urinalysis the records name is the other item's test
    def lab_test(requests: list[dict], item: int):
        path = tmp_path / "case.yaml"
        path.write_text(yaml.safe_dump({"case": "t", "dates": {"injury": "2016-01-01", "request": "2016-05-02"},
                                        "facts": {"lab_test": {"value": "urinalysis"}}, "requests": requests}))
        case = load_case(path, repo_ruleset)
        return derive_item_facts(case, case.requests[item], repo_ruleset.lexicon, repo_ruleset.services).get("lab_test")

    both = [{"text": "Pre-operative urinalysis", "timing": "preoperative"}, {"text": "Pre-op labs", "timing": "preoperative"}]
    assert lab_test(both, 1) is None
    assert lab_test(both, 0).value == "urinalysis"
    assert lab_test([{"text": "Pre-op labs", "timing": "preoperative"}], 0).value == "urinalysis"


@pytest.mark.parametrize(
    ("text", "extended"),
    [("Tramadol ER 100 mg daily #30", True), ("OxyContin 20 mg q12h #60", True), ("Nucynta ER 100mg #60", True),
     ("hydrocodone 20 mg ER daily #30", True), ("Norco 10/325 mg TID #90", False), ("Tramadol 50 mg BID #60", False),
     ("Nucynta 50 mg q6h #60", False), ("Duragesic 25 mcg/h patch #10", True), ("Butrans 10 mcg/hr patch #4", True),
     ("Lidoderm 5% patch #30", False)],
)
def test_an_extended_release_product_is_read_from_the_request_line(tmp_path, repo_ruleset, text, extended):
    """Short-acting first (rules 0.58.0): the product on the request line says whether the opioid is extended release."""
    assert _facts(tmp_path, repo_ruleset, {"requests": [{"text": text}]})["extended_release"] is extended


def test_a_service_request_has_no_release(tmp_path, repo_ruleset):
    assert "extended_release" not in _facts(tmp_path, repo_ruleset, {"requests": [{"text": "MRI lumbar spine"}]})


def test_visits_an_earlier_authorization_left_unused_count_in_the_total(tmp_path, repo_ruleset):
    """(batch 64) Visits already granted and not yet used are part of the course: they count beside those completed
    and requested; without them the total is what it was."""
    request = {"text": "Post-operative physical therapy x6 left knee"}
    facts = _visit_facts(tmp_path, repo_ruleset, request, {"therapy_visits_completed": 6, "therapy_visits_unused": 6})
    assert (facts["visits_certified"], facts["visits_total"]) == (0, 18)
    unknown = _visit_facts(tmp_path, repo_ruleset, request, {"therapy_visits_unused": 6})
    assert unknown["visits_total_at_least"] == 12
    none_left = _visit_facts(tmp_path, repo_ruleset, request, {"therapy_visits_completed": 6})
    assert none_left["visits_total"] == 12


def test_the_opioids_taken_with_a_request_are_added_in_morphine_equivalents(tmp_path, repo_ruleset):
    """(batch 64) CPMTG, Opioids, dosing: the equivalents of every opioid taken are added. The listed opioid's
    prescription counts; the requested drug is counted once, at its requested dose; one listed without a dose leaves
    only a lower bound; a stated total raises the bound."""
    norco = {"text": "Norco 10/325 mg QID #120"}
    both = _facts(tmp_path, repo_ruleset, {"medications": [
        {"drug": "Norco", "prescription": "Norco 10/325 mg six times daily"},
        {"drug": "Duragesic", "prescription": "Duragesic 25 mcg/hr patch every 72 hours"},
    ], "requests": [norco]})
    assert (both["med_per_day"], both["opioid_med_total"], both["opioid_med_total_at_least"]) == (40, 100, 100)
    unknown = _facts(tmp_path, repo_ruleset, {"medications": [{"drug": "methadone"}], "requests": [norco]})
    assert "opioid_med_total" not in unknown and unknown["opioid_med_total_at_least"] == 40
    stated = _facts(tmp_path, repo_ruleset, {"facts": {"opioid_med_stated": 150}, "medications": [{"drug": "methadone"}], "requests": [norco]})
    assert stated["opioid_med_total_at_least"] == 150
    consult = {"text": "Pain management consultation"}
    only_stated = _facts(tmp_path, repo_ruleset, {"facts": {"opioid_med_stated": 150}, "requests": [consult]}, services=True)
    assert "opioid_med_total" not in only_stated and only_stated["opioid_med_total_at_least"] == 150  # a stated total is no exact sum
    assert "opioid_med_total_at_least" not in _facts(tmp_path, repo_ruleset, {"requests": [consult]}, services=True)  # no opioid: unknown
    stopped = {"drug": "fentanyl", "status": "past", "prescription": "fentanyl 50 mcg/hr patch every 72 hours"}
    past = _facts(tmp_path, repo_ruleset, {"medications": [stopped], "requests": [norco]})
    assert past["opioid_med_total"] == 40


def test_the_other_release_of_a_requested_opioid_counts_in_the_total(tmp_path, repo_ruleset):
    """(batch 64) Oxycodone for breakthrough pain beside requested OxyContin is a second product taken with it; the
    long-acting product listed again is the one requested."""
    body = {"medications": [
        {"drug": "OxyContin", "prescription": "OxyContin 40 mg every 12 hours"},
        {"drug": "oxycodone", "prescription": "oxycodone 15 mg four times daily"},
    ], "requests": [{"text": "OxyContin 40 mg every 12 hours #60"}]}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({"case": "t", "dates": {"injury": "2010-01-01", "request": "2014-06-10"}, **body}))
    case = load_case(path, repo_ruleset)
    total = derive_item_facts(case, case.requests[0], repo_ruleset.lexicon, None)["opioid_med_total"]
    told = f"{total.source} {total.reason}"
    assert total.value == 210 and "120" in told and "90" in told  # each product named in the basis
