"""Loading the rule set: guideline catalogue, fact vocabulary, drug lexicon and topic files."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.conditions import Condition, negate, parse_condition
from checker.errors import InputError
from checker.fields import check_keys, require_date, require_list, require_mapping, require_text
from checker.lexicon import ROUTES, Lexicon, load_lexicon, normalise
from checker.services import ServiceLexicon, load_services
from checker.vocabulary import Vocabulary, load_vocabulary
from checker.yamlio import load_yaml

TOPIC_SCHEMA = "mtus-rules/1"
ON_DENIAL = ("wean", "taper", "none")
_TOPIC_KEYS = ("schema", "topic", "title", "applies_to", "sources", "editions")
_EDITION_KEYS = ("edition", "effective_from", "effective_to", "when", "criteria", "decision")
_APPLIES_KEYS = ("drugs", "drug_classes", "except_drugs", "services", "body_parts", "routes", "timing")
TIMINGS = ("preoperative", "postoperative")
# The topic that gates items serving a procedure (pre-op clearance, post-op equipment) on its decision.
GATE_TOPIC = "associated_services"
# How much each kind of applies_to constraint narrows a topic: the most specific matching topic wins.
SPECIFICITY = {"drugs": 4, "drug_classes": 2, "services": 2, "body_parts": 1, "routes": 1, "timing": 1}
_CRITERION_KEYS = ("id", "title", "requirement", "citation", "basis", "applies_when", "not_applicable_when", "met_when", "not_met_when")
_CITATION_KEYS = ("guideline", "edition", "section", "pages")


@dataclass(frozen=True)
class Citation:
    guideline: str
    edition: str
    section: str
    pages: str = ""

    def page_numbers(self) -> frozenset[int]:
        return parse_pages(self.pages)


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    requirement: str
    citation: Citation | None
    met_when: Condition
    not_met_when: Condition
    not_applicable_when: Condition | None
    applies_when: Condition | None
    path: str
    basis: str = ""  # why no guideline is cited (e.g. an associated service follows its procedure)

    def conditions(self) -> list[tuple[str, Condition]]:
        named = [("met_when", self.met_when), ("not_met_when", self.not_met_when)]
        if self.applies_when is not None:
            named.append(("applies_when", self.applies_when))
        if self.not_applicable_when is not None:
            named.append(("not_applicable_when", self.not_applicable_when))
        return named


@dataclass(frozen=True)
class Edition:
    key: str  # "<topic>@<edition>"
    edition: str
    effective_from: dt.date
    effective_to: dt.date | None
    criteria: tuple[Criterion, ...]
    decision: Any  # tree of criterion ids: str | ("all"|"any", (...))
    on_denial: str
    path: str
    when: Condition | None = None  # selects among the editions in force (acute vs chronic, after surgery)

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@dataclass(frozen=True)
class Topic:
    topic: str
    title: str
    drugs: tuple[str, ...]
    drug_classes: tuple[str, ...]
    except_drugs: tuple[str, ...]
    services: tuple[str, ...]
    sources: str
    editions: tuple[Edition, ...]
    path: str
    body_parts: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    timing: tuple[str, ...] = ()

    def editions_in_force(self, day: dt.date) -> list[Edition]:
        return [e for e in self.editions if e.in_force(day)]

    @functools.cached_property
    def _constraints(self) -> dict[str, tuple[str, ...]]:
        named = {"drugs": self.drugs, "drug_classes": self.drug_classes, "services": self.services,
                 "body_parts": self.body_parts, "routes": self.routes, "timing": self.timing}
        return {k: v for k, v in named.items() if v}

    def constraints(self) -> dict[str, tuple[str, ...]]:
        """What a request must match, by request attribute; used for selection and overlap lint."""
        return self._constraints

    def specificity(self) -> int:
        return sum(SPECIFICITY[k] for k in self.constraints())


@dataclass(frozen=True)
class GuidelineEdition:
    guideline: str
    edition: str
    title: str
    letter_name: str
    cite_by: str
    mtus: bool = True
    aliases: tuple[str, ...] = ()
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


@dataclass
class RuleSet:
    directory: str
    name: str
    version: str
    digest: str
    vocabulary: Vocabulary
    lexicon: Lexicon
    guidelines: dict[tuple[str, str], GuidelineEdition]
    services: ServiceLexicon
    topics: list[Topic] = field(default_factory=list)
    extra_dirs: tuple[str, ...] = ()  # site rule folders added to the packaged rules (--rules-extra)

    @property
    def stamp(self) -> str:
        """The version and digest; '+site' when a site's rule folder is in (the digest covers its files)."""
        return f"{self.version}+{self.digest[:12]}" + ("+site" if self.extra_dirs else "")

    def criteria(self) -> list[tuple[Topic, Edition, Criterion]]:
        return [(t, e, c) for t in self.topics for e in t.editions for c in e.criteria]


