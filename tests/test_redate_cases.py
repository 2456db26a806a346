"""tools/redate_cases.py: imported cases moved to another period keep their intervals, so the same
facts are read and only the guideline editions in force change."""

from __future__ import annotations

from pathlib import Path

import yaml

from checker.evaluate.evaluate import plan_case
from checker.load.case import load_case
from checker.load.ruleset import RuleSet
from tests.tool_loader import load_tool

REPO = Path(__file__).resolve().parents[1]


def _tool():
    return load_tool("redate_cases")


def _write(folder: Path) -> Path:
    folder.mkdir()
    body = {
        "schema": "mtus-case/1",
        "case": "probe",
        "dates": {"injury": "2015-03-02", "request": "2016-11-15"},
        "medications": [{"drug": "Norco", "started": "2016-05-02", "status": "current"},
                        {"drug": "naproxen", "documented_since": "2016-01-11", "status": "current"}],
        "requests": [{"id": "udt", "text": "Urine drug screen"}, {"id": "norco", "text": "Norco 10/325 mg q6h #120"}],
    }
    (folder / "probe.yaml").write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return folder


def test_every_date_moves_by_the_same_days(tmp_path):
    source = _write(tmp_path / "dev")
    assert _tool().redate(source, tmp_path / "dev-2014", -900) == 1
    moved = yaml.safe_load((tmp_path / "dev-2014" / "probe.yaml").read_text(encoding="utf-8"))
    assert [str(moved["dates"][k]) for k in ("injury", "request")] == ["2012-09-13", "2014-05-30"]
    assert [str(m.get("started") or m.get("documented_since")) for m in moved["medications"]] == ["2013-11-14", "2013-07-25"]


def test_a_re_dated_case_reads_the_same_intervals_under_the_earlier_editions(tmp_path, repo_ruleset: RuleSet):
    source = _write(tmp_path / "dev")
    _tool().redate(source, tmp_path / "dev-2014", -900)
    before = plan_case(repo_ruleset, load_case(source / "probe.yaml", repo_ruleset))
    after = plan_case(repo_ruleset, load_case(tmp_path / "dev-2014" / "probe.yaml", repo_ruleset))
    for old, new in zip(before, after, strict=True):
        assert {k: v.value for k, v in old.facts.items()} == {k: v.value for k, v in new.facts.items()}
    assert before[1].facts["weeks_of_use"].value > 26
    assert [i.main.edition.edition for i in before] == ["opioids_tg-2016", "opioids_tg-2016"]
    assert [i.main.edition.edition for i in after] == ["cpmtg-2009", "cpmtg-2009"]
