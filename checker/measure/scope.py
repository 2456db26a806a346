"""`mtus scope`: how many requested items in a set of case files have an applicable rule."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from checker.base.errors import InputError
from checker.evaluate.evaluate import plan_case
from checker.evaluate.results import ItemResult
from checker.load.case import load_case
from checker.load.ruleset import RuleSet
from checker.measure.regress import collect_case_files

SCOPE_SCHEMA = "mtus-scope-report/1"


def scope_report(ruleset: RuleSet, paths: list[Path]) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    files = collect_case_files(paths)
    for path in files:
        try:
            case = load_case(path, ruleset)
        except InputError as error:
            errors.append({"file": str(path), "error": error.one_line()})
            continue
        items += [_item(str(path), case.case_id, planned) for planned in plan_case(ruleset, case)]
    return _summary(ruleset, items, errors, len(files))


def _item(path: str, case_id: str, planned: ItemResult) -> dict[str, Any]:
    own = planned.main
    gate = next((u for u in planned.units if u.role == "gate" and u.edition is not None), None)
    if own.edition is not None:
        coverage = "rule"
    elif gate is not None:
        coverage = "gate_only"  # decided only when the procedure it serves is not medically necessary
    else:
        coverage = own.no_rule_reason
    request = planned.request
    return {
        "file": path,
        "case": case_id,
        "item": request.id,
        "request": request.text,
        "kind": request.drug or request.service or ("compound" if request.ingredients else ""),
        "topic": own.topic.topic if own.topic else None,
        "edition": own.edition.edition if own.edition else None,
        "coverage": coverage,
        # judged by a topic of general principles: no topic names the item's service or body part
        "general_principles": bool(own.edition is not None and own.topic.general_principles),
    }


def _summary(ruleset: RuleSet, items: list[dict[str, Any]], errors: list[dict[str, str]], files: int) -> dict[str, Any]:
    counts = Counter(i["coverage"] for i in items)
    covered = counts["rule"] + counts["gate_only"]
    uncovered = [i for i in items if i["coverage"] not in ("rule", "gate_only")]
    return {
        "schema": SCOPE_SCHEMA,
        "ruleset": ruleset.stamp,
        "files": files,
        "requested": len(items),
        "with_rule": counts["rule"],
        "gate_only": counts["gate_only"],
        "general_principles": sum(1 for i in items if i["general_principles"]),
        "general_principles_kinds": _kinds(i for i in items if i["general_principles"]),
        "covered": covered,
        "percent": round(100 * covered / len(items), 1) if items else 0.0,
        "without_rule": {reason: counts[reason] for reason in ("no_topic", "no_edition_in_force", "edition_undetermined") if counts[reason]},
        "uncovered_kinds": _kinds(uncovered),
        "uncovered": uncovered,
        "errors": errors,
        "by_topic": [{"topic": t, "count": n} for t, n in sorted(Counter(i["topic"] for i in items if i["topic"]).items())],
    }


def _kinds(items: Any) -> list[dict[str, Any]]:
    by_kind = Counter(i["kind"] or "(not recognised)" for i in items)
    return [{"kind": kind, "count": n} for kind, n in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))]
