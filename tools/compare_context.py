"""Measure medspaCy's ConText against checker/text/context.py on the gold letters, with the same cues.

Both engines get the same cue file (checker/cues/context.yaml, converted to medspaCy ConTextRules),
the same sentences and the same extractor; only the matching and scoping of the cues differs. The
script prints precision and recall against tests/gold/, the time per letter and the import time.

Run it in a throwaway environment (medspaCy is not a dependency of mtus-checker):

    python3.11 -m venv /tmp/venv-medspacy
    /tmp/venv-medspacy/bin/pip install medspacy==1.3.1
    PYTHONPATH=. /tmp/venv-medspacy/bin/python tools/compare_context.py

It needs the letters in ../shared. Timings are wall-clock on whatever machine runs it.
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from checker.extract import Extractor
from checker.text.context import TERMINATORS, ContextRules, Modifier, load_context_rules

REPO = Path(__file__).resolve().parents[1]
_DIRECTIONS = {"forward": "FORWARD", "backward": "BACKWARD", "bidirectional": "BIDIRECTIONAL", "sentence": "BIDIRECTIONAL",
               "pseudo": "PSEUDO", "terminate": "TERMINATE", "terminate_backward": "TERMINATE"}  # medspaCy has no backward-only terminator


def _gold_module():
    spec = importlib.util.spec_from_file_location("gold_scoring", REPO / "tests" / "test_extract.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class MedspacyContext:
    """checker.text.context.ContextRules' interface, answered by medspaCy's ConText with the same cues."""

    def __init__(self, ours: ContextRules) -> None:
        import spacy
        from medspacy.context import ConText, ConTextRule
        from spacy.language import Language

        @Language.component("one_sentence")
        def one_sentence(doc):  # the extractor gives ConText one sentence at a time
            for i, token in enumerate(doc):
                token.is_sent_start = i == 0
            return doc

        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("one_sentence")
        context = self.nlp.add_pipe("medspacy_context", config={"rules": None})
        rules = []
        for i, rule in enumerate(ours.rules):
            category = rule.category.upper() if rule.direction not in ("pseudo", *TERMINATORS) else _DIRECTIONS[rule.direction]
            flags = "" if rule.pattern.flags & 2 else "(?-i:"  # re.IGNORECASE == 2
            pattern = f"{flags}{rule.pattern.pattern}{')' if flags else ''}"
            stopped_by = None if rule.category in ours.across_semicolons else {"SEMICOLON"}
            rules.append(
                ConTextRule(
                    f"{rule.literal}#{i}", category, pattern=pattern, direction=_DIRECTIONS[rule.direction], max_scope=rule.max_scope, terminated_by=stopped_by
                )
            )
        rules.append(ConTextRule(";", "SEMICOLON", direction="FORWARD", max_scope=1))  # ends the scopes ours ends at a ';'

        context.add(rules)
        self._own = ours
        assert isinstance(context, ConText)

    def modifiers(self, sentence: str) -> list[Modifier]:
        doc = self.nlp(sentence)
        found = []
        for mod in doc._.context_graph.modifiers:
            if mod.direction in ("PSEUDO", "TERMINATE") or mod.category == "SEMICOLON":
                continue
            cue = doc[mod.modifier_span[0] : mod.modifier_span[1]]
            scope = doc[mod.scope_span[0] : mod.scope_span[1]]
            rule = next(r for r in self._own.rules if r.category == mod.category.lower())
            found.append(Modifier(rule, cue.start_char, cue.end_char, scope.start_char, scope.end_char))
        return found

    def assess(self, modifiers: list[Modifier], start: int, end: int) -> dict[str, Modifier]:
        return self._own.assess(modifiers, start, end)


def run(gold, extractor: Extractor, path: Path) -> tuple[Counter, list[float]]:
    total: Counter = Counter()
    times = []
    for entry, text in gold.letters(path):
        start, end = gold.summary_bounds(text)
        began = time.perf_counter()
        d = extractor.draft(text[start:end], entry["requests"])
        times.append(time.perf_counter() - began)
        expected, _ = gold.gold_pairs(entry)
        got = gold.draft_pairs(d)
        total["tp"] += len(expected & got)
        total["fp"] += len(got - expected)
        total["fn"] += len(expected - got)
    return total, times


def _time_modifiers(extractor: Extractor) -> list[float]:
    """Wrap the engine's modifiers() to record the time spent in ConText itself."""
    spent: list[float] = []
    engine = extractor.context
    original = engine.modifiers

    def timed(sentence: str) -> list[Modifier]:
        began = time.perf_counter()
        found = original(sentence)
        spent.append(time.perf_counter() - began)
        return found

    object.__setattr__(engine, "modifiers", timed)
    return spent


def import_seconds(statement: str) -> float:
    runs = []
    for _ in range(3):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True, cwd=REPO)
        runs.append(time.perf_counter() - began)
    return min(runs)


def main() -> None:
    gold = _gold_module()
    ours = load_context_rules()
    engines = {"own ConText (checker/text/context.py)": Extractor(gold.RULESET)}
    began = time.perf_counter()
    engines["medspaCy 1.3.1 ConText"] = Extractor(gold.RULESET, context=MedspacyContext(ours))  # type: ignore[arg-type]
    build = time.perf_counter() - began
    for name, extractor in engines.items():
        for path in gold.GOLD_FILES:
            counts, _ = run(gold, extractor, path)
            p, r = gold.ratio(counts["tp"], counts["tp"] + counts["fp"]), gold.ratio(counts["tp"], counts["tp"] + counts["fn"])
            print(f"{name:34} {path.name:22} tp {counts['tp']:4} fp {counts['fp']:3} fn {counts['fn']:3}  precision {p:.3f}  recall {r:.3f}")
    for name, extractor in engines.items():
        spent = _time_modifiers(extractor)
        per_letter = []
        for _ in range(3):
            per_letter += run(gold, extractor, gold.GOLD)[1]
        context_ms = sum(spent) / len(per_letter) * 1000
        print(
            f"{name:34} per letter: median {statistics.median(per_letter) * 1000:.1f} ms, max {max(per_letter) * 1000:.1f} ms "
            f"({len(per_letter)} runs); of which ConText cue matching and scoping: {context_ms:.1f} ms on average"
        )
    print(f"medspaCy pipeline build with these cues: {build:.2f} s")
    print(f"import checker.extract: {import_seconds('import checker.extract'):.2f} s")
    print(f"import medspacy, spacy: {import_seconds('import medspacy, spacy'):.2f} s")


if __name__ == "__main__":
    main()
