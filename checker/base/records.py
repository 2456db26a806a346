"""The standard dataclass decorator, with the methods it writes compiled ahead.

`dataclasses` writes the source of each method it adds to a class (__init__, __repr__, __eq__, a
frozen class's __setattr__, __delattr__ and __hash__) and compiles it when the class is created:
compiling those 280-odd functions was about half of what importing mtus-checker's own modules cost
a `mtus check`. While this module's `dataclass` runs, each source text dataclasses hands to `exec` is
looked up in a table of code objects compiled ahead from those very texts by the same Python build:
a text found runs its compiled code, any other is compiled as `exec` would compile it. The methods
are the ones the plain decorator makes (tests/test_startup.py compares every one); only the
compiling moves to build time.

The table (text -> code) is checker/base/dataclass_code.marshal, written by
`python -m checker.base.records` in a source checkout (`python -m checker.render.ahead` runs it too;
git ignores the file, as the compiled templates) and into the wheel at build time (setup.py). Without it, or when another Python build made it,
every class is built as before.
"""

from __future__ import annotations

import dataclasses
import marshal
import sys
from collections.abc import Callable
from pathlib import Path
from types import CodeType
from typing import Any, TypeVar, dataclass_transform

TABLE = Path(__file__).resolve().parent / "dataclass_code.marshal"
_Class = TypeVar("_Class", bound=type)
_known: dict[str, CodeType] | None = None  # the table, read on first use; texts compiled here are added


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def dataclass(cls: _Class | None = None, /, **options: Any) -> Any:
    """dataclasses.dataclass(cls, **options), its generated methods' code taken from the table."""

    def build(plain: _Class) -> _Class:
        vars(dataclasses)["exec"] = _exec_compiled  # found before the builtin by dataclasses' own lookups
        try:
            return dataclasses.dataclass(plain, **options)
        finally:
            vars(dataclasses).pop("exec", None)

    return build if cls is None else build(cls)


def _exec_compiled(source: str, globals: dict[str, Any] | None = None, locals: dict[str, Any] | None = None) -> None:
    """exec(source, globals, locals), as called from dataclasses (which has no __future__ imports,
    so its exec compiles with no inherited flags)."""
    known = _table()
    code = known.get(source)
    if code is None:
        code = known[source] = compile(source, "<string>", "exec", dont_inherit=True)
    exec(code, globals, locals)  # noqa: S102 - dataclasses' own generated source, compiled as its exec would


def _table() -> dict[str, CodeType]:
    global _known
    if _known is None:
        _known = read_table(TABLE)
    return _known


def _stamp() -> str:
    """What the compiled code depends on besides the text: the Python build and its -O level."""
    return f"{sys.version}\0{sys.implementation.cache_tag}\0{sys.flags.optimize}"


def read_table(path: Path) -> dict[str, CodeType]:
    """The table at path, or {} when there is none, it is damaged or another Python build made it."""
    try:
        stamp, table = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    valid = stamp == _stamp() and isinstance(table, dict)
    return table if valid and all(isinstance(code, CodeType) for code in table.values()) else {}


def write_table(path: Path, modules: Callable[[], None]) -> int:
    """Build every class `modules()` imports from source and write their texts' code to path; the count."""
    global _known
    _known = {}
    modules()
    path.write_bytes(marshal.dumps((_stamp(), _known)))
    return len(_known)


def _import_the_package() -> None:
    """Every module of checker/ (one that needs an optional library that is missing is left out)."""
    import importlib
    import pkgutil

    import checker

    for module in pkgutil.walk_packages(checker.__path__, "checker."):
        try:
            importlib.import_module(module.name)
        except ImportError:
            continue


def main() -> None:
    """Write the table into checker/base/, or (build time) to the path named."""
    import importlib

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else TABLE
    records = importlib.import_module("checker.base.records")  # the module the package's classes use, not __main__
    count = records.write_table(target, _import_the_package)
    print(f"compiled {count} dataclass methods into {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
