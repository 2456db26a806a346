"""What a draft says is missing, checked against the case (issue 18): no "no documentation of X" (and
no "the records should also document X") when the case's facts, diagnoses or medication list
document X or an equivalent; and no chronic-pain wording in what the templates write about an
injury in its acute or subacute phase.

Every example draft is checked; so is every dev letter's draft when ../shared is present beside the
checkout (the letters are imported into a temporary folder, never copied into the repo)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from checker.api import Checker
from checker.base.errors import InputError
from checker.imr.importer import Importer
from checker.load.ruleset import RuleSet, load_ruleset
from checker.load.vocabulary import load_vocabulary
from checker.render.render import render
from checker.report.claims import Claim, claims, unfounded_claims

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
DEV = REPO.parent / "shared" / "imr-corpus" / "dev"
CHRONIC_WORDS = re.compile(r"\b(?:maintenance|wean\w*|long-term|long term)\b", re.I)


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(registration="on_demand")


@pytest.fixture(scope="module")
def dev_cases(tmp_path_factory: pytest.TempPathFactory, repo_ruleset: RuleSet) -> list[Path]:
    if not DEV.is_dir():
        pytest.skip(f"the dev letters are not present at {DEV} (they live in ../shared beside the checkout)")
    out = tmp_path_factory.mktemp("claims-dev")
    Importer(repo_ruleset).run([DEV], out)
    return sorted(out.glob("*.yaml"))


def _unfounded(checker: Checker, paths: list[Path]) -> list[tuple[str, Claim]]:
    found = []
    for path in paths:
        result = checker.check(path)
        found += [(path.stem, claim) for claim in unfounded_claims(result.report, result.case, checker.ruleset)]
    return found


def test_no_example_draft_claims_missing_what_the_case_documents(checker: Checker):
    assert _unfounded(checker, EXAMPLES) == []


def test_no_dev_draft_claims_missing_what_the_case_documents(checker: Checker, dev_cases: list[Path]):
    assert len(dev_cases) >= 70
    assert _unfounded(checker, dev_cases) == []


def _case(tmp_path: Path, body: dict) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({"schema": "mtus-case/1", "case": "claims", "source": "synthetic", **body}, sort_keys=False))
    return path


KNEE_MRI = {
    "dates": {"injury": "2016-09-01", "request": "2016-11-20"},
    "diagnoses": ["right knee medial meniscus tear"],
    "facts": {"conservative_care_given": True, "functional_improvement": False, "surgery_planned": True},
    "requests": [{"id": "mri", "text": "MRI of the right knee"}],
}


def test_a_diagnosed_meniscus_tear_documents_a_suspected_tear(checker: Checker, tmp_path: Path):
    result = checker.check(_case(tmp_path, KNEE_MRI))
    (item,) = result.report["items"]
    facts = {f["name"]: f for f in item["facts"]}
    assert facts["internal_derangement_suspected"]["value"] is True
    assert "meniscus tear" in facts["internal_derangement_suspected"]["source"]
    tear = next(c for c in item["criteria"] if c["id"] == "imaging_knee.tear_suspected")
    assert tear["status"] == "met"
    assert "internal_derangement_suspected" not in {name for name, _ in claims(item)}
    text = render("draft", "text", {"report": result.report})
    assert "records document" in text and "a suspected meniscus or ligament tear" in text
    assert not re.search(r"no documentation of[^.]*suspected meniscus", text)


def test_the_records_stating_a_fact_win_over_its_equivalent(checker: Checker, tmp_path: Path):
    stated = {**KNEE_MRI, "facts": {**KNEE_MRI["facts"], "internal_derangement_suspected": False}}
    (item,) = checker.check(_case(tmp_path, stated)).report["items"]
    assert next(f for f in item["facts"] if f["name"] == "internal_derangement_suspected")["value"] is False


PPI = {
    "dates": {"injury": "2016-01-04", "request": "2016-11-20"},
    "diagnoses": ["lumbar strain"],
    "medications": [{"drug": "naproxen", "documented_since": "2016-06-01"}, {"drug": "ibuprofen", "documented_since": "2016-06-01"}],
    "requests": [{"id": "ppi", "text": "Omeprazole 20 mg daily #30"}],
}


def test_two_current_nsaids_document_current_nsaid_therapy(checker: Checker, tmp_path: Path):
    result = checker.check(_case(tmp_path, PPI))
    (item,) = result.report["items"]
    assert next(c for c in item["criteria"] if c["id"] == "gi_protection.nsaid_therapy")["status"] == "met"
    assert "nsaid_therapy" not in {name for name, _ in claims(item)}
    text = render("draft", "text", {"report": result.report})
    assert "current NSAID therapy" not in text.split("no documentation of", 1)[-1].split(". ", 1)[0]


def test_another_nsaid_on_the_list_is_a_finding_not_a_gap(checker: Checker, tmp_path: Path):
    body = {**PPI, "medications": [{"drug": "naproxen", "documented_since": "2016-06-01"}], "requests": [{"id": "motrin", "text": "Motrin 600 mg TID #90"}]}
    result = checker.check(_case(tmp_path, body))
    (item,) = result.report["items"]
    assert "other_nsaid_concurrent" not in {name for name, _ in claims(item)}
    rationale = render("draft", "text", {"report": result.report})
    assert "records show another NSAID taken at the same time" in rationale
    assert "no documentation of another NSAID" not in rationale
    assert rationale.count("NSAIDs taken at the same time") == 0  # the count that documents it is not said twice


def test_the_check_finds_a_claim_the_case_contradicts(checker: Checker, tmp_path: Path):
    """The check is not vacuous: a report claiming a documented fact missing is caught, by the fact's
    value, by its equivalent (a diagnosis), and by a diagnosis naming the label's words."""
    result = checker.check(_case(tmp_path, KNEE_MRI))
    report = result.report
    (item,) = report["items"]
    item["missing_groups"] = [[{"name": n, "label": "x", "names": [n], "parts": []}] for n in ("internal_derangement_suspected", "surgery_planned")]
    found = {(c.fact, c.where) for c in unfounded_claims(report, result.case, checker.ruleset)}
    assert found == {("internal_derangement_suspected", "rationale"), ("surgery_planned", "rationale")}
    item["facts"] = [f for f in item["facts"] if f["name"] != "internal_derangement_suspected"]
    (claim,) = [c for c in unfounded_claims(report, result.case, checker.ruleset) if c.fact == "internal_derangement_suspected"]
    assert claim.documented_by == "diagnosis: right knee medial meniscus tear, equivalent: meniscus tear"


