"""`mtus rules coverage`: the coverage tally, the threshold, failing fixtures and exit codes.

Most tests build a small source checkout in tmp_path: the repository's facts, drugs and guidelines
with one synthetic topic (two criteria, one with an applicability condition) in rules/topics/, and
synthetic fixtures in tests/rules/. What full coverage means is read from that rule set, not typed.
"""

from __future__ import annotations

import copy
import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from rulesets import cite, criterion, rules_dir, topic

from checker.base.errors import InputError
from checker.load.ruleset import load_ruleset
from checker.measure.coverage import (
    TOPIC_DECISIONS,
    fixture_case,
    floor_percent,
    load_fixtures,
    parse_minimum,
    run_fixtures,
    seen_in_expectations,
    seen_in_runs,
    topic_coverage,
    wanted_statuses,
)
from tests.cli_runner import run

REPO = Path(__file__).resolve().parent.parent

TOPIC = topic("demo", "Demo relaxant", {"drugs": ["carisoprodol"]}, [
    criterion(
        "demo.short_use", "Short use",
        requirement="use stays within 3 weeks",
        citation=cite("cpmtg", "2009", "Carisoprodol (Soma)", "29"),
        met_when={"fact": "weeks_of_use", "lte": 3},
        not_met_when={"fact": "weeks_of_use_at_least", "gt": 3},
    ),
    criterion(
        "demo.spasm", "Spasm unless a flare-up",
        requirement="spasm is documented, unless the request is for a flare-up",
        citation=cite("cpmtg", "2009", "Muscle relaxants (for pain)", "63"),
        applies_when={"fact": "acute_exacerbation", "ne": True},
        met_when={"fact": "acute_muscle_spasm", "eq": True},
    ),
], indicated_when={"all": ["demo.short_use", "demo.spasm"]}, on_denial="wean", provenance={"summary": "synthetic topic for tests/test_coverage.py"})

# The fixture file states only what differs from its defaults: the request date (period), the
# request line, the facts, and case fields merged over the defaults.
FIXTURES = {
    "topic": "demo",
    "defaults": {"dates": {"injury": "2013-01-07", "request": "2014-02-11"}},
    "cases": {
        "all_met": {
            "description": "new short course with spasm",
            "request": {"text": "Soma 350 mg TID #21", "new_start": True},
            "facts": {"acute_muscle_spasm": True, "acute_exacerbation": False},
            "expect": {"decision": "medically_necessary", "criteria": {"demo.short_use": "met", "demo.spasm": "met"}},
        },
        "all_not_met": {
            "description": "months of use, no spasm",
            "period": "2014-02-12",
            "request": "Soma 350 mg TID #21",
            "facts": {"acute_muscle_spasm": False, "acute_exacerbation": False},
            "case": {"medications": [{"drug": "Soma", "documented_since": "2013-06-03"}]},
            "expect": {"decision": "not_medically_necessary", "criteria": {"demo.short_use": "not_met", "demo.spasm": "not_met"}},
        },
        "silent": {
            "description": "nothing documented",
            "request": "Soma 350 mg TID #21",
            "expect": {"criteria": {"demo.short_use": "not_documented", "demo.spasm": "not_documented"}},
        },
        "flare_up": {
            "description": "a flare-up: the spasm criterion does not apply",
            "request": {"text": "Soma 350 mg TID #21", "new_start": True},
            "facts": {"acute_exacerbation": True},
            "expect": {"criteria": {"demo.spasm": "not_applicable"}},
        },
    },
}


def make_checkout(root: Path, fixtures: dict | None = None, topic: dict | None = None) -> Path:
    """root/rules (repository vocabulary, lexicon and guidelines + the demo topic) and root/tests/rules/demo.yaml."""
    rules = rules_dir(root, topic or TOPIC)
    tests = root / "tests" / "rules"
    tests.mkdir(parents=True)
    if fixtures is not None:
        (tests / f"{fixtures['topic']}.yaml").write_text(yaml.safe_dump(fixtures, sort_keys=False))
    return rules



def coverage_json(*args: object) -> tuple[int, dict]:
    result = run("rules", "coverage", "--format", "json", *args)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.stdout)


