#!/usr/bin/env python3
"""Convert topic files from the edition-copy format (mtus-rules/1) to dated criteria (mtus-rules/2).

    python tools/migrate_rules_v2.py rules/topics/*.yaml [--ids-map FILE]

mtus-rules/1 repeated a whole topic per edition, with the edition in every criterion id
(`carisoprodol.cpmtg2009.no_long_term_use`). mtus-rules/2 keeps one criterion with a stable id
(`carisoprodol.no_long_term_use`) whose dated blocks say what changed on which date, and names the
guideline editions the topic follows (their dates are in rules/guidelines.yaml). The conversion
keeps every decision: each criterion becomes an `indication` (an undocumented or unmet one defeats
the request, as every criterion did in mtus-rules/1) and the edition's decision tree becomes
`decision.indicated_when`; the topic's `sources:` paragraph becomes `provenance.summary`.
Roles, structured provenance and `not_encoded:` are then written by hand, topic by topic.

--ids-map FILE writes `old id: new id` lines, for updating fixtures and keys that name criteria.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import textwrap
from collections import Counter
from pathlib import Path

import yaml

WIDTH = 104
# The guideline family an old edition name starts with ("acoem-2004-acute-low-back": acoem2004_*).
_FAMILY = {"cpmtg": "cpmtg", "opioids": "opioids_tg", "acoem": "acoem", "odg": "odg", "postsurgical": "postsurgical", "acupuncture": "acupuncture"}
# Old edition names that do not say which guideline they follow, by the edition name.
_EDITION_GUIDELINE = {
    "imr-practice": ("imr_practice", "any"),
    "drug-information": ("other", "any"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--guidelines", type=Path, default=Path("rules/guidelines.yaml"))
    parser.add_argument("--ids-map", type=Path)
    args = parser.parse_args()
    guidelines = yaml.safe_load(args.guidelines.read_text())["guidelines"]
    id_map: dict[str, str] = {}
    for path in args.files:
        text = path.read_text()
        data = yaml.safe_load(text)
        if data.get("schema") != "mtus-rules/1":
            print(f"{path}: not mtus-rules/1, left alone", file=sys.stderr)
            continue
        converted, ids = convert(data, guidelines, path)
        id_map.update(ids)
        path.write_text(header_comments(text) + emit_topic(converted, comments(text, ids)))
    if args.ids_map:
        args.ids_map.write_text("".join(f"{old}: {new}\n" for old, new in sorted(id_map.items())))
    return 0


def header_comments(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines) + "\n" if lines else ""


def comments(text: str, ids: dict[str, str]) -> dict[tuple[str, str], str]:
    """Inline comments on a criterion's keys, by (new criterion id, key)."""
    found: dict[tuple[str, str], str] = {}
    current = ""
    key = ""
    for line in text.splitlines():
        match = re.match(r"\s+- id: (\S+)", line)
        if match:
            current = ids.get(match.group(1), match.group(1))
            continue
        top = re.match(r"        ([a-z_]+):", line)
        if top:
            key = top.group(1)
        comment = re.search(r"\s#\s(.+)$", line)
        if comment and current and key and (current, key) not in found:
            found[(current, key)] = comment.group(1).strip()
    return found


def stable_id(old: str) -> str:
    parts = old.split(".")
    return f"{parts[0]}.{parts[-1]}" if len(parts) == 3 else old


def followed_guideline(edition: dict, guidelines: dict, path: Path) -> tuple[str, str]:
    if edition["edition"] in _EDITION_GUIDELINE:
        return _EDITION_GUIDELINE[edition["edition"]]
    cited = Counter(
        (c["citation"]["guideline"], str(c["citation"]["edition"]))
        for c in edition["criteria"] if c.get("citation")
    )
    family = _FAMILY.get(edition["edition"].split("-")[0], "")
    start, end = edition["effective_from"], edition.get("effective_to")
    for key, _ in sorted(cited.most_common(), key=lambda kc: not kc[0][0].startswith(family)):
        dates = guidelines[key[0]]["editions"][key[1]]
        if dates.get("effective_from") == start and dates.get("effective_to") == end:
            return key
    raise SystemExit(f"{path}: edition {edition['edition']} ({start}..{end}) matches the dates of no guideline it cites: {dict(cited)}")


