"""Compiling criteria to durable_rules JSON rulesets, and the engine-independent program both
evaluators run.

Each criterion yields up to three engine rules, one per outcome it can prove from the facts:
`met`, `not_met` and `not_applicable`. A fact the case does not document matches no test in
durable_rules (absent attributes never match, not even `$neq`), so when neither `met` nor `not_met`
fires the criterion is `not_documented`: Kleene three-valued logic, with no rule for "unknown".
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Iterable
from dataclasses import field
from typing import Any

from checker.base.errors import EngineError
from checker.base.outcomes import MET, NOT_APPLICABLE, NOT_MET
from checker.base.records import dataclass
from checker.load.conditions import Condition, push_not
from checker.load.ruleset import RuleSet

OUTCOMES = (NOT_APPLICABLE, MET, NOT_MET)
# Attributes the compiler itself puts on every asserted item; fact names may not reuse them.
RESERVED = ("t", "sid", "id", "edition_key", "item_index", "$s")
ITEM_TAG = "item"
GUARD_TAG = "__guard"
GUARD_RULE = "guard"
MAX_ENGINE_RULES = 4096
_OPS = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


@dataclass(frozen=True)
class Probe:
    """One engine rule: when `condition` holds for an item of `edition_key`, `outcome` is shown."""
    index: int
    edition_key: str
    criterion_id: str
    outcome: str
    condition: Condition


@dataclass(frozen=True)
class Program:
    """The rule set compiled into probes for the evaluators, named by its digest."""

    probes: tuple[Probe, ...]
    digest: str
    # durable_rules' rule set of every probe, as the JSON text the engine is given (definition_json):
    # written once here, so into the rules cache, not again by every regress (about 13 ms a run).
    engine_json: str = field(default="", repr=False, compare=False)

    @property
    def name(self) -> str:
        return f"mtus@{self.digest[:12]}"

    def edition_probes(self, edition_key: str) -> tuple[Probe, ...]:
        """The probes of one edition, in index order (unpickled alone when the program was read from
        a pickle and its probes were not read yet: Program.__reduce__)."""
        state = self.__dict__
        if _PICKLED_EDITIONS not in state:
            if _LOADED_EDITIONS not in state:
                state[_LOADED_EDITIONS] = _by_edition(self.probes)
            return state[_LOADED_EDITIONS].get(edition_key, ())
        editions = state.setdefault(_LOADED_EDITIONS, {})
        probes = editions.get(edition_key)
        if probes is None:
            pickled = state[_PICKLED_EDITIONS].get(edition_key)
            probes = pickle.loads(pickled) if pickled is not None else ()  # noqa: S301 - our own pickle, read with its program
            state.setdefault(_BY_INDEX, {}).update((probe.index, probe) for probe in probes)
            editions[edition_key] = probes  # last: an edition listed here has its probes by index (probe)
        return probes

    def probe(self, index: int) -> Probe:
        """probes[index], without unpickling every edition's probes (edition_probes)."""
        state = self.__dict__
        if _PICKLED_EDITIONS not in state:
            return self.probes[index]
        found = state.get(_BY_INDEX, {}).get(index)
        if found is None:
            self.edition_probes(state[_INDEX_EDITIONS][index])
            found = state[_BY_INDEX][index]
        return found

    def __reduce__(self) -> tuple:
        """Pickled with each edition's probes as a nested pickle of its own, unpickled when first read:
        a `mtus check` registers the two or three editions its case needs of some 150, and unpickling
        all 1,231 probes was about 1.5 ms of its start (the same program: tests/test_speed.py)."""
        pickled = {key: pickle.dumps(probes, protocol=pickle.HIGHEST_PROTOCOL) for key, probes in _by_edition(self.probes).items()}
        return (_program_from_parts, (self.digest, self.engine_json, pickled, tuple(probe.edition_key for probe in self.probes)))


def _by_edition(probes: Iterable[Probe]) -> dict[str, tuple[Probe, ...]]:
    """The probes of each edition, in the order given."""
    grouped: dict[str, list[Probe]] = {}
    for probe in probes:
        grouped.setdefault(probe.edition_key, []).append(probe)
    return {key: tuple(found) for key, found in grouped.items()}


_PICKLED_EDITIONS = "_pickled_editions"
_LOADED_EDITIONS = "_loaded_editions"
_BY_INDEX = "_probes_by_index"
_INDEX_EDITIONS = "_index_editions"


