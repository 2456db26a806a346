"""Drafting facts from clinical text: the ConText distinctions on sentences written for these tests,
the evidence every drafted fact carries, the draft as a loadable case file, and precision and recall
against a hand annotation of real IMR letters (tests/gold/, letters read from ../shared).

Print the per-fact table: `python tests/test_extract.py` (or `pytest tests/test_extract.py -k gold -s`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from checker.base.yamlio import load_yaml
from checker.cli import main
from checker.extract import Extractor, draft_facts, merge_draft
from checker.load.case import load_case
from checker.load.ruleset import load_ruleset
from checker.text.context import Document, load_context_rules
from checker.text.extract_cues import Computed, load_extraction_cues

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
GOLD = REPO / "tests" / "gold" / "extract-gold.yaml"
HELD_OUT = REPO / "tests" / "gold" / "heldout-gold.yaml"
HELD_OUT_2 = REPO / "tests" / "gold" / "heldout2-gold.yaml"
GOLD_FILES = (GOLD, HELD_OUT, HELD_OUT_2)
MIN_PRECISION, MIN_RECALL = 0.90, 0.85
# The facts the gold annotation covers (tests/gold/README.md, "What is annotated"): the letters were
# annotated for these only, so a value drafted for any other fact is neither right nor wrong there
# (the paraphrase set, tests/test_paraphrase.py, measures those).
GOLD_FACTS = frozenset(
    """acute_muscle_spasm acute_exacerbation first_line_analgesic_failed functional_improvement quality_of_life_improved
    pain_relief pain_score_with_medication pain_score_without_medication side_effects_assessed aberrant_drug_behavior
    urine_drug_screen_done urine_drug_screen_consistent cures_checked single_prescriber pain_agreement
    conservative_care_failed conservative_care_given therapy_program_given mechanical_joint_symptoms hernia_suspected
    hernia_clinically_evident therapy_visits_completed home_exercise_program objective_functional_deficits
    active_rehabilitation red_flags neurologic_deficit radiculopathy imaging_corroborates prior_imaging
    significant_change surgery_planned work_status cumulative_trauma psychological_symptoms
    outpatient_psych_care_insufficient""".split()
)
NO_SHARED = f"the IMR letters are not here: {SHARED} is absent (clone the shared material beside the repository)"

RULESET = load_ruleset(REPO / "rules")


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(RULESET)


def draft(text: str, requests: list[str] | None = None, as_of: dt.date | None = None) -> dict:
    return draft_facts(text, requests or [], RULESET, as_of)


def value(d: dict, fact: str, item: int | None = None) -> Any:
    facts = d["facts"] if item is None else d["requests"][item].get("facts", {})
    return facts[fact]["value"] if fact in facts else "absent"


# ---- ConText distinctions on written sentences ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fact", "expected"),
    [
        ("Examination revealed paraspinal muscle spasm.", "acute_muscle_spasm", True),
        ("There is no documentation of acute muscle spasms.", "acute_muscle_spasm", False),
        ("No spasm was found on examination.", "acute_muscle_spasm", False),
        ("During the previous visit she had muscle spasms.", "acute_muscle_spasm", "absent"),
        ("She has a history of muscle spasms in the past.", "acute_muscle_spasm", "absent"),
        ("The plan is Flexeril if spasms recur.", "acute_muscle_spasm", "absent"),
        ("Spasm is possible, but it was not clear whether it was present.", "acute_muscle_spasm", "absent"),
        ("The utilization review denied the request due to no documentation of spasm.", "acute_muscle_spasm", "absent"),
        ("He denies side effects from the medication.", "side_effects_assessed", True),
        ("Side effects are not documented.", "side_effects_assessed", False),
        ("There was no aberrant behavior.", "aberrant_drug_behavior", False),
        ("The provider noted early refills.", "aberrant_drug_behavior", True),
        ("A urine drug screen from May was consistent with her prescribed medications.", "urine_drug_screen_consistent", True),
        ("The plan included a urine drug screen.", "urine_drug_screen_done", "absent"),
        ("He is temporarily totally disabled.", "work_status", "off_work"),
        ("She returned to work with restrictions.", "work_status", "modified_duty"),
        ("Neurological examination was normal with intact sensation.", "neurologic_deficit", False),
        ("There was decreased sensation in the L5 dermatome.", "neurologic_deficit", True),
        ("The treatment plan included surgery.", "surgery_planned", True),
        ("He underwent a lumbar fusion in 2010.", "surgery_planned", "absent"),
        ("She complained of a flare-up of low back pain.", "acute_exacerbation", True),
        ("Pain is exacerbated by walking.", "acute_exacerbation", "absent"),
        ("She has failed conservative treatment.", "conservative_care_failed", True),
        ("He does a home exercise program daily.", "home_exercise_program", True),
        ("He has not started physical therapy.", "therapy_visits_completed", 0),
        ("She has completed 8 sessions of physical therapy.", "therapy_visits_completed", 8),
        ("Eight sessions of physical therapy were authorized.", "therapy_visits_completed", "absent"),
        ("Pain was reduced with medications.", "pain_relief", True),
        ("Medications did not help.", "pain_relief", False),
        ("Her activity level remained unchanged.", "functional_improvement", False),
        ("Pain continued despite ibuprofen.", "first_line_analgesic_failed", True),
        ("An MRI of the lumbar spine showed a disc herniation at L4-5.", "imaging_corroborates", True),
        ("Cervical x-rays showed no fractures.", "imaging_corroborates", False),
        ("An MRI is recommended to rule out a tear.", "imaging_corroborates", "absent"),
        ("The CURES report was reviewed.", "cures_checked", True),
        ("She signed a pain contract.", "pain_agreement", True),
        ("There are no red flags.", "red_flags", False),
    ],
)
def test_context_decides_the_value(text: str, fact: str, expected: Any) -> None:
    assert value(draft(text), fact) == expected


@pytest.mark.parametrize(
    ("sentence", "mention", "category"),
    [
        ("There is no documentation of acute muscle spasms.", "muscle spasms", "not_documented"),
        ("She denies numbness.", "numbness", "negated"),
        ("She tried PT in 2014.", "PT", "historical"),
        ("Soma is under review.", "Soma", "requested"),
        ("An MRI is recommended.", "MRI", "hypothetical"),
        ("It was not clear whether she had radicular symptoms.", "radicular symptoms", "uncertain"),
        ("Utilization review non-certified the request for Norco.", "Norco", "review"),
        ("The surgeon requested a carpal tunnel release, which Utilization Review certified.", "carpal tunnel release", "certified"),
        ("The arthroscopy was certified by UR in March.", "arthroscopy", "certified"),
        ("She had no fever but reported spasm.", "spasm", None),
        ("There was no change and she was given refills.", "refills", None),
        # the second round's cues (issue 14): notation, abbreviations, suspicion, plans, relatives
        ("Tinel's (-) at the wrist.", "Tinel's", "negated"),
        ("H/o sciatica.", "sciatica", "historical"),
        ("Sciatica in March 2013.", "Sciatica", "remote"),
        ("Spasm that has since resolved.", "Spasm", "remote"),
        ("Burning pain since a fall in 2014.", "Burning pain", None),
        ("Suspect a medial meniscus tear.", "meniscus tear", "uncertain"),
        ("Fracture cannot be excluded.", "Fracture", "uncertain"),
        ("?Meniscal tear.", "Meniscal tear", "uncertain"),
        ("Spasm versus guarding.", "guarding", "uncertain"),
        ("She is planning to have the fusion.", "fusion", "hypothetical"),
        ("An ESI was offered.", "ESI", "hypothetical"),
        ("Awaiting authorization for the knee arthroscopy.", "knee arthroscopy", "hypothetical"),
        ("Her older sister has fibromyalgia.", "fibromyalgia", "other_person"),
        ("Fibromyalgia (mother).", "Fibromyalgia", "other_person"),
        # (batch 50) a quotation closed after its comma ends the clause for a denial after it, not an "if" before it
        ('Exam: "pain with extension-rotation bilaterally," straight leg raise negative.', "pain with extension", None),
        ('Exam: "pain with extension-rotation bilaterally," no spasm.', "spasm", "negated"),
        ('She asked for meloxicam and, "if oral NSAIDs cannot be continued," diclofenac gel.', "diclofenac gel", "conditional"),
    ],
)
def test_context_categories_of_a_mention(sentence: str, mention: str, category: str | None) -> None:
    rules = load_context_rules()
    start = sentence.index(mention)
    found = rules.assess(rules.modifiers(sentence), start, start + len(mention))
    if category is None:
        assert not set(found) & {"negated", "not_documented"}
    else:
        assert category in found


def test_a_negated_finding_carries_the_negation_cue() -> None:
    evidence = draft("There is no documentation of acute muscle spasms.")["facts"]["acute_muscle_spasm"]["evidence"]
    assert evidence["cue"] == "no documentation of"
    assert evidence["mention"] == "muscle spasms"


def test_requested_drug_is_not_a_medication_but_a_listed_one_is() -> None:
    d = draft("Soma is under review. Current medications include Norco.", ["Soma 350 mg #60"])
    assert [m["drug"] for m in d.get("medications", [])] == ["hydrocodone/acetaminophen"]


def test_history_is_past_use_and_planned_drug_is_no_use() -> None:
    d = draft("Prior to Norco, she used oxycodone dating back to 2011. The plan is to start Lyrica. Current medications include Norco.")
    meds = {m["drug"]: m for m in d["medications"]}
    assert meds["oxycodone"]["status"] == "past"
    assert meds["oxycodone"]["documented_since"] == dt.date(2011, 12, 31)
    assert meds["hydrocodone/acetaminophen"]["status"] == "current"
    assert "pregabalin" not in meds


def test_stopping_one_drug_and_continuing_another() -> None:
    d = draft("She was told to stop Soma and continue with Norco.")
    assert {m["drug"]: m["status"] for m in d["medications"]} == {"carisoprodol": "past", "hydrocodone/acetaminophen": "current"}


def test_start_evidence_reads_since_and_duration() -> None:
    d = draft("She has taken Soma since at least 8/28/13. Treatment included Oxycodone for at least 3 months.")
    meds = {m["drug"]: m for m in d["medications"]}
    assert meds["carisoprodol"]["documented_since"] == dt.date(2013, 8, 28)
    assert meds["oxycodone"]["duration_months"] == 3


def test_a_start_said_of_both_drugs_before_it_dates_both() -> None:
    """"Percocet ... and cyclobenzaprine ..., both daily since 2014": the start is told of the two drugs listed before
    "both", not of the nearer one alone; a start after one drug stays that drug's."""
    text = "Takes Percocet 10/325 mg 1 tab q6h prn, avg 3/day, and cyclobenzaprine 10 mg tid, both daily since 2014."
    meds = {m["drug"]: m for m in draft(text, as_of=dt.date(2016, 3, 8))["medications"]}
    assert meds["oxycodone/acetaminophen"]["documented_since"] == meds["cyclobenzaprine"]["documented_since"] == dt.date(2014, 12, 31)
    text = "Takes Percocet 10/325 mg 1 tab q6h prn, avg 3/day, and cyclobenzaprine 10 mg tid daily since 2014."
    meds = {m["drug"]: m for m in draft(text, as_of=dt.date(2016, 3, 8))["medications"]}
    assert meds["cyclobenzaprine"]["documented_since"] == dt.date(2014, 12, 31)
    assert "documented_since" not in meds["oxycodone/acetaminophen"]


def test_a_start_in_part_of_a_year_dates_no_earlier_than_that_year_s_end() -> None:
    """"Since early 2015" or "from mid-2014" starts the use within that year; its end is the date that
    never overstates how long the drug has been taken."""
    d = draft("She has taken zolpidem nightly since early 2015. He has used Norco from mid-2014.", as_of=dt.date(2016, 9, 23))
    meds = {m["drug"]: m for m in d["medications"]}
    assert meds["zolpidem"]["documented_since"] == dt.date(2015, 12, 31)
    assert meds["hydrocodone/acetaminophen"]["documented_since"] == dt.date(2014, 12, 31)


def test_a_first_prescription_is_a_new_start() -> None:
    d = draft("On 12/16/16 Naprosyn was prescribed. This was a first-time request for Naprosyn. Norco was continued.", as_of=dt.date(2017, 1, 6))
    meds = {m["drug"]: m for m in d["medications"]}
    assert meds["naproxen"]["new_start"] is True and "documented_since" not in meds["naproxen"]
    assert "new_start" not in meds["hydrocodone/acetaminophen"]
    negated = draft("Naprosyn was prescribed on 12/16/16. This was not a first-time prescription of Naprosyn.", as_of=dt.date(2017, 1, 6))
    assert "new_start" not in negated["medications"][0]


def test_a_trial_begun_at_the_visit_is_a_new_start() -> None:
    """A drug the physician starts now as a new trial is the request's first course (cues: medications.new_start);
    a drug started long ago and continued is not."""
    d = draft("On 10/11/16 the physician started amitriptyline 10 mg at bedtime as a new trial. Norco was continued.", as_of=dt.date(2016, 10, 18))
    meds = {m["drug"]: m for m in d["medications"]}
    assert meds["amitriptyline"]["new_start"] is True
    assert "new_start" not in meds["hydrocodone/acetaminophen"]
    trial = draft("A trial of tramadol 50 mg was started at this visit.", as_of=dt.date(2016, 10, 18))
    assert trial["medications"][0]["new_start"] is True
    old = draft("Gabapentin was started in 2015 and titrated to 300 mg three times daily.", as_of=dt.date(2016, 4, 5))
    assert "new_start" not in old["medications"][0]


