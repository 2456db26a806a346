"""Copy imported case files with every date moved by the same number of days (intervals kept), to see
what the rules decide for the same cases in another period:

    mtus import ../shared/imr-corpus/dev --out /tmp/dev
    python tools/redate_cases.py /tmp/dev /tmp/dev-2014 --days -900
    mtus scope /tmp/dev-2014

The dev letters were decided in 2016-17; 900 days earlier puts their requests in 2014, under the
editions in force from 2009-07-18 to 2016-07-28. Every date value in a case file moves (the case's
dates, medication start dates and any other date), so the weeks of use, the time since injury and
surgery and the phase of care stay as they were.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

import yaml

# A date written as a quoted string ("2016-11-15") is a date to the case loader too.
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def shifted(value: Any, days: int) -> Any:
    """The value with every date in it moved by `days`."""
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(days=days)
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=days)
    if isinstance(value, str) and _ISO_DATE.match(value):
        return shifted(dt.date.fromisoformat(value), days)
    if isinstance(value, dict):
        return {k: shifted(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [shifted(v, days) for v in value]
    return value


def redate(source: Path, target: Path, days: int) -> int:
    """Write each case file of `source` to `target` with its dates moved; the number written."""
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(source.glob("*.yaml")):
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        text = yaml.safe_dump(shifted(case, days), sort_keys=False, allow_unicode=True, width=120)
        (target / path.name).write_text(text, encoding="utf-8")
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of case files (mtus import --out)")
    parser.add_argument("target", type=Path, help="folder to write the re-dated copies to")
    parser.add_argument("--days", type=int, required=True, help="days to move every date (negative: earlier)")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"mtus: error: {args.source}: not a folder; fix: give the folder mtus import wrote", file=sys.stderr)
        return 2
    count = redate(args.source, args.target, args.days)
    print(f"re-dated {count} case file(s) by {args.days} day(s) into {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
