"""The JSON Schemas in checker/schemas/ describe the files the loaders accept.

Every example case, every rule topic and every rule fixture file validates (and each fixture's case,
merged over its file's defaults, is an ordinary case file); structurally bad files are rejected; the
schemas' keys and enums are the loaders' own, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from checker.evaluate import results
from checker.load import case as case_loader
from checker.load import conditions, lexicon
from checker.load import ruleset as rules
from checker.measure import coverage

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO / "checker" / "schemas"
BAD_INPUTS = Path(__file__).resolve().parent / "bad_inputs"
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
TOPICS = sorted((REPO / "rules" / "topics").glob("*.yaml"))
FIXTURE_FILES = sorted((REPO / "tests" / "rules").glob("*.yaml"))
BAD_RULES = Path(__file__).resolve().parent / "bad_rules"


def _first_block_cites(criterion: dict) -> bool:
    return "citation" in criterion[min(k for k in criterion if isinstance(k, dt.date))]


# The first topic whose criteria all cite a guideline in their first block (the associated-services gate cites none).
CITING_TOPIC = next(p for p in TOPICS if all(_first_block_cites(c) for c in yaml.safe_load(p.read_text())["criteria"]))


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


CASE_VALIDATOR = Draft202012Validator(schema("case.schema.json"))
RULES_VALIDATOR = Draft202012Validator(schema("rules.schema.json"))
FIXTURES_VALIDATOR = Draft202012Validator(schema("rule-fixtures.schema.json"))


def as_json(value: Any) -> Any:
    """YAML dates are text in the file: give them to the validator as the text written."""
    if isinstance(value, dict):  # a dated block's key is a date too
        return {(k.isoformat() if isinstance(k, dt.date) else k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def load(path: Path) -> Any:
    return as_json(yaml.safe_load(path.read_text(encoding="utf-8")))


def errors(validator: Draft202012Validator, document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.parametrize("name", ["case.schema.json", "rules.schema.json", "rule-fixtures.schema.json"])
def test_schema_is_valid_draft_2020_12(name: str):
    document = schema(name)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)


def test_there_are_examples_topics_and_fixture_files():
    assert EXAMPLES and TOPICS and FIXTURE_FILES


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_case_validates(path: Path):
    assert errors(CASE_VALIDATOR, load(path)) == []


@pytest.mark.parametrize("path", TOPICS, ids=[p.name for p in TOPICS])
def test_rule_topic_validates(path: Path):
    assert errors(RULES_VALIDATOR, load(path)) == []


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
def test_rule_fixture_file_validates(path: Path):
    assert errors(FIXTURES_VALIDATOR, load(path)) == []


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
def test_rule_fixture_cases_are_case_files(path: Path):
    """What a fixture states, merged over its file's defaults, is an ordinary case file."""
    for fixture in coverage.load_fixture_file(path):
        assert errors(CASE_VALIDATOR, as_json(fixture.case)) == [], fixture.test_id


# bad-input fixtures whose defect is structural, so the schema sees it too
SCHEMA_REJECTS = [
    "missing_request_date.yaml",
    "missing_requests.yaml",
    "age_as_word.yaml",
    "unknown_request_field.yaml",
    "reviewer_fact_without_reason.yaml",
    "negative_quantity.yaml",
    "top_level_list.yaml",
    "request_text_list.yaml",
    "ur_decision_not_a_date.yaml",
    "unknown_schema.yaml",
]


@pytest.mark.parametrize("name", SCHEMA_REJECTS)
def test_case_schema_rejects_bad_fixture(name: str):
    assert errors(CASE_VALIDATOR, load(BAD_INPUTS / name))