def test_a_drug_started_as_the_visit_s_next_act_is_a_new_start() -> None:
    """(batch 52) "... requested a brain MRI and started nortriptyline": the physician's act at the visit, a prescription
    that starts the drug; the claimant's own account of starting a drug long ago, dated, is not."""
    d = draft("On 02/09/17 the neurologist requested a brain MRI and started nortriptyline 10 mg at bedtime.", as_of=dt.date(2017, 2, 16))
    assert d["medications"][0]["new_start"] is True
    old = draft("He started Norco in 2014 and takes it three times daily.", as_of=dt.date(2017, 2, 16))
    assert "new_start" not in old["medications"][0]


def test_a_drug_started_at_the_visit_the_request_follows_is_a_new_start() -> None:
    """(batch 56) "... was started at that visit", that visit dated within RECENT_VISIT_DAYS before the request: the
    request asks for the course the visit began; the same words of a visit years before tell a course run since."""
    text = "At the {} visit he reported a flare of low back pain. Cyclobenzaprine 7.5 mg at bedtime was started at that visit."
    recent = draft(text.format("05-04-2015"), as_of=dt.date(2015, 5, 6))
    assert recent["medications"][0]["new_start"] is True
    old = draft(text.format("05-04-2013"), as_of=dt.date(2015, 5, 6))
    assert "new_start" not in old["medications"][0]


def test_a_stop_told_after_the_dose_reaches_back_to_the_drug() -> None:
    """(batch 56) the dose and schedule after a drug's name are part of its mention: "Ibuprofen 800 mg three times daily
    was d/c'd" stops the ibuprofen, and a clause set off by commas is passed over; another drug joined by "and" before
    the stop keeps its own status."""
    d = draft("Ibuprofen 800 mg three times daily was d/c'd in 05-2016 because of dyspepsia and naproxen sodium 550 mg twice "
              "daily was started in its place.", as_of=dt.date(2016, 9, 12))
    meds = {m["drug"]: m["status"] for m in d["medications"]}
    assert meds == {"ibuprofen": "past", "naproxen": "current"}
    tapered = draft("Norco 5/325 mg, prescribed after the injury, was tapered off in 2015.", as_of=dt.date(2017, 1, 9))
    assert tapered["medications"][0]["status"] == "past"
    kept = draft("She takes naproxen 500 mg and gabapentin 300 mg was stopped.", as_of=dt.date(2017, 1, 9))
    assert {m["drug"]: m["status"] for m in kept["medications"]} == {"naproxen": "current", "gabapentin": "past"}


def test_a_drug_the_lexicon_does_not_know_is_left_out_and_noted() -> None:
    d = draft("Current medications include Zzyzxol and Norco.")
    assert [m["drug"] for m in d["medications"]] == ["hydrocodone/acetaminophen"]
    assert [x["named"] for x in d["extraction"]["left_out"]] == ["Zzyzxol"]


def test_contradictory_statements_become_a_conflict() -> None:
    d = draft("With medications her function improved. Her activity level is unchanged.")
    entry = d["facts"]["functional_improvement"]
    assert entry["value"] is None
    assert [c["value"] for c in entry["conflict"]] == [True, False]


def test_a_later_dated_state_replaces_an_earlier_one() -> None:
    d = draft("On 01/05/2016 she was placed off work. On 03/01/2016 she returned to modified duty.")
    assert value(d, "work_status") == "modified_duty"


def test_pain_scores_with_and_without_medication() -> None:
    d = draft("Her pain is 8/10 without medications and 4/10 with medications.")
    assert (value(d, "pain_score_without_medication"), value(d, "pain_score_with_medication")) == (8, 4)
    d = draft("Pain was 7/10 and with medications it decreases to 3/10.")
    assert (value(d, "pain_score_without_medication"), value(d, "pain_score_with_medication")) == (7, 3)
    # a range is read at its end least favourable to the drug: the higher score with it, the lower without
    assert value(draft("She rated her pain 2-5/10 with medications."), "pain_score_with_medication") == 5
    assert value(draft("She rated her pain 7-9/10 without medications."), "pain_score_without_medication") == 7
    assert value(draft("She rated her pain 2-5/10."), "pain_score_with_medication") == "absent"


def test_an_effect_of_a_requested_drug_goes_under_that_request() -> None:
    d = draft("Norco helps to reduce her pain. She denies side effects.", ["Norco 10/325 mg #90", "Soma 350 mg #60"])
    assert value(d, "pain_relief", 0) is True
    assert value(d, "pain_relief", 1) == "absent" and value(d, "pain_relief") == "absent"
    assert value(d, "side_effects_assessed") is True


def test_a_score_goes_to_the_drug_of_its_own_clause() -> None:
    """(batch 50) Scores told of one drug in a clause before a semicolon are not another drug's the sentence names after it."""
    text = "Pain is 7/10 without hydrocodone and 4/10 with it; no rating with and without amitriptyline has been recorded."
    d = draft(text, ["Amitriptyline 50 mg #30", "Norco 5/325 mg #60"])
    assert value(d, "pain_score_without_medication", 1) == 7 and value(d, "pain_score_with_medication", 1) == 4
    assert value(d, "pain_score_without_medication", 0) == "absent"
    d = draft("Norco 5/325 twice daily; pain 7/10 without it and 4/10 with it.", ["Norco 5/325 mg #60"])
    assert value(d, "pain_score_with_medication", 0) == 4  # a clause naming no drug keeps the sentence's


def test_therapy_visits_go_under_the_request_for_that_therapy() -> None:
    d = draft("He has completed 6 sessions of physical therapy.", ["Physical therapy 2x4", "MRI of the lumbar spine"])
    assert value(d, "therapy_visits_completed", 0) == 6
    assert value(d, "therapy_visits_completed") == "absent"


def test_prior_imaging_needs_the_same_study_and_body_part() -> None:
    d = draft("A lumbar MRI dated 01/02/2016 showed a disc bulge. A right knee x-ray was normal.", ["MRI of the lumbar spine", "X-ray of the left knee"])
    assert value(d, "prior_imaging", 0) is True
    assert value(d, "prior_imaging", 1) == "absent"


def test_claimant_injury_date_and_diagnoses() -> None:
    d = draft("The injured worker is a 47 year old male who sustained an industrial injury on 10-14-2015. Diagnoses include lumbar strain and cervical sprain.")
    assert d["claimant"] == {"age": 47, "sex": "male"}
    assert d["dates"]["injury"] == dt.date(2015, 10, 14)
    assert d["diagnoses"] == ["lumbar strain", "cervical sprain"]


def test_two_digit_years_read_against_the_as_of_date() -> None:
    d = draft("She was injured on 07/01/92.", as_of=dt.date(2014, 8, 7))
    assert d["dates"]["injury"] == dt.date(1992, 7, 1)


@pytest.mark.parametrize(
    ("written", "expected"),
    [("1-2015", (dt.date(2015, 1, 31), "month")), ("01/2016", (dt.date(2016, 1, 31), "month")), ("12 - 2014", (dt.date(2014, 12, 31), "month")),
     ("13-2015", None), ("4/10", None)],
)
def test_a_month_and_year_in_figures_is_read_at_the_month_s_last_day(written: str, expected: Any) -> None:
    from checker.text.textdates import parse_date

    assert parse_date(written, 2016) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [("8-9/10", None), ("3-4/10", None), ("8/9-10", None), ("8-9-10", (dt.date(2010, 8, 9), "day")), ("8/9/10", (dt.date(2010, 8, 9), "day"))],
)
def test_a_date_in_figures_keeps_one_separator(written: str, expected: Any) -> None:
    from checker.text.textdates import FULL_DATE, parse_date

    assert parse_date(written, 2016) == expected
    assert bool(re.fullmatch(FULL_DATE, written)) is (expected is not None)


def test_a_range_of_pain_scores_does_not_date_its_sentence() -> None:
    facts = draft("Pain went from 8-9/10 to 5/10 with Norco.", requests=["Norco 10/325mg #90"], as_of=dt.date(2016, 8, 1))["requests"][0]["facts"]
    assert facts["pain_score_without_medication"]["value"] == 8 and facts["pain_score_with_medication"]["value"] == 5


@pytest.mark.parametrize(
    ("text", "status"),
    [("Norco 10/325 three times daily continues at the same dose as a year ago.", "current"),
     ("She took Norco in 2014 and continues gabapentin.", "past"),
     ("Norco was continued in 2014.", "past")],
)
def test_a_drug_said_to_continue_is_current_whatever_earlier_time_it_is_compared_with(text: str, status: str) -> None:
    medications = draft(text, requests=["Urine drug screen"], as_of=dt.date(2016, 11, 14))["medications"]
    assert [m["status"] for m in medications if m["drug"] == "hydrocodone/acetaminophen"] == [status]


@pytest.mark.parametrize(
    ("text", "new_start"),
    [("The physician prescribed naproxen sodium 550 mg twice daily, #60, for the flare.", True),
     ("She takes naproxen daily. The physician prescribed naproxen 550 mg #60.", False),
     ("Continue naproxen, prescribed 550 mg bid.", False),
     ("The physician prescribed naproxen in 2014.", False),
     # the length of the course prescribed is no time already taken
     ("The physician prescribed naproxen 550 mg twice a day for two weeks for the flare.", True),
     ("She has taken naproxen for two weeks.", False),
     # (batch 49) the course of a drug listed after a prescribed one in the same act, and a dosing schedule's step
     ("The physician prescribed ibuprofen 600 mg three times a day for 10 days and naproxen 500 mg twice a day for 15 days.", True),
     ("At the same visit naproxen 250 mg daily for one week, then 500 mg daily, was prescribed for the flare.", True),
     ("She took naproxen for two years, then switched to ibuprofen.", False)],
)
def test_a_drug_first_named_as_prescribed_is_started_by_that_prescription(text: str, new_start: bool) -> None:
    medications = draft(text, requests=["Naproxen 550mg #60"], as_of=dt.date(2016, 4, 15))["medications"]
    assert bool(medications[0].get("new_start")) is new_start


@pytest.mark.parametrize(
    ("text", "started"),
    [  # each verb of a plan governs its own drug; a prescribing verb governs every drug of its list
        ("Plan: continue ibuprofen, add cyclobenzaprine 7.5mg at bedtime for about two weeks.", {"cyclobenzaprine"}),
        ("The physician prescribed naproxen sodium 550 mg twice daily, #60, cyclobenzaprine 5 mg at bedtime, #15, and Lidoderm 5% patches.",
         {"naproxen", "cyclobenzaprine", "lidocaine patch"}),
        ("The physician prescribed naproxen and continued cyclobenzaprine.", set()),
        ("Prescribed naproxen; she continues cyclobenzaprine.", {"naproxen"}),
        ("She continues cyclobenzaprine and ibuprofen.", set()),
    ],
)
def test_a_prescribing_verb_reaches_the_drugs_of_its_own_act_only(text: str, started: set[str]) -> None:
    medications = draft(text, requests=["Cyclobenzaprine 7.5mg #20"], as_of=dt.date(2017, 9, 19))["medications"]
    assert {m["drug"] for m in medications if m.get("new_start")} == started
    assert all("duration_weeks" not in m for m in medications)  # the course planned is no time taken


def test_a_duration_of_another_act_in_the_sentence_is_not_the_drug_s() -> None:
    text = "She was given Lidoderm 5% patches, #30, and requested physical therapy three times a week for four weeks."
    (lidoderm,) = draft(text, requests=["Lidoderm 5% #30"], as_of=dt.date(2017, 1, 10))["medications"]
    assert "duration_weeks" not in lidoderm
    (soma,) = draft("She has used Soma for at least 3 months.", requests=["Soma 350mg #60"], as_of=dt.date(2017, 1, 10))["medications"]
    assert soma["duration_months"] == 3


def test_a_finding_of_the_case_s_one_region_reaches_a_request_that_names_none() -> None:
    """Every placed request is for the ankle: a finding about the ankle is also the cream's, which names no
    region; beside requests for two regions it stays with its own region's request."""
    text = "A grade II sprain of the left ankle was diagnosed."
    drafted = draft(text, requests=["Physical therapy 2x3 left ankle", "Voltaren gel 1% 100gm"], as_of=dt.date(2016, 11, 15))
    assert [r.get("facts", {}).get("sprain_strain", {}).get("value") for r in drafted["requests"]] == [True, True]
    drafted = draft(text, requests=["Physical therapy 2x3 left ankle", "MRI lumbar spine", "Voltaren gel 1% 100gm"], as_of=dt.date(2016, 11, 15))
    assert [r.get("facts", {}).get("sprain_strain", {}).get("value") for r in drafted["requests"]] == [True, None, None]


