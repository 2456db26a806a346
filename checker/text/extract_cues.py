"""The extraction cue files (checker/cues/facts.yaml, and one file per fact family in
checker/cues/facts/): what each fact looks like in clinical text, compiled once. The ConText cues
(negation, history, ...) are in checker/text/context.py."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from checker.base.errors import InputError
from checker.base.fields import check_keys, require_list, require_mapping, require_text
from checker.base.yamlio import load_yaml
from checker.load.ruleset import cues_dir
from checker.text.textdates import FULL_DATE, MONTH_YEAR, YEAR

EXTRACT_SCHEMA = "mtus-extract-cues/1"
VALUE_RULES = ("invert", "true", "false", "drop", "keep")  # keep: the category says nothing about the value
DROPPING = ("hypothetical", "requested", "uncertain", "review", "other_person", "conditional", "certified")
COMPUTED = ("number", "duration", "bmi", "product", "percent_drop", "below", "unequal", "below_norm", "dates_within_days")  # a value read from the match
UNITS = ("day", "week", "month", "year")  # a duration's value is given in one of these
# "": one value, or the latest where current_only; latest: that, or the last told when dated; latest_dated: only the
# latest date's one value; any_true_until_denied: any_true, unless denied at a visit after every finding
RESOLUTIONS = ("", "any_true", "any_true_until_denied", "true_in_its_sentence", "latest", "latest_dated")
REQUIRABLE = ("prior_treatment",)  # a treatment counts as given only in a list of treatment so far
PAST = ("historical", "remote")  # keep: [historical, remote] lets a current_only fact hold however long ago it was told
ATTRIBUTIONS = ("drug", "drug_only", "drug_named", "therapy", "imaging", "region", "region_or_limb", "injection", "other_drug", "none")
_FACT_KEYS = (
    "targets", "negated", "not_documented", "stopped", "current_only", "recent_only", "keep", "require", "resolve",
    "sentence_must_match", "attribute", "ongoing_overrides", "in_request", "with_request",
)
_DRUG_PLACEHOLDER = re.compile(r"\{drug(?::([a-z_]+))?\}")
# stand-ins for the fragments the extractor fills from the lexicon and the number words, to check a
# regex when the file is read
_STAND_INS = {"number": r"\d+", "kind": "therapy", "first_line": "naproxen", "program": "program"}
_SECTIONS = (
    "schema", "fragments", "facts", "motion_norms", "pain_scores", "therapy", "imaging", "first_line", "drug_class_words",
    "claimant", "injury_date", "diagnoses", "medications",
)


@dataclass(frozen=True)
class Computed:
    """A value read from the match: a number (times a factor), a duration in a unit of time, a body
    mass index from a height and a weight, the product of two numbers, the drop from one number to
    another in percent, whether one number is below another (by a margin `by`), whether two differ, a
    motion below its norm, or the count of dates within some days before the request date."""

    kind: str
    groups: tuple[str, ...]
    factor: float = 1.0
    days: int = 0
    unit: str = ""  # duration: the unit of time the value is given in (day, week, month, year)
    by: float = 0.0  # below: the least the first number must be below the second by


@dataclass(frozen=True)
class Target:
    pattern: re.Pattern[str]  # compiled with stand-ins for {number} and {drug}: the extractor compiles `source`
    value: Any  # a scalar, or Computed
    negated: str = ""  # overrides the fact's rule for this target
    source: str = ""  # the regex as written
    case_sensitive: bool = False
    keep: frozenset[str] | None = None  # override the fact's keep: and require: for this target
    require: frozenset[str] | None = None
    sentence: str = ""  # the target counts only in a sentence that also matches this regex (as written)
    with_fact: str = ""  # the target counts only when the text also gives this fact as true (anywhere in it)


@dataclass(frozen=True)
class RequestCue:
    """The fact is also read from the request lines: those matching `match` (all when absent).
    A line no target matches gives `otherwise` (when set); the value goes under the request, or
    to the whole case (scope: case)."""

    match: str  # a regex as written ("" reads every line); the extractor compiles it
    otherwise: Any
    scope: str
    only: bool = False  # read from the request lines only, never from the clinical text


@dataclass(frozen=True)
class FactRule:
    name: str
    targets: tuple[Target, ...]
    negated: str
    not_documented: str
    stopped: str  # value of a mention in a "stopped" scope ("" reads it as any other)
    current_only: bool
    keep: frozenset[str]
    require: frozenset[str]
    resolve: str
    sentence_must_match: str  # a regex source with its fragments filled in; the extractor fills {drug}; "" for none
    attribute: str
    ongoing_overrides: bool
    in_request: RequestCue | None = None
    with_request: str = ""  # drafted only when a request line matches this regex (the item the fact is about)
    recent_only: bool = False  # a remote mention (years before the request, resolved) does not count; a recent earlier one does


@dataclass(frozen=True)
class ExtractionCues:
    path: str
    digest: str
    facts: dict[str, FactRule]
    raw: dict[str, Any]  # the special sections, compiled by the extractor (some need the lexicon)
    fragments: dict[str, str] = field(default_factory=dict)  # named pieces of regex, {name} in any fact cue

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


_COMPILED: dict[tuple[str, int], re.Pattern[str]] = {}  # the cues are compiled once per process, not per extractor


def compile_regex(text: str, path: str, where: str, case_sensitive: bool = False, **parts: str) -> re.Pattern[str]:
    key = (fill(str(text), **parts), 0 if case_sensitive else re.IGNORECASE)
    try:
        if key not in _COMPILED:
            if len(_COMPILED) > 8192:
                _COMPILED.clear()
            _COMPILED[key] = re.compile(*key)
        return _COMPILED[key]
    except re.error as exc:
        raise InputError(path, where, f"invalid regular expression ({exc})", "fix the pattern") from None


def load_extraction_cues(path: Path | None = None) -> ExtractionCues:
    return _load(str(Path(path) if path else cues_dir() / "facts.yaml"))


def family_files(path: Path) -> list[Path]:
    """The fact-family files beside a cue file: facts.yaml -> facts/*.yaml."""
    folder = path.parent / path.stem
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


@lru_cache(maxsize=8)
def _load(path: str) -> ExtractionCues:
    data = require_mapping(load_yaml(Path(path), "extraction cue file"), path, "")
    check_keys(data, _SECTIONS, path, "", required=("facts",))
    _check_schema(data, path)
    fragments = _fragments(data.get("fragments") or {}, path)
    facts = {str(name): _fact_rule(str(name), spec, path, fragments) for name, spec in require_mapping(data["facts"], path, "facts").items()}
    read = Path(path).read_bytes()
    for family in family_files(Path(path)):
        where = str(family)
        more = require_mapping(load_yaml(family, "extraction cue file"), where, "")
        check_keys(more, ("schema", "facts"), where, "", required=("facts",))
        _check_schema(more, where)
        for name, spec in require_mapping(more["facts"], where, "facts").items():
            if str(name) in facts:
                raise InputError(where, f"facts.{name}", "cues already given in another cue file", "give each fact's cues in one file")
            facts[str(name)] = _fact_rule(str(name), spec, where, fragments)
        read += family.read_bytes()
    _check_companions(facts, path)
    digest = hashlib.sha256(read + (cues_dir() / "context.yaml").read_bytes()).hexdigest()
    return ExtractionCues(path, digest, facts, {k: v for k, v in data.items() if k not in ("schema", "facts", "fragments")}, fragments)


def _check_companions(facts: dict[str, FactRule], path: str) -> None:
    """A target's with_fact names a fact these cues find."""
    for name, rule in facts.items():
        for i, target in enumerate(rule.targets):
            if target.with_fact and target.with_fact not in facts:
                raise InputError(path, f"facts.{name}.targets[{i}].with_fact", f"no cues find a fact '{target.with_fact}'", "name a fact that has cues")


def _fragments(raw: Any, path: str) -> dict[str, str]:
    """Named regex fragments ({conservative_treatment}); a fragment may use the ones before it."""
    found: dict[str, str] = {}
    for name, text in require_mapping(raw, path, "fragments").items():
        source = fill_fragments(str(text), found)
        checked_regex(source, path, f"fragments.{name}")
        found[str(name)] = source
    return found


def fill_fragments(source: str, fragments: dict[str, str]) -> str:
    for name, fragment in fragments.items():
        source = source.replace("{" + name + "}", f"(?:{fragment})")
    return source


def _check_schema(data: dict, path: str) -> None:
    if data.get("schema", EXTRACT_SCHEMA) != EXTRACT_SCHEMA:
        raise InputError(path, "schema", f"unsupported schema {data['schema']!r}", f"write schema: {EXTRACT_SCHEMA}")


def _fact_rule(name: str, spec: Any, path: str, fragments: dict[str, str]) -> FactRule:
    where = f"facts.{name}"
    spec = require_mapping(spec, path, where)
    check_keys(spec, _FACT_KEYS, path, where, required=("targets",))  # targets: [] for facts a special section finds
    targets = [_target(raw, path, f"{where}.targets[{i}]", fragments) for i, raw in enumerate(require_list(spec["targets"], path, f"{where}.targets"))]
    boolean = bool(targets) and all(isinstance(t.value, bool) for t in targets if t.value is not None)
    negated = _value_rule(spec.get("negated", "invert" if boolean else "drop"), path, f"{where}.negated")
    not_documented = _value_rule(spec.get("not_documented", "false" if boolean else "drop"), path, f"{where}.not_documented")
    stopped = _value_rule(spec["stopped"], path, f"{where}.stopped") if "stopped" in spec else ""
    keep = _categories(spec, "keep", DROPPING + REQUIRABLE + PAST, path, where)  # keep: prior_treatment, historical, remote
    require = _categories(spec, "require", DROPPING + REQUIRABLE, path, where)
    attribute = spec.get("attribute", "none")
    if attribute not in ATTRIBUTIONS:
        raise InputError(path, f"{where}.attribute", f"unknown value {attribute!r}", f"use one of: {', '.join(ATTRIBUTIONS)}")
    resolve = spec.get("resolve", "")
    if resolve not in RESOLUTIONS:
        raise InputError(path, f"{where}.resolve", f"unknown value {resolve!r}", f"use one of {', '.join(r for r in RESOLUTIONS if r)}, or leave it out")
    return FactRule(
        name=name,
        targets=tuple(targets),
        negated=negated,
        not_documented=not_documented,
        stopped=stopped,
        current_only=bool(spec.get("current_only", False)),
        keep=keep,
        require=require,
        resolve=resolve,
        sentence_must_match=_checked_source(spec.get("sentence_must_match", ""), path, f"{where}.sentence_must_match", fragments),
        attribute=attribute,
        ongoing_overrides=bool(spec.get("ongoing_overrides", False)),
        in_request=_request_cue(spec["in_request"], path, f"{where}.in_request", fragments) if "in_request" in spec else None,
        with_request=_checked_source(spec.get("with_request", ""), path, f"{where}.with_request", fragments),
        recent_only=bool(spec.get("recent_only", False)),
    )


def _target(raw: Any, path: str, where: str, fragments: dict[str, str]) -> Target:
    raw = require_mapping(raw, path, where)
    check_keys(raw, ("regex", "value", "case_sensitive", "negated", "keep", "require", "sentence", "with_fact"), path, where, required=("regex",))
    if "value" not in raw:  # null is a value here: a look-alike that gives nothing
        raise InputError(path, f"{where}.value", "required field is missing", "add 'value:' (see README)")
    negated = _value_rule(raw["negated"], path, f"{where}.negated") if "negated" in raw else ""
    sensitive = bool(raw.get("case_sensitive"))
    source = fill_fragments(str(raw["regex"]), fragments)
    pattern = checked_regex(source, path, f"{where}.regex", sensitive)
    value = _computed(raw["value"], pattern, path, f"{where}.value") if isinstance(raw["value"], dict) else raw["value"]
    keep = _categories(raw, "keep", DROPPING + REQUIRABLE + PAST, path, where) if "keep" in raw else None
    require = _categories(raw, "require", DROPPING + REQUIRABLE, path, where) if "require" in raw else None
    sentence = _checked_source(raw.get("sentence", ""), path, f"{where}.sentence", fragments)
    with_fact = require_text(raw["with_fact"], path, f"{where}.with_fact") if "with_fact" in raw else ""
    return Target(pattern, value, negated, source, sensitive, keep, require, sentence, with_fact)


def _categories(raw: dict, field: str, allowed: tuple[str, ...], path: str, where: str) -> frozenset[str]:
    values = frozenset(require_list(raw.get(field, []), path, f"{where}.{field}"))
    unknown = values - set(allowed)
    if unknown:
        raise InputError(path, f"{where}.{field}", f"unknown category {sorted(unknown)[0]!r}", f"use: {', '.join(allowed)}")
    return values


def _computed(raw: dict, pattern: re.Pattern[str], path: str, where: str) -> Computed:
    kinds = [k for k in COMPUTED if k in raw]
    check_keys(raw, (*COMPUTED, "times", "unit", "by"), path, where)
    if len(kinds) != 1:
        raise InputError(path, where, "give one way to compute the value", f"write one of: {', '.join(COMPUTED)}")
    kind = kinds[0]
    if kind == "dates_within_days":
        days = raw[kind]
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise InputError(path, f"{where}.{kind}", "expected a number of days", "write dates_within_days: 365")
        return Computed(kind, (), days=days)
    groups = tuple(str(g) for g in (raw[kind] if isinstance(raw[kind], list) else [raw[kind]]))
    if kind == "below_norm":  # [movement, degrees]: the joint is a group named joint, or the sentence's
        if len(groups) != 2:
            raise InputError(path, f"{where}.{kind}", "below_norm names two groups, the movement and the degrees", "write below_norm: [movement, degrees]")
    elif len(groups) != (1 if kind in ("number", "duration") else 2):
        count = "one group" if kind in ("number", "duration") else "two groups"
        raise InputError(path, f"{where}.{kind}", f"{kind} names {count}", "name the regex groups that hold the numbers")
    missing = [g for g in groups if g not in pattern.groupindex]
    if missing:
        raise InputError(path, f"{where}.{kind}", f"the regex has no group {missing[0]!r}", f"write (?P<{missing[0]}>...) in the regex")
    factor = raw.get("times", 1)
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor <= 0:
        raise InputError(path, f"{where}.times", "expected a positive number", "write times: 4.3")
    unit = str(raw.get("unit", ""))
    if (kind == "duration") != bool(unit) or (unit and unit not in UNITS):
        raise InputError(path, f"{where}.unit", "a duration needs the unit of its value, and only a duration has one", f"write unit: one of {', '.join(UNITS)}")
    by = raw.get("by", 0)
    if "by" in raw and (kind != "below" or isinstance(by, bool) or not isinstance(by, (int, float)) or by <= 0):
        raise InputError(path, f"{where}.by", "only a 'below' value has a margin, a positive number", "write by: 5 beside below: [a, b]")
    return Computed(kind, groups, float(factor), unit=unit, by=float(by))


def _request_cue(raw: Any, path: str, where: str, fragments: dict[str, str]) -> RequestCue:
    raw = require_mapping(raw, path, where)
    check_keys(raw, ("match", "otherwise", "scope", "only"), path, where)
    scope = raw.get("scope", "request")
    if scope not in ("request", "case"):
        raise InputError(path, f"{where}.scope", f"unknown value {scope!r}", "use request or case")
    match = _checked_source(raw.get("match", ""), path, f"{where}.match", fragments)
    return RequestCue(match, raw.get("otherwise"), scope, bool(raw.get("only", False)))


def _checked_source(raw: Any, path: str, where: str, fragments: dict[str, str]) -> str:
    source = fill_fragments(str(raw or ""), fragments)
    if source:
        checked_regex(source, path, where)
    return source


def checked_regex(source: str, path: str, where: str, case_sensitive: bool = False) -> re.Pattern[str]:
    """A cue regex compiled with stand-ins for the fragments the extractor fills in."""
    return compile_regex(drug_placeholders(source, lambda _cls: "drug"), path, where, case_sensitive, **_STAND_INS)


def drug_placeholders(source: str, names: Any) -> str:
    """{drug} and {drug:CLASS} replaced by names(None) and names(CLASS), as a group."""
    return _DRUG_PLACEHOLDER.sub(lambda m: f"(?:{names(m.group(1))})", source)


def _value_rule(value: Any, path: str, where: str) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if text not in VALUE_RULES:
        raise InputError(path, where, f"unknown value {value!r}", f"use one of: {', '.join(VALUE_RULES)}")
    return text
