"""The fact vocabulary (rules/facts.yaml): names, types, units and wording of every fact."""

from __future__ import annotations

import functools
import math
from dataclasses import field
from pathlib import Path
from typing import Any

from checker.base.errors import SITE_RULES, InputError
from checker.base.fields import check_keys, describe, did_you_mean, require_list, require_mapping, require_text
from checker.base.patterns import compile_pattern
from checker.base.records import dataclass
from checker.base.yamlio import load_yaml
from checker.load.conditions import Condition, parse_condition
from checker.load.conditions import tests as tests_of

FACT_TYPES = ("boolean", "integer", "number", "string")
# How a fact is obtained: computed by mtus-checker (derived), drafted from clinical text by the cues of
# checker/cues/facts.yaml (extracted), or given only by a reviewer who reads the records (reviewer).
OBTAINED = ("derived", "extracted", "reviewer")
_FACT_KEYS = (
    "type", "unit", "min", "max", "obtained", "derived", "bound", "label", "meaning",
    "when_true", "when_false", "stated", "stated_when_derived", "values", "documented_by",
)
_DOCUMENTED_BY_KEYS = ("diagnoses", "medication_classes", "facts")
_WORD = compile_pattern(r"[a-z0-9]+")


@functools.lru_cache(maxsize=4096)  # a case's diagnoses are read once for every fact documented by an equivalent
def words(text: str) -> frozenset[str]:
    """The words of a text, lower case, for matching a diagnosis against an equivalent's phrase."""
    return frozenset(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class Equivalents:
    """What else in the records documents a boolean fact as true (facts.yaml `documented_by`): a
    diagnosis holding every word of one of the phrases, a current medication of one of the drug
    classes, or another fact: named (documented as true or as a count above 0) or tested
    ({fact: nsaids_alongside, gte: 2})."""
    diagnoses: tuple[tuple[str, frozenset[str]], ...] = ()  # (phrase, its words)
    medication_classes: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()  # the other facts read
    tests: tuple[Condition, ...] = ()  # one test per entry of `facts`

    def diagnosis_match(self, diagnosis: str) -> str:
        """The first phrase whose words the diagnosis holds, or ""."""
        found = words(diagnosis)
        for phrase, needed in self.diagnoses:  # a loop, not next() over a generator: read for every item
            if needed <= found:
                return phrase
        return ""


@dataclass(frozen=True)
class FactDef:
    """A fact the rules may test: its type, unit, range, how it is obtained and worded."""

    name: str
    type: str
    label: str
    meaning: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    obtained: str = "extracted"
    lower_bound: bool = False
    when_true: str = ""
    when_false: str = ""
    stated: str = ""  # how a draft states a value: a phrase holding "{value}" (the value with its unit)
    stated_when_derived: str = ""  # the same for a value mtus-checker derived in place of the records' one
    values: tuple = field(default_factory=tuple)
    value_words: dict[str, str] = field(default_factory=dict)  # a value's wording in drafts, where its name is not plain words
    documented_by: Equivalents | None = None

    @property
    def derived(self) -> bool:
        """Computed by mtus-checker; a case file may not set it."""
        return self.obtained == "derived"


@dataclass(frozen=True)
class Vocabulary:
    """Every fact the rules may test, by name."""

    facts: dict[str, FactDef]
    path: str

    def get(self, name: str) -> FactDef | None:
        return self.facts.get(name)

    def suggestion(self, name: str) -> str:
        return did_you_mean(name, self.facts, f"correct the name, or declare the fact in facts.yaml in {SITE_RULES}")

    def check_value(self, name: str, value: Any, path: str, where: str) -> Any:
        """Return the value if it fits the fact's declared type and range, else raise InputError."""
        fact = self.facts.get(name)
        if fact is None:  # claimant.age with a rule set that declares no 'age'
            raise InputError(path, where, f"the rule set declares no fact '{name}'", f"declare it in {self.path} or remove it")
        if not _fits_type(fact.type, value):
            raise InputError(path, where, f"{name} is declared {fact.type}, found {describe(value)}", _type_fix(fact))
        if fact.type in ("integer", "number"):
            if fact.minimum is not None and value < fact.minimum:
                raise InputError(path, where, f"{name} is {value}, below the minimum {fact.minimum:g}", f"give a value of at least {fact.minimum:g}")
            if fact.maximum is not None and value > fact.maximum:
                raise InputError(path, where, f"{name} is {value}, above the maximum {fact.maximum:g}", f"give a value of at most {fact.maximum:g}")
        if fact.values and value not in fact.values:
            raise InputError(path, where, f"{name} has no value {value!r}", f"use one of: {', '.join(fact.values)}")
        return value


def _obtained(spec: dict, path: str, where: str) -> str:
    """`obtained:`, or what the older `derived: true` says (a fact without either is extracted)."""
    derived = spec.get("derived", False)
    if not isinstance(derived, bool):
        raise InputError(path, f"{where}.derived", f"expected true or false, found {describe(derived)}", "write obtained: derived instead")
    obtained = spec.get("obtained", "derived" if derived else "extracted")
    if obtained not in OBTAINED:
        raise InputError(path, f"{where}.obtained", f"unknown value {obtained!r}", f"use one of: {', '.join(OBTAINED)}")
    if derived and obtained != "derived":
        raise InputError(path, f"{where}.derived", f"derived: true contradicts obtained: {obtained}", "keep obtained: and remove derived:")
    return str(obtained)


def _fits_type(kind: str, value: Any) -> bool:
    # bool is an int in Python and durable_rules compares true == 1, so keep them apart here.
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, str)


