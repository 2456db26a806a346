"""How often the draft names the IMR letter's deciding criterion first (issues 8 and 18).

    python tools/deciding_rate.py                      # imports ../shared's dev letters and seeds itself
    python tools/deciding_rate.py IMPORTED_DIR [KEY]   # or reads case files already imported

With no IMPORTED_DIR it runs `mtus import ../shared/imr-corpus/dev ../shared/seeds` into a temporary
folder (removed afterwards); KEY defaults to tests/imr/deciding.yaml. For each item of the hand-read
key it prints one row: the outcome, the letter's and the tool's decisions, the key's criteria, the
reasons the draft names (in order), every criterion that decided, and the key's reason (or, when no
criterion encodes it, what would). Then the counts per outcome, the rate (items whose draft names a
key criterion first, over the items whose decisions agree; also leaving out the items no criterion
encodes), and the distinct criteria per item the rationale names and that decided. Output is
deterministic (key order). Exit code 0, or 2 on bad input.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

from checker.base.errors import InputError
from checker.measure.reason_agreement import AGREES, ItemOutcome, distinct, load_key, measure, rate, rate_where_encoded

REPO = Path(__file__).resolve().parents[1]
KEY = REPO / "tests" / "imr" / "deciding.yaml"
LETTER_DIRS = [REPO.parent / "shared" / "imr-corpus" / "dev", REPO.parent / "shared" / "seeds"]
_SHORT = {"medically_necessary": "MN", "not_medically_necessary": "NMN", "no_applicable_rule": "none", None: "-"}


def report(outcomes: list[ItemOutcome]) -> str:
    lines = []
    for o in outcomes:
        k = o.key
        lines.append(f"{o.category:<38} {k.case} / {k.item}: letter {_SHORT[k.decision]}, tool {_SHORT[o.decision]}")
        lines.append(f"    key:      {', '.join(k.criteria) or '(none)'}")
        lines.append(f"    reasons:  {', '.join(o.reasons) or '(none)'}")
        lines.append(f"    decisive: {', '.join(o.decisive) or '(none)'}")
        lines.append(f"    reason:   {k.reason}")
        if k.missing:
            lines.append(f"    missing:  {k.missing}")
    counts = Counter(o.category for o in outcomes)
    lines.append("")
    for category, n in sorted(counts.items(), key=lambda kv: (kv[0] != AGREES, -kv[1], kv[0])):
        lines.append(f"{category:<38} {n}")
    agree, same = rate(outcomes)
    encoded, same_encoded = rate_where_encoded(outcomes)
    size = len(outcomes)
    lines.append(f"first-reason rate: {agree}/{same} = {_percent(agree, same)} of the items whose decisions agree")
    lines.append(f"first-reason rate where a criterion encodes the letter's reason: {encoded}/{same_encoded} = {_percent(encoded, same_encoded)}")
    named = sum(len(o.reasons) for o in outcomes) / size
    decided = sum(distinct(o.decisive) for o in outcomes) / size
    lines.append(f"distinct criteria per item: named in the rationale {named:.1f}; decisive {decided:.1f} (key items: {size})")
    return "\n".join(lines) + "\n"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def _imported_letters(out: Path) -> Path:
    from checker.imr.importer import Importer
    from checker.load.ruleset import default_rules_dir, load_ruleset

    missing = [str(d) for d in LETTER_DIRS if not d.is_dir()]
    if missing:
        raise InputError(", ".join(missing), "", "the IMR letters are not there", "put ../shared beside the checkout, or pass an imported folder")
    Importer(load_ruleset(default_rules_dir())).run(LETTER_DIRS, out)
    return out


def main(argv: list[str]) -> int:
    if len(argv) > 2:
        print("usage: python tools/deciding_rate.py [IMPORTED_DIR [KEY.yaml]]", file=sys.stderr)
        return 2
    key_path = Path(argv[1]) if len(argv) == 2 else KEY
    try:
        if argv:
            imported = Path(argv[0])
            if not imported.is_dir():
                raise InputError(str(imported), "", "not a folder", "run mtus import ... --out DIR first and pass DIR")
            sys.stdout.write(report(measure(load_key(key_path), imported)))
        else:
            with tempfile.TemporaryDirectory(prefix="deciding-imr-") as folder:
                sys.stdout.write(report(measure(load_key(key_path), _imported_letters(Path(folder)))))
    except InputError as exc:
        print(f"deciding_rate: error: {exc.one_line()}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
