"""Start-up of `mtus check examples/seed-000.yaml` with and without the rules and templates cache.

    python benchmarks/startup.py [--repeats 21]

Runs, interleaved so that the machine's load falls on each alike (median wall and CPU time of the
process, from process start):
  warm   the cache holds this rule set and the templates (the usual run);
  cold   an empty cache folder (the first run after a rule file or mtus-checker changes);
  off    MTUS_CACHE_DIR=off (what every run would cost without a cache);
and the same three with --format json, which renders no template.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.run import EXAMPLE, child_env, ms, mtus_command, run_once  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=21, help="runs of each kind (default 21)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mtus-startup-") as work:
        warm, cold = Path(work) / "warm", Path(work) / "cold"
        kinds = {"warm": child_env(warm), "cold": child_env(cold), "off": child_env("off")}
        print(f"`mtus check {EXAMPLE.name}` from process start, median of {args.repeats} interleaved runs (wall / CPU)")
        for extra in ([], ["--format", "json"]):
            command = [*mtus_command(), "check", str(EXAMPLE), *extra]
            run_once(command, kinds["warm"])  # fills the warm cache (and Python's bytecode)
            times: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
            for _ in range(args.repeats):
                for kind, env in kinds.items():
                    if kind == "cold":
                        shutil.rmtree(cold, ignore_errors=True)
                    result = run_once(command, env)
                    if result.returncode != 0:
                        sys.exit(f"{kind}: exit code {result.returncode}")
                    times[kind].append((result.wall, result.cpu))
            label = " ".join(extra) or "--format text"
            figures = {kind: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)) for kind, runs in times.items()}
            print(f"  {label:14s}" + "".join(f"   {kind} {ms(wall):>7} / {ms(cpu):>7}" for kind, (wall, cpu) in figures.items()))
            saved = figures["off"][1] - figures["warm"][1]
            print(f"  {'':14s}   the cache saves {ms(saved)} of CPU a run ({saved / figures['off'][1]:.0%} of the run without it)")


if __name__ == "__main__":
    main()
