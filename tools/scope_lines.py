"""Request line by request line of the case files in a folder: can the rules read it (a known drug or
service), and does it get a rule on its request date. Unlike `mtus scope`, a line naming an unknown
drug is counted, not an error for its whole case file, so rule sets of different breadth compare:

    python tools/scope_lines.py tests/scope_probes
    git archive <commit> | tar -x -C /tmp/base && (cd /tmp/base && PYTHONPATH=. python /path/to/tools/scope_lines.py /path/to/tests/scope_probes)

Prints one line per request year and outcome: rule, no_topic, no_edition_in_force, edition_undetermined,
or unknown drug.
"""

from __future__ import annotations

import collections
import sys
import tempfile
from pathlib import Path

import yaml

from checker.base.errors import InputError
from checker.evaluate.evaluate import plan_case
from checker.load.case import load_case
from checker.load.ruleset import default_rules_dir, load_ruleset


def outcomes(folder: Path) -> collections.Counter:
    rules = load_ruleset(default_rules_dir())
    counts: collections.Counter = collections.Counter()
    with tempfile.TemporaryDirectory() as work:
        one = Path(work) / "case.yaml"
        for path in sorted(folder.glob("*.yaml")):
            body = yaml.safe_load(path.read_text(encoding="utf-8"))
            year = str(body["dates"]["request"])[:4]
            for request in body["requests"]:
                one.write_text(yaml.safe_dump({**body, "requests": [request]}), encoding="utf-8")
                try:
                    item = plan_case(rules, load_case(one, rules))[0]
                except InputError:
                    counts[(year, "unknown drug")] += 1
                    continue
                counts[(year, "rule" if item.main.edition is not None else item.main.no_rule_reason)] += 1
    return counts


if __name__ == "__main__":
    for (year, outcome), count in sorted(outcomes(Path(sys.argv[1])).items()):
        print(year, outcome, count)