def test_a_conflict_is_said_as_a_conflict_not_as_a_gap(checker: Checker, tmp_path: Path):
    conflict = {"conflict": [{"value": True, "evidence": {"sentence": "better", "span": [0, 6], "cue": "better", "cue_span": [0, 6]}},
                             {"value": False, "evidence": {"sentence": "worse", "span": [7, 12], "cue": "worse", "cue_span": [7, 12]}}],
                "origin": "extracted", "value": None}
    body = {"dates": {"injury": "2015-01-04", "request": "2016-11-20"}, "diagnoses": ["lumbar strain"],
            "medications": [{"drug": "cyclobenzaprine", "documented_since": "2016-11-10"}],
            "facts": {"acute_muscle_spasm": True, "functional_improvement": conflict},
            "requests": [{"id": "flexeril", "text": "Cyclobenzaprine 7.5 mg TID #30"}]}
    result = checker.check(_case(tmp_path, body))
    (item,) = result.report["items"]
    assert "functional_improvement" not in {f["name"] for g in item["missing_groups"] for f in g}
    text = render("draft", "text", {"report": result.report})
    assert "conflicting statements on objective functional improvement" in text


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"type": "integer", "documented_by": {"diagnoses": ["tear"]}}, "facts.x.documented_by"),
        ({"type": "boolean", "documented_by": {"diagnosis": ["tear"]}}, "facts.x.documented_by.diagnosis"),
        ({"type": "boolean", "documented_by": {"diagnoses": ["  "]}}, "facts.x.documented_by.diagnoses"),
        ({"type": "boolean", "documented_by": {"facts": ["no_such_fact"]}}, "facts.x.documented_by.facts"),
    ],
)
def test_a_malformed_equivalent_is_refused_naming_its_field(tmp_path: Path, spec: dict, field: str):
    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump({"schema": "mtus-facts/1", "facts": {"x": {"label": "x", "meaning": "x", **spec}}}))
    with pytest.raises(InputError) as caught:
        load_vocabulary(path)
    assert caught.value.field == field


