"""Small helpers that check the shape of loaded YAML and raise one-line InputErrors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from checker.base.errors import InputError

_TYPE_NAMES = {dict: "a mapping", list: "a list", str: "a text value", bool: "true or false"}


def require_mapping(value: Any, path: str, field: str, fix: str = "write it as key: value lines") -> dict:
    if not isinstance(value, dict):
        raise InputError(path, field, f"expected a mapping, found {describe(value)}", fix)
    return value


def require_list(value: Any, path: str, field: str, fix: str = "write it as a YAML list ('- item')") -> list:
    if not isinstance(value, list):
        raise InputError(path, field, f"expected a list, found {describe(value)}", fix)
    return value


def require_at_most(items: list, limit: int, path: str, field: str, what: str, fix: str) -> list:
    """Refuse a list longer than `limit` before any of it is processed: the work grows with it."""
    if len(items) > limit:
        raise InputError(path, field, f"{len(items):,} {what}, over the limit of {limit:,}", fix)
    return items


def require_text(value: Any, path: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(path, field, f"expected text, found {describe(value)}", "give a non-empty text value")
    return value


def require_date(value: Any, path: str, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputError(path, field, f"expected a date, found {describe(value)}", "write the date as YYYY-MM-DD")


def check_keys(mapping: dict, allowed: Iterable[str], path: str, prefix: str, required: Iterable[str] = ()) -> None:
    """Refuse unknown keys (with a spelling hint) and report the first missing required key."""
    allowed = list(allowed)
    for key in mapping:
        if key not in allowed:
            raise InputError(path, join(prefix, str(key)), "unknown field", did_you_mean(str(key), allowed, "remove it"))
    for key in required:
        if key not in mapping or mapping[key] is None:
            raise InputError(path, join(prefix, key), "required field is missing", f"add '{key}:' (see README)")


def did_you_mean(word: str, choices: Iterable[str], otherwise: str) -> str:
    import difflib  # here: only a misspelt input needs it, and a check's start-up does not pay for it

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f"did you mean '{close[0]}'?" if close else otherwise


def join(prefix: str, key: str) -> str:
    key = key if key.isprintable() else repr(key)  # a key holding a line break would split the one-line message
    return f"{prefix}.{key}" if prefix else key


def describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    for kind, name in _TYPE_NAMES.items():
        if isinstance(value, kind):
            return f"{name} {short(value)}" if kind in (str, bool) else name
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    return type(value).__name__


def short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