def full_total(rules: Path) -> int:
    ruleset = load_ruleset(rules)
    return sum(len(wanted_statuses(c)) for _, _, c in ruleset.criteria()) + len(TOPIC_DECISIONS) * len(ruleset.topics)


def without(*names: str) -> dict:
    fixtures = copy.deepcopy(FIXTURES)
    for name in names:
        del fixtures["cases"][name]
    return fixtures


def test_full_coverage_passes(tmp_path):
    rules = make_checkout(tmp_path, FIXTURES)
    code, summary = coverage_json("--rules", rules)
    assert code == 0
    assert summary["covered"] == summary["total"] == full_total(rules)
    assert summary["percent"] == 100.0 and summary["passed"] is True
    assert summary["fixtures"] == {"run": 4, "passed": 4, "failed": 0, "xfailed": 0, "xpassed": 0, "error": 0}
    assert summary["engines"] == ["durable_rules", "reference"]
    (row,) = summary["topics"]
    spasm = next(c for c in row["criteria"] if c["id"] == "demo.spasm")
    short = next(c for c in row["criteria"] if c["id"] == "demo.short_use")
    assert spasm["statuses"] == {"met": True, "not_met": True, "not_documented": True, "not_applicable": True}
    assert short["statuses"]["not_applicable"] is None  # no applicability condition: not wanted
    assert row["decisions"] == {"medically_necessary": True, "not_medically_necessary": True}


def test_a_missing_status_is_listed_and_fails_below_the_minimum(tmp_path):
    rules = make_checkout(tmp_path, without("flare_up"))
    total = full_total(rules)
    code, summary = coverage_json("--rules", rules)
    assert code == 1 and summary["covered"] == total - 1 and summary["below_minimum"]
    spasm = next(c for c in summary["topics"][0]["criteria"] if c["id"] == "demo.spasm")
    assert spasm["missing"] == ["not_applicable"]
    text = run("rules", "coverage", "--rules", rules)
    assert text.exit_code == 1
    assert "demo.spasm: never seen not_applicable" in text.output
    assert f"TOTAL {total - 1}/{total} covered ({floor_percent(total - 1, total):.2f}%)" in text.output
    assert text.output.rstrip().endswith("FAILED: coverage below the minimum")


def test_the_threshold_is_exact(tmp_path):
    rules = make_checkout(tmp_path, without("flare_up"))
    total = full_total(rules)
    exact = Fraction(100 * (total - 1), total)  # the coverage, e.g. 8/9 = 88.888...%
    just_below = f"{float(exact) - 0.001:.3f}"
    just_above = f"{float(exact) + 0.001:.3f}"
    assert run("rules", "coverage", "--rules", rules, "--min", just_below).exit_code == 0
    assert run("rules", "coverage", "--rules", rules, "--min", just_above).exit_code == 1
    # the printed percentage is cut, never rounded up to the threshold
    assert floor_percent(total - 1, total) <= float(exact)
    assert floor_percent(11999, 12000) == 99.99 and floor_percent(0, 5) == 0.0


def test_a_missing_decision_is_reported(tmp_path):
    rules = make_checkout(tmp_path, without("all_met"))
    code, summary = coverage_json("--rules", rules)
    assert code == 1
    assert summary["topics"][0]["missing_decisions"] == ["medically_necessary"]
    assert "demo: no fixture ends medically_necessary" in run("rules", "coverage", "--rules", rules).output


def test_a_wrong_expectation_is_a_failure_and_covers_nothing_it_claims(tmp_path):
    fixtures = copy.deepcopy(FIXTURES)
    fixtures["cases"]["all_met"]["expect"]["criteria"]["demo.short_use"] = "not_documented"
    rules = make_checkout(tmp_path, fixtures)
    code, summary = coverage_json("--rules", rules, "--min", "0")
    assert code == 1 and not summary["passed"] and not summary["below_minimum"]
    (failure,) = summary["failures"]
    assert failure["fixture"] == "demo::all_met" and failure["outcome"] == "failed"
    wrong = [p for p in failure["problems"] if p["kind"] == "wrong_status"]
    assert {p["engine"] for p in wrong} == {"durable_rules", "reference"}
    assert all((p["subject"], p["expected"], p["actual"]) == ("demo.short_use", "not_documented", "met") for p in wrong)
    short = next(c for c in summary["topics"][0]["criteria"] if c["id"] == "demo.short_use")
    assert short["missing"] == ["met"]  # the matching expectations of the failing fixture still count
    text = run("rules", "coverage", "--rules", rules, "--min", "0").output
    assert "FAILED demo::all_met" in text and "demo.short_use: expected not_documented, got met" in text


