"""A topic's `decision.indicated_when` combines its indications, and only them: it names no unknown
criterion, no limit or documentation criterion (they act on their own: a documented limit defeats
the request, documentation is listed for follow-up), and leaves no indication out.

Passes (relaxant.short_course and relaxant.spasm are the topic's indications):

    decision:
      indicated_when: {all: [relaxant.short_course, relaxant.spasm]}

Fails (the indication relaxant.spasm is left out):

    decision:
      indicated_when: relaxant.short_course
"""

from __future__ import annotations

from checker.lint.defect import Defect
from checker.load.ruleset import RuleSet, Topic

ID = "indication-tree"
TITLE = "a decision.indicated_when naming what is not an indication of the topic, or leaving one out"


def check(ruleset: RuleSet) -> list[Defect]:
    return [defect for topic in ruleset.topics for defect in _decision_references(topic)]


def _decision_references(topic: Topic) -> list[Defect]:
    if topic.indicated_when is None:
        return []
    roles = {c.id: c.role for c in topic.dated_criteria}
    used = set(_leaves(topic.indicated_when))
    found = [
        Defect(topic.path, "decision.indicated_when", f"refers to unknown criterion '{ref}'", "name a criterion of this topic")
        for ref in sorted(used - set(roles))
    ]
    alone = "only indications are combined there; limits and documentation act on their own"
    found += [
        Defect(topic.path, "decision.indicated_when", f"names the {roles[ref]} '{ref}'", alone)
        for ref in sorted(used & set(roles)) if roles[ref] != "indication"
    ]
    found += [
        Defect(topic.path, f"criteria[{cid}]", "indication left out of decision.indicated_when", "add it there, or give it another role")
        for cid, role in sorted(roles.items()) if role == "indication" and cid not in used
    ]
    return found


def _leaves(tree: object) -> list[str]:
    if isinstance(tree, str):
        return [tree]
    return [leaf for part in tree[1] for leaf in _leaves(part)]
