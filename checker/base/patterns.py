"""Regular expressions compiled on first use, not at import.

Compiling a pattern is pure Python work in CPython's `re` (parsing and code generation): the request
line parser's fifty-odd patterns took about 30 ms of every start-up, though one `mtus check` uses a
few of them. A LazyPattern compiles on the first call of a method, then binds the compiled pattern's
methods to itself, so later calls cost what the compiled pattern's own calls cost.

A pattern can also name the words it `needs`: lower-case strings one of which every match contains.
Until it is compiled, a search, match, fullmatch, finditer or findall on an ASCII text that holds none
of them answers "no match" without compiling: most request lines hold no "refill", "supply" or
"suppository", so one check compiles about half the patterns it used to. tests/test_startup.py
proves every `needs` from the pattern's own structure and compares the answers with the plain
pattern's. (A non-ASCII text is always searched: case-insensitive matching pairs some non-ASCII
letters with ASCII ones, as the Kelvin sign with k.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from typing import Any

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")
_NO_MATCH = {"search": lambda: None, "match": lambda: None, "fullmatch": lambda: None, "finditer": lambda: iter(()), "findall": list}


class LazyPattern:
    """re.compile(pattern, flags), compiled when first used; the same matches (tests/test_speed.py)."""

    def __init__(self, pattern: str, flags: int = 0, needs: tuple[str, ...] = ()) -> None:
        self.pattern = pattern
        self.flags = flags
        self.needs = needs

    def compiled(self) -> re.Pattern[str]:
        compiled = re.compile(self.pattern, self.flags)
        for name in _METHODS:
            setattr(self, name, getattr(compiled, name))
        return compiled

    def __getattr__(self, name: str) -> Any:
        """search, match, finditer ... before the first compile (then they are attributes of self)."""
        if name in _METHODS:
            if self.needs and name in _NO_MATCH:
                return partial(self._unless_needs_absent, name)
            return getattr(self.compiled(), name)
        raise AttributeError(name)

    def _unless_needs_absent(self, method: str, string: str, *args: Any, **kwargs: Any) -> Any:
        if string.isascii():
            lowered = string.lower()
            if not any(word in lowered for word in self.needs):
                return _NO_MATCH[method]()
        return getattr(self.compiled(), method)(string, *args, **kwargs)

    def __getstate__(self) -> tuple[str, int, tuple[str, ...]]:
        return self.pattern, self.flags, self.needs

    def __setstate__(self, state: tuple[str, int, tuple[str, ...]]) -> None:
        self.pattern, self.flags, self.needs = state

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self.flags!r}, needs={self.needs!r})"


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