def test_nerve_studies_of_the_legs_and_a_lumbar_mri_are_one_region() -> None:
    """The legs' nerve studies are about the lumbar roots: beside a lumbar MRI the case is one region, so a
    drug that names none shares its findings; a knee's MRI beside the lumbar one is another region."""
    text = "Left great toe extension is 3/5 with decreased light touch over the dorsum of the left foot."
    drafted = draft(text, requests=["MRI lumbar spine", "EMG/NCS bilateral lower extremities", "Gabapentin 300mg #90"], as_of=dt.date(2016, 11, 15))
    assert [r.get("facts", {}).get("radiculopathy", {}).get("value") for r in drafted["requests"]] == [True, True, True]
    drafted = draft(text, requests=["MRI lumbar spine", "MRI left knee", "Gabapentin 300mg #90"], as_of=dt.date(2016, 11, 15))
    assert drafted["requests"][2].get("facts", {}).get("radiculopathy") is None


def test_the_drug_a_request_replaces_is_stopped() -> None:
    """A drug named as the one a new prescription replaces is not taken beside it; one added is."""
    replaced = draft("She takes ibuprofen 800 mg three times a day. Naproxen 550 mg is requested in place of the ibuprofen.", ["Naproxen 550mg #60"])
    assert {m["drug"]: m["status"] for m in replaced["medications"]} == {"ibuprofen": "past"}
    switched = draft("She takes ibuprofen 800 mg three times a day. She was switched from ibuprofen to naproxen.", ["Naproxen 550mg #60"])
    assert {m["drug"]: m["status"] for m in switched["medications"]} == {"ibuprofen": "past", "naproxen": "current"}
    added = draft("She takes ibuprofen 800 mg three times a day. Naproxen 550 mg twice a day is added.", ["Naproxen 550mg #60"])
    assert {m["drug"]: m["status"] for m in added["medications"]} == {"ibuprofen": "current", "naproxen": "current"}


def test_a_list_item_with_a_verb_of_its_own_is_no_diagnosis() -> None:
    text = "He was diagnosed with ilioinguinal neuralgia; a diagnostic nerve block in 12/2014 gave relief for a day."
    assert draft(text, as_of=dt.date(2016, 1, 1))["diagnoses"] == ["ilioinguinal neuralgia"]
    listed = draft("Diagnoses are cervical sprain/strain; lumbar radiculopathy; insomnia.", as_of=dt.date(2016, 1, 1))["diagnoses"]
    assert listed == ["cervical sprain/strain", "lumbar radiculopathy", "insomnia"]


def test_a_drug_s_start_in_figures_or_a_duration_in_words() -> None:
    def med(text: str) -> dict:
        return draft(text, requests=["Norco 10/325mg #120"], as_of=dt.date(2016, 8, 15))["medications"][0]

    assert med("She has been on Norco since at least 1-2015.")["documented_since"] == dt.date(2015, 1, 31)
    assert med("She has used Norco for over a year.")["duration_months"] == 12
    assert med("She has been on Norco for a year and a half.")["duration_days"] == 547
    assert med("She started Norco three months ago.")["duration_months"] == 3
    # a score or a full date is no month and year
    assert med("Pain is 8/10 and she has taken Norco since 10-30-2015.")["documented_since"] == dt.date(2015, 10, 30)


def test_offsets_point_into_the_text_as_given() -> None:
    text = "The claimant had  x-\nrays of the cervical\n spine that showed no\nfractures."
    d = draft(text)
    evidence = d["facts"]["imaging_corroborates"]["evidence"]
    start, end = evidence["cue_span"]
    assert Document(text[start:end]).norm == evidence["cue"] == "no"
    assert text[slice(*evidence["span"])].startswith("The claimant")


def test_same_text_same_draft() -> None:
    text = "The 60 year old female has spasms. On 05/06/2015 current medications included Norco."
    assert yaml.safe_dump(draft(text, ["Norco #90"])) == yaml.safe_dump(draft(text, ["Norco #90"]))


def test_the_draft_loads_as_a_case_file(tmp_path: Path) -> None:
    text = (
        "The injured worker is a 53 year old female injured on 09/25/2009. Current medications included Norco and Soma. "
        "The medication helps to reduce her pain, and her function improved with it. Her activity level is unchanged. "
        "She reported no side effects. A CURES report was checked."
    )
    requests = ["Norco 10/325mg #90", "Soma 350mg #30"]
    d = draft(text, requests, dt.date(2015, 5, 6))
    base = {
        "schema": "mtus-case/1", "case": "t", "dates": {"request": dt.date(2015, 5, 6)},
        "requests": [{"id": "norco", "text": requests[0]}, {"id": "soma", "text": requests[1]}],
    }
    case = merge_draft(base, d)
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False))
    loaded = load_case(path, RULESET)
    assert loaded.facts["side_effects_assessed"].origin == "extracted"
    assert loaded.facts["side_effects_assessed"].evidence is not None
    assert "functional_improvement" in loaded.conflicts and "functional_improvement" not in loaded.facts
    assert [r.id for r in loaded.requests] == ["norco", "soma"]
    assert {m.drug for m in loaded.medications} == {"hydrocodone/acetaminophen", "carisoprodol"}


NOTE = (
    "The injured worker is a 53 year old female who sustained an industrial injury on 09/25/2009.\n"
    "According to a progress report dated 05/06/2015, pain was rated 7/10 with medications and 9/10\n"
    "without medications. Current medications include Norco and Soma. She reports no side effects.\n"
    "With medications her function improved. Her activity level is unchanged.\n"
    "There is no documentation of acute muscle spasm. She is working modified duty. Soma is under review.\n"
)


def run_cli(*args: Any) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args])


def test_mtus_extract_writes_a_case_file_that_checks(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(NOTE)
    result = run_cli("extract", note, "--request", "Norco 10/325 mg #90", "--request", "Soma 350 mg BID #60", "--as-of", "2015-05-20")
    assert result.exit_code == 0, result.output
    case_file = tmp_path / "draft.yaml"
    case_file.write_text(result.output)
    schema = json.loads((REPO / "checker" / "schemas" / "case.schema.json").read_text())
    assert list(Draft202012Validator(schema).iter_errors(json.loads(json.dumps(yaml.safe_load(result.output), default=str)))) == []
    case = load_case(case_file, RULESET)
    assert case.facts["acute_muscle_spasm"].value is False and case.facts["acute_muscle_spasm"].origin == "extracted"
    assert case.request_date == dt.date(2015, 5, 20) and [r.id for r in case.requests] == ["item1", "item2"]
    checked = run_cli("check", case_file)
    assert checked.exit_code == 0, checked.output
    assert 'acute_muscle_spasm = False [extracted: "no documentation of" at ' in checked.output
    assert "conflicting statements" in checked.output and "functional_improvement: True" in checked.output
    again = ("extract", note, "--request", "Soma 350 mg BID #60", "--as-of", "2015-05-20")
    assert run_cli(*again).exit_code == 0 and run_cli(*again).output == run_cli(*again).output


def test_a_reviewer_edit_shows_as_the_reviewer_s(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(NOTE)
    case = yaml.safe_load(run_cli("extract", note, "--request", "Soma 350 mg BID #60", "--as-of", "2015-05-20").output)
    case["facts"]["functional_improvement"] = {"value": False, "origin": "reviewer", "reason": "no measured improvement in the 05/06/2015 note"}
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False))
    output = run_cli("check", path).output
    assert "functional_improvement = False [reviewer: no measured improvement in the 05/06/2015 note]" in output
    assert "conflicting statements" not in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["extract", "missing.txt"], "clinical text not found"),
        (["extract", "EMPTY", "--request", "Soma"], "clinical text is empty"),
        (["extract", "NOTE", "--request", " "], "empty request"),
        (["extract", "NOTE", "--as-of", "May 2015"], "not a date"),
        # what the case file needs and only the command line can give, named before anything is written
        (["extract", "NOTE", "--as-of", "2015-05-20"], "command line: --request: no requested item"),
        (["extract", "NOTE", "--request", "Soma 350 mg BID #60"], "command line: --as-of: no request date"),
        (["extract", "NOTE", "--request", "Soma 350 mg BID #60", "--as-of", "2999-05-20"], "command line: --as-of: 2999-05-20 is in the future"),
        (["extract", "NOTE", "--request", "Soma 350 mg BID #60", "--request", "Zorbitol 50 mg #60", "--as-of", "2015-05-20"],
         "command line: --request #2: no known drug in 'Zorbitol 50 mg #60'; fix: name the drug in the request by a generic or brand name"),
    ],
)
def test_mtus_extract_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "EMPTY").write_text("  \n")
    (tmp_path / "NOTE").write_text(NOTE)
    result = run_cli(*[str(tmp_path / a) if a in ("EMPTY", "NOTE") else a for a in args])
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1 and "; fix: " in result.stderr


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_what_extract_writes_loads_in_draft(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "note.txt").write_text(NOTE)
    written = run_cli("extract", tmp_path / "note.txt", "--request", "Norco 10/325 mg #90", "--as-of", "2015-05-20", "--format", fmt)
    assert written.exit_code == 0, written.output
    (tmp_path / f"case.{fmt}").write_text(written.stdout)
    drafted = run_cli("draft", tmp_path / f"case.{fmt}")
    assert drafted.exit_code == 0 and "DRAFT DETERMINATION" in drafted.output, drafted.output


def test_a_conflict_with_a_value_is_refused(tmp_path: Path) -> None:
    d = draft(NOTE)
    d["facts"]["functional_improvement"]["value"] = True
    case = merge_draft({"schema": "mtus-case/1", "case": "t", "dates": {"request": dt.date(2015, 5, 20)}, "requests": [{"text": "Soma 350 mg #60"}]}, d)
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False))
    result = run_cli("check", path)
    assert result.exit_code == 2 and "facts.functional_improvement.value" in result.output


def test_every_fact_named_in_the_cues_is_in_the_vocabulary() -> None:
    cues = load_extraction_cues()
    vocab = RULESET.vocabulary
    for name, rule in cues.facts.items():
        fact = vocab.get(name)
        assert fact is not None and fact.obtained == "extracted", name
        for target in rule.targets:
            if target.value is None:  # a look-alike that is not the fact: it outranks shorter matches and gives nothing
                continue
            if isinstance(target.value, Computed):  # a number read from the match, or a comparison of two
                assert fact.type == ("boolean" if target.value.kind in ("below", "unequal", "below_norm") else "number") or fact.type == "integer", name
            else:
                vocab.check_value(name, target.value, "checker/cues/facts.yaml", f"facts.{name}")
        if rule.in_request is not None and rule.in_request.otherwise is not None:
            vocab.check_value(name, rule.in_request.otherwise, "checker/cues/facts.yaml", f"facts.{name}.in_request.otherwise")
    assert load_context_rules().rules


# ---- the gold annotation of real letters --------------------------------------------------------


def summary_bounds(text: str) -> tuple[int, int]:
    start = text.index("CLINICAL CASE SUMMARY")
    end = text.index("IMR ISSUES", start)
    return start, end


def find_anchor(text: str, anchor: str, start: int, end: int) -> int | None:
    norm = Document(text[start:end])
    found = norm.norm.find(Document(str(anchor)).norm)
    return None if found < 0 else start + norm.raw_span(found, found + 1)[0]


def gold_pairs(entry: dict) -> tuple[set[tuple[str, str]], list[str]]:
    pairs: set[tuple[str, str]] = set()
    unknown = []
    for key in ("age", "sex", "injury"):
        if key in entry:
            pairs.add((key, str(entry[key]["value"])))
    by_generic: dict[str, list[dict]] = {}
    for med in entry.get("medications") or []:
        found = RULESET.lexicon.resolve(str(med["drug"]))
        if found is None:
            unknown.append(str(med["drug"]))
            continue
        by_generic.setdefault(found.drug.generic, []).append(med)
    for generic, meds in by_generic.items():
        pairs |= med_pairs(generic, merged_medication(meds))
    for fact in entry.get("facts") or []:
        pairs.add((fact["fact"], str(fact["value"]).lower() if isinstance(fact["value"], bool) else str(fact["value"])))
    return pairs, unknown


def merged_medication(meds: list[dict]) -> dict:
    """Two names of one drug (Motrin, Advil) are one case-file entry: current if either is, from
    the earliest start."""
    merged = {"status": "current" if any(m.get("status", "current") == "current" for m in meds) else "past"}
    dated = sorted((m["documented_since"], m) for m in meds if m.get("documented_since"))
    if dated:
        merged["documented_since"] = dated[0][0]
    for m in meds:
        for key in ("duration_days", "duration_weeks", "duration_months"):
            if m.get(key) and "documented_since" not in merged:
                merged[key] = m[key]
    return merged


def med_pairs(generic: str, med: dict) -> set[tuple[str, str]]:
    pairs = {("medication", generic), ("medication_status", f"{generic}:{med.get('status', 'current')}")}
    start = next((f"{k}={med[k]}" for k in ("documented_since", "duration_days", "duration_weeks", "duration_months") if med.get(k)), None)
    if start:
        pairs.add(("medication_start", f"{generic}:{start}"))
    return pairs


def draft_pairs(d: dict) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for key in ("age", "sex"):
        if key in d.get("claimant", {}):
            pairs.add((key, str(d["claimant"][key])))
    if "injury" in d.get("dates", {}):
        pairs.add(("injury", str(d["dates"]["injury"])))
    for med in d.get("medications", []):
        pairs |= med_pairs(med["drug"], med)
    for facts in [d["facts"]] + [r.get("facts", {}) for r in d["requests"]]:
        for name, entry in facts.items():
            if name not in GOLD_FACTS:
                continue
            v = entry["value"]
            pairs.add((name, "conflict" if v is None else str(v).lower() if isinstance(v, bool) else str(v)))
    return pairs


