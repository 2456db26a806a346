"""Derived facts: request lines, durations, doses, morphine equivalents and drug names."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from checker.case import load_case
from checker.derive import derive_item_facts, doses_per_day, parse_request_line


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


def _facts(tmp_path: Path, ruleset, body: dict, item: int = 0) -> dict:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({"case": "t", "dates": {"injury": "2010-01-01", "request": "2014-06-10"}, **body}))
    case = load_case(path, ruleset)
    return {k: v.value for k, v in derive_item_facts(case, case.requests[item], ruleset.lexicon).items()}


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
