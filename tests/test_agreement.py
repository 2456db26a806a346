"""End to end on the real letters: import every dev and seed letter (facts drafted from the case
summary only), regress with the known divergences of tests/imr/divergences/, and hold the figures
the README reports. Skips when ../shared is not beside the checkout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import run

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEV, SEEDS = SHARED / "imr-corpus" / "dev", SHARED / "seeds"
DIVERGENCES = REPO / "tests" / "imr" / "divergences"

# The issue's targets (scope 90%, decision agreement 95%, overturns caught 80%, citation match 90%),
# counted without the listed known divergences; and floors for the same figures with every item
# counted (today's measurement rounded down: README, "The dev letters against the rules"). The roles
# pass (issue 14) no longer reads failed care from care given plus time elapsed, which approved two dev
# overturns (a neck MRI, an EMG) and two blind upheld items: measured 155/164 (94.5%) agreement and
# 11/21 (52.4%) overturns on the dev letters, both now known divergences with their reasons. The cue
# families (issue 14) document NSAID therapy in more summaries: a PPI the reviewer denied because the
# NSAID itself was not indicated is now approved on its own criteria, and two PPI citations move from the
# NSAID section to the PPI section: 154/164 (93.9%, issue 14's dev floor is 93%) and 125/150 citations.
TARGETS = {"scope": 0.90, "decision agreement": 0.95, "overturns caught": 0.80, "citation match": 0.90}
# Citation match with every item counted: the three dev items that had no rule (inpatient
# rehabilitation, traction and shockwave naming no region) gained one, and two of their letters cite
# what the tool does not (web pages; ODG's back entry for an unnamed region). Clinic electrical
# stimulation now has its own topic, which cites the CPMTG entry most dev letters cite; one letter on an
# acute low back cites the ACOEM 2004 chapter instead: 126/153 (82.4%).
# Rules 0.38.0 read failed care from symptoms said to continue after care given ("complaints of continued
# numbness" after therapy, a splint and medications): one more dev overturn caught, an EMG whose decision
# divergence became a citation one: 157/167 (94.0%), 12/21 (57.1%).
FLOORS_ALL_ITEMS = {"decision agreement": 0.93, "overturns caught": 0.57, "citation match": 0.82}



def imported_regression(letters: Path, out: Path) -> dict:
    result = run("import", letters, "--out", out)
    assert result.exit_code == 0, result.output
    result = run("regress", out, "--divergences", DIVERGENCES, "--format", "json", "--jobs", 1)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def letters_present() -> None:
    if not (DEV.is_dir() and SEEDS.is_dir()):
        pytest.skip(f"the IMR letters are not present at {SHARED} (imr-corpus/dev and seeds)")


@pytest.fixture(scope="module")
def regression(letters_present, tmp_path_factory) -> dict:
    """The dev letters: the issue's targets are over their items."""
    return imported_regression(DEV, tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="module")
def seed_regression(letters_present, tmp_path_factory) -> dict:
    return imported_regression(SEEDS, tmp_path_factory.mktemp("seeds"))


def test_every_letter_imports_and_runs(regression, seed_regression):
    assert regression["errors"] == [] and regression["cases"] == 78
    assert seed_regression["errors"] == [] and seed_regression["cases"] == 5


def test_every_seed_item_agrees_or_is_a_listed_divergence(seed_regression):
    assert seed_regression["passed"], [r for r in seed_regression["results"] if r["status"] != "agree"]


def figures(s: dict, without_divergences: bool) -> dict[str, float]:
    ruled = s["agree"] + s["disagree"]
    decision, overturned, citation = (s["decision_divergences"], s["overturned_divergences"], s["citation_divergences"]) if without_divergences else (0, 0, 0)
    return {
        "scope": (s["items"] - s["no_rule"]) / s["items"],
        "decision agreement": s["agree"] / (ruled - decision),
        "overturns caught": s["overturns_caught"] / (s["overturned"] - overturned),
        "citation match": s["citation_agree"] / (s["citation_checked"] - citation),
    }


def test_the_issue_targets_hold_without_the_known_divergences(regression):
    measured = figures(regression, without_divergences=True)
    print({name: f"{value:.1%}" for name, value in measured.items()})
    assert {name: value for name, value in measured.items() if value < TARGETS[name]} == {}


def test_agreement_with_every_item_counted_beats_always_upholding(regression):
    measured = figures(regression, without_divergences=False)
    print({name: f"{value:.1%}" for name, value in measured.items()})
    assert {name: value for name, value in measured.items() if name in FLOORS_ALL_ITEMS and value < FLOORS_ALL_ITEMS[name]} == {}
    ruled = regression["agree"] + regression["disagree"]
    assert regression["agree"] - regression["uphold_baseline_agree"] >= 0.05 * ruled, "not clearly better than always upholding"
    assert regression["overturns_caught"] > 0


def test_no_listed_divergence_is_stale(regression, seed_regression):
    results = regression["results"] + seed_regression["results"]
    stale = [f"{r['case']} / {r['item']}" for r in results if r["status"] == "stale_divergence"]
    assert not stale, f"these items now agree: remove them from {DIVERGENCES}"


def test_every_listed_divergence_names_an_imported_item(regression, seed_regression):
    import yaml

    ran = {(r["case"], r["item"]) for r in regression["results"] + seed_regression["results"]}
    for listed in sorted(DIVERGENCES.glob("*.yaml")):
        for entry in yaml.safe_load(listed.read_text())["divergences"]:
            assert (entry["case"], entry["item"]) in ran, f"{listed.name}: {entry['case']} / {entry['item']} is not an imported item"
