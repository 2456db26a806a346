"""A defect of a rule set, and where it points: the file, and the field down to the dated block that
wrote it, so the author knows which line to edit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from checker.base.errors import InputError
from checker.base.yamlio import load_yaml
from checker.load.conditions import Condition, negate
from checker.load.ruleset import Criterion, RuleSet, Topic

# A condition the loader derives by negating another, when a block does not write it.
_DERIVED_FROM = {"not_met_when": "met_when", "not_applicable_when": "applies_when"}


@dataclass(frozen=True, order=True)
class Defect:
    path: str
    field: str
    problem: str
    fix: str

    def one_line(self) -> str:
        return InputError(self.path, self.field, self.problem, self.fix).one_line()


def written_in(topic: Topic, c: Criterion, key: str) -> str:
    """criteria[ID].DATE.KEY, naming the dated block that wrote the key in force on the criterion's
    edition (for a condition derived by negation, the block of the condition it negates; for a key
    no block writes, the criterion's first block), so a defect points at the line to edit."""
    dated = next((d for d in topic.dated_criteria if d.id == c.id), None)
    day = c.since
    if dated is not None:
        day = dated.blocks[0][0]
        for wanted in (key, _DERIVED_FROM.get(key)):
            written = [d for d, block in dated.blocks if c.since is not None and d <= c.since and wanted in block]
            if written:
                day = written[-1]
                break
    return f"criteria[{c.id}].{day}.{key}"


def declared_in(ruleset: RuleSet, fact: str) -> str:
    """The vocabulary file declaring a fact (facts.yaml or one of facts/*.yaml, of the rules or a site
    rule folder); read again, since this is needed only for a defect."""
    main = Path(ruleset.vocabulary.path)
    site = [Path(folder) for folder in ruleset.extra_dirs]
    own = [path for folder in site for path in [folder / "facts.yaml", *sorted((folder / "facts").glob("*.yaml"))] if path.is_file()]
    for path in [main, *sorted((main.parent / "facts").glob("*.yaml")), *own]:
        data = load_yaml(path, "fact vocabulary")
        if fact in (data.get("facts") or {}):
            return str(path)
    return str(main)


def derived(c: Criterion, name: str) -> bool:
    """Whether the condition `name` is the negation the loader derived, not one the author wrote."""
    if name == "not_met_when":
        return c.not_met_when == negate(c.met_when)
    if name == "not_applicable_when":
        return c.applies_when is not None and c.not_applicable_when == negate(c.applies_when)
    return False


def written_conditions(ruleset: RuleSet) -> Iterator[tuple[Condition, str, str]]:
    """(condition, path, field) for every condition an author wrote: each edition's `when:` and each
    criterion's conditions, without those derived by negation (they read the same facts, and hold
    whenever what they negate does not)."""
    for topic in ruleset.topics:
        for edition in topic.editions:
            if edition.when is not None:
                yield edition.when, edition.path, f"follows[{edition.follows}].when"
            for c in edition.criteria:
                for name, condition in c.conditions():
                    if not derived(c, name):
                        yield condition, c.path, written_in(topic, c, name)
