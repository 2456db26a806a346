"""Small rule sets for tests: the repository's vocabulary and lexicons (rules/*.yaml and rules/facts/)
copied into a temporary directory, beside synthetic topics written in the rule format (mtus-rules/2).

    short = criterion("demo.short_use", "Short use", requirement="use stays within 3 weeks",
                      citation=cite("cpmtg", "2009", "Carisoprodol (Soma)", "29"),
                      met_when={"fact": "weeks_of_use", "lte": 3})
    rules = rules_dir(tmp_path, topic("demo", "Demo relaxant", {"drugs": ["carisoprodol"]}, [short]))

A criterion's keyword arguments are its first dated block (dated `since`); `changes` adds later
blocks ({"2016-07-29": {...}}). Block dates are written as YAML dates, as in the rule files.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

REPO_RULES = Path(__file__).resolve().parent.parent / "rules"
BAD_RULES = Path(__file__).resolve().parent / "bad_rules"
CPMTG_2009 = ("cpmtg", "2009")


def rules_dir(root: Path, *topics: dict) -> Path:
    """root/rules: the repository's rules without its topics, and the given topics in topics/."""
    rules = root / "rules"
    (rules / "topics").mkdir(parents=True)
    for path in REPO_RULES.glob("*.yaml"):
        shutil.copy(path, rules / path.name)
    shutil.copytree(REPO_RULES / "facts", rules / "facts")
    for body in topics:
        write_topic(rules, body)
    return rules


def rules_with(root: Path, bad: str | None) -> tuple[Path, Path]:
    """A rules directory of the bad-rules corpus (tests/bad_rules/, described in tests/test_bad_input.py):
    the repository's vocabulary and lexicons, the clean topic, and the file `bad` (a path under
    bad_rules/, or None) in its place. Returns (rules directory, the file in it that holds the defect)."""
    rules = rules_dir(root)
    topic = rules / "topics" / "hostile.yaml"
    shutil.copy(BAD_RULES / "clean_topic.yaml", topic)
    if bad is None:
        return rules, topic
    targets = {"topics": topic, "facts": rules / "facts" / "hostile.yaml", "guidelines": rules / "guidelines.yaml"}
    target = targets[bad.split("/", 1)[0]]
    shutil.copy(BAD_RULES / bad, target)
    return rules, target


def write_topic(rules: Path, body: dict) -> Path:
    path = rules / "topics" / f"{body['topic']}.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def cite(guideline: str, edition: str, section: str, pages: str = "", **more: Any) -> dict:
    citation = {"guideline": guideline, "edition": edition, "section": section}
    return {**citation, "pages": pages, **more} if pages else {**citation, **more}


def criterion(cid: str, title: str, *, role: str = "indication", since: str = "2009-07-18", under: Iterable[str] = (),
              provenance: dict | None = None, changes: dict[str, dict] | None = None, **block: Any) -> dict:
    body: dict[Any, Any] = {"id": cid, "role": role, "title": title}
    if under:
        body["under"] = list(under)
    if provenance is not None:
        body["provenance"] = provenance
    body[dt.date.fromisoformat(since)] = block
    for day, later in (changes or {}).items():
        body[dt.date.fromisoformat(day)] = later
    return body


def topic(name: str, title: str, applies_to: dict, criteria: list[dict], *, follows: Iterable[tuple | dict] = (CPMTG_2009,),
          indicated_when: Any = None, on_denial: str | None = None, provenance: dict | None = None,
          not_encoded: list[dict] | None = None) -> dict:
    """A topic file's body; `follows` entries are (guideline, edition) or mappings with `when:`."""
    body: dict[str, Any] = {
        "schema": "mtus-rules/2",
        "topic": name,
        "title": title,
        "applies_to": applies_to,
        "follows": [f if isinstance(f, dict) else {"guideline": f[0], "edition": f[1]} for f in follows],
    }
    if provenance is not None:
        body["provenance"] = provenance
    if not_encoded is not None:
        body["not_encoded"] = not_encoded
    decision = {k: v for k, v in (("indicated_when", indicated_when), ("on_denial", on_denial)) if v is not None}
    if decision:
        body["decision"] = decision
    body["criteria"] = criteria
    return body
