"""Extraction precision and recall on the paraphrase sets (issue 14).

    python tools/paraphrase_score.py                 # tests/paraphrase/: per fact, per kind, per way of obtaining, overall
    python tools/paraphrase_score.py --misses        # and every entry scored wrong, with what was drafted
    python tools/paraphrase_score.py --set heldout   # tests/paraphrase_heldout/: the same aggregates, and its whole notes
    python tools/paraphrase_score.py --set own --misses   # tests/own_phrasings/: the cue author's own phrasings (a regression set)
    python tools/paraphrase_score.py --set second          # tests/paraphrase_second/: a second development set
    python tools/paraphrase_score.py --set third           # tests/paraphrase_third/: a third, the context kinds and the weakest facts
    python tools/paraphrase_score.py --set fourth          # tests/paraphrase_fourth/: a second held-out set, whole notes only
    python tools/paraphrase_score.py --set fifth           # tests/paraphrase_fifth/: whole notes, a development set
    python tools/paraphrase_score.py --set heldout --causes   # why entries are scored wrong, as counts only

--causes counts the entries scored fn, wrong or fp by cause and kind, naming no entry and no fact (so it
may be run on the held-out set): a fact a reviewer enters; a fact read by code (no targets); a value
found without the request line (lost to attribution); a target of the fact matching the text somewhere
(then context, sentence conditions or resolution dropped it) or none matching (a vocabulary gap).

The held-out set (tests/paraphrase_heldout/) was written after the cues, by someone who read neither
them nor the first set; cue writers never read it, so only its aggregate figures are printed
(--misses is refused for it). The fourth set (tests/paraphrase_fourth/, 40 whole notes by another writer who
read no cue) is held out the same way. Its notes (notes.yaml, whole progress notes with every fact they
document) are scored on the facts each lists: recall and accuracy of those values, and how many other
facts were drafted besides (not scored: the snippets' null entries measure false positives).

Each entry's text goes through the extractor (checker.extract.draft_facts) with its `requests:` as
the request lines and its `as_of:` as the request date; only the entry's own fact is scored. The
value the draft gives that fact is the one a check would read: `claimant.age` for age; else the
request's own facts, falling back to the case facts (several requests that disagree count as a
conflict). A conflict the draft flags for a reviewer is a value, and a wrong one.

    tp     the drafted value equals the expected one (not null)
    fn     a value is expected and nothing is drafted
    wrong  a value is expected and a different one (or a conflict) is drafted
    fp     nothing is expected (null) and a value is drafted
    tn     nothing is expected and nothing is drafted
    precision = tp / (tp + wrong + fp)    recall = tp / (tp + wrong + fn)

A wrong value counts against both. Output is deterministic (file, fact and entry order).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from checker.base.errors import InputError  # noqa: E402
from checker.base.yamlio import load_yaml  # noqa: E402
from checker.extract import Extractor  # noqa: E402
from checker.load.ruleset import RuleSet, load_ruleset  # noqa: E402

PARAPHRASES = REPO / "tests" / "paraphrase"
SETS = {
    "paraphrase": PARAPHRASES,
    "second": REPO / "tests" / "paraphrase_second",
    "heldout": REPO / "tests" / "paraphrase_heldout",
    "third": REPO / "tests" / "paraphrase_third",
    "fourth": REPO / "tests" / "paraphrase_fourth",
    "fifth": REPO / "tests" / "paraphrase_fifth",
    "own": REPO / "tests" / "own_phrasings",
}
# sets nobody who writes cues reads: only their aggregate figures are printed
HELD_OUT = ("heldout", "fourth")
SCHEMA = "mtus-paraphrase/1"
NOTES_SCHEMA = "mtus-paraphrase-notes/1"
KINDS = ("positive", "negated", "historical", "hedged", "hypothetical", "other_subject", "numeric")
ABSENT = object()
CONFLICT = "(conflict)"


@dataclass(frozen=True)
class Entry:
    file: str
    fact: str
    index: int
    text: str
    expect: Any
    kind: str
    requests: tuple[str, ...]
    as_of: dt.date | None


@dataclass(frozen=True)
class Scored:
    entry: Entry
    got: Any  # ABSENT, CONFLICT or the drafted value
    outcome: str  # tp | fn | wrong | fp | tn


def load_entries(folder: Path = PARAPHRASES) -> list[Entry]:
    entries = []
    for path in sorted(folder.glob("*.yaml")):
        data = load_yaml(path, "paraphrase set")
        if data.get("schema") == NOTES_SCHEMA:
            continue
        if data.get("schema") != SCHEMA:
            raise ValueError(f"{path}: schema is not {SCHEMA}")
        for fact, items in data["facts"].items():
            for i, item in enumerate(items):
                entries.append(
                    Entry(
                        file=path.name,
                        fact=str(fact),
                        index=i,
                        text=str(item["text"]),
                        expect=item["expect"],
                        kind=str(item["kind"]),
                        requests=tuple(str(r) for r in item.get("requests") or ()),
                        as_of=item.get("as_of"),
                    )
                )
    return entries


def drafted_value(draft: dict, fact: str) -> Any:
    """The value a check of the drafted case would read for `fact`."""
    if fact == "age":
        return draft.get("claimant", {}).get("age", ABSENT)
    case = draft.get("facts", {})
    places = [r.get("facts", {}) for r in draft.get("requests", [])] or [{}]
    found = []
    for item in places:
        entry = item.get(fact, case.get(fact))
        if entry is not None:
            found.append(CONFLICT if entry["value"] is None else entry["value"])
    if not found:
        return ABSENT
    return found[0] if len({repr(v) for v in found}) == 1 else CONFLICT


def same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b


def outcome(expect: Any, got: Any) -> str:
    if expect is None:
        return "tn" if got is ABSENT else "fp"
    if got is ABSENT:
        return "fn"
    return "tp" if same(expect, got) else "wrong"


def score(ruleset: RuleSet | None = None, entries: list[Entry] | None = None) -> list[Scored]:
    ruleset = ruleset or load_ruleset(REPO / "rules")
    extractor = Extractor(ruleset)
    found = []
    for entry in entries if entries is not None else load_entries():
        draft = extractor.draft(entry.text, list(entry.requests), entry.as_of)
        got = drafted_value(draft, entry.fact)
        found.append(Scored(entry, got, outcome(entry.expect, got)))
    return found


def causes(ruleset: RuleSet, entries: list[Entry]) -> Counter:
    """Counts of (outcome, cause, kind) for the entries scored fn, wrong or fp; see the module doc."""
    extractor = Extractor(ruleset)
    found: Counter = Counter()
    for e in entries:
        got = drafted_value(extractor.draft(e.text, list(e.requests), e.as_of), e.fact)
        result = outcome(e.expect, got)
        if result in ("tp", "tn"):
            continue
        found[(result, _cause(extractor, ruleset, e, result, got), e.kind)] += 1
    return found


def _cause(extractor: Extractor, ruleset: RuleSet, e: Entry, result: str, got: Any) -> str:
    if obtained_kind(ruleset, e.fact) == "reviewer":
        return "a fact a reviewer enters"
    patterns = extractor.targets.fact_patterns.get(e.fact) or []
    if not patterns:
        return "a fact read by code (no targets)"
    if result == "wrong":
        return "a conflict" if got is CONFLICT else "another value"
    if result == "fp":
        return "drafted"
    if drafted_value(extractor.draft(e.text, [], e.as_of), e.fact) is not ABSENT:
        return "found without the request line (attribution)"
    if any(pattern.search(e.text) for pattern, _ in patterns):
        return "a target matches (dropped by context or conditions)"
    return "no target matches (vocabulary)"


def causes_report(found: Counter) -> str:
    """The causes, most frequent first: count, outcome, cause and [kind] per line."""
    ranked = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
    return "\n".join(f"{n:5d}  {result:5s}  {cause}  [{kind}]" for (result, cause, kind), n in ranked)


def ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def precision(c: Counter) -> float:
    return ratio(c["tp"], c["tp"] + c["wrong"] + c["fp"])


def recall(c: Counter) -> float:
    return ratio(c["tp"], c["tp"] + c["wrong"] + c["fn"])


def counts(scored: list[Scored], key: Any) -> dict[Any, Counter]:
    grouped: dict[Any, Counter] = {}
    for s in scored:
        grouped.setdefault(key(s), Counter())[s.outcome] += 1
    return grouped


def obtained_kind(ruleset: RuleSet, fact: str) -> str:
    """How the vocabulary says the fact is obtained (derived, extracted or reviewer)."""
    definition = ruleset.vocabulary.get(fact)
    return getattr(definition, "obtained", "") or "unknown"


def overall(scored: list[Scored]) -> Counter:
    total: Counter = Counter()
    for s in scored:
        total[s.outcome] += 1
    return total


_HEAD = f"{'':34} {'n':>4} {'tp':>4} {'fn':>4} {'wrong':>5} {'fp':>4} {'tn':>4} {'precision':>9} {'recall':>7}"


def row(name: str, c: Counter) -> str:
    n = sum(c.values())
    return f"{name[:34]:34} {n:>4} {c['tp']:>4} {c['fn']:>4} {c['wrong']:>5} {c['fp']:>4} {c['tn']:>4} {precision(c):>9.3f} {recall(c):>7.3f}"


def report(scored: list[Scored], ruleset: RuleSet, misses: bool = False) -> str:
    lines = ["per fact", _HEAD]
    for fact, c in counts(scored, lambda s: s.entry.fact).items():
        lines.append(row(fact, c))
    lines += ["", "per kind", _HEAD]
    by_kind = counts(scored, lambda s: s.entry.kind)
    lines += [row(kind, by_kind[kind]) for kind in KINDS if kind in by_kind]
    lines += ["", "per way of obtaining the fact (rules/facts.yaml obtained:)", _HEAD]
    by_obtained = counts(scored, lambda s: obtained_kind(ruleset, s.entry.fact))
    lines += [row(kind, c) for kind, c in sorted(by_obtained.items())]
    lines += ["", _HEAD, row("overall", overall(scored))]
    if misses:
        lines += ["", "entries scored fn, wrong or fp"]
        for s in scored:
            if s.outcome in ("fn", "wrong", "fp"):
                got = "-" if s.got is ABSENT else s.got
                lines.append(f"{s.outcome:5} {s.entry.fact}[{s.entry.index}] {s.entry.kind}: expect {s.entry.expect!r} got {got!r} | {s.entry.text}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Note:
    id: str
    text: str
    requests: tuple[str, ...]
    as_of: dt.date | None
    expect: dict[str, Any]


def load_notes(folder: Path) -> list[Note]:
    notes = []
    for path in sorted(folder.glob("*.yaml")):
        data = load_yaml(path, "paraphrase notes")
        if data.get("schema") != NOTES_SCHEMA:
            continue
        for item in data["notes"]:
            requests = tuple(str(r) for r in item.get("requests") or ())
            notes.append(Note(str(item["id"]), str(item["text"]), requests, item.get("as_of"), dict(item["expect_facts"])))
    return notes


def score_notes(ruleset: RuleSet, notes: list[Note], missed: list[str] | None = None) -> tuple[Counter, int]:
    """tp / fn / wrong over every fact each note lists, and the number of other facts drafted; each fact
    not drafted as listed goes to `missed` as a line, when a list is given."""
    extractor = Extractor(ruleset)
    total: Counter = Counter()
    others = 0
    for note in notes:
        draft = extractor.draft(note.text, list(note.requests), note.as_of)
        for fact, expect in note.expect.items():
            got = drafted_value(draft, fact)
            scored = outcome(expect, got)
            total[scored] += 1
            if missed is not None and scored != "tp":
                missed.append(f"{scored:<5} {note.id} {fact}: expect {expect!r} got {'absent' if got is ABSENT else repr(got)}")
        drafted = set(draft.get("facts", {})) | {f for r in draft.get("requests", []) for f in r.get("facts", {})}
        others += len(drafted - set(note.expect))
    return total, others


def main(argv: list[str]) -> int:
    which = argv[argv.index("--set") + 1] if "--set" in argv else "paraphrase"
    if which not in SETS:
        print(f"paraphrase_score: unknown set {which!r}; use one of: {', '.join(SETS)}", file=sys.stderr)
        return 2
    if which in HELD_OUT and "--misses" in argv:
        print(f"paraphrase_score: the {which} set prints aggregate figures only (cue writers never read its entries)", file=sys.stderr)
        return 2
    try:
        ruleset = load_ruleset(REPO / "rules")
        if "--causes" in argv:
            print(causes_report(causes(ruleset, load_entries(SETS[which]))))
            return 0
        scored = score(ruleset, load_entries(SETS[which]))
        notes = load_notes(SETS[which])
    except InputError as err:  # a malformed entry file: one line naming file, field and fix
        print(f"paraphrase_score: {err}", file=sys.stderr)
        return 2
    print(report(scored, ruleset, misses="--misses" in argv))
    if notes:
        missed: list[str] | None = [] if "--misses" in argv else None
        total, others = score_notes(ruleset, notes, missed)
        if missed:
            print("\nlisted facts of whole notes not drafted as listed\n" + "\n".join(missed))
        listed = sum(total.values())
        print(f"\nwhole notes: {len(notes)} notes, {listed} listed facts: recall {recall(total):.3f}, "
              f"accuracy of drafted values {ratio(total['tp'], total['tp'] + total['wrong']):.3f}; "
              f"{others} other facts drafted besides the listed ones")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
