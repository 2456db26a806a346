"""How drafting time grows with the text (issue 14's cue families must keep extraction linear).

    python benchmarks/cue_scaling.py

For a real clinical case summary (the first dev letter, when ../shared is present) and for three
hostile shapes (one long sentence of treatments, one of negated findings, a run of digits), it
drafts the text repeated 1, 2, 4 and 8 times and prints the seconds (best of three) and the ratio of
the longest to the 2x time: about 4 is linear, 16 would be quadratic. Also the dev summaries drafted
per second. Timings on a shared machine are noisy; the ratios are what to read.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from checker.extract import extractor_for  # noqa: E402
from checker.load.ruleset import load_ruleset  # noqa: E402

DEV = REPO.parent / "shared" / "imr-corpus" / "dev"
REQUESTS = ["Norco 10/325 #90", "Physical therapy 2x4 lumbar spine"]
SHAPES = {
    "treatments, no full stop": "the patient has had physical therapy and medications and injections and " * 30,
    "negations, no full stop": "no spasm, no weakness, no numbness and no physical therapy, " * 30,
    "digits": "1" * 2000 + " ",
}


def summaries() -> list[str]:
    found = []
    for path in sorted(DEV.glob("*"))[:78] if DEV.is_dir() else []:
        text = path.read_text(encoding="utf-8", errors="replace")
        if "CLINICAL CASE SUMMARY" in text and "IMR ISSUES" in text:
            found.append(text[text.index("CLINICAL CASE SUMMARY") : text.index("IMR ISSUES")])
    return found


def best(extractor, text: str) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        extractor.draft(text, REQUESTS)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    extractor = extractor_for(load_ruleset(REPO / "rules"))
    texts = summaries()
    shapes = dict(SHAPES)
    if texts:
        shapes = {"a dev case summary": texts[0], **shapes}
    for name, unit in shapes.items():
        timings = [(len(unit) * k, best(extractor, unit * k)) for k in (1, 2, 4, 8)]
        cells = "  ".join(f"{n:>6} chars {t:6.3f} s" for n, t in timings)
        print(f"{name:26} {cells}   8x/2x = {timings[3][1] / timings[1][1]:.1f}")
    if texts:
        start = time.perf_counter()
        for text in texts:
            extractor.draft(text, REQUESTS)
        elapsed = time.perf_counter() - start
        print(f"{len(texts)} dev summaries drafted in {elapsed:.2f} s: {len(texts) / elapsed:.1f} per second")
    else:
        print(f"no dev letters under {DEV}: the summary rows are skipped")


if __name__ == "__main__":
    main()
