"""Extraction on wording nobody tuned to: the paraphrase set (tests/paraphrase/, issue 14).

The set is a measure and is never edited to fit the cues (tests/paraphrase/README.md). These tests
check that it is well formed and covers every documented fact, and that the extractor's precision
and recall on it stay at or above the floors below. Print the tables:
`python tools/paraphrase_score.py` (add --misses for the entries scored wrong).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from checker.load.ruleset import RuleSet
from tests.tool_loader import load_tool

REPO = Path(__file__).resolve().parents[1]
# Issue 14's targets. Measured with `python tools/paraphrase_score.py`: 0.704 / 0.130 on the cues before
# issue 14's cue families (737 entries), 0.990 / 0.983 after them (README, "Drafting facts from
# clinical text", says how far the second figure can be trusted). With the phrasings of the 28 facts
# added later (new_facts.yaml, 939 entries) and their cues: 0.973 / 0.908; the floors are those
# figures rounded down.
MIN_PRECISION, MIN_RECALL = 0.97, 0.90


def _tool():
    return load_tool("paraphrase_score")


@pytest.fixture(scope="module")
def tool():
    return _tool()


@pytest.fixture(scope="module")
def scored(tool, repo_ruleset: RuleSet):
    return tool.score(repo_ruleset)


def test_every_entry_is_well_formed_and_its_value_fits_the_fact(tool, repo_ruleset: RuleSet) -> None:
    entries = tool.load_entries()
    assert len(entries) >= 700
    for e in entries:
        assert e.kind in tool.KINDS, e
        assert e.text.strip(), e
        fact = repo_ruleset.vocabulary.get(e.fact)
        assert fact is not None and not fact.derived, e
        if e.expect is not None:
            repo_ruleset.vocabulary.check_value(e.fact, e.expect, e.file, f"facts.{e.fact}[{e.index}]")


def test_every_extracted_fact_has_at_least_five_phrasings(tool, repo_ruleset: RuleSet) -> None:
    """Issue 14: at least 5 phrasings per extracted fact (a fact a reviewer enters has no cues to measure)."""
    per_fact = Counter(e.fact for e in tool.load_entries())
    documented = [name for name, f in repo_ruleset.vocabulary.facts.items() if f.obtained == "extracted"]
    assert {name: per_fact[name] for name in documented if per_fact[name] < 5} == {}


def test_scoring_counts_a_wrong_value_against_precision_and_recall(tool) -> None:
    c = Counter({tool.outcome(True, False): 1, tool.outcome(True, True): 1, tool.outcome(None, tool.ABSENT): 1})
    assert c == Counter(wrong=1, tp=1, tn=1)
    assert tool.precision(c) == 0.5 and tool.recall(c) == 0.5
    assert tool.outcome(None, "off_work") == "fp" and tool.outcome(50, 50.0) == "tp" and tool.outcome(1, True) == "wrong"
    assert tool.outcome(3, tool.ABSENT) == "fn"


def test_the_value_read_is_the_request_s_own_then_the_case_s(tool) -> None:
    fact = {"value": True}
    draft = {"facts": {"x": fact}, "requests": [{"text": "a"}, {"text": "b", "facts": {"x": {"value": False}}}]}
    assert tool.drafted_value(draft, "x") == tool.CONFLICT
    assert tool.drafted_value({"facts": {"x": fact}, "requests": []}, "x") is True
    assert tool.drafted_value({"facts": {}, "requests": [{"text": "a"}]}, "x") is tool.ABSENT
    assert tool.drafted_value({"claimant": {"age": 40}, "facts": {}}, "age") == 40


def test_precision_and_recall_on_the_paraphrase_set(tool, scored, repo_ruleset: RuleSet) -> None:
    total = tool.overall(scored)
    assert tool.precision(total) >= MIN_PRECISION and tool.recall(total) >= MIN_RECALL, tool.report(scored, repo_ruleset)


# The held-out set (tests/paraphrase_heldout/), written after the cues by someone who read neither them
# nor the first set, is the honest estimate on new wording. Measured with
# `python tools/paraphrase_score.py --set heldout` on the cues of issue 14's first round: snippets
# precision 0.884, recall 0.655 (757 entries); whole notes recall 0.621 (443 listed facts). The floors
# are the latest figures rounded down, so that a cue change that loses ground there shows; issue 14's
# targets (0.95 / 0.85) are not reached on it. After the second round of cues and with the phrasings of
# the 28 facts added later (964 entries): precision 0.896, recall 0.698; whole notes recall 0.700
# (on the first 757 entries alone: 0.913 / 0.747). Notes recall is 310/443 = 0.6998, so its floor is 0.69.
# On 2026-12-04, after the ninth round (vocabulary by clinical meaning): 0.918 / 0.737, notes recall
# 0.734. Rules 0.42.0 added 11 extracted facts and a writer's 77 held-out entries for them
# (surgical_topics.yaml); with them the set was 1,192 entries at 0.918 / 0.726 (the 1,115 before: still
# 0.918 / 0.737; the 77 alone 0.914 / 0.571, cues written from the facts' definitions and checked on the
# development sets only). A vocabulary round for those 11 facts (own phrasings batch 33): 0.921 / 0.737
# overall, the 77 at 0.953 / 0.732.
# On 2026-12-07 (batches 68 and 69) two writers' held-out entries for six newly extracted facts (mood_and_crps.yaml,
# care_transport_and_weight.yaml: 44 entries) took the set to 1,364 entries at 0.920 / 0.726; the entries before them
# read as before (659 found, 228 missed, 13 wrong), and the 28 for home health, transport, bathroom and weight facts
# are read at 7 of the 17 with a value (cues written from the definitions and the development entries only), so the floor is 0.72
# until a vocabulary round for them.
HELDOUT_FLOORS = {"precision": 0.91, "recall": 0.72, "notes_recall": 0.73}

# The second development set (tests/paraphrase_second/, its README says who wrote it and how): cue writers
# read its misses, so it guards what its fixes won. Written for the 72 facts with two or more held-out
# misses; 0.854 / 0.669 on part B before any fix, 0.952 / 0.900 after the ninth round (2026-12-04).
SECOND_FLOORS = {"precision": 0.95, "recall": 0.89}

# The third development set (tests/paraphrase_third/, its README says who wrote it and how): the context kinds
# (history, hedges, plans, other people) and the facts weakest on the held-out set's per-fact figures. 0.930 /
# 0.768 as it came; 0.973 / 0.923 after own phrasings batch 41 (2026-12-05); the floors guard that round.
THIRD_FLOORS = {"precision": 0.97, "recall": 0.92}

# The fourth set (tests/paraphrase_fourth/, 40 whole notes, held out like tests/paraphrase_heldout/: only its
# aggregate figures are printed): notes recall 0.752, accuracy 0.951 as it came (2026-12-05).
FOURTH_FLOORS = {"notes_recall": 0.74, "notes_accuracy": 0.94}

# The fifth set (tests/paraphrase_fifth/, 40 whole notes, a development set: its misses are read): notes recall
# 0.699, accuracy 0.949 as it came; 0.758 / 0.957 after own phrasings batch 45 (2026-12-05), which the floors guard.
FIFTH_FLOORS = {"notes_recall": 0.75, "notes_accuracy": 0.95}


def test_the_held_out_set_is_well_formed_and_covers_every_extracted_fact(tool, repo_ruleset: RuleSet) -> None:
    entries = tool.load_entries(tool.SETS["heldout"])
    for e in entries:
        assert e.kind in tool.KINDS, e
        if e.expect is not None:
            repo_ruleset.vocabulary.check_value(e.fact, e.expect, e.file, f"facts.{e.fact}[{e.index}]")
    per_fact = Counter(e.fact for e in entries)
    extracted = [name for name, f in repo_ruleset.vocabulary.facts.items() if f.obtained == "extracted"]
    assert {name: per_fact[name] for name in extracted if per_fact[name] < 6} == {}
    notes = tool.load_notes(tool.SETS["heldout"])
    assert len(notes) >= 40
    for note in notes:
        for fact, value in note.expect.items():
            repo_ruleset.vocabulary.check_value(fact, value, "notes.yaml", f"{note.id}.{fact}")


def test_precision_and_recall_on_the_held_out_set(tool, repo_ruleset: RuleSet) -> None:
    folder = tool.SETS["heldout"]
    total = tool.overall(tool.score(repo_ruleset, tool.load_entries(folder)))
    notes, _ = tool.score_notes(repo_ruleset, tool.load_notes(folder))
    measured = {"precision": tool.precision(total), "recall": tool.recall(total), "notes_recall": tool.recall(notes)}
    assert {k: round(v, 3) for k, v in measured.items() if v < HELDOUT_FLOORS[k]} == {}


def test_the_second_set_is_well_formed_and_keeps_its_gains(tool, repo_ruleset: RuleSet) -> None:
    entries = tool.load_entries(tool.SETS["second"])
    assert len(entries) >= 500
    for e in entries:
        assert e.kind in tool.KINDS, e
        if e.expect is not None:
            repo_ruleset.vocabulary.check_value(e.fact, e.expect, e.file, f"facts.{e.fact}[{e.index}]")
    total = tool.overall(tool.score(repo_ruleset, entries))
    measured = {"precision": tool.precision(total), "recall": tool.recall(total)}
    assert {k: round(v, 3) for k, v in measured.items() if v < SECOND_FLOORS[k]} == {}


def test_the_third_set_is_well_formed_and_keeps_its_gains(tool, repo_ruleset: RuleSet) -> None:
    entries = tool.load_entries(tool.SETS["third"])
    assert len(entries) >= 300
    for e in entries:
        assert e.kind in tool.KINDS, e
        if e.expect is not None:
            repo_ruleset.vocabulary.check_value(e.fact, e.expect, e.file, f"facts.{e.fact}[{e.index}]")
    total = tool.overall(tool.score(repo_ruleset, entries))
    measured = {"precision": tool.precision(total), "recall": tool.recall(total)}
    assert {k: round(v, 3) for k, v in measured.items() if v < THIRD_FLOORS[k]} == {}


def test_the_fourth_set_is_well_formed_and_held_out(tool, repo_ruleset: RuleSet) -> None:
    notes = tool.load_notes(tool.SETS["fourth"])
    assert len(notes) >= 40 and "fourth" in tool.HELD_OUT
    for note in notes:
        for fact, value in note.expect.items():
            assert repo_ruleset.vocabulary.facts[fact].obtained == "extracted", fact
            repo_ruleset.vocabulary.check_value(fact, value, "notes.yaml", f"{note.id}.{fact}")
    total, _ = tool.score_notes(repo_ruleset, notes)
    measured = {"notes_recall": tool.recall(total), "notes_accuracy": tool.precision(total)}
    assert {k: round(v, 3) for k, v in measured.items() if v < FOURTH_FLOORS[k]} == {}


def test_the_fifth_set_is_well_formed_and_keeps_its_gains(tool, repo_ruleset: RuleSet) -> None:
    notes = tool.load_notes(tool.SETS["fifth"])
    assert len(notes) >= 40 and "fifth" not in tool.HELD_OUT
    for note in notes:
        for fact, value in note.expect.items():
            assert repo_ruleset.vocabulary.facts[fact].obtained == "extracted", fact
            repo_ruleset.vocabulary.check_value(fact, value, note.id, f"{note.id}.{fact}")
    missed: list[str] = []
    total, _ = tool.score_notes(repo_ruleset, notes, missed)
    assert len(missed) == total["fn"] + total["wrong"]  # every listed fact not drafted as listed is named
    measured = {"notes_recall": tool.recall(total), "notes_accuracy": tool.precision(total)}
    assert {k: round(v, 3) for k, v in measured.items() if v < FIFTH_FLOORS[k]} == {}


def test_causes_name_the_kind_of_miss_without_the_entry(tool, repo_ruleset: RuleSet) -> None:
    def entry(text: str, expect) -> object:
        return tool.Entry("x.yaml", "radicular_pain", 0, text, expect, "positive", ("MRI lumbar spine",), None)

    found = tool.causes(repo_ruleset, [
        entry("Sciatica down the left leg since the lift.", True),  # tp: not counted
        entry("The ache wanders and wobbles about.", True),  # no word of radiating pain
    ])
    assert found == {("fn", "no target matches (vocabulary)", "positive"): 1}