def test_known_failures_do_not_count_and_a_fixed_one_must_drop_its_mark(tmp_path):
    fixtures = copy.deepcopy(FIXTURES)
    fixtures["cases"]["silent"]["xfail_reason"] = "pretend bug"
    rules = make_checkout(tmp_path, fixtures)
    code, summary = coverage_json("--rules", rules, "--min", "0")
    assert code == 1 and summary["fixtures"]["xpassed"] == 1
    assert summary["failures"][0]["outcome"] == "xpassed"
    assert "remove xfail_reason" in run("rules", "coverage", "--rules", rules, "--min", "0").output

    fixtures["cases"]["silent"]["expect"]["criteria"]["demo.short_use"] = "met"
    rules = make_checkout(tmp_path / "second", fixtures)
    code, summary = coverage_json("--rules", rules, "--min", "0")
    assert code == 0 and summary["fixtures"]["xfailed"] == 1 and summary["failures"] == []
    short = next(c for c in summary["topics"][0]["criteria"] if c["id"] == "demo.short_use")
    assert "not_documented" in short["missing"]  # an xfail fixture confirms nothing


def test_an_item_names_the_request_in_a_case_with_several(tmp_path):
    fixtures = copy.deepcopy(FIXTURES)
    soma = {"id": "soma", **fixtures["cases"]["all_met"].pop("request")}
    fixtures["cases"]["all_met"]["case"] = {"requests": [soma, {"id": "naproxen", "text": "Naproxen 550 mg BID #60"}]}
    rules = make_checkout(tmp_path / "unnamed", fixtures)
    code, summary = coverage_json("--rules", rules)
    assert code == 1
    assert summary["failures"][0]["problems"] == [{"kind": "request_count", "engine": "", "subject": "", "expected": "1", "actual": "2"}]

    fixtures["cases"]["all_met"]["item"] = "soma"
    rules = make_checkout(tmp_path / "named", fixtures)
    assert coverage_json("--rules", rules)[0] == 0


def test_fixture_files_for_unknown_topics_and_topics_without_files(tmp_path):
    stray = copy.deepcopy(FIXTURES)
    stray["topic"] = "nosuchtopic"
    rules = make_checkout(tmp_path, stray)
    code, summary = coverage_json("--rules", rules, "--min", "0")
    assert code == 1
    assert {f["problems"][0]["kind"] for f in summary["failures"]} == {"unknown_topic"}
    assert summary["topics"][0]["fixture_file"] is False and summary["covered"] == 0
    assert "(no fixture file demo.yaml)" in run("rules", "coverage", "--rules", rules, "--min", "0").output


def test_an_empty_run_is_bad_input(tmp_path):
    rules = make_checkout(tmp_path, None)
    result = run("rules", "coverage", "--rules", rules)
    assert result.exit_code == 2
    assert result.stderr.startswith("mtus: error: ") and "no rule fixture found" in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda f: f["cases"]["silent"].update(expected={}), "cases.silent.expected: unknown field; fix: did you mean 'expect'?"),
        (lambda f: f["cases"]["silent"]["expect"]["criteria"].update({"demo.spasm": "unknown"}), "bad status"),
        (lambda f: f["cases"]["silent"]["expect"].update(decision="approved"), "cases.silent.expect.decision: unknown decision"),
        (lambda f: f["cases"]["silent"].pop("description"), "cases.silent.description: required field is missing"),
    ],
)
def test_a_malformed_fixture_file_is_one_line_exit_2(tmp_path, mutate, fragment):
    fixtures = copy.deepcopy(FIXTURES)
    mutate(fixtures)
    rules = make_checkout(tmp_path, fixtures)
    result = run("rules", "coverage", "--rules", rules)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "demo.yaml" in result.stderr and fragment in result.stderr


