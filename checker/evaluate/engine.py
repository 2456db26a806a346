"""The durable_rules evaluator, wrapped so that none of the engine's known traps can bite.

Traps handled here (durable_rules 2.0.28; ../shared/reference/durable-rules-notes.md):
- segfault when deleting a session where no action ran -> a guard rule and guard fact per session;
- a pattern of only `$nex` tests matching the state fact and looping -> every pattern carries
  {"t": "item"} (compiler.durable_definition);
- the stock Host's timer threads running actions behind our back, and errors inside actions
  swallowed into the state -> no Host and no Python actions at all: the rule set is created with the
  C API and this module takes the engine's pending actions one by one, recording (rule, item) and
  completing each; an error here is raised like any other;
- the 1,024 live-session cap -> one constant sid, deleted after a run of cases and after any error;
- null vs missing -> None values are dropped before asserting (missing = not documented);
- strings compared with numbers as text -> facts are type-checked against the vocabulary on load;
- `post` events consumed by the first rule -> facts are asserted, never posted;
- "not handled" batches running no action -> the low-level assert_facts call, actions taken whatever
  the return code.

Taking the actions here rather than through durable's Closure/Promise machinery saves most of the
Python work per fired rule; the engine matches exactly as before (tests/test_differential.py).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

import durable_rules_engine

from checker.base.errors import EngineError
from checker.base.patterns import LazyPattern
from checker.load.compiler import GUARD_RULE, GUARD_TAG, ITEM_TAG, Program, definition_json, probe_index
from checker.load.conditions import tests

SESSION_ID = "case"
REGISTRATIONS = ("all", "on_demand", "by_edition")
# Creating a session costs the engine about 0.5 ms (its tables), asserting into a live one about
# 20 us: cases share a session, each asserting facts under ids no other case of it uses (rules
# match one fact each, so a case's facts fire only its own rules), and the session is deleted
# after this many cases so it does not grow.
CASES_PER_SESSION = 64
# The same for the session of one edition's rule set (registration "by_edition"): its tables are small and
# made again in microseconds, while sessions kept for several cases each grew a run's memory (peak RSS of
# `mtus regress` over 10,000 items: 65 MB with a session per case, 102 MB with 8 cases, 80 MB before).
CASES_PER_EDITION_SESSION = 1
# What the items asserted fired, remembered by their edition and tested facts (DurableEvaluator.evaluate):
# every rule matches one item's fact, so the rules an item fires depend on that fact alone, and a
# corpus repeats items (about half of a synthetic one's). At most this many, forgotten all at once.
MAX_REMEMBERED_ITEMS = 4096
# Whether each rule fired, remembered by the rule and the facts it tests (DurableEvaluator.rule_keys):
# a rule matches one item's fact by the facts it names, so an item none of whose rules meets facts
# unlike those it met before is answered rule by rule. At most this many, forgotten all at once.
MAX_REMEMBERED_RULES = 65536
# A number is remembered by its place among the numbers its edition's rules compare it with (memo_key)
# only below this magnitude, where the engine's doubles hold every integer exactly (2**53).
EXACT_NUMBERS = float(2**53)
_NUMBER_TYPES = (int, float)


class DurableEvaluator:
    """Evaluates the compiled probes for the items of one case at a time.

    registration "all" registers every engine rule up front (many cases). "on_demand"
    registers only the rule editions the first case needs (a single check: start-up grows with the
    editions one case uses, not with the size of the rule set), and the whole program as soon as a
    later case needs another edition. "by_edition" (a regression run) gives each edition an engine
    rule set of its own, registered when an item of it is first asserted: every rule matches one
    edition's items, so the same rules fire (tests/test_speed.py), and the engine matches a fact and
    takes each action among that edition's rules alone, not among every rule of the program.

    remember_items: the rules each item fired are remembered by its edition and the facts asserted,
    and an item asserted again with the same ones is answered from memory (see evaluate). Off by
    default, so that every item reaches the engine (the engine's own tests); a regression run sets it.
    """

    engine_name = "durable_rules"

    def __init__(self, program: Program, registration: str = "all", remember_items: bool = False) -> None:
        if registration not in REGISTRATIONS:
            raise ValueError(f"registration must be one of {REGISTRATIONS}")
        self.program = program
        self._handle: int | None = None
        self._editions: frozenset[str] | None = None  # None: every edition is registered
        self._cases_in_session = 0  # 0: no live session
        self._tested: dict[str, frozenset[str]] = {}  # per edition asked for, the facts its rules test
        self._tested_names: dict[str, tuple[str, ...]] = {}  # the same in order of their names (tested_names)
        self._compared: dict[str, dict[str, tuple[float, ...]]] = {}  # per edition asked for, compared_numbers (memo_key)
        # remember_items: what each item fired, by (edition_key, tested facts' JSON); a regression run
        # sets it (checker.measure.regress), a check asks once for each item and leaves it off
        self.remember_items = remember_items
        self._remembered: dict[tuple, tuple[int, ...]] = {}
        # remember_items: whether each rule fired, by (rule, its tested facts' keys) (rule_keys); and per
        # edition its rules with the places in memo_key of the facts each tests
        self._rule_answers: dict[tuple, bool] = {}
        self._rules_of: dict[str, tuple[tuple[int, tuple[int, ...]], ...]] = {}
        # by_edition: per edition registered, its rule set's handle and the cases in its live session
        self._edition_engines: dict[str, tuple[int, int]] | None = {} if registration == "by_edition" else None
        if registration == "all":
            self._register(None)

    @property
    def registered_editions(self) -> frozenset[str] | None:
        """The editions whose rules are in the engine; None when all are."""
        if self._edition_engines is not None:
            return frozenset(self._edition_engines)
        return self._editions

    def evaluate(self, items: list[tuple[str, dict]], only_tested: bool = True) -> set[tuple[int, int]]:
        """items: (edition_key, facts) per requested item -> {(probe index, item index)} that fired.
        An item is asserted with only the facts its edition's rules test (`only_tested`): every rule
        matches one edition's items, and a fact no test names matches nothing, so the same rules
        fire (tests/test_speed.py) for less JSON to write and for the engine to read and keep.
        With `remember_items` (and only_tested), an item asserted before with the same edition and
        tested facts that every rule tests alike (memo_key) fires the rules it fired then, without the
        engine (the plain answer: tests/test_speed.py)."""
        if self._edition_engines is None:
            self._ensure_registered({key for key, _ in items})
        if not (only_tested and self.remember_items):
            return self._fire(list(enumerate(items)), only_tested)
        hits, asked, keys = self._recalled(items)
        if asked:
            fired = self._fire(asked, False)
            hits |= fired
            self._remember(keys, fired)
        return hits

    def _recalled(self, items: list[tuple[str, dict]]) -> tuple[set[tuple[int, int]], list[tuple[int, tuple[str, dict]]], dict[int, tuple]]:
        """What the remembered items fired, whole or rule by rule (answered_by_rules); the others (item
        index, (edition_key, tested facts)) to assert, and each one's keys in memory (by item index:
        its memo_key and its rule_keys)."""
        hits: set[tuple[int, int]] = set()
        asked: list[tuple[int, tuple[str, dict]]] = []
        keys: dict[int, tuple] = {}
        for index, (key, values) in enumerate(items):
            memo_key = self.memo_key(key, values)
            rules = self._remembered.get(memo_key)
            if rules is None:
                rule_keys = self.rule_keys(memo_key)
                rules = self.answered_by_rules(rule_keys)
                if rules is None:
                    asked.append((index, (key, _documented(values, self.tested_facts(key)))))
                    keys[index] = (memo_key, rule_keys)
                    continue
                self._keep({memo_key: rules})
            hits.update((rule, index) for rule in rules)
        return hits, asked, keys

    def rule_keys(self, memo_key: tuple) -> tuple[tuple[int, tuple], ...]:
        """Each rule of an item's edition (its probe index) with the keys of the facts it tests, taken
        from the item's memo_key: two items alike in a rule's key meet its tests alike."""
        edition_key, keys = memo_key
        rules = self._rules_of.get(edition_key)
        if rules is None:
            place = {name: at for at, name in enumerate(self.tested_names(edition_key))}
            rules = self._rules_of[edition_key] = tuple(
                (probe.index, tuple(sorted({place[name] for _, name, _, _ in tests(probe.condition)})))
                for probe in self.program.edition_probes(edition_key)
            )
        return tuple((rule, tuple([keys[at] for at in tested])) for rule, tested in rules)

    def answered_by_rules(self, rule_keys: tuple[tuple[int, tuple], ...]) -> tuple[int, ...] | None:
        """The rules an item fires, from what each rule of its edition answered for an earlier item with
        the same keys of the facts it tests; None when one of its rules has not met such facts yet."""
        answers = self._rule_answers
        fired = []
        for rule_key in rule_keys:
            answer = answers.get(rule_key)
            if answer is None:
                return None
            if answer:
                fired.append(rule_key[0])
        return tuple(fired)

    def memo_key(self, edition_key: str, values: dict) -> tuple:
        """What an item's answer is remembered by: its edition, and the key of each fact its rules test,
        in order of their names (whatever order the item holds them in): None when not documented
        (_documented), a number that its edition's rules compare only with numbers by its type and its
        place among them (compared_numbers), any other value by its type and itself (a list by its JSON).
        Every test is of one fact against constants, so two items whose facts sit alike against every
        constant fire the same rules: 41.9 and 38.5 months of conservative care, both at least the 6 a
        rule asks for, are asked of the engine once (the engine's answer for each: tests/test_speed.py)."""
        compared = self._compared.get(edition_key)
        if compared is None:
            compared = self._compared[edition_key] = compared_numbers(self.program.edition_probes(edition_key))
        names = self.tested_names(edition_key)
        keys: list[Any] = []
        for name in names:
            value = values.get(name)
            if value is None or value == []:
                keys.append(None)
                continue
            kind = value.__class__
            constants = compared.get(name)
            if constants is not None and kind in _NUMBER_TYPES and -EXACT_NUMBERS < value < EXACT_NUMBERS:
                at = bisect_left(constants, value)
                keys.append((kind, at, at < len(constants) and constants[at] == value))
            elif kind in _PLAIN_TYPES:
                keys.append((kind, value))
            else:
                keys.append((kind, json.dumps(value)))
        return edition_key, tuple(keys)

    def _remember(self, keys: dict[int, tuple], fired: set[tuple[int, int]]) -> None:
        """What each asked item fired, by its memo_key, and whether each rule of its edition fired, by
        the rule's key (keys: by item index, (memo_key, rule_keys))."""
        rules: dict[int, list[int]] = {index: [] for index in keys}
        for rule, index in fired:
            rules[index].append(rule)
        self._keep({memo_key: tuple(rules[index]) for index, (memo_key, _) in keys.items()})
        answers = self._rule_answers
        if len(answers) + sum(len(rule_keys) for _, rule_keys in keys.values()) > MAX_REMEMBERED_RULES:
            answers.clear()
        for index, (_, rule_keys) in keys.items():
            fired_here = rules[index]
            for rule_key in rule_keys:
                answers[rule_key] = rule_key[0] in fired_here

    def _keep(self, answers: dict[tuple, tuple[int, ...]]) -> None:
        """Items' answers kept by their memo_key, the memory emptied first when it would hold too many."""
        if len(self._remembered) + len(answers) > MAX_REMEMBERED_ITEMS:
            self._remembered.clear()
        self._remembered.update(answers)

    def _fire(self, items: list[tuple[int, tuple[str, dict]]], only_tested: bool) -> set[tuple[int, int]]:
        """Assert the items (item index, (edition_key, facts)) as one case of the session and take the
        actions: {(probe index, item index)} that fired. By edition: each edition's items as one case of
        its own rule set's session."""
        if self._edition_engines is None:
            return self._fire_in_session(items, only_tested)
        groups: dict[str, list[tuple[int, tuple[str, dict]]]] = {}
        for entry in items:
            groups.setdefault(entry[1][0], []).append(entry)
        hits: set[tuple[int, int]] = set()
        for edition_key, group in groups.items():
            hits |= self._fire_in_edition(edition_key, group, only_tested)
        return hits

    def _fire_in_edition(self, edition_key: str, items: list[tuple[int, tuple[str, dict]]], only_tested: bool) -> set[tuple[int, int]]:
        """_fire_in_session on the edition's own rule set (registered now when it is not yet) and session."""
        engines = self._edition_engines
        assert engines is not None  # noqa: S101 - by_edition only
        found = engines.get(edition_key)
        if found is None:
            definition = definition_json(self.program.edition_probes(edition_key))
            found = (durable_rules_engine.create_ruleset(f"{self.program.name}:{edition_key}", definition), 0)
        self._handle, self._cases_in_session = found
        try:
            return self._fire_in_session(items, only_tested, CASES_PER_EDITION_SESSION)
        finally:
            engines[edition_key] = (self._handle, self._cases_in_session)
            self._handle, self._cases_in_session = None, 0

    def _fire_in_session(self, items: list[tuple[int, tuple[str, dict]]], only_tested: bool, per_session: int = CASES_PER_SESSION) -> set[tuple[int, int]]:
        """Assert the items as one case of the live session (of self._handle), deleted after `per_session`
        cases, and take the actions."""
        case = self._cases_in_session
        facts = [_item_fact(i, key, values, case, self.tested_facts(key) if only_tested else None) for i, (key, values) in items]
        facts.append({"t": GUARD_TAG, "sid": SESSION_ID, "id": f"guard{case}", "item_index": -1})
        self._cases_in_session += 1
        try:
            _, state_offset = durable_rules_engine.assert_facts(self._handle, engine_json(facts))
            hits, guarded = self._take_actions(state_offset)
        except BaseException:
            self._end_session()
            raise
        if self._cases_in_session >= per_session:
            self._end_session()
        if not guarded:
            raise EngineError("durable_rules did not run the guard action; results cannot be trusted")
        return hits

    def tested_facts(self, edition_key: str) -> frozenset[str]:
        """The facts the rules of one edition test (empty for an edition without rules). Worked out
        per edition when first asked: a check asks for two or three editions of some 150, and walking
        every rule's conditions was about 1.5 ms of its run (plain_tested_facts: tests/test_speed.py)."""
        named = self._tested.get(edition_key)
        if named is None:
            probes = self.program.edition_probes(edition_key)
            named = self._tested[edition_key] = frozenset(name for probe in probes for _, name, _, _ in tests(probe.condition))
        return named

    def tested_names(self, edition_key: str) -> tuple[str, ...]:
        """tested_facts in the order of their names (memo_key's), worked out once per edition: the facts
        an item of the edition is given with (checker.evaluate.evaluate.evaluated_values), in one order
        whatever the hash seed."""
        names = self._tested_names.get(edition_key)
        if names is None:
            names = self._tested_names[edition_key] = tuple(sorted(self.tested_facts(edition_key)))
        return names

    def _end_session(self) -> None:
        if self._cases_in_session:
            self._cases_in_session = 0
            durable_rules_engine.delete_state(self._handle, SESSION_ID)

    def close(self) -> None:
        """Free the engine's rule sets (each one holds its own session tables, about 2 MB)."""
        engines = self._edition_engines or {}
        while engines:
            self._handle, self._cases_in_session = engines.popitem()[1]
            self._end_session()
            durable_rules_engine.delete_ruleset(self._handle)
            self._handle = None
        if self._handle is not None:
            self._end_session()
            durable_rules_engine.delete_ruleset(self._handle)
            self._handle = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: S110 - interpreter shutdown: the engine module may be gone
            pass

    def _take_actions(self, state_offset: int) -> tuple[set[tuple[int, int]], bool]:
        """Record and complete every pending action of the session, in the engine's order."""
        hits: set[tuple[int, int]] = set()
        guarded = False
        started = durable_rules_engine.start_action_for_state(self._handle, state_offset)
        if not started:
            return hits, guarded
        state, message = started
        while message:
            rule, item_index = fired(message)
            if rule == GUARD_RULE:
                guarded = True
            else:
                hits.add((probe_index(rule), item_index))
            # The state is unchanged; writing it back keeps the engine's bookkeeping as its own Host does.
            durable_rules_engine.update_state(self._handle, state)
            message = durable_rules_engine.complete_and_start_action(self._handle, state_offset)
        return hits, guarded

    def _ensure_registered(self, needed: set[str]) -> None:
        if self._handle is not None and (self._editions is None or needed <= self._editions):
            return
        self._register(None if self._handle is not None else frozenset(needed))

    def _register(self, editions: frozenset[str] | None) -> None:
        if editions is None:
            name, definition = self.program.name, self.program.engine_json or definition_json(self.program.probes)
        else:
            name = f"{self.program.name}:{_editions_digest(editions)}"
            definition = definition_json(sorted((p for key in editions for p in self.program.edition_probes(key)), key=lambda p: p.index))
        if self._handle is not None:
            self._end_session()
        previous = self._handle
        self._handle = durable_rules_engine.create_ruleset(name, definition)
        self._editions = editions
        if previous is not None:
            durable_rules_engine.delete_ruleset(previous)


# An action message is {"RULE":{"m":{FACT}}}, the fact as asserted. Its "item_index" key can be found
# in the text: in JSON a quote inside a string is escaped, so '"item_index":' occurs only as a key,
# and an item fact has that key once, at its top level (it holds no mappings).
_ACTION_START = LazyPattern(r'\{"(r\d+|' + GUARD_RULE + r')":\{"m":\{')
_ITEM_INDEX = LazyPattern(r'"item_index":\s*(-?\d+)\s*[,}]')


def fired(message: str) -> tuple[str, int]:
    """The rule and the item index of an action message, read without decoding the whole fact (its
    values are most of the message, and decoding them was most of taking an action); decoded as JSON
    when the message is not in the usual form (plain_fired: tests/test_speed.py)."""
    start, index = _ACTION_START.match(message), _ITEM_INDEX.search(message)
    if start is None or index is None:
        return plain_fired(message)
    return start.group(1), int(index.group(1))


def plain_fired(message: str) -> tuple[str, int]:
    """fired, by decoding the message."""
    (rule, matched), = json.loads(message).items()
    return rule, int(matched["m"]["item_index"])


def plain_tested_facts(program: Program) -> dict[str, frozenset[str]]:
    """Per edition with rules, the facts they test, from every rule at once (what tested_facts gives)."""
    named: dict[str, set[str]] = {}
    for probe in program.probes:
        named.setdefault(probe.edition_key, set()).update(name for _, name, _, _ in tests(probe.condition))
    return {key: frozenset(names) for key, names in named.items()}


def _editions_digest(editions: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(editions)).encode()).hexdigest()[:12]