def letters(gold: Path) -> list[tuple[dict, str]]:
    entries = load_yaml(gold, "gold annotation")["letters"]  # duplicate keys refused (a merge can leave one)
    return [(e, (SHARED / e["letter"]).read_text(encoding="utf-8")) for e in entries]


def score(gold: Path) -> dict[str, Any]:
    counts: dict[str, Counter] = {}
    misses: list[str] = []
    unknown: list[str] = []
    diagnoses: Counter = Counter()
    extractor = Extractor(RULESET)
    for entry, text in letters(gold):
        start, end = summary_bounds(text)
        d = extractor.draft(text[start:end], entry["requests"])
        diagnoses.update(diagnosis_counts(entry.get("diagnoses") or [], d.get("diagnoses", [])))
        expected, not_in_lexicon = gold_pairs(entry)
        unknown += not_in_lexicon
        got = draft_pairs(d)
        for pair in expected | got:
            c = counts.setdefault(pair[0], Counter())
            kind = "tp" if pair in expected and pair in got else "fn" if pair in expected else "fp"
            c[kind] += 1
            if kind != "tp":
                misses.append(f"{kind} {Path(entry['letter']).stem}: {pair[0]} = {pair[1]}")
    return {"counts": counts, "misses": misses, "unknown_drugs": unknown, "diagnoses": diagnoses}


def diagnosis_counts(expected: list[str], got: list[str]) -> Counter:
    """Diagnosis phrases match when their words overlap by at least 60% (Jaccard): list splitting
    differs more than the wording."""
    def words(phrase: str) -> set[str]:
        return set(re.findall(r"[a-z0-9]+", phrase.lower()))

    def close(a: str, b: str) -> bool:
        wa, wb = words(a), words(b)
        return bool(wa | wb) and len(wa & wb) / len(wa | wb) >= 0.6

    found = sum(1 for e in expected if any(close(e, g) for g in got))
    right = sum(1 for g in got if any(close(e, g) for e in expected))
    return Counter(tp_recall=found, gold=len(expected), tp_precision=right, drafted=len(got))


def table(result: dict[str, Any]) -> str:
    lines = [f"{'fact':32} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}"]
    total: Counter = Counter()
    clinical: Counter = Counter()
    for name, c in sorted(result["counts"].items()):
        total.update(c)
        if name not in ("age", "sex", "injury") and not name.startswith("medication"):
            clinical.update(c)
        lines.append(_row(name, c))
    lines.append(_row("all facts", total))
    lines.append(_row("clinical facts (no demographics, no medications)", clinical))
    lines.append(f"gold medications not in the drug lexicon (not scored): {len(result['unknown_drugs'])}")
    dx = result["diagnoses"]
    lines.append(
        f"diagnoses (phrase match, reported, not gated): precision {ratio(dx['tp_precision'], dx['drafted']):.3f} "
        f"recall {ratio(dx['tp_recall'], dx['gold']):.3f} ({dx['gold']} gold phrases, {dx['drafted']} drafted)"
    )
    return "\n".join(lines + [""] + result["misses"])


def _row(name: str, c: Counter) -> str:
    p, r = ratio(c["tp"], c["tp"] + c["fp"]), ratio(c["tp"], c["tp"] + c["fn"])
    return f"{name[:48]:32} {c['tp']:>4} {c['fp']:>4} {c['fn']:>4} {p:>9.3f} {r:>7.3f}"


def ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


needs_letters = pytest.mark.skipif(not SHARED.is_dir(), reason=NO_SHARED)


@needs_letters
@pytest.mark.parametrize("gold", GOLD_FILES, ids=[g.stem for g in GOLD_FILES])
def test_gold_anchors_are_in_the_letters(gold: Path) -> None:
    missing = []
    for entry, text in letters(gold):
        start, end = summary_bounds(text)
        anchors = [entry[k]["at"] for k in ("age", "sex", "injury") if k in entry]
        anchors += [m["at"] for m in entry.get("medications") or []]
        anchors += [f[k] for f in entry.get("facts") or [] for k in ("at", "also") if k in f]
        missing += [f"{entry['letter']}: {a!r}" for a in anchors if find_anchor(text, str(a), start, end) is None]
    assert not missing


@needs_letters
@pytest.mark.parametrize("gold", GOLD_FILES, ids=[g.stem for g in GOLD_FILES])
def test_gold_precision_and_recall(gold: Path) -> None:
    result = score(gold)
    print("\n" + table(result))
    total: Counter = Counter()
    for c in result["counts"].values():
        total.update(c)
    precision, recall = ratio(total["tp"], total["tp"] + total["fp"]), ratio(total["tp"], total["tp"] + total["fn"])
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL, table(result)


@needs_letters
def test_every_drafted_value_carries_its_cue_inside_its_span() -> None:
    extractor = Extractor(RULESET)
    for entry, text in [x for gold in GOLD_FILES for x in letters(gold)]:
        start, end = summary_bounds(text)
        summary = text[start:end]
        d = extractor.draft(summary, entry["requests"])
        for evidence in all_evidence(d):
            s0, s1 = evidence["span"]
            c0, c1 = evidence["cue_span"]
            # a fact read from a request line (source: request line) quotes that line, its offsets index it
            source = evidence["sentence"] if evidence["sentence"] in entry["requests"] and [s0, s1] == [0, len(evidence["sentence"])] else summary
            assert s0 <= c0 <= c1 <= s1, evidence
            assert Document(source[c0:c1]).norm == evidence["cue"], evidence
            assert Document(source[s0:s1]).norm == evidence["sentence"], evidence


def all_evidence(d: dict) -> list[dict]:
    found = []
    for facts in [d["facts"]] + [r.get("facts", {}) for r in d["requests"]]:
        for entry in facts.values():
            found += [entry["evidence"]] if "evidence" in entry else [c["evidence"] for c in entry["conflict"]]
    found += [m["evidence"] for m in d.get("medications", [])]
    ev = d["extraction"]["evidence"]
    found += [v for k, v in ev.items() if k != "diagnoses"] + ev.get("diagnoses", [])
    return found


if __name__ == "__main__":
    for path in GOLD_FILES:
        if path.is_file():
            print(f"== {path.relative_to(REPO)}")
            print(table(score(path)))


# ---- a drug requested for after the operation ------------------------------------------------------


def test_a_drug_the_request_names_for_after_the_operation_is_post_operative():
    """The request line "Norco 5/325mg #30" does not say what the records do ("Norco ... for post-op
    pain"): the draft gives the request its post-operative timing, so it serves the surgery requested
    beside it. A drug taken after an earlier operation, or one requested for chronic pain, is not."""
    requests = ["Right carpal tunnel release", "Norco 5/325mg #30"]
    asked = draft("The RFA asked for a right carpal tunnel release and Norco 5/325 mg #30 for post-op pain.", requests)
    assert asked["requests"][1].get("timing") == "postoperative" and "timing" not in asked["requests"][0]
    named_before = draft("The surgeon requested the release and postoperative Norco 5/325 #30.", requests)
    assert named_before["requests"][1].get("timing") == "postoperative"
    taken = draft("He takes Norco for post-op pain left after his 2014 surgery.", ["Norco 10/325mg #90"])
    assert "timing" not in taken["requests"][0]
    chronic = draft("The provider requested Norco 10/325 #90 for chronic low back pain.", ["Norco 10/325mg #90"])
    assert "timing" not in chronic["requests"][0]
    years_on = draft("The provider requested Norco 10/325 #90 for chronic pain following his 2012 surgery.", ["Norco 10/325mg #90"])
    assert "timing" not in years_on["requests"][0]
    for_after = draft("The RFA asked for the release and Norco #30 to be taken after the surgery.", requests)
    assert for_after["requests"][1].get("timing") == "postoperative"


def test_a_timing_the_case_gives_stands_over_the_drafted_one():
    drafted = {"requests": [{"text": "Norco 5/325mg #30", "timing": "postoperative"}]}
    own = {"requests": [{"id": "norco", "text": "Norco 5/325mg #30", "timing": "preoperative"}]}
    assert merge_draft(own, drafted)["requests"][0]["timing"] == "preoperative"
    plain = {"requests": [{"id": "norco", "text": "Norco 5/325mg #30"}]}
    assert merge_draft(plain, drafted)["requests"][0]["timing"] == "postoperative"


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        # the records' dosing of the drug and strength requested, where the line writes none
        ("The RFA listed tizanidine 4 mg #60, one tablet twice a day.", "Tizanidine 4mg #60", "twice a day"),
        ("She takes Norco 10/325 mg every 6 hours for the back pain.", "Norco 10/325mg #120", "every 6 hours"),
        ("He takes cyclobenzaprine 10 mg at bedtime. Spasm persists.", "Flexeril 10mg #30", "at bedtime"),
        # another strength's dosing is not this request's
        ("She takes Norco 5/325 mg twice a day.", "Norco 10/325mg #60", None),
        # a dosing given up, denied or only considered is not the dosing of the request
        ("He previously took naproxen 550 mg twice a day.", "Naproxen 550mg #60", None),
        ("The surgeon may consider tramadol 50 mg four times a day.", "Tramadol 50mg #120", None),
        # two mentions that disagree on the doses a day leave the dosing to the request line
        ("Gabapentin 300 mg was taken three times daily. The note of May lists gabapentin 300 mg twice a day.", "Gabapentin 300mg #90", None),
        # a line that writes its own dosing keeps it
        ("She takes tramadol 50 mg twice a day.", "Tramadol 50mg #90 TID", None),
    ],
)
def test_a_drug_request_takes_the_dosing_the_records_give_where_its_line_writes_none(text, line, expected) -> None:
    """A reviewer reads a request line "Cyclobenzaprine 7.5mg #90" with the note that prescribes it three
    times a day: the draft writes that frequency on the request, with the sentence it came from."""
    drafted = draft(text, [line], dt.date(2016, 5, 2))
    assert drafted["requests"][0].get("frequency") == expected
    found = drafted["extraction"]["evidence"].get("requests[0].frequency")
    assert (found is None) == (expected is None)
    if found:
        assert expected in found["cue"] and found["sentence"] in text


@pytest.mark.parametrize(
    ("text", "drug", "form", "over_the_counter"),
    [
        # a cream, gel or patch named with the drug, a topical product's own name, a cream "of" a list
        ("She rubs diclofenac 1% gel into the knee twice a day.", "diclofenac", "topical", None),
        ("He applies Voltaren gel to the elbow.", "diclofenac", "topical", None),
        ("A compounded cream of ketoprofen 10%, gabapentin 6% and lidocaine 2% was prescribed.", "gabapentin", "topical", None),
        # a patch that acts through the blood is no topical product; a tablet is none either
        ("He wears a fentanyl 25 mcg patch every 72 hours.", "fentanyl", None, None),
        ("She takes ibuprofen 800 mg three times daily.", "ibuprofen", None, None),
        # bought without a prescription, said before or after the name
        ("He had taken over-the-counter ibuprofen for three days.", "ibuprofen", None, True),
        ("She has been buying naproxen over the counter and takes it now and then.", "naproxen", None, True),
        ("Naproxen 500 mg twice daily was prescribed by the clinic.", "naproxen", None, None),
    ],
)
def test_a_listed_drug_says_when_it_is_a_topical_product_or_bought_over_the_counter(text, drug, form, over_the_counter) -> None:
    """A topical product is not counted with a systemic drug of its class, and an NSAID bought over the counter is
    the one a prescribed NSAID replaces (checker/derive/derive.py, _other_in_class): the draft says which."""
    listed = {m["drug"]: m for m in draft(text, ["Naproxen 550mg #60"], dt.date(2016, 5, 2)).get("medications", [])}
    assert drug in listed
    assert listed[drug].get("form") == form and listed[drug].get("over_the_counter") == over_the_counter


def test_a_plan_gives_the_dosing_of_the_drug_it_prescribes():
    """(batch 62) A plan that prescribes the requested drug with its dosing ("The plan was cyclobenzaprine 7.5 mg,
    one tablet three times daily for ten days") gives the prescription the request asks for; a drug only
    considered gives none."""
    planned = draft("The plan was cyclobenzaprine 7.5 mg, one tablet three times daily for ten days.", ["Cyclobenzaprine 7.5mg #30"], dt.date(2016, 12, 1))
    assert planned["requests"][0].get("frequency") == "three times daily"
    considered = draft("The surgeon may consider cyclobenzaprine 7.5 mg three times daily.", ["Cyclobenzaprine 7.5mg #30"], dt.date(2016, 12, 1))
    assert "frequency" not in considered["requests"][0]


