"""Loading the rule set: guideline catalogue, fact vocabulary, drug lexicon and topic files."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import pickle
from collections.abc import Sequence
from dataclasses import field, fields
from pathlib import Path
from typing import Any

from checker.base.errors import InputError
from checker.base.fields import check_keys, describe, did_you_mean, require_date, require_list, require_mapping, require_text
from checker.base.packaged import packaged_dir
from checker.base.patterns import LazyPattern
from checker.base.records import dataclass
from checker.base.yamlio import load_yaml
from checker.load.conditions import Condition, negate, parse_condition
from checker.load.lexicon import ROUTES, Lexicon, load_lexicon, normalise
from checker.load.services import ServiceLexicon, load_services
from checker.load.vocabulary import Vocabulary, load_vocabulary

TOPIC_SCHEMA = "mtus-rules/2"
ON_DENIAL = ("wean", "taper", "none")
# What a criterion does to the decision: an indication must be documented for the request to be
# supported; a limit (or contraindication) defeats it when documented; documentation is what the
# reviewer would ask for, listed in the draft, never decisive.
ROLES = ("indication", "limit", "documentation")
CONFIDENCE = ("confirmed", "partial", "unconfirmed")
_TOPIC_KEYS = ("schema", "topic", "title", "applies_to", "follows", "provenance", "not_encoded", "decision", "criteria")
_APPLIES_KEYS = ("drugs", "drug_classes", "except_drugs", "services", "categories", "body_parts", "routes", "timing")
TIMINGS = ("preoperative", "postoperative")
# The topic that gates items serving a procedure (pre-op clearance, post-op equipment) on its decision.
GATE_TOPIC = "associated_services"
# How much each kind of applies_to constraint narrows a topic: the most specific matching topic wins.
# A category narrows least: a topic that names only categories (service categories such as imaging or
# surgery, or drug classes) holds the general principles of a chapter, used when no topic names the
# item's service and body part, or its drug and class.
SPECIFICITY = {"drugs": 4, "drug_classes": 2, "services": 2, "categories": 0, "body_parts": 1, "routes": 1, "timing": 1}
_CRITERION_KEYS = ("id", "role", "title", "under", "provenance")
_BLOCK_KEYS = ("title", "requirement", "citation", "basis", "applies_when", "not_applicable_when", "met_when", "not_met_when", "withdrawn")
_CITATION_KEYS = ("guideline", "edition", "section", "pages", "pages_confirmed")
_PAGE_LIST_MARK = LazyPattern(r"[;,]")
_DIGITS = LazyPattern(r"\d+")
_FOLLOWED_KEYS = ("guideline", "edition", "when", "until")
_PROVENANCE_KEYS = ("paraphrases", "confirmed_by", "confidence", "note")
_TOPIC_PROVENANCE_KEYS = ("summary", "readings")
_NOT_ENCODED_KEYS = ("what", "why")
_DECISION_KEYS = ("indicated_when", "on_denial")


@dataclass(frozen=True)
class Citation:
    """A place in a guideline: what a criterion cites, what a letter cites (checker.load.citations) and what
    a case file expects (`expected: citations:`); a letter may name only the guideline and edition."""

    guideline: str
    edition: str
    section: str = ""
    pages: str = ""
    pages_confirmed: bool = True  # false: the page is from domain knowledge, not a source (drafts cite the section)

    def page_numbers(self) -> frozenset[int]:
        return parse_pages(self.pages)

    def as_dict(self, keep_empty: bool = False) -> dict[str, str]:
        """As a case file's `expected: citations:` entry writes it: the parts given, without the empty
        ones unless keep_empty (a regress report lists all four)."""
        found = {"guideline": self.guideline, "edition": self.edition, "section": self.section, "pages": self.pages}
        return found if keep_empty else {k: v for k, v in found.items() if v}


@dataclass(frozen=True)
class Provenance:
    """Where a criterion comes from: the guideline text it paraphrases (default: its citation), the
    sources that confirm it, and how sure that is."""
    paraphrases: Citation | None
    confirmed_by: tuple[str, ...]
    confidence: str
    note: str = ""


@dataclass(frozen=True)
class TopicProvenance:
    """How a topic was read from the guidelines: a summary, and the readings taken where several were defensible."""

    summary: str = ""
    readings: tuple[str, ...] = ()  # where several readings are defensible: the one taken and why


@dataclass(frozen=True)
class NotEncoded:
    """A part of the guideline the topic does not encode, and why."""

    what: str
    why: str


@dataclass(frozen=True)
class Followed:
    """A guideline edition a topic follows; its dates come from guidelines.yaml. `until` ends the
    following early: the topic follows the edition up to that day because another guideline decides
    it from the next (ACOEM 2004 until the 2016 Chronic Pain update took the topic over); effective_to
    is then that day."""
    guideline: str
    edition: str
    effective_from: dt.date
    effective_to: dt.date | None
    when: Condition | None = None
    until: dt.date | None = None

    @property
    def label(self) -> str:
        return f"{self.guideline}-{self.edition}"



@dataclass(frozen=True)
class DatedCriterion:
    """A criterion as written: a stable id and role, and dated blocks of what changed when."""
    id: str
    role: str
    title: str
    under: tuple[str, ...]
    provenance: Provenance | None
    blocks: tuple[tuple[dt.date, dict], ...]
    path: str


@dataclass(frozen=True)
class Criterion:
    """A criterion of an edition: its conditions, citation, role and provenance."""

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
    role: str = "indication"
    provenance: Provenance | None = None
    since: dt.date | None = None  # the date of the dated block in force

    def conditions(self) -> list[tuple[str, Condition]]:
        named = [("met_when", self.met_when), ("not_met_when", self.not_met_when)]
        if self.applies_when is not None:
            named.append(("applies_when", self.applies_when))
        if self.not_applicable_when is not None:
            named.append(("not_applicable_when", self.not_applicable_when))
        return named


@dataclass(frozen=True)
class Edition:
    """A topic's criteria and decision in one guideline edition, with the dates it is in force."""

    key: str  # "<topic>@<edition>"
    edition: str
    effective_from: dt.date
    effective_to: dt.date | None
    criteria: tuple[Criterion, ...]
    decision: Any  # the indication tree: str | ("all"|"any", (...)), or None when no indication is in force
    on_denial: str
    path: str
    when: Condition | None = None  # selects among the editions in force (acute vs chronic, after surgery)
    follows: int = 0  # the position of the followed guideline edition in the topic's `follows:`

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@dataclass(frozen=True)
class Topic:
    """A guideline topic: what it applies to and its editions."""

    topic: str
    title: str
    drugs: tuple[str, ...]
    drug_classes: tuple[str, ...]
    except_drugs: tuple[str, ...]
    services: tuple[str, ...]
    provenance: TopicProvenance
    not_encoded: tuple[NotEncoded, ...]
    editions: tuple[Edition, ...]
    path: str
    body_parts: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    timing: tuple[str, ...] = ()
    follows: tuple[Followed, ...] = ()
    dated_criteria: tuple[DatedCriterion, ...] = ()
    indicated_when: Any = None
    categories: tuple[str, ...] = ()

    @property
    def general_principles(self) -> bool:
        """A fallback topic: it names categories only (service categories, or drug classes), so it judges
        an item of a known category whose service, body part or drug no topic names, by the general
        principles of its chapter."""
        return bool(self.categories) and not (self.drugs or self.drug_classes or self.services)

    def editions_in_force(self, day: dt.date) -> list[Edition]:
        return [e for e in self.editions if e.in_force(day)]

    @functools.cached_property
    def _constraints(self) -> dict[str, tuple[str, ...]]:
        named = {"drugs": self.drugs, "drug_classes": self.drug_classes, "services": self.services,
                 "categories": self.categories, "body_parts": self.body_parts, "routes": self.routes, "timing": self.timing}
        return {k: v for k, v in named.items() if v}

    def constraints(self) -> dict[str, tuple[str, ...]]:
        """What a request must match, by request attribute; used for selection and overlap lint."""
        return self._constraints

    def specificity(self) -> int:
        return sum(SPECIFICITY[k] for k in self.constraints())

    def __reduce__(self) -> tuple:
        """Pickled in two parts: what topic selection reads, and the rest (the editions and their
        criteria: most of a rule set's bytes) as one nested pickle, unpickled when first read. A
        `mtus check` loading the rule set from the cache then builds only the topics its case selects."""
        deferred = self.__dict__.get(_DEFERRED_BYTES)  # not read yet: the same bytes
        if deferred is None:
            deferred = pickle.dumps(tuple(getattr(self, name) for name in TOPIC_DEFERRED), protocol=pickle.HIGHEST_PROTOCOL)
        light = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in TOPIC_DEFERRED}
        return (_topic_with_deferred, (light, deferred))


