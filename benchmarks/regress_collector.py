"""The cycle collector's work during one `mtus regress --jobs 1` in one process: the CPU of its
collections and how many (timed by gc.callbacks), with the collector set for the run
(regress.collector_for_a_run) or, with `plain`, as Python sets it.

    python benchmarks/regress_collector.py CORPUS [--plain]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import time
from pathlib import Path

from checker.api import Checker
from checker.measure import regress


class CollectorClock:
    """CPU seconds spent in the collector's collections, and their count."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started
            self.collections += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--plain", action="store_true", help="the collector as Python sets it")
    args = parser.parse_args()
    if args.plain:
        regress.collector_for_a_run = contextlib.nullcontext
    checker = Checker()
    clock = CollectorClock()
    gc.callbacks.append(clock)
    regress.regress(checker, [args.corpus], jobs=1).close()
    gc.callbacks.remove(clock)
    how = "plain" if args.plain else "set for the run"
    print(f"collector {how}: {clock.seconds * 1000:.1f} ms CPU in {clock.collections} collections during the run")


if __name__ == "__main__":
    main()