@pytest.mark.parametrize(
    ("text", "line", "starts"),
    [
        # the records say the claimant never took a drug of the class: the request starts the drug
        ("She has never been prescribed a muscle relaxant. The plan was cyclobenzaprine for ten days.", "Cyclobenzaprine 7.5mg #30", True),
        ("He has not been prescribed a muscle relaxant before.", "Robaxin 750mg #30", True),
        ("Clonazepam is prescribed as a bridge; it is his first benzodiazepine.", "Clonazepam 0.5mg #28", True),
        ("She is opioid-naive.", "Tramadol 50mg #60", True),
        # another class, an exception after the words, or someone else's history says nothing of this drug
        ("She has never been prescribed a muscle relaxant.", "Tramadol 50mg #60", False),
        ("She had never taken an opioid until Norco was started in 2014.", "Norco 10/325mg #90", False),
        ("Her husband has never taken a muscle relaxant.", "Cyclobenzaprine 7.5mg #30", False),
    ],
)
def test_a_drug_of_a_class_the_claimant_never_took_is_a_new_start(text, line, starts) -> None:
    """(batch 62) The request starts a drug whose class the records say the claimant has never taken: no course of it
    has run, so a limit on the weeks of use is met and no benefit of a current course is asked for."""
    drafted = draft(text, [line], dt.date(2016, 12, 1))
    assert drafted["requests"][0].get("new_start", False) is starts
    assert ("requests[0].new_start" in drafted["extraction"]["evidence"]) is starts
    own = {"requests": [{"id": "x", "text": line, "new_start": False}]}
    assert merge_draft(own, drafted)["requests"][0]["new_start"] is False


def test_an_opioid_asked_for_soon_after_a_dated_operation_is_post_operative():
    """(batch 62) 2016 Opioid Treatment Guidelines 1.4: an opioid asked for within three weeks of a dated operation is
    for the pain after it, though its line does not say so; ten weeks on, or with the operation undated, the other
    sections decide."""
    text = "He underwent arthroscopic partial medial meniscectomy of the right knee on 05-10-2017."
    soon = draft(text, ["Norco 5/325mg #40", "Naproxen 500mg #60"], dt.date(2017, 5, 15))
    assert [r.get("timing") for r in soon["requests"]] == ["postoperative", None]
    later = draft(text, ["Norco 5/325mg #40"], dt.date(2017, 7, 20))
    assert "timing" not in later["requests"][0]
    undated = draft("He underwent arthroscopic partial medial meniscectomy of the right knee.", ["Norco 5/325mg #40"], dt.date(2017, 5, 15))
    assert "timing" not in undated["requests"][0]


def test_a_drug_name_used_as_a_unit_of_dose_is_no_drug_taken():
    """(batch 62) "45 mg morphine equivalent per day" measures the dose of the opioid taken; it lists no morphine."""
    drafted = draft("He takes oxycodone 10 mg three times daily, 45 mg morphine equivalent per day.", ["Percocet 10/325mg #90"], dt.date(2016, 12, 6))
    assert [m["drug"] for m in drafted.get("medications", [])] == ["oxycodone"]
    taken = draft("He takes oxycodone 10 mg three times daily and morphine ER 15 mg twice daily.", ["Percocet 10/325mg #90"], dt.date(2016, 12, 6))
    assert sorted(m["drug"] for m in taken["medications"]) == ["morphine", "oxycodone"]


def test_the_other_limb_told_in_a_clause_of_its_own_leaves_the_findings_before_it():
    """(batch 63) A sentence giving the left leg's findings and then, in a clause of its own, the other leg as normal is
    about the left leg: the left request has its radiculopathy, the right one none. The other limb named in the
    finding's own clause still sets the finding aside."""
    text = ("The straight leg raise was positive at 40 degrees and ankle dorsiflexion was 4/5, all in the left lower extremity; "
            "the other leg was neurologically normal.")
    left = draft(text, ["Left L5 transforaminal epidural steroid injection"], dt.date(2015, 3, 10))
    assert value(left, "radiculopathy", 0) is True
    right = draft(text, ["Right L5 transforaminal epidural steroid injection"], dt.date(2015, 3, 10))
    assert value(right, "radiculopathy", 0) == "absent"
    contrast = draft("Nerve studies showed moderate left median neuropathy at the wrist, while the released contralateral side had "
                     "normalized.", ["Left carpal tunnel release"], dt.date(2015, 11, 3))
    assert value(contrast, "electrodiagnostic_confirmation", 0) is True
    own_clause = draft("The other knee shows a positive McMurray test.", ["MRI of the left knee"], dt.date(2016, 9, 13))
    assert value(own_clause, "mechanical_joint_symptoms", 0) == "absent"


def test_a_therapy_course_for_another_body_part_is_not_the_requested_parts():
    """(batch 63) Sessions given for the wrist say nothing of a first course for the low back; sessions for the low back
    do, and a course naming no part goes to every request of its kind."""
    line = ["Acupuncture 2 times a week for 3 weeks, lumbar spine"]
    wrist = draft("He completed 12 acupuncture sessions for the right wrist.", line, dt.date(2016, 12, 6))
    assert value(wrist, "therapy_visits_completed", 0) == "absent"
    back = draft("He completed 12 acupuncture sessions for the low back.", line, dt.date(2016, 12, 6))
    assert value(back, "therapy_visits_completed", 0) == 12
    unnamed = draft("He completed 12 acupuncture sessions in 2016.", line, dt.date(2016, 12, 6))
    assert value(unnamed, "therapy_visits_completed", 0) == 12


def test_a_dosing_the_case_gives_stands_over_the_drafted_one():
    drafted = {"requests": [{"text": "Norco 5/325mg #30", "frequency": "twice a day"}]}
    own = {"requests": [{"id": "norco", "text": "Norco 5/325mg #30", "frequency": "every 6 hours"}]}
    assert merge_draft(own, drafted)["requests"][0]["frequency"] == "every 6 hours"
    plain = {"requests": [{"id": "norco", "text": "Norco 5/325mg #30"}]}
    assert merge_draft(plain, drafted)["requests"][0]["frequency"] == "twice a day"


def test_an_arrow_reads_as_the_change_it_stands_for_and_its_evidence_is_the_arrow():
    """Notes write a change with an arrow ("leg pain ↓ ~75% since injection"): the text is read with the
    word, and the evidence of what the word matched points back at the arrow in the original text."""
    doc = Document("S: leg pain ↓ ~75% since injection; walking ↑ from 10 to 30 min;↓sens L5.")
    assert doc.norm == "S: leg pain decreased ~75% since injection; walking increased from 10 to 30 min; decreased sens L5."
    start = doc.norm.index("decreased")
    assert doc.raw_text(start, start + len("decreased")) == "↓"
    relief = draft("Procedure note 1/12: L5-S1 TFESI. F/u 3/8: leg pain ↓ 75% since injection.", ["Repeat L5-S1 TFESI"])
    assert value(relief, "prior_esi_pain_relief_percent", 0) == 75


def test_shorthand_for_with_and_without_reads_as_its_words_and_its_evidence_is_the_shorthand():
    """Notes write "w/o", "w/" and "c/w" for "without", "with" and "consistent with" (batch 57): the text is read
    with the words, a sentence's capital kept, and the evidence points back at the shorthand. A slash word of one
    more letter ("w/c", a wheelchair; "w/u", a work-up) is another abbreviation and stays as written."""
    doc = Document("VAS 8/10 w/o meds, 4/10 w/meds. UDS c/w Rx. W/ it he works. Uses a w/c; w/u pending.")
    assert doc.norm == "VAS 8/10 without meds, 4/10 with meds. UDS consistent with Rx. With it he works. Uses a w/c; w/u pending."
    start = doc.norm.index("consistent with")
    assert doc.raw_text(start, start + len("consistent with")) == "c/w"
    assert len(doc.sentences) == 4
    screen = draft("He takes Norco 10/325 mg three times a day. UDS 9/2016 c/w Rx.", ["Norco 10/325mg #90"], as_of=dt.date(2016, 10, 18))
    assert value(screen, "urine_drug_screen_consistent") is True


def test_one_measure_told_twice_in_a_sentence_is_one_finding_at_its_lower_value():
    """"From 7/10 to 3/10, about 60% relief" gives the block's relief twice (57 computed, 60 stated): one
    finding, read at the lower value, not a conflict left for a reviewer. Two values far apart stay a
    conflict."""
    told_twice = draft("The first C6-7 epidural reduced his arm pain from 7/10 to 3/10, about 60% relief, for 10 weeks.", ["Repeat C6-7 ESI"])
    assert round(value(told_twice, "prior_esi_pain_relief_percent", 0)) == 57
    apart = draft("The first C6-7 epidural reduced his arm pain from 8/10 to 2/10, about 40% relief, for 10 weeks.", ["Repeat C6-7 ESI"])
    assert value(apart, "prior_esi_pain_relief_percent", 0) is None


# ---- therapy in the post-surgical period; a gain told of another treatment ----------------------------


def test_therapy_asked_for_soon_after_a_dated_operation_on_its_part_is_post_operative():
    """8 CCR 9792.24.3: therapy in the post-surgical period follows the Postsurgical Treatment Guidelines.
    Occupational therapy for a wrist released three weeks before the request is post-operative though its
    line does not say so; therapy for a spine fused years ago, or for the other wrist, is not."""
    text = "A left open carpal tunnel release was performed on 10/05/2016. He had a lumbar fusion on 01/12/2014."
    requests = ["Occupational therapy 2x4 left wrist", "Occupational therapy 2x4 right wrist", "Physical therapy x12 lumbar spine"]
    drafted = draft(text, requests, as_of=dt.date(2016, 10, 27))
    assert [r.get("timing") for r in drafted["requests"]] == ["postoperative", None, None]
    months_on = draft(text, requests[:1], as_of=dt.date(2017, 3, 1))
    assert "timing" not in months_on["requests"][0]
    undated = draft("She had a left open carpal tunnel release.", requests[:1], as_of=dt.date(2016, 10, 27))
    assert "timing" not in undated["requests"][0]


def test_therapy_visits_before_the_operation_are_no_post_operative_visits():
    """8 CCR 9792.24.3 counts the post-surgical course from the operation. Ten therapy visits told before a
    repair still to come (certified and scheduled after the request date) leave no post-operative visit
    given: 0; visits dated before an operation already done say nothing of the course after it and are left
    out; visits dated after it stay."""
    requests = ["Post-op physical therapy 2x6 right shoulder"]
    before = "He attended 10 physical therapy visits through 01/06/2016 with continued weakness."
    to_come = draft(before + " Right shoulder arthroscopy with rotator cuff repair and subacromial decompression was certified by "
                    "utilization review on 02/10/2016 and scheduled for 03/08/2016.",
                    requests, as_of=dt.date(2016, 2, 19))
    assert value(to_come, "therapy_visits_completed", 0) == 0
    done = draft(before + " Right shoulder arthroscopy with rotator cuff repair was performed on 02/01/2016.", requests, as_of=dt.date(2016, 2, 19))
    assert "therapy_visits_completed" not in done["requests"][0].get("facts", {})
    after = draft("Right shoulder arthroscopy with rotator cuff repair was performed on 12/01/2015. "
                  "He attended 10 physical therapy visits through 01/06/2016 with continued weakness.", requests, as_of=dt.date(2016, 2, 19))
    assert value(after, "therapy_visits_completed", 0) == 10


def test_a_gain_told_of_a_therapy_goes_to_the_therapy_not_to_the_drugs():
    """A gain in a sentence about physical therapy that names no drug is the therapy's: it supports the
    therapy request and no drug's continuation; relief told of an injection is no drug's relief."""
    requests = ["Norco 10/325mg #90", "Physical therapy x6 lumbar spine"]
    therapy = draft("She completed 12 physical therapy visits in 2016, which improved her sitting tolerance enough to return to driving.", requests)
    assert "functional_improvement" not in therapy["facts"]
    assert "functional_improvement" not in therapy["requests"][0].get("facts", {})
    assert therapy["requests"][1]["facts"]["functional_improvement"]["value"] is True
    relief = draft("She said the epidural took the edge off for about two weeks; her Norco use did not change.", requests[:1])
    assert "pain_relief" not in relief["facts"] and "pain_relief" not in relief["requests"][0].get("facts", {})
    own = draft("Norco takes the edge off her back pain.", requests[:1])
    assert own["requests"][0]["facts"]["pain_relief"]["value"] is True


def test_of_several_injections_a_finding_is_about_the_one_named_last_before_it():
    """"Medial branch blocks gave 80% relief, and a radiofrequency ablation was done": the 80% is the
    diagnostic blocks', not the earlier ablation's a repeat ablation asks about."""
    text = "Right L4-5 medial branch blocks in March gave about 80% relief for several hours, and right L4-5 radiofrequency ablation was performed in May."
    drafted = draft(text, ["Repeat right L4-5 radiofrequency ablation"])
    assert "prior_injection_relief_percent" not in drafted["requests"][0].get("facts", {})
    after = draft("Right L4-5 radiofrequency ablation in May gave about 60% relief.", ["Repeat right L4-5 radiofrequency ablation"])
    assert after["requests"][0]["facts"]["prior_injection_relief_percent"]["value"] == 60