def _good_case() -> dict:
    return load(EXAMPLES[0])


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["facts"].update(pain_relief={"value": True, "origin": "guessed"}),
        lambda c: c["facts"].update(pain_relief={"value": True, "origin": "reviewer", "reason": "  "}),
        lambda c: c["facts"].update(pain_relief={"value": None, "origin": "extracted"}),
        lambda c: c["facts"].update(pain_relief={"value": True, "why": "typo"}),
        lambda c: c["medications"].append({"drug": "Soma", "duration_days": 3, "duration_weeks": 1}),
        lambda c: c["requests"][0].update(units_per_dose=0),
        lambda c: c["requests"].clear(),
        lambda c: c.update(expected=[{"item": "soma", "decision": "approved"}]),
        lambda c: c.update(known_divergences=[{"item": "soma", "about": "decision"}]),
        lambda c: c["claimant"].update(sex="f"),
    ],
    ids=["origin", "blank_reason", "null_value", "fact_key", "two_durations", "units", "no_requests", "decision", "no_reason", "sex"],
)
def test_case_schema_rejects_edited_example(change):
    document = _good_case()
    document.setdefault("facts", {})
    document.setdefault("medications", [])
    document.setdefault("claimant", {})
    change(document)
    assert errors(CASE_VALIDATOR, document)


def test_case_schema_accepts_fact_forms():
    document = _good_case()
    document["facts"] = {
        "pain_relief": True,
        "pain_score_with_medication": 4.5,
        "urine_drug_screen_consistent": None,
        "functional_improvement": {"value": False, "origin": "reviewer", "source": "p. 3", "reason": "no measure given"},
        "single_prescriber": {"value": True},
    }
    document["medications"] = [{"drug": "Soma", "duration_weeks": 6, "duration_days": None}]
    assert errors(CASE_VALIDATOR, document) == []


_DATE_KEY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _criterion(topic: dict) -> dict:
    return topic["criteria"][0]


def _block(topic: dict) -> dict:
    """The first dated block of the first criterion (as JSON: its key is text)."""
    criterion = _criterion(topic)
    return criterion[min(k for k in criterion if _DATE_KEY.match(k))]


def _drop_blocks(topic: dict) -> None:
    for key in [k for k in _criterion(topic) if _DATE_KEY.match(k)]:
        del _criterion(topic)[key]


def _redate_block(topic: dict, new_key: str) -> None:
    criterion = _criterion(topic)
    first = min(k for k in criterion if _DATE_KEY.match(k))
    criterion[new_key] = criterion.pop(first)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: _block(t).update(met_when={"fact": "days_supply", "lte_x": 21}),
        lambda t: _block(t).update(met_when={"fact": "days_supply", "lte": 21, "gte": 1}),
        lambda t: _block(t).update(met_when={"fact": "days_supply"}),
        lambda t: _block(t).update(met_when={"fact": "days_supply", "in": []}),
        lambda t: _block(t).update(met_when={"fact": "days_supply", "eq": [1, 2]}),
        lambda t: _block(t).update(met_when={"all": []}),
        lambda t: _block(t).update(met_when={"any": [{"fact": "age", "gt": 1}], "not": {"fact": "age", "lt": 5}}),
        lambda t: _block(t).update(met_when={"not": {"all": [{"fact": "age", "gt": 1}, {"fact": "age", "lt": "x", "ne": 2}]}}),
        lambda t: _block(t).pop("citation"),
        lambda t: _block(t)["citation"].pop("section"),
        lambda t: _block(t)["citation"].update(pages_confirmed="no"),
        lambda t: _block(t).pop("met_when"),
        lambda t: _block(t).pop("requirement"),
        lambda t: _block(t).update(weight=2),
        lambda t: _block(t).update(withdrawn="yes"),
        lambda t: _criterion(t).update(weight=2),
        lambda t: _criterion(t).update(met_when={"fact": "days_supply", "lte": 21}),
        lambda t: _criterion(t).update(role="prerequisite"),
        lambda t: _criterion(t).pop("role"),
        lambda t: _criterion(t).update(under=[]),
        lambda t: _criterion(t).update(provenance={"confidence": "certain"}),
        lambda t: _criterion(t).update(provenance={"confirmed_by": ["mtus-reference.md"]}),
        _drop_blocks,
        lambda t: _redate_block(t, "18 July 2009"),
        lambda t: t.setdefault("decision", {}).update(on_denial="stop"),
        lambda t: t.setdefault("decision", {}).update(indicated_when={"all": []}),
        lambda t: t.setdefault("decision", {}).update(medically_necessary_when=_criterion(t)["id"]),
        lambda t: t.update(applies_to={"except_drugs": ["carisoprodol"]}),
        lambda t: t.update(schema="mtus-rules/1"),
        lambda t: t.update(sources="a paragraph"),
        lambda t: t.update(editions=[]),
        lambda t: t.update(follows=[]),
        lambda t: t["follows"][0].update(effective_from="2009-07-18"),
        lambda t: t.pop("follows"),
        lambda t: t.update(not_encoded=[{"what": "a dose ceiling"}]),
        lambda t: t.setdefault("provenance", {}).update(sources="a paragraph"),
    ],
    ids=["unknown_operator", "two_operators", "no_operator", "empty_in", "eq_list", "empty_all", "mixed_keys", "deep_bad_test",
         "no_citation", "citation_section", "pages_confirmed", "no_met_when", "no_requirement", "unknown_block_key", "withdrawn",
         "unknown_criterion_key", "key_beside_blocks", "role", "no_role", "empty_under", "confidence", "no_confidence", "no_block",
         "date", "on_denial", "empty_decision", "v1_decision", "applies_to_nothing", "schema", "v1_sources", "v1_editions",
         "empty_follows", "follows_dates", "no_follows", "not_encoded_why", "topic_provenance_key"],
)
def test_rules_schema_rejects_broken_topic(change):
    topic = copy.deepcopy(load(CITING_TOPIC))
    assert errors(RULES_VALIDATOR, topic) == []
    change(topic)
    assert errors(RULES_VALIDATOR, topic)