# Topic fields that selecting a topic does not read (Topic.__reduce__).
TOPIC_DEFERRED = ("provenance", "not_encoded", "editions", "follows", "dated_criteria", "indicated_when")
_DEFERRED_BYTES = "_deferred_bytes"


def _topic_with_deferred(light: dict[str, Any], deferred: bytes) -> Topic:
    topic = object.__new__(Topic)
    topic.__dict__.update(light)
    topic.__dict__[_DEFERRED_BYTES] = deferred
    return topic


class _Deferred:
    """A Topic field read from its nested pickle on first use (an instance's own value, once set,
    hides this descriptor). Each field is set once: a second reader, in another thread, keeps the first."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, topic: Topic | None, owner: type | None = None) -> Any:
        if topic is None:
            raise AttributeError(self.name)
        deferred = topic.__dict__.get(_DEFERRED_BYTES)
        if deferred is not None:
            for name, value in zip(TOPIC_DEFERRED, pickle.loads(deferred), strict=True):  # noqa: S301 - our own pickle, read with its topic
                topic.__dict__.setdefault(name, value)
            topic.__dict__.pop(_DEFERRED_BYTES, None)  # pickled afresh from now on: its fields may have been changed in place
        try:
            return topic.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None


for _name in TOPIC_DEFERRED:  # after @dataclass: its __init__ keeps the declared defaults
    setattr(Topic, _name, _Deferred(_name))


@dataclass(frozen=True)
class GuidelineEdition:
    """A guideline edition the rules cite: its names, how letters cite it, and its dates."""

    guideline: str
    edition: str
    title: str
    letter_name: str
    cite_by: str
    mtus: bool = True
    aliases: tuple[str, ...] = ()
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    # A guideline the rule set lists but does not encode: it governs requests once the guidelines it
    # replaces have ended (the updated ACOEM guidelines from 2017-12-01, the Drug Formulary from
    # 2018-01-01), so a request dated after the last encoded edition names it instead of staying silent.
    replaces: tuple[str, ...] = ()
    covers: str = "all"  # "drugs": it governs drug requests only


GUIDELINE_COVERS = ("all", "drugs")


@dataclass
class RuleSet:
    """Every rule file loaded: vocabulary, lexicon, guidelines, services and topics, with their digest."""

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

    def identity(self, digest_chars: int | None = None) -> dict[str, str]:
        """The rule set as a report names it: name, version, digest (its first digest_chars when
        given) and stamp."""
        return {"name": self.name, "version": self.version, "digest": self.digest[:digest_chars], "stamp": self.stamp}

    def criteria(self) -> list[tuple[Topic, Edition, Criterion]]:
        return [(t, e, c) for t in self.topics for e in t.editions for c in e.criteria]

    def __getstate__(self) -> dict:
        """The fields only: what a run remembers on the rule set (evaluate.ranked_topics) is not
        pickled into the cache or sent to workers."""
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


def parse_pages(pages: str) -> frozenset[int]:
    """'74-80, 92' -> {74..80, 92}. Non-numeric parts are ignored."""
    found: set[int] = set()
    for part in _PAGE_LIST_MARK.split(str(pages)):
        bounds = _DIGITS.findall(part)
        if len(bounds) == 1:
            found.add(int(bounds[0]))
        elif len(bounds) >= 2 and int(bounds[0]) <= int(bounds[1]) and int(bounds[1]) - int(bounds[0]) < 500:
            found.update(range(int(bounds[0]), int(bounds[1]) + 1))
    return frozenset(found)


def default_rules_dir() -> Path:
    """The packaged rules; a source checkout keeps them at the top level beside checker/."""
    return packaged_dir("rules", "facts.yaml", "reinstall mtus-checker or pass --rules DIR")


def cues_dir() -> Path:
    """The packaged extraction and ConText cue files (checker/cues/), read with the rules: lint
    refuses a fact marked extracted that has no cue. Here, not in checker/text/context.py, so that a
    check, which reads no clinical text, does not import the text reader to find them."""
    return Path(__file__).resolve().parents[1] / "cues"


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
    ruleset.topics = [load_topic(p, ruleset.guidelines) for p in topic_paths]
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
    ruleset.topics = [*ruleset.topics, *(load_topic(p, ruleset.guidelines) for p in topic_paths)]
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
    added = load_lexicon(path, base=lexicon)
    known = {normalise(n) for d in lexicon.drugs.values() for n in (d.generic, *d.names)}
    _refuse_known_names(known, {d.generic: (d.generic, *d.names) for d in added.drugs.values()}, path, "drugs")
    return Lexicon(drugs=_only_new(lexicon.drugs, added.drugs, path, "drugs", "drug"), path=lexicon.path, tables=added.tables)


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
        check_keys(spec, ("title", "regulation", "mtus", "aliases", "replaces", "covers", "editions"), str(path), where, required=("title", "editions"))
        mtus = spec.get("mtus", True)
        if not isinstance(mtus, bool):
            raise InputError(str(path), f"{where}.mtus", f"expected true or false, found {mtus!r}", "write mtus: false for a non-MTUS source")
        aliases = tuple(str(a) for a in require_list(spec.get("aliases", []), str(path), f"{where}.aliases"))
        replaces = tuple(str(g) for g in require_list(spec.get("replaces", []), str(path), f"{where}.replaces"))
        covers = spec.get("covers", "all")
        if covers not in GUIDELINE_COVERS:
            raise InputError(str(path), f"{where}.covers", f"unknown value {covers!r}", f"use one of: {', '.join(GUIDELINE_COVERS)}")
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
                replaces=replaces,
                covers=covers,
            )
    return found


def governing_after(ruleset: RuleSet, topic: Topic, day: dt.date, drug: bool) -> list[GuidelineEdition]:
    """The guidelines, listed but not encoded, that govern a request of this topic dated after its last
    encoded edition: those in force on `day` that replace a guideline the topic follows (for a drug
    request, also those that cover drugs only)."""
    followed = {f.guideline for f in topic.follows}
    last = max((e.effective_to or dt.date.max for e in topic.editions), default=dt.date.max)
    if day <= last:
        return []
    found = [
        g for g in ruleset.guidelines.values()
        if set(g.replaces) & followed and g.effective_from is not None and g.effective_from <= day
        and (g.effective_to is None or day <= g.effective_to) and (g.covers == "all" or drug)
    ]
    return sorted(found, key=lambda g: (g.effective_from, g.guideline))


def load_topic(path: Path, guidelines: dict[tuple[str, str], GuidelineEdition]) -> Topic:
    """A topic file: what it applies to, the guideline editions it follows and its criteria, whose
    dated blocks say what changes on which date (OpenFisca style). Each followed guideline edition is
    materialised into editions, one per stretch of days over which no criterion changes."""
    p = str(path)
    data = require_mapping(load_yaml(path, "rule file"), p, "")
    schema = data.get("schema")
    if schema == "mtus-rules/1":
        fix = f"convert it with tools/migrate_rules_v2.py, or write schema: {TOPIC_SCHEMA} (see README, Rule files)"
        raise InputError(p, "schema", "the rule format mtus-rules/1 is no longer read", fix)
    check_keys(data, _TOPIC_KEYS, p, "", required=("schema", "topic", "title", "applies_to", "follows", "criteria"))
    if schema != TOPIC_SCHEMA:
        raise InputError(p, "schema", f"unsupported schema {schema!r}", f"write schema: {TOPIC_SCHEMA}")
    topic = require_text(data["topic"], p, "topic")
    applies = require_mapping(data["applies_to"], p, "applies_to")
    check_keys(applies, _APPLIES_KEYS, p, "applies_to")
    if not any(applies.get(k) for k in ("drugs", "drug_classes", "services", "categories")) and topic != GATE_TOPIC:
        raise InputError(p, "applies_to", "names no drug, drug class, service or service category", "add drugs:, drug_classes:, services: or categories:")
    follows = tuple(_followed(raw, guidelines, p, f"follows[{i}]") for i, raw in enumerate(require_list(data["follows"], p, "follows")))
    if not follows:
        raise InputError(p, "follows", "empty list", "name the guideline editions the topic follows: - {guideline: cpmtg, edition: \"2016\"}")
    criteria = tuple(_dated_criterion(c, p, f"criteria[{i}]") for i, c in enumerate(require_list(data["criteria"], p, "criteria")))
    decision = require_mapping(data.get("decision") or {}, p, "decision")
    check_keys(decision, _DECISION_KEYS, p, "decision")
    on_denial = decision.get("on_denial", "none")
    if on_denial not in ON_DENIAL:
        raise InputError(p, "decision.on_denial", f"unknown value {on_denial!r}", f"use one of: {', '.join(ON_DENIAL)}")
    tree = _decision_tree(decision["indicated_when"], p, "decision.indicated_when") if decision.get("indicated_when") is not None else None
    return Topic(
        topic=topic,
        title=require_text(data["title"], p, "title"),
        drugs=_names(applies, "drugs", p),
        drug_classes=_names(applies, "drug_classes", p),
        except_drugs=_names(applies, "except_drugs", p),
        services=_names(applies, "services", p),
        provenance=_topic_provenance(data.get("provenance"), p),
        not_encoded=_not_encoded(data.get("not_encoded"), p),
        editions=_materialise(topic, follows, criteria, tree, on_denial, p),
        path=p,
        body_parts=_names(applies, "body_parts", p),
        routes=_choices(applies, "routes", ROUTES, p),
        timing=_choices(applies, "timing", TIMINGS, p),
        follows=follows,
        dated_criteria=criteria,
        indicated_when=tree,
        categories=_names(applies, "categories", p),
    )


def _followed(raw: Any, guidelines: dict[tuple[str, str], GuidelineEdition], path: str, where: str) -> Followed:
    raw = require_mapping(raw, path, where)
    check_keys(raw, _FOLLOWED_KEYS, path, where, required=("guideline", "edition"))
    key = (str(raw["guideline"]), str(raw["edition"]))
    guideline = guidelines.get(key)
    if guideline is None:
        known = ", ".join(f"{g} {e}" for g, e in sorted(guidelines))
        raise InputError(path, where, f"unknown guideline edition '{key[0]} {key[1]}'", f"follow one listed in guidelines.yaml ({known})")
    if guideline.effective_from is None:
        problem = f"guideline edition '{key[0]} {key[1]}' has no effective_from in guidelines.yaml"
        raise InputError(path, where, problem, "give it the dates it was in force there")
    when = parse_condition(raw["when"], path, f"{where}.when") if raw.get("when") is not None else None
    until = _until(raw.get("until"), guideline, path, f"{where}.until")
    return Followed(key[0], key[1], guideline.effective_from, until or guideline.effective_to, when, until)


def _until(raw: Any, guideline: GuidelineEdition, path: str, where: str) -> dt.date | None:
    """The last day a topic follows a guideline edition, inside the days the edition is in force."""
    if raw is None:
        return None
    day = require_date(raw, path, where)
    start, end = guideline.effective_from, guideline.effective_to
    if (start is not None and day < start) or (end is not None and day > end):
        span = f"{start}..{end or 'open'}"
        problem = f"{day} is outside the days {guideline.guideline} {guideline.edition} is in force ({span})"
        raise InputError(path, where, problem, "give a date inside that period, or leave until: out")
    return day


def _dated_criterion(raw: Any, path: str, where: str) -> DatedCriterion:
    raw = require_mapping(raw, path, where)
    cid = require_text(raw.get("id"), path, f"{where}.id")
    where = f"criteria[{cid}]"
    dates = [k for k in raw if isinstance(k, dt.date)]
    for key in raw:
        _refuse_misplaced_key(key, dates, path, where)
    check_keys({k: v for k, v in raw.items() if not isinstance(k, dt.date)}, _CRITERION_KEYS, path, where, required=("id", "role", "title"))
    if raw["role"] not in ROLES:
        raise InputError(path, f"{where}.role", f"unknown role {raw['role']!r}", f"use one of: {', '.join(ROLES)}")
    if not dates:
        raise InputError(path, where, "no dated block", "write the criterion's text and logic under the date it took effect (2016-07-29:)")
    blocks = []
    for day in sorted(dates):
        block = require_mapping(raw[day], path, f"{where}.{day}")
        check_keys(block, _BLOCK_KEYS, path, f"{where}.{day}")
        blocks.append((day, block))
    under = tuple(str(g) for g in require_list(raw.get("under", []), path, f"{where}.under"))
    return DatedCriterion(
        id=cid,
        role=raw["role"],
        title=require_text(raw["title"], path, f"{where}.title"),
        under=under,
        provenance=_provenance(raw.get("provenance"), path, f"{where}.provenance"),
        blocks=tuple(blocks),
        path=path,
    )


def _refuse_misplaced_key(key: Any, dates: list[dt.date], path: str, where: str) -> None:
    """A key of a dated block written beside the blocks, or a block dated with something that is not
    a date ("mid 2009", a quoted "2016-07-29"), would otherwise read as an unknown field."""
    if isinstance(key, dt.date) or key in _CRITERION_KEYS:
        return
    if key in _BLOCK_KEYS:
        first = min(dates).isoformat() if dates else "2016-07-29"
        raise InputError(path, f"{where}.{key}", "belongs in a dated block", f"write it under the date it takes effect ({first}:)")
    if not isinstance(key, str) or (any(ch.isdigit() for ch in key) and not did_you_mean(key, _CRITERION_KEYS, "")):
        raise InputError(path, f"{where}.{key}", f"expected a date, found {describe(key)}", "date the block YYYY-MM-DD, unquoted (2016-07-29:)")


def _criterion_on(dated: DatedCriterion, day: dt.date) -> Criterion | None:
    """The criterion as in force on `day`: its blocks up to that day, each overriding the one before;
    None before its first block or once a block withdraws it."""
    merged: dict[str, Any] = {}
    since = None
    for block_day, block in dated.blocks:
        if block_day > day:
            break
        merged.update(block)
        since = block_day
    if since is None or merged.get("withdrawn"):
        return None
    where = f"criteria[{dated.id}].{since}"
    path = dated.path
    if "met_when" not in merged:
        raise InputError(path, where, "no met_when in force", "give met_when: in the criterion's first dated block")
    if "requirement" not in merged:
        raise InputError(path, where, "no requirement in force", "give requirement: in the criterion's first dated block")
    met = parse_condition(merged["met_when"], path, f"{where}.met_when")
    not_met = parse_condition(merged["not_met_when"], path, f"{where}.not_met_when") if "not_met_when" in merged else negate(met)
    applies = parse_condition(merged["applies_when"], path, f"{where}.applies_when") if "applies_when" in merged else None
    not_applicable = negate(applies) if applies is not None else None
    if "not_applicable_when" in merged:
        not_applicable = parse_condition(merged["not_applicable_when"], path, f"{where}.not_applicable_when")
    return Criterion(
        id=dated.id,
        title=require_text(merged.get("title", dated.title), path, f"{where}.title"),
        requirement=require_text(merged["requirement"], path, f"{where}.requirement").strip(),
        citation=_citation(merged.get("citation"), path, f"{where}.citation"),
        met_when=met,
        not_met_when=not_met,
        not_applicable_when=not_applicable,
        applies_when=applies,
        path=path,
        basis=str(merged.get("basis") or "").strip(),
        role=dated.role,
        provenance=dated.provenance,
        since=since,
    )


def _materialise(topic: str, follows: tuple[Followed, ...], criteria: tuple[DatedCriterion, ...], tree: Any, on_denial: str, path: str) -> tuple[Edition, ...]:
    """One edition per followed guideline edition and stretch of days without a change."""
    editions = []
    for position, followed in enumerate(follows):
        mine = [c for c in criteria if not c.under or followed.guideline in c.under]
        last = followed.effective_to or dt.date.max
        changes = sorted({d for c in mine for d, _ in c.blocks if followed.effective_from < d <= last})
        starts = [followed.effective_from, *changes]
        ends = [d - dt.timedelta(days=1) for d in changes] + [followed.effective_to]
        base = f"{topic}@{followed.label}" + (f"#{position}" if any(f.label == followed.label for f in follows[:position]) else "")
        for start, end in zip(starts, ends, strict=True):
            in_force = tuple(c for c in (_criterion_on(d, start) for d in mine) if c is not None)
            editions.append(Edition(
                key=base if start == followed.effective_from else f"{base}+{start.isoformat()}",
                edition=followed.label,
                effective_from=start,
                effective_to=end,
                criteria=in_force,
                decision=_indications(tree, in_force),
                on_denial=on_denial,
                path=path,
                when=followed.when,
                follows=position,
            ))
    return tuple(editions)


def _indications(tree: Any, criteria: tuple[Criterion, ...]) -> Any:
    """The indication tree of one edition: the topic's indicated_when without the criteria not in
    force (or all of its indications when the topic states no tree); None when nothing is to be
    shown, so that the item is indicated unless a limit defeats it."""
    ids = {c.id for c in criteria if c.role == "indication"}
    if tree is None:
        found = tuple(c.id for c in criteria if c.role == "indication")
        return ("all", found) if found else None
    return _pruned(tree, ids)


def _pruned(tree: Any, ids: set[str]) -> Any:
    if isinstance(tree, str):
        return tree if tree in ids else None
    kind, parts = tree
    kept = tuple(p for p in (_pruned(part, ids) for part in parts) if p is not None)
    return (kind, kept) if kept else None


def _provenance(raw: Any, path: str, where: str) -> Provenance | None:
    if raw is None:
        return None  # lint reports a criterion without provenance
    raw = require_mapping(raw, path, where)
    check_keys(raw, _PROVENANCE_KEYS, path, where, required=("confidence",))
    if raw["confidence"] not in CONFIDENCE:
        raise InputError(path, f"{where}.confidence", f"unknown value {raw['confidence']!r}", f"use one of: {', '.join(CONFIDENCE)}")
    paraphrases = _citation(raw["paraphrases"], path, f"{where}.paraphrases") if raw.get("paraphrases") is not None else None
    return Provenance(
        paraphrases=paraphrases,
        confirmed_by=tuple(str(s) for s in require_list(raw.get("confirmed_by", []), path, f"{where}.confirmed_by")),
        confidence=raw["confidence"],
        note=" ".join(str(raw.get("note") or "").split()),
    )


def _topic_provenance(raw: Any, path: str) -> TopicProvenance:
    raw = require_mapping(raw or {}, path, "provenance")
    check_keys(raw, _TOPIC_PROVENANCE_KEYS, path, "provenance")
    readings = require_list(raw.get("readings", []), path, "provenance.readings")
    return TopicProvenance(
        summary=" ".join(str(raw.get("summary") or "").split()),
        readings=tuple(" ".join(str(r).split()) for r in readings),
    )


def _not_encoded(raw: Any, path: str) -> tuple[NotEncoded, ...]:
    found = []
    for i, entry in enumerate(require_list(raw or [], path, "not_encoded")):
        entry = require_mapping(entry, path, f"not_encoded[{i}]")
        check_keys(entry, _NOT_ENCODED_KEYS, path, f"not_encoded[{i}]", required=_NOT_ENCODED_KEYS)
        found.append(NotEncoded(" ".join(str(entry["what"]).split()), " ".join(str(entry["why"]).split())))
    return tuple(found)


def _names(applies: dict, key: str, path: str) -> tuple[str, ...]:
    return tuple(str(v) for v in require_list(applies.get(key, []), path, f"applies_to.{key}"))


def _choices(applies: dict, key: str, allowed: tuple[str, ...], path: str) -> tuple[str, ...]:
    found = _names(applies, key, path)
    for value in found:
        if value not in allowed:
            raise InputError(path, f"applies_to.{key}", f"unknown value {value!r}", f"use one of: {', '.join(allowed)}")
    return found


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


def _citation(raw: Any, path: str, where: str) -> Citation | None:
    if raw is None:
        return None  # reported by lint, so the whole rule set's defects are listed at once
    raw = require_mapping(raw, path, where)
    check_keys(raw, _CITATION_KEYS, path, where)
    confirmed = raw.get("pages_confirmed", True)
    if not isinstance(confirmed, bool):
        fix = "write pages_confirmed: false for a page no source confirms"
        raise InputError(path, f"{where}.pages_confirmed", f"expected true or false, found {confirmed!r}", fix)
    return Citation(
        guideline=str(raw.get("guideline", "")),
        edition=str(raw.get("edition", "")),
        section=str(raw.get("section", "")),
        pages=str(raw.get("pages", "")),
        pages_confirmed=confirmed,
    )
