"""The nesting check runs before any YAML parser (checker/base/yamldepth.py): it must never read a file as
shallower than it is, must not refuse what our files hold, and its message is ours whatever PyYAML
would have said (PyYAML 6.0.4 refuses 1,000 levels in its own words; older ones crashed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.base.errors import InputError
from checker.base.yamldepth import first_line_deeper_than
from checker.base.yamlio import MAX_YAML_DEPTH, load_yaml

REPO = Path(__file__).resolve().parent.parent


def parsed_depth(text: str) -> int:
    """The nesting depth as PyYAML's pure-Python parser sees it (only for texts it can parse)."""
    depth = deepest = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            deepest = max(deepest, depth)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return deepest


def bound(text: str) -> int:
    """The smallest limit the check lets the text through at."""
    return next(limit for limit in range(0, 10_000) if first_line_deeper_than(text, limit) is None)


DEEP = {
    "flow": "case: " + "[" * 150 + "]" * 150 + "\n",
    "flow over lines": "case: [\n" + "[\n" * 150 + "]\n" * 150 + "]\n",
    "compact sequence": "- " * 150 + "x\n",
    "indented mappings": "".join(" " * i + f"k{i}:\n" for i in range(150)) + " " * 150 + "x\n",
    "sequences of mappings": "a:\n" + "".join("  " * i + "- b:\n" for i in range(80)) + "  " * 80 + "  x\n",
    "carriage returns only": "\r".join(" " * i + f"k{i}:" for i in range(150)) + "\r" + " " * 150 + "x\r",
    "a hundred thousand brackets": "schema: mtus-case/1\ncase: " + "[" * 100_000 + "]" * 100_000 + "\n",
}


@pytest.mark.parametrize("text", DEEP.values(), ids=DEEP.keys())
def test_deep_nesting_of_every_shape_is_refused_in_our_words(text: str, tmp_path: Path):
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(InputError) as refused:
        load_yaml(path, "case file")
    assert refused.value.field.startswith("line ") and refused.value.problem == f"YAML nested more than {MAX_YAML_DEPTH} levels deep"
    assert refused.value.fix == "flatten the document"


SHALLOW = {
    "brackets in quotes": "a: '" + "[" * 500 + "'\nb: \"" + "{" * 500 + "\\\"\"\n",
    "brackets in a comment": "a: 1  # " + "[" * 500 + "\n",
    "brackets in a block scalar": "a: |\n  " + "[" * 500 + "\n  - - - - - -\nb: 1\n",
    "brackets in plain text": "a: Soma [" + "[" * 300 + " mg\n",
    "a quoted text over lines": 'a: "x\n  ' + "[" * 500 + '"\n',
    "ninety levels": "a: " + "[" * 90 + "]" * 90 + "\n",
}


@pytest.mark.parametrize("text", SHALLOW.values(), ids=SHALLOW.keys())
def test_brackets_that_open_nothing_are_not_counted(text: str, tmp_path: Path):
    path = tmp_path / "shallow.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_yaml(path, "case file") is not None
    assert parsed_depth(text) <= bound(text) <= parsed_depth(text) + 3


def test_every_yaml_file_of_the_project_passes_with_a_bound_at_or_above_its_depth():
    paths = [p for folder in ("rules", "examples", "tests", "checker") for p in sorted((REPO / folder).rglob("*.yaml"))]
    checked = 0
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            depth = parsed_depth(text)
        except yaml.YAMLError:
            continue  # the corpus of malformed files
        assert depth <= bound(text) <= MAX_YAML_DEPTH, path
        checked += 1
    assert checked > 200


values = st.recursive(
    st.one_of(st.integers(), st.text(alphabet="ab[]{}#:-' \"|>", max_size=8), st.booleans()),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet="ab[]-: ", min_size=1, max_size=4), inner, max_size=3),
    max_leaves=40,
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(value=values, style=st.sampled_from([False, True, None]), indent=st.sampled_from([2, 4]))
def test_the_bound_is_never_below_the_depth_of_what_yaml_writes(value, style, indent):
    text = yaml.safe_dump(value, default_flow_style=style, indent=indent, allow_unicode=True)
    assert bound(text) >= parsed_depth(text)
