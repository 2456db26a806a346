"""The durable_rules evaluator, wrapped so that none of the engine's known traps can bite.

Traps handled here (durable_rules 2.0.28; ../shared/reference/durable-rules-notes.md):
- segfault when deleting a session where no action ran -> a guard rule and guard fact per session;
- a pattern of only `$nex` tests matching the state fact and looping -> every pattern carries
  {"t": "item"} (compiler.durable_definition);
- the stock Host's timer threads running actions behind our back -> SyncHost, no timers;
- errors inside actions swallowed into the state -> checked after every case and raised;
- the 1,024 live-session cap -> one constant sid, deleted in `finally` after every case;
- null vs missing -> None values are dropped before asserting (missing = not documented);
- strings compared with numbers as text -> facts are type-checked against the vocabulary on load;
- `post` events consumed by the first rule -> facts are asserted, never posted;
- "not handled" batches running no action -> the low-level assert_facts call, actions run whatever
  the return code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import durable_rules_engine
from durable import engine as durable_engine

from checker.compiler import GUARD_TAG, ITEM_TAG, Program, durable_definition
from checker.errors import EngineError

SESSION_ID = "case"


class SyncHost(durable_engine.Host):
    """A Host without the background dispatch threads: actions run only when we ask."""

    def _run(self) -> None:
        return None


class DurableEvaluator:
    """Evaluates the compiled probes for the items of one case at a time."""

    engine_name = "durable_rules"

    def __init__(self, program: Program) -> None:
        self.program = program
        self._hits: list[tuple[int, int]] = []
        actions = [self._recorder(p.index) for p in program.probes] + [self._recorder(-1)]
        self._host = SyncHost()
        self._host.register_rulesets({program.name: durable_definition(program, actions)})
        self._ruleset = self._host.get_ruleset(program.name)

    def _recorder(self, probe_index: int) -> Callable[[Any], None]:
        hits = self._hits

        def act(c: Any) -> None:  # exactly one parameter: two would make durable treat it as async
            hits.append((probe_index, int(c.m["item_index"])))

        return act

    def evaluate(self, items: list[tuple[str, dict]]) -> set[tuple[int, int]]:
        """items: (edition_key, facts) per requested item -> {(probe index, item index)} that fired."""
        facts = [_item_fact(i, key, values) for i, (key, values) in enumerate(items)]
        facts.append({"t": GUARD_TAG, "sid": SESSION_ID, "id": "guard", "item_index": -1})
        self._hits.clear()
        outcome: dict[str, Any] = {}
        try:
            _, state_offset = durable_rules_engine.assert_facts(self._ruleset._handle, json.dumps(facts))
            self._ruleset.do_actions(state_offset, lambda error, state: outcome.update(error=error, state=state))
        finally:
            self._ruleset.delete_state(SESSION_ID)
        _raise_engine_failures(outcome, self._hits)
        return {(p, i) for p, i in self._hits if p >= 0}


def _item_fact(index: int, edition_key: str, values: dict) -> dict:
    fact = {k: v for k, v in values.items() if v is not None and v != []}
    fact.update({"t": ITEM_TAG, "sid": SESSION_ID, "id": f"item{index}", "item_index": index, "edition_key": edition_key})
    return fact


def _raise_engine_failures(outcome: dict, hits: list[tuple[int, int]]) -> None:
    if outcome.get("error"):
        raise EngineError(f"durable_rules failed: {outcome['error']}")
    state = outcome.get("state") or {}
    if "exception" in state:
        raise EngineError(f"a rule action failed inside durable_rules: {str(state['exception'])[:300]}")
    if not any(p == -1 for p, _ in hits):
        raise EngineError("durable_rules did not run the guard action; results cannot be trusted")
