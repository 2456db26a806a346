"""The steps of one `mtus check`, timed in fresh processes (CPU, ms, medians), for this tree and
optionally another, alternated run by run.

    python benchmarks/check_steps.py [--runs N] [--against TREE] [CASE]

Each run is a new interpreter that imports the libraries (yaml, click, jinja2, durable_rules_engine),
then times: importing the command line, importing what a check imports, loading the rules (the
cache), reading the case, deciding it, making the report, rendering it as text, and rendering it a
second time (what is left of rendering once the templates are loaded). The cycle collector is off
after the libraries' import, as a check runs. The first run of each tree warms its rules cache and is
not counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("libraries", "command line", "modules", "rules", "case", "decide", "report", "render", "render again")

_CHILD = r"""
import sys, time
from pathlib import Path
clock = time.process_time_ns
marks = [clock()]
import yaml, click, jinja2, durable_rules_engine
marks.append(clock())
import gc
gc.disable()
import checker.cli
marks.append(clock())
from checker.api import Checker
from checker.render.render import render
from checker.report.report import case_report
marks.append(clock())
checker = Checker(None, "durable", registration="on_demand")
marks.append(clock())
case = checker.load(Path(sys.argv[1]))
marks.append(clock())
items = checker.decide_case(case)
marks.append(clock())
report = case_report(checker.ruleset, case, items, case.request_date, checker.evaluator.engine_name)
marks.append(clock())
render("check", "text", {"report": report})
marks.append(clock())
render("check", "text", {"report": report})
marks.append(clock())
print(" ".join(str(b - a) for a, b in zip(marks, marks[1:])))
"""


def _run(tree: Path, case: str) -> list[float]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    # -P: the current folder (this tree) is not put first on sys.path, so PYTHONPATH chooses the tree
    out = subprocess.run([sys.executable, "-P", "-c", _CHILD, case], capture_output=True, text=True, env=env, cwd=ROOT, check=True).stdout
    return [int(part) / 1e6 for part in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", nargs="?", default="examples/seed-000.yaml")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--against", type=Path, help="another source tree of mtus-checker, run alternately")
    args = parser.parse_args()
    trees = [ROOT] + ([args.against.resolve()] if args.against else [])
    for tree in trees:
        _run(tree, args.case)  # warms the tree's rules cache
    timings: dict[Path, list[list[float]]] = {tree: [] for tree in trees}
    for run in range(args.runs):
        for tree in trees if run % 2 == 0 else trees[::-1]:
            timings[tree].append(_run(tree, args.case))
    with open("/proc/loadavg", encoding="ascii") as load:
        print(f"CPU medians of {args.runs} fresh processes, ms (load average {load.read().split()[0]})")
    print(f"{'step':14s}" + "".join(f"{str(tree):>28s}" for tree in trees))
    for index, step in enumerate(STEPS):
        print(f"{step:14s}" + "".join(f"{statistics.median(r[index] for r in timings[tree]):28.2f}" for tree in trees))


if __name__ == "__main__":
    main()
