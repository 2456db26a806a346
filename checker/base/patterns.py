"""Regular expressions compiled on first use, not at import.

Compiling a pattern is pure Python work in CPython's `re` (parsing and code generation): the request
line parser's fifty-odd patterns took about 30 ms of every start-up, though one `mtus check` uses a
few of them. A LazyPattern compiles on the first call of a method, then binds the compiled pattern's
methods to itself, so later calls cost what the compiled pattern's own calls cost.
"""

from __future__ import annotations

import re
from typing import Any

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")


class LazyPattern:
    """re.compile(pattern, flags), compiled when first used; the same matches (tests/test_speed.py)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def compiled(self) -> re.Pattern[str]:
        compiled = re.compile(self.pattern, self.flags)
        for name in _METHODS:
            setattr(self, name, getattr(compiled, name))
        return compiled

    def __getattr__(self, name: str) -> Any:
        """search, match, finditer ... before the first compile (then they are attributes of self)."""
        if name in _METHODS:
            return getattr(self.compiled(), name)
        raise AttributeError(name)

    def __getstate__(self) -> tuple[str, int]:
        return self.pattern, self.flags

    def __setstate__(self, state: tuple[str, int]) -> None:
        self.pattern, self.flags = state

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self.flags!r})"
