"""The reviewer's working case: started from clinical text, a case file or an IMR letter, changed
fact by fact by the reviewer, checked and drafted by the library at every step.

The page carries the whole state in its form (the case as case-file YAML, the clinical text, the
draft as edited): nothing is kept on the server between two requests, and nothing is written to
disk. Each step parses the case-file YAML exactly as `mtus check` would, so the case file the
reviewer downloads gives the same checklist and the same draft on the command line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.api import Checker, CheckResult
from checker.base.yamlio import parse_yaml
from checker.extract import MAX_TEXT_BYTES, draft_case, draft_facts, merge_draft
from checker.imr.importer import Importer
from checker.imr.letters import letter_text, parse_letter
from checker.load.case import case_from_text, case_mapping, dump_case
from checker.load.vocabulary import FactDef
from checker.render.render import render

CASE = "case"  # the `where` of a case-level fact; an item's is "item-<index>"


class FormProblem(Exception):
    """Input the page refuses before the library sees it; templates/web/_notices.j2 words it by kind."""

    def __init__(self, kind: str, field: str = "", **details: Any) -> None:
        super().__init__(kind)
        self.kind = kind
        self.field = field
        self.details = details


@dataclass(frozen=True)
class FactEdit:
    """A reviewer's change: set (confirm or correct, and settle a conflict), add, or remove a fact."""

    action: str  # set | add | remove
    where: str  # "case" or "item-<index>"
    name: str
    value: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Checked:
    """One step's result: the case-file text, the library's report and the generated draft."""

    case: dict[str, Any]
    case_yaml: str
    name: str  # the case file's name: errors and downloads use it
    result: CheckResult
    draft: str  # the Markdown draft as the templates write it


class Workbench:
    """One rule set loaded once for every request of the server. The rule engine is not shared
    between threads: evaluations take turns (one evaluation is a few milliseconds)."""

    def __init__(self, rules_dir: Path | None = None, templates_dir: Path | None = None) -> None:
        self.checker = Checker(rules_dir, registration="all")
        self.ruleset = self.checker.ruleset
        self.templates_dir = templates_dir
        self._engine_lock = threading.Lock()
        self._importer: Importer | None = None

    # ---- starting a case -------------------------------------------------------------------------

    def new_case(self, text: str, request_lines: str, request_date: str, case_id: str = "") -> dict[str, Any]:
        """A case drafted from clinical text (checker.extract) around the requested items, one a line."""
        if not text.strip():
            raise FormProblem("no_text", "text")
        if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
            raise FormProblem("text_too_long", "text", limit=MAX_TEXT_BYTES)
        requests = [line.strip() for line in request_lines.splitlines() if line.strip()]
        if not requests:
            raise FormProblem("no_requests", "requests")
        day = _date(request_date, "request_date")
        return draft_case(text, requests, self.ruleset, day, _case_id(case_id) or "draft")

    def open_case_file(self, text: str, name: str, clinical_text: str = "") -> tuple[dict[str, Any], str, bool]:
        """A saved case file (YAML text) and, when given, the clinical text its facts came from.
        Returns the case, the text to show and whether that text was refused (not the one the facts
        were drafted from). A case with no drafted facts gets them from the text (merge_draft)."""
        case = case_mapping(text, name)
        self.check(case, name)  # refused here, as `mtus check` refuses it, before anything is shown
        if not clinical_text.strip():
            return case, "", False
        extraction = case.get("extraction") if isinstance(case.get("extraction"), dict) else None
        if extraction and extraction.get("text_sha256"):
            same = extraction["text_sha256"] == hashlib.sha256(clinical_text.encode("utf-8")).hexdigest()
            return case, clinical_text if same else "", not same
        drafted = draft_facts(clinical_text, [str(r.get("text", "")) for r in case.get("requests") or []], self.ruleset, _request_date(case))
        return merge_draft(case, drafted), clinical_text, False

    def open_letter(self, data: bytes, name: str) -> tuple[dict[str, Any], str]:
        """An IMR letter (PDF or text) read by the importer: its case (the letter's decisions under
        expected:) and its clinical case summary, which the drafted facts point into."""
        letter = parse_letter(letter_text(data, name), name)
        draft = self.importer.draft_from_letter(letter, name, Path(name).stem)
        return draft.content, letter.summary

    @property
    def importer(self) -> Importer:
        if self._importer is None:
            self._importer = Importer(self.ruleset)
        return self._importer

    # ---- the reviewer's changes ----------------------------------------------------------------

    def apply(self, case: dict[str, Any], edit: FactEdit) -> dict[str, Any]:
        """The case with the edit made; the library refuses what a case file may not hold (a
        reviewer's fact without a reason, a value of the wrong type) when it is checked."""
        fact = self.ruleset.vocabulary.get(edit.name)
        if fact is None or fact.derived:
            raise FormProblem("unknown_fact", edit.name, name=edit.name)
        changed = _copy(case)
        facts = _facts_at(changed, edit.where)
        if edit.action == "remove":
            facts.pop(edit.name, None)
            return changed
        if edit.action == "add" and edit.name in facts:
            raise FormProblem("fact_exists", edit.name, name=edit.name)
        value = parse_value(fact, edit.value)
        facts[edit.name] = reviewer_entry(facts.get(edit.name), value, edit.reason)
        return changed

    # ---- checking and drafting -----------------------------------------------------------------

    def check(self, case: dict[str, Any], name: str = "") -> Checked:
        """The case as its case file, loaded back as `mtus check` loads it, checked and drafted."""
        name = name or f"{file_stem(case)}.yaml"
        case_yaml = dump_case(case)
        loaded = case_from_text(case_yaml, self.ruleset, name)
        with self._engine_lock:
            result = self.checker.check_case(loaded)
        return Checked(case, case_yaml, name, result, self.render_draft(result.report, "markdown"))

    def render_draft(self, report: dict[str, Any], fmt: str) -> str:
        return render("draft", fmt, {"report": report}, self.templates_dir)

    def regress(self, folder: str, divergences: str = "") -> dict[str, Any]:
        from checker.measure.regress import default_jobs, load_divergences, regress

        if not folder.strip():
            raise FormProblem("no_folder", "folder")
        listed = load_divergences([Path(divergences.strip()).expanduser()]) if divergences.strip() else {}
        with self._engine_lock:
            run = regress(self.checker, [Path(folder.strip()).expanduser()], default_jobs(), divergences=listed)
        try:
            return run.summary()
        finally:
            run.close()


