"""Written prescriptions read into doses: the table in tests/prescriptions.md (every opioid of the
conversion table in the forms it is sold in, liquids, patches, films, look-alike names, misspellings,
brands), each row's daily dose, days' supply, MME and drug worked out by hand; and properties: the
same dose written in mg or mcg, or as tablets or the equivalent volume of a liquid, gives the same MME."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from checker.load.lexicon import Lexicon, load_lexicon
from checker.load.prescription import Dose, doses_per_day, work_out
from checker.load.request_line import parse_request
from tests.cli_runner import run

REPO = Path(__file__).resolve().parent.parent
TABLE = Path(__file__).resolve().parent / "prescriptions.md"
LEXICON = load_lexicon(REPO / "rules" / "drugs.yaml")
PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def table_rows() -> list[tuple[str, ...]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 6 and cells[0] not in ("written prescription", "---"):
            rows.append(tuple(cells))
    return rows


ROWS = table_rows()


def dose_of(text: str, lexicon: Lexicon = LEXICON) -> Dose | None:
    """The line read as a case file's request line is (checker.load.request_line.parse_request), worked out."""
    _, rx = parse_request(text, lexicon)
    return work_out(rx, lexicon) if rx is not None and rx.drug else None


def test_the_table_holds_enough_prescriptions_of_every_opioid():
    assert len(ROWS) >= 150
    opioids = {g for g, d in LEXICON.drugs.items() if "opioid" in d.classes}
    assert opioids <= {row[1] for row in ROWS}, opioids - {row[1] for row in ROWS}


def _daily(dose: Dose, unit: str) -> str:
    """The daily dose in the unit the table gives it (mg, mcg, or a patch's mcg/h)."""
    if dose.daily_amount is None:
        return "-"
    if dose.daily_unit == "mcg/h":
        return f"{dose.daily_amount:g} mcg/h"
    amount = dose.daily_mg * 1000 if unit == "mcg" else dose.daily_mg
    return f"{round(amount, 3):g} {unit if unit in ('mg', 'mcg') else 'mg'}"


def _mme(dose: Dose) -> str:
    if dose.mme is not None:
        return f"{dose.mme:g}"
    if dose.mme_missing is not None and dose.mme_missing.code == "drug_not_in_table":
        return "none: drug"
    if dose.mme_missing is not None and dose.mme_missing.code == "form_not_in_table":
        return "none: form"
    return "-" if "opioid" in LEXICON.drugs[dose.prescription.drug].classes else "n/a"


def _close(expected: str, found: str) -> bool:
    """Numbers equal to within rounding of the last digit shown (33.75 MME is shown as 33.8)."""
    if expected == found:
        return True
    try:
        return abs(float(expected.split()[0]) - float(found.split()[0])) <= 0.051 and expected.split()[1:] == found.split()[1:]
    except ValueError:
        return False


@pytest.mark.parametrize(("text", "drug", "daily", "days", "mme", "working"), ROWS, ids=[r[0][:60] for r in ROWS])
def test_written_prescription(text, drug, daily, days, mme, working):
    dose = dose_of(text)
    if drug == "refused":
        assert dose is None, f"{text!r} read as {dose.prescription.drug}"
        return
    assert dose is not None, f"{text!r}: no drug read"
    found = {
        "drug": dose.prescription.drug,
        "daily": _daily(dose, daily.split()[-1]),
        "days": "-" if dose.days_supply is None else f"{dose.days_supply:g}",
        "mme": _mme(dose),
    }
    expected = {"drug": drug, "daily": daily, "days": days, "mme": mme}
    assert {k: v for k, v in found.items() if not _close(expected[k], v)} == {}, (expected, working)


def test_what_cannot_be_read_is_said_and_left_unknown():
    patch = dose_of("Fentanyl 25 mg patch q72h #10")
    assert patch.mme is None and patch.mme_missing.code == "patch_strength_not_per_hour" and patch.mme_missing.problem
    liquid = dose_of("Morphine sulfate oral solution 20 mg/mL QID #100 mL")
    assert liquid.daily_mg is None and liquid.mme is None and "liquid_without_volume" in {n.code for n in liquid.notes if n.problem}
    prn = dose_of("Oxycodone 5 mg 1 tab PRN #30")
    assert prn.daily_mg is None and "as_needed_without_limit" in {n.code for n in prn.notes if n.problem}
    form = dose_of("Fentanyl 100 mcg q4h")
    assert form.mme is None and form.mme_missing.code == "form_needed"


def test_a_strength_field_without_a_unit_is_said_and_left_unknown(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({"case": "t", "dates": {"request": "2017-01-10"}, "requests": [{"text": "Oxycodone q6h #120", "strength": 10}]}))
    out = run("check", path).stdout
    assert "    cannot read: the strength '10' gives no unit (mg, mcg, mcg/h, mg/mL, %)\n" in out and "MME: not worked out" in out


