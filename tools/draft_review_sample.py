"""A sample of dev items for a physician reviewer to read end to end (issue 18): is each draft
signable after light edits, and if not, why?

    python tools/draft_review_sample.py --out /tmp/draft-review        # imports ../shared's dev letters itself
    python tools/draft_review_sample.py --out DIR --imported IMPORTED_DIR

Sample rule (deterministic, stated here and in the folder's README.md): import the dev letters
(../shared/imr-corpus/dev), number their items 0, 1, 2, ... in case-file order (file names sorted),
then request order within the file, and take every 7th item starting at number 3 (3, 10, 17, ...):
24 items of the 167. The rule ignores the tool's decision and topic, so the sample holds items the
tool gets wrong and items no rule covers.

For each sampled item it writes, into the folder (never into the repository):
- NN-draft.txt: the letter's clinical case summary (the records as the IMR reviewer read them), the
  item as the letter names it, and the tool's draft rationale for that item (with its documentation
  to request) and its part of the request for information;
- NN-letter.txt: the letter's decision and rationale for the item, to compare with after judging;
- README.md: the rule, and a form per item (signable after light edits: yes / no; the edits; why not).
The letters' text goes only into that folder, read from ../shared at run time; nothing of it is
kept in the repository. Exit code 0, or 2 on bad input (the letters missing, a folder inside the
repository).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.base.errors import InputError

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared" / "imr-corpus" / "dev"
FIRST, EVERY = 3, 7


@dataclass(frozen=True)
class Sampled:
    number: int  # the item's number in the rule's order
    case_path: Path
    index: int  # the item's place in its case file (and in its letter)


def sample(imported: Path) -> list[Sampled]:
    """Every EVERY-th item from number FIRST, in case-file order then request order."""
    from checker.base.yamlio import load_yaml

    items = [
        (path, index)
        for path in sorted(Path(imported).glob("*.yaml"))
        for index, _ in enumerate(load_yaml(path, "case file").get("requests", []))
    ]
    return [Sampled(n, path, index) for n, (path, index) in enumerate(items) if n >= FIRST and (n - FIRST) % EVERY == 0]


def write_folder(chosen: list[Sampled], out: Path, letters: Path) -> list[dict[str, Any]]:
    """The reviewer's folder; returns one row per item (for README.md and the caller)."""
    from checker.api import Checker
    from checker.base.yamlio import load_yaml
    from checker.imr.letters import parse_letter, read_letter_text
    from checker.render.render import render

    checker = Checker(registration="on_demand")
    rows = []
    for k, s in enumerate(chosen, start=1):
        case = load_yaml(s.case_path, "case file")
        letter_path = Path(letters) / Path(case["source"]).name
        letter = parse_letter(read_letter_text(letter_path), str(letter_path))
        letter_item = letter.items[s.index]
        report = checker.check(s.case_path).report
        item = report["items"][s.index]
        one = {**report, "items": [item]}
        draft = render("draft", "text", {"report": one})
        request = render("information-request", "text", {"report": one})
        stem = f"{k:02d}"
        (out / f"{stem}-draft.txt").write_text(
            f"{stem}. {letter_item.header}\nCase {case['case']}, item {s.index + 1} of the letter (sample number {s.number}).\n\n"
            f"THE RECORDS (the letter's clinical case summary)\n\n{letter.summary}\n\n"
            f"THE TOOL'S DRAFT\n\n{draft}\nTHE TOOL'S REQUEST FOR INFORMATION\n\n{request}",
            encoding="utf-8",
        )
        (out / f"{stem}-letter.txt").write_text(
            f"{stem}. {letter_item.header}: THE LETTER\n\nDecision: {_WORDS[letter_item.decision]}\n\n"
            f"Guideline: {letter_item.reviewer_text}\n\nRationale: {letter_item.rationale}\n",
            encoding="utf-8",
        )
        rows.append({"stem": stem, "case": case["case"], "item": letter_item.header, "letter": letter_item.decision, "tool": item["decision"]})
    (out / "README.md").write_text(_readme(rows), encoding="utf-8")
    return rows


_WORDS = {"medically_necessary": "medically necessary (overturned)", "not_medically_necessary": "not medically necessary (upheld)",
          "no_applicable_rule": "no applicable rule"}


def _readme(rows: list[dict[str, Any]]) -> str:
    lines = [
        "# Drafts to read as an IMR reviewer would",
        "",
        f"Sample: the dev letters' items numbered in case-file order, then request order; every {EVERY}th from number {FIRST} "
        f"({len(rows)} items). Made by tools/draft_review_sample.py.",
        "",
        "For each item read NN-draft.txt end to end (the records, then the draft) and judge: could you sign it after light edits?",
        "Then open NN-letter.txt to compare. Fill in the form below.",
        "",
        "| # | case | item (as the letter names it) | letter | tool | signable after light edits (yes/no) | edits | why not |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        item = r["item"].replace("|", "/")
        lines.append(f"| {r['stem']} | {r['case']} | {item} | {_WORDS[r['letter']]} | {_WORDS[r['tool']]} |  |  |  |")
    return "\n".join(lines) + "\n"


def _inside_repo(path: Path) -> bool:
    resolved = path.resolve()
    return resolved == REPO or REPO in resolved.parents


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--out", required=True, type=Path, help="the folder to write (outside the repository)")
    parser.add_argument("--imported", type=Path, help="case files already imported from the dev letters (default: import them)")
    parser.add_argument("--letters", type=Path, default=DEV, help=f"the dev letters (default: {DEV})")
    args = parser.parse_args(argv)
    try:
        if _inside_repo(args.out):
            raise InputError(str(args.out), "--out", "inside the repository, where letter text must not go", "name a folder outside it, e.g. /tmp/draft-review")
        if not args.letters.is_dir():
            raise InputError(str(args.letters), "--letters", "the dev letters are not there", "put ../shared beside the checkout, or pass --letters")
        args.out.mkdir(parents=True, exist_ok=True)
        if args.imported is not None:
            rows = write_folder(sample(args.imported), args.out, args.letters)
        else:
            from checker.imr.importer import Importer
            from checker.load.ruleset import default_rules_dir, load_ruleset

            with tempfile.TemporaryDirectory(prefix="draft-review-") as folder:
                Importer(load_ruleset(default_rules_dir())).run([args.letters], Path(folder))
                rows = write_folder(sample(Path(folder)), args.out, args.letters)
    except InputError as exc:
        print(f"draft_review_sample: error: {exc.one_line()}", file=sys.stderr)
        return 2
    print(f"wrote {len(rows)} items to {args.out} (README.md holds the rule and the form)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