def test_equivalents_match_every_word_of_a_phrase(repo_ruleset: RuleSet):
    tear = repo_ruleset.vocabulary.facts["internal_derangement_suspected"].documented_by
    assert tear.diagnosis_match("Tear of the medial cartilage and/or meniscus") == "meniscus tear"
    assert tear.diagnosis_match("rupture of the ACL") == "ACL rupture"
    assert tear.diagnosis_match("sprain of unspecified collateral ligament of right knee") == ""
    assert load_ruleset(REPO / "rules").vocabulary.facts["other_nsaid_concurrent"].documented_by.facts == ("other_nsaids",)


# ---- the phase of care --------------------------------------------------------------------------

def _rule_text(report: dict, vocabulary) -> list[str]:
    """Text the draft takes from the rules and the case, not from the templates: requirements, fact
    wording, citations, requests, diagnoses."""
    texts = [d for d in report["case"]["diagnoses"]]
    for item in report["items"]:
        texts.append(item["request"])
        for c in [*item["criteria"], *item["follow_up"], *item["reasons"]]:
            texts += [c["requirement"], c.get("basis") or ""]
            if c.get("citation"):
                texts += [c["citation"]["section"], c["citation"]["letter_name"], c["citation"]["title"]]
        for g in item["cited"]:
            texts += [s["section"] for s in g["sections"]]
    for fact in vocabulary.facts.values():
        texts += [fact.label, fact.when_true, fact.when_false]
    return sorted({t for t in texts if t}, key=len, reverse=True)


def _template_words(report: dict, vocabulary, text: str) -> str:
    for phrase in _rule_text(report, vocabulary):
        text = text.replace(phrase, " ")
    return text


def _early_items(checker: Checker, paths: list[Path]) -> list[tuple[str, str, str]]:
    """(case, item, what the templates wrote with chronic-pain words) for items in the acute or
    subacute phase."""
    found = []
    for path in paths:
        report = checker.check(path).report
        for item in report["items"]:
            if item["phase_of_care"] not in ("acute", "subacute"):
                continue
            one = {**report, "items": [item]}
            words = _template_words(one, checker.ruleset.vocabulary, render("draft", "text", {"report": one}))
            found += [(path.stem, item["id"], m.group(0)) for m in CHRONIC_WORDS.finditer(words)]
    return found


def test_no_template_wording_of_chronic_pain_on_an_early_injury(checker: Checker, dev_cases: list[Path]):
    assert _early_items(checker, [*EXAMPLES, *dev_cases]) == []


@pytest.mark.parametrize(("injury", "weaned"), [("2016-10-20", False), ("2016-09-15", False), ("2015-01-04", True)])
def test_the_advice_after_a_denied_relaxant_follows_the_phase(checker: Checker, tmp_path: Path, injury: str, weaned: bool):
    body = {"dates": {"injury": injury, "request": "2016-11-20"}, "diagnoses": ["lumbar strain"],
            "medications": [{"drug": "cyclobenzaprine", "documented_since": "2016-10-25"}],
            "requests": [{"id": "flexeril", "text": "Cyclobenzaprine 7.5 mg TID #90"}]}
    result = checker.check(_case(tmp_path, body))
    (item,) = result.report["items"]
    assert item["decision"] == "not_medically_necessary" and item["on_denial"] == "wean"
    text = render("draft", "text", {"report": result.report})
    assert ("should be weaned rather than stopped abruptly" in text) is weaned
    assert ("lower the dose step by step" in text) is not weaned


@pytest.mark.parametrize(("injury", "tapered"), [("2016-11-01", False), ("2014-01-04", True)])
def test_the_advice_after_a_denied_opioid_follows_the_phase(checker: Checker, tmp_path: Path, injury: str, tapered: bool):
    body = {"dates": {"injury": injury, "request": "2016-11-20"}, "diagnoses": ["lumbar strain"],
            "medications": [{"drug": "Norco", "documented_since": "2016-11-05"}],
            "requests": [{"id": "norco", "text": "Norco 10/325 mg q6h PRN #120"}]}
    result = checker.check(_case(tmp_path, body))
    (item,) = result.report["items"]
    assert item["decision"] == "not_medically_necessary" and item["on_denial"] == "taper"
    text = render("draft", "text", {"report": result.report})
    assert ("advises a gradual taper" in text) is tapered
    assert CHRONIC_WORDS.search(_template_words(result.report, checker.ruleset.vocabulary, text)) is None or tapered
