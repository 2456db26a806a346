"""Where `mtus regress --jobs N` spends CPU beyond `--jobs 1`: per process, user and system CPU and the
minor page faults (copy-on-write copies of pages the forked processes share, and fresh pages), the
faults the parent had taken when it forked, and the request lines each process read afresh.

    python benchmarks/regress_faults.py CORPUS [--jobs N] [--no-warm-up] [--freeze-before-fork] [--collect-before-fork] [--young N]

Runs the regression in this process (the JSON report written and dropped, as `mtus regress --format
json` does). --no-warm-up forks before the parent checks its first files; --freeze-before-fork moves
everything the parent holds at the fork into the collector's permanent generation; --collect-before-fork
collects the parent's garbage first. Run with
PYTHONPATH=TREE for another tree. Linux only (fork). The figures count the whole process, its start
included: the first run from a new place builds its rules cache, so run it twice.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
from pathlib import Path


def _usage() -> str:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return f"user {use.ru_utime * 1e3:.0f} ms, system {use.ru_stime * 1e3:.0f} ms, minor faults {use.ru_minflt}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-warm-up", action="store_true")
    parser.add_argument("--freeze-before-fork", action="store_true")
    parser.add_argument("--collect-before-fork", action="store_true")
    parser.add_argument("--young", type=int, help="the young generation's collection threshold during the run (regress.YOUNG_COLLECTION_THRESHOLD)")
    args = parser.parse_args()

    import checker.load.case as case_module
    from checker.api import Checker
    from checker.measure import regress

    parsed = [0]
    parse_request = case_module.parse_request

    def counted_parse(*parts: object) -> object:
        parsed[0] += 1
        return parse_request(*parts)

    case_module.parse_request = counted_parse
    if args.young:
        regress.YOUNG_COLLECTION_THRESHOLD = args.young
    if args.no_warm_up:
        regress.MAX_WARM_UP_FILES = 0
    at_fork: list[int] = []
    os.register_at_fork(before=lambda: at_fork.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt))
    if args.freeze_before_fork:
        os.register_at_fork(before=gc.freeze)
    if args.collect_before_fork:
        os.register_at_fork(before=gc.collect)
    report_folder = tempfile.mkdtemp()
    parent = os.getpid()
    check_file = regress.check_file

    def check_and_report(*parts: object, **named: object) -> object:
        """A worker writes its figures after each file: the parent ends it with SIGTERM when the files are done."""
        outcome = check_file(*parts, **named)
        if os.getpid() != parent:
            Path(report_folder, f"worker-{os.getpid()}").write_text(f"{_usage()}, request lines read {parsed[0]}", encoding="ascii")
        return outcome

    regress.check_file = check_and_report
    os.register_at_fork(after_in_child=lambda: parsed.__setitem__(0, 0))  # a forked child's CPU and faults start at zero

    run = regress.regress(Checker(), [args.corpus], jobs=args.jobs, json_report=args.jobs > 1)
    regress.write_report(run, "json", lambda text: None)
    run.close()
    print(f"parent: {_usage()}, of them before the fork {at_fork[0] if at_fork else '-'}, request lines read {parsed[0]}")
    for report in sorted(Path(report_folder).iterdir()):
        print(f"{report.name}: {report.read_text(encoding='ascii')}")
        report.unlink()
    os.rmdir(report_folder)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