def parse_pages(pages: str) -> frozenset[int]:
    """'74-80, 92' -> {74..80, 92}. Non-numeric parts are ignored."""
    found: set[int] = set()
    for part in re.split(r"[;,]", str(pages)):
        bounds = re.findall(r"\d+", part)
        if len(bounds) == 1:
            found.add(int(bounds[0]))
        elif len(bounds) >= 2 and int(bounds[0]) <= int(bounds[1]) and int(bounds[1]) - int(bounds[0]) < 500:
            found.update(range(int(bounds[0]), int(bounds[1]) + 1))
    return frozenset(found)


def default_rules_dir() -> Path:
    """The packaged rules; a source checkout keeps them at the top level beside checker/."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "rules", here / "rules"):
        if (candidate / "facts.yaml").is_file():
            return candidate
    raise InputError(str(here), "rules", "the packaged rules are missing", "reinstall mtus-checker or pass --rules DIR")


def load_ruleset(directory: Path, extra_dirs: Sequence[Path] = ()) -> RuleSet:
    """Read a rules directory, then each site rule folder in extra_dirs (see add_rule_folder).
    Structural problems raise InputError; semantic ones are for lint."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(str(directory), "", "rules directory not found", "pass a directory holding facts.yaml, drugs.yaml and topics/")
    meta_path = directory / "ruleset.yaml"
    meta = require_mapping(load_yaml(meta_path, "rule-set file"), str(meta_path), "")
    check_keys(meta, ("name", "version"), str(meta_path), "", required=("name", "version"))
    topic_paths = sorted((directory / "topics").glob("*.yaml"))
    fact_paths = sorted((directory / "facts").glob("*.yaml"))
    ruleset = RuleSet(
        directory=str(directory),
        name=str(meta["name"]),
        version=str(meta["version"]),
        digest=_digest(directory, fact_paths + topic_paths),
        vocabulary=load_vocabulary(directory / "facts.yaml", fact_paths),
        lexicon=load_lexicon(directory / "drugs.yaml"),
        guidelines=load_guidelines(directory / "guidelines.yaml"),
        services=load_services(directory / "services.yaml"),
    )
    ruleset.topics = [load_topic(p) for p in topic_paths]
    for folder in extra_dirs:
        add_rule_folder(ruleset, Path(folder))
    return ruleset


EXTRA_FILES = ("facts.yaml", "drugs.yaml", "services.yaml", "guidelines.yaml")
_ONLY_ADDS = "give it a name of its own: a site rule folder adds to the packaged rules and cannot change them (see README, Site rules)"