# broken rule files the loader refuses (tests/bad_rules/) whose defect is structural, so the schema sees it too
# (not quoted_date.yaml: in JSON a quoted date and a YAML date are the same text; the loader tells them apart)
RULES_SCHEMA_REJECTS = [
    "unknown_field.yaml", "criteria_not_a_list.yaml", "date_as_words.yaml", "unknown_comparison.yaml",
    "unknown_group_operator.yaml", "v1_schema.yaml", "unknown_role.yaml", "no_dated_block.yaml", "key_outside_a_block.yaml",
]


def test_the_clean_bad_rules_topic_validates():
    assert errors(RULES_VALIDATOR, load(BAD_RULES / "clean_topic.yaml")) == []


@pytest.mark.parametrize("name", RULES_SCHEMA_REJECTS)
def test_rules_schema_rejects_bad_rule_file(name: str):
    assert errors(RULES_VALIDATOR, load(BAD_RULES / "topics" / name))


def test_rules_schema_accepts_nested_conditions_later_blocks_and_provenance():
    topic = copy.deepcopy(load(CITING_TOPIC))
    _block(topic)["met_when"] = {
        "all": [
            {"fact": "age", "gte": 18},
            {"any": [{"fact": "pain_relief", "eq": True}, {"not": {"fact": "drug", "in": ["carisoprodol", "tizanidine"]}}]},
            {"not": {"not": {"fact": "days_supply", "not_in": [0]}}},
        ]
    }
    _criterion(topic).update({
        "role": "limit",
        "provenance": {"paraphrases": {"guideline": "cpmtg", "edition": "2009", "section": "Opioids", "pages": "80", "pages_confirmed": False},
                       "confirmed_by": ["mtus-reference.md 3.1 [C]"], "confidence": "partial", "note": "a reading"},
        "2030-01-01": {"withdrawn": True},
    })
    topic["not_encoded"] = [{"what": "a dose ceiling", "why": "no source gives its number"}]
    topic["provenance"] = {"summary": "what the topic encodes", "readings": ["the reading taken, and why"]}
    assert errors(RULES_VALIDATOR, topic) == []


def _fixture_file() -> dict:
    return load(FIXTURE_FILES[0])


def _first_fixture(document: dict) -> dict:
    return next(iter(document["cases"].values()))


