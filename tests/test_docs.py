"""`mtus rules docs`: every guideline; every topic with what it encodes, its readings, what it does
not encode and the guideline editions it follows; every edition in force over time; every criterion
with its role, provenance and dated changes, its numeric limits, the facts it reads and its citation;
and every unconfirmed item, are in the Markdown and in the HTML reference. HTML escapes everything and
is one self-contained file; the same rules give the same bytes. `mtus rules list` shows the same
structure in short."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from pathlib import Path

import pytest
import yaml
from rulesets import cite, rules_dir
from rulesets import criterion as make_criterion
from rulesets import topic as make_topic

from checker.docs.docs import condition_data
from checker.lint import lint
from checker.load.conditions import parse_condition
from checker.load.conditions import tests as condition_tests
from checker.load.ruleset import GATE_TOPIC, RuleSet, load_ruleset
from checker.render.render import environment, format_number
from tests.cli_runner import run

REPO = Path(__file__).resolve().parent.parent
FORMATS = ("markdown", "html")
ANCHOR = re.compile(r'\bid="(topic|edition|criterion|list)-([^"]+)"')



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


def plain(chunk: str) -> str:
    """A section's text without HTML tags or Markdown emphasis."""
    return " ".join(re.sub(r"<[^>]+>|\*\*|`", " ", chunk).split()).replace(" :", ":").replace(" ,", ",").replace(" )", ")")


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
        missing += [f"topic {topic.topic}: {w}" for w in _topic_parts(topic) if w not in found.get(("topic", topic.topic), "")]
        for edition in topic.editions:
            chunk = found.get(("edition", edition.key), "")
            dates = [edition.effective_from.isoformat()] + ([edition.effective_to.isoformat()] if edition.effective_to else [])
            if edition.edition not in chunk or any(d not in chunk for d in dates):
                missing.append(f"edition {edition.key}")
            for criterion in edition.criteria:
                if criterion.id not in chunk:
                    missing.append(f"decision logic of {edition.key}: {criterion.id}")
                missing += [f"criterion {criterion.id}: {m}" for m in _missing_criterion_parts(ruleset, criterion, found)]
        for dated in topic.dated_criteria:
            chunk = found.get(("criterion", dated.id), "")
            missing += [f"criterion {dated.id}: {w}" for w in _dated_parts(dated) if w not in chunk]
    missing += _missing_unconfirmed(ruleset, text, fmt)
    return missing


def _topic_parts(topic) -> list[str]:
    """What the topic section must hold: title, provenance, readings, not_encoded, each followed edition and its dates."""
    wanted = [topic.title, topic.provenance.summary, *topic.provenance.readings]
    wanted += [part for n in topic.not_encoded for part in (n.what, n.why)]
    for followed in topic.follows:
        wanted += [followed.label, followed.effective_from.isoformat()] + ([followed.effective_to.isoformat()] if followed.effective_to else [])
    return [w for w in wanted if w]


def _dated_parts(dated) -> list[str]:
    """What a criterion's section must hold besides its conditions: its role, the guidelines it is
    under, its provenance and the date of every block."""
    wanted = [dated.id, dated.role, *dated.under, *(day.isoformat() for day, _ in dated.blocks)]
    wanted += ["withdrawn" for _, block in dated.blocks if block.get("withdrawn")]
    provenance = dated.provenance
    if provenance is not None:
        wanted += [*provenance.confirmed_by, provenance.note, provenance.confidence.upper() if provenance.confidence == "unconfirmed" else ""]
        if provenance.paraphrases is not None:
            wanted += [provenance.paraphrases.section, provenance.paraphrases.pages]
    return [w for w in wanted if w]


