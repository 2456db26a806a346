"""A site rule folder (--rules-extra DIR or $MTUS_RULES_EXTRA) adds a site's own drugs, services,
facts, guidelines and topics to the packaged rules, which an installed copy cannot edit; it is linted
with them, can only add (never change a packaged rule), and shows in the stamp and the digest.
tests/site_rules/ is the folder these tests use (synthetic names)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.api import Checker
from checker.cli import EXTRA_RULES_ENV, main
from checker.load.ruleset import load_ruleset

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules"
SITE = Path(__file__).resolve().parent / "site_rules"
CASE = """\
schema: mtus-case/1
case: site-probe
dates: {injury: 2012-03-01, request: 2013-11-20}
facts: {site_formulary_approved: true}
requests:
  - id: zorbitol
    text: "Zorbiflex 10 mg BID #60"
  - id: bike
    text: "Hydro bike 2 times a week for 6 weeks"
"""


def run(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env={EXTRA_RULES_ENV: None, **(env or {})})


def one_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mtus: error: ") and "; fix: " in lines[0], result.stderr
    return lines[0]


@pytest.fixture
def case(tmp_path: Path) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(CASE, encoding="utf-8")
    return path


def test_the_site_folder_adds_drugs_services_facts_guidelines_and_topics():
    packaged, extended = load_ruleset(RULES), load_ruleset(RULES, [SITE])
    assert {t.topic for t in extended.topics} - {t.topic for t in packaged.topics} == {"zorbitol", "hydro_bike"}
    assert extended.lexicon.resolve("Zorbiflex").drug.generic == "zorbitol" and packaged.lexicon.resolve("Zorbiflex") is None
    assert "hydro_bike" in extended.services.services and extended.services.find_service("aquatic bicycle x6").key == "hydro_bike"
    assert "site_formulary_approved" in extended.vocabulary.facts and ("site_formulary", "2012") in extended.guidelines
    assert extended.digest != packaged.digest and extended.stamp == f"{packaged.version}+{extended.digest[:12]}+site"
    assert packaged.stamp == f"{packaged.version}+{packaged.digest[:12]}"


def test_a_case_is_decided_by_the_site_topics(case: Path):
    result = run("check", case, "--format", "json", "--rules-extra", SITE)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    decided = {i["topic"]["id"]: i["decision"] for i in report["items"]}
    assert decided == {"zorbitol": "medically_necessary", "hydro_bike": "not_medically_necessary"}  # 12 sessions, 6 covered
    assert report["ruleset"]["stamp"].endswith("+site")


def test_the_environment_variable_names_the_folder_for_every_command(case: Path):
    env = {EXTRA_RULES_ENV: str(SITE)}
    assert run("draft", case, env=env).exit_code == 0
    assert "+site" in run("rules", "lint", env=env).output
    assert "zorbitol" in run("rules", "list", env=env).output
    line = one_error(run("draft", case))  # without the folder, the site's fact is unknown
    assert "facts.site_formulary_approved: unknown fact" in line and "--rules-extra DIR" in line


def test_lint_of_the_site_folder_names_its_own_file(tmp_path: Path):
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    topic = site / "topics" / "zorbitol.yaml"
    topic.write_text(topic.read_text(encoding="utf-8").replace("fact: site_formulary_approved", "fact: site_formulary_aproved"), encoding="utf-8")
    result = run("rules", "lint", "--rules-extra", site)
    assert result.exit_code == 1
    assert f"{topic}: criteria[zorbitol.formulary].2012-01-01.met_when: unknown fact 'site_formulary_aproved'" in result.output
    assert "did you mean 'site_formulary_approved'?" in result.output


@pytest.mark.parametrize(
    ("file", "changes", "field"),
    [
        ("drugs.yaml", [("  zorbitol:", "  carisoprodol:")], "drugs.carisoprodol"),
        ("drugs.yaml", [("brands: [Zorbitol, Zorbiflex]", "brands: [Zorbitol, Soma]")], "drugs.zorbitol"),
        ("facts.yaml", [("  site_formulary_approved:", "  acute_muscle_spasm:")], "facts.acute_muscle_spasm"),
        ("services.yaml", [('names: [hydro bike, "aquatic bicycle"]', "names: [hydro bike, mri]")], "services.hydro_bike"),
        ("guidelines.yaml", [("  site_formulary:", "  cpmtg:"), ('"2012":', '"2009":')], "guidelines.cpmtg 2009"),
    ],
    ids=["drug", "brand", "fact", "service-name", "guideline-edition"],
)
def test_a_site_folder_cannot_change_a_packaged_rule(tmp_path: Path, file: str, changes: list[tuple[str, str]], field: str):
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    path = site / file
    text = path.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    line = one_error(run("rules", "lint", "--rules-extra", site))
    assert line.startswith(f"mtus: error: {path}: {field}: ") and "cannot change them" in line, line
    assert "is already defined by the rules in use" in line or "already has a meaning in the rules in use" in line


def test_a_missing_or_empty_site_folder_is_one_line(tmp_path: Path):
    assert "site rule folder not found" in one_error(run("rules", "lint", "--rules-extra", tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    assert "holds no rule file" in one_error(run("rules", "lint", "--rules-extra", tmp_path / "empty"))


def test_a_changed_site_file_is_not_served_from_the_cache(tmp_path: Path, case: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MTUS_CACHE_DIR", str(tmp_path / "cache"))
    site = Path(shutil.copytree(SITE, tmp_path / "site"))
    first = Checker(extra_dirs=[site]).check(case).report
    topic = site / "topics" / "hydro_bike.yaml"
    topic.write_text(topic.read_text(encoding="utf-8").replace("lte: 6", "lte: 12"), encoding="utf-8")
    second = Checker(extra_dirs=[site]).check(case).report
    assert [i["decision"] for i in first["items"]] == ["medically_necessary", "not_medically_necessary"]
    assert [i["decision"] for i in second["items"]] == ["medically_necessary", "medically_necessary"]
    assert first["ruleset"]["digest"] != second["ruleset"]["digest"]
