"""The rule-set version moves with the rules: rules/changelog.yaml's newest entry covers the rule files
as they are (their digest), names the topics and request periods it affects, and is the version in
ruleset.yaml. When this fails after a rule change, add an entry (see tools/rules_version.py):

    python tools/rules_version.py bump VERSION --topics TOPIC,... --periods "from YYYY-MM-DD" --summary "what changed"
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import yaml

from checker.load.ruleset import load_ruleset
from tools.rules_version import bump, main, problems

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules"
TODAY = dt.date.today()


def test_the_newest_version_covers_the_rule_files():
    found = problems(RULES)
    assert found == [], "\n".join(found)


def _copy_rules(tmp_path: Path) -> Path:
    return Path(shutil.copytree(RULES, tmp_path / "rules"))


def _newest(rules: Path) -> dict:
    return yaml.safe_load((rules / "changelog.yaml").read_text(encoding="utf-8"))["versions"][0]


def test_a_rule_change_without_a_version_entry_fails_until_one_is_added(tmp_path: Path):
    rules = _copy_rules(tmp_path)
    topic = rules / "topics" / "carisoprodol.yaml"
    topic.write_text(topic.read_text(encoding="utf-8").replace("lte: 3", "lte: 4", 1), encoding="utf-8")
    found = problems(rules)
    assert len(found) == 1 and "the rule files changed since version" in found[0] and "tools/rules_version.py bump" in found[0]

    bump(rules, "9.0.0", ["carisoprodol"], ["2009-07-18 to 2016-07-28"], "Carisoprodol: up to 4 weeks of use.", TODAY)
    assert problems(rules) == []
    newest = _newest(rules)
    assert newest["version"] == "9.0.0" and newest["topics"] == ["carisoprodol"] and newest["periods"] == ["2009-07-18 to 2016-07-28"]
    assert newest["date"] == TODAY and newest["digest"] == load_ruleset(rules).digest
    assert load_ruleset(rules).stamp.startswith("9.0.0+")


def test_a_summary_outside_ascii_or_with_backslashes_is_written_as_given(tmp_path: Path):
    """The entry is inserted verbatim: json writes "broström" as "brostr\\u00f6m", which a regex
    replacement template would have read as a bad escape."""
    rules = _copy_rules(tmp_path)
    topic = rules / "topics" / "carisoprodol.yaml"
    topic.write_text(topic.read_text(encoding="utf-8").replace("lte: 3", "lte: 4", 1), encoding="utf-8")
    bump(rules, "9.0.0", ["carisoprodol"], ["all"], "The name broström and a path C:\\rules\\1 stay as written.", TODAY)
    assert _newest(rules)["summary"] == "The name broström and a path C:\\rules\\1 stay as written."
    assert problems(rules) == []


def test_an_entry_must_say_which_topics_and_periods_in_order(tmp_path: Path):
    rules = _copy_rules(tmp_path)
    path = rules / "changelog.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    newest = dict(data["versions"][0])
    data["versions"] = [
        {**newest, "version": "0.0.9", "topics": ["no_such_topic"], "periods": ["since 2016"], "summary": ""},
        {**newest, "digest": "0" * 64},
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    found = "\n".join(problems(rules))
    assert "versions[0]: lacks summary" in found
    assert "'since 2016' is not 'all', 'from DATE', 'until DATE' or 'DATE to DATE'" in found
    assert f"is listed above {newest['version']}, which is not older" in found


def test_the_topics_named_must_exist_and_the_version_match_ruleset_yaml(tmp_path: Path):
    rules = _copy_rules(tmp_path)
    bump(rules, "9.0.0", ["no_such_topic"], ["all"], "A test entry.", TODAY)
    assert problems(rules) == ["version 9.0.0 names topics the rules do not have: no_such_topic (use topic ids, or all)"]
    changelog = rules / "changelog.yaml"
    changelog.write_text(changelog.read_text(encoding="utf-8").replace("version: 9.0.0", "version: 9.0.1"), encoding="utf-8")
    assert "ruleset.yaml says version 9.0.0, the newest entry 9.0.1; make them the same" in problems(rules)


def test_the_command_reports_and_exits_1_when_an_entry_is_missing(tmp_path: Path, capsys):
    rules = _copy_rules(tmp_path)
    assert main(["--rules", str(rules), "check"]) == 0
    (rules / "drugs.yaml").write_text((rules / "drugs.yaml").read_text(encoding="utf-8") + "\n# a comment is a change too\n", encoding="utf-8")
    assert main(["--rules", str(rules), "check"]) == 1
    assert "the rule files changed since version" in capsys.readouterr().out
    assert main(["--rules", str(rules), "digest"]) == 0
    assert capsys.readouterr().out.strip() == load_ruleset(rules).digest
