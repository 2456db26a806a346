"""How often the draft names the same deciding criterion as the IMR letter's rationale (issue 8).

    mtus import ../shared/imr-corpus/dev ../shared/seeds --out /tmp/deciding-imr
    python tools/deciding_rate.py /tmp/deciding-imr tests/imr/deciding.yaml

For each item of the hand-read key it drafts the imported case and prints one row: the outcome, the
letter's and the tool's decisions, the key's criteria, the draft's decisive criteria, and the key's
reason (or, when no criterion encodes it, what would). Then the counts per outcome and the rate:
items whose draft names a key criterion as decisive and prints its wording, over the sample size.
Output is deterministic (key order). Exit code 0, or 2 on bad input.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from checker.deciding import AGREES, ItemOutcome, load_key, measure, only_key_criteria, rate
from checker.errors import InputError

_SHORT = {"medically_necessary": "MN", "not_medically_necessary": "NMN", "no_applicable_rule": "none", None: "-"}


def report(outcomes: list[ItemOutcome]) -> str:
    lines = []
    for o in outcomes:
        k = o.key
        lines.append(f"{o.category:<36} {k.case} / {k.item}: letter {_SHORT[k.decision]}, tool {_SHORT[o.decision]}")
        lines.append(f"    key:      {', '.join(k.criteria) or '(none)'}")
        lines.append(f"    decisive: {', '.join(o.decisive) or '(none)'}")
        lines.append(f"    reason:   {k.reason}")
        if k.missing:
            lines.append(f"    missing:  {k.missing}")
    counts = Counter(o.category for o in outcomes)
    lines.append("")
    for category, n in sorted(counts.items(), key=lambda kv: (kv[0] != AGREES, -kv[1], kv[0])):
        lines.append(f"{category:<36} {n}")
    agree, size = rate(outcomes)
    lines.append(f"deciding-criterion rate: {agree}/{size} = {100 * agree / size:.1f}%")
    only = sum(only_key_criteria(o) for o in outcomes)
    decisive = sum(len({d.split("[", 1)[0] for d in o.decisive}) for o in outcomes)
    lines.append(f"of these, drafts whose decisive criteria are all key criteria: {only}; distinct decisive criteria per item: {decisive / size:.1f}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python tools/deciding_rate.py IMPORTED_DIR KEY.yaml", file=sys.stderr)
        return 2
    imported, key_path = Path(argv[0]), Path(argv[1])
    try:
        if not imported.is_dir():
            raise InputError(str(imported), "", "not a folder", "run mtus import ... --out DIR first and pass DIR")
        sys.stdout.write(report(measure(load_key(key_path), imported)))
    except InputError as exc:
        print(f"deciding_rate: error: {exc.one_line()}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
