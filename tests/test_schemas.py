"""The JSON Schemas in checker/schemas/ describe the files the loaders accept.

Every example case and every rule topic validates; structurally bad files are rejected; the
schemas' keys and enums are the loaders' own, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from checker import case as case_loader
from checker import conditions, rules

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO / "checker" / "schemas"
BAD_INPUTS = Path(__file__).resolve().parent / "bad_inputs"
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
TOPICS = sorted((REPO / "rules" / "topics").glob("*.yaml"))
# The first topic whose criteria all cite a guideline (the associated-services gate cites none).
CITING_TOPIC = next(p for p in TOPICS if all("citation" in c for e in yaml.safe_load(p.read_text())["editions"] for c in e["criteria"]))


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


CASE_VALIDATOR = Draft202012Validator(schema("case.schema.json"))
RULES_VALIDATOR = Draft202012Validator(schema("rules.schema.json"))


def as_json(value: Any) -> Any:
    """YAML dates are text in the file: give them to the validator as the text written."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def load(path: Path) -> Any:
    return as_json(yaml.safe_load(path.read_text(encoding="utf-8")))


def errors(validator: Draft202012Validator, document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.parametrize("name", ["case.schema.json", "rules.schema.json"])
def test_schema_is_valid_draft_2020_12(name: str):
    document = schema(name)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)


def test_there_are_examples_and_topics():
    assert EXAMPLES and TOPICS


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_case_validates(path: Path):
    assert errors(CASE_VALIDATOR, load(path)) == []


@pytest.mark.parametrize("path", TOPICS, ids=[p.name for p in TOPICS])
def test_rule_topic_validates(path: Path):
    assert errors(RULES_VALIDATOR, load(path)) == []


def test_rule_fixture_cases_validate():
    """The case files embedded in tests/rules/*.yaml are ordinary case files."""
    for path in sorted((REPO / "tests" / "rules").glob("*.yaml")):
        for name, fixture in (load(path).get("cases") or {}).items():
            if isinstance(fixture, dict) and "case" in fixture:
                assert errors(CASE_VALIDATOR, fixture["case"]) == [], f"{path.name}: {name}"


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


def _criterion(topic: dict) -> dict:
    return topic["editions"][0]["criteria"][0]


@pytest.mark.parametrize(
    "change",
    [
        lambda t: _criterion(t).update(met_when={"fact": "days_supply", "lte_x": 21}),
        lambda t: _criterion(t).update(met_when={"fact": "days_supply", "lte": 21, "gte": 1}),
        lambda t: _criterion(t).update(met_when={"fact": "days_supply"}),
        lambda t: _criterion(t).update(met_when={"fact": "days_supply", "in": []}),
        lambda t: _criterion(t).update(met_when={"fact": "days_supply", "eq": [1, 2]}),
        lambda t: _criterion(t).update(met_when={"all": []}),
        lambda t: _criterion(t).update(met_when={"any": [{"fact": "age", "gt": 1}], "not": {"fact": "age", "lt": 5}}),
        lambda t: _criterion(t).update(met_when={"not": {"all": [{"fact": "age", "gt": 1}, {"fact": "age", "lt": "x", "ne": 2}]}}),
        lambda t: _criterion(t).pop("citation"),
        lambda t: _criterion(t)["citation"].pop("section"),
        lambda t: _criterion(t).update(weight=2),
        lambda t: t["editions"][0]["decision"].update(on_denial="stop"),
        lambda t: t["editions"][0]["decision"].update(medically_necessary_when={"all": []}),
        lambda t: t.update(applies_to={"except_drugs": ["carisoprodol"]}),
        lambda t: t.update(schema="mtus-rules/2"),
        lambda t: t["editions"][0].update(effective_from="18 July 2009"),
    ],
    ids=["unknown_operator", "two_operators", "no_operator", "empty_in", "eq_list", "empty_all", "mixed_keys", "deep_bad_test",
         "no_citation", "citation_section", "unknown_key", "on_denial", "empty_decision", "applies_to_nothing", "schema", "date"],
)
def test_rules_schema_rejects_broken_topic(change):
    topic = copy.deepcopy(load(CITING_TOPIC))
    change(topic)
    assert errors(RULES_VALIDATOR, topic)


def test_rules_schema_accepts_nested_conditions():
    topic = copy.deepcopy(load(CITING_TOPIC))
    _criterion(topic)["met_when"] = {
        "all": [
            {"fact": "age", "gte": 18},
            {"any": [{"fact": "pain_relief", "eq": True}, {"not": {"fact": "drug", "in": ["carisoprodol", "tizanidine"]}}]},
            {"not": {"not": {"fact": "days_supply", "not_in": [0]}}},
        ]
    }
    assert errors(RULES_VALIDATOR, topic) == []


def _keys(document: dict) -> set[str]:
    return set(document["properties"])


def test_schemas_use_the_loaders_keys_and_values():
    case_schema, rules_schema = schema("case.schema.json"), schema("rules.schema.json")
    defs = case_schema["$defs"]
    assert _keys(case_schema) == set(case_loader._CASE_KEYS)
    assert _keys(defs["request"]) == set(case_loader._REQUEST_KEYS)
    assert _keys(defs["medication"]) == set(case_loader._MED_KEYS)
    assert _keys(defs["fact_value"]["oneOf"][1]) == set(case_loader._FACT_KEYS)
    assert defs["fact_value"]["oneOf"][1]["properties"]["origin"]["enum"] == list(case_loader.ORIGINS)
    assert defs["expected"]["properties"]["decision"]["enum"] == list(case_loader.DECISIONS)
    assert case_schema["properties"]["schema"]["const"] == case_loader.CASE_SCHEMA
    rdefs = rules_schema["$defs"]
    assert _keys(rules_schema) == set(rules._TOPIC_KEYS)
    assert _keys(rdefs["edition"]) == set(rules._EDITION_KEYS)
    assert _keys(rdefs["criterion"]) == set(rules._CRITERION_KEYS)
    assert _keys(rdefs["citation"]) == set(rules._CITATION_KEYS)
    assert rdefs["edition"]["properties"]["decision"]["properties"]["on_denial"]["enum"] == list(rules.ON_DENIAL)
    assert _keys(rdefs["test"]) == {"fact", *conditions.COMPARISONS}
    assert rules_schema["properties"]["schema"]["const"] == rules.TOPIC_SCHEMA
