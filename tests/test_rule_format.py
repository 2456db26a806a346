"""The rule format mtus-rules/2 itself, on small synthetic rule sets:

- dated blocks: a later block overrides only the keys it gives; `withdrawn: true` ends a criterion; a
  criterion may start in a later period; `under:` keeps a criterion to some followed guidelines;
- materialisation: one edition per followed guideline edition and stretch of days without a change,
  split at the change dates, each with the indication tree of the criteria in force;
- roles in the decision: an indication not met or not documented denies; a limit not met denies; a
  limit not documented does not deny and is listed as documentation to request (follow_up), as is a
  documentation criterion not shown met, which never decides;
- criterion ids are unique across topics, and a v1 file is converted by tools/migrate_rules_v2.py.

The broken-file checks of lint and the loader (an `under:` naming an unfollowed guideline, a block
dated outside every followed period, a citation not in force, unconfirmed pages, indicated_when naming a
limit or leaving an indication out, a v1 file's one-line error) are in the corpus tests/bad_rules/,
run by tests/test_bad_input.py.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rulesets import cite, criterion, rules_dir, topic

from checker.api import Checker
from checker.lint import lint
from checker.load.ruleset import Topic, load_ruleset

REPO = Path(__file__).resolve().parent.parent
D = dt.date.fromisoformat
CPMTG_2009, CPMTG_2016 = cite("cpmtg", "2009", "Carisoprodol (Soma)", "29"), cite("cpmtg", "2016", "Carisoprodol (Soma)")

# One topic with every kind of dated change. It follows CPMTG 2009 (2009-07-18..2016-07-28) and
# 2016 (2016-07-29..2017-11-30); the 2012 change splits the 2009 edition in two.
SHORT_COURSE = criterion(
    "dated.short_course", "Short course",
    requirement="the request lasts at most 3 weeks", citation=CPMTG_2009, met_when={"fact": "days_supply", "lte": 21},
    changes={
        "2012-01-01": {"met_when": {"fact": "days_supply", "lte": 14}},  # a stricter limit: nothing else changes
        "2016-07-29": {"citation": CPMTG_2016, "title": "Short course only"},  # the update re-cites and retitles it
    },
)
SPASM = criterion(
    "dated.spasm", "Spasm documented",
    requirement="acute spasm is documented", citation=cite("cpmtg", "2009", "Muscle relaxants (for pain)", "63"),
    met_when={"fact": "acute_muscle_spasm", "eq": True},
    changes={"2016-07-29": {"withdrawn": True}},
)
FIRST_LINE = criterion(
    "dated.first_line", "First-line drugs tried", since="2016-07-29",
    requirement="first-line analgesics were tried first", citation=cite("cpmtg", "2016", "Muscle relaxants (for pain)"),
    met_when={"fact": "first_line_analgesic_failed", "eq": True},
)
DATED = topic("dated", "Dated relaxant (test)", {"drugs": ["carisoprodol"]}, [SHORT_COURSE, SPASM, FIRST_LINE],
              follows=[("cpmtg", "2009"), ("cpmtg", "2016")],
              indicated_when={"all": ["dated.short_course", "dated.spasm", "dated.first_line"]})


@pytest.fixture(scope="module")
def dated(tmp_path_factory) -> tuple[Path, Topic]:
    rules = rules_dir(tmp_path_factory.mktemp("dated"), DATED)
    ruleset = load_ruleset(rules)
    assert lint(ruleset) == []
    return rules, ruleset.topics[0]


def _in_force(found: Topic, day: str):
    (edition,) = found.editions_in_force(D(day))
    return edition, {c.id: c for c in edition.criteria}


def test_editions_are_split_at_the_change_dates(dated):
    _, found = dated
    assert [(e.key, e.edition, e.effective_from, e.effective_to) for e in found.editions] == [
        ("dated@cpmtg-2009", "cpmtg-2009", D("2009-07-18"), D("2011-12-31")),
        ("dated@cpmtg-2009+2012-01-01", "cpmtg-2009", D("2012-01-01"), D("2016-07-28")),
        ("dated@cpmtg-2016", "cpmtg-2016", D("2016-07-29"), D("2017-11-30")),  # a change on an edition's first day splits nothing
    ]
    assert [e.follows for e in found.editions] == [0, 0, 1]
    assert {c.id for c in found.dated_criteria} == {"dated.short_course", "dated.spasm", "dated.first_line"}


def test_a_later_block_overrides_only_the_keys_it_gives(dated):
    _, found = dated
    first, before = _in_force(found, "2011-12-31")
    _, after = _in_force(found, "2012-01-01")
    _, updated = _in_force(found, "2016-07-29")
    assert before["dated.short_course"].met_when == ("test", "days_supply", "lte", 21)
    assert after["dated.short_course"].met_when == ("test", "days_supply", "lte", 14)
    assert updated["dated.short_course"].met_when == ("test", "days_supply", "lte", 14)  # kept from 2012
    for criterion_then in (before, after, updated):
        assert criterion_then["dated.short_course"].requirement == "the request lasts at most 3 weeks"  # never restated
    assert [c["dated.short_course"].citation.edition for c in (before, after, updated)] == ["2009", "2009", "2016"]
    assert [c["dated.short_course"].title for c in (before, after, updated)] == ["Short course", "Short course", "Short course only"]
    assert [c["dated.short_course"].since for c in (before, after, updated)] == [D("2009-07-18"), D("2012-01-01"), D("2016-07-29")]
    assert first.decision == ("all", ("dated.short_course", "dated.spasm"))


def test_withdrawn_ends_a_criterion_and_a_criterion_can_start_in_a_later_period(dated):
    _, found = dated
    early, before = _in_force(found, "2016-07-28")
    late, after = _in_force(found, "2016-07-29")
    assert set(before) == {"dated.short_course", "dated.spasm"}  # first_line does not exist yet
    assert set(after) == {"dated.short_course", "dated.first_line"}  # spasm withdrawn
    # the indication tree names only what is in force
    assert early.decision == ("all", ("dated.short_course", "dated.spasm"))
    assert late.decision == ("all", ("dated.short_course", "dated.first_line"))


def _item(rules: Path, tmp_path: Path, request_date: str, text: str, facts: dict, engine: str = "reference") -> dict:
    body = {"schema": "mtus-case/1", "case": "format", "dates": {"request": request_date}, "facts": facts,
            "requests": [{"id": "a", "text": text, "new_start": True}]}
    path = tmp_path / f"case-{request_date}.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return Checker(rules, engine=engine).check(path).report["items"][0]


@pytest.mark.parametrize("engine", ["durable", "reference"])
def test_the_request_date_picks_what_is_in_force(dated, tmp_path, engine):
    rules, _ = dated
    facts = {"acute_muscle_spasm": True, "first_line_analgesic_failed": False}
    eighteen_days = "Soma 350 mg TID #54"

    def statuses(day: str) -> tuple[str, dict[str, str]]:
        item = _item(rules, tmp_path, day, eighteen_days, facts, engine)
        return item["edition"], {c["id"]: c["status"] for c in item["criteria"]}

    assert statuses("2011-12-31") == ("cpmtg-2009", {"dated.short_course": "met", "dated.spasm": "met"})
    assert statuses("2012-01-01") == ("cpmtg-2009", {"dated.short_course": "not_met", "dated.spasm": "met"})
    assert statuses("2016-07-29") == ("cpmtg-2016", {"dated.short_course": "not_met", "dated.first_line": "not_met"})


def test_under_keeps_a_criterion_to_the_guidelines_it_names(tmp_path):
    acute_route = {"guideline": "acoem2004_general", "edition": "2004", "when": {"fact": "months_since_injury", "lt": 3}}
    routed = topic("routed", "Routed relaxant (test)", {"drugs": ["carisoprodol"]}, [
        criterion("routed.first_line", "First-line drugs tried", since="2007-06-15", under=["acoem2004_general"],
                  requirement="first-line drugs were tried", citation=cite("acoem2004_general", "2004", "Initial Approaches to Treatment"),
                  met_when={"fact": "first_line_analgesic_failed", "eq": True}),
        criterion("routed.spasm", "Spasm documented", under=["cpmtg"],
                  requirement="acute spasm is documented", citation=cite("cpmtg", "2009", "Muscle relaxants (for pain)", "63"),
                  met_when={"fact": "acute_muscle_spasm", "eq": True}),
        criterion("routed.short_course", "Short course", since="2007-06-15",
                  requirement="the request lasts at most 3 weeks", citation=cite("acoem2004_general", "2004", "Medications"),
                  met_when={"fact": "days_supply", "lte": 21}),
    ], follows=[acute_route, ("cpmtg", "2009")])
    ruleset = load_ruleset(rules_dir(tmp_path, routed))
    assert lint(ruleset) == []
    by_guideline = {}
    for edition in ruleset.topics[0].editions:
        by_guideline.setdefault(edition.edition, set()).update(c.id for c in edition.criteria)
    assert by_guideline == {
        "acoem2004_general-2004": {"routed.first_line", "routed.short_course"},  # short_course has no under: everywhere
        "cpmtg-2009": {"routed.spasm", "routed.short_course"},
    }


def test_until_ends_a_followed_edition_where_another_guideline_takes_the_topic_over(tmp_path):
    # ACOEM 2004 decides the topic until the 2016 update takes it over; without until: the two would be
    # in force together from 2016-07-29 and lint would ask for a when: condition.
    acoem_until = {"guideline": "acoem2004_low_back", "edition": "2004", "until": dt.date(2016, 7, 28)}
    handover = topic("handover", "Handed-over injection (test)", {"services": ["facet_injection"]}, [
        criterion("handover.radicular", "No radicular pain", role="limit", since="2007-06-15",
                  requirement="not for radicular pain", citation=cite("acoem2004_low_back", "2004", "Summary", "309"),
                  met_when={"fact": "radiculopathy", "eq": False}),
        criterion("handover.facet_pain", "Facet pain suspected", since="2016-07-29", under=["cpmtg"],
                  requirement="facet pain is suspected", citation=cite("cpmtg", "2016", "Facet blocks"),
                  met_when={"fact": "facet_pain_suspected", "eq": True}),
    ], follows=[acoem_until, ("cpmtg", "2016")])
    rules = rules_dir(tmp_path, handover)
    ruleset = load_ruleset(rules)
    assert lint(ruleset) == []
    (found,) = ruleset.topics
    assert [(e.edition, e.effective_from, e.effective_to) for e in found.editions] == [
        ("acoem2004_low_back-2004", D("2007-06-15"), D("2016-07-28")),
        ("cpmtg-2016", D("2016-07-29"), D("2017-11-30")),
    ]
    assert [e.edition for e in found.editions_in_force(D("2016-07-28"))] == ["acoem2004_low_back-2004"]
    assert [e.edition for e in found.editions_in_force(D("2016-07-29"))] == ["cpmtg-2016"]
    assert found.follows[0].until == D("2016-07-28")
    # a block dated after the until day falls in no period the topic follows under that guideline
    late = dict(handover, criteria=[*handover["criteria"], criterion(
        "handover.late", "Late", since="2016-08-01", under=["acoem2004_low_back"], requirement="late",
        citation=cite("acoem2004_low_back", "2004", "Summary", "309"), met_when={"fact": "radiculopathy", "eq": False})])
    defects = lint(load_ruleset(rules_dir(tmp_path / "late", late)))
    assert [(d.field, d.problem) for d in defects] == [("criteria[handover.late].2016-08-01", "the date falls in no period the topic follows")]


def test_a_criterion_id_is_unique_across_topics(tmp_path):
    first = topic("first", "First (test)", {"drugs": ["carisoprodol"]}, [
        criterion("shared.spasm", "Spasm", requirement="spasm", citation=cite("cpmtg", "2009", "Muscle relaxants (for pain)", "63"),
                  met_when={"fact": "acute_muscle_spasm", "eq": True})])
    second = topic("second", "Second (test)", {"drugs": ["cyclobenzaprine"]}, [
        criterion("shared.spasm", "Spasm", requirement="spasm", citation=cite("cpmtg", "2009", "Muscle relaxants (for pain)", "63"),
                  met_when={"fact": "acute_muscle_spasm", "eq": True})])
    rules = rules_dir(tmp_path, first, second)
    defects = [d for d in lint(load_ruleset(rules)) if d.field == "criteria[shared.spasm]"]
    assert [(Path(d.path).name, d.problem) for d in defects] == [("second.yaml", f"criterion id reused (also in {rules / 'topics' / 'first.yaml'})")]


# ---- roles in the decision ------------------------------------------------------------------------

ROLES = topic("roles", "Roles (test)", {"drugs": ["carisoprodol"]}, [
    criterion("roles.spasm", "Spasm documented", role="indication",
              requirement="acute spasm is documented", citation=cite("cpmtg", "2009", "Muscle relaxants (for pain)", "63"),
              met_when={"fact": "acute_muscle_spasm", "eq": True}),
    criterion("roles.short_course", "Short course", role="limit",
              requirement="the request lasts at most 3 weeks", citation=CPMTG_2009, met_when={"fact": "days_supply", "lte": 21}),
    criterion("roles.cures", "CURES checked", role="documentation",
              requirement="a CURES report is checked", citation=cite("cpmtg", "2009", "Opioids, steps to avoid misuse/addiction", "94"),
              met_when={"fact": "cures_checked", "eq": True}),
])
WEEK, MONTH, NO_QUANTITY = "Soma 350 mg TID #21", "Soma 350 mg TID #90", "Soma 350 mg TID"


@pytest.fixture(scope="module")
def roles(tmp_path_factory) -> Path:
    rules = rules_dir(tmp_path_factory.mktemp("roles"), ROLES)
    assert lint(load_ruleset(rules)) == []
    return rules


# request line, facts -> statuses (spasm, short_course, cures), decision, decisive ids, follow-up ids
ROLE_CASES = [
    ("indication_not_documented_denies", WEEK, {"cures_checked": True},
     ("not_documented", "met", "met"), "not_medically_necessary", ["roles.spasm"], []),
    ("indication_not_met_denies", WEEK, {"acute_muscle_spasm": False, "cures_checked": True},
     ("not_met", "met", "met"), "not_medically_necessary", ["roles.spasm"], []),
    ("limit_not_met_denies", MONTH, {"acute_muscle_spasm": True, "cures_checked": True},
     ("met", "not_met", "met"), "not_medically_necessary", ["roles.short_course"], []),
    ("limit_not_documented_is_follow_up", NO_QUANTITY, {"acute_muscle_spasm": True, "cures_checked": True},
     ("met", "not_documented", "met"), "medically_necessary", ["roles.spasm"], ["roles.short_course"]),
    ("documentation_not_met_never_denies", WEEK, {"acute_muscle_spasm": True, "cures_checked": False},
     ("met", "met", "not_met"), "medically_necessary", ["roles.spasm"], ["roles.cures"]),
    ("documentation_not_documented_is_follow_up", WEEK, {"acute_muscle_spasm": True},
     ("met", "met", "not_documented"), "medically_necessary", ["roles.spasm"], ["roles.cures"]),
    ("a_denial_lists_what_to_document_too", NO_QUANTITY, {"acute_muscle_spasm": False},
     ("not_met", "not_documented", "not_documented"), "not_medically_necessary", ["roles.spasm"], ["roles.short_course", "roles.cures"]),
]


@pytest.mark.parametrize("engine", ["durable", "reference"])
@pytest.mark.parametrize(("text", "facts", "statuses", "decision", "decisive", "follow_up"), [c[1:] for c in ROLE_CASES], ids=[c[0] for c in ROLE_CASES])
def test_roles_decide_as_the_guideline_gives_them(roles, tmp_path, engine, text, facts, statuses, decision, decisive, follow_up):
    item = _item(roles, tmp_path, "2014-02-11", text, facts, engine)
    by_id = {c["id"]: c["status"] for c in item["criteria"]}
    assert (by_id["roles.spasm"], by_id["roles.short_course"], by_id["roles.cures"]) == statuses
    assert item["decision"] == decision
    assert item["decisive"] == decisive
    assert [entry["id"] for entry in item["follow_up"]] == follow_up
    assert "roles.cures" not in item["decisive"]  # documentation never decides


def test_a_topic_without_indications_is_supported_unless_a_limit_defeats_it(tmp_path):
    limits_only = topic("limits", "Limits only (test)", {"drugs": ["carisoprodol"]}, [
        criterion("limits.short_course", "Short course", role="limit",
                  requirement="the request lasts at most 3 weeks", citation=CPMTG_2009, met_when={"fact": "days_supply", "lte": 21}),
    ])
    rules = rules_dir(tmp_path, limits_only)
    assert load_ruleset(rules).topics[0].editions[0].decision is None
    assert _item(rules, tmp_path, "2014-02-11", WEEK, {})["decision"] == "medically_necessary"
    assert _item(rules, tmp_path, "2014-02-11", NO_QUANTITY, {})["decision"] == "medically_necessary"
    assert _item(rules, tmp_path, "2014-02-11", MONTH, {})["decision"] == "not_medically_necessary"


# ---- converting a v1 file -------------------------------------------------------------------------

V1_TOPIC = """\
schema: mtus-rules/1
topic: old
title: Old relaxant (test)
applies_to: {drugs: [carisoprodol]}
sources: synthetic topic for tests/test_rule_format.py
editions:
  - edition: cpmtg-2009
    effective_from: 2009-07-18
    effective_to: 2016-07-28
    criteria:
      - id: old.cpmtg2009.short_course
        title: Short course
        requirement: the request lasts at most 3 weeks
        citation: {guideline: cpmtg, edition: "2009", section: Carisoprodol (Soma), pages: "29"}
        met_when: {fact: days_supply, lte: 21}
    decision:
      medically_necessary_when: {all: [old.cpmtg2009.short_course]}
  - edition: cpmtg-2016
    effective_from: 2016-07-29
    effective_to: 2017-11-30
    criteria:
      - id: old.cpmtg2016.short_course
        title: Short course
        requirement: the request lasts at most 3 weeks
        citation: {guideline: cpmtg, edition: "2016", section: Carisoprodol (Soma)}
        met_when: {fact: days_supply, lte: 21}
    decision:
      medically_necessary_when: {all: [old.cpmtg2016.short_course]}
