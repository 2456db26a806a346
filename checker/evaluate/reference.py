"""A plain-Python evaluator of the same compiled probes: the yardstick for durable_rules."""

from __future__ import annotations

from checker.load.compiler import Program
from checker.load.conditions import evaluate


class ReferenceEvaluator:
    engine_name = "reference"

    def __init__(self, program: Program) -> None:
        self.program = program
        self._by_edition: dict[str, list] = {}
        for probe in program.probes:
            self._by_edition.setdefault(probe.edition_key, []).append(probe)

    def evaluate(self, items: list[tuple[str, dict]]) -> set[tuple[int, int]]:
        hits = set()
        for index, (key, values) in enumerate(items):
            for probe in self._by_edition.get(key, ()):
                if evaluate(probe.condition, values) is True:
                    hits.add((probe.index, index))
        return hits
