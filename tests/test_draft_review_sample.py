"""tools/draft_review_sample.py: the dev items a physician reviewer reads end to end, picked by a
stated rule and written with the letters' summaries and rationales to a folder outside the
repository. Needs the dev letters in ../shared; skips without them."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.imr.importer import Importer
from checker.load.ruleset import RuleSet
from tests.tool_loader import load_tool

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared" / "imr-corpus" / "dev"


def _tool():
    return load_tool("draft_review_sample")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, repo_ruleset: RuleSet) -> Path:
    if not DEV.is_dir():
        pytest.skip(f"the dev letters are not present at {DEV} (they live in ../shared beside the checkout)")
    out = tmp_path_factory.mktemp("review-dev")
    Importer(repo_ruleset).run([DEV], out)
    return out


def test_the_sample_follows_its_rule_and_the_folder_holds_a_form_per_item(imported: Path, tmp_path: Path, capsys: pytest.CaptureFixture):
    tool = _tool()
    chosen = tool.sample(imported)
    assert len(chosen) >= 20
    assert [s.number for s in chosen] == list(range(tool.FIRST, tool.FIRST + tool.EVERY * len(chosen), tool.EVERY))
    out = tmp_path / "review"
    assert tool.main(["--out", str(out), "--imported", str(imported)]) == 0
    readme = (out / "README.md").read_text()
    assert f"every {tool.EVERY}th from number {tool.FIRST}" in readme
    assert readme.count("\n| ") == len(chosen) + 1
    for k in range(1, len(chosen) + 1):
        draft = (out / f"{k:02d}-draft.txt").read_text()
        assert "THE RECORDS" in draft and "Decision rationale:" in draft and "REQUEST FOR INFORMATION" in draft
        assert "Rationale:" in (out / f"{k:02d}-letter.txt").read_text()
    first = {p.name: p.read_text() for p in out.iterdir()}
    assert tool.main(["--out", str(out), "--imported", str(imported)]) == 0
    assert {p.name: p.read_text() for p in out.iterdir()} == first  # the same folder every time


def test_a_folder_inside_the_repository_is_refused(capsys: pytest.CaptureFixture):
    assert _tool().main(["--out", str(REPO / "review")]) == 2
    assert "inside the repository" in capsys.readouterr().err
    assert not (REPO / "review").exists()