"""


def test_a_v1_file_is_refused_and_the_migration_tool_converts_it(tmp_path):
    rules = rules_dir(tmp_path)
    path = rules / "topics" / "old.yaml"
    path.write_text(V1_TOPIC, encoding="utf-8")
    refused = subprocess.run([sys.executable, "-m", "checker.cli", "rules", "lint", str(rules)], capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == (f"mtus: error: {path}: schema: the rule format mtus-rules/1 is no longer read; fix: convert it with "
                              "tools/migrate_rules_v2.py, or write schema: mtus-rules/2 (see README, Rule files)\n")
    tool = REPO / "tools" / "migrate_rules_v2.py"
    converted = subprocess.run([sys.executable, str(tool), str(path), "--guidelines", str(rules / "guidelines.yaml")],
                               capture_output=True, text=True, check=False)
    assert converted.returncode == 0, converted.stderr
    ruleset = load_ruleset(rules)
    assert lint(ruleset) == []
    (old,) = ruleset.topics
    (dated_criterion,) = old.dated_criteria
    assert (dated_criterion.id, dated_criterion.role) == ("old.short_course", "indication")
    assert [day for day, _ in dated_criterion.blocks] == [D("2009-07-18"), D("2016-07-29")]
    assert dated_criterion.blocks[1][1] == {"citation": {"guideline": "cpmtg", "edition": "2016", "section": "Carisoprodol (Soma)"}}
    assert [e.edition for e in old.editions] == ["cpmtg-2009", "cpmtg-2016"]


# ---- documentation to request in the report and the drafts ----------------------------------------


def _report(rules: Path, tmp_path: Path, text: str, facts: dict) -> dict:
    body = {"schema": "mtus-case/1", "case": "follow-up", "dates": {"request": "2014-02-11"}, "facts": facts,
            "requests": [{"id": "a", "text": text, "new_start": True}]}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return Checker(rules, engine="reference").check(path).report


def _named(needs: list[list[dict]]) -> list[list[dict]]:
    """The facts each alternative needs, by name and label."""
    return [[{"name": a["name"], "label": a["label"]} for a in group] for group in needs]


def test_the_report_lists_documentation_to_request_with_what_it_still_needs(roles, tmp_path):
    facts = load_ruleset(roles).vocabulary.facts
    (item,) = _report(roles, tmp_path, NO_QUANTITY, {"acute_muscle_spasm": True, "cures_checked": False})["items"]
    assert item["decision"] == "medically_necessary"
    limit, documentation = item["follow_up"]
    assert (limit["id"], limit["role"], limit["status"], limit["title"]) == ("roles.short_course", "limit", "not_documented", "Short course")
    assert limit["requirement"] == "the request lasts at most 3 weeks"
    assert (limit["citation"]["section"], limit["citation"]["pages"]) == ("Carisoprodol (Soma)", "29")
    assert _named(limit["needs"]) == [[{"name": "days_supply", "label": facts["days_supply"].label}]]
    assert (documentation["id"], documentation["status"]) == ("roles.cures", "not_met")
    assert _named(documentation["needs"]) == [[{"name": "cures_checked", "label": facts["cures_checked"].label}]]  # documented false: still needed


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_drafts_list_documentation_to_request_apart_from_the_rationale(roles, tmp_path, fmt):
    from checker.render.render import render

    facts = load_ruleset(roles).vocabulary.facts
    report = _report(roles, tmp_path, NO_QUANTITY, {"acute_muscle_spasm": True})
    draft = render("draft", fmt, {"report": report})
    heading = draft.index("The records should also document:")
    rationale = draft[draft.index("Decision rationale:"):heading]
    listed = draft[heading:]
    for needed in (facts["days_supply"].label, facts["cures_checked"].label):
        shown = needed.replace("'", "&#39;") if fmt != "text" else needed
        assert shown in listed and shown not in rationale  # what did not decide stays out of the rationale
    assert "Carisoprodol (Soma), Page(s): 29" in listed and "Opioids, steps to avoid misuse/addiction, Page(s): 94" in listed
    item_marks = {"text": "\n- ", "markdown": "\n- ", "html": "<li>"}[fmt]
    assert listed.count(item_marks) == 2

    complete = _report(roles, tmp_path, WEEK, {"acute_muscle_spasm": True, "cures_checked": True})
    assert complete["items"][0]["follow_up"] == []
    assert "should also document" not in render("draft", fmt, {"report": complete})


def test_check_shows_roles_and_the_documentation_to_request(roles, tmp_path):
    from checker.render.render import render

    report = _report(roles, tmp_path, NO_QUANTITY, {"acute_muscle_spasm": True})
    text = render("check", "text", {"report": report})
    assert "roles.short_course (limit): Short course" in text and "roles.cures (documentation): CURES checked" in text
    listed = text[text.index("documentation to request (did not decide):"):]
    assert "roles.short_course (limit, not documented): " in listed and "roles.cures (documentation, not documented): " in listed


def test_a_page_no_source_confirms_is_shown_to_the_reviewer_but_never_cited_in_the_draft(tmp_path):
    from checker.render.render import render

    unconfirmed = topic("unconfirmed", "Unconfirmed page (test)", {"drugs": ["carisoprodol"]}, [
        criterion("unconfirmed.short_course", "Short course", provenance={"confidence": "unconfirmed"},
                  requirement="the request lasts at most 3 weeks", citation={**CPMTG_2009, "pages_confirmed": False},
                  met_when={"fact": "days_supply", "lte": 21}),
    ])
    rules = rules_dir(tmp_path, unconfirmed)
    assert lint(load_ruleset(rules)) == []
    report = _report(rules, tmp_path, MONTH, {})
    assert "Carisoprodol (Soma), p. 29 (page unconfirmed)" in render("check", "text", {"report": report})
    draft = render("draft", "text", {"report": report})
    assert "Decision based on MTUS Chronic Pain Medical Treatment Guidelines, Carisoprodol (Soma)." in draft
    assert "Page(s): 29" not in draft