def _type_fix(fact: FactDef) -> str:
    return {
        "boolean": "write true or false (no quotes)",
        "integer": "write a whole number without quotes or units",
        "number": "write a number without quotes or units",
        "string": "write a text value",
    }[fact.type]


def load_vocabulary(path: Path, extra: list[Path] | None = None) -> Vocabulary:
    """facts.yaml, then each extra file (rules/facts/*.yaml); a fact may be declared only once."""
    facts: dict[str, FactDef] = {}
    declared_in: dict[str, str] = {}
    for source in [path, *(extra or [])]:
        data = require_mapping(load_yaml(source, "fact vocabulary"), str(source), "")
        check_keys(data, ("schema", "facts"), str(source), "", required=("facts",))
        for name, spec in require_mapping(data["facts"], str(source), "facts").items():
            if name in facts:
                raise InputError(str(source), f"facts.{name}", f"already declared in {declared_in[name]}", "declare each fact once, or rename this one")
            facts[name] = _fact_def(str(name), spec, str(source))
            declared_in[name] = str(source)
    for name, fact in facts.items():
        for other in fact.documented_by.facts if fact.documented_by else ():
            if other not in facts:
                raise InputError(declared_in[name], f"facts.{name}.documented_by.facts", f"unknown fact {other!r}", "name a declared fact")
    return Vocabulary(facts=facts, path=str(path))


def _fact_def(name: str, spec: Any, path: str) -> FactDef:
    where = f"facts.{name}"
    spec = require_mapping(spec, path, where)
    check_keys(spec, _FACT_KEYS, path, where, required=("type", "label", "meaning"))
    if spec["type"] not in FACT_TYPES:
        raise InputError(path, f"{where}.type", f"unknown type {spec['type']!r}", f"use one of: {', '.join(FACT_TYPES)}")
    if not name.isidentifier() or not name.islower():
        raise InputError(path, where, "fact names are lower_case_with_underscores", "rename the fact")
    for key in ("min", "max"):
        if spec.get(key) is not None and not _fits_type("number", spec[key]):
            raise InputError(path, f"{where}.{key}", f"expected a number, found {describe(spec[key])}", "write the limit as a number")
    return FactDef(
        name=name,
        type=spec["type"],
        label=require_text(spec["label"], path, f"{where}.label"),
        meaning=require_text(spec["meaning"], path, f"{where}.meaning"),
        unit=str(spec.get("unit", "")),
        minimum=spec.get("min"),
        maximum=spec.get("max"),
        obtained=_obtained(spec, path, where),
        lower_bound=spec.get("bound") == "lower",
        when_true=str(spec.get("when_true", "")),
        when_false=str(spec.get("when_false", "")),
        stated=_stated(spec, path, where),
        stated_when_derived=_stated(spec, path, where, "stated_when_derived"),
        values=_values(spec, path, where),
        value_words=_value_words(spec, path, where),
        documented_by=_equivalents(spec, path, where),
    )


def _values(spec: dict, path: str, where: str) -> tuple:
    """`values:` as a list of names, or as a mapping of each name to its wording."""
    if isinstance(spec.get("values"), dict):
        return tuple(spec["values"])
    return tuple(require_list(spec.get("values", []), path, f"{where}.values"))


def _value_words(spec: dict, path: str, where: str) -> dict[str, str]:
    if not isinstance(spec.get("values"), dict):
        return {}
    return {name: require_text(text, path, f"{where}.values.{name}") for name, text in spec["values"].items()}


def _stated(spec: dict, path: str, where: str, key: str = "stated") -> str:
    if spec.get(key) is None:
        return ""
    stated = require_text(spec[key], path, f"{where}.{key}")
    if spec["type"] == "boolean":
        raise InputError(path, f"{where}.{key}", "a boolean fact is stated by when_true and when_false", f"remove {key}, or use when_true and when_false")
    if stated.count("{value}") != 1:
        raise InputError(path, f"{where}.{key}", f"expected the placeholder {{value}} once, found {stated!r}", "write where the value goes as {value}")
    return stated


def _equivalents(spec: dict, path: str, where: str) -> Equivalents | None:
    if spec.get("documented_by") is None:
        return None
    where = f"{where}.documented_by"
    if spec["type"] != "boolean":
        raise InputError(path, where, "only a boolean fact can be documented by an equivalent", "remove documented_by, or make the fact boolean")
    raw = require_mapping(spec["documented_by"], path, where)
    check_keys(raw, _DOCUMENTED_BY_KEYS, path, where)
    lists = {
        key: [require_text(v, path, f"{where}.{key}") for v in require_list(raw.get(key, []), path, f"{where}.{key}")]
        for key in ("diagnoses", "medication_classes")
    }
    phrases = tuple((phrase, words(phrase)) for phrase in lists["diagnoses"])
    if any(not needed for _, needed in phrases):
        raise InputError(path, f"{where}.diagnoses", "a phrase without words", "give each phrase in words")
    tests = tuple(_fact_test(entry, path, f"{where}.facts[{n}]") for n, entry in enumerate(require_list(raw.get("facts", []), path, f"{where}.facts")))
    return Equivalents(phrases, tuple(lists["medication_classes"]), tuple(dict.fromkeys(name for test in tests for _, name, _, _ in tests_of(test))), tests)


def _fact_test(entry: Any, path: str, where: str) -> Condition:
    """A fact's name (documented as true, or as a count above 0) or a test of it."""
    if isinstance(entry, str) and entry.strip():
        return ("any", (("test", entry, "eq", True), ("all", (("test", entry, "ne", True), ("test", entry, "gt", 0)))))
    return parse_condition(entry, path, where)