def test_a_sentence_carrying_on_a_drugs_account_is_about_that_drug():
    """"... 8/10 before gabapentin and 3-4/10 now. She sleeps six hours a night instead of three": the second
    sentence names no drug but carries on the first's account, so its gain is the gabapentin's, not every
    item's; a gain after a drug not requested stays where it was (the case's)."""
    requests = ["Gabapentin 600mg #90", "Chiropractic 2x3 cervical spine"]
    text = "Her arm pain was about 8/10 before gabapentin and is now 3-4/10. She sleeps about six hours a night instead of three."
    drafted = draft(text, requests)
    assert drafted["requests"][0]["facts"]["functional_improvement"]["value"] is True
    assert "functional_improvement" not in drafted["requests"][1].get("facts", {}) and "functional_improvement" not in drafted["facts"]
    other = draft("She stopped ibuprofen because of stomach upset. She now walks a mile each morning.", ["Norco 10/325mg #90"])
    assert other["facts"]["functional_improvement"]["value"] is True


def test_a_gain_told_of_one_kind_of_therapy_goes_to_that_kind():
    """"Six massage sessions ... with no change in activity" is no word on the chiropractic requested beside it."""
    requests = ["Chiropractic 2x4 lumbar", "Massage therapy 1x6 lumbar"]
    drafted = draft("He received six sessions of massage in January, with no change in pain rating or activity.", requests)
    assert "functional_improvement" not in drafted["requests"][0].get("facts", {})
    assert drafted["requests"][1]["facts"]["functional_improvement"]["value"] is False


@pytest.mark.parametrize(
    ("text", "statuses"),
    [
        # "stopped it" stands for the drug named last before it, with no other drug between (batch 41)
        ("Naproxen helped the ankle, but he developed heartburn and stopped it himself in July.", {"naproxen": "past"}),
        ("Tramadol helps her sleep; ibuprofen upset her stomach and she stopped it.", {"tramadol": "current", "ibuprofen": "past"}),
        ("He takes meloxicam daily and it has stopped the night pain.", {"meloxicam": "current"}),
        # "stopping" a drug is a stop too
        ("The heartburn went away within a week of stopping naproxen.", {"naproxen": "past"}),
        # the drug switched to is taken now
        ("Ibuprofen upset her stomach and she stopped it, switching to acetaminophen.", {"ibuprofen": "past", "acetaminophen": "current"}),
    ],
)
def test_a_drug_stopped_by_a_pronoun_or_a_gerund_is_past(text: str, statuses: dict[str, str]) -> None:
    medications = draft(text, requests=["Omeprazole 20mg #30"], as_of=dt.date(2016, 9, 1))["medications"]
    assert {m["drug"]: m["status"] for m in medications} == statuses


@pytest.mark.parametrize(
    ("text", "statuses"),
    [
        # (batch 57) a drug told only as a trial that failed is a past trial, the one "now used" current
        ("Ibuprofen and naproxen gave little relief; naproxen 550 mg is now used prn a few times a month.", {"ibuprofen": "past", "naproxen": "current"}),
        ("Ibuprofen was tried without benefit. Naproxen 550 mg is now used as needed.", {"ibuprofen": "past", "naproxen": "current"}),
        # a word of ongoing use between the drug and the outcome keeps it current
        ("Naproxen is continued but gave little relief.", {"naproxen": "current"}),
        ("Naproxen continues, and ibuprofen gave little relief.", {"naproxen": "current", "ibuprofen": "past"}),
    ],
)
def test_a_drug_told_only_as_a_failed_trial_is_past(text: str, statuses: dict[str, str]) -> None:
    medications = draft(text, requests=["Omeprazole 20mg #30"], as_of=dt.date(2016, 9, 1))["medications"]
    assert {m["drug"]: m["status"] for m in medications} == statuses


def test_a_qualifier_read_after_one_score_is_not_the_next_scores_qualifier_before_it():
    """(batch 51) "8/10 before pregabalin, 5/10 now": "before pregabalin" is the first score's; the second, told now,
    is the score on the drug, not a second score without it."""
    d = draft("Burning hand pain 8/10 before pregabalin, 5/10 now.", ["Pregabalin 75mg #60"])
    assert (value(d, "pain_score_without_medication", 0), value(d, "pain_score_with_medication", 0)) == (8, 5)
    d = draft("Pain 7/10 without Norco, 3/10 with.", ["Norco 10/325mg #60"])  # a qualifier after each score: as before
    assert (value(d, "pain_score_without_medication", 0), value(d, "pain_score_with_medication", 0)) == (7, 3)


def test_activities_told_right_after_the_pain_on_the_drug_are_its_function():
    """(batch 51) The 4 A's activities in a note's shorthand: after the score on the drug and a semicolon, or as the next
    sentence, its subject left out; the next sentence after one that tells no benefit of the drug is not."""
    requests = ["Naproxen 500mg #60"]
    same = draft("Naproxen 500 mg BID. Knee pain 7/10 off naproxen, 4/10 on it; walks her dog 20 minutes.", requests)
    assert value(same, "functional_improvement", 0) is True
    following = draft("Naproxen 500 mg BID. Knee pain 7/10 off naproxen, 4/10 on it. Walks her dog 20 minutes.", requests)
    assert value(following, "functional_improvement", 0) is True
    stopped = draft("Naproxen stopped for dyspepsia. Walks her dog 20 minutes.", requests)
    assert value(stopped, "functional_improvement", 0) == "absent" and value(stopped, "functional_improvement") == "absent"
    less = draft("Knee pain 7/10 off naproxen, 4/10 on it. Walks less than a block.", requests)
    assert value(less, "functional_improvement", 0) == "absent"


def test_screens_dated_by_month_count_in_the_year_only_when_the_whole_month_is_in_it():
    """(batch 51) "UDS 01-2017 and 04-2017": both months lie within the year before the request; a month that begins
    more than a year before it is not counted, so the count is never overstated."""
    as_of = dt.date(2017, 7, 28)
    assert value(draft("UDS 01-2017 and 04-2017 consistent.", ["Urine drug screen"], as_of), "urine_drug_tests_past_year") == 2
    assert value(draft("UDS 07-2016 consistent.", ["Urine drug screen"], as_of), "urine_drug_tests_past_year") == 0
    assert value(draft("UDS 08-2016 consistent.", ["Urine drug screen"], as_of), "urine_drug_tests_past_year") == 1


def test_a_denial_reaching_a_screens_result_across_a_list_says_nothing_of_it():
    """(batch 51) "there is no sedation, the urine screen matched the prescription": the 'no' of the list is not the
    screen's, so it makes no inconsistent screen (it is left unread); a screen's own words of inconsistency are read in
    full."""
    d = draft("There is no sedation, the 03-2016 urine screen matched the prescription, CURES shows one prescriber.", ["Norco 10/325mg #120"])
    assert value(d, "urine_drug_screen_consistent") == "absent"
    for text in ("The UDS was not consistent with the prescribed medications.", "The UDS did not match the prescription.",
                 "UDS positive for hydrocodone and alprazolam; alprazolam not prescribed."):
        assert value(draft(text, ["Norco 10/325mg #120"]), "urine_drug_screen_consistent") is False, text


@pytest.mark.parametrize(
    ("text", "statuses"),
    [
        # (batch 58) a drug "replaced by" or "with" another is stopped; the one replacing it is taken now
        ("Meloxicam 15 mg was replaced by naproxen 550 mg.", {"meloxicam": "past", "naproxen": "current"}),
        ("Dr. Lee replaced the meloxicam with naproxen 550 mg twice daily.", {"meloxicam": "past", "naproxen": "current"}),
        # a drug taken with another ("naproxen with omeprazole") is no replacement
        ("She takes naproxen 550 mg with omeprazole 20 mg.", {"naproxen": "current", "omeprazole": "current"}),
    ],
)
def test_a_drug_replaced_by_another_is_past_and_its_replacement_current(text: str, statuses: dict[str, str]) -> None:
    medications = draft(text, requests=["Naproxen 550mg #60"], as_of=dt.date(2016, 9, 1))["medications"]
    assert {m["drug"]: m["status"] for m in medications} == statuses


def test_a_drug_a_plan_begins_by_name_is_a_new_start_beside_one_it_continues():
    """(batch 58) "The plan was to continue naproxen and begin gabapentin": gabapentin, named right after the plan's
    verb of starting, is a new start (weeks of use 0); naproxen, continued, is not. A plan denied starts nothing."""
    text = "The plan was to continue naproxen and begin gabapentin 300 mg at bedtime, titrating to three times daily."
    medications = draft(text, ["Gabapentin 300mg #90"], as_of=dt.date(2014, 5, 6))["medications"]
    assert {m["drug"]: bool(m.get("new_start")) for m in medications} == {"naproxen": False, "gabapentin": True}
    denied_text = "He takes gabapentin 300 mg three times daily. There is no plan to begin nortriptyline."
    denied = draft(denied_text, ["Gabapentin 300mg #90"], as_of=dt.date(2014, 5, 6))
    assert not any(m.get("new_start") for m in denied["medications"])


def test_a_cue_inside_brackets_reaches_no_further_than_their_close():
    """(batch 58) "the CURES report (no other prescribers), obtained a urine drug screen": the denial speaks of what the
    brackets hold, so the screen after them is done; without the brackets the same denial still reaches on."""
    text = "He takes Norco 10/325 mg three times daily. The physician reviewed the CURES report (no other prescribers), obtained a urine drug screen."
    assert value(draft(text, ["Norco 10/325mg #90"], as_of=dt.date(2016, 9, 13)), "urine_drug_screen_done") is True
    rules = load_context_rules()
    sentence = "Labs (no anemia) and x-rays were done."
    mods = rules.modifiers(sentence)
    negated = [m for m in mods if m.rule.category == "negated"]
    assert negated and negated[0].scope_end == sentence.index(")")
    unbracketed = "Labs show no anemia and x-rays were done."
    negated = [m for m in rules.modifiers(unbracketed) if m.rule.category == "negated"]
    assert negated and negated[0].scope_end > unbracketed.index("x-rays")


def test_a_cream_or_patch_is_for_the_part_the_records_apply_it_to():
    """(batch 58) "diclofenac 1% gel (Voltaren Gel) 100 g to the thumbs": the gel's line names no body part, so the draft
    gives it the part the records apply it to (a topical NSAID suits a hand, not the neck the other request is for),
    with its evidence; a tablet's line, or a line that names its part, gets none from the records."""
    text = "She has thumb CMC osteoarthritis and neck pain. The plan was diclofenac 1% gel (Voltaren Gel) 100 g to the thumbs four times daily."
    drafted = draft(text, ["Voltaren Gel 1% 100g", "Acupuncture x12 cervical spine"], as_of=dt.date(2017, 6, 6))
    assert drafted["requests"][0]["body_parts"] == ["wrist_hand"]
    assert drafted["extraction"]["evidence"]["requests[0].body_parts"]["cue"] == "thumbs"
    assert "body_parts" not in drafted["requests"][1]
    tablet = draft("She takes naproxen 500 mg to the end of each shift.", ["Naproxen 500mg #60"], as_of=dt.date(2017, 6, 6))
    assert "body_parts" not in tablet["requests"][0]
    named = draft(text, ["Voltaren Gel 1% 100g right knee"], as_of=dt.date(2017, 6, 6))
    assert "body_parts" not in named["requests"][0]



def test_the_site_of_a_topical_follows_a_verb_of_applying_or_a_for_and_a_decimal_does_not_end_the_clause():
    """(batch 66) "applied over the anterior right hip and groin", "gel for the low back, spread across the L4-S1
    paraspinal muscles", "Flector 1.3% patches, one applied to the right lateral elbow": the site may follow a verb of
    applying or a "for" / "in", and a strength's decimal point is no end of the clause; phrases that name no body part
    ("for 8 weeks") are passed over to the next, and a site after the clause's end is not the drug's."""
    day = dt.date(2016, 11, 14)
    hip_text = "He was prescribed Voltaren Gel 1%, 4 grams four times daily applied over the anterior right hip and groin."
    hip = draft(hip_text, ["Voltaren Gel 1% 100g #3"], as_of=day)
    assert hip["requests"][0]["body_parts"] == ["hip"]
    back_text = "The physician prescribed diclofenac sodium 1% gel for the low back, spread across the L4-S1 paraspinal muscles."
    back = draft(back_text, ["Voltaren Gel 1% 100g x 2"], as_of=day)
    assert back["requests"][0]["body_parts"] == ["lumbar_spine"]
    elbow = draft("The physician prescribed Flector 1.3% patches, one applied to the right lateral elbow twice daily.", ["Flector 1.3% patch #60"], as_of=day)
    assert elbow["requests"][0]["body_parts"] == ["elbow"]
    weeks_first = draft("She uses Voltaren gel for 8 weeks on the left knee.", ["Voltaren Gel 1% 100g"], as_of=day)
    assert weeks_first["requests"][0]["body_parts"] == ["knee"]
    beyond = draft("She uses Voltaren gel daily. Her knee is swollen and the plan is to refer her to the knee clinic.", ["Voltaren Gel 1% 100g"], as_of=day)
    assert "body_parts" not in beyond["requests"][0]

def test_a_finding_a_study_reports_with_only_corroborates_nothing():
    """(batch 58) "negative for meniscal tear ... and only a small joint effusion": what the study found instead of the
    lesion in question corroborates no meniscectomy; the same effusion beside a tear does not take the tear away."""
    request = ["Right knee arthroscopy with partial medial meniscectomy"]
    negative = "She has knee locking. MRI of the right knee was negative for meniscal tear, with intact menisci and only a small joint effusion."
    assert value(draft(negative, request, as_of=dt.date(2015, 7, 21)), "imaging_corroborates", 0) is False
    torn = "She has knee locking. MRI of the right knee showed a medial meniscal tear and only a small joint effusion."
    assert value(draft(torn, request, as_of=dt.date(2015, 7, 21)), "imaging_corroborates", 0) is True


