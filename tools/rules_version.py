"""The rule-set version: every change to a rule file gets a version entry saying, in words, which
topics and which request periods it affects.

rules/changelog.yaml lists the versions, newest first. The newest entry's `version` is the one in
rules/ruleset.yaml (and so in every output's stamp), and its `digest` is the digest of the rule files
as they are (the stamp shows its first 12 characters). tests/test_rules_version.py fails when the rule
files change without a new entry. To add one (it sets ruleset.yaml's version, and writes today's date
and the new digest):

    python tools/rules_version.py bump 0.2.0 --topics opioids,nsaids --periods "from 2016-07-29" \\
        --summary "Opioids: the MME limit of the 2016 update is 90, no longer 120."
    python tools/rules_version.py check      # what is missing or wrong, if anything (exit 1)
    python tools/rules_version.py digest     # the digest of the rule files as they are

--topics takes topic ids or `all`; --periods takes request dates as `all`, `from DATE`, `until DATE`
or `DATE to DATE` (the requests whose decision or draft may change), several separated by commas.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from checker.base.errors import InputError
from checker.load.ruleset import default_rules_dir, load_ruleset

CHANGELOG = "changelog.yaml"
ENTRY_KEYS = ("version", "date", "topics", "periods", "summary", "digest")
_VERSION = re.compile(r"\d+\.\d+\.\d+")
_DATE = r"\d{4}-\d{2}-\d{2}"
_PERIOD = re.compile(rf"all|from {_DATE}|until {_DATE}|{_DATE} to {_DATE}")
_HOW_TO_ADD = "add a version entry: python tools/rules_version.py bump VERSION --topics ... --periods ... --summary ..."


def problems(rules_dir: Path) -> list[str]:
    """Everything wrong with rules_dir/changelog.yaml against the rule files; [] when it covers them."""
    try:
        entries = _entries(rules_dir / CHANGELOG)
    except (InputError, OSError, yaml.YAMLError) as exc:
        return [f"{rules_dir / CHANGELOG}: cannot be read ({exc})"]
    found = [problem for i, entry in enumerate(entries) for problem in _entry_problems(entry, f"versions[{i}]")]
    found += _order_problems(entries)
    if found or not entries:
        return found or [f"{rules_dir / CHANGELOG}: no version entry; {_HOW_TO_ADD}"]
    return _newest_problems(entries[0], rules_dir)


def _entries(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    versions = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise InputError(str(path), "versions", "expected a list of version entries", "see the example at the top of the file")
    return versions


def _entry_problems(entry: dict[str, Any], where: str) -> list[str]:
    found = [f"{where}: lacks {key}" for key in ENTRY_KEYS if not entry.get(key)]
    found += [f"{where}: unknown key {key}" for key in entry if key not in ENTRY_KEYS]
    if entry.get("version") and not _VERSION.fullmatch(str(entry["version"])):
        found.append(f"{where}.version: write MAJOR.MINOR.PATCH, found {entry['version']!r}")
    if entry.get("date") and not isinstance(entry["date"], dt.date):
        found.append(f"{where}.date: write YYYY-MM-DD, found {entry['date']!r}")
    for key in ("topics", "periods"):
        if entry.get(key) and not (isinstance(entry[key], list) and all(isinstance(v, str) and v for v in entry[key])):
            found.append(f"{where}.{key}: expected a list of names")
    for period in entry.get("periods") or []:
        if isinstance(period, str) and not _PERIOD.fullmatch(period):
            found.append(f"{where}.periods: {period!r} is not 'all', 'from DATE', 'until DATE' or 'DATE to DATE'")
    if entry.get("digest") and not re.fullmatch(r"[0-9a-f]{64}", str(entry["digest"])):
        found.append(f"{where}.digest: expected the 64 hex digits of the rule files' SHA-256")
    return found


def _order_problems(entries: list[dict[str, Any]]) -> list[str]:
    found = []
    for newer, older in zip(entries, entries[1:], strict=False):
        if _version_key(newer) <= _version_key(older):
            found.append(f"version {newer.get('version')} is listed above {older.get('version')}, which is not older: newest first")
        if isinstance(newer.get("date"), dt.date) and isinstance(older.get("date"), dt.date) and newer["date"] < older["date"]:
            found.append(f"version {newer.get('version')} is dated before {older.get('version')}")
    digests = [e.get("digest") for e in entries]
    found += [f"digest {d} is given for two versions" for d in sorted({d for d in digests if digests.count(d) > 1})]
    return found


def _version_key(entry: dict[str, Any]) -> tuple[int, ...]:
    version = str(entry.get("version"))
    return tuple(int(part) for part in version.split(".")) if _VERSION.fullmatch(version) else ()


def _newest_problems(newest: dict[str, Any], rules_dir: Path) -> list[str]:
    ruleset = load_ruleset(rules_dir)
    found = []
    if newest["digest"] != ruleset.digest:
        changed = f"the rule files changed since version {newest['version']} (digest {ruleset.digest[:12]}, not {str(newest['digest'])[:12]})"
        found.append(f"{changed}; {_HOW_TO_ADD}")
    elif str(newest["version"]) != ruleset.version:
        found.append(f"ruleset.yaml says version {ruleset.version}, the newest entry {newest['version']}; make them the same")
    topics = {t.topic for t in ruleset.topics}
    unknown = [t for t in newest["topics"] if t != "all" and t not in topics]
    if unknown:
        found.append(f"version {newest['version']} names topics the rules do not have: {', '.join(unknown)} (use topic ids, or all)")
    if newest["date"] > dt.date.today():
        found.append(f"version {newest['version']} is dated in the future ({newest['date']})")
    return found


def bump(rules_dir: Path, version: str, topics: list[str], periods: list[str], summary: str, today: dt.date | None = None) -> None:
    """Set ruleset.yaml's version and add an entry for the rule files as they are on top of the changelog."""
    meta = rules_dir / "ruleset.yaml"
    text, count = re.subn(r"(?m)^version:.*$", f"version: {version}", meta.read_text(encoding="utf-8"), count=1)
    if count != 1:
        raise InputError(str(meta), "version", "no 'version:' line", "add version: X.Y.Z")
    meta.write_text(text, encoding="utf-8")
    entry = "\n".join([
        f"  - version: {version}",
        f"    date: {(today or dt.date.today()).isoformat()}",
        f"    topics: {json.dumps(topics)}",
        f"    periods: {json.dumps(periods)}",
        f"    summary: {json.dumps(' '.join(summary.split()))}",
        f"    digest: {load_ruleset(rules_dir).digest}",
    ])
    path = rules_dir / CHANGELOG
    # the entry is inserted as it is: a summary's backslashes (json's "\u00f6") are not a replacement template's escapes
    changelog, count = re.subn(r"(?m)^versions:[ \t]*$", lambda _: "versions:\n" + entry, path.read_text(encoding="utf-8"), count=1)
    if count != 1:
        raise InputError(str(path), "versions", "no 'versions:' line", "restore the file's 'versions:' line")
    path.write_text(changelog, encoding="utf-8")


def _names(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", type=Path, default=None, help="rules directory (default: the packaged rules)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="list what the changelog lacks for the rule files as they are")
    commands.add_parser("digest", help="print the digest of the rule files")
    add = commands.add_parser("bump", help="set the version and add its entry")
    add.add_argument("version")
    add.add_argument("--topics", required=True, type=_names, help="topic ids, or all, separated by commas")
    add.add_argument("--periods", required=True, type=_names, help="all, 'from DATE', 'until DATE' or 'DATE to DATE', separated by commas")
    add.add_argument("--summary", required=True, help="what changed, in words")
    args = parser.parse_args(argv)
    rules_dir = args.rules or default_rules_dir()
    try:
        if args.command == "digest":
            print(load_ruleset(rules_dir).digest)
            return 0
        if args.command == "bump":
            bump(rules_dir, args.version, args.topics, args.periods, args.summary)
        found = problems(rules_dir)
    except InputError as exc:
        print(f"rules_version: error: {exc.one_line()}", file=sys.stderr)
        return 2
    print("\n".join(found) if found else f"ok: version {load_ruleset(rules_dir).version} covers the rule files")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
