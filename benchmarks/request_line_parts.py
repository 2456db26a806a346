"""What reading a request line for the first time costs, part by part: the different request lines of a
corpus, each read once in one process (CPU, `time.process_time`, µs a line), after the first WARM lines
have compiled the patterns they need, as a long run has them.

    python benchmarks/request_line_parts.py CORPUS [--warm 300] [--passes 2]

Run it with PYTHONPATH=TREE to time another source tree of mtus-checker on the same corpus. Each part is
timed over every line by itself (the drug names found, the service, the drug name that starts the line,
the written prescription, the body parts, the route, the timing), then the whole of parse_request.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from checker.api import Checker
from checker.base.yamlio import load_yaml
from checker.load import request_line
from checker.load.prescription import read_prescription
from checker.measure import regress


def request_lines(corpus: Path) -> list[str]:
    """Every different request line of the corpus's case files, in the order first met."""
    seen: dict[str, None] = {}
    for path in regress.collect_case_files([corpus]):
        for request in (load_yaml(Path(path), "case") or {}).get("requests", []):
            if isinstance(request, dict) and isinstance(request.get("text"), str):
                seen.setdefault(request["text"].strip(), None)
    return list(seen)


def timed(lines: list[str], part: Callable[[str], object]) -> float:
    """µs a line of calling part on every line."""
    started = time.process_time()
    for line in lines:
        part(line)
    return (time.process_time() - started) / len(lines) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--warm", type=int, default=300)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    ruleset = Checker(engine="reference").ruleset
    lexicon, services = ruleset.lexicon, ruleset.services
    lines = request_lines(args.corpus)
    for line in lines[: args.warm]:
        request_line.parse_request(line, lexicon, services)
    lines = lines[args.warm :]
    found = {line: lexicon.find_in_text(line) for line in lines}
    parts: dict[str, Callable[[str], object]] = {
        "find_all_in_text": lexicon.find_all_in_text,
        "service": lambda line: request_line._requested_service(line, services),
        "find_in_text": lexicon.find_in_text,
        "read_prescription": lambda line: read_prescription(line, found[line], lexicon),
        "body parts": services.find_body_parts,
        "route": lambda line: request_line._route(line, found[line].drug if found[line] else None, False),
        "timing": lambda line: request_line._timing(line, ""),
        "parse_request": lambda line: request_line.parse_request(line, lexicon, services),
    }
    for number in range(1, args.passes + 1):
        spent = ", ".join(f"{name} {timed(lines, part):.1f}" for name, part in parts.items())
        print(f"pass {number}, {len(lines)} lines, µs a line: {spent}")


if __name__ == "__main__":
    main()