def _missing_unconfirmed(ruleset: RuleSet, text: str, fmt: str) -> list[str]:
    """Every criterion of unconfirmed provenance and every page no source confirms is a line of the
    list of unconfirmed items (a block's page with the block's date)."""
    start = text.find('id="list-unconfirmed"')
    listed = [readable(line, fmt) for line in text[start: text.find('id="list-facts"')].splitlines()] if start >= 0 else []
    missing = []
    for topic in ruleset.topics:
        for dated in topic.dated_criteria:
            wanted = []
            if dated.provenance is not None and dated.provenance.confidence == "unconfirmed":
                wanted.append((dated.id, "unconfirmed provenance"))
            wanted += [(dated.id, f"from {day.isoformat()}") for day, block in dated.blocks
                       if isinstance(block.get("citation"), dict) and block["citation"].get("pages_confirmed") is False]
            if dated.provenance is not None and dated.provenance.paraphrases is not None and not dated.provenance.paraphrases.pages_confirmed:
                wanted.append((dated.id, "paraphrased page"))
            missing += [f"unconfirmed {cid}: {what}" for cid, what in wanted if not any(cid in line and what in line for line in listed)]
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
                shows_true = (op == "eq") == (value is True)
                wanted.append((fact.when_true or fact.label) if shows_true else (fact.when_false or f"no {fact.label}"))
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
    topic["provenance"] = {"summary": "<img onerror=alert(1)> quoted 'here'", "readings": ["<i>one</i> reading"]}
    topic["not_encoded"] = [{"what": "<u>a dose</u>", "why": "no <em>source</em>"}]
    first = topic["criteria"][0]
    first[min(k for k in first if isinstance(k, dt.date))]["requirement"] = "less than <b>3</b> weeks & more"
    first["provenance"] = {"confirmed_by": ["<s>struck</s>"], "confidence": "partial", "note": "<q>noted</q>"}
    topic_file.write_text(yaml.safe_dump(topic, sort_keys=False))
    page = docs("html", "--rules", rules)
    for tag in ("<script", "<img", "<b>3", "<i>", "<u>", "<em>source", "<s>", "<q>"):
        assert tag not in page, tag
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; &amp; Co" in page
    assert "less than &lt;b&gt;3&lt;/b&gt; weeks &amp; more" in page
    assert "&lt;img onerror=alert(1)&gt; quoted &#39;here&#39;" in page and "&lt;u&gt;a dose&lt;/u&gt;: no &lt;em&gt;source&lt;/em&gt;" in page
    assert "confirmed by &lt;s&gt;struck&lt;/s&gt;" in page and "&lt;q&gt;noted&lt;/q&gt;" in page
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


# ---- the v2 structure on a small synthetic rule set ---------------------------------------------------

UNCONFIRMED_PAGE = {"guideline": "cpmtg", "edition": "2009", "section": "Muscle relaxants (for pain)", "pages": "64", "pages_confirmed": False}
SHOWCASE = make_topic(
    "showcase", "Showcase relaxant (test)", {"drugs": ["carisoprodol"]},
    [
        make_criterion("showcase.spasm", "Spasm documented", role="indication",
                  provenance={"paraphrases": UNCONFIRMED_PAGE, "confirmed_by": ["mtus-reference.md 3.1 [C]", "quoted in 4 dev letters"],
                              "confidence": "partial", "note": "spasm or a flare-up"},
                  requirement="acute spasm is documented", citation=cite("cpmtg", "2009", "Muscle relaxants (for pain)", "63"),
                  met_when={"fact": "acute_muscle_spasm", "eq": True},
                  changes={"2016-07-29": {"withdrawn": True}}),
        make_criterion("showcase.short_course", "Short course", role="limit",
                  provenance={"confirmed_by": ["mtus-reference.md 3.1 [C]"], "confidence": "confirmed"},
                  requirement="the request lasts at most 3 weeks", citation=cite("cpmtg", "2009", "Carisoprodol (Soma)", "29"),
                  met_when={"fact": "days_supply", "lte": 21},
                  changes={"2012-01-01": {"met_when": {"fact": "days_supply", "lte": 17}},
                           "2016-07-29": {"citation": cite("cpmtg", "2016", "Carisoprodol (Soma)"), "title": "Short course only"}}),
        make_criterion("showcase.cures", "CURES checked", role="documentation", since="2016-07-29",
                  provenance={"confidence": "unconfirmed", "note": "no source names it for relaxants"},
                  requirement="a CURES report is checked",
                  citation=cite("cpmtg", "2016", "Opioids, steps to avoid misuse/addiction", "94", pages_confirmed=False),
                  met_when={"fact": "cures_checked", "eq": True}),
    ],
    follows=[("cpmtg", "2009"), ("cpmtg", "2016")],
    provenance={"summary": "A showcase of the rule format.", "readings": ["Spasm reads as spasm or a flare-up, as the guideline allows both."]},
    not_encoded=[{"what": "sedation warnings", "why": "no fact records them"}],
)


