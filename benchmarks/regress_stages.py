"""Where `mtus regress` spends its CPU per item: the stages of checking each case file of a corpus,
timed in one process (CPU, `time.process_time`), pass after pass: the first pass learns (request
lines, topic rankings, patterns compiled on first use), later ones read what it learnt.

    python benchmarks/regress_stages.py CORPUS [--passes 3]

Run it with PYTHONPATH=TREE to time another source tree of mtus-checker on the same corpus.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

from checker.api import Checker
from checker.base.errors import EngineError
from checker.load import case as case_module
from checker.measure import regress

STAGES = ("read the YAML", "build the case", "evaluate and decide", "compare", "result JSON")


def one_pass(checker: Checker, files: list[str]) -> dict[str, float]:
    """CPU seconds per stage over every file (the steps of regress.check_file, in its order)."""
    spent = dict.fromkeys(STAGES, 0.0)
    for name in files:
        path = Path(name)
        started = time.process_time()
        text, raw = case_module._read_case_yaml(path)
        case_module._refuse_hash_comments(text, name)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        read = time.process_time()
        case = case_module.case_from_mapping(raw, checker.ruleset, name, digest)
        built = time.process_time()
        if not case.expected:
            continue
        try:
            decided = checker.decide_case(case, details=False, ordered=False)
        except EngineError:  # an error result of that file, as regress.check_file makes it
            continue
        evaluated = time.process_time()
        results = []
        for item in decided:
            if item.request.id in case.expected:
                cited = regress.actual_citations(checker.ruleset, tuple(r.criterion.citation for r in item.decisive if r.criterion.citation))
                topic = item.deciding_topic.topic if item.deciding_topic else None
                results.append(regress._compare(case, item.request.id, item.request.text, item.decision, topic, cited))
        compared = time.process_time()
        for result in results:
            regress.result_json(result)
        written = time.process_time()
        for stage, (start, end) in zip(STAGES, ((started, read), (read, built), (built, evaluated), (evaluated, compared), (compared, written)), strict=True):
            spent[stage] += end - start
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    checker = Checker(registration="by_edition")  # as `mtus regress` registers the rules
    regress.remember_items(checker.evaluator)  # as check_file does
    files = regress.collect_case_files([args.corpus])
    for number in range(1, args.passes + 1):
        with regress.collector_for_a_run():  # as a run collects
            spent = one_pass(checker, files)
        stages = ", ".join(f"{stage} {seconds * 1000:.0f}" for stage, seconds in spent.items())
        print(f"pass {number}: {stages}; all {sum(spent.values()) * 1000:.0f} ms CPU ({len(files)} case files)")


if __name__ == "__main__":
    main()
