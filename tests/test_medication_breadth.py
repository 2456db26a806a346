"""Medication breadth (issue 15): products judged as the drugs they hold (drugs.yaml judged_as: an NSAID
with a gastric protector, compounding kits, butalbital combinations with codeine, branded topical mixes),
the general principles of the CPMTG for a drug class without a topic of its own, and an edition of
every medication topic for every day from 2009-07-18 to 2017-11-30."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.api import Checker
from checker.base.errors import InputError
from checker.cli import main
from checker.evaluate.evaluate import plan_case, select_topic
from checker.load.case import load_case
from checker.load.lexicon import load_lexicon
from checker.load.ruleset import RuleSet

REPO_RULES = Path(__file__).resolve().parent.parent / "rules"


def write_case(tmp_path: Path, requests: list, day: str = "2016-10-03", injury: str | None = "2015-01-12", **more) -> Path:
    body = {"schema": "mtus-case/1", "case": "probe", "dates": {"request": day, **({"injury": injury} if injury else {})},
            "requests": [{"id": f"r{i}", **(r if isinstance(r, dict) else {"text": r})} for i, r in enumerate(requests)], **more}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


def units(repo_ruleset: RuleSet, path: Path) -> list[list[tuple[str, str]]]:
    """Per item: (subject, topic) of each unit the item is judged in."""
    case = load_case(path, repo_ruleset)
    return [[(u.subject, u.topic.topic if u.topic else "") for u in item.units] for item in plan_case(repo_ruleset, case)]


def test_a_product_is_judged_as_each_drug_it_holds_under_that_drugs_topic(tmp_path, repo_ruleset):
    path = write_case(tmp_path, [
        "Duexis 800/26.6 mg TID #90", "Arthrotec 75 mg BID #60", "Tabradol 1 mg/mL oral suspension, 5 mL TID #250 mL",
        "LidoPro ointment 121 grams", "Fioricet with Codeine 50/300/40/30 mg 1 cap q4h prn #30", "Theraprofen-800 #90",
    ])
    assert units(repo_ruleset, path) == [
        [("ibuprofen", "nsaids"), ("famotidine", "gi_protection")],
        [("diclofenac", "nsaids"), ("misoprostol", "gi_protection")],
        [("cyclobenzaprine", "muscle_relaxants"), ("compounded preparation", "compounded_drugs")],
        [("capsaicin", "topical_analgesics"), ("lidocaine", "topical_analgesics"), ("menthol", "topical_analgesics"),
         ("methyl salicylate", "topical_analgesics")],
        [("butalbital/acetaminophen/caffeine", "barbiturate_analgesics"), ("codeine", "opioids")],
        [("theramine", "medical_foods"), ("ibuprofen", "nsaids")],
    ]


def test_each_drug_of_a_product_sees_the_product_its_course_and_its_dose(tmp_path, repo_ruleset):
    """The famotidine of Duexis protects the ibuprofen in the same product (an NSAID alongside), the
    ibuprofen does not count its own product as a second NSAID, both count the product's course, and the
    drug the dose counts keeps the worked-out dose (the codeine of Fioricet with Codeine: 27 MME)."""
    path = write_case(tmp_path, ["Duexis 800/26.6 mg TID #90", "Fioricet with Codeine 50/300/40/30 mg 1 cap q4h prn #30"],
                      medications=[{"drug": "Duexis", "documented_since": "2016-05-02"}])
    items = Checker().decide_case(load_case(path, repo_ruleset))
    duexis = {u.subject: u.facts for u in items[0].units}
    assert duexis["famotidine"]["nsaids_alongside"].value == 1
    assert duexis["ibuprofen"]["other_nsaids"].value == 0
    assert duexis["ibuprofen"]["weeks_of_use_at_least"].value == duexis["famotidine"]["weeks_of_use_at_least"].value > 20
    assert duexis["ibuprofen"]["daily_dose_mg"].value == 2400 and "daily_dose_mg" not in duexis["famotidine"]
    fioricet = {u.subject: u.facts for u in items[1].units}
    assert fioricet["codeine"]["med_per_day"].value == 27
    assert "med_per_day" not in fioricet["butalbital/acetaminophen/caffeine"]


def test_check_and_draft_say_what_a_product_is_judged_as(tmp_path):
    path = write_case(tmp_path, ["Tabradol 1 mg/mL oral suspension, 5 mL TID #250 mL"])
    check = CliRunner().invoke(main, ["check", str(path)])
    assert "judged as: cyclobenzaprine (topic muscle_relaxants), compounded preparation (topic compounded_drugs); supported only if each is" in check.output
    draft = CliRunner().invoke(main, ["draft", str(path)])
    assert "is judged as cyclobenzaprine and compounded preparation, each under its own guideline" in draft.output
    report = json.loads(CliRunner().invoke(main, ["check", str(path), "--format", "json"]).stdout)
    assert report["items"][0]["judged_as"] == [
        {"drug": "cyclobenzaprine", "topic": "muscle_relaxants"}, {"drug": "compounded preparation", "topic": "compounded_drugs"}]


@pytest.mark.parametrize(("judged_as", "problem"), [
    (["zorbital"], "names one drug"),
    (["zorbital", "aspirin"], "'zorbital' is not another drug of the lexicon"),
    (["aspirin", "nopedrug"], "'nopedrug' is not another drug of the lexicon"),
    (["aspirin", "ibuprofen/famotidine"], "'ibuprofen/famotidine' is itself judged as other drugs"),
])
def test_the_lexicon_refuses_a_product_judged_as_what_it_cannot_be(tmp_path, judged_as, problem):
    text = (REPO_RULES / "drugs.yaml").read_text(encoding="utf-8")
    text += f"  zorbital:\n    classes: [analgesic]\n    judged_as: {json.dumps(judged_as)}\n"
    path = tmp_path / "drugs.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_lexicon(path)
    assert error.value.field.startswith("drugs.zorbital") and problem in error.value.problem


def test_a_site_product_may_name_packaged_drugs_and_keeps_the_conversion_tables(tmp_path, repo_ruleset):
    site = tmp_path / "site"
    site.mkdir()
    (site / "drugs.yaml").write_text(
        "schema: mtus-drugs/2\ndrugs:\n  zorbiprofen/famotidine:\n    classes: [nsaid, h2_receptor_antagonist]\n"
        "    brands: [Zorbidex]\n    judged_as: [ibuprofen, famotidine]\n", encoding="utf-8")
    checker = Checker(extra_dirs=[site])
    path = write_case(tmp_path, ["Zorbidex 800 mg TID #90", "Norco 10/325 mg TID #90"])
    assert units(checker.ruleset, path)[0] == [("ibuprofen", "nsaids"), ("famotidine", "gi_protection")]
    norco = checker.decide_case(checker.load(path))[1]
    assert norco.facts["med_per_day"].value == 30


def test_a_drug_class_without_a_topic_is_judged_by_the_general_medication_principles(tmp_path, repo_ruleset):
    def topic(text: str, day: str = "2016-10-03"):
        case = load_case(write_case(tmp_path, [text], day=day), repo_ruleset)
        return select_topic(repo_ruleset, case.requests[0], day=case.request_date)

    assert topic("Tylenol 500 mg TID #90").topic == "general_medications"
    assert topic("Tylenol 500 mg TID #90").general_principles
    assert topic("Zofran 4 mg #30").topic == "antiemetics"  # a class with its own topic is never judged generally
    assert topic("Lisinopril 10 mg daily #30") is None  # not a medication for pain: no rule, said so
    assert topic("Naproxen 500 mg BID #60").topic == "nsaids"


@pytest.mark.parametrize(("day", "guideline"), [
    ("2013-05-06", "MTUS Chronic Pain Medical Treatment Guidelines"), ("2016-10-03", "MTUS Chronic Pain Medical Treatment 2016")])
def test_the_draft_names_the_general_principles_of_the_edition_in_force(tmp_path, day, guideline):
    path = write_case(tmp_path, [{"text": "Tylenol 500 mg TID #90", "new_start": True}], day=day, injury="2012-01-10")
    check = CliRunner().invoke(main, ["check", str(path)])
    assert f"no topic for this analgesic request; judged by the general principles of the {guideline}\n" in check.output
    draft = CliRunner().invoke(main, ["draft", str(path)])
    assert f"it is judged by the general principles of the {guideline}." in draft.output
    report = json.loads(CliRunner().invoke(main, ["check", str(path), "--format", "json"]).stdout)
    assert report["items"][0]["category"] == "analgesic" and report["items"][0]["general_principles"] == guideline


def test_a_topic_without_an_edition_on_the_date_does_not_hide_one_with_an_edition(tmp_path, repo_ruleset):
    """A post-operative opioid of 2013 is judged by the 2009 CPMTG opioid criteria: the 2016 guideline's
    post-operative section had no edition then. After 2017-11-30 no topic has one, and the most specific
    is kept so that the report names what governs the date."""
    def topic(day: str) -> str:
        case = load_case(write_case(tmp_path, ["Post-op Norco 10/325 mg q6h #40"], day=day, injury="2012-01-10"), repo_ruleset)
        return select_topic(repo_ruleset, case.requests[0], day=case.request_date).topic

    assert topic("2013-05-06") == "opioids"
    assert topic("2016-10-03") == "opioids_postoperative"
    assert topic("2018-02-05") == "opioids_postoperative"


MEDICATION_TOPICS = ("opioids", "muscle_relaxants", "carisoprodol", "benzodiazepines", "nsaids", "gi_protection",
                     "topical_analgesics", "anti_epilepsy_drugs", "antidepressants", "sleep_aids", "opioid_induced_constipation",
                     "compounded_drugs", "medical_foods", "barbiturate_analgesics", "ketorolac", "antiemetics", "triptans",
                     "oral_corticosteroids", "general_medications", "sildenafil")


@pytest.mark.parametrize("name", MEDICATION_TOPICS)
def test_every_medication_topic_has_an_edition_on_every_day_from_2009_07_18_to_2017_11_30(name, repo_ruleset):
    topic = next(t for t in repo_ruleset.topics if t.topic == name)
    day, last = dt.date(2009, 7, 18), dt.date(2017, 11, 30)
    uncovered = []
    while day <= last:
        if not any(e.when is None for e in topic.editions_in_force(day)):
            uncovered.append(day)
        day += dt.timedelta(days=1)
    assert uncovered == [], f"{name}: no edition without a condition from {uncovered[0]}"


@pytest.mark.parametrize("text", ["Amitriptyline 10%/Gabapentin 10% cream", "Flurbiprofen 20%-Lidocaine 5% gel 120 grams"])
def test_a_strength_closes_an_ingredient_name_of_a_compound(tmp_path, repo_ruleset, text):
    request = load_case(write_case(tmp_path, [text]), repo_ruleset).requests[0]
    assert len(request.ingredients) == 2
