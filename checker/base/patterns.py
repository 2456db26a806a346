"""Regular expressions compiled on first use, not at import.

Compiling a pattern is pure Python work in CPython's `re` (parsing and code generation): the request
line parser's fifty-odd patterns took about 30 ms of every start-up, though one `mtus check` uses a
few of them. A LazyPattern compiles on the first call of a method, then binds the compiled pattern's
methods to itself, so later calls cost what the compiled pattern's own calls cost.

A pattern can also name the words it `needs`: lower-case strings one of which every match contains.
Until it is compiled, a search, match, fullmatch, finditer or findall on an ASCII text that holds none
of them answers "no match" without compiling: most request lines hold no "refill", "supply" or
"suppository", so one check compiles about half the patterns it used to. Once compiled, such a
pattern's search, match, fullmatch, finditer and findall keep that guard in front of the compiled
pattern's: a corpus compiles most patterns early (one line holding "pre" of "Prevacid" compiles the
pre-operative one), and lowering a request line to look for a few words costs less than searching it
with an alternation of words (regress, round twenty-two). tests/test_startup.py
proves every `needs` from the pattern's own structure and compares the answers with the plain
pattern's. (A non-ASCII text is always searched: case-insensitive matching pairs some non-ASCII
letters with ASCII ones, as the Kelvin sign with k.)

Compiled ahead. `compile_pattern` (which LazyPattern uses, as do the modules a check imports for their
module-level patterns) takes a pattern's compiled program from a table written ahead by the same
Python build, as the dataclass table is (checker/base/records.py), and makes the pattern object with
`_sre.compile`, the call that ends `re.compile`: only the parsing and code generation, pure Python in
CPython's `re` and about 8 ms of a check, move to build time. The table (pattern_code.marshal) holds
every pattern the package's modules make at import, written by `python -m checker.base.patterns` in a
source checkout (`python -m checker.render.ahead` runs it too; git ignores the file) and into the
wheel at build time (setup.py). A pattern not in it, or a table another Python build wrote, is
compiled by `re.compile`. tests/test_startup.py compares every pattern made from the table with
re.compile's (pattern objects compare equal only when their flags, text and compiled code are equal).
"""

from __future__ import annotations

import _sre
import marshal
import re
import sys
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

TABLE = Path(__file__).resolve().parent / "pattern_code.marshal"
# flags, code (as the bytes of an array of _sre's code words), group count - 1, group names both ways
_Program = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]
_CODE_WORD = "I"  # the array type of _sre's code words, when its size is theirs (the table is empty otherwise)
_known: dict[tuple[str, int], _Program] | None = None  # the table, read on first use
_recording: set[tuple[str, int]] | None = None  # while the table is written: every pattern made
_UNTABLED_FLAGS = re.DEBUG | re.TEMPLATE  # compiled by re.compile, which prints or warns for them