def parse_value(fact: FactDef, written: str) -> Any:
    """A value as the reviewer typed it: text for a text fact, else read as a case file reads it
    (true, false, 12, 7.5)."""
    written = written.strip()
    if not written:
        raise FormProblem("no_value", fact.name, name=fact.name)
    return written if fact.type == "string" else parse_yaml(written, "value", "fact value")


def reviewer_entry(previous: Any, value: Any, reason: str) -> dict[str, Any]:
    """A fact set by the reviewer, keeping where the text stated it (the evidence of the value
    chosen, when a conflict is settled)."""
    previous = previous if isinstance(previous, dict) else {}
    evidence = previous.get("evidence")
    for option in previous.get("conflict") or []:
        if isinstance(option, dict) and option.get("value") == value and option.get("evidence") is not None:
            evidence = option["evidence"]
    entry: dict[str, Any] = {"value": value, "origin": "reviewer"}
    if previous.get("source"):
        entry["source"] = previous["source"]
    entry["reason"] = reason.strip()
    if evidence is not None:
        entry["evidence"] = evidence
    return entry


def _facts_at(case: dict[str, Any], where: str) -> dict[str, Any]:
    if where == CASE:
        holder = case
    else:
        match = re.fullmatch(r"item-(\d+)", where)
        requests = case.get("requests")
        if not match or not isinstance(requests, list) or int(match.group(1)) >= len(requests) or not isinstance(requests[int(match.group(1))], dict):
            raise FormProblem("unknown_item", where)
        holder = requests[int(match.group(1))]
    if not isinstance(holder.get("facts"), dict):
        holder["facts"] = {}
    return holder["facts"]


def _copy(value: Any) -> Any:
    """A deep copy of plain case data (mappings, lists, scalars)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _date(written: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(written.strip())
    except ValueError:
        raise FormProblem("bad_date", field) from None


def _request_date(case: dict[str, Any]) -> dt.date | None:
    dates = case.get("dates")
    day = dates.get("request") if isinstance(dates, dict) else None
    return day if isinstance(day, dt.date) else None


def _case_id(written: str) -> str:
    return " ".join(written.split())[:80]


def file_stem(case: dict[str, Any]) -> str:
    """The case id as a file name: letters, digits, '.', '_' and '-' only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(case.get("case") or "case")).strip("._")[:80] or "case"
