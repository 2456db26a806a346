"""Compare what two rule sets decide from a date on: every topic edition in force on or after it,
criterion by criterion (role, requirement, citation and the conditions as the loader reads them).

Used to show that adding earlier dated blocks (a 2009 edition) leaves the later editions as they were:

    git archive main rules | tar -x -C /tmp/main-rules
    python tools/compare_editions.py /tmp/main-rules/rules rules --from 2016-07-29

Prints one line per difference (a topic or criterion only one side has, or a criterion that differs,
with the fields that differ) and exits 1 when there is any, 0 when the editions are the same.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from checker.load.ruleset import Criterion, RuleSet, Topic, load_ruleset

FIELDS = ("role", "title", "requirement", "citation", "met_when", "not_met_when", "applies_when", "not_applicable_when", "basis")


def editions_from(topic: Topic, day: dt.date) -> dict[tuple[str, dt.date], dict[str, Criterion]]:
    """Each followed guideline's criteria in force on each day a stretch starts, from `day` on (a
    stretch that began earlier counts from `day`)."""
    found = {}
    for edition in topic.editions:
        if edition.effective_to is not None and edition.effective_to < day:
            continue
        start = max(edition.effective_from, day)
        found[(edition.edition, start)] = {c.id: c for c in edition.criteria}
    return found


def differences(old: RuleSet, new: RuleSet, day: dt.date) -> list[str]:
    lines = []
    old_topics = {t.topic: t for t in old.topics}
    new_topics = {t.topic: t for t in new.topics}
    for name in sorted(old_topics.keys() | new_topics.keys()):
        if name not in new_topics or name not in old_topics:
            lines.append(f"{name}: only in the {'old' if name in old_topics else 'new'} rules")
            continue
        before, after = editions_from(old_topics[name], day), editions_from(new_topics[name], day)
        for key in sorted(before.keys() | after.keys()):
            label = f"{name}@{key[0]} from {key[1]}"
            if key not in before or key not in after:
                lines.append(f"{label}: only in the {'old' if key in before else 'new'} rules")
                continue
            lines += _criteria_differences(label, before[key], after[key])
    return lines


def _criteria_differences(label: str, before: dict[str, Criterion], after: dict[str, Criterion]) -> list[str]:
    lines = []
    for cid in sorted(before.keys() | after.keys()):
        if cid not in before or cid not in after:
            lines.append(f"{label}: {cid} only in the {'old' if cid in before else 'new'} rules")
            continue
        changed = [f for f in FIELDS if getattr(before[cid], f) != getattr(after[cid], f)]
        if changed:
            lines.append(f"{label}: {cid} differs in {', '.join(changed)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--from", dest="day", type=dt.date.fromisoformat, required=True)
    args = parser.parse_args(argv)
    lines = differences(load_ruleset(args.old), load_ruleset(args.new), args.day)
    print("\n".join(lines) if lines else f"no difference in any edition in force from {args.day}")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