def compile_pattern(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """re.compile(pattern, flags), from the table's compiled program when it holds this pattern."""
    flags = int(flags)
    if _recording is not None:
        _recording.add((pattern, flags))
    program = _table().get((pattern, flags))
    if program is not None:
        try:
            return pattern_from_program(pattern, program)
        except (TypeError, ValueError, RuntimeError):  # an entry not of this shape (_sre checks the code too)
            pass
    return re.compile(pattern, flags)


def pattern_from_program(pattern: str, program: _Program) -> re.Pattern[str]:
    """The pattern object re.compile makes, from its compiled program."""
    final_flags, code, groups, groupindex, indexgroup = program
    return _sre.compile(pattern, final_flags, array(_CODE_WORD, code).tolist(), groups, dict(groupindex), indexgroup)


def compiled_program(pattern: str, flags: int) -> _Program:
    """What re.compile hands `_sre.compile` for this pattern: its flags, code, group count and names
    (the steps of re._compiler.compile)."""
    from re import _compiler, _parser

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return flags | parsed.state.flags, array(_CODE_WORD, code).tobytes(), parsed.state.groups - 1, groupindex, tuple(indexgroup)


def _table() -> dict[tuple[str, int], _Program]:
    global _known
    if _known is None:
        _known = read_table(TABLE)
    return _known


def _stamp() -> str:
    """What a compiled program depends on besides the text: the Python build and its regex engine."""
    return f"{sys.version}\0{sys.implementation.cache_tag}\0{_sre.MAGIC}\0{_sre.CODESIZE}"


def read_table(path: Path) -> dict[tuple[str, int], _Program]:
    """The table at path, or {} when there is none, it is damaged or another Python build made it."""
    try:
        stamp, table = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return table if stamp == _stamp() and isinstance(table, dict) else {}

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")
_NO_MATCH = {"search": lambda: None, "match": lambda: None, "fullmatch": lambda: None, "finditer": lambda: iter(()), "findall": list}


class LazyPattern:
    """re.compile(pattern, flags), compiled when first used; the same matches (tests/test_speed.py)."""

    def __init__(self, pattern: str, flags: int = 0, needs: tuple[str, ...] = ()) -> None:
        self.pattern = pattern
        self.flags = flags
        self.needs = needs
        if _recording is not None:
            _recording.add((pattern, int(flags)))

    def compiled(self) -> re.Pattern[str]:
        compiled = compile_pattern(self.pattern, self.flags)
        for name in _METHODS:
            method = getattr(compiled, name)
            setattr(self, name, _guard(method, self.needs, _NO_MATCH[name]) if self.needs and name in _NO_MATCH else method)
        return compiled

    def __getattr__(self, name: str) -> Any:
        """search, match, finditer ... before the first compile (then they are attributes of self).
        A guarded method (a pattern that names the words it needs) is kept as an attribute of self
        too, until the compile replaces it: most request lines hold none of a pattern's words, and
        each call came here and made a partial (about a fifth of reading a request line)."""
        if name in _METHODS:
            if self.needs and name in _NO_MATCH:
                guarded = self._guarded(name)
                setattr(self, name, guarded)
                return guarded
            return getattr(self.compiled(), name)
        raise AttributeError(name)

    def _guarded(self, method: str) -> Callable[..., Any]:
        """The method answering "no match" without compiling for an ASCII text lacking every needed word."""
        needs, no_match = self.needs, _NO_MATCH[method]

        def unless_needs_absent(string: str, *args: Any, **kwargs: Any) -> Any:
            if string.isascii():
                lowered = string.lower()
                for word in needs:
                    if word in lowered:
                        break
                else:
                    return no_match()
            return getattr(self.compiled(), method)(string, *args, **kwargs)

        return unless_needs_absent

    def __getstate__(self) -> tuple[str, int, tuple[str, ...]]:
        return self.pattern, self.flags, self.needs

    def __setstate__(self, state: tuple[str, int, tuple[str, ...]]) -> None:
        self.pattern, self.flags, self.needs = state

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self.flags!r}, needs={self.needs!r})"


def _guard(method: Callable[..., Any], needs: tuple[str, ...], no_match: Callable[[], Any]) -> Callable[..., Any]:
    """The compiled pattern's method, answering "no match" for an ASCII text lacking every needed word."""

    def unless_needs_absent_compiled(string: str, *args: Any, **kwargs: Any) -> Any:
        if string.isascii():
            lowered = string.lower()
            for word in needs:
                if word in lowered:
                    break
            else:
                return no_match()
        return method(string, *args, **kwargs)

    return unless_needs_absent_compiled


def words_end(text: str, position: int, words: Iterable[str]) -> int:
    """Where `words` end when each follows whitespace from `position` (a name's later words, matched
    without a regex); -1 when they do not."""
    for word in words:
        after_space = position
        while after_space < len(text) and text[after_space].isspace():
            after_space += 1
        if after_space == position or not text.startswith(word, after_space):
            return -1
        position = after_space + len(word)
    return position


def write_table(path: Path, modules: Any) -> int:
    """Import what `modules()` imports, recording every pattern made, and write their compiled
    programs to path; the count."""
    global _recording, _known
    _recording = set()
    try:
        modules()
        made = sorted(_recording)
    finally:
        _recording = None
    fits = array(_CODE_WORD).itemsize == _sre.CODESIZE
    table = {key: compiled_program(*key) for key in made if fits and not key[1] & _UNTABLED_FLAGS}
    path.write_bytes(marshal.dumps((_stamp(), table)))
    _known = None
    return len(table)


def import_every_module() -> None:
    """Every module of checker/. One that needs a library this process lacks (the wheel build has only
    the build requirements: no durable_rules) is imported with that library stubbed by an empty module,
    so that its patterns are recorded too (nothing else runs in this process); a module that still
    cannot be imported (one using the library at import, as the command line uses click) is left out:
    its patterns are compiled by re when used."""
    import importlib
    import pkgutil
    import types

    import checker

    for module in pkgutil.walk_packages(checker.__path__, "checker."):
        for _ in range(4):
            try:
                importlib.import_module(module.name)
                break
            except ModuleNotFoundError as missing:
                if not missing.name or missing.name.split(".")[0] == "checker" or missing.name in sys.modules:
                    break
                sys.modules[missing.name] = types.ModuleType(missing.name)
            except Exception:  # noqa: BLE001 - a module that cannot be imported here (one using a stubbed library at import) is left out
                break


def main() -> None:
    """Write the table into checker/base/, or (build time) to the path named."""
    import importlib

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else TABLE
    patterns = importlib.import_module("checker.base.patterns")  # the module the package uses, not __main__
    count = patterns.write_table(target, patterns.import_every_module)
    print(f"compiled {count} regular expressions into {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
