"""Whole case summaries written in our own words, run as IMR letters (issue 14).

    python tools/own_cases.py                    # every case under tests/own_cases
    python tools/own_cases.py PATH... [--keep DIR]

Each case file (schema mtus-own-case/1, see tests/own_cases/README.md) holds a clinical case summary
written in the IMR style by someone who had not read the rules or cues, and the decision the guideline
supports for each requested item. This tool writes each case as an IMR-shaped letter, runs
`mtus import` and `mtus regress` on the letters exactly as a user would run them on real letters, and
prints one row per item (case, request, the expected and the tool's decision, topic), then agreement
beside always-uphold, approvals caught and false approvals. The letters' rationales are left out, so
the tool sees only the summary and the request lines. Deterministic; exit 0, or 2 on bad input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DIR = REPO / "tests" / "own_cases"
SCHEMA = "mtus-own-case/1"
DECISIONS = {"Overturned": "medically_necessary", "Upheld": "not_medically_necessary"}
_SHORT = {"medically_necessary": "MN", "not_medically_necessary": "NMN", "no_applicable_rule": "none", None: "-"}

LETTER = """Case Number: {number}
Date Assigned: {assigned} Date of Injury:  {injury}
Decision Date: {decided} UR Denial Date:  {ur}
Priority:  Standard Application
Received:
{received}

HOW THE IMR FINAL DETERMINATION WAS MADE
The letter's boilerplate is left out.

The Expert Reviewer has the following credentials:
State(s) of Licensure: California
Certification(s)/Specialty: {specialty}

CLINICAL CASE SUMMARY
The expert reviewer developed the following clinical case summary based on a review of the
case file, including all medical records:

{summary}

IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:

{items}
"""

ITEM = """{request}:  {decision}

Claims Administrator guideline: Decision based on MTUS {guideline}.

MAXIMUS guideline: Decision based on MTUS {guideline}.

Decision rationale: left out; the tool sees the summary only.
"""


class CaseError(Exception):
    """A case file that cannot be used; the message names the file and the field."""


def _us(day: dt.date) -> str:
    return day.strftime("%m/%d/%Y")


def _field(path: Path, data: dict, name: str, kind: type):
    value = data.get(name)
    if not isinstance(value, kind):
        raise CaseError(f"{path}: {name}: missing or not a {kind.__name__}; fix: see tests/own_cases/README.md")
    return value


def _item_text(path: Path, item: object) -> str:
    if not isinstance(item, dict):
        raise CaseError(f"{path}: items: each item must be a mapping; fix: see tests/own_cases/README.md")
    decision = _field(path, item, "decision", str)
    if decision not in DECISIONS:
        raise CaseError(f"{path}: items.decision: {decision!r}; fix: Overturned or Upheld")
    return ITEM.format(request=_field(path, item, "request", str), decision=decision,
                       guideline=_field(path, item, "guideline", str))


def letter_text(path: Path, number: str) -> str:
    """The IMR-shaped letter of one case file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise CaseError(f"{path}: schema: not {SCHEMA}; fix: start the file with 'schema: {SCHEMA}'")
    ur = _field(path, data, "ur_denial_date", dt.date)
    items = _field(path, data, "items", list)
    return LETTER.format(
        number=number, injury=_us(_field(path, data, "date_of_injury", dt.date)), ur=_us(ur),
        received=_us(ur + dt.timedelta(days=14)), assigned=_us(ur + dt.timedelta(days=20)),
        decided=_us(ur + dt.timedelta(days=45)), specialty=_field(path, data, "specialty", str),
        summary=_field(path, data, "summary", str).strip(),
        items="\n".join(_item_text(path, item) for item in items))


def case_files(paths: list[Path]) -> list[Path]:
    found = []
    for path in paths:
        found.extend(sorted(path.rglob("*.yaml")) if path.is_dir() else [path])
    return found


def _mtus(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from checker.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def run(paths: list[Path], work: Path) -> tuple[dict, dict[str, str]]:
    """Write the letters, import and regress them; the regress report and each case number's file."""
    letters, cases = work / "letters", work / "cases"
    letters.mkdir(parents=True, exist_ok=True)
    names = {}
    for index, path in enumerate(case_files(paths), start=1):
        number = f"CM99-{index:07d}"
        (letters / f"{number}.txt").write_text(letter_text(path, number), encoding="utf-8")
        names[number] = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else str(path)
    imported = _mtus("import", str(letters), "--out", str(cases))
    if imported.returncode not in (0, 2) or not any(cases.glob("*.yaml")):
        raise CaseError(f"mtus import failed: {imported.stderr.strip()}")
    regressed = _mtus("regress", str(cases), "--format", "json", "--jobs", "1")
    if not regressed.stdout.strip():
        raise CaseError(f"mtus regress failed: {regressed.stderr.strip()}")
    return json.loads(regressed.stdout), names


def summary_lines(report: dict, names: dict[str, str]) -> list[str]:
    lines = []
    rows = sorted(report["results"], key=lambda r: (names.get(r["case"], r["case"]), r["request"]))
    for row in rows:
        expected = row["expected"]["decision"]
        actual = (row.get("actual") or {}).get("decision")
        mark = "ok " if expected == actual else "XX "
        topic = (row.get("actual") or {}).get("topic") or "-"
        lines.append(f"{mark}{names.get(row['case'], row['case'])}: {row['request']}: "
                     f"expected {_SHORT[expected]}, tool {_SHORT[actual]} ({topic})")
    expected_mn = [r for r in rows if r["expected"]["decision"] == "medically_necessary"]
    expected_nmn = [r for r in rows if r["expected"]["decision"] == "not_medically_necessary"]

    def decided(r: dict) -> str | None:
        return (r.get("actual") or {}).get("decision")

    agree = sum(decided(r) == r["expected"]["decision"] for r in rows)
    caught = sum(decided(r) == "medically_necessary" for r in expected_mn)
    false_approvals = sum(decided(r) == "medically_necessary" for r in expected_nmn)
    no_rule = sum(decided(r) in (None, "no_applicable_rule") for r in rows)
    lines.append("")
    lines.append(f"items {len(rows)}, cases {len(names)}; no applicable rule {no_rule}")
    lines.append(f"agreement {agree}/{len(rows)}; always-uphold {len(expected_nmn)}/{len(rows)}")
    lines.append(f"approvals caught {caught}/{len(expected_mn)}; false approvals {false_approvals}/{len(expected_nmn)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[DEFAULT_DIR])
    parser.add_argument("--keep", type=Path, help="write the letters and case files here and keep them")
    args = parser.parse_args(argv)
    try:
        if args.keep:
            report, names = run(args.paths, args.keep)
        else:
            with tempfile.TemporaryDirectory(prefix="mtus-own-cases-") as work:
                report, names = run(args.paths, Path(work))
    except (CaseError, OSError, yaml.YAMLError) as error:
        print(f"own_cases: error: {error}", file=sys.stderr)
        return 2
    print("\n".join(summary_lines(report, names)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