def compared_numbers(probes: Iterable[Any]) -> dict[str, tuple[float, ...]]:
    """Per fact the probes' tests compare with numbers alone (no string, bool or other constant), those
    numbers sorted (none for a fact only tested to exist): what an item's number is placed among (memo_key)."""
    constants: dict[str, list[Any]] = {}
    for probe in probes:
        for _, name, op, value in tests(probe.condition):
            constants.setdefault(name, []).extend(() if op == "exists" else value if op in ("in", "not_in") else (value,))
    return {
        name: tuple(sorted(set(numbers))) for name, numbers in constants.items()
        if all(type(n) in _NUMBER_TYPES and -EXACT_NUMBERS < n < EXACT_NUMBERS for n in numbers)
    }


# Values memo_key keys by their type and themselves (hashable, and equal only when the engine reads them alike).
_PLAIN_TYPES = frozenset((str, bool, int, float))


def _documented(values: dict, tested: frozenset[str] | None) -> dict:
    """The facts with a value (not None, not an empty list), of those `tested` when given: what an item
    is asserted with (memo_key keys the others as None)."""
    return {k: v for k, v in values.items() if v is not None and v != [] and (tested is None or k in tested)}


def _item_fact(index: int, edition_key: str, values: dict, case: int, tested: frozenset[str] | None = None) -> dict:
    """The item as the engine is given it: its documented facts (those `tested`, when given) and the
    attributes that place it in its case and session."""
    fact = _documented(values, tested)
    fact.update({"t": ITEM_TAG, "sid": SESSION_ID, "id": f"item{case}.{index}", "item_index": index, "edition_key": edition_key})
    return fact


# durable_rules reads no number in exponent notation (json.dumps writes 1e-09 and 1e+20 so): such a number
# in a case file or a request line made its C engine crash. Positional digits are the same number.
_EXPONENT = re.compile(r"\d[eE][+-]?\d")


def engine_json(value: Any) -> str:
    """`value` as JSON for durable_rules: json.dumps, its floats written in positional digits where
    json.dumps would use an exponent ("0.000000001", "100000000000000000000")."""
    text = json.dumps(value)
    return _positional_json(value) if _EXPONENT.search(text) else text


def _positional_json(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value):
        from decimal import Decimal  # here: only a number json.dumps writes with an exponent needs it (about 1 ms of a check's start)

        return format(Decimal(repr(value)), "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_positional_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_positional_json(v) for v in value) + "]"
    return json.dumps(value)
