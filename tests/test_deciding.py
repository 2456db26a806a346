"""The deciding-criterion key (tests/imr/deciding.yaml) and the rate the drafts reach against it.

The key's schema and criterion ids are checked without the letters; the rate needs the letters in
../shared and skips without them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from checker.api import Checker
from checker.base.errors import InputError
from checker.imr.importer import Importer
from checker.load.ruleset import RuleSet
from checker.measure import reason_agreement as deciding
from checker.render.render import render
from tests.tool_loader import load_tool

REPO = Path(__file__).resolve().parents[1]
KEY = REPO / "tests" / "imr" / "deciding.yaml"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
LETTER_DIRS = [SHARED / "imr-corpus" / "dev", SHARED / "seeds"]
# The first reason the draft names is the letter's (issue 18): measured with `python
# tools/deciding_rate.py` (README) at 65/76 (85.5%) of the 84 key items whose decisions agree (65/72,
# 90.3%, leaving out the 4 whose reason no criterion encodes). The floor is issue 18's target, 85%,
# so a change that loses a deciding criterion or reorders the reasons wrongly shows.
RATE_FLOOR = 0.85


def _tool():
    return load_tool("deciding_rate")


def test_key_follows_its_schema_and_covers_the_sample_it_states():
    items = deciding.load_key(KEY)
    stated = yaml.safe_load(KEY.read_text())["sample_size"]
    assert len(items) == stated >= 80
    assert sum(i.decision == "medically_necessary" for i in items) >= 5, "the sample must hold Overturned items"
    topics = {c.split(".", 1)[0] for i in items for c in i.criteria}
    assert len(topics) >= 20, sorted(topics)
    assert all(i.missing for i in items if not i.criteria)


def test_every_criterion_the_key_names_exists_in_the_rules(repo_ruleset: RuleSet):
    assert deciding.unknown_criteria(deciding.load_key(KEY), repo_ruleset) == []


def _entry(**change: object) -> dict:
    """A well-formed key entry (fresh each time: a shared list would be dumped as a YAML alias)."""
    return {"case": "C1", "item": "x", "decision": "not_medically_necessary", "reason": "why", "criteria": ["a.b.c"], **change}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"decision": "upheld"}, "items[0].decision"),
        ({"criteria": []}, "items[0].missing"),
        ({"criteria": "a.b.c"}, "items[0].criteria"),
        ({"missing": "also this"}, "items[0].missing"),
        ({"reason": ""}, "items[0].reason"),
        ({"why": "typo"}, "items[0].why"),
    ],
)
def test_a_malformed_key_entry_is_refused_naming_its_field(tmp_path: Path, change: dict, field: str):
    path = tmp_path / "key.yaml"
    path.write_text(yaml.safe_dump({"schema": deciding.KEY_SCHEMA, "items": [_entry(**change)]}))
    with pytest.raises(InputError) as caught:
        deciding.load_key(path)
    assert caught.value.field == field


def test_a_key_listing_an_item_twice_or_miscounting_is_refused(tmp_path: Path):
    path = tmp_path / "key.yaml"
    path.write_text(yaml.safe_dump({"schema": deciding.KEY_SCHEMA, "items": [_entry(), _entry()]}))
    with pytest.raises(InputError, match="listed twice"):
        deciding.load_key(path)
    path.write_text(yaml.safe_dump({"schema": deciding.KEY_SCHEMA, "sample_size": 3, "items": [_entry()]}))
    with pytest.raises(InputError) as caught:
        deciding.load_key(path)
    assert caught.value.field == "sample_size"


def _rationale(draft: str, request: str) -> str:
    """The rationale paragraph of one item in a text draft."""
    item = draft[draft.index(f". {request}:"):]
    return item[item.index("Decision rationale:"):].split("\n", 1)[0]


def test_the_outcome_reads_the_reasons_the_report_names_first():
    """seed-000 denies Soma for long-term use, a limit the records document as exceeded: the draft names
    it first; a key naming only a criterion the draft names later, or a different decision, does not agree."""
    report = Checker(registration="on_demand").check(REPO / "examples" / "seed-000.yaml").report
    soma = next(i for i in report["items"] if i["drug"] == "carisoprodol")
    assert soma["reasons"][0]["id"] == "carisoprodol.no_long_term_use"
    entry = deciding.KeyItem(report["case"]["id"], soma["id"], "not_medically_necessary", "long use", ("carisoprodol.no_long_term_use",), "")
    assert deciding.outcome(entry, report).category == deciding.AGREES
    later = deciding.KeyItem(entry.case, entry.item, entry.decision, "", (soma["reasons"][1]["id"],), "")
    assert deciding.outcome(later, report).category == deciding.LATER_REASON
    other = deciding.KeyItem(entry.case, entry.item, "medically_necessary", "", entry.criteria, "")
    assert deciding.outcome(other, report).category == deciding.DECISION_DIFFERS


@pytest.mark.parametrize("case", sorted((REPO / "examples").glob("*.yaml")), ids=lambda p: p.stem)
def test_the_rationale_prints_the_reasons_the_report_names_and_no_other_requirement(case: Path):
    """What the key is measured on (report `reasons`) is what the draft prints: each named reason's
    requirement is in its item's rationale, and the requirement of a criterion that did not decide, or
    decided but is not named, is not."""
    report = Checker(registration="on_demand").check(case).report
    draft = render("draft", "text", {"report": report})
    for item in report["items"]:
        if item["decision"] == "no_applicable_rule":
            continue
        rationale = _rationale(draft, item["request"])
        named = {r["id"] for r in item["reasons"]}
        assert 1 <= len(named) <= 2, item["id"]
        for reason in item["reasons"]:
            assert reason["requirement"] in rationale, (case.name, item["id"], reason["id"])
        for criterion in item["criteria"]:
            if criterion["id"] not in named and criterion["requirement"] not in {r["requirement"] for r in item["reasons"]}:
                assert criterion["requirement"] not in rationale, (case.name, item["id"], criterion["id"])


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, repo_ruleset: RuleSet) -> Path:
    missing = [str(d) for d in LETTER_DIRS if not d.is_dir()]
    if missing:
        pytest.skip(f"the IMR letters are not present at {', '.join(missing)} (they live in ../shared beside the checkout)")
    out = tmp_path_factory.mktemp("deciding-imr")
    Importer(repo_ruleset).run(LETTER_DIRS, out)
    return out


def test_drafts_name_the_letters_deciding_criterion_first(imported: Path):
    outcomes = deciding.measure(deciding.load_key(KEY), imported)
    assert [o.key for o in outcomes if o.category == deciding.NOT_IMPORTED] == [], "key items the import no longer produces"
    agree, same = deciding.rate(outcomes)
    print(f"first-reason rate: {agree}/{same} = {agree / same:.1%}")
    assert agree / same >= RATE_FLOOR
    for o in outcomes:
        if o.category == deciding.AGREES:
            assert o.reasons[0] in o.key.criteria and o.decision == o.key.decision
    assert all(len(o.reasons) <= 2 for o in outcomes)


def test_the_tool_prints_the_same_table_twice_and_refuses_bad_input(imported: Path, capsys: pytest.CaptureFixture, tmp_path: Path):
    tool = _tool()
    assert tool.main([str(imported), str(KEY)]) == 0
    first = capsys.readouterr().out
    assert tool.main([str(imported)]) == 0  # the key defaults to tests/imr/deciding.yaml
    assert capsys.readouterr().out == first
    agree, same = deciding.rate(deciding.measure(deciding.load_key(KEY), imported))
    assert f"first-reason rate: {agree}/{same} " in first
    assert tool.main([str(tmp_path / "absent"), str(KEY)]) == 2
    assert "not a folder" in capsys.readouterr().err
