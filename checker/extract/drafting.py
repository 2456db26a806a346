"""Drafts as case files: the facts of a clinical text merged into a case (`mtus import`), or a
whole draft case file around the requests given (`mtus extract`), written and checked as
`mtus draft` will load it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from checker.base.errors import SITE_RULES, InputError
from checker.extract.extractor import Extractor
from checker.extract.model import SOURCE
from checker.load.case import case_from_text, dump_case
from checker.load.ruleset import RuleSet


def draft_facts(summary: str, request_texts: list[str], ruleset: RuleSet, as_of: dt.date | None = None) -> dict:
    """Draft the case-file keys a clinical text supports: claimant, dates.injury, diagnoses,
    medications, facts, requests (one entry per request text, in order, with the facts about that
    item) and extraction (evidence for the values that cannot carry their own, and what was left
    out). Merge it into a case file with merge_draft()."""
    return extractor_for(ruleset).draft(summary, request_texts, as_of)


_EXTRACTORS: list[tuple[RuleSet, Extractor]] = []  # the last few compiled, by rule set (compiling takes about a second)


def extractor_for(ruleset: RuleSet) -> Extractor:
    """The compiled extractor of a rule set, built once per rule set object."""
    for known, extractor in _EXTRACTORS:
        if known is ruleset:
            return extractor
    extractor = Extractor(ruleset)
    _EXTRACTORS[:] = [*_EXTRACTORS[-3:], (ruleset, extractor)]
    return extractor


def merge_draft(case: dict, draft: dict) -> dict:
    """A case-file mapping with the draft's keys added; item facts (and a timing or dosing the request line
    leaves out) join the case's requests by position, keeping their ids and parsed fields."""
    merged = dict(case)
    for key in ("claimant", "dates"):
        if key in draft:
            merged[key] = {**draft[key], **dict(case.get(key) or {})}
    for key in ("diagnoses", "medications", "facts", "extraction"):
        if key in draft and key not in case:
            merged[key] = draft[key]
    requests = [dict(r) for r in case.get("requests") or []]
    for own, drafted in zip(requests, draft.get("requests", []), strict=False):
        if drafted.get("facts"):
            own["facts"] = {**drafted["facts"], **dict(own.get("facts") or {})}
        if drafted.get("timing") and not own.get("timing"):
            own["timing"] = drafted["timing"]  # the records say what the request line does not: for after the surgery
        if drafted.get("body_parts") and not own.get("body_parts"):
            own["body_parts"] = drafted["body_parts"]  # where the records apply the cream or patch the line names no part for
        if drafted.get("frequency") and not own.get("frequency"):
            own["frequency"] = drafted["frequency"]  # the records' dosing of the drug, where the line writes none
        if drafted.get("new_start") and "new_start" not in own:
            own["new_start"] = True  # the records say the claimant never took the drug's class: the request starts it
        if drafted.get("visits") and own.get("visits") is None:
            own["visits"] = drafted["visits"]  # the plan's count of visits, where the line counts none
    if requests:
        merged["requests"] = requests
    return merged


def draft_case(
    text: str, request_texts: list[str], ruleset: RuleSet, as_of: dt.date | None = None, case_id: str = "draft", source: str = ""
) -> dict:
    """A draft case file for `mtus extract`: the drafted facts around the requests given (ids
    item1, item2, ...) and, when known, the request date (the as-of date)."""
    drafted = draft_facts(text, request_texts, ruleset, as_of)
    case: dict[str, Any] = {"schema": "mtus-case/1", "case": case_id}
    if source:
        case["source"] = source
    if "claimant" in drafted:
        case["claimant"] = drafted["claimant"]
    dates = {**drafted.get("dates", {}), **({"request": as_of} if as_of else {})}
    if dates:
        case["dates"] = dates
    for key in ("diagnoses", "medications", "facts"):
        if key in drafted:
            case[key] = drafted[key]
    case["requests"] = [{"id": f"item{i + 1}", **r} for i, r in enumerate(drafted["requests"])]
    case["extraction"] = drafted["extraction"]
    return case


def require_loadable(case: dict, ruleset: RuleSet, source: str) -> None:
    """Load the draft exactly as `mtus draft` would load the file `mtus extract` writes; what stops
    it is raised as what the command line must give (--request, --as-of) or, failing that, the text."""
    try:
        case_from_text(dump_case(case), ruleset, "draft.yaml")
    except InputError as exc:
        raise _as_command_line(exc, source) from None


_UNKNOWN_DRUG_FIX = f"name the drug in the request by a generic or brand name the rules know, or add it to drugs.yaml in {SITE_RULES}"


def _as_command_line(exc: InputError, source: str) -> InputError:
    item = re.match(r"requests\[(\d+)\]", exc.field)
    if item:
        fix = _UNKNOWN_DRUG_FIX if "drug" in exc.problem else exc.fix
        return InputError("command line", f"--request #{int(item.group(1)) + 1}", exc.problem, fix)
    if exc.field == "dates.request":
        return InputError("command line", "--as-of", exc.problem, exc.fix)
    return InputError(source or SOURCE, exc.field, f"the drafted case file would not load: {exc.problem}", exc.fix)
