"""The cue machinery of issue 14, on sentences written for these tests (never the paraphrase set's):
values computed from a match, facts read from the request lines, statements about another region
or another drug set aside, per-target context rules, conditional and other-person mentions, the
family cue files, and the speed-ups that must not change what is found (required literals, drug
names as a prefix tree, the modifier index)."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path
from typing import Any

import pytest

from checker.base.errors import InputError
from checker.extract import Extractor, draft_facts
from checker.extract.text import trie_regex
from checker.load.ruleset import load_ruleset
from checker.text.context import Modifiers, load_context_rules
from checker.text.extract_cues import load_extraction_cues
from checker.text.literals import required_literals

REPO = Path(__file__).resolve().parents[1]
RULESET = load_ruleset(REPO / "rules")


def value(text: str, fact: str, requests: list[str] | None = None, as_of: dt.date | None = None, item: int | None = None) -> Any:
    d = draft_facts(text, requests or [], RULESET, as_of)
    if fact == "age":
        return d.get("claimant", {}).get("age", "absent")
    facts = d["facts"] if item is None else {**d["facts"], **d["requests"][item].get("facts", {})}
    return facts[fact]["value"] if fact in facts else "absent"


@pytest.mark.parametrize(
    ("text", "fact", "requests", "expected"),
    [
        # numbers read from the match, with their unit
        ("Films of the ankle demonstrate a 0.8 cm tibiotalar effusion.", "ankle_xray_effusion_mm", ["MRI ankle"], 8),
        ("After the L5-S1 epidural her pain dropped from 9/10 to 3/10.", "prior_esi_pain_relief_percent", [], 66.7),
        ("The transforaminal ESI relieved her symptoms for about 3 months.", "prior_esi_relief_weeks", [], 13),
        ("She finished three courses of eight PT visits each.", "therapy_visits_completed", [], 24),
        ("Knee flexion 95/135 on the right.", "objective_functional_deficits", [], True),
        ("Knee flexion 135/135 bilaterally.", "objective_functional_deficits", [], False),
        ("Grip: R 42 kg, L 40 kg.", "objective_functional_deficits", [], False),
        # a date of birth gives the age on the request date
        ("Date of birth: 12/30/1970. Seen for the lumbar spine.", "age", [], 45),
    ],
)
def test_computed_values(text: str, fact: str, requests: list[str], expected: Any) -> None:
    assert value(text, fact, requests, dt.date(2016, 12, 1), item=0 if requests else None) == expected


def test_dated_tests_are_counted_within_a_year_of_the_request() -> None:
    text = "UDS collected on 2/2/15, 3/10/16 and 11/1/16."
    assert value(text, "urine_drug_tests_past_year", as_of=dt.date(2016, 12, 1)) == 2
    assert value(text, "urine_drug_tests_past_year") == "absent"  # no request date, no window


def test_request_lines_state_their_own_facts() -> None:
    d = draft_facts("Seen in follow-up.", ["Meloxicam 15mg #30", "Lidoderm 5% patch"], RULESET)
    quantity = [r.get("facts", {}).get("medication_quantity_specified") for r in d["requests"]]
    assert [q["value"] for q in quantity] == [True, False]
    assert quantity[0]["source"] == "request line" and quantity[0]["evidence"]["cue"] == "#30"
    # an opioid requested beside the laxative is opioid therapy for the whole case
    assert value("Post-operative visit.", "opioid_therapy", ["Senna 8.6mg #60", "Percocet 5/325 #30"]) is True
    # a request line only states what it names
    assert value("TENS unit for the low back.", "tens_trial_requested", ["TENS unit 30-day rental"], item=0) is True
    assert value("TENS unit for the low back.", "tens_trial_requested", ["TENS unit purchase"], item=0) is False


def test_a_statement_about_another_region_or_side_is_set_aside() -> None:
    assert value("Had a cervical epidural last year.", "prior_esi", ["Lumbar epidural steroid injection"]) == "absent"
    assert value("Had a lumbar epidural last year.", "prior_esi", ["Lumbar epidural steroid injection"], item=0) is True
    assert value("Her left knee buckles on stairs.", "mechanical_joint_symptoms", ["MRI right knee"]) == "absent"
    assert value("Her right knee buckles on stairs.", "mechanical_joint_symptoms", ["MRI right knee"], item=0) is True
    # (batch 52) the other hand's measure in brackets is the comparison, not a statement about that hand
    assert value("Right grip 19 kg (left 33 kg).", "objective_functional_deficits", ["Hand therapy 2x4, right wrist"]) is True


def test_another_drug_needs_one_of_the_requested_class() -> None:
    assert value("She also takes Mobic.", "other_nsaid_concurrent", ["Ibuprofen 600mg #60"], item=0) is True
    assert value("She also takes ibuprofen.", "other_nsaid_concurrent", ["Ibuprofen 600mg #60"]) == "absent"
    assert value("She also takes Mobic.", "other_nsaid_concurrent", ["Omeprazole 20mg #30"]) == "absent"
    assert value("Occasional NSAIDs help.", "other_nsaid_concurrent", ["Ibuprofen 600mg #60"]) == "absent"


@pytest.mark.parametrize(
    ("text", "fact", "expected"),
    [
        ("Her brother has chronic migraines treated with Fioricet and tramadol.", "opioid_therapy", "absent"),
        ("Family history of peptic ulcer disease.", "gi_bleeding_history", "absent"),
        ("Should the epidural fail, a fusion is possible; if her leg weakness progresses, surgery.", "surgery_planned", "absent"),
        ("In case of a flare she may use ice at home.", "home_application", "absent"),
        ("Underwent a lumbar fusion in 2009 with good results.", "psych_evaluation_before_procedure", "absent"),
        ("A lumbar fusion is being planned.", "psych_evaluation_before_procedure", True),
        ("Declines the recommended knee arthroscopy.", "surgery_planned", False),
        ("Ankle sprain from a fall three days ago.", "sprain_strain", True),
        ("Chronic lumbar strain since 2011.", "sprain_strain", "absent"),
        ("Her knee pain is exacerbated by kneeling.", "acute_exacerbation", "absent"),
    ],
)
def test_context_rules_of_the_new_cues(text: str, fact: str, expected: Any) -> None:
    assert value(text, fact) == expected


def test_a_target_with_a_companion_fact_stands_only_beside_it() -> None:
    """"Not improving" is failed care only where the text also gives care already given."""
    given = "She has finished six therapy visits and takes naproxen. Her knee pain is not improving."
    assert value(given, "conservative_care_failed") is True
    assert value("Her knee pain is not improving.", "conservative_care_failed") == "absent"


def test_a_therapy_authorized_but_never_started_was_not_given() -> None:
    assert value("Six PT visits were certified but she never started them.", "therapy_program_given") is False


def test_the_cue_files_are_read_by_family_and_each_fact_once(tmp_path: Path) -> None:
    cues = load_extraction_cues()
    assert {"ankle_xray_effusion_mm", "opioid_therapy", "lab_test", "tens_trial_requested", "acute_muscle_spasm"} <= set(cues.facts)
    main = tmp_path / "facts.yaml"
    main.write_text((REPO / "checker" / "cues" / "facts.yaml").read_text())
    family = tmp_path / "facts"
    family.mkdir()
    (family / "extra.yaml").write_text("schema: mtus-extract-cues/1\nfacts:\n  acute_muscle_spasm:\n    targets: [{regex: 'cramp', value: true}]\n")
    with pytest.raises(InputError, match="cues already given"):
        load_extraction_cues(main)


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("{regex: '(?P<n>\\d+) mm', value: {number: m}}", "no group 'm'"),
        ("{regex: '\\d+ mm', value: {number: n, product: [a, b]}}", "one way to compute"),
        ("{regex: 'x', value: true, keep: [sometimes]}", "unknown category"),
        ("{regex: 'x', value: true, with_fact: no_such_fact}", "no cues find a fact 'no_such_fact'"),
        ("{regex: '(?P<n>\\d+) mm', value: {number: n, by: 5}}", "only a 'below' value has a margin"),
        ("{regex: '(?P<a>\\d+) to (?P<b>\\d+)', value: {below: [b, a], by: -2}}", "only a 'below' value has a margin"),
    ],
)
def test_a_wrong_target_is_refused(tmp_path: Path, target: str, problem: str) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(f"schema: mtus-extract-cues/1\nfacts:\n  acute_muscle_spasm:\n    targets: [{target}]\n")
    with pytest.raises(InputError, match=problem):
        load_extraction_cues(path)


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (r"\bfunctional\s+(?:gains?|improvement)\b", ("functional",)),
        (r"\b(?:Tinel|Phalen)(?:'s)?\s+positive", ("positive",)),  # the longest of the required strings
        (r"\b(?:Tinel|Phalen)(?:'s)?\s+(?:test\s+)?[+]", ("phalen", "tinel")),
        (r"\b(?:a|b)\s+x", None),  # nothing of three letters or more is required
        (r"(?:spasm)?\s*tight", ("tight",)),  # an optional part requires nothing
    ],
)
def test_required_literals(pattern: str, literals: tuple[str, ...] | None) -> None:
    assert required_literals(re.compile(pattern, re.IGNORECASE)) == literals


def test_a_sentence_without_the_required_literals_never_matches() -> None:
    extractor = Extractor(RULESET)
    rng = random.Random(14)
    words = "no not pain spasm tinel positive negative flexion 90/180 norco tramadol ESI relief weeks 50% hernia PT x 12 sprain acute".split()
    for _ in range(400):
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(1, 14)))
        lowered = sentence.lower()
        for name, patterns in extractor.targets.fact_patterns.items():
            for (pattern, _), literals in zip(patterns, extractor.targets.fact_literals[name], strict=True):
                if literals is not None and not any(lit in lowered for lit in literals):
                    assert pattern.search(sentence) is None, (name, pattern.pattern[:80], sentence)


def test_drug_names_as_a_prefix_tree_match_what_the_plain_alternation_matches() -> None:
    names = ["hydrocodone", "hydromorphone", "hydrocodone/apap", "ms contin", "ms", "oxycodone"]
    tree = re.compile(r"(?<![A-Za-z0-9])(?:" + trie_regex(names) + r")(?![A-Za-z0-9])", re.IGNORECASE)
    alternation = "|".join(r"\s+".join(map(re.escape, n.split())) for n in sorted(names, key=len, reverse=True))
    plain = re.compile(r"(?<![A-Za-z0-9])(?:" + alternation + r")(?![A-Za-z0-9])", re.IGNORECASE)
    text = "Takes Hydrocodone/APAP and MS  Contin, not hydromorphone; MS alone; oxycodones."
    assert [m.span() for m in tree.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_the_modifier_index_finds_what_a_full_look_finds() -> None:
    rules = load_context_rules()
    rng = random.Random(7)
    words = "no not denies history of prior plan will if but however ; pain spasm therapy negative possible may be needed".split()
    for _ in range(300):
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(1, 60)))
        indexed = rules.modifiers(sentence)
        assert isinstance(indexed, Modifiers)
        plain = list(indexed)
        for m in re.finditer(r"\S+", sentence):
            assert rules.assess(indexed, *m.span()) == rules.assess(plain, *m.span())


# Phrasings written for these tests after the cue families (by someone who had read the cues, so
# they guard what the families cover rather than measure it; the paraphrase set measures).
T, F = True, False
OWN_PHRASINGS = [
("Paraspinal musculature is in spasm bilaterally.", "acute_muscle_spasm", [], T),
("No palpable muscle spasm today.", "acute_muscle_spasm", [], F),
("Her back pain flared up again after moving furniture on Saturday.", "acute_exacerbation", [], T),
("She was unable to tolerate ibuprofen because of stomach pain.", "first_line_analgesic_failed", [], T),
("Tylenol controls her pain adequately.", "first_line_analgesic_failed", [], F),
("Since starting gabapentin he can stand at work for a full shift.", "functional_improvement", ["Gabapentin 300mg #90"], T),
("Her activity level is the same as before the Lyrica.", "functional_improvement", ["Lyrica 50mg #60"], F),
("Tramadol gives her about 40% relief.", "pain_relief", ["Tramadol 50mg #90"], T),
("Ultram has done nothing for her pain.", "pain_relief", ["Tramadol 50mg #90"], F),
("Denies constipation or sedation on Norco.", "side_effects_assessed", ["Norco 10/325 #60"], T),
("Pill count was short and he admits taking extra tablets.", "aberrant_drug_behavior", [], T),
("No evidence of aberrant behaviors.", "aberrant_drug_behavior", [], F),
("Last urine toxicology was positive for cocaine.", "urine_drug_screen_consistent", [], F),
("A drug screen was collected today.", "urine_drug_screen_done", [], T),
("The PDMP was reviewed and is appropriate.", "cures_checked", [], T),
("Signed opioid treatment agreement on file.", "pain_agreement", [], T),
("Six months of physical therapy and two injections have not helped.", "conservative_care_failed", [], T),
("Has done HEP daily for three months.", "home_exercise_program", [], T),
("Reports fevers and night sweats.", "red_flags", [], T),
("Denies bowel or bladder incontinence.", "red_flags", [], F),
("EHL weakness 4/5 on the right.", "neurologic_deficit", [], T),
("Positive straight leg raise on the right at 45 degrees with pain radiating to the foot.", "radiculopathy", [], T),
("Lumbar MRI shows a large L5-S1 herniation compressing the S1 nerve root.", "imaging_corroborates", ["Lumbar epidural steroid injection L5-S1"], T),
("New onset of left leg numbness since the last MRI.", "significant_change", [], T),
("She is scheduled for a right carpal tunnel release next month.", "surgery_planned", [], T),
("He remains off work.", "work_status", [], "off_work"),
("Working full duty.", "work_status", [], "working"),
("The patient failed to improve with 8 weeks of physical therapy for the shoulder.", "strengthening_program_failed", ["MRI right shoulder"], T),
("Lachman is positive with no firm endpoint.", "internal_derangement_suspected", ["MRI left knee"], T),
("Negative McMurray.", "internal_derangement_suspected", ["MRI left knee"], F),
("Popping and locking of the knee with pivoting.", "mechanical_joint_symptoms", [], T),
("Has been taking naproxen and wearing a lumbar brace.", "conservative_care_given", [], T),
("Positive Tinel sign at the right carpal tunnel.", "nerve_entrapment_signs", [], T),
("Had a caudal epidural in 2014.", "prior_esi", ["Lumbar epidural steroid injection"], T),
("The last ESI gave about 60 percent improvement for ten weeks.", "prior_esi_pain_relief_percent", ["Lumbar epidural steroid injection"], 60),
("The last ESI gave about 60 percent improvement for ten weeks.", "prior_esi_relief_weeks", ["Lumbar epidural steroid injection"], 10),
("Pain increases with lumbar extension and rotation and is localized to the low back.", "facet_pain_suspected", [], T),
("Medial knee osteoarthritis with pain on stairs and limited walking.", "knee_osteoarthritis_symptomatic", [], T),
("Currently on oxycodone 10 mg four times a day.", "opioid_therapy", [], T),
("Takes meloxicam daily for the knee.", "nsaid_therapy", [], T),
("History of a GI bleed in 2012.", "gi_bleeding_history", [], T),
("He is on prednisone for asthma.", "gi_risk_medication", [], T),
("Complains of heartburn with naproxen.", "nsaid_dyspepsia", [], T),
("Burning pain with allodynia along the scar.", "neuropathic_pain", [], T),
("She meets criteria for fibromyalgia.", "fibromyalgia", [], T),
("Lateral epicondylitis of the right elbow.", "osteoarthritis_or_tendinitis", ["Voltaren gel 1% right elbow"], T),
("She wakes every two hours because of neck pain.", "insomnia_evaluated", [], T),
("Diagnosed with ED by urology.", "sildenafil_indication", [], T),
("Nine months of conservative treatment before this surgical request.", "conservative_care_months", [], 9),
("Hypertension and type 2 diabetes.", "preoperative_risk_factors", [], T),
("CBC before the procedure.", "lab_test", ["Pre-op labs"], "cbc"),
("On warfarin.", "bleeding_risk", [], T),
("Smoker with COPD.", "pulmonary_complication_risk", [], T),
("Unable to walk without assistance because of poor balance; a walker is needed.", "equipment_medical_need", ["Front-wheeled walker"], T),
("The patient has been at maximum medical improvement since June.", "near_maximum_medical_improvement", [], T),
("Depressed mood and anxiety.", "psychological_symptoms", [], T),
("She is confined to her home.", "homebound", [], T),
("Cumulative trauma to both wrists from years of typing.", "cumulative_trauma", [], T),
("Completed 6 weeks of cognitive behavioral therapy.", "cognitive_behavioral_therapy_weeks", [], 6),
("Shoulder abduction limited to 90 degrees.", "objective_functional_deficits", [], T),
("Receiving physical therapy twice a week.", "active_rehabilitation", ["Acupuncture x6"], T),
    ("Spurling maneuver reproduces radiating pain into the left arm.", "radiculopathy", [], T),
    ("Hawkins and Neer impingement signs positive.", "labral_tear_suspected", ["MR arthrogram shoulder"], None),
    ("Shoulder forward flexion to 120 degrees and abduction to 100 degrees.", "objective_functional_deficits", [], T),
    ("Cervical rotation 80 degrees to either side.", "objective_functional_deficits", [], F),
    ("She went through 12 weeks of therapy, two cortisone injections and bracing without lasting improvement.", "conservative_care_failed", [], T),
    ("Pain averages 7/10 without Norco and 4/10 with it.", "pain_score_with_medication", ["Norco 10/325 #60"], 4),
    ("He was thrown from a ladder about 12 feet up.", "severe_trauma", [], T),
]


@pytest.mark.parametrize(("text", "fact", "requests", "expected"), OWN_PHRASINGS)
def test_own_phrasings_of_the_fact_families(text: str, fact: str, requests: list[str], expected: Any) -> None:
    got = value(text, fact, requests, dt.date(2016, 12, 1), item=0 if requests else None)
    assert (got if got != "absent" else None) == expected and type(got if got != "absent" else None) is type(expected)


def test_a_note_s_layout_ends_sentences_but_hard_wrapped_prose_does_not() -> None:
    from checker.text.context import Document

    note = "Objective:\nLumbar spine: spasm L>R\nNo numbness\nDecreased sensation L5 on the left\n1. Lumbar strain\n2. Radiculopathy\n"
    assert [s.text for s in Document(note).sentences] == [
        "Objective:", "Lumbar spine: spasm L>R", "No numbness", "Decreased sensation L5 on the left", "1. Lumbar strain", "2. Radiculopathy",
    ]
    wrapped = (
        "The injured worker is a 50 year old man who reports low back pain with radiation into the\n"
        "Left leg and numbness of the foot, treated so far with physical therapy and medications\n"
        "including Norco and naproxen.\n"
    )
    assert len(Document(wrapped).sentences) == 1
    # a line that stops short of the text's width ended with its content
    assert value("No numbness\nDecreased sensation L5 on the left", "neurologic_deficit") is True


def test_a_section_heading_gives_its_lines_its_category() -> None:
    plan = "Exam: no spasm.\nPlan:\n- Physical therapy 2x6\n- UDS today\nWork status: modified duty\n"
    assert value(plan, "therapy_program_given") == "absent"  # planned, not given
    assert value(plan, "urine_drug_screen_done") is True  # done at this visit
    assert value(plan, "work_status") == "modified_duty"  # its own section, not the plan's
    assert value("PMH:\nLumbar radiculopathy\n", "radiculopathy") == "absent"
    assert value("Family history:\nFibromyalgia (mother)\n", "fibromyalgia") == "absent"
    # prose that goes on after the heading's line keeps its own context
    assert value("Plan: refill Norco. Norco decreases her pain.", "pain_relief", ["Norco 10/325 #90"], item=0) is True


def test_an_examination_s_movements_belong_to_the_joint_named_above_them() -> None:
    assert value("Lumbar spine:\nTender paraspinals\nROM: flexion 40 degrees, extension 10 degrees", "objective_functional_deficits") is True
    assert value("Shoulder:\nflexion 175 degrees, abduction 170 degrees", "objective_functional_deficits") is False


def test_a_benefit_long_past_says_nothing_of_now_but_a_recent_one_does() -> None:
    norco = ["Norco 10/325 #90"]
    assert value("Norco decreased her pain in 2012.", "pain_relief", norco, dt.date(2016, 12, 1), item=0) == "absent"
    assert value("Norco decreased her pain in 2016.", "pain_relief", norco, dt.date(2016, 12, 1), item=0) is True
    assert value("Norco used to decrease her pain.", "pain_relief", norco, dt.date(2016, 12, 1), item=0) == "absent"
    # care given or a study done long ago is still given or done: history is what those facts ask about
    assert value("Right knee MRI in 2014 showed a meniscal tear.", "prior_imaging", ["MRI right knee"], dt.date(2016, 12, 1), item=0) is True
    # a chronic diagnosis stated as history persists; resolved, it does not
    assert value("History of lumbar radiculopathy.", "neuropathic_pain") is True
    assert value("Lumbar radiculopathy in 2009 that resolved.", "neuropathic_pain") == "absent"


def test_a_month_in_the_year_before_the_request_dates_a_current_state() -> None:
    """A current state dated "in January 2016" for an April 2016 request is current; dated a year and
    more before, it is history; and the motion of a joint the examination does not name is the one
    joint the requests name."""
    norco = ["Norco 10/325 #90"]
    cures = "The UDS in January 2016 was consistent with prescribed medications and the CURES report was appropriate."
    assert value(cures, "single_prescriber", norco, dt.date(2016, 4, 12), item=0) is True
    assert value(cures, "single_prescriber", norco, dt.date(2017, 4, 12), item=0) == "absent"
    assert value("Forward flexion was 90 degrees.", "objective_functional_deficits", ["Post-operative physical therapy right shoulder x12"], item=0) is True
    assert value("Forward flexion was 90 degrees.", "objective_functional_deficits", ["Physical therapy lumbar spine x6"], item=0) is False


def test_a_finding_belongs_to_its_region_and_a_limb_s_sign_to_the_spine_that_supplies_it() -> None:
    assert value("Decreased sensation over the dorsum of the left foot.", "neurologic_deficit", ["MRI lumbar spine"], item=0) is True
    assert value("Decreased sensation over the dorsum of the left foot.", "neurologic_deficit", ["MRI cervical spine"], item=0) == "absent"
    assert value("Tenderness over the lumbar facets.", "facet_pain_suspected", ["Cervical facet injection C5-6"], item=0) == "absent"
    assert value("Scheduled for right knee arthroscopy.", "surgery_planned", ["MRI lumbar spine"], item=0) == "absent"
    assert value("EMG of the legs showed an L5 radiculopathy.", "imaging_corroborates", ["Lumbar ESI L4-5"], item=0) is True


def test_a_finding_that_names_no_region_is_the_whole_case_s_and_so_the_request_s_too() -> None:
    # a normal movement of the requested region says no deficit there, but a functional limit stated
    # without a region is a deficit of the case: one positive finding is enough (any_true)
    normal_flexion, therapy = "Lumbar flexion to 90 degrees.", ["Physical therapy lumbar spine x6"]
    assert value(normal_flexion, "objective_functional_deficits", therapy, item=0) is False
    assert value(f"She cannot sit for more than 20 minutes. {normal_flexion}", "objective_functional_deficits", therapy, item=0) is True
    # a finding placed in another region still stays there
    assert value(f"Cervical flexion limited to 20 degrees. {normal_flexion}", "objective_functional_deficits", therapy, item=0) is False


def test_no_change_in_a_list_that_ends_with_function_is_no_improvement() -> None:
    assert value("There were no changes in complaints or level of functioning.", "functional_improvement") is False
    assert value("There were no changes in her complaints.", "functional_improvement") == "absent"


def test_a_condition_names_its_body_part_and_a_limb_holds_its_joints() -> None:
    # "epicondylitis" is the elbow's: not the knee the topical NSAID is for
    assert value("Lateral epicondylitis.", "osteoarthritis_or_tendinitis", ["Voltaren gel 1% right knee"], item=0) == "absent"
    # carpal tunnel findings belong to an EMG of the arms; the knee is not the ankle
    assert value("Positive Tinel's at the carpal tunnel.", "nerve_entrapment_signs", ["EMG bilateral upper extremities"], item=0) is True
    assert value("Knee x-rays show a 10 mm effusion.", "ankle_xray_effusion_mm", ["MRI left ankle"], item=0) == "absent"


def test_a_look_alike_gives_nothing_and_an_age_beside_a_relative_is_theirs() -> None:
    assert value("He had a drug screen for a pre-employment physical.", "urine_drug_screen_done") == "absent"
    assert value("No urine drug screens have been done.", "urine_drug_screen_done") is False
    assert value("Her 70 y/o father drives her to visits. She is a 44 yo cashier.", "age") == 44
    assert value("Cyclobenzaprine 10 mg prn spasm.", "acute_muscle_spasm") == "absent"
    assert value("She is off opioids since the taper.", "current_opioid_therapy") is False


def test_earlier_injections_are_the_requested_kind_s() -> None:
    knee = ["Right knee steroid injection"]
    assert value("She has had three prior cortisone injections in the right knee.", "prior_injections_same_site", knee, item=0) == 3
    # another kind of injection says nothing of the one requested
    assert value("The trigger point injections helped for 3 months.", "prior_injection_benefit", knee, item=0) == "absent"
    assert value("This would be her first injection.", "prior_injections_same_site", knee, item=0) == 0
    assert value("Relief from the prior Synvisc series lasted about 6 months.", "prior_injection_relief_weeks", ["Synvisc-One right knee"], item=0) == 26.1


@pytest.mark.parametrize(
    ("text", "fact", "requests", "expected"),
    [
        ("Positive Hoffmann's sign with hyperreflexia in both legs.", "myelopathy_suspected", [], True),
        ("Downgoing toes, Hoffmann negative.", "myelopathy_suspected", [], False),
        ("Brief loss of consciousness after striking his head.", "intracranial_findings", ["CT head"], True),
        ("GCS 15 and no LOC.", "intracranial_findings", ["CT head"], False),
        ("Diagnostic medial branch blocks at L4-5 gave 85% relief.", "medial_branch_block_positive", ["Radiofrequency ablation L4-5"], True),
        ("Flexion-extension views show 4 mm of motion at L4-5 with spondylolisthesis.", "spinal_instability", [], True),
        ("BMI 34.1", "bmi", [], 34.1),
        ("Psychological evaluation cleared her for the stimulator trial.", "psychological_clearance", [], True),
        ("Mild osteoarthritis with joint spaces preserved.", "advanced_osteoarthritis_imaging", [], False),
        ("Taken to the ER after an overdose of oxycodone.", "severe_side_effects", ["Oxycodone 10mg #60"], True),
    ],
)
def test_facts_once_left_to_the_reviewer_are_drafted_when_stated(text: str, fact: str, requests: list[str], expected: Any) -> None:
    got = value(text, fact, requests, dt.date(2016, 12, 1), item=0 if requests else None)
    assert got == expected and type(got) is type(expected)


def test_a_positive_finding_outweighs_the_negatives_of_its_own_sentence_only() -> None:
    """resolve: true_in_its_sentence: the study that shows the entrapment and calls the other nerves
    normal confirms it; the same two findings in two sentences stay a conflict for the reviewer."""
    release = ["Right carpal tunnel release"]
    one_sentence = "NCS showed moderate right median neuropathy at the wrist; the ulnar studies were normal."
    assert value(one_sentence, "electrodiagnostic_confirmation", release, item=0) is True
    two_sentences = "NCS showed moderate right median neuropathy at the wrist. Ulnar nerve conduction was normal."
    assert value(two_sentences, "electrodiagnostic_confirmation", release, item=0) is None
    assert value("The EMG/NCS of both arms was normal.", "electrodiagnostic_confirmation", release, item=0) is False