def convert(data: dict, guidelines: dict, path: Path) -> tuple[dict, dict[str, str]]:
    follows = []
    criteria: dict[str, dict] = {}
    ids: dict[str, str] = {}
    trees = []
    on_denial = set()
    for edition in data["editions"]:
        guideline, number = followed_guideline(edition, guidelines, path)
        entry = {"guideline": guideline, "edition": number}
        if edition.get("when") is not None:
            entry["when"] = edition["when"]
        follows.append(entry)
        start = edition["effective_from"]
        in_edition = []
        for old in edition["criteria"]:
            new_id = stable_id(old["id"])
            if new_id in criteria and criteria[new_id]["_guideline"] != guideline and _concurrent(criteria[new_id], edition):
                new_id = f"{new_id}_{guideline.removeprefix('acoem2004_')}"
            ids[old["id"]] = new_id
            in_edition.append(new_id)
            block = {k: v for k, v in old.items() if k not in ("id", "title")}
            if new_id not in criteria:
                criteria[new_id] = {"id": new_id, "role": "indication", "title": old["title"], "_blocks": {}, "_guideline": guideline,
                                    "_from": start, "_to": edition.get("effective_to"), "_under": set()}
            entry_c = criteria[new_id]
            entry_c["_under"].add(guideline)
            previous = _merged(entry_c["_blocks"])
            change = {k: v for k, v in block.items() if previous.get(k) != v}
            change.update({k: None for k in previous if k not in block})  # a key the later edition drops
            if old["title"] != entry_c["title"]:
                change["title"] = old["title"]
            if change or not entry_c["_blocks"]:
                entry_c["_blocks"][start] = {k: v for k, v in change.items() if v is not None}
            entry_c["_to"] = edition.get("effective_to")
        for cid, entry_c in criteria.items():
            if entry_c["_guideline"] == guideline and cid not in in_edition and entry_c["_from"] < start and start not in entry_c["_blocks"]:
                entry_c["_blocks"][start] = {"withdrawn": True}
        trees.append(_renamed(edition["decision"]["medically_necessary_when"], ids))
        on_denial.add(edition["decision"].get("on_denial", "none"))
    if len(on_denial) > 1:
        raise SystemExit(f"{path}: editions advise differently on denial: {sorted(on_denial)}")
    guidelines_followed = {f["guideline"] for f in follows}
    out_criteria = []
    for entry_c in criteria.values():
        written = {"id": entry_c["id"], "role": entry_c["role"], "title": entry_c["title"]}
        if len(guidelines_followed) > 1 and entry_c["_under"] != guidelines_followed:
            written["under"] = sorted(entry_c["_under"])
        written.update(dict(sorted(entry_c["_blocks"].items())))
        out_criteria.append(written)
    decision = {}
    tree = _common_tree(trees, out_criteria, path)
    if tree is not None:
        decision["indicated_when"] = tree
    decision["on_denial"] = on_denial.pop()
    topic = {
        "schema": "mtus-rules/2",
        "topic": data["topic"],
        "title": data["title"],
        "applies_to": data["applies_to"],
        "follows": follows,
        "provenance": {"summary": " ".join(str(data.get("sources", "")).split())},
        "decision": decision,
        "criteria": out_criteria,
    }
    return topic, ids


def _concurrent(entry: dict, edition: dict) -> bool:
    end = entry["_to"] or dt.date(9999, 12, 31)
    return edition["effective_from"] <= end


def _merged(blocks: dict) -> dict:
    merged: dict = {}
    for _, block in sorted(blocks.items()):
        if block.get("withdrawn"):
            merged = {}
            continue
        merged.update(block)
    return merged


def _renamed(tree, ids: dict[str, str]):
    if isinstance(tree, str):
        return ids.get(tree, tree)
    (kind, parts), = tree.items()
    return {kind: [_renamed(p, ids) for p in parts]}