def test_a_second_opioid_taken_keeps_its_prescription_for_the_total_dose():
    """(batch 64) The CPMTG adds the morphine equivalents of every opioid taken (Opioids, dosing): a listed opioid
    the case does not request keeps its prescription, and so does the other release of a requested drug (oxycodone
    for breakthrough pain beside requested OxyContin); the requested product itself, one without a dose, and a past
    one do not."""
    text = (
        "He takes OxyContin 40 mg every 12 hours and oxycodone 15 mg four times daily for breakthrough pain. "
        "He also wears a fentanyl 25 mcg/hr patch every 72 hours. Morphine was stopped in 2012. He uses methadone at night."
    )
    d = draft(text, ["OxyContin 40 mg #60"], as_of=dt.date(2015, 5, 1))
    meds = {m["drug"]: m for m in d["medications"]}
    assert meds["oxycodone"]["prescription"] == "oxycodone 15 mg four times daily for breakthrough pain"
    assert meds["fentanyl"]["prescription"] == "fentanyl 25 mcg/hr patch every 72 hours"
    assert "prescription" not in meds["morphine"] and "prescription" not in meds["methadone"]
    assert d["extraction"]["evidence"]["medications[1].prescription"]["sentence"].startswith("He also wears")
    same = draft("He takes Norco 10/325 mg four times daily.", ["Norco 10/325 mg #120"], as_of=dt.date(2015, 5, 1))
    assert "prescription" not in same["medications"][0]
    two_doses = draft("Norco 10/325 mg twice daily was raised to Norco 10/325 mg four times daily.", ["Lyrica 75 mg #60"])
    assert "prescription" not in two_doses["medications"][0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Her MED is 150 mg/day.", 150),
        ("The calculated morphine equivalent dose is about 135 mg per day.", 135),
        ("CURES shows 120 MME/day from one prescriber.", 120),
        ("The regimen was lowered from 160 to 110 MED over two months.", 110),
        ("He takes 90 mg oral morphine equivalents daily.", 90),
        ("The goal is to reach 60 MED by spring.", "absent"),
        ("His brother takes 200 MME a day.", "absent"),
    ],
)
def test_a_stated_morphine_equivalent_dose_is_read(text: str, expected: Any):
    """(batch 64) A total daily dose stated in morphine equivalents bounds the total of the opioids taken from below."""
    assert value(draft(text, ["Norco 10/325 mg #120"], as_of=dt.date(2016, 3, 1)), "opioid_med_stated") == expected


def test_a_therapy_request_without_a_count_takes_the_plan_s_count():
    """(batch 64) The plan a request carries out counts its visits where the request line counts none: the same
    service, planned or requested, of the request's body part where both name one; a course told as given is no plan,
    and plans counting different numbers give none. "More visits" asked for without the service's name go to the one
    request left uncounted."""
    request = ["Acupuncture for the cervical spine"]
    as_of = dt.date(2016, 10, 3)
    plan = "The physician recommended acupuncture for the neck, two times per week for six weeks, for a total of 12 visits."
    planned = draft("She has not had acupuncture. " + plan, request, as_of=as_of)
    assert planned["requests"][0]["visits"] == 12
    assert "12 visits" in planned["extraction"]["evidence"]["requests[0].visits"]["sentence"]
    given = draft("She had acupuncture twice a week for six weeks in 2015.", request, as_of=as_of)
    assert "visits" not in given["requests"][0]
    other_part = draft("Acupuncture for the low back, twice a week for three weeks, was recommended.", request, as_of=as_of)
    assert "visits" not in other_part["requests"][0]
    later = "The physician later recommended acupuncture for the neck twice a week for six weeks."
    two = draft("Acupuncture for the neck twice a week for three weeks was recommended. " + later, request, as_of=as_of)
    assert "visits" not in two["requests"][0]
    asked = "She completed six visits. The treating physician asked for four more visits."
    more = draft(asked, ["Additional physical therapy cervical spine"], as_of=dt.date(2017, 7, 24))
    assert more["requests"][0]["visits"] == 4
    counted = draft("The treating physician asked for four more visits.", ["Physical therapy 2x3 cervical spine"], as_of=dt.date(2017, 7, 24))
    assert "visits" not in counted["requests"][0]
    beside = draft(asked, ["MRI cervical spine", "Additional physical therapy cervical spine"], as_of=dt.date(2017, 7, 24))
    assert "visits" not in beside["requests"][0] and beside["requests"][1]["visits"] == 4  # the MRI counts no visits


def test_the_last_dose_taken_stops_the_drug_and_a_time_clause_does_not_deny_it():
    """(batch 64) "Took her last Norco tablet" stops the drug; a denial dated from a drug's start ("no ECG since
    methadone was started") denies the finding, not the drug."""
    last = draft("At the visit she reported that she took her last Norco tablet in 07-2017.", ["Gabapentin 300mg #90"], as_of=dt.date(2017, 9, 18))
    assert last["medications"][0]["status"] == "past"
    taken = draft("She takes Norco 10/325 mg at night.", ["Gabapentin 300mg #90"], as_of=dt.date(2017, 9, 18))
    assert taken["medications"][0]["status"] == "current"
    text = "He takes methadone 10 mg three times daily. No electrocardiogram has been obtained since methadone was started."
    ecg = draft(text, ["Electrocardiogram"], as_of=dt.date(2014, 6, 9))
    assert value(ecg, "cardiac_indication") is True


def test_a_number_outside_its_fact_s_range_is_left_out_not_fatal_to_the_draft():
    """(batch 64) "150% relief" is no percentage of relief, and a date beside "MED" ("90 mg MED 12-2016") no dose: the
    value outside the fact's declared range is left out and noted, and the rest of the draft stands (it used to fail to
    load as a whole)."""
    d = draft("She reports 150% relief with her medications. She walks her dog daily on them.", ["Norco 10/325 mg #120"], as_of=dt.date(2016, 3, 1))
    assert value(d, "pain_relief_percent") == "absent"
    assert any(x["named"] == "pain_relief_percent" and "outside" in x["why"] for x in d["extraction"]["left_out"])
    dated = draft("The dose returned to 90 mg MED 12-2016.", ["MS Contin 30mg #90"], as_of=dt.date(2017, 5, 18))
    assert value(dated, "opioid_med_stated") == 90


def test_an_opioid_within_three_months_of_an_extensive_operation_is_post_operative():
    """(batch 65) The 2016 Opioid Treatment Guidelines allow post-operative opioids up to 3 months after a more extensive
    procedure (1.4): an opioid asked for five weeks after a fusion is post-operative, one five weeks after a meniscectomy
    is not."""
    fusion = draft("He underwent L4-5 transforaminal lumbar interbody fusion on 09-06-2016.", ["Percocet 5/325mg #60"], as_of=dt.date(2016, 10, 12))
    assert fusion["requests"][0].get("timing") == "postoperative"
    scope = draft("He underwent arthroscopic partial medial meniscectomy on 09-06-2016.", ["Norco 5/325mg #30"], as_of=dt.date(2016, 10, 12))
    assert "timing" not in scope["requests"][0]


def test_care_planned_or_dispensed_but_never_used_is_not_tried():
    """(batch 65) Sleep hygiene listed in a plan but never given is not tried; a splint dispensed but never worn is no
    conservative care given; first-line drugs taken in turn, each with its course, and told once "without meaningful
    relief" failed."""
    sleep = draft("Sleep hygiene counseling is listed in the plan from 06-2015 but was never given.", ["Zolpidem 5mg #14"], as_of=dt.date(2015, 9, 21))
    assert value(sleep, "sleep_hygiene_tried") is False
    release = ["Right open carpal tunnel release"]
    splint = draft("A night wrist splint was dispensed in 02-2017, but she says she has never worn it.", release, as_of=dt.date(2017, 6, 20))
    assert value(splint, "conservative_care_given", 0) == "absent" and value(splint, "conservative_care_given") == "absent"
    worn = draft("She has worn a night wrist splint since 02-2017.", release, as_of=dt.date(2017, 6, 20))
    assert True in (value(worn, "conservative_care_given"), value(worn, "conservative_care_given", 0))
    tried = "He has tried ibuprofen 800 mg three times daily, then naproxen 500 mg twice daily, each for four weeks, without meaningful relief."
    assert value(draft(tried, ["Tramadol 50mg #60"], as_of=dt.date(2016, 10, 14)), "first_line_analgesic_failed") is True


def test_a_mood_scale_that_fell_is_a_better_mood_and_still_reporting_a_symptom_is_present():
    """(batch 68) A depression inventory lower by 5 points or more is a better mood, a smaller change or mood told as
    unchanged is none; "has not seen a mental health provider and still reports anxiety" tells the anxiety."""
    as_of, request = dt.date(2017, 1, 9), ["Sertraline 100mg #30"]
    fell = draft("The progress report of 12-27-2016 records that his PHQ-9 has fallen from 19 to 9.", request, as_of=as_of)
    assert value(fell, "mood_improved") is True
    intake = draft("Her Beck Depression Inventory-II had fallen from 29 at intake to 17.", request, as_of=as_of)
    assert value(intake, "mood_improved") is True
    small = draft("Her BDI-II was 27, compared with 29 before.", request, as_of=as_of)
    assert value(small, "mood_improved") is False
    same = draft("His mood is unchanged on sertraline.", request, as_of=as_of)
    assert value(same, "mood_improved", 0) is False
    anxiety = draft("He has not seen a mental health provider and still reports anxiety when boarding a bus.", request, as_of=as_of)
    assert value(anxiety, "psychological_symptoms") is True


def test_sessions_certified_then_attended_and_weekly_sessions_to_date_are_counted():
    """(batch 68) "authorized an initial trial of four CBT sessions, which she attended" is four visits given; "CBT ...
    weekly since 02-23-2015, eight sessions to date" is eight visits and eight weeks of CBT; "Oswestry Disability Index
    from 46% to 32%" is a measured gain."""
    cbt = ["Cognitive behavioral therapy x 6 sessions"]
    authorized = "She was authorized an initial trial of four cognitive behavioral therapy sessions, which she attended twice weekly."
    assert value(draft(authorized, cbt, as_of=dt.date(2016, 11, 7)), "therapy_visits_completed", 0) == 4
    weekly = "She has attended cognitive behavioral therapy with a pain psychologist weekly since 02-23-2015, eight sessions to date."
    counted = draft(weekly, cbt + ["Biofeedback x 4 sessions"], as_of=dt.date(2015, 4, 27))
    assert value(counted, "therapy_visits_completed", 0) == 8 and value(counted, "cognitive_behavioral_therapy_weeks") == 8
    odi = draft("He completed four CBT sessions. His Oswestry Disability Index went from 46% to 32%.", cbt, as_of=dt.date(2015, 9, 14))
    assert value(odi, "functional_improvement") is True


def test_a_dose_before_the_verb_and_a_decimal_measure_do_not_hide_the_finding():
    """(batch 68) "Gabapentin 300 mg three times daily has reduced the burning leg pain from 8/10 to 5/10" gives both
    scores; "flexion-extension radiographs ... show 5.5 mm of translation" is instability (the decimal point is no end
    of the sentence); "complete loss of the medial joint space" is advanced osteoarthritis, a focal full-thickness
    chondral defect with joint spaces well preserved is not."""
    told = "Gabapentin 300 mg three times daily has reduced the burning leg pain from 8/10 to 5/10."
    gaba = draft(told, ["Gabapentin 300mg #90"], as_of=dt.date(2017, 3, 21))
    assert value(gaba, "pain_score_without_medication", 0) == 8 and value(gaba, "pain_score_with_medication", 0) == 5
    films = "Standing flexion-extension radiographs of 02-06-2017 show 5.5 mm of translation of L4 on L5 between flexion and extension."
    assert value(draft(films, ["L4-L5 fusion"], as_of=dt.date(2017, 3, 21)), "spinal_instability", 0) is True
    tka = ["Left total knee arthroplasty"]
    lost = draft("Standing left knee radiographs show complete loss of the medial joint space with osteophytes.", tka, as_of=dt.date(2015, 8, 21))
    assert value(lost, "advanced_osteoarthritis_imaging", 0) is True
    focal = ("Standing right knee radiographs show well-preserved medial and lateral joint spaces, and the MRI shows a focal 8 mm "
             "full-thickness chondral defect of the medial femoral condyle and otherwise normal cartilage.")
    assert value(draft(focal, ["Right knee arthroscopy with chondroplasty"], as_of=dt.date(2016, 11, 8)), "advanced_osteoarthritis_imaging", 0) is False


