"""`mtus regress`: run case files that carry known decisions and report agreement, item by item."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from checker.case import Case, ExpectedCitation
from checker.errors import InputError

REGRESS_SCHEMA = "mtus-regress-report/1"


def collect_case_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.y*ml") if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.exists():
            found.append(path)
        else:
            raise InputError(str(path), "", "no such file or directory", "name case files or folders that exist")
    return sorted(set(found))


def run_regression(checker: Any, paths: list[Path]) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    cases_run = 0
    skipped = 0
    for path in collect_case_files(paths):
        try:
            case = checker.load(path)
        except InputError as exc:
            errors.append({"case": str(path), "error": exc.one_line()})
            continue
        if not case.expected:
            skipped += 1
            continue
        cases_run += 1
        report = checker.check_case(case).report
        results += [_compare(case, item) for item in report["items"] if item["id"] in case.expected]
    return _summary(results, errors, cases_run, skipped, checker.ruleset.stamp)


def _compare(case: Case, item: dict[str, Any]) -> dict[str, Any]:
    expected = case.expected[item["id"]]
    actual_citations = [
        {"guideline": g["guideline"], "edition": g["edition"], "section": s["section"], "pages": s["pages"]}
        for g in item["cited"] for s in g["sections"]
    ]
    decision_agrees = item["decision"] == expected.decision
    citation_agrees = citations_agree(expected.citations, actual_citations) if expected.citations else None
    divergence = next((d for d in case.known_divergences if d.item == item["id"]), None)
    status = _status(item["decision"], decision_agrees, citation_agrees, divergence)
    return {
        "case": case.case_id,
        "file": case.path,
        "item": item["id"],
        "request": item["request"],
        "expected": {
            "decision": expected.decision,
            "citations": [c.__dict__ for c in expected.citations],
            "non_mtus": expected.non_mtus,
        },
        "actual": {"decision": item["decision"], "citations": actual_citations, "topic": (item["topic"] or {}).get("id")},
        "agree": decision_agrees,
        "citation_agree": citation_agrees,
        "known_divergence": {"about": divergence.about, "reason": divergence.reason} if divergence else None,
        "status": status,
    }


def _status(actual: str, decision_agrees: bool, citation_agrees: bool | None, divergence: Any) -> str:
    if actual == "no_applicable_rule":
        return "no_rule"
    diverges_on = "decision" if not decision_agrees else ("citation" if citation_agrees is False else None)
    if diverges_on is None:
        return "stale_divergence" if divergence else "agree"
    if divergence and divergence.about == diverges_on:
        return "known_divergence"
    return "disagree"


def citations_agree(expected: tuple[ExpectedCitation, ...], actual: list[dict[str, str]]) -> bool:
    """Same guideline (and edition when given), and overlapping pages; sections when no page is cited."""
    from checker.rules import parse_pages

    for e in expected:
        for a in actual:
            if e.guideline != a["guideline"] or (e.edition and e.edition != a["edition"]):
                continue
            if e.pages:
                if parse_pages(e.pages) & parse_pages(a["pages"]):
                    return True
            elif e.section and _same_section(e.section, a["section"]):
                return True
    return False


def _same_section(left: str, right: str) -> bool:
    a, b = _words(left), _words(right)
    return bool(a) and bool(b) and (a <= b or b <= a)


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", text.lower()))


def _summary(results: list[dict[str, Any]], errors: list[dict[str, str]], cases: int, skipped: int, stamp: str) -> dict[str, Any]:
    count = lambda status: sum(1 for r in results if r["status"] == status)  # noqa: E731
    ruled = [r for r in results if r["status"] != "no_rule"]
    failures = count("disagree") + count("stale_divergence")
    cited = [r for r in ruled if r["citation_agree"] is not None]
    return {
        "schema": REGRESS_SCHEMA,
        "ruleset": stamp,
        "cases": cases,
        "cases_without_expected": skipped,
        "items": len(results),
        "agree": sum(1 for r in ruled if r["agree"]),
        "disagree": sum(1 for r in ruled if not r["agree"]),
        "no_rule": count("no_rule"),
        "citation_checked": len(cited),
        "citation_agree": sum(1 for r in cited if r["citation_agree"]),
        "known_divergences": count("known_divergence"),
        "stale_divergences": count("stale_divergence"),
        "failures": failures,
        "errors": errors,
        "passed": cases > 0 and failures == 0 and not errors,
        "results": results,
    }
