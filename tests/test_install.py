"""A fresh install works: the wheel holds every rule, template, cue and schema file of the checkout,
and, installed into a new virtual environment, runs from a folder outside the checkout what a user
runs first (lint, draft, extract, a site rule folder, and import when ../shared holds letters).
The steps are tools/check_install.py's, which .ci/run also runs; the environment is built once.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from checker.load.ruleset import load_ruleset
from tools.check_install import (
    InstallCheckFailed,
    Installed,
    build_wheel,
    check_compiled_dataclasses,
    check_compiled_patterns,
    check_compiled_templates,
    check_draft,
    check_extract,
    check_import,
    check_imports_the_installed_copy,
    check_lint,
    check_site_rules,
    compare_data_files,
    expected_data_files,
    install,
    wheel_data_files,
)

REPO = Path(__file__).resolve().parent.parent
LETTERS = REPO.parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(REPO, tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return install(wheel, tmp_path_factory.mktemp("install"))


def test_the_wheel_holds_every_rule_template_cue_and_schema_file(wheel: Path):
    expected = expected_data_files(REPO)
    assert {"checker/rules/facts/therapy.yaml", "checker/rules/topics/opioids.yaml", "checker/templates/draft.txt.j2",
            "checker/cues/facts.yaml", "checker/schemas/case.schema.json", "checker/rules/changelog.yaml"} <= expected
    assert wheel_data_files(wheel) == expected
    assert compare_data_files(REPO, wheel).endswith(f"holds all {len(expected)} rule, template, cue and schema files")


def test_a_wheel_without_a_rule_folder_is_refused_by_name(wheel: Path, tmp_path: Path):
    broken = tmp_path / wheel.name
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(broken, "w") as target:
        for name in source.namelist():
            if "/rules/facts/" not in name:
                target.writestr(name, source.read(name))
    with pytest.raises(InstallCheckFailed, match=r"lacks \['checker/rules/facts/diagnostics.yaml'"):
        compare_data_files(REPO, broken)


def test_the_fresh_environment_runs_the_wheel_not_the_checkout(installed: Installed):
    assert "site-packages" in check_imports_the_installed_copy(installed, REPO)
    assert not installed.work.resolve().is_relative_to(REPO.resolve())


def test_the_installed_templates_come_compiled_ahead(installed: Installed):
    assert check_compiled_templates(installed).startswith("all ")


def test_the_installed_dataclasses_come_compiled_ahead(installed: Installed):
    assert check_compiled_dataclasses(installed).endswith("none compiled by a check")


def test_the_installed_regular_expressions_come_compiled_ahead(installed: Installed):
    assert check_compiled_patterns(installed, REPO).endswith("none compiled by a check")


def test_installed_rules_lint_is_clean_and_has_every_topic(installed: Installed):
    topics = len(load_ruleset(REPO / "rules").topics)
    assert check_lint(installed).startswith(f"mtus rules lint: ok: {topics} topics, ")


def test_installed_draft_of_a_copied_example(installed: Installed):
    assert check_draft(installed, REPO).startswith("mtus draft case.yaml: mtus-checker rules ")


def test_installed_extract_writes_a_case_file_that_draft_reads(installed: Installed):
    assert "which mtus draft reads" in check_extract(installed)
    refused = installed.run("mtus", "extract", "note.txt", "--request", "Soma 350 mg BID #60", ok=(2,))
    assert refused.stdout == "" and refused.stderr.startswith("mtus: error: command line: --as-of: no request date")


def test_installed_copy_takes_a_site_rule_folder(installed: Installed):
    topics = len(load_ruleset(REPO / "rules", [REPO / "tests" / "site_rules"]).topics)
    linted = check_site_rules(installed, REPO)
    assert f"ok: {topics} topics, " in linted and linted.endswith("+site")


def test_installed_import_of_a_letter(installed: Installed):
    if not LETTERS.is_dir():
        pytest.skip(f"no IMR letters at {LETTERS} (../shared/seeds beside the checkout): mtus import of the installed copy not tried")
    assert "which mtus draft reads" in check_import(installed, LETTERS)