@pytest.fixture(scope="module")
def showcase(tmp_path_factory) -> Path:
    rules = rules_dir(tmp_path_factory.mktemp("showcase"), SHOWCASE)
    assert lint(load_ruleset(rules)) == []
    return rules


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_reference_shows_roles_dated_changes_provenance_and_unconfirmed_items(showcase, fmt):
    ruleset = load_ruleset(showcase)
    text = docs(fmt, "--rules", showcase)
    assert missing_from_docs(ruleset, text, fmt) == []
    found = {key: plain(chunk) for key, chunk in sections(text, fmt).items()}
    short = found[("criterion", "showcase.short_course")]
    assert "From 2012-01-01 (changed: met when)" in short and "is at most 17 days" in short
    assert "From 2016-07-29 (changed: title, citation)" in short and "Short course only" in short
    assert "a limit:" in short and "confirmed by mtus-reference.md 3.1 [C]" in short
    spasm = found[("criterion", "showcase.spasm")]
    assert "From 2016-07-29: withdrawn" in spasm and "an indication:" in spasm
    assert "partly confirmed; confirmed by mtus-reference.md 3.1 [C]; quoted in 4 dev letters" in spasm
    assert "page(s) 64 (UNCONFIRMED page: cited by section)" in spasm and "note: spasm or a flare-up" in spasm
    assert "documentation:" in found[("criterion", "showcase.cures")] and "UNCONFIRMED" in found[("criterion", "showcase.cures")]
    later = found[("edition", "showcase@cpmtg-2009+2012-01-01")]
    assert "2012-01-01" in later and "2016-07-28" in later
    assert "showcase.spasm" not in found[("edition", "showcase@cpmtg-2016")]
    unconfirmed = found[("list", "unconfirmed")]
    rows = [("criterion of unconfirmed provenance", "no source names it for relaxants"), ("page no source confirms, from 2016-07-29", "page(s) 94"),
            ("paraphrased page no source confirms", "page(s) 64")]
    assert all(unconfirmed.count(what) == 1 and detail in unconfirmed for what, detail in rows)  # cures and its page; spasm's paraphrase


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_check_notices_a_missing_unconfirmed_item_or_change(showcase, fmt):
    ruleset = load_ruleset(showcase)
    text = docs(fmt, "--rules", showcase)
    row = next(line for line in text.splitlines() if "showcase.cures" in line and "from 2016-07-29" in line)
    assert "unconfirmed showcase.cures: from 2016-07-29" in missing_from_docs(ruleset, text.replace(row, ""), fmt)
    assert "criterion showcase.short_course: 2012-01-01" in missing_from_docs(ruleset, text.replace("From 2012-01-01", "From then"), fmt)
    assert "topic showcase: sedation warnings" in missing_from_docs(ruleset, text.replace("sedation warnings", "warnings"), fmt)


def test_rules_list_shows_follows_roles_changes_and_unconfirmed_items(showcase):
    listed = run("rules", "list", "--rules", showcase)
    assert listed.exit_code == 0, listed.output
    text = listed.output
    assert "  follows: cpmtg-2009 (2009-07-18 to 2016-07-28); cpmtg-2016 (2016-07-29 to 2017-11-30)" in text
    assert "    showcase.short_course (limit, confirmed): Short course" in text
    assert "      2012-01-01: met when\n" in text
    assert "      2016-07-29: title, citation: MTUS Chronic Pain Medical Treatment 2016, Carisoprodol (Soma)" in text
    assert "      2016-07-29: withdrawn" in text
    assert "    showcase.cures (documentation, UNCONFIRMED): CURES checked" in text
    assert "  not encoded: sedation warnings" in text
    assert "unconfirmed (3):" in text and "  showcase.cures: criterion of unconfirmed provenance: no source names it for relaxants" in text
    assert run("rules", "list", "--rules", showcase).output == text


def test_the_repository_reference_lists_its_unconfirmed_items(repo_ruleset):
    text = docs("markdown")
    unconfirmed = sections(text, "markdown")[("list", "unconfirmed")]
    flagged = [c for t in repo_ruleset.topics for c in t.dated_criteria if c.provenance and c.provenance.confidence == "unconfirmed"]
    assert all(c.id in unconfirmed for c in flagged)
    assert ("No criterion is marked unconfirmed" in unconfirmed) == (not flagged and "|" not in unconfirmed)