def test_surgery_psychology_and_referral_findings_batch_68():
    """(batch 68) A psychological evaluation ordered that "has not been performed" is none done; the claimant's own
    arterial disease with low ankle-brachial indices leaves walking leg pain unexplained by the spine; a consultation
    "for evaluation and medication management" states its question."""
    fusion = ["L5-S1 spinal fusion"]
    pending = draft("A presurgical psychological evaluation was ordered on 06-09-2015 but has not been performed.", fusion, as_of=dt.date(2015, 8, 21))
    assert value(pending, "psychosocial_assessment_satisfactory") is False
    lami = ["L4-L5 decompressive laminectomy"]
    walking = "He reports bilateral buttock and calf pain that comes on after walking about one block and eases when he sits."
    assert value(draft(walking, lami, as_of=dt.date(2015, 10, 6)), "radicular_pain", 0) is True
    pad = walking + " He has peripheral arterial disease with absent pedal pulses and ankle-brachial indices of 0.56 and 0.61."
    assert value(draft(pad, lami, as_of=dt.date(2015, 10, 6)), "radicular_pain", 0) is None  # a vascular cause: in conflict
    asked = "The report requests a psychiatric consultation for evaluation and medication management."
    consult = draft(asked, ["Psychiatric consultation"], as_of=dt.date(2016, 12, 5))
    assert value(consult, "referral_question_documented") is True


def test_crps_failed_back_surgery_and_block_outcomes_batch_68():
    """(batch 68) CRPS diagnosed years ago is still an indication for a stimulator; spine surgery done and "not a
    candidate for further surgery" is failed back surgery described; a list of care then "her pain remains 8/10" is care
    that failed; a block that "helped a little" for two days gave no lasting benefit; a trial "maybe 20% better" failed;
    CRPS only to rule out is no diagnosis, and its signs on the foot bear on a lumbar sympathetic block."""
    scs = ["Spinal cord stimulator trial"]
    old = draft("In 2013 she was diagnosed with complex regional pain syndrome of the right foot.", scs, as_of=dt.date(2017, 8, 22))
    assert value(old, "scs_indicated_condition") is True
    fbss = ("She underwent a right L5-S1 microdiscectomy in 2012 and a fusion in 2014; the surgeon's note of 12-01-2015 "
            "states she is not a candidate for further surgery.")
    assert value(draft(fbss, scs, as_of=dt.date(2016, 2, 3)), "scs_indicated_condition") is True
    remains = "Treatment to date has included 24 occupational therapy sessions and three stellate ganglion blocks; her pain remains 8/10."
    assert value(draft(remains, scs, as_of=dt.date(2015, 12, 8)), "conservative_care_failed") is True
    block = ["Left lumbar sympathetic block #2"]
    little = draft("At follow-up he said the block 'helped a little' for about two days.", block, as_of=dt.date(2015, 6, 15))
    assert value(little, "prior_injection_benefit") is False
    trial = draft("During the trial she rated her pain 'maybe 20% better,' with paresthesia covering only part of the foot.",
                  ["Spinal cord stimulator permanent implant"], as_of=dt.date(2017, 8, 22))
    assert value(trial, "scs_trial_successful") is False
    listed = "The diagnosis was listed as left wrist pain, rule out complex regional pain syndrome."
    rule_out = draft(listed, ["Left stellate ganglion block"], as_of=dt.date(2016, 9, 12))
    assert value(rule_out, "crps_diagnosed") == "absent" and value(rule_out, "crps_suspected") is True
    foot = draft("The left foot was 1.6 degrees C warmer than the right, with pitting edema and allodynia to light touch.",
                 ["Left lumbar sympathetic block"], as_of=dt.date(2017, 6, 20))
    assert value(foot, "crps_diagnosed", 0) is True


def test_home_care_transport_bathroom_and_weight_facts_are_read_batch_69():
    """(batch 69) Skilled tasks asked for at home are medical treatment, an aide for bathing and housework is not; no one
    to drive and a bus the claimant cannot manage keep the claimant from appointments, driving herself does not; hip
    precautions or near-falls at the tub limit the toilet or bath, independence in them does not; hypertension or a
    diabetic HbA1c is an obesity-related condition, denied it is none."""
    nursing = ["Home health nursing 3x/week x 3 weeks"]
    asked = "The surgeon requested home nursing visits for dressing changes and a wound check three times weekly."
    skilled = draft(asked, nursing, as_of=dt.date(2015, 4, 6))
    assert value(skilled, "home_health_medical_treatment") is True
    aide = draft("The visits are requested so that an aide can help him bathe, dress and do light housekeeping.", nursing, as_of=dt.date(2017, 1, 16))
    assert value(aide, "home_health_medical_treatment") is False
    ride = ["Transportation to and from medical appointments x 12"]
    alone = "She has not been cleared to drive and lives alone with no one available to drive her."
    assert value(draft(alone, ride, as_of=dt.date(2016, 10, 24)), "unable_to_self_transport") is True
    drives = draft("She drives herself to every therapy visit.", ride, as_of=dt.date(2016, 10, 24))
    assert value(drives, "unable_to_self_transport") is False
    seat = ["Raised toilet seat"]
    hip = draft("Hip precautions after the total hip arthroplasty: no flexion past 90 degrees.", seat, as_of=dt.date(2016, 11, 20))
    assert value(hip, "toileting_bathing_limitation") is True
    tub = draft("Two near-falls stepping out of the tub in the past 2 wks.", ["Shower chair"], as_of=dt.date(2016, 11, 20))
    assert value(tub, "toileting_bathing_limitation") is True
    independent = draft("He is independent in all ADLs including toilet transfers.", seat, as_of=dt.date(2016, 11, 20))
    assert value(independent, "toileting_bathing_limitation") is False
    program = ["Medically supervised weight loss program x 12 weeks"]
    assert value(draft("BMI 38; hypertension treated with lisinopril.", program, as_of=dt.date(2016, 5, 2)), "obesity_comorbidity") is True
    assert value(draft("Labs 9/2016: HbA1c 8.1%.", program, as_of=dt.date(2016, 11, 2)), "obesity_comorbidity") is True
    assert value(draft("BMI 34. Denies hypertension or diabetes.", program, as_of=dt.date(2016, 5, 2)), "obesity_comorbidity") is False


def test_courses_restarts_and_drugs_started_at_the_visit_batch_70():
    """(batch 70) A course stopped and the same drug prescribed again for a new flare runs from the new prescription; a
    drug the physician "started" at the visit the request follows is a new start, even in a sentence naming two drugs;
    a drug "restarted" is judged with its earlier course, so it is not; nor is a drug started at a visit long before."""
    flare = ("On 09-14-2015 he was given a 10-day course of methocarbamol for a flare. At the 10-12-2015 follow-up the "
             "methocarbamol had been stopped. At the visit of 06-05-2017 the physician prescribed methocarbamol 750 mg for a new flare.")
    meds = {m["drug"]: m for m in draft(flare, ["Methocarbamol 750mg #30"], as_of=dt.date(2017, 6, 12))["medications"]}
    assert meds["methocarbamol"]["status"] == "current" and "documented_since" not in meds["methocarbamol"]
    two = ("Examination on 09-14-2015 showed a positive straight leg raise. The physician started gabapentin 300 mg three "
           "times daily and at the same visit prescribed lidocaine 5% patches.")
    meds = {m["drug"]: m for m in draft(two, ["Gabapentin 300mg #90"], as_of=dt.date(2015, 9, 21))["medications"]}
    assert meds["gabapentin"]["new_start"] is True
    again = draft("At the 10-24-2016 visit the surgeon restarted naproxen 550 mg twice daily.", as_of=dt.date(2016, 11, 7))
    assert "new_start" not in again["medications"][0]
    long_ago = draft("At the 02-10-2015 visit the physician started gabapentin 300 mg at bedtime.", as_of=dt.date(2016, 11, 7))
    assert "new_start" not in long_ago["medications"][0]


def test_gains_side_effects_and_the_visit_that_decides_batch_70():
    """(batch 70) The four A's told in a note's shorthand or the past tense of the visit; a bare "improves function" is
    no documented gain; a work limit raised and a motion "improved to" its new measure are; a denial of side effects does
    not reach the CURES report after it; "mild constipation, on senna" is the requested drug's side effect; dizziness with
    a near-fall is severe, and told resolved "on the lower dose" it is the one drug's; signs denied at a later visit are
    the signs now; a symptom the claimant reports is no deficit; findings of the right hand are not the left's."""
    norco = ["Norco 10/325mg #90"]
    note = draft("VAS 8/10 -> 4/10 with meds; able to walk 30 min and do dishes; mild constipation, on senna.", norco, as_of=dt.date(2017, 8, 22))
    assert value(note, "functional_improvement") is True and value(note, "side_effects_assessed") is True
    bare = draft("Pain is 7/10 without and 3/10 with tramadol; the physician writes that tramadol 'improves function'.",
                 ["Tramadol 50mg #90"], as_of=dt.date(2015, 3, 10))
    assert value(bare, "functional_improvement", 0) == "absent"
    past = ("He rated knee pain 7/10 without and 3/10 with tramadol ER, continued full-duty work, denied nausea, dizziness "
            "or constipation, the CURES report showed a single prescriber, and a urine drug screen was consistent.")
    visit = draft(past, ["Tramadol ER 150mg #30"], as_of=dt.date(2017, 9, 5))
    assert value(visit, "functional_improvement", 0) is True and value(visit, "single_prescriber") is True
    pt = ["Physical therapy 2 times a week for 2 weeks, lumbar spine"]
    raised = "The therapy re-evaluation after the sixth visit found his lifting restriction had been raised to 25 pounds."
    gains = draft(raised, pt, as_of=dt.date(2017, 4, 17))
    assert value(gains, "functional_improvement") is True and value(gains, "therapy_visits_completed", 0) == 6
    chiro = draft("The sixth chiropractic visit and re-examination found lumbar flexion had improved to 70 degrees.",
                  ["Chiropractic 2 times a week for 3 weeks, lumbar spine"], as_of=dt.date(2015, 3, 20))
    assert value(chiro, "functional_improvement", 0) is True
    plan = draft("The PHQ-9 will be repeated after the fourth session.", ["Cognitive behavioral therapy x4 sessions"], as_of=dt.date(2015, 7, 6))
    assert value(plan, "therapy_visits_completed", 0) == "absent"
    gaba = ["Gabapentin 300mg #90"]
    fell = draft("At the 11-24-2014 visit she reported continued dizziness and a second near-fall on the lower dose.", gaba, as_of=dt.date(2014, 12, 8))
    assert value(fell, "severe_side_effects", 0) is True
    eased = draft("At the 11-24-2014 visit she reported that the dizziness had resolved on the lower dose.", gaba, as_of=dt.date(2014, 12, 8))
    assert value(eased, "severe_side_effects", 0) is False
    emg = ["EMG/NCS of the right upper extremity"]
    signs = ("The note of 03-14-2016 documented a positive Tinel sign at the right wrist. At the visit of 09-19-2016 Tinel "
             "and Phalen tests were negative and sensation was intact in all digits.")
    assert value(draft(signs, emg, as_of=dt.date(2016, 10, 3)), "nerve_entrapment_signs", 0) is False
    told = draft("At the 03-28-2016 visit she reported back pain of 5/10 with intermittent tingling in the left foot; no "
                 "neurological examination was recorded.", ["MRI of the lumbar spine"], as_of=dt.date(2016, 11, 7))
    assert value(told, "neurologic_deficit", 0) == "absent"
    both = ("Examination showed a positive Tinel's sign at the right wrist and diminished light touch in the right median "
            "nerve distribution; the left hand examination was normal.")
    sides = draft(both, ["EMG/NCS right upper extremity", "EMG/NCS left upper extremity"], as_of=dt.date(2015, 4, 23))
    assert value(sides, "nerve_entrapment_signs", 0) is True and value(sides, "nerve_entrapment_signs", 1) != True  # noqa: E712


def test_radicular_signs_rehabilitation_and_activities_with_family_batch_70():
    """(batch 70) A sensory loss named by its root level is a root finding, and the signs back at the latest visit agree
    with the diagnosis over a visit between without them; therapy completed and discharged, none planned, is no
    rehabilitation now; a walk with the claimant's wife is the claimant's activity; a sentence opened by "should" and
    a thing that may happen holds what follows until it does."""
    esi = ["Repeat left L5-S1 transforaminal epidural steroid injection"]
    course = ("Diagnoses include left L5 radiculopathy. At the visit of 01-11-2016 the straight leg raise was negative. At the "
              "03-07-2016 visit the straight leg raise was positive on the left and L5 sensory loss was again present.")
    assert value(draft(course, esi, as_of=dt.date(2016, 3, 14)), "radiculopathy", 0) is True
    done = draft("She completed 12 physical therapy visits in early 2016 and was discharged, and no further therapy is planned.",
                 ["Acupuncture 2x3 lumbar spine"], as_of=dt.date(2017, 1, 17))
    assert value(done, "active_rehabilitation") is not True
    walk = draft("He rated pain 8/10 without and 4/10 with Percocet, described walking a mile with his wife each morning, "
                 "doing his own yard work.", ["Percocet 10/325mg #90"], as_of=dt.date(2014, 11, 10))
    assert value(walk, "functional_improvement", 0) is True
    nursing = ["Home health nursing 3x/week x 3 weeks"]
    should = draft("Staples out, incision dry. Should drainage recur, would order skilled nursing visits.", nursing, as_of=dt.date(2016, 2, 10))
    assert value(should, "home_health_medical_treatment") == "absent"
    need = draft("He will need physical therapy in the home until he can manage the stairs.", ["Home health physical therapy"], as_of=dt.date(2016, 7, 11))
    assert value(need, "home_health_medical_treatment") is True
