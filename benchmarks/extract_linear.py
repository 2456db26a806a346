"""`mtus extract` time against the length of the clinical text, whatever its punctuation.

    python benchmarks/extract_linear.py            # 10 kB to 1 MB (several minutes)
    python benchmarks/extract_linear.py --quick    # 10 kB to 300 kB

For each shape of text (written here, not taken from any record) and each size, the CPU time of
drafting a case from it (checker.extract.draft_case, the work of `mtus extract`, with two requested
items), and that time per 10 kB. Linear means the time per 10 kB stays flat as the text grows: the
last column is the cost per 10 kB at the largest size over that at the smallest. Exits 1 when that
ratio is above 3 for any shape (what quadratic work looks like: 100 times the text, 100 times the
cost per kB).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checker.extract import MAX_TEXT_CHARS, draft_case  # noqa: E402
from checker.load.ruleset import default_rules_dir, load_ruleset  # noqa: E402

SIZES = (10_000, 30_000, 100_000, 300_000, 1_000_000)
MAX_RATIO = 3.0
REQUESTS = ["Norco 10/325 mg one tab PO TID #90", "MRI of the lumbar spine"]
SENTENCES = [
    "The injured worker is a 47-year-old woman with low back pain since a lifting injury on 01/05/2016.",
    "Pain is rated 7/10 without medication and 4/10 with Norco.",
    "There is no documentation of acute muscle spasm.",
    "She denies side effects; a urine drug screen on 03/04/2016 was consistent.",
    "Physical therapy, 12 visits, was completed in 2015 without lasting benefit.",
    "Plan: continue home exercise, request an MRI of the lumbar spine, and review in four weeks.",
    "History of Soma use dating back to 2014; Soma was stopped.",
    "Examination shows decreased sensation in the left L5 dermatome and a positive straight leg raise.",
    "Work status: modified duty with no lifting over 10 pounds.",
]


def _words() -> list[str]:
    return " ".join(SENTENCES).replace(".", "").replace(";", "").replace(",", "").replace(":", "").split()


def prose(size: int, rng: random.Random) -> str:
    """Sentences with punctuation, wrapped at about 80 characters."""
    return _wrapped(" ".join(rng.choice(SENTENCES) for _ in range(size // 60 + 1)), 80)[:size]


def no_punctuation(size: int, rng: random.Random) -> str:
    """The same words without any punctuation: one sentence as long as the text."""
    return " ".join(rng.choice(_words()) for _ in range(size // 5 + 1))[:size]


def cues_without_punctuation(size: int, rng: random.Random) -> str:
    """Context cues every few words ("no", "denies", "history of", "plan"), no punctuation: every cue's
    scope runs to the end of its sentence, the whole text."""
    phrases = ["no spasm", "denies pain", "history of therapy", "plan MRI", "without relief", "not improved", "possible radiculopathy"]
    return " ".join(rng.choice(phrases) for _ in range(size // 12 + 1))[:size]


def short_lines(size: int, rng: random.Random) -> str:
    """Three words a line, no punctuation (a hard-wrapped list; about 50,000 lines in 1 MB)."""
    return "\n".join(" ".join(rng.choice(_words()) for _ in range(3)) for _ in range(size // 15 + 1))[:size]


def tiny_sentences(size: int, rng: random.Random) -> str:
    """A full stop after every word: as many sentences as words."""
    return " ".join(rng.choice(_words()).capitalize() + "." for _ in range(size // 6 + 1))[:size]


def no_spaces(size: int, rng: random.Random) -> str:
    """Words run together without a space: one token as long as the text."""
    return "".join(rng.choice(_words()) for _ in range(size // 5 + 1))[:size]


def numbers_and_dates(size: int, rng: random.Random) -> str:
    """Dates, scores and doses, which the date and number cues read."""
    pieces = ["01/05/2016", "7/10", "10/325 mg", "#90", "x6", "2-3", "12/2015", "3 times a week"]
    return " ".join(rng.choice(pieces) for _ in range(size // 6 + 1))[:size]


def _wrapped(text: str, width: int) -> str:
    lines, line = [], ""
    for word in text.split(" "):
        if len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


SHAPES: dict[str, Callable[[int, random.Random], str]] = {
    "prose": prose, "no punctuation": no_punctuation, "cues, no punctuation": cues_without_punctuation, "three words a line": short_lines,
    "a full stop a word": tiny_sentences, "no spaces": no_spaces, "numbers and dates": numbers_and_dates,
}


def cpu_seconds(text: str, ruleset) -> float:
    started = time.process_time()
    draft_case(text, REQUESTS, ruleset, None, "bench")
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 300 kB")
    args = parser.parse_args()
    sizes = [s for s in SIZES if not args.quick or s <= 300_000]
    assert max(sizes) <= MAX_TEXT_CHARS
    ruleset = load_ruleset(default_rules_dir())
    cpu_seconds(prose(2000, random.Random(0)), ruleset)  # compiles the cues once, as the first run of a process does
    print(f"CPU seconds of checker.extract.draft_case by text size; in brackets, ms per 10 kB (target: flat, ratio <= {MAX_RATIO})")
    print(f"{'shape':20s}" + "".join(f"{s // 1000:>14,} kB" for s in sizes) + "   ratio")
    worst = 0.0
    for name, make in SHAPES.items():
        per_10k = []
        cells = ""
        for size in sizes:
            seconds = cpu_seconds(make(size, random.Random(size)), ruleset)
            per_10k.append(seconds * 10_000 / size)
            cells += f"{seconds:8.2f} [{per_10k[-1] * 1000:5.0f}]"
        ratio = per_10k[-1] / per_10k[0]
        worst = max(worst, ratio)
        print(f"{name:20s}" + cells + f"   {ratio:5.2f}", flush=True)
    print(f"largest ratio {worst:.2f}: {'linear' if worst <= MAX_RATIO else 'NOT LINEAR'}")
    sys.exit(0 if worst <= MAX_RATIO else 1)


if __name__ == "__main__":
    main()