@pytest.mark.parametrize(
    "change",
    [
        lambda d: _first_fixture(d).update(expected={}),
        lambda d: _first_fixture(d).update(expect={}),
        lambda d: _first_fixture(d).update(expect={"criteria": {"x.y": "unknown"}}),
        lambda d: _first_fixture(d).update(expect={"decision": "approved"}),
        lambda d: _first_fixture(d).pop("description"),
        lambda d: _first_fixture(d).update(period="mid 2014"),
        lambda d: _first_fixture(d).update(request=["Soma 350 mg"]),
        lambda d: _first_fixture(d).update(request={"quantity": 30}),
        lambda d: _first_fixture(d).update(case={"claimaint": {"age": 40}}),
        lambda d: d.update(defaults={"requestss": []}),
        lambda d: d.update(cases={}),
        lambda d: d.pop("topic"),
        lambda d: d.update(editions=[]),
    ],
    ids=["expected", "expects_nothing", "status", "decision", "no_description", "period", "request_list", "request_without_text",
         "case_key", "defaults_key", "no_cases", "no_topic", "unknown_key"],
)
def test_fixture_schema_rejects_a_broken_fixture_file(change):
    document = copy.deepcopy(_fixture_file())
    assert errors(FIXTURES_VALIDATOR, document) == []
    change(document)
    assert errors(FIXTURES_VALIDATOR, document)


def _keys(document: dict) -> set[str]:
    return set(document["properties"])


def test_schemas_use_the_loaders_keys_and_values():
    case_schema, rules_schema, fixture_schema = schema("case.schema.json"), schema("rules.schema.json"), schema("rule-fixtures.schema.json")
    defs = case_schema["$defs"]
    assert _keys(case_schema) == set(case_loader.CASE_KEYS)
    assert _keys(defs["request"]) == set(case_loader.REQUEST_KEYS)
    assert _keys(defs["medication"]) == set(case_loader._MED_KEYS)
    assert _keys(defs["fact_value"]["oneOf"][1]) == set(case_loader._FACT_KEYS)
    assert defs["fact_value"]["oneOf"][1]["properties"]["origin"]["enum"] == list(case_loader.ORIGINS)
    assert defs["expected"]["properties"]["decision"]["enum"] == list(case_loader.DECISIONS)
    assert case_schema["properties"]["schema"]["const"] == case_loader.CASE_SCHEMA

    rdefs, top = rules_schema["$defs"], rules_schema["properties"]
    assert _keys(rules_schema) == set(rules._TOPIC_KEYS)
    assert _keys(top["applies_to"]) == set(rules._APPLIES_KEYS)
    assert top["applies_to"]["properties"]["routes"]["items"]["enum"] == list(lexicon.ROUTES)
    assert top["applies_to"]["properties"]["timing"]["items"]["enum"] == list(rules.TIMINGS)
    assert _keys(rdefs["followed"]) == set(rules._FOLLOWED_KEYS)
    assert _keys(rdefs["topic_provenance"]) == set(rules._TOPIC_PROVENANCE_KEYS)
    assert _keys(rdefs["not_encoded"]) == set(rules._NOT_ENCODED_KEYS)
    assert _keys(top["decision"]) == set(rules._DECISION_KEYS)
    assert top["decision"]["properties"]["on_denial"]["enum"] == list(rules.ON_DENIAL)
    assert _keys(rdefs["criterion"]) == set(rules._CRITERION_KEYS)
    assert rdefs["criterion"]["properties"]["role"]["enum"] == list(rules.ROLES)
    assert _keys(rdefs["block"]) == set(rules._BLOCK_KEYS)
    assert _keys(rdefs["provenance"]) == set(rules._PROVENANCE_KEYS)
    assert rdefs["provenance"]["properties"]["confidence"]["enum"] == list(rules.CONFIDENCE)
    assert _keys(rdefs["citation"]) == set(rules._CITATION_KEYS)
    assert _keys(rdefs["test"]) == {"fact", *conditions.COMPARISONS}
    assert top["schema"]["const"] == rules.TOPIC_SCHEMA

    fdefs = fixture_schema["$defs"]
    assert _keys(fixture_schema) == set(coverage._FILE_KEYS)
    assert _keys(fdefs["fixture"]) == set(coverage._FIXTURE_KEYS)
    expect = fdefs["fixture"]["properties"]["expect"]
    assert _keys(expect) == set(coverage._EXPECT_KEYS)
    assert expect["properties"]["decision"]["enum"] == list(coverage.DECISIONS)
    assert expect["properties"]["criteria"]["additionalProperties"]["enum"] == list(results.STATUSES)
    assert fdefs["partial_case"]["propertyNames"]["enum"] == list(case_loader.CASE_KEYS)
    assert fdefs["request"]["propertyNames"]["enum"] == list(case_loader.REQUEST_KEYS)