def _common_tree(trees: list, criteria: list[dict], path: Path):
    """The edition trees as one indicated_when: none when every edition asks for all its criteria."""
    plain = all(isinstance(t, dict) and list(t) == ["all"] and all(isinstance(p, str) for p in t["all"]) for t in trees)
    if plain:
        return None
    distinct = [t for i, t in enumerate(trees) if t not in trees[:i]]
    if len(distinct) > 1:
        raise SystemExit(f"{path}: editions state different decision trees; write indicated_when by hand")
    return distinct[0]


# ---- writing YAML the way the rule files are written -------------------------------------------

def flow(value) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False, allow_unicode=True)
    text = text.strip().removesuffix("...").strip()
    return re.sub(r"'([^'\\\"]*)'", r'"\1"', text)  # the rule files quote with double quotes


def scalar(value) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return flow(value)


def text_block(value: str, indent: int) -> list[str]:
    words = " ".join(str(value).split())
    if len(words) + indent < WIDTH - 10 and ": " not in words and " #" not in words and not words.startswith(("'", '"', "[", "{", "-")):
        return [words]
    wrapped = textwrap.wrap(words, WIDTH - indent - 2, break_long_words=False, break_on_hyphens=False)
    return [">-", *(" " * (indent + 2) + line for line in wrapped)]


def emit(key: str, value, indent: int, comment: str = "") -> list[str]:
    pad = " " * indent
    note = f"  # {comment}" if comment else ""
    if isinstance(value, str) and key in ("requirement", "summary", "basis", "title", "why", "what", "note"):
        lines = text_block(value, indent)
        return [f"{pad}{key}: {lines[0]}{note}", *lines[1:]]
    if not isinstance(value, (dict, list)) or (len(flow(value)) + indent + len(key) < WIDTH and not _has_long_text(value)):
        return [f"{pad}{key}: {scalar(value) if not isinstance(value, (dict, list)) else flow(value)}{note}"]
    lines = [f"{pad}{key}:{note}"]
    if isinstance(value, dict):
        for k, v in value.items():
            lines += emit(scalar(k), v, indent + 2)
        return lines
    for item in value:
        lines += emit_item(item, indent + 2)
    return lines


def emit_item(item, indent: int) -> list[str]:
    pad = " " * indent
    if not isinstance(item, (dict, list)) or len(flow(item)) + indent < WIDTH:
        return [f"{pad}- {flow(item) if isinstance(item, (dict, list)) else scalar(item)}"]
    if isinstance(item, list):
        return [f"{pad}- {flow(item)}"]
    first = True
    lines = []
    for k, v in item.items():
        sub = emit(scalar(k), v, indent + 2)
        if first:
            sub[0] = f"{pad}- {sub[0].lstrip()}"
            first = False
        lines += sub
    return lines


def _has_long_text(value) -> bool:
    return isinstance(value, dict) and any(isinstance(v, str) and len(v) > 60 for v in value.values())


def emit_topic(topic: dict, notes: dict[tuple[str, str], str]) -> str:
    lines = [f"schema: {topic['schema']}", f"topic: {topic['topic']}"]
    lines += emit("title", topic["title"], 0)
    lines += emit("applies_to", topic["applies_to"], 0)
    lines.append("follows:  # the guideline editions that decide this topic, tried in order (dates: guidelines.yaml)")
    for entry in topic["follows"]:
        lines += emit_item(entry, 2)
    lines.append("provenance:")
    lines += emit("summary", topic["provenance"]["summary"], 2)
    lines += emit("decision", topic["decision"], 0)
    lines.append("criteria:")
    for position, criterion in enumerate(topic["criteria"]):
        if position:
            lines.append("")
        lines.append(f"  - id: {criterion['id']}")
        for key, value in criterion.items():
            if key == "id":
                continue
            if isinstance(key, dt.date):
                lines.append(f"    {key.isoformat()}:")
                for k, v in value.items():
                    lines += emit(k, v, 6, notes.pop((criterion["id"], k), ""))
            else:
                lines += emit(key, value, 4)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
