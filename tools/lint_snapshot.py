"""What `lint` and `require_clean` give on the repository's rules (alone and with the example site
rule folder) and on every broken rule set of tests/bad_rules/: one line per defect, or the error
that stops the rule set loading; and, for a rule set without defects, what `unextractable` reports
(the lines `mtus rules lint` prints after "ok:"). Paths are written from ROOT, so two runs compare byte for byte.
With --mutate, also on the repository's rules with one rule file changed by one edit of MUTATIONS
(each edit at one place of each file it applies to, chosen by a seeded random draw); --every N keeps
one of every N of those rule sets, for a lint that is slow.

Run it on two versions of checker/ and compare, e.g. before and after a change to lint:

    git archive main checker | tar -x -C /tmp/lint-before
    PYTHONPATH=/tmp/lint-before python tools/lint_snapshot.py /tmp/snapshot > /tmp/before.txt
    python tools/lint_snapshot.py /tmp/snapshot > /tmp/after.txt
    cmp /tmp/before.txt /tmp/after.txt

The folder (here /tmp/snapshot) is emptied and rebuilt on every run.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.append(str(REPO / "tests"))  # after PYTHONPATH, so the checker/ compared is the one given there

from rulesets import BAD_RULES, rules_with  # noqa: E402

from checker.base.errors import InputError  # noqa: E402
from checker.lint import lint, require_clean, unextractable  # noqa: E402
from checker.load.ruleset import load_ruleset  # noqa: E402

# (pattern, replacement): edits that break what the checks look at, one at a time.
MUTATIONS = [
    (r"\blte: (\d+)", r"gte: \1"),                       # met_when and not_met_when overlap
    (r"\bgt: (\d+)", r"lt: \1"),                         # a range that cannot hold
    (r": (\d+)\}", r': "\1"}'),                          # a value of the wrong type
    (r"\beq: true\b", r"eq: 3"),
    (r"\beq: (true|false)\b", r"lt: \1"),                # an ordering of a boolean
    (r"\bfact: (\w+)", r"fact: \1x"),                    # an unknown fact
    (r"\b(in|not_in): \[", r"\1: [zzz, "),
    (r"\b(lt|lte|gt|gte): (\d+)", r"\1: -5"),           # outside a declared range
    (r'edition: "2009"', r'edition: "2016"'),              # a citation not in force
    (r'edition: "(\d+)"', r'edition: "1999"'),             # an unknown edition
    (r"(?m)^ +citation: .*\n", r""),                      # no citation
    (r', pages: "[^"]*"', r""),                           # no page
    (r"(?m)^( +)\d{4}-\d\d-\d\d:", r"\g<1>2018-01-01:"),  # a block outside the periods
    (r"(?m)^( +)\d{4}-\d\d-\d\d:", r"\g<1>2001-01-01:"),
    (r"role: indication", r"role: limit"),                # the indication tree
    (r"role: (limit|documentation)", r"role: indication"),
    (r"(?m)^( +- id: )\w+\.\w+", r"\g<1>carisoprodol.short_course_request"),  # a reused id
    (r"(?m)^topic: \w+", r"topic: opioids"),
    (r"confidence: confirmed", r"confidence: unconfirmed"),  # an unconfirmed page
    (r", pages_confirmed: false", r""),
    (r"\b(drugs|services|body_parts|drug_classes|categories): \[(\w+)", r"\1: [\2x"),  # unknown names
    (r", except_drugs: \[[^\]]*\]", r""),                 # overlapping topics
    (r"(?m)^(applies_to: ).*$", r"\1{drug_classes: [opioid]}"),
    (r"(?m)^  - \{guideline: .*\n", r""),                 # a followed edition less
    (r", when: \{.*\}\}$", r"}"),                         # overlapping editions
    (r"(?m)^(  - \{guideline: .*)$", r"\1\n  - {guideline: acoem2004_general, edition: \"2004\"}"),
    (r"\bunder: \[(\w+)", r"under: [opioids_tg"),         # under an unfollowed guideline
    (r"indicated_when: \{(all|any): \[\w+\.\w+, ", r"indicated_when: {\1: ["),
    (r"\bmin: (\d+)", r"min: 100000"),                    # a fact's range
    (r"effective_to: \d{4}-\d\d-\d\d", r"effective_to: 2000-01-01"),  # an edition ending before it starts
    (r"implies: \{(\w+): (\w+)\}", r"implies: {\1: \2x}"),  # a service implying a value
]


def mutated_rule_sets(root: Path, every: int = 1) -> Iterator[tuple[str, Path, tuple[Path, ...]]]:
    rules = root / "mutated" / "rules"
    shutil.copytree(REPO / "rules", rules)
    variants = 0
    for path in sorted(rules.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for number, (pattern, replacement) in enumerate(MUTATIONS):
            matches = list(re.finditer(pattern, text))
            if not matches:
                continue
            variants += 1
            if variants % every:
                continue
            name = path.relative_to(rules).as_posix()
            match = random.Random(f"{name}:{number}").choice(matches)
            path.write_text(text[: match.start()] + match.expand(replacement) + text[match.end():], encoding="utf-8")
            yield f"rules/{name} edit {number} at {match.start()}", rules, ()
            path.write_text(text, encoding="utf-8")


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
        return [*lines, f"require_clean: {exc.one_line()}"]
    return lines + [f"reviewer-only: {t.topic}: {', '.join(t.reading)} of {t.criteria} ({', '.join(t.facts)})" for t in unextractable(ruleset)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("root", type=Path, help="an empty (or disposable) folder to build the rule sets in")
    parser.add_argument("--mutate", action="store_true", help="also the repository's rules with each edit of MUTATIONS")
    parser.add_argument("--every", type=int, default=1, metavar="N", help="with --mutate: one mutated rule set of every N")
    args = parser.parse_args()
    root = args.root.resolve()
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    mutated = mutated_rule_sets(root, args.every) if args.mutate else ()
    for name, directory, extra in chain(rule_sets(root), mutated):  # lazily: a mutated file is restored after its run
        for line in snapshot(name, directory, extra):
            print(line.replace(str(root), "ROOT").replace(str(REPO), "REPO"))


if __name__ == "__main__":
    main()