def test_the_conventions_taken_are_noted():
    norco = dose_of("Norco 10/325 mg 1-2 tabs PO q4-6h PRN #60")
    assert {"range_upper_bound", "interval_range_shortest", "as_needed_most_frequent"} <= {n.code for n in norco.notes}
    assert "assumed_one_unit" in {n.code for n in dose_of("Soma 350 mg BID #60").notes}
    assert "patch_mcg_per_hour" in {n.code for n in dose_of("Duragesic 25 mcg q72h #10").notes}


def test_methadone_factors_cover_the_whole_range():
    factors = {mg: dose_of(f"Methadone {mg} mg daily").factor_value for mg in (1, 20, 21, 40, 41, 60, 61, 80, 81, 200)}
    assert factors == {1: 4, 20: 4, 21: 8, 40: 8, 41: 10, 60: 10, 61: 12, 80: 12, 81: 12, 200: 12}


def test_a_word_built_on_a_drug_name_is_not_that_drug(repo_ruleset):
    """Without its own entry, 'desvenlafaxine' would be 'venlafaxine' with 'des' before it: refused."""
    drugs = {g: d for g, d in LEXICON.drugs.items() if g != "desvenlafaxine"}
    without = Lexicon(drugs=drugs, path="test", tables=LEXICON.tables)
    assert without.resolve("Desvenlafaxine") is None
    assert without.resolve("Venlafaxin").drug.generic == "venlafaxine"


@pytest.mark.parametrize(("written", "generic"), [
    ("Zohydro ER", "hydrocodone ER"), ("Hysingla", "hydrocodone ER"), ("hydrocodone extended-release", "hydrocodone ER"),
    ("Norco", "hydrocodone/acetaminophen"), ("Hydrocodone", "hydrocodone/acetaminophen"), ("Ambien CR", "zolpidem"),
    ("OxyContin", "oxycodone"), ("Percocet", "oxycodone/acetaminophen"),
])
def test_extended_release_and_combination_products_are_told_apart(written, generic):
    assert LEXICON.resolve(written).drug.generic == generic


@pytest.mark.parametrize("written", ["Norco ER", "Percoset XR", "Vicoden CR", "Hydrocodon/APAP ER"])
def test_a_fuzzy_match_never_crosses_a_release_suffix(written):
    assert LEXICON.resolve(written) is None


def test_a_misspelt_extended_release_name_is_the_extended_release_product():
    assert LEXICON.resolve("hydrocodon CR").drug.generic == "hydrocodone ER"


def test_doses_per_day_keeps_reading_the_frequencies_the_importer_compares():
    assert [doses_per_day(f) for f in ("QID", "q6h", "Q4-6H PRN", "every 72 hours", "as needed", "twice daily")] == [4, 4, 6, 0.3333, None, 2]


# ---- properties: the same dose however it is written gives the same MME ------------------------------

OPIOIDS_BY_MG = sorted(g for g, d in LEXICON.drugs.items() if d.mme and not d.ingredients and all(f.per == "mg" for f in d.mme))
FREQUENCIES = ["daily", "BID", "TID", "QID", "q4h", "q6h", "q8h", "q12h"]


@PROPERTY
@given(drug=st.sampled_from(OPIOIDS_BY_MG), mg=st.sampled_from([0.5, 1, 2, 2.5, 5, 7.5, 10, 15, 20, 30, 40, 60, 80]),
       units=st.sampled_from([1, 2, 3]), frequency=st.sampled_from(FREQUENCIES))
def test_mg_or_mcg_gives_the_same_mme(drug, mg, units, frequency):
    in_mg = dose_of(f"{drug} {mg:g} mg {units} tabs {frequency} #90")
    in_mcg = dose_of(f"{drug} {mg * 1000:g} mcg {units} tabs {frequency} #90")
    assert in_mg.mme is not None and in_mg.mme == in_mcg.mme and in_mg.daily_mg == in_mcg.daily_mg


@PROPERTY
@given(drug=st.sampled_from(OPIOIDS_BY_MG), mg=st.sampled_from([1, 2, 5, 10, 15, 20, 30]), units=st.sampled_from([1, 2]),
       per_ml=st.sampled_from([(1, 1), (5, 5), (10, 5), (20, 1), (100, 5)]), frequency=st.sampled_from(FREQUENCIES))