def add_rule_folder(ruleset: RuleSet, folder: Path) -> None:
    """Add a site's own rule folder to a loaded rule set: facts.yaml and facts/*.yaml, drugs.yaml,
    services.yaml, guidelines.yaml and topics/*.yaml, each optional, in the packaged files' format.
    It can only add: a fact, drug or drug name, service or service name, body part or guideline
    edition the rule set already has is refused, so a site file never silently changes a packaged
    rule. Its topics are linted with the others (a reused topic id, or two topics one request matches
    equally, is a defect; a topic naming a drug is more specific than one naming its class)."""
    if not folder.is_dir():
        raise InputError(str(folder), "", "site rule folder not found", "pass a folder holding any of drugs.yaml, facts.yaml, services.yaml, topics/")
    files = [folder / name for name in EXTRA_FILES if (folder / name).is_file()]
    fact_paths = [p for p in files if p.name == "facts.yaml"] + sorted((folder / "facts").glob("*.yaml"))
    topic_paths = sorted((folder / "topics").glob("*.yaml"))
    if not files and not fact_paths and not topic_paths:
        raise InputError(str(folder), "", "holds no rule file", f"add any of {', '.join(EXTRA_FILES)}, facts/*.yaml or topics/*.yaml (see README, Site rules)")
    for path in fact_paths:
        facts = _only_new(ruleset.vocabulary.facts, load_vocabulary(path).facts, path, "facts", "fact")
        ruleset.vocabulary = Vocabulary(facts, ruleset.vocabulary.path)
    if (folder / "drugs.yaml").is_file():
        ruleset.lexicon = _with_drugs(ruleset.lexicon, folder / "drugs.yaml")
    if (folder / "services.yaml").is_file():
        ruleset.services = _with_services(ruleset.services, folder / "services.yaml")
    if (folder / "guidelines.yaml").is_file():
        path = folder / "guidelines.yaml"
        ruleset.guidelines = _only_new(ruleset.guidelines, load_guidelines(path), path, "guidelines", "guideline edition")
    ruleset.topics = [*ruleset.topics, *(load_topic(p) for p in topic_paths)]
    ruleset.extra_dirs = (*ruleset.extra_dirs, str(folder))
    ruleset.digest = _extended_digest(ruleset.digest, folder, sorted({*files, *fact_paths}) + topic_paths)


def _only_new(known: dict, added: dict, path: Path, where: str, kind: str) -> dict:
    """known and added together; a key of added that known already has is an error."""
    for key in added:
        if key in known:
            name = " ".join(key) if isinstance(key, tuple) else key
            raise InputError(str(path), f"{where}.{name}", f"{kind} is already defined by the rules in use", _ONLY_ADDS)
    return {**known, **added}


def _refuse_known_names(known: set[str], added: dict[str, tuple[str, ...]], path: Path, where: str) -> None:
    """A name a request line is read by (a drug's brand, a service's name) must not already mean something else."""
    for key, names in added.items():
        for name in names:
            if normalise(name) in known:
                raise InputError(str(path), f"{where}.{key}", f"the name {name!r} already has a meaning in the rules in use", _ONLY_ADDS)


def _with_drugs(lexicon: Lexicon, path: Path) -> Lexicon:
    added = load_lexicon(path)
    known = {normalise(n) for d in lexicon.drugs.values() for n in (d.generic, *d.names)}
    _refuse_known_names(known, {d.generic: (d.generic, *d.names) for d in added.drugs.values()}, path, "drugs")
    return Lexicon(drugs=_only_new(lexicon.drugs, added.drugs, path, "drugs", "drug"), path=lexicon.path)


def _with_services(services: ServiceLexicon, path: Path) -> ServiceLexicon:
    added = load_services(path)
    known = {normalise(n) for s in services.services.values() for n in s.names} | {normalise(n) for ns in services.body_parts.values() for n in ns}
    _refuse_known_names(known, {k: s.names for k, s in added.services.items()}, path, "services")
    _refuse_known_names(known, added.body_parts, path, "body_parts")
    return ServiceLexicon(
        _only_new(services.services, added.services, path, "services", "service"),
        _only_new(services.body_parts, added.body_parts, path, "body_parts", "body part"),
        services.path,
    )


def _digest(directory: Path, more_paths: list[Path]) -> str:
    sha = hashlib.sha256()
    names = ["ruleset.yaml", "facts.yaml", "drugs.yaml", "guidelines.yaml", "services.yaml"]
    for path in [directory / n for n in names] + more_paths:
        if path.is_file():
            sha.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