def test_a_fixture_file_named_for_another_topic_and_an_unquoted_hash(tmp_path):
    rules = make_checkout(tmp_path, FIXTURES)
    tests = tmp_path / "tests" / "rules"
    (tests / "demo.yaml").rename(tests / "other.yaml")
    result = run("rules", "coverage", "--rules", rules)
    assert result.exit_code == 2 and "name the file demo.yaml" in result.stderr

    (tests / "other.yaml").unlink()
    text = yaml.safe_dump(FIXTURES, sort_keys=False)
    for key in ("text", "request"):  # a request line, written as a mapping or as the text alone
        assert f"{key}: 'Soma 350 mg TID #21'" in text
        (tests / "demo.yaml").write_text(text.replace(f"{key}: 'Soma 350 mg TID #21'", f"{key}: Soma 350 mg TID #21", 1))
        result = run("rules", "coverage", "--rules", rules)
        assert result.exit_code == 2 and "quote the text" in result.stderr


def test_a_fixture_case_that_does_not_load_is_reported_and_exits_2(tmp_path):
    fixtures = copy.deepcopy(FIXTURES)
    fixtures["cases"]["silent"]["request"] = "Frobnicol 10 mg BID #60"
    rules = make_checkout(tmp_path, fixtures)
    code, summary = coverage_json("--rules", rules)
    assert code == 2 and summary["fixtures"]["error"] == 1 and summary["fixtures"]["passed"] == 3
    (failure,) = summary["failures"]
    assert failure["outcome"] == "error"
    message = failure["problems"][0]["actual"]
    assert "demo.yaml: cases.silent.case.requests[0]" in message and "Frobnicol" in message


def test_default_tests_dir_is_beside_the_rules_and_required_elsewhere(tmp_path):
    rules = make_checkout(tmp_path, FIXTURES)
    assert run("rules", "coverage", "--rules", rules).exit_code == 0

    lone = tmp_path / "installed" / "rules"
    shutil.copytree(rules, lone)
    result = run("rules", "coverage", "--rules", lone)
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "--tests" in result.stderr and "no tests/rules directory" in result.stderr
    assert run("rules", "coverage", "--rules", lone, "--tests", tmp_path / "tests" / "rules").exit_code == 0

    missing = run("rules", "coverage", "--rules", rules, "--tests", tmp_path / "nowhere")
    assert missing.exit_code == 2 and "rule fixture directory not found" in missing.stderr


@pytest.mark.parametrize("value", ["abc", "101", "-1", "1/0"])
def test_bad_minimum_is_bad_input(value):
    with pytest.raises(InputError):
        parse_minimum(value)
    result = run("rules", "coverage", "--min", value)
    assert result.exit_code == 2 and "--min" in result.stderr


def test_same_input_same_bytes(tmp_path):
    rules = make_checkout(tmp_path, without("flare_up"))
    for fmt in ("text", "json"):
        first = run("rules", "coverage", "--rules", rules, "--format", fmt)
        second = run("rules", "coverage", "--rules", rules, "--format", fmt)
        assert first.stdout == second.stdout and first.stdout


def test_a_fixture_states_only_what_differs_from_its_file_defaults():
    defaults = {"claimant": {"age": 40, "sex": "female"}, "dates": {"injury": "2013-01-07", "request": "2014-02-11"}, "facts": {"pain_relief": True}}
    kept = copy.deepcopy(defaults)
    body = {"period": "2015-03-03", "request": {"text": "Soma 350 mg TID #21", "new_start": True},
            "facts": {"acute_muscle_spasm": True}, "case": {"claimant": {"age": 52}}}
    case = fixture_case("demo", "later", defaults, body, "demo.yaml")
    assert (case["schema"], case["case"]) == ("mtus-case/1", "fixture-demo-later")
    assert case["dates"] == {"injury": "2013-01-07", "request": "2015-03-03"}  # period: the request date
    assert case["claimant"] == {"age": 52, "sex": "female"}  # case: merged key by key over the defaults
    assert case["facts"] == {"pain_relief": True, "acute_muscle_spasm": True}  # facts: added to the defaults'
    assert case["requests"] == [{"id": "item", "text": "Soma 350 mg TID #21", "new_start": True}]
    assert defaults == kept  # each fixture starts from the defaults as written
    plain = fixture_case("demo", "plain", defaults, {"request": "Soma 350 mg TID #21"}, "demo.yaml")
    assert plain["requests"] == [{"id": "item", "text": "Soma 350 mg TID #21"}] and plain["dates"]["request"] == "2014-02-11"
    assert plain["facts"] == {"pain_relief": True}


