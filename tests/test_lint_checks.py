"""The checks of `mtus rules lint`, one module each in checker/lint/checks/: every check passes on the
repository's rules and on a rule set written as its passing example, and fails on one written as its
failing example (files of tests/bad_rules/, or rule sets built with tests/rulesets.py); every module
keeps the contract (ID, TITLE, check, a docstring with a passing and a failing example in YAML);
`--explain` prints the list and each check's documentation; the README's list is made from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rulesets import cite, criterion, rules_dir, rules_with, topic

from checker.lint import CHECKS, lint
from checker.load.ruleset import RuleSet, load_ruleset
from tests.cli_runner import run
from tools.lint_checks_readme import README, with_checks_list

CHECKS_DIR = Path(__file__).resolve().parent.parent / "checker" / "lint" / "checks"


def _short_course(cid: str = "demo.short_course", **more: Any) -> dict:
    return criterion(cid, "Short course", requirement="the request covers at most three weeks",
                     citation=cite("cpmtg", "2009", "Carisoprodol (Soma)", "29"), met_when={"fact": "days_supply", "lte": 21}, **more)


def _clean(root: Path) -> Path:
    return rules_with(root, None)[0]


def _bad(name: str) -> Callable[[Path], Path]:
    """A rule set with tests/bad_rules/<name> in it."""
    return lambda root: rules_with(root, name)[0]


def _topics(*topics: dict) -> Callable[[Path], Path]:
    return lambda root: rules_dir(root, *topics)


def _brace(body_part: str) -> Callable[[Path], Path]:
    return _topics(topic("demo_brace", "Elbow brace", {"services": ["brace"], "body_parts": [body_part]}, [_short_course()]))


def _relaxants(first: dict, second: dict) -> Callable[[Path], Path]:
    return _topics(topic("muscle_relaxants", "Muscle relaxants", first, [_short_course("relaxants.short_course")]),
                   topic("antispasmodics", "Antispasmodics", second, [_short_course("antispasmodics.short_course")]))


def _implies(lab_test: str) -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        rules = _clean(root)
        services = rules / "services.yaml"
        text = services.read_text(encoding="utf-8")
        assert "implies: {lab_test: cbc}" in text, "the CBC service no longer implies lab_test: cbc"
        services.write_text(text.replace("implies: {lab_test: cbc}", f"implies: {{lab_test: {lab_test}}}"), encoding="utf-8")
        return rules

    return build


def _fact(obtained: str) -> Callable[[Path], Path]:
    """The clean rule set with a fact no cue drafts, obtained as given."""
    def build(root: Path) -> Path:
        rules = _clean(root)
        spec = {"type": "boolean", "obtained": obtained, "label": "a flag", "meaning": "a fact no cue drafts"}
        (rules / "facts" / "hostile.yaml").write_text(yaml.safe_dump({"schema": "mtus-facts/1", "facts": {"hostile_flag": spec}}), encoding="utf-8")
        return rules

    return build


LATER = {"2016-07-29": {"met_when": {"fact": "days_supply", "lte": 14}}}

# check id: (a rule set it passes, one it fails, a fragment of the failing line); written as the
# check's examples are, where the bad_rules corpus has no file for it.
EXAMPLES: dict[str, tuple[Callable[[Path], Path], Callable[[Path], Path], str]] = {
    "applies-to": (_brace("elbow"), _brace("elbows"), "applies_to.body_parts: unknown body part 'elbows'; fix: did you mean 'elbow'?"),
    "citation": (_clean, _bad("topics/missing_citation.yaml"), "criterion has no citation"),
    "citation-in-force": (_clean, _bad("topics/citation_not_in_force.yaml"), "cites cpmtg 2016 (2016-07-29..2017-11-30) for 2009-07-18..2016-07-28"),
    "dated-blocks": (_clean, _bad("topics/block_outside_followed_period.yaml"), "the date falls in no period the topic follows"),
    "edition-without-criteria": (_clean, _bad("topics/no_criterion_in_force.yaml"), "no criterion is in force under cpmtg-2009 from 2009-07-18"),
    "fact-range": (_clean, _bad("facts/min_above_max.yaml"), "minimum 10 is above the maximum 5"),
    "fact-tests": (_clean, _bad("topics/value_of_the_wrong_type.yaml"), "days_supply is number but is compared with '21'"),
    "guideline-dates": (_clean, _bad("guidelines/edition_ends_before_it_starts.yaml"), "cpmtg 2009 ends (2008-07-28) before it starts (2009-07-18)"),
    "indication-tree": (_clean, _bad("topics/indication_left_out.yaml"), "indication left out of decision.indicated_when"),
    "met-and-not-met": (_clean, _bad("topics/met_and_not_met_overlap.yaml"), "met_when and not_met_when can both hold"),
    "never-holds": (_clean, _bad("topics/contradictory_range.yaml"), "can never hold: days_supply > 6 and days_supply < 3 exclude each other"),
    "no-topics": (_clean, _topics(), "topics: no rule topics found"),
    "obtained": (_fact("reviewer"), _fact("extracted"), "facts.hostile_flag.obtained: marked extracted, but checker/cues/ has no cues for it"),
    "overlapping-editions": (_clean, _bad("topics/overlapping_editions.yaml"), "editions cpmtg-2009 and acoem2004_general-2004 are both in force"),
    "overlapping-topics": (
        _relaxants({"drug_classes": ["muscle_relaxant"], "except_drugs": ["carisoprodol"]}, {"drugs": ["carisoprodol"]}),
        _relaxants({"drug_classes": ["muscle_relaxant"]}, {"drug_classes": ["muscle_relaxant"], "except_drugs": ["carisoprodol"]}),
        "a request could match topics antispasmodics and muscle_relaxants equally",
    ),
    "reused-id": (
        _topics(topic("demo", "Demo", {"drugs": ["carisoprodol"]}, [_short_course(changes=LATER)])),
        _topics(topic("demo", "Demo", {"drugs": ["carisoprodol"]}, [_short_course(), _short_course(since="2016-07-29")])),
        "criteria[demo.short_course]: criterion id reused",
    ),
    "service-implies": (_implies("cbc"), _implies("blood_count"), "services.cbc.implies: lab_test has no value 'blood_count'"),
    "unconfirmed-pages": (_clean, _bad("topics/unconfirmed_page.yaml"), "an unconfirmed source cites a page as if confirmed"),
}


def test_every_module_of_the_checks_folder_is_a_check_with_its_examples_here():
    modules = {p.stem for p in CHECKS_DIR.glob("*.py") if p.stem != "__init__"}
    assert {cid.replace("-", "_") for cid in CHECKS} == modules
    assert set(EXAMPLES) == set(CHECKS), "give each check a passing and a failing rule set in EXAMPLES"


@pytest.mark.parametrize("check_id", sorted(EXAMPLES))
def test_check_passes_on_its_passing_rule_sets_and_fails_on_its_failing_one(check_id: str, tmp_path: Path, repo_ruleset: RuleSet):
    passing, failing, fragment = EXAMPLES[check_id]
    check = CHECKS[check_id].check
    assert check(repo_ruleset) == []
    assert check(load_ruleset(passing(tmp_path / "passes"))) == []
    ruleset = load_ruleset(failing(tmp_path / "fails"))
    found = check(ruleset)
    assert any(fragment in d.one_line() for d in found), [d.one_line() for d in found]
    assert set(found) <= set(lint(ruleset))


def _examples(documentation: str) -> dict[str, str]:
    """'Passes' / 'Fails': the indented YAML under the line starting with that word."""
    found = {}
    for match in re.finditer(r"^(Passes|Fails)\b[^\n]*:\n\n((?:(?: {4}[^\n]*)?\n)+)", documentation + "\n", re.MULTILINE):
        found[match.group(1)] = "\n".join(line[4:] for line in match.group(2).splitlines())
    return found


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_check_module_has_an_id_a_title_and_documentation_with_a_passing_and_a_failing_yaml_example(check_id: str):
    check = CHECKS[check_id]
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", check.id)
    assert check.title and check.title[0].islower() and not check.title.endswith("."), check.title
    assert check.description and "Passes" not in check.description
    examples = _examples(check.documentation)
    assert set(examples) == {"Passes", "Fails"}, check.documentation
    for example in examples.values():
        assert example.strip(), check.documentation
        yaml.safe_load(example)  # raises on an example that is not YAML



def test_explain_without_a_check_lists_every_check_with_its_title():
    result = run("rules", "lint", "--explain")
    assert result.exit_code == 0, result.output
    listed = [line.split(None, 1) for line in result.output.split("\n\n")[0].splitlines()]
    assert listed == [[c.id, c.title] for c in CHECKS.values()]
    assert "'mtus rules lint --explain CHECK'" in result.output


def test_explain_prints_the_check_s_documentation():
    result = run("rules", "lint", "--explain", "never-holds")
    assert result.exit_code == 0, result.output
    check = CHECKS["never-holds"]
    assert result.output == f"{check.id}: {check.title}\n\n{check.documentation}\n"
    assert "Passes:\n\n    met_when:" in result.output and "Fails (" in result.output


def test_explain_an_unknown_check_is_one_error_line():
    result = run("rules", "lint", "--explain", "never-hold")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "mtus: error: command line: --explain: no lint check 'never-hold'; fix: did you mean 'never-holds'?\n"


def test_the_readme_lists_every_check_as_its_module_documents_it():
    readme = README.read_text(encoding="utf-8")
    assert readme == with_checks_list(readme), "run: python tools/lint_checks_readme.py"
    for check in CHECKS.values():
        assert f"**`{check.id}`** refuses {check.title}." in readme.replace("\n  ", " ")