def _program_from_parts(digest: str, engine_json: str, pickled: dict[str, bytes], index_editions: tuple[str, ...]) -> Program:
    program = object.__new__(Program)
    program.__dict__.update({"digest": digest, "engine_json": engine_json, _PICKLED_EDITIONS: pickled, _INDEX_EDITIONS: index_editions})
    return program


class _ProbesOnFirstRead:
    """Program.probes of an unpickled program, built from every edition's probes when first read."""

    def __get__(self, program: Program | None, owner: type | None = None) -> Any:
        if program is None:
            raise AttributeError("probes")
        state = program.__dict__
        probes = state.get("probes")
        if probes is None:
            if _INDEX_EDITIONS not in state:
                raise AttributeError("probes")
            probes = tuple(sorted((p for key in dict.fromkeys(state[_INDEX_EDITIONS]) for p in program.edition_probes(key)), key=lambda p: p.index))
            state["probes"] = probes
        return probes


Program.probes = _ProbesOnFirstRead()  # type: ignore[assignment, misc] # after @dataclass: its __init__ sets the field itself


def compile_program(ruleset: RuleSet) -> Program:
    probes = []
    for topic in ruleset.topics:
        for edition in topic.editions:
            for criterion in edition.criteria:
                named = {MET: criterion.met_when, NOT_MET: criterion.not_met_when, NOT_APPLICABLE: criterion.not_applicable_when}
                for outcome in OUTCOMES:
                    if named[outcome] is not None:
                        probes.append(Probe(len(probes), edition.key, criterion.id, outcome, push_not(named[outcome])))
    if len(probes) + 1 > MAX_ENGINE_RULES:
        raise EngineError(f"{len(probes)} engine rules exceed durable_rules' limit of {MAX_ENGINE_RULES}")
    check_attribute_hashes(sorted(ruleset.vocabulary.facts))
    digest = hashlib.sha256(json.dumps([_probe_key(p) for p in probes], default=str).encode()).hexdigest()
    return Program(tuple(probes), digest, definition_json(probes))


def definition_json(probes: Iterable[Probe]) -> str:
    """durable_definition as the JSON text durable_rules reads."""
    return json.dumps(durable_definition(probes), ensure_ascii=False)


def _probe_key(probe: Probe) -> list:
    return [probe.edition_key, probe.criterion_id, probe.outcome, probe.condition]


def durable_definition(probes: Iterable[Probe]) -> dict:
    """The JSON ruleset for durable_rules: rule "r<index>" per probe, and the guard rule."""
    rules = {}
    for probe in probes:
        rules[f"r{probe.index}"] = {
            "all": [{"m": {"$and": [{"t": ITEM_TAG}, {"edition_key": probe.edition_key}, to_durable(probe.condition)]}}],
        }
    # Every session runs at least this action: deleting a session in which no action ran frees
    # uninitialised memory in durable_rules 2.0.28 (see the engine notes, pitfall 1).
    rules[GUARD_RULE] = {"pri": 65535, "all": [{"m": {"t": GUARD_TAG}}]}
    return rules


def probe_index(rule_name: str) -> int:
    """The probe a rule of durable_definition stands for ("r12" -> 12)."""
    return int(rule_name[1:])


def to_durable(cond: Condition) -> dict:
    kind = cond[0]
    if kind == "all":
        # a not_in (or a nested all) is spliced into its conjunction: durable_rules counts each nested
        # $and against its limit of disjuncts in one rule (error 113), and the meaning is the same
        return {"$and": [part for c in cond[1] for part in _conjuncts(to_durable(c))]}
    if kind == "any":
        return {"$or": [to_durable(c) for c in cond[1]]}
    _, fact, op, value = cond
    if op == "exists":
        return {"$ex" if value else "$nex": {fact: 1}}
    if op == "eq":
        return {fact: value}
    if op == "in":
        return {"$or": [{fact: v} for v in value]}
    if op == "not_in":
        return {"$and": [{"$neq": {fact: v}} for v in value]}
    return {_OPS[op]: {fact: value}}


def _conjuncts(expr: dict) -> list[dict]:
    return expr["$and"] if list(expr) == ["$and"] else [expr]


def fnv1a_32(text: str) -> int:
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def check_attribute_hashes(names: list[str]) -> None:
    """durable_rules identifies attributes by a 32-bit FNV-1a hash alone; a collision would merge facts."""
    seen: dict[int, str] = {}
    for name in [*RESERVED, *names]:
        h = fnv1a_32(name)
        if h in seen and seen[h] != name:
            raise EngineError(f"fact names '{seen[h]}' and '{name}' collide in durable_rules' attribute hash; rename one")
        seen[h] = name