def _extended_digest(digest: str, folder: Path, paths: list[Path]) -> str:
    sha = hashlib.sha256(digest.encode() + b"\0")
    for path in paths:
        sha.update(b"site/" + path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


def load_guidelines(path: Path) -> dict[tuple[str, str], GuidelineEdition]:
    data = require_mapping(load_yaml(path, "guideline catalogue"), str(path), "")
    check_keys(data, ("schema", "guidelines"), str(path), "", required=("guidelines",))
    found = {}
    for key, spec in require_mapping(data["guidelines"], str(path), "guidelines").items():
        where = f"guidelines.{key}"
        spec = require_mapping(spec, str(path), where)
        check_keys(spec, ("title", "regulation", "mtus", "aliases", "editions"), str(path), where, required=("title", "editions"))
        mtus = spec.get("mtus", True)
        if not isinstance(mtus, bool):
            raise InputError(str(path), f"{where}.mtus", f"expected true or false, found {mtus!r}", "write mtus: false for a non-MTUS source")
        aliases = tuple(str(a) for a in require_list(spec.get("aliases", []), str(path), f"{where}.aliases"))
        for edition, ed in require_mapping(spec["editions"], str(path), f"{where}.editions").items():
            ew = f"{where}.editions.{edition}"
            ed = require_mapping(ed, str(path), ew)
            check_keys(ed, ("letter_name", "published", "effective_from", "effective_to", "cite_by"), str(path), ew, required=("letter_name", "cite_by"))
            if ed["cite_by"] not in ("pages", "sections"):
                raise InputError(str(path), f"{ew}.cite_by", f"unknown value {ed['cite_by']!r}", "use pages or sections")
            found[(str(key), str(edition))] = GuidelineEdition(
                guideline=str(key),
                edition=str(edition),
                title=spec["title"],
                letter_name=ed["letter_name"],
                cite_by=ed["cite_by"],
                mtus=mtus,
                aliases=aliases,
                effective_from=require_date(ed["effective_from"], str(path), f"{ew}.effective_from") if ed.get("effective_from") else None,
                effective_to=require_date(ed["effective_to"], str(path), f"{ew}.effective_to") if ed.get("effective_to") else None,
            )
    return found


def load_topic(path: Path) -> Topic:
    p = str(path)
    data = require_mapping(load_yaml(path, "rule file"), p, "")
    check_keys(data, _TOPIC_KEYS, p, "", required=("schema", "topic", "title", "applies_to", "editions"))
    if data["schema"] != TOPIC_SCHEMA:
        raise InputError(p, "schema", f"unsupported schema {data['schema']!r}", f"write schema: {TOPIC_SCHEMA}")
    topic = require_text(data["topic"], p, "topic")
    applies = require_mapping(data["applies_to"], p, "applies_to")
    check_keys(applies, _APPLIES_KEYS, p, "applies_to")
    if not any(applies.get(k) for k in ("drugs", "drug_classes", "services")) and topic != GATE_TOPIC:
        raise InputError(p, "applies_to", "names no drug, drug class or service", "add drugs:, drug_classes: or services:")
    editions = tuple(
        _edition(topic, raw, p, f"editions[{i}]") for i, raw in enumerate(require_list(data["editions"], p, "editions"))
    )
    return Topic(
        topic=topic,
        title=require_text(data["title"], p, "title"),
        drugs=_names(applies, "drugs", p),
        drug_classes=_names(applies, "drug_classes", p),
        except_drugs=_names(applies, "except_drugs", p),
        services=_names(applies, "services", p),
        sources=str(data.get("sources", "")),
        editions=editions,
        path=p,
        body_parts=_names(applies, "body_parts", p),
        routes=_choices(applies, "routes", ROUTES, p),
        timing=_choices(applies, "timing", TIMINGS, p),
    )


def _names(applies: dict, key: str, path: str) -> tuple[str, ...]:
    return tuple(str(v) for v in require_list(applies.get(key, []), path, f"applies_to.{key}"))


def _choices(applies: dict, key: str, allowed: tuple[str, ...], path: str) -> tuple[str, ...]:
    found = _names(applies, key, path)
    for value in found:
        if value not in allowed:
            raise InputError(path, f"applies_to.{key}", f"unknown value {value!r}", f"use one of: {', '.join(allowed)}")
    return found


def _edition(topic: str, raw: Any, path: str, where: str) -> Edition:
    raw = require_mapping(raw, path, where)
    check_keys(raw, _EDITION_KEYS, path, where, required=("edition", "effective_from", "criteria", "decision"))
    decision = require_mapping(raw["decision"], path, f"{where}.decision")
    check_keys(decision, ("medically_necessary_when", "on_denial"), path, f"{where}.decision", required=("medically_necessary_when",))
    on_denial = decision.get("on_denial", "none")
    if on_denial not in ON_DENIAL:
        raise InputError(path, f"{where}.decision.on_denial", f"unknown value {on_denial!r}", f"use one of: {', '.join(ON_DENIAL)}")
    criteria = tuple(
        _criterion(c, path, f"{where}.criteria[{i}]") for i, c in enumerate(require_list(raw["criteria"], path, f"{where}.criteria"))
    )
    return Edition(
        key=f"{topic}@{raw['edition']}",
        edition=str(raw["edition"]),
        effective_from=require_date(raw["effective_from"], path, f"{where}.effective_from"),
        effective_to=require_date(raw["effective_to"], path, f"{where}.effective_to") if raw.get("effective_to") else None,
        criteria=criteria,
        decision=_decision_tree(decision["medically_necessary_when"], path, f"{where}.decision.medically_necessary_when"),
        on_denial=on_denial,
        path=path,
        when=parse_condition(raw["when"], path, f"{where}.when") if raw.get("when") is not None else None,
    )


def _decision_tree(raw: Any, path: str, where: str) -> Any:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict) and len(raw) == 1 and next(iter(raw)) in ("all", "any"):
        (kind, parts), = raw.items()
        parts = require_list(parts, path, f"{where}.{kind}")
        if not parts:
            raise InputError(path, f"{where}.{kind}", "empty list", "list criterion ids")
        return (kind, tuple(_decision_tree(p, path, f"{where}.{kind}[{i}]") for i, p in enumerate(parts)))
    raise InputError(path, where, "expected a criterion id or all:/any: of criterion ids", "write all: [criterion.id, ...]")


