"""What loading the rules from the cache costs a check, step by step: each run a new interpreter that imports
what a check imports, then times (CPU, ms) the code's fingerprint, reading and hashing the rule files, the
entry's name, reading the entry with its HMAC, and unpickling it; medians over the runs. The first run warms
the cache and is not counted.

    python benchmarks/cache_parts.py [--runs 11]

Run it with PYTHONPATH=TREE (and MTUS_CACHE_DIR) to time another source tree of mtus-checker.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

STEPS = ("fingerprint", "rule files", "entry name", "entry read and HMAC", "unpickle")

_CHILD = r"""
import pickle, time
import checker.api
from checker.load import cache
from checker.load.ruleset import cues_dir, default_rules_dir
clock = time.process_time_ns
folders = (default_rules_dir(), cues_dir())
marks = [clock()]
cache.environment_fingerprint()
marks.append(clock())
with cache._opened_store() as store:
    digests = cache._snapshot_or_none(folders, cache.snapshot_digests)
    marks.append(clock())
    name = cache.entry_name_of_digests(folders, digests)
    marks.append(clock())
    payload = store.read(name)
    marks.append(clock())
    if payload is None:
        raise SystemExit("no cache entry: run a check first")
    pickle.loads(payload)
    marks.append(clock())
print(" ".join(str((b - a) / 1e6) for a, b in zip(marks, marks[1:])))
"""


def one_run() -> list[float]:
    done = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True)
    return [float(value) for value in done.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-c", "from checker.api import Checker; Checker(registration='on_demand')"], check=True)
    runs = [one_run() for _ in range(args.runs)]
    medians = [statistics.median(run[i] for run in runs) for i in range(len(STEPS))]
    print(", ".join(f"{step} {ms:.2f}" for step, ms in zip(STEPS, medians, strict=True)) + f"; all {sum(medians):.2f} ms CPU (medians of {args.runs} runs)")


if __name__ == "__main__":
    main()
