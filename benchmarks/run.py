"""mtus-checker benchmark: one command, the figures of issue 5.

    python benchmarks/run.py            # the full run (10k and 100k items; several minutes)
    python benchmarks/run.py --quick    # a smaller run for CI or a first look (about a minute)

Prints, each measured here and now (medians of repeated runs; wall time and the CPU time of the
measured processes, since on a shared machine wall time mostly measures the neighbours):
  1. cold start of `mtus check` on one case, from process start: caches warm (the usual case),
     cache cold (the first run after the rules change), and on a synthetic rule set of ~30 topics
     and ~1,700 engine rules (the size the rule set is heading for), with and without the cache;
  2. `mtus regress` throughput in items per second on a synthetic corpus of N items (1-6 items a
     case, mixed topics and outcomes) with 1 and 2 worker processes, and byte-identical reports;
  3. the same corpus through the plain-Python reference evaluator (`--engine reference`), so the
     engine's cost is a ratio; and the evaluators alone on the corpus's items;
  4. peak memory (max RSS) of `mtus regress --jobs 1` at two corpus sizes (10k and 100k items);
  5. `mtus import` letters per second over ../shared/seeds and ../shared/imr-corpus/dev, when the
     command exists.
Targets (issue 5, 2-core machine): check <= 150 ms; regress >= 10,000 items/s with 2 workers;
durable within 2x of the reference; no memory growth from 10k to 100k items; import >= 20 letters/s.

Issue 21's targets are ratios between runs of this same benchmark (the machine is shared, so
absolute times move with the neighbours' load; ratios much less):
  - `mtus check` against `python -c "import yaml, click, jinja2, durable_rules_engine"` (interleaved
    runs): at most 1.3x;
  - `mtus regress` CPU (all processes) against a process that only parses the same case files with
    PyYAML's CSafeLoader: at most 2.5x; and `--jobs 2` CPU against `--jobs 1`: at most 1.10x;
  - a small corpus (600 items) with `--jobs 2`: CPU / wall near 2 when both cores work.
`--skip-memory` leaves out parts 4 and 5 (a quicker run for these ratios); `--check-only` prints only
the `mtus check` ratio, and with `--against TREE` the same for another source tree in the same runs;
`--regress-only` prints only the `mtus regress` CPU ratios, with `--against TREE` for both trees in the same
interleaved runs (paired before and after on a shared machine), and with `--corpus DIR` on a folder of
case files of your own (`mtus import ../shared/imr-corpus/dev --out DIR`) instead of a synthetic corpus,
and with `--format text` or `junit` for the report in that format (default JSON).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.corpus import write_corpus  # noqa: E402
from benchmarks.synth_rules import write_synthetic_rules  # noqa: E402
from checker.load.ruleset import default_rules_dir, load_ruleset  # noqa: E402

SHARED = REPO.parent / "shared"
EXAMPLE = REPO / "examples" / "seed-000.yaml"


@dataclass
class Run:
    wall: float
    cpu: float
    max_rss_kb: int
    returncode: int


def mtus_command() -> list[str]:
    script = Path(sys.executable).parent / "mtus"
    return [str(script)] if script.exists() else [sys.executable, "-m", "checker.cli"]


def child_env(cache: Path | str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a normal install runs from compiled bytecode
    if cache is not None:
        env["MTUS_CACHE_DIR"] = str(cache)
    return env


# Linux keeps the memory high-water mark of a process across exec, so a command started straight
# from this (large) process would report this process's size; a small Python in between measures it.
_PEAK_RSS = (
    "import os, subprocess, sys\n"
    "process = subprocess.Popen(sys.argv[2:], stdout=open(sys.argv[1], 'wb') if sys.argv[1] != '-' else subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(process.pid, 0)\n"
    "print(usage.ru_maxrss)\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def peak_rss_kb(command: list[str], env: dict[str, str], stdout_path: Path) -> int:
    """Max RSS of `command` (and the children it waits for), in KB."""
    done = subprocess.run([sys.executable, "-c", _PEAK_RSS, str(stdout_path), *command], capture_output=True, text=True, env=env, cwd=REPO)
    return int(done.stdout.strip())


def run_once(command: list[str], env: dict[str, str], stdout_path: Path | None = None) -> Run:
    """Run a command; wall time, CPU time (user + system) of it and its waited children, and max RSS
    (this process's size at the start included: see peak_rss_kb)."""
    out = stdout_path.open("wb") if stdout_path else subprocess.DEVNULL
    try:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=REPO)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    finally:
        if stdout_path:
            out.close()
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status))


