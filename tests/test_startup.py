"""What `mtus check` skips at start-up must not change an answer (issue 21): a pattern is not compiled
while a text lacks every word it needs, and answers as the plain pattern does; every dataclass a check
imports has its own docstring (else dataclasses builds one with inspect.signature at import); the
cache fingerprint walks the package's modules as pathlib's rglob did."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from checker.base.patterns import LazyPattern
from checker.derive import derive
from checker.load import cache, prescription, request_line
from checker.text.literals import required_literals

REPO = Path(__file__).resolve().parent.parent
PRESCRIPTIONS = REPO / "tests" / "prescriptions.md"


def _lazy_patterns(value: object) -> list[LazyPattern]:
    if isinstance(value, LazyPattern):
        return [value]
    if isinstance(value, (list, tuple)):
        return [p for item in value for p in _lazy_patterns(item)]
    return []


GUARDED = [p for module in (prescription, request_line, derive) for value in vars(module).values() for p in _lazy_patterns(value) if p.needs]


def _request_lines() -> list[str]:
    rows = [line.split("|")[1].strip() for line in PRESCRIPTIONS.read_text(encoding="utf-8").splitlines() if line.startswith("| ") and "---" not in line]
    examples = [m.group(1) for path in (REPO / "examples").glob("*.yaml") for m in re.finditer(r"^\s+text: \"(.*)\"$", path.read_text(encoding="utf-8"), re.M)]
    return rows[1:] + examples


def test_every_word_a_pattern_needs_is_proved_from_the_pattern():
    """Every match holds one of the strings required_literals reads from the pattern's structure, and
    each of those holds one of the words declared: so a text without them cannot match."""
    assert len(GUARDED) >= 35
    for pattern in GUARDED:
        assert all(word.isascii() and word == word.lower() for word in pattern.needs), pattern
        required = required_literals(re.compile(pattern.pattern, pattern.flags))
        assert required, f"no required literals can be read from {pattern.pattern!r}: it cannot declare needs"
        assert all(any(word in literal for word in pattern.needs) for literal in required), (pattern.pattern, required, pattern.needs)


def test_guarded_patterns_answer_as_the_plain_patterns():
    rng = random.Random(21)
    lines = _request_lines()
    assert len(lines) > 150
    words = sorted({word for pattern in GUARDED for word in pattern.needs})
    texts = lines + [""] + [line.upper() for line in lines[:40]] + [line.replace("mg", "mg ſ") for line in lines[:20]]
    texts += [" ".join(rng.choice(words + ["1", "2 tabs", "#60", "x", "for", "q6h", "\u212a", "é"]) for _ in range(rng.randint(1, 6))) for _ in range(1500)]
    for pattern in GUARDED:
        plain = re.compile(pattern.pattern, pattern.flags)
        for text in texts:
            fresh = LazyPattern(pattern.pattern, pattern.flags, pattern.needs)  # not compiled yet: the guard answers
            assert [m.span() for m in fresh.finditer(text)] == [m.span() for m in plain.finditer(text)], (pattern.pattern, text)
            fresh = LazyPattern(pattern.pattern, pattern.flags, pattern.needs)
            found, expected = fresh.search(text), plain.search(text)
            assert (found and found.span()) == (expected and expected.span()), (pattern.pattern, text)
            assert LazyPattern(pattern.pattern, pattern.flags, pattern.needs).findall(text) == plain.findall(text)
            assert (LazyPattern(pattern.pattern, pattern.flags, pattern.needs).match(text) is None) == (plain.match(text) is None)


def test_reading_a_request_line_compiles_no_pattern_whose_words_it_lacks(monkeypatch, repo_ruleset):
    compiled: list[LazyPattern] = []
    original = LazyPattern.compiled

    def recording(self):
        compiled.append(self)
        return original(self)

    monkeypatch.setattr(LazyPattern, "compiled", recording)
    for pattern in GUARDED:  # as at start-up: none compiled yet
        for name in ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split"):
            pattern.__dict__.pop(name, None)
    line = "Soma 350 mg BID #60 for muscle relaxation"
    request_line.parse_request(line, repo_ruleset.lexicon, repo_ruleset.services)
    lowered = line.lower()
    skipped = [p for p in GUARDED if not any(word in lowered for word in p.needs)]
    assert len(skipped) > 20 and not set(map(id, compiled)) & set(map(id, skipped))


_CHECK_MODULES = "checker.cli, checker.api, checker.render.render, checker.report.report, checker.evaluate.engine"
_UNDOCUMENTED = (  # run in a fresh interpreter: what `mtus check` imports, not what other tests did
    "import dataclasses, sys\n"
    f"import {_CHECK_MODULES}\n"
    "print(len([n for n in sys.modules if n.startswith('checker.load.')]))\n"
    "for name, module in sorted(sys.modules.items()):\n"
    "    for cls in vars(module).values() if name.startswith('checker') else ():\n"
    "        if isinstance(cls, type) and cls.__module__ == name and dataclasses.is_dataclass(cls) and (cls.__doc__ or '').startswith(cls.__name__ + '('):\n"
    "            print(f'{name}.{cls.__name__}')\n"
)


def test_every_dataclass_a_check_imports_has_its_own_docstring():
    done = subprocess.run([sys.executable, "-c", _UNDOCUMENTED], capture_output=True, text=True, cwd=REPO, check=True, timeout=120)
    modules, *undocumented = done.stdout.split()
    assert int(modules) > 5
    assert not undocumented, f"give these dataclasses a docstring: {undocumented}"


def test_the_fingerprint_walks_every_module_as_rglob_does():
    walked = sorted(relative for relative, _ in cache._package_modules())
    assert walked == sorted(p.relative_to(cache._PACKAGE).as_posix() for p in cache._PACKAGE.rglob("*.py"))
    assert "lint/checks/__init__.py" in walked or any(r.startswith("lint/checks/") for r in walked)


@pytest.mark.parametrize("method", ["sub", "subn", "split"])
def test_methods_that_rewrite_a_text_always_compile(method):
    pattern = LazyPattern(r"\brefills?\b", re.I, needs=("refill",))
    args = ("_", "no match here") if method != "split" else ("no match here",)
    assert getattr(pattern, method)(*args) == getattr(re.compile(r"\brefills?\b", re.I), method)(*args)


# Each generated method of every dataclass a check imports, as a comparable text: its code (nested code
# too), defaults, annotations and the values it closes over (the class, the fields' types and defaults).
_METHODS = (
    "import dataclasses, sys, types\n"
    "from pathlib import Path\n"
    "import checker.base.records as records\n"
    "mode, table, modules, prefix = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]\n"
    "sys.path[:0] = sys.argv[5:]\n"
    "if mode == 'plain':\n"
    "    records.dataclass = dataclasses.dataclass\n"
    "records.TABLE = table\n"
    "loaded = dict(records._table())\n"
    "recipes = []\n"
    "replay = records._from_recipe\n"
    "records._from_recipe = lambda cls, *args: recipes.append(cls) or replay(cls, *args)\n"
    "import importlib\n"
    "for module in modules.split(','):\n"
    "    importlib.import_module(module.strip())\n"
    "def code_text(code):\n"
    "    consts = tuple(code_text(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts)\n"
    "    return repr((code.co_code, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars, code.co_flags, code.co_argcount,\n"
    "                 code.co_posonlyargcount, code.co_kwonlyargcount, code.co_firstlineno, code.co_filename, code.co_qualname,\n"
    "                 code.co_linetable, code.co_exceptiontable, consts))\n"
    "def nested(code):\n"
    "    yield code\n"
    "    for const in code.co_consts:\n"
    "        if isinstance(const, types.CodeType):\n"
    "            yield from nested(const)\n"
    "served = {id(c) for code in loaded.values() for c in nested(code)}\n"
    "classes = methods = from_table = 0\n"
    "for name, module in sorted(sys.modules.items()):\n"
    "    for cls in list(vars(module).values()) if name.startswith(prefix) else ():\n"
    "        if isinstance(cls, type) and cls.__module__ == name and dataclasses.is_dataclass(cls):\n"
    "            classes += 1\n"
    "            fields = dataclasses.fields(cls)\n"
    "            print(name, cls.__qualname__, list(vars(cls)), repr(cls.__dataclass_params__), cls.__match_args__, cls.__doc__,\n"
    "                  [repr(f) for f in fields], [repr(vars(cls).get(f.name, '(none)')) for f in fields], cls.__hash__ is None,\n"
    "                  sorted(getattr(cls, '__abstractmethods__', ())), [getattr(vars(cls).get(m), '__qualname__', None) for m in list(vars(cls))])\n"
    "            for method, fn in sorted(vars(cls).items()):\n"
    "                fn = getattr(fn, '__wrapped__', fn)  # __repr__, wrapped against recursion\n"
    "                if isinstance(fn, types.FunctionType) and fn.__code__.co_filename == '<string>':\n"
    "                    cells = tuple(repr(c.cell_contents) for c in fn.__closure__ or ())\n"
    "                    print(name, cls.__qualname__, method, code_text(fn.__code__), repr(fn.__defaults__), repr(fn.__kwdefaults__),\n"
    "                          repr(fn.__annotations__), fn.__globals__.get('__name__'), cells)\n"
    "                    methods += 1\n"
    "                    from_table += id(fn.__code__) in served\n"
    "print('counts', classes, methods, from_table, len(recipes))\n"
)


def _generated_methods(mode: str, table: Path, modules: str = _CHECK_MODULES, prefix: str = "checker", *path: str) -> tuple[list[str], list[int]]:
    command = [sys.executable, "-c", _METHODS, mode, str(table), modules, prefix, *path]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=True, timeout=120)
    *methods, counts = done.stdout.splitlines()
    return [re.sub(r" at 0x[0-9a-f]+", " at (address)", line) for line in methods], [int(n) for n in counts.split()[1:]]


def test_dataclass_methods_compiled_ahead_are_the_ones_dataclasses_makes(tmp_path):
    """With the table (every method's code from it), without it (compiled here as dataclasses' exec
    compiles) and with the plain decorator: the same methods, code and closures alike."""
    table = tmp_path / "dataclass_code.marshal"
    subprocess.run([sys.executable, "-m", "checker.base.records", str(table)], check=True, cwd=REPO, capture_output=True, timeout=120)
    ahead, (classes, methods, from_table, from_recipes) = _generated_methods("ahead", table)
    assert classes > 40 and methods > 200 and from_table == methods, "every dataclass a check imports takes its methods from the table"
    assert from_recipes == classes, "every dataclass a check imports is built from its recipe"
    compiled_here, counts = _generated_methods("ahead", tmp_path / "missing.marshal")
    assert counts == [classes, methods, 0, 0]
    plain, counts = _generated_methods("plain", tmp_path / "missing.marshal")
    assert counts == [classes, methods, 0, 0]
    assert ahead == plain and compiled_here == plain


_SHAPES = '''
from __future__ import annotations

import dataclasses
import typing
from dataclasses import KW_ONLY, InitVar, field
from typing import ClassVar

from checker.base.records import dataclass

CV = ClassVar


@dataclass
class Plain:
    """Defaults of every kind."""
    a: int
    b: str = "x"
    c: list = field(default_factory=list)
    d: int = field(default=3, repr=False, compare=False)
    e: int = field(default=4, hash=True, metadata={"m": 1})
    f: tuple = field(default=(), init=False)


@dataclass(frozen=True)
class Frozen:
    """Frozen, with a keyword-only field and one left out of the hash."""
    a: int
    b: dict = field(default_factory=dict, kw_only=True)
    c: int = field(default=1, hash=False)


@dataclass
class WithPost:
    """A __post_init__."""
    a: int

    def __post_init__(self) -> None:
        self.b = 1


@dataclass
class Self:
    """A field named self."""
    self: int
    x: int = 0


@dataclass(frozen=True)
class Empty:
    """No field."""


@dataclass
class NoDoc:
    a: int


@dataclass
class Pseudo:
    """ClassVar, InitVar and KW_ONLY, named every way."""
    a: int
    b: ClassVar[int] = 3
    c: CV = 4
    d: InitVar[int] = 0
    _: KW_ONLY
    e: int = 5
    g: typing.ClassVar = 1
    h: dataclasses.InitVar = 2


@dataclass
class OwnEq:
    """Its own __eq__."""
    a: int

    def __eq__(self, other: object) -> bool:
        return True


@dataclass(frozen=True)
class Child(Frozen):
    """A dataclass base."""
    z: int = 0


@dataclass(order=True)
class Ordered:
    """Another option."""
    a: int
'''


def test_classes_built_from_recipes_are_the_ones_dataclasses_makes(tmp_path):
    """Classes of every shape, built with their recipes from a table written for them, without a
    table and by the plain decorator: the same classes. Only the plain shapes have recipes (the first
    five); the others are built by the decorator."""
    (tmp_path / "shapes.py").write_text(_SHAPES, encoding="utf-8")
    table = tmp_path / "table.marshal"
    writer = (f"import sys; sys.path.insert(0, {str(tmp_path)!r}); from pathlib import Path; from checker.base import records; "
              f"records.write_table(Path({str(table)!r}), lambda: __import__('shapes'))")
    subprocess.run([sys.executable, "-c", writer], check=True, cwd=REPO, capture_output=True, timeout=120)
    ahead, counts = _generated_methods("ahead", table, "shapes", "shapes", str(tmp_path))
    assert counts[0] == 10 and counts[3] == 5
    plain, plain_counts = _generated_methods("plain", table, "shapes", "shapes", str(tmp_path))
    assert plain_counts[:2] == counts[:2] and plain_counts[3] == 0
    assert ahead == plain


def test_a_mutable_default_is_refused_with_or_without_a_recipe(tmp_path, monkeypatch):
    from checker.base import records

    monkeypatch.setattr(records, "_known", {})
    monkeypatch.setattr(records, "_recipes", {})
    with pytest.raises(ValueError, match="mutable default"):
        records.dataclass(type("Bad", (), {"__annotations__": {"a": "list"}, "a": [], "__doc__": "d", "__module__": __name__}))


def test_a_table_of_another_python_or_damaged_is_not_used(tmp_path, monkeypatch):
    import marshal

    from checker.base import records

    code = compile("x = 1", "<string>", "exec", dont_inherit=True)
    (tmp_path / "other").write_bytes(marshal.dumps(("3.10.0 (other build)", {"x = 1": code})))
    (tmp_path / "damaged").write_bytes(marshal.dumps((records._stamp(), {"x = 1": code}))[:-3])
    (tmp_path / "good").write_bytes(marshal.dumps((records._stamp(), {"x = 1": code})))
    assert records.read_table(tmp_path / "other") == {} and records.read_table(tmp_path / "damaged") == {}
    assert records.read_table(tmp_path / "missing") == {}
    assert records.read_table(tmp_path / "good") == {"x = 1": code}


def _yaml_texts() -> list[str]:
    paths = sorted(REPO.glob("examples/*.yaml")) + sorted((REPO / "tests").rglob("*.yaml"))
    return [path.read_text(encoding="utf-8", errors="replace") for path in paths]


def test_the_yaml_depth_scan_answers_as_with_plain_patterns(monkeypatch):
    from checker.base import yamldepth
    from checker.base.yamlio import MAX_YAML_DEPTH

    texts = _yaml_texts() + ["a:\n" + "".join(f"{' ' * n}k{n}: [{{x: 'y'}}]\n" for n in range(1, 130)), "- " * 150 + "x\n"]
    lazy = [yamldepth.first_line_deeper_than(text, limit) for text in texts for limit in (3, MAX_YAML_DEPTH)]
    for name, value in list(vars(yamldepth).items()):
        if isinstance(value, LazyPattern):
            monkeypatch.setattr(yamldepth, name, re.compile(value.pattern, value.flags))
    plain_ends = {quote: re.compile(p.pattern, p.flags) for quote, p in yamldepth._QUOTE_END.items()}
    monkeypatch.setattr(yamldepth, "_QUOTE_END", plain_ends)
    plain = [yamldepth.first_line_deeper_than(text, limit) for text in texts for limit in (3, MAX_YAML_DEPTH)]
    assert lazy == plain and any(line is not None for line in plain) and any(line is None for line in plain)


_DEPTH_PATTERNS = (
    "import sys\n"
    "from pathlib import Path\n"
    "from checker.base import yamldepth\n"
    "from checker.base.yamlio import MAX_YAML_DEPTH\n"
    "for path in sorted(Path('examples').glob('*.yaml')):\n"
    "    assert yamldepth.first_line_deeper_than(path.read_text(encoding='utf-8'), MAX_YAML_DEPTH) is None\n"
    "patterns = [p for p in vars(yamldepth).values() if isinstance(p, yamldepth.LazyPattern)] + list(yamldepth._QUOTE_END.values())\n"
    "print(len(patterns), sum('match' in vars(p) for p in patterns))\n"
)


def test_reading_the_examples_compiles_none_of_the_depth_scans_patterns():
    done = subprocess.run([sys.executable, "-c", _DEPTH_PATTERNS], capture_output=True, text=True, cwd=REPO, check=True, timeout=120)
    lazy, compiled = map(int, done.stdout.split())
    assert lazy == 8 and compiled == 0


def test_patterns_compiled_ahead_are_the_ones_re_compiles(tmp_path):
    """Every pattern of the table, made from its compiled program, equals re.compile's (a pattern
    object equals another only when its text, flags and compiled code are the same) and has the same
    groups; and every module-level pattern of the modules a check reads is in it."""
    import checker.base.patterns as patterns

    table_path = tmp_path / "pattern_code.marshal"
    subprocess.run([sys.executable, "-m", "checker.base.patterns", str(table_path)], check=True, cwd=REPO, capture_output=True, timeout=120)
    table = patterns.read_table(table_path)
    assert len(table) > 100
    for (text, flags), program in table.items():
        ahead = patterns.pattern_from_program(text, program)
        plain = re.compile(text, flags)
        assert (ahead, ahead.flags, ahead.groups, ahead.groupindex) == (plain, plain.flags, plain.groups, plain.groupindex)
    from checker.base import yamldepth, yamlio
    from checker.load import lexicon, services

    modules = (prescription, request_line, derive, yamldepth, lexicon, services)
    made = [p for module in modules for value in vars(module).values() for p in _lazy_patterns(value)]
    made += [p for module in (yamldepth, yamlio, lexicon, services) for p in vars(module).values() if isinstance(p, re.Pattern)]
    assert len(made) > 80 and all((p.pattern, int(p.flags) & ~re.UNICODE) in table or (p.pattern, int(p.flags)) in table for p in made)


def test_a_pattern_table_of_another_python_or_damaged_is_not_used(tmp_path):
    import marshal

    from checker.base import patterns

    program = patterns.compiled_program("a+b", 0)
    (tmp_path / "other").write_bytes(marshal.dumps(("3.10.0 (other build)", {("a+b", 0): program})))
    (tmp_path / "damaged").write_bytes(marshal.dumps((patterns._stamp(), {("a+b", 0): program}))[:-3])
    (tmp_path / "good").write_bytes(marshal.dumps((patterns._stamp(), {("a+b", 0): program})))
    assert patterns.read_table(tmp_path / "other") == {} and patterns.read_table(tmp_path / "damaged") == {}
    assert patterns.read_table(tmp_path / "missing") == {}
    assert patterns.read_table(tmp_path / "good") == {("a+b", 0): program}

    patterns._known = {("a+b", 0): (0, b"\xff\xff\xff\xff", 0, {}, ()), ("c+d", 0): ("not", "a program")}
    try:  # a damaged entry of a table of this build: compiled by re
        assert patterns.compile_pattern("a+b") == re.compile("a+b") and patterns.compile_pattern("c+d") == re.compile("c+d")
    finally:
        patterns._known = None


_CHECK_COMPILES = (
    "import re, sys\n"
    "from pathlib import Path\n"
    "import checker.base.patterns as patterns\n"
    "patterns.TABLE = Path(sys.argv[1])\n"
    "compiled = []\n"
    "class Counting:\n"
    "    def __getattr__(self, name):\n"
    "        return getattr(re, name)\n"
    "    def compile(self, *args):\n"
    "        compiled.append(args)\n"
    "        return re.compile(*args)\n"
    "patterns.re = Counting()\n"
    "from checker.cli import main\n"
    "for path in sorted(Path('examples').glob('*.yaml')):\n"
    "    try:\n"
    "        main(['check', str(path), '--format', 'json'], standalone_mode=False)\n"
    "    except SystemExit:\n"
    "        pass\n"
    "print('compiled', len(compiled), len(patterns._table()))\n"
)


def test_checking_the_examples_compiles_no_pattern_of_ours(tmp_path):
    """With the table written ahead, checking every example makes every pattern of mtus-checker's
    from it: none is compiled by re (with no table, all of them are)."""
    table_path = tmp_path / "pattern_code.marshal"
    subprocess.run([sys.executable, "-m", "checker.base.patterns", str(table_path)], check=True, cwd=REPO, capture_output=True, timeout=120)
    counts = {}
    for name, path in (("ahead", table_path), ("none", tmp_path / "missing.marshal")):
        done = subprocess.run([sys.executable, "-c", _CHECK_COMPILES, str(path)], capture_output=True, text=True, cwd=REPO, check=True, timeout=300)
        counts[name] = [int(n) for n in done.stdout.splitlines()[-1].split()[1:]]
    assert counts["ahead"][0] == 0 and counts["ahead"][1] > 100
    assert counts["none"][0] > 30 and counts["none"][1] == 0


def test_a_check_imports_decimal_only_for_a_number_written_with_an_exponent(tmp_path):
    """engine_json imports decimal only to write a float json.dumps gives an exponent (about 1 ms of a check's
    start-up): checking an example in text and JSON imports none; the float is still written positionally
    (tests/test_engine.py reads such numbers through the engine)."""
    from checker.evaluate.engine import engine_json

    env = {**os.environ, "MTUS_CACHE_DIR": str(tmp_path / "cache")}
    for fmt in ("json", "text"):
        command = [sys.executable, "-X", "importtime", "-m", "checker.cli", "check", "examples/seed-000.yaml", "--format", fmt]
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
        imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
        assert done.returncode == 0 and "checker.evaluate.engine" in imported and "decimal" not in imported
    assert engine_json({"x": 1e-09, "y": [2e+20, 0.5]}) == '{"x":0.000000001,"y":[200000000000000000000,0.5]}'
