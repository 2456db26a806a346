"""`mtus rules docs`: every guideline, topic, edition and criterion, with each criterion's numeric
limits, the facts it reads and its citation, is in the Markdown and in the HTML reference; HTML
escapes everything and is one self-contained file; the same rules give the same bytes."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.cli import main
from checker.conditions import parse_condition
from checker.conditions import tests as condition_tests
from checker.docs import condition_data
from checker.render import environment, format_number
from checker.rules import GATE_TOPIC, RuleSet, load_ruleset

REPO = Path(__file__).resolve().parent.parent
FORMATS = ("markdown", "html")
ANCHOR = re.compile(r'\bid="(topic|edition|criterion)-([^"]+)"')


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def docs(fmt: str, *args: object) -> str:
    result = run("rules", "docs", "--format", fmt, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def readable(text: str, fmt: str) -> str:
    """The text a reader sees: HTML entities decoded, line breaks and runs of spaces as one space."""
    return " ".join((html.unescape(text) if fmt == "html" else text).split())


def sections(text: str, fmt: str) -> dict[tuple[str, str], str]:
    """(kind, id) -> the text from that anchor to the next one."""
    marks = list(ANCHOR.finditer(text))
    found = {}
    for here, after in zip(marks, [*marks[1:], None], strict=True):
        found[(here.group(1), html.unescape(here.group(2)))] = readable(text[here.end(): after.start() if after else len(text)], fmt)
    return found


def with_unit(value: object, unit: str) -> str:
    number = format_number(value)
    if not unit:
        return number
    return f"{number}{unit}" if unit == "%" or unit.startswith("/") else f"{number} {unit}"


def missing_from_docs(ruleset: RuleSet, text: str, fmt: str) -> list[str]:
    """Everything of the rule set a reader could not find in the reference, located by anchor."""
    missing = []
    whole = readable(text, fmt)
    found = sections(text, fmt)
    for (key, edition), g in ruleset.guidelines.items():
        if f"{key}" not in whole or g.letter_name not in whole:
            missing.append(f"guideline {key} {edition}")
    for topic in ruleset.topics:
        if topic.title not in found.get(("topic", topic.topic), ""):
            missing.append(f"topic {topic.topic}")
        for edition in topic.editions:
            chunk = found.get(("edition", edition.key), "")
            dates = [edition.effective_from.isoformat()] + ([edition.effective_to.isoformat()] if edition.effective_to else [])
            if edition.edition not in chunk or any(d not in chunk for d in dates):
                missing.append(f"edition {edition.key}")
            for criterion in edition.criteria:
                if criterion.id not in chunk:
                    missing.append(f"decision logic of {edition.key}: {criterion.id}")
                missing += [f"criterion {criterion.id}: {m}" for m in _missing_criterion_parts(ruleset, criterion, found)]
    return missing


def _missing_criterion_parts(ruleset: RuleSet, criterion, found: dict) -> list[str]:
    key = ("criterion", criterion.id)
    if key not in found:
        return ["no section"]
    chunk = found[key]
    wanted = [criterion.id, criterion.title, " ".join(criterion.requirement.split())]
    if criterion.citation:
        wanted += [criterion.citation.section, criterion.citation.pages]
    for _, cond in criterion.conditions():
        for _, name, op, value in condition_tests(cond):
            fact = ruleset.vocabulary.facts[name]
            if op == "exists":
                wanted.append(f"the records {'state' if value else 'do not state'} {fact.label}")
            elif fact.type in ("number", "integer"):
                wanted.append(f"{fact.label} is ")
                wanted += [with_unit(v, fact.unit) for v in (value if isinstance(value, tuple) else (value,))]
            elif fact.type == "boolean":
                wanted.append(fact.when_true or fact.label)
            else:
                wanted.append(fact.label)
    return [w for w in wanted if w and w not in chunk]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_rule_is_in_the_reference(fmt, repo_ruleset):
    text = docs(fmt)
    assert missing_from_docs(repo_ruleset, text, fmt) == []
    assert repo_ruleset.digest in text and repo_ruleset.name in readable(text, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_check_notices_a_missing_criterion_or_limit(fmt, repo_ruleset):
    text = docs(fmt)
    with_limits = [
        c for _, _, c in repo_ruleset.criteria()
        if any(isinstance(v, (int, float)) and not isinstance(v, bool) for _, _, _, v in condition_tests(c.met_when))
    ]
    assert with_limits, "the repository rules have no numeric limit to test with"
    victim = with_limits[0]
    start = text.index(f'id="criterion-{victim.id}"')
    end = ANCHOR.search(text, start + 1).start()
    assert f"criterion {victim.id}: no section" in missing_from_docs(repo_ruleset, text[:start] + text[end:], fmt)

    (_, name, _, value) = next(t for t in condition_tests(victim.met_when) if isinstance(t[3], (int, float)))
    shown = with_unit(value, repo_ruleset.vocabulary.facts[name].unit)
    section = text[start:end]
    assert shown in readable(section, fmt)
    altered = text[:start] + section.replace(format_number(value), "N") + text[end:]
    assert f"criterion {victim.id}: {shown}" in missing_from_docs(repo_ruleset, altered, fmt)


def words(raw: dict, vocabulary) -> str:
    template = environment().from_string('{% import "_rules_docs.j2" as d %}{{ d.condition_words(c) }}')
    return template.render(c=condition_data(parse_condition(raw, "test", "cond"), vocabulary))


def test_conditions_read_as_plain_words_with_labels_and_units(repo_ruleset):
    facts = repo_ruleset.vocabulary.facts
    vocabulary = repo_ruleset.vocabulary
    weeks = facts["weeks_of_use"]
    assert words({"fact": "weeks_of_use", "gt": 3}, vocabulary) == f"{weeks.label} is more than 3 {weeks.unit}"
    assert words({"fact": "days_supply", "lte": 7.5}, vocabulary) == f"{facts['days_supply'].label} is at most 7.5 days"
    spasm, relief, pain = facts["acute_muscle_spasm"], facts["pain_relief"], facts["pain_reduction_percent"]
    nested = {"any": [
        {"fact": "acute_muscle_spasm", "eq": True},
        {"all": [{"fact": "pain_reduction_percent", "gte": 30}, {"fact": "pain_relief", "eq": False}]},
    ]}
    assert words(nested, vocabulary) == (
        f"the records show {spasm.when_true} or ({pain.label} is at least 30% and the records show {relief.when_false or 'no ' + relief.label})"
    )
    assert words({"fact": "drug", "in": ["oxycodone", "morphine"]}, vocabulary) == f"{facts['drug'].label} is one of oxycodone, morphine"
    assert words({"not": {"fact": "days_supply", "gt": 21}}, vocabulary) == f"not ({facts['days_supply'].label} is more than 21 days)"


def test_html_escapes_everything_and_is_self_contained(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    topic_file = sorted((rules / "topics").glob("*.yaml"))[0]
    topic = yaml.safe_load(topic_file.read_text())
    topic["title"] = '<script>alert("title")</script> & Co'
    topic["sources"] = "<img onerror=alert(1)> quoted 'here'"
    topic["editions"][0]["criteria"][0]["requirement"] = "less than <b>3</b> weeks & more"
    topic_file.write_text(yaml.safe_dump(topic, sort_keys=False))
    page = docs("html", "--rules", rules)
    assert "<script" not in page and "<img" not in page and "<b>3" not in page
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; &amp; Co" in page
    assert "less than &lt;b&gt;3&lt;/b&gt; weeks &amp; more" in page
    # one file: no external stylesheet, script, image or link; every internal link lands on an id
    assert "<link" not in page and " src=" not in page and "http://" not in page and "https://" not in page
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    targets = re.findall(r'href="([^"]*)"', page)
    assert targets and all(t.startswith("#") and t[1:] in ids for t in targets)
    assert missing_from_docs(load_ruleset(rules), page, "html") == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_rules_same_bytes_and_out_writes_them(fmt, tmp_path):
    first, second = docs(fmt), docs(fmt)
    assert first == second
    out = tmp_path / f"rules.{fmt}"
    result = run("rules", "docs", "--format", fmt, "--out", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_bytes() == first.encode("utf-8")


def test_out_into_a_missing_folder_is_one_line_exit_2(tmp_path):
    result = run("rules", "docs", "--out", tmp_path / "no" / "such" / "rules.md")
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "--out" in result.stderr


def test_dozens_of_topics_are_all_documented(tmp_path):
    """Thirty topics (copies of the repository's under new ids) all reach both formats."""
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    originals = sorted(p for p in (rules / "topics").glob("*.yaml") if p.stem != GATE_TOPIC)  # one gate only
    for number in range(30):
        source = yaml.safe_load(originals[number % len(originals)].read_text())
        text = yaml.safe_dump(source, sort_keys=False).replace(f"{source['topic']}.", f"copy{number}_{source['topic']}.")
        copy = yaml.safe_load(text)
        copy["topic"] = f"copy{number}_{source['topic']}"
        copy["title"] = f"{source['title']} (copy {number})"
        (rules / "topics" / f"{copy['topic']}.yaml").write_text(yaml.safe_dump(copy, sort_keys=False))
    ruleset = load_ruleset(rules)
    assert len(ruleset.topics) == 30 + len(originals) + 1
    for fmt in FORMATS:
        assert missing_from_docs(ruleset, docs(fmt, "--rules", rules), fmt) == []
