"""What `lint` and `require_clean` give on the repository's rules (alone and with the example site
rule folder) and on every broken rule set of tests/bad_rules/: one line per defect, or the error
that stops the rule set loading. Paths are written from ROOT, so two runs compare byte for byte.

Run it on two versions of checker/ and compare, e.g. before and after a change to lint:

    git archive main checker | tar -x -C /tmp/lint-before
    PYTHONPATH=/tmp/lint-before python tools/lint_snapshot.py /tmp/snapshot > /tmp/before.txt
    python tools/lint_snapshot.py /tmp/snapshot > /tmp/after.txt
    cmp /tmp/before.txt /tmp/after.txt

The folder (here /tmp/snapshot) is emptied and rebuilt on every run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.append(str(REPO / "tests"))  # after PYTHONPATH, so the checker/ compared is the one given there

from rulesets import BAD_RULES, rules_with  # noqa: E402

from checker.errors import InputError  # noqa: E402
from checker.lint import lint, require_clean  # noqa: E402
from checker.rules import load_ruleset  # noqa: E402


def rule_sets(root: Path) -> Iterator[tuple[str, Path, tuple[Path, ...]]]:
    """(name, rules directory, site rule folders): the repository's rules, then each bad_rules file."""
    yield "rules", REPO / "rules", ()
    yield "rules + tests/site_rules", REPO / "rules", (REPO / "tests" / "site_rules",)
    yield "bad_rules/clean_topic.yaml", rules_with(root / "clean_topic", None)[0], ()
    for bad in sorted(p.relative_to(BAD_RULES).as_posix() for p in BAD_RULES.glob("*/*.yaml")):
        yield f"bad_rules/{bad}", rules_with(root / bad.replace("/", "-"), bad)[0], ()


def snapshot(name: str, directory: Path, extra: tuple[Path, ...]) -> list[str]:
    lines = [f"== {name}"]
    try:
        ruleset = load_ruleset(directory, extra)
    except InputError as exc:
        return [*lines, f"load: {exc.one_line()}"]
    lines += [f"lint: {defect.one_line()}" for defect in lint(ruleset)]
    try:
        require_clean(ruleset)
        lines.append("require_clean: clean")
    except InputError as exc:
        lines.append(f"require_clean: {exc.one_line()}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("root", type=Path, help="an empty (or disposable) folder to build the rule sets in")
    root = parser.parse_args().root.resolve()
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for name, directory, extra in rule_sets(root):
        for line in snapshot(name, directory, extra):
            print(line.replace(str(root), "ROOT").replace(str(REPO), "REPO"))


if __name__ == "__main__":
    main()