def median_runs(command: list[str], env: dict[str, str], repeats: int, before_each=None) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeats):
        if before_each:
            before_each()
        result = run_once(command, env)
        walls.append(result.wall)
        cpus.append(result.cpu)
    return statistics.median(walls), statistics.median(cpus)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def cold_start(work: Path, big_rules: Path, repeats: int) -> None:
    print(f"\n1. cold start, `mtus check {EXAMPLE.relative_to(REPO)}` from process start (median of {repeats}; wall / CPU)")
    mtus = mtus_command()
    cache = work / "cache"
    warm = child_env(cache)
    run_once([*mtus, "check", str(EXAMPLE)], warm)  # writes bytecode, the rules cache and compiled templates
    run_once([*mtus, "check", "--rules", str(big_rules), str(EXAMPLE)], warm)
    baseline = median_runs([sys.executable, "-c", "pass"], warm, repeats)
    print(f"   python -c pass (the interpreter alone)               {ms(baseline[0]):>8} / {ms(baseline[1])}")
    figures = median_runs([*mtus, "check", str(EXAMPLE)], warm, repeats)
    print(f"   repo rules, caches warm (the usual run)              {ms(figures[0]):>8} / {ms(figures[1])}   target <= 150 ms")
    cold_cache = work / "cold-cache"
    cold = median_runs([*mtus, "check", str(EXAMPLE)], child_env(cold_cache), max(3, repeats // 3), lambda: shutil.rmtree(cold_cache, ignore_errors=True))
    print(f"   repo rules, cache cold (first run after a change)    {ms(cold[0]):>8} / {ms(cold[1])}")
    off = median_runs([*mtus, "check", str(EXAMPLE)], child_env("off"), max(3, repeats // 3))
    print(f"   repo rules, cache off (MTUS_CACHE_DIR=off)           {ms(off[0]):>8} / {ms(off[1])}")
    big = median_runs([*mtus, "check", "--rules", str(big_rules), str(EXAMPLE)], warm, repeats)
    print(f"   synthetic large rules, caches warm                   {ms(big[0]):>8} / {ms(big[1])}")
    big_off = median_runs([*mtus, "check", "--rules", str(big_rules), str(EXAMPLE)], child_env("off"), max(3, repeats // 3))
    print(f"   synthetic large rules, cache off                     {ms(big_off[0]):>8} / {ms(big_off[1])}")
    json_only = median_runs([*mtus, "check", str(EXAMPLE), "--format", "json"], warm, repeats)
    print(f"   repo rules, caches warm, --format json (no Jinja)    {ms(json_only[0]):>8} / {ms(json_only[1])}")
    startup_breakdown(warm, repeats, baseline[1])
    check_ratio(warm, repeats)


_CHECKER_MODULES = "checker.cli, checker.api, checker.render.render, checker.report.report, checker.evaluate.engine"
_DATACLASS_TIME = (
    "import dataclasses, time\n"
    "spent = [0.0, 0]\n"
    "build = dataclasses._process_class\n"
    "def timed(*args, **kwargs):\n"
    "    started = time.perf_counter(); made = build(*args, **kwargs); spent[0] += time.perf_counter() - started; spent[1] += 1; return made\n"
    "dataclasses._process_class = timed\n"
    "import click, yaml, jinja2\n"
    "started = time.perf_counter()\n"
    f"import {_CHECKER_MODULES}\n"
    "print(time.perf_counter() - started, spent[0], spent[1])\n"
)


def startup_breakdown(env: dict[str, str], repeats: int, interpreter_cpu: float) -> None:
    """Where a check's start-up goes: the libraries' imports, mtus-checker's own modules."""
    libraries = median_runs([sys.executable, "-c", "import click, yaml, jinja2"], env, repeats)[1]
    everything = median_runs([sys.executable, "-c", f"import click, yaml, jinja2, {_CHECKER_MODULES}"], env, repeats)[1]
    print(f"   start-up CPU: interpreter {ms(interpreter_cpu)}; importing click, yaml and jinja2 +{ms(libraries - interpreter_cpu)}; "
          f"mtus-checker's modules +{ms(everything - libraries)}")
    samples = [subprocess.run([sys.executable, "-c", _DATACLASS_TIME], capture_output=True, text=True, env=env).stdout.split() for _ in range(5)]
    own = statistics.median(float(s[0]) for s in samples)
    dataclasses = statistics.median(float(s[1]) for s in samples)
    print(f"   of mtus-checker's module imports ({ms(own)} in-process), building its {samples[0][2]} dataclasses: {ms(dataclasses)}")


def regress_run(corpus: Path, jobs: int, engine: str, env: dict[str, str], out: Path) -> Run:
    return run_once([*mtus_command(), "regress", str(corpus), "--format", "json", "--jobs", str(jobs), "--engine", engine], env, out)


def throughput(work: Path, corpus: Path, items: int, repeats: int) -> bool:
    """Prints the figures; False when the reports differ by job count or the engines decide differently."""
    print(f"\n2-3. `mtus regress` on {items:,} items (median of {repeats}; includes process start; wall / CPU of all processes)")
    env = child_env(work / "cache")
    outputs = {}
    rates = {}
    cpus: dict[tuple[str, int], list[float]] = {}
    for engine, jobs in (("durable", 1), ("durable", 2), ("reference", 1), ("reference", 2)):
        runs = []
        for _ in range(repeats):
            out = work / f"regress-{engine}-{jobs}.json"
            runs.append(regress_run(corpus, jobs, engine, env, out))
            outputs[(engine, jobs)] = out.read_bytes()
        wall = statistics.median(r.wall for r in runs)
        cpu = statistics.median(r.cpu for r in runs)
        cpus[(engine, jobs)] = [r.cpu for r in runs]
        rates[(engine, jobs)] = items / wall
        target = "   target >= 10,000 items/s" if (engine, jobs) == ("durable", 2) else ""
        print(f"   {engine:9s} --jobs {jobs}   {items / wall:8,.0f} items/s wall   {items / cpu:8,.0f} items per CPU-second   ({wall:.1f} s){target}")
    identical = outputs[("durable", 1)] == outputs[("durable", 2)]
    ratios(corpus, env, repeats, cpus)
    same_decisions = _decisions(outputs[("durable", 1)]) == _decisions(outputs[("reference", 1)])
    print(f"   reports byte-identical for --jobs 1 and 2: {'yes' if identical else 'NO'}; "
          f"durable and reference decide alike: {'yes' if same_decisions else 'NO'}")
    print(f"   durable / reference time, --jobs 1: {rates[('reference', 1)] / rates[('durable', 1)]:.2f}x   (target <= 2x)")
    evaluators_alone(corpus)
    return identical and same_decisions


# Only reading the case files: the floor `mtus regress` is measured against (issue 21).
_PARSE_ONLY = (
    "import os, sys, yaml\n"
    "for directory, _, names in os.walk(sys.argv[1]):\n"
    "    for name in sorted(names):\n"
    "        if name.endswith(('.yaml', '.yml')):\n"
    "            with open(os.path.join(directory, name), 'rb') as handle:\n"
    "                yaml.load(handle, Loader=yaml.CSafeLoader)\n"
)


def ratios(corpus: Path, env: dict[str, str], repeats: int, cpus: dict[tuple[str, int], list[float]]) -> None:
    """Issue 21's ratios, from runs of this same benchmark (the machine is shared: ratios, not absolutes)."""
    parse = median_runs([sys.executable, "-c", _PARSE_ONLY, str(corpus)], env, max(3, repeats))[1]
    one, two = statistics.median(cpus[("durable", 1)]), statistics.median(cpus[("durable", 2)])
    print(f"   only parsing the case files with PyYAML's CSafeLoader (a process): {ms(parse)} CPU")
    print(f"   regress CPU / parsing CPU: --jobs 1 {one / parse:.2f}x, --jobs 2 {two / parse:.2f}x   (target <= 2.5x)")
    print(f"   regress CPU --jobs 2 / --jobs 1: {two / one:.2f}x   (target <= 1.10x)")
    side_by_side(corpus, env, repeats)


def side_by_side(corpus: Path, env: dict[str, str], repeats: int) -> None:
    """What the machine itself charges for running two processes at once: two `--jobs 1` runs over the
    two halves of the corpus, one after the other and then side by side (their CPU, summed). No work is
    shared or added between them, so any extra CPU side by side is the cores slowing each other."""
    files = sorted(corpus.glob("*.yaml"))
    halves = [corpus.parent / f"{corpus.name}-half{n}" for n in (1, 2)]
    for half, names in zip(halves, (files[: len(files) // 2], files[len(files) // 2 :]), strict=True):
        if not half.exists():
            half.mkdir()
            for name in names:
                (half / name.name).symlink_to(name)
    commands = [[*mtus_command(), "regress", str(half), "--format", "json", "--jobs", "1"] for half in halves]
    after, beside = [], []
    for _ in range(repeats):
        after.append(sum(run_once(command, env).cpu for command in commands))
        processes = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=REPO) for command in commands]
        beside.append(sum(_cpu_of(process) for process in processes))
    ratio = statistics.median(beside) / statistics.median(after)
    print(f"   the machine's own cost of two at once: two --jobs 1 runs on the corpus's halves, side by side / one after the other: "
          f"{ratio:.2f}x CPU (medians {ms(statistics.median(beside))} / {ms(statistics.median(after))})")


def _cpu_of(process: subprocess.Popen) -> float:
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def small_corpus(work: Path, ruleset, items: int, repeats: int) -> None:
    """A small corpus with two jobs: wall time, CPU of all processes, and CPU / wall (about 2 when
    both cores work)."""
    corpus = work / f"corpus-{items}"
    if not corpus.exists():
        write_corpus(ruleset, corpus, items)
    files = len(list(corpus.glob("*.yaml")))
    env = child_env(work / "cache")
    print(f"\n2b. a small corpus, {items:,} items in {files} case files (median of {repeats}; wall / CPU of all processes)")
    for jobs in (1, 2):
        runs = [regress_run(corpus, jobs, "durable", env, work / f"small-{jobs}.json") for _ in range(repeats)]
        wall, cpu = statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs)
        print(f"   --jobs {jobs}   {ms(wall):>8} / {ms(cpu):>8}   CPU / wall {cpu / wall:.2f}   {items / wall:8,.0f} items/s")


def check_ratio(env: dict[str, str], repeats: int, against: Path | None = None) -> None:
    """`mtus check` on one case against the floor of its libraries' imports, interleaved runs; with
    `against`, the same commands run from another source tree of mtus-checker (a checkout of main,
    on PYTHONPATH, with its own cache folder) in the same interleaving: before and after, paired."""
    floor_command = [sys.executable, "-c", "import yaml, click, jinja2, durable_rules_engine"]
    trees = {"": env} if against is None else {"": {**env, "PYTHONPATH": str(REPO)}, "against ": _tree_env(env, against)}
    commands = {"floor": (floor_command, env)}
    for label, tree_env in trees.items():
        commands[f"{label}text"] = ([*mtus_command(), "check", str(EXAMPLE)], tree_env)
        commands[f"{label}json"] = ([*mtus_command(), "check", str(EXAMPLE), "--format", "json"], tree_env)
    for command, command_env in commands.values():
        run_once(command, command_env)  # bytecode, the rules cache and compiled templates of each tree
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, (command, command_env) in commands.items():
            runs[name].append(run_once(command, command_env))
    wall = {name: statistics.median(r.wall for r in rs) for name, rs in runs.items()}
    cpu = {name: statistics.median(r.cpu for r in rs) for name, rs in runs.items()}
    print(f"   python -c 'import yaml, click, jinja2, durable_rules_engine'  {ms(wall['floor']):>8} / {ms(cpu['floor'])}")
    for name in commands:
        if name != "floor":
            tree = f" ({against})" if name.startswith("against") else ""
            print(f"   check --format {name:12s} / that import: wall {wall[name] / wall['floor']:.2f}x, CPU {cpu[name] / cpu['floor']:.2f}x"
                  f"   ({ms(wall[name])} / {ms(cpu[name])})   target <= 1.3x{tree}")


def _tree_env(env: dict[str, str], tree: Path) -> dict[str, str]:
    cache = Path(env.get("MTUS_CACHE_DIR", tempfile.gettempdir())).parent / "cache-against"
    return {**env, "PYTHONPATH": str(tree.resolve()), "MTUS_CACHE_DIR": str(cache)}


def _decisions(report: bytes) -> list:
    import json

    return [(r["case"], r["item"], r["actual"]["decision"]) for r in json.loads(report)["results"]]


def evaluators_alone(corpus: Path) -> None:
    """The two evaluators on the corpus's prepared items, nothing else timed."""
    from checker.api import Checker
    from checker.evaluate.engine import DurableEvaluator
    from checker.evaluate.evaluate import plan_case
    from checker.evaluate.reference import ReferenceEvaluator

    checker = Checker(engine="reference")
    batches = []
    for path in sorted(corpus.glob("*.yaml"))[:2000]:
        case = checker.load(path)
        ruled = [u for item in plan_case(checker.ruleset, case) for u in item.units if u.edition]
        if ruled:
            batches.append([(u.edition.key, {k: v.value for k, v in u.facts.items()}) for u in ruled])
    count = sum(len(b) for b in batches)
    timings = {}
    for name, evaluator in (("durable", DurableEvaluator(checker.program)), ("reference", ReferenceEvaluator(checker.program))):
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            for batch in batches:
                evaluator.evaluate(batch)
            best = min(best, time.process_time() - started)
        timings[name] = best
    print(f"   evaluators alone on {count:,} ruled items (best of 3, CPU): durable {count / timings['durable']:,.0f} items/s, "
          f"reference {count / timings['reference']:,.0f} items/s ({timings['durable'] / timings['reference']:.1f}x)")


def memory(work: Path, ruleset, sizes: tuple[int, int]) -> None:
    print("\n4. peak memory (max RSS) of `mtus regress --jobs 1 --format json` (output to a file)")
    env = child_env(work / "cache")
    peaks = []
    for size in sizes:
        corpus = work / f"corpus-{size}"
        if not corpus.exists():
            write_corpus(ruleset, corpus, size)
        command = [*mtus_command(), "regress", str(corpus), "--format", "json", "--jobs", "1"]
        started = time.perf_counter()
        peaks.append(peak_rss_kb(command, env, work / f"memory-{size}.json"))
        wall = time.perf_counter() - started
        print(f"   {size:>8,} items   {peaks[-1] / 1024:7.1f} MB   ({size / wall:,.0f} items/s, {wall:.0f} s)")
    print(f"   growth from {sizes[0]:,} to {sizes[1]:,} items: {(peaks[1] - peaks[0]) / 1024:+.1f} MB   (target: none)")


def import_speed(work: Path) -> None:
    print("\n5. `mtus import` letters per second")
    mtus = mtus_command()
    env = child_env(work / "cache")
    probe = subprocess.run([*mtus, "import", "--help"], capture_output=True, env=env, cwd=REPO)
    if probe.returncode != 0:
        print("   skipped: this build has no `mtus import` command")
        return
    letters = sorted((SHARED / "seeds").glob("*.txt")) + sorted((SHARED / "imr-corpus" / "dev").glob("*"))
    letters = [p for p in letters if p.is_file()]
    if not letters:
        print(f"   skipped: no letters under {SHARED}/seeds or {SHARED}/imr-corpus/dev")
        return
    out = work / "imported"
    shutil.rmtree(out, ignore_errors=True)
    result = run_once([*mtus, "import", *map(str, letters), "--out", str(out)], env)
    written = len(list(out.rglob("*.yaml"))) if out.exists() else 0
    print(f"   {len(letters)} letters in {result.wall:.2f} s: {len(letters) / result.wall:,.1f} letters/s "
          f"({written} case files written, exit {result.returncode})   target >= 20 letters/s")


def check_only(repeats: int, against: Path | None) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"`mtus check {EXAMPLE.relative_to(REPO)}`, caches warm, median of {repeats} interleaved runs (wall / CPU); load average {load:.2f}")
    with tempfile.TemporaryDirectory(prefix="mtus-bench-") as work:
        check_ratio(child_env(Path(work) / "cache"), repeats, against)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.2f} at the end")


def regress_only(work: Path, items: int, repeats: int, against: Path | None, corpus: Path | None = None, fmt: str = "json") -> None:
    """Issue 21's regress ratios alone: `mtus regress --jobs 1` and `--jobs 2` and the parse-only
    process, interleaved run by run; with `against`, the same regress runs from that source tree
    too, so each tree's figures come from the same minutes of the machine. `corpus`: a folder of
    case files to run instead of a synthetic corpus of `items` items (an import of the dev letters); `fmt`,
    the report's format."""
    if corpus is None:
        corpus = work / f"corpus-{items}"
        if not corpus.exists():
            write_corpus(load_ruleset(default_rules_dir()), corpus, items)
    else:
        corpus = corpus.resolve()
        items = sum(len(_expected_items(path)) for path in sorted(corpus.glob("*.yaml")))
    files = len(list(corpus.glob("*.yaml")))
    env = child_env(work / "cache")
    trees = {"this tree": {**env, "PYTHONPATH": str(REPO)}} if against is None else {
        "this tree": {**env, "PYTHONPATH": str(REPO)}, f"against {against}": _tree_env(env, against),
    }
    commands = {"parse": ([sys.executable, "-c", _PARSE_ONLY, str(corpus)], env)}
    for tree, tree_env in trees.items():
        for jobs in (1, 2):
            commands[(tree, jobs)] = ([*mtus_command(), "regress", str(corpus), "--format", fmt, "--jobs", str(jobs)], tree_env)
    outputs = {}
    for n, (name, (command, command_env)) in enumerate(commands.items()):  # bytecode, rules cache, compiled templates
        outputs[name] = work / f"regress-only-{n}.json"
        run_once(command, command_env, outputs[name])
    cpu: dict = {name: [] for name in commands}
    wall: dict = {name: [] for name in commands}
    for _ in range(repeats):
        for name, (command, command_env) in commands.items():
            done = run_once(command, command_env)
            cpu[name].append(done.cpu)
            wall[name].append(done.wall)
    parse = statistics.median(cpu["parse"])
    print(f"`mtus regress --format {fmt}` of {items:,} items in {files} case files, CPU medians of {repeats} interleaved runs; "
          f"only parsing them with PyYAML's CSafeLoader: {ms(parse)}")
    for tree in trees:
        one, two = statistics.median(cpu[(tree, 1)]), statistics.median(cpu[(tree, 2)])
        print(f"   {tree}: --jobs 1 {ms(one)} ({one / parse:.2f}x parsing), --jobs 2 {ms(two)} ({two / parse:.2f}x), "
              f"--jobs 2 / --jobs 1 {two / one:.2f}x   (targets <= 2.5x, <= 1.10x); items/s (wall medians): "
              f"--jobs 1 {items / statistics.median(wall[(tree, 1)]):,.0f}, --jobs 2 {items / statistics.median(wall[(tree, 2)]):,.0f}"
              "   (target >= 10,000 with 2 jobs)")
    reports = {outputs[name].read_bytes() for name in commands if name != "parse"}
    print(f"   reports byte-identical for every tree and job count: {'yes' if len(reports) == 1 else 'NO'}")


def _expected_items(path: Path) -> list:
    import yaml

    with path.open("rb") as handle:
        data = yaml.load(handle, Loader=yaml.CSafeLoader)
    return data.get("expected") or [] if isinstance(data, dict) else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller corpora and fewer repeats (1k/10k items, 5 runs)")
    parser.add_argument("--items", type=int, default=None, help="regress corpus size (default 10,000; --quick 2,000)")
    parser.add_argument("--small-items", type=int, default=600, help="the small corpus run with 1 and 2 jobs (default 600 items)")
    parser.add_argument("--skip-memory", action="store_true", help="leave out the peak-memory and import figures")
    parser.add_argument("--memory-sizes", type=int, nargs=2, default=None, metavar=("SMALL", "LARGE"), help="default 10000 100000")
    parser.add_argument("--synthetic-topics", type=int, default=28, help="generated topics added for the large rule set (default 28)")
    parser.add_argument("--repeats", type=int, default=None, help="runs per cold-start median (default 15; --quick 5)")
    parser.add_argument("--work", type=Path, default=None, help="keep corpora and outputs here (default: a temporary folder)")
    parser.add_argument("--check-only", action="store_true", help="only the `mtus check` ratio of issue 21 (a minute or two)")
    parser.add_argument("--against", type=Path, default=None, metavar="TREE",
                        help="with --check-only or --regress-only: the same from this source tree too (main: git archive main | tar -x -C DIR), paired")
    parser.add_argument("--regress-only", action="store_true", help="only the `mtus regress` CPU ratios of issue 21 (with --against: paired)")
    parser.add_argument("--corpus", type=Path, default=None, metavar="DIR",
                        help="with --regress-only: run this folder of case files (an import of the dev letters) instead of a synthetic corpus")
    parser.add_argument("--format", dest="fmt", choices=("json", "text", "junit"), default="json",
                        help="with --regress-only: the report's format (default json)")
    args = parser.parse_args()
    if args.regress_only:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"load average {load:.2f} at start")
        work = args.work or Path(tempfile.mkdtemp(prefix="mtus-bench-"))
        work.mkdir(parents=True, exist_ok=True)
        regress_only(work, args.items or 2_000, args.repeats or 5, args.against, args.corpus, args.fmt)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"load average {load:.2f} at the end")
        return
    if args.check_only:
        check_only(args.repeats or 15, args.against)
        return
    items = args.items or (2_000 if args.quick else 10_000)
    sizes = tuple(args.memory_sizes or ((1_000, 10_000) if args.quick else (10_000, 100_000)))
    repeats = args.repeats or (5 if args.quick else 15)
    work = args.work or Path(tempfile.mkdtemp(prefix="mtus-bench-"))
    work.mkdir(parents=True, exist_ok=True)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"mtus-checker benchmark: {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average {load:.2f} at start; work folder {work}")
    ruleset = load_ruleset(default_rules_dir())
    big_rules = work / "synthetic-rules"
    write_synthetic_rules(ruleset, default_rules_dir(), big_rules, args.synthetic_topics)
    big = load_ruleset(big_rules)
    from checker.load.compiler import compile_program

    print(f"rules: repo {len(ruleset.topics)} topics / {len(ruleset.criteria())} criteria / {len(compile_program(ruleset).probes)} engine rules; "
          f"synthetic large {len(big.topics)} topics / {len(big.criteria())} criteria / {len(compile_program(big).probes)} engine rules")

    corpus = work / f"corpus-{items}"
    cases, written, corpus_plan = write_corpus(ruleset, corpus, items)
    print(f"corpus: {written:,} items in {cases:,} case files; topics generated: {', '.join(g.topic.topic for g in corpus_plan.generatable)}")
    for topic, why in corpus_plan.skipped.items():
        print(f"   skipped topic {topic}: {why}")

    cold_start(work, big_rules, repeats)
    consistent = throughput(work, corpus, written, 1 if args.quick else 3)
    small_corpus(work, ruleset, args.small_items, 3)
    if not args.skip_memory:
        memory(work, ruleset, sizes)
        import_speed(work)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nload average {load:.2f} at the end (the machine is shared: wall times include other processes' load)")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    if not consistent:
        sys.exit("FAILED: reports differ between job counts, or the two engines decide differently")


if __name__ == "__main__":
    main()