def test_tablets_or_the_same_dose_as_liquid_give_the_same_mme(drug, mg, units, per_ml, frequency):
    """mg x units of tablets = the volume of a liquid (amount mg in volume mL) that holds the same mg."""
    amount, volume = per_ml
    ml = mg * units * volume / amount
    assume(ml <= 60)  # no dose of a liquid is written as more than 60 mL
    tablets = dose_of(f"{drug} {mg} mg {units} tabs {frequency} #120")
    liquid = dose_of(f"{drug} oral solution {amount} mg/{volume} mL, {ml:g} mL {frequency} #480 mL")
    assert tablets.mme is not None and tablets.mme == pytest.approx(liquid.mme, abs=0.05)
    assert tablets.daily_mg == pytest.approx(liquid.daily_mg, abs=0.001)


@PROPERTY
@given(rate=st.sampled_from([12, 25, 37.5, 50, 75, 100]), patches=st.sampled_from([1, 2]), change=st.sampled_from(["q72h", "every 48 hours", "q3 days"]))
def test_a_patch_in_mcg_or_mcg_per_hour_gives_the_same_mme(rate, patches, change):
    per_hour = dose_of(f"Fentanyl {rate:g} mcg/h {patches} patches {change} #10")
    written_mcg = dose_of(f"Duragesic {rate:g} mcg {patches} patches {change} #10")
    assert per_hour.mme == written_mcg.mme == pytest.approx(rate * patches * 2.4, abs=0.05)


# ---- end to end: what mtus check and the drafts say ------------------------------------------------------

def _case(tmp_path: Path, texts: list[str], facts: dict | None = None) -> Path:
    path = tmp_path / "case.yaml"
    body = {
        "case": "doses", "dates": {"injury": "2014-01-02", "request": "2017-01-10"},
        "medications": [{"drug": "morphine", "started": "2015-03-01"}],
        "facts": facts or {}, "requests": [{"text": t} for t in texts],
    }
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path



def test_check_shows_the_arithmetic_and_how_names_were_read(tmp_path):
    case = _case(tmp_path, ["Morphine sulfate oral solution 20 mg/mL, 5 mL PO QID #600 mL", "Percoset 5/325 1 tab q6h #120", "Fentanyl 25 mg patch q72h #10"])
    out = run("check", case).stdout
    assert "    dose: 20 mg morphine a mL x 5 mL a dose x 4 doses a day (QID) = 400 mg/day\n" in out
    assert "    MME: 400 mg/day x 1 (CDC 2016 MME conversion table, 2016-03-18) = 400 MME/day\n" in out
    assert "    days' supply: 600 mL / 20 mL a day = 30 days\n" in out
    assert "    read 'Percoset' as oxycodone/acetaminophen (closest lexicon name: 'Percocet')\n" in out
    assert "    MME: not worked out: a patch strength of 25 mg is not a rate in mcg/h\n" in out
    report = json.loads(run("check", case, "--format", "json").stdout)
    first = report["items"][0]["prescription"]
    assert (first["daily"]["mg"], first["mme"]["value"], first["mme"]["table"]["name"]) == (400, 400, "CDC 2016 MME conversion table")
    assert report["items"][2]["prescription"]["mme"] is None and report["items"][2]["prescription"]["mme_missing"]["code"] == "patch_strength_not_per_hour"


@pytest.mark.parametrize(("fmt", "line"), [
    ("text", "Note: read 'Hysingla ER' as hydrocodone ER (extended-release)."),
    ("markdown", "*Note: read &#39;Hysingla ER&#39; as hydrocodone ER (extended-release).*"),  # escaped as HTML is
    ("html", "<p class=\"read-as\">Note: read &#39;Hysingla ER&#39; as hydrocodone ER (extended-release).</p>"),
])
def test_drafts_say_how_a_name_was_read(tmp_path, fmt, line):
    out = run("draft", _case(tmp_path, ["Hysingla ER 20 mg daily #30"]), "--format", fmt).stdout
    assert line in out


def test_a_liquid_is_decided_as_the_same_dose_in_tablets(tmp_path):
    """Morphine 20 mg/mL x 5 mL QID is 400 mg a day, as 100 mg QID is: above 80 MME for over 180 days with
    no weaning attempt, both are denied on the weaning criterion (as tablets were and the liquid was not)."""
    facts = {"opioid_wean_attempted": False}
    decided = {}
    for text in ("Morphine sulfate oral solution 20 mg/mL, 5 mL PO QID #600 mL", "Morphine 100 mg QID #120"):
        report = json.loads(run("check", _case(tmp_path, [text], facts), "--format", "json").stdout)
        item = report["items"][0]
        decided[text] = (item["decision"], {c["id"]: c["status"] for c in item["criteria"]}["opioids.wean_above_80_med"])
    assert set(decided.values()) == {("not_medically_necessary", "not_met")}, decided