def test_repository_runs_confirm_every_claimed_status(repo_ruleset, repo_program, durable_evaluator, reference_evaluator):
    """On the repository's fixtures, what the runs confirm equals what the passing fixtures claim."""
    fixtures = load_fixtures(REPO / "tests" / "rules")
    runs = run_fixtures(repo_ruleset, repo_program, (durable_evaluator, reference_evaluator), fixtures)
    failing = [(r.fixture.test_id, r.problems) for r in runs if r.outcome not in ("passed", "xfailed")]
    assert not failing, failing
    confirmed = topic_coverage(repo_ruleset, seen_in_runs(runs))
    claimed = topic_coverage(repo_ruleset, seen_in_expectations(fixtures))
    assert confirmed == claimed


def service_topic(number: int) -> dict:
    name = f"svc{number}"
    return topic(name, f"Demo service {number}", {"services": [f"demo_service_{number}"]}, [
        criterion(
            f"{name}.spasm", "Spasm unless a flare-up",
            requirement="spasm is documented, unless the request is for a flare-up",
            citation=cite("cpmtg", "2009", "Muscle relaxants (for pain)", "63"),
            applies_when={"fact": "acute_exacerbation", "ne": True},
            met_when={"fact": "acute_muscle_spasm", "eq": True},
        ),
        criterion(
            f"{name}.first_line", "First-line care tried",
            requirement="first-line analgesics were tried",
            citation=cite("cpmtg", "2009", "Muscle relaxants (for pain)", "63"),
            met_when={"fact": "first_line_analgesic_failed", "eq": True},
        ),
    ])


def service_fixtures(number: int) -> dict:
    name = f"svc{number}"
    met, not_met, unknown = (
        {f"{name}.spasm": s, f"{name}.first_line": s} for s in ("met", "not_met", "not_documented")
    )
    return {"topic": name, "defaults": {"dates": {"request": "2015-03-03"}}, "cases": {
        "met": {"description": "all met", "request": {"text": f"Demo service {number}", "service": f"demo_service_{number}"},
                "facts": {"acute_muscle_spasm": True, "acute_exacerbation": False, "first_line_analgesic_failed": True},
                "expect": {"decision": "medically_necessary", "criteria": met}},
        "not_met": {"description": "all denied", "request": f"Demo service {number}",
                    "facts": {"acute_muscle_spasm": False, "acute_exacerbation": False, "first_line_analgesic_failed": False},
                    "expect": {"decision": "not_medically_necessary", "criteria": not_met}},
        "silent": {"description": "nothing documented", "request": f"Demo service {number}", "expect": {"criteria": unknown}},
        "flare": {"description": "a flare-up", "request": f"Demo service {number}", "facts": {"acute_exacerbation": True, "first_line_analgesic_failed": True},
                  "expect": {"decision": "medically_necessary", "criteria": {f"{name}.spasm": "not_applicable"}}},
    }}


def test_dozens_of_topics(tmp_path):
    """Thirty topics with four fixtures each: all run on both engines, all covered, all listed."""
    rules = make_checkout(tmp_path, None)
    (rules / "topics" / "demo.yaml").unlink()
    services = yaml.safe_load((rules / "services.yaml").read_text())
    services["services"].update({f"demo_service_{n}": {"category": "therapy", "names": [f"demo service {n}"]} for n in range(30)})
    (rules / "services.yaml").write_text(yaml.safe_dump(services, sort_keys=False))
    for number in range(30):
        (rules / "topics" / f"svc{number}.yaml").write_text(yaml.safe_dump(service_topic(number), sort_keys=False))
        (tmp_path / "tests" / "rules" / f"svc{number}.yaml").write_text(yaml.safe_dump(service_fixtures(number), sort_keys=False))
    code, summary = coverage_json("--rules", rules)
    assert code == 0, summary["failures"][:3]
    assert summary["fixtures"]["run"] == summary["fixtures"]["passed"] == 120
    assert len(summary["topics"]) == 30 and summary["covered"] == summary["total"] == full_total(rules)
    text = run("rules", "coverage", "--rules", rules).output
    assert all(f"svc{n}.first_line" in text for n in range(30))