def _criterion(raw: Any, path: str, where: str) -> Criterion:
    raw = require_mapping(raw, path, where)
    check_keys(raw, _CRITERION_KEYS, path, where, required=("id", "title", "requirement", "met_when"))
    cid = require_text(raw["id"], path, f"{where}.id")
    where = f"criteria[{cid}]"
    met = parse_condition(raw["met_when"], path, f"{where}.met_when")
    not_met = parse_condition(raw["not_met_when"], path, f"{where}.not_met_when") if "not_met_when" in raw else negate(met)
    applies = parse_condition(raw["applies_when"], path, f"{where}.applies_when") if "applies_when" in raw else None
    not_applicable = negate(applies) if applies is not None else None
    if "not_applicable_when" in raw:
        not_applicable = parse_condition(raw["not_applicable_when"], path, f"{where}.not_applicable_when")
    return Criterion(
        id=cid,
        title=require_text(raw["title"], path, f"{where}.title"),
        requirement=require_text(raw["requirement"], path, f"{where}.requirement").strip(),
        citation=_citation(raw.get("citation"), path, f"{where}.citation"),
        met_when=met,
        not_met_when=not_met,
        not_applicable_when=not_applicable,
        applies_when=applies,
        path=path,
        basis=str(raw.get("basis") or "").strip(),
    )


def _citation(raw: Any, path: str, where: str) -> Citation | None:
    if raw is None:
        return None  # reported by lint, so the whole rule set's defects are listed at once
    raw = require_mapping(raw, path, where)
    check_keys(raw, _CITATION_KEYS, path, where)
    return Citation(
        guideline=str(raw.get("guideline", "")),
        edition=str(raw.get("edition", "")),
        section=str(raw.get("section", "")),
        pages=str(raw.get("pages", "")),
    )
