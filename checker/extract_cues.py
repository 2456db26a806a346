"""The extraction cue file (checker/cues/facts.yaml): what each fact looks like in clinical text,
compiled once. The ConText cues (negation, history, ...) are in checker/context.py."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from checker.context import cues_dir
from checker.errors import InputError
from checker.fields import check_keys, require_list, require_mapping
from checker.textdates import FULL_DATE, MONTH_YEAR, YEAR
from checker.yamlio import load_yaml

EXTRACT_SCHEMA = "mtus-extract-cues/1"
VALUE_RULES = ("invert", "true", "false", "drop")
DROPPING = ("hypothetical", "requested", "uncertain", "review")
REQUIRABLE = ("prior_treatment",)  # a treatment counts as given only in a list of treatment so far
ATTRIBUTIONS = ("drug", "drug_named", "therapy", "imaging", "none")
_FACT_KEYS = (
    "targets", "negated", "not_documented", "current_only", "keep", "require", "resolve",
    "sentence_must_match", "attribute", "ongoing_overrides",
)
_SECTIONS = (
    "schema", "facts", "pain_scores", "therapy", "imaging", "first_line", "drug_class_words",
    "claimant", "injury_date", "diagnoses", "medications",
)


@dataclass(frozen=True)
class Target:
    pattern: re.Pattern[str]
    value: Any
    negated: str = ""  # overrides the fact's rule for this target


@dataclass(frozen=True)
class FactRule:
    name: str
    targets: tuple[Target, ...]
    negated: str
    not_documented: str
    current_only: bool
    keep: frozenset[str]
    require: frozenset[str]
    resolve: str
    sentence_must_match: re.Pattern[str] | None
    attribute: str
    ongoing_overrides: bool


@dataclass(frozen=True)
class ExtractionCues:
    path: str
    digest: str
    facts: dict[str, FactRule]
    raw: dict[str, Any]  # the special sections, compiled by the extractor (some need the lexicon)

    @property
    def drafted(self) -> frozenset[str]:
        """Every fact these cues can draft: those under facts:, and age from the claimant section."""
        return frozenset(self.facts) | ({"age"} if "age" in self.raw.get("claimant", {}) else set())


def fill(template: str, **parts: str) -> str:
    """Put the shared fragments into a cue regex: {date}, {month_year}, {year} and any given part."""
    known = {"date": FULL_DATE, "month_year": MONTH_YEAR, "year": YEAR, **parts}
    for name, fragment in known.items():
        template = template.replace("{" + name + "}", f"(?:{fragment})")
    return template


def compile_regex(text: str, path: str, where: str, case_sensitive: bool = False, **parts: str) -> re.Pattern[str]:
    try:
        return re.compile(fill(str(text), **parts), 0 if case_sensitive else re.IGNORECASE)
    except re.error as exc:
        raise InputError(path, where, f"invalid regular expression ({exc})", "fix the pattern") from None


def load_extraction_cues(path: Path | None = None) -> ExtractionCues:
    return _load(str(Path(path) if path else cues_dir() / "facts.yaml"))


@lru_cache(maxsize=8)
def _load(path: str) -> ExtractionCues:
    data = require_mapping(load_yaml(Path(path), "extraction cue file"), path, "")
    check_keys(data, _SECTIONS, path, "", required=("facts",))
    if data.get("schema", EXTRACT_SCHEMA) != EXTRACT_SCHEMA:
        raise InputError(path, "schema", f"unsupported schema {data['schema']!r}", f"write schema: {EXTRACT_SCHEMA}")
    facts = {str(name): _fact_rule(str(name), spec, path) for name, spec in require_mapping(data["facts"], path, "facts").items()}
    digest = hashlib.sha256(Path(path).read_bytes() + (cues_dir() / "context.yaml").read_bytes()).hexdigest()
    return ExtractionCues(path, digest, facts, {k: v for k, v in data.items() if k not in ("schema", "facts")})


def _fact_rule(name: str, spec: Any, path: str) -> FactRule:
    where = f"facts.{name}"
    spec = require_mapping(spec, path, where)
    check_keys(spec, _FACT_KEYS, path, where, required=("targets",))  # targets: [] for facts a special section finds
    targets = []
    for i, raw in enumerate(require_list(spec["targets"], path, f"{where}.targets")):
        tw = f"{where}.targets[{i}]"
        raw = require_mapping(raw, path, tw)
        check_keys(raw, ("regex", "value", "case_sensitive", "negated"), path, tw, required=("regex", "value"))
        negated = _value_rule(raw["negated"], path, f"{tw}.negated") if "negated" in raw else ""
        targets.append(Target(compile_regex(raw["regex"], path, f"{tw}.regex", bool(raw.get("case_sensitive"))), raw["value"], negated))
    boolean = bool(targets) and all(isinstance(t.value, bool) for t in targets)
    negated = _value_rule(spec.get("negated", "invert" if boolean else "drop"), path, f"{where}.negated")
    not_documented = _value_rule(spec.get("not_documented", "false" if boolean else "drop"), path, f"{where}.not_documented")
    keep = frozenset(require_list(spec.get("keep", []), path, f"{where}.keep"))
    require = frozenset(require_list(spec.get("require", []), path, f"{where}.require"))
    for field, values, allowed in (("keep", keep, DROPPING), ("require", require, DROPPING + REQUIRABLE)):
        unknown = values - set(allowed)
        if unknown:
            raise InputError(path, f"{where}.{field}", f"unknown category {sorted(unknown)[0]!r}", f"use: {', '.join(allowed)}")
    attribute = spec.get("attribute", "none")
    if attribute not in ATTRIBUTIONS:
        raise InputError(path, f"{where}.attribute", f"unknown value {attribute!r}", f"use one of: {', '.join(ATTRIBUTIONS)}")
    resolve = spec.get("resolve", "")
    if resolve not in ("", "any_true"):
        raise InputError(path, f"{where}.resolve", f"unknown value {resolve!r}", "use any_true or leave it out")
    must = spec.get("sentence_must_match")
    return FactRule(
        name=name,
        targets=tuple(targets),
        negated=negated,
        not_documented=not_documented,
        current_only=bool(spec.get("current_only", False)),
        keep=keep,
        require=require,
        resolve=resolve,
        sentence_must_match=compile_regex(must, path, f"{where}.sentence_must_match") if must else None,
        attribute=attribute,
        ongoing_overrides=bool(spec.get("ongoing_overrides", False)),
    )


def _value_rule(value: Any, path: str, where: str) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if text not in VALUE_RULES:
        raise InputError(path, where, f"unknown value {value!r}", f"use one of: {', '.join(VALUE_RULES)}")
    return text
