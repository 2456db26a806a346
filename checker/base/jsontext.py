"""JSON as json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str) writes it, by
a small encoder of that one format: with `indent`, json's encoder is pure Python (the regress report
writes every result with it, `mtus check --format json` its report; tests/test_speed.py compares the
bytes with json.dumps's)."""

from __future__ import annotations

import math
from json.encoder import encode_basestring as _json_text
from typing import Any


class NotPlainJson(Exception):
    """A mapping key other than text: left to json.dumps, which converts or refuses it."""


def indented_json(value: Any, newline: str = "\n") -> str:
    """json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str) with each line
    break written as `newline`, for values whose mapping keys are all text (tests/test_speed.py)."""
    if isinstance(value, str):
        return _json_text(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, (list, tuple)):
        return _json_list(value, newline)
    if isinstance(value, dict):
        return _json_mapping(value, newline)
    return _json_text(str(value))  # json.dumps's default=str


def _json_list(value: list | tuple, newline: str) -> str:
    if not value:
        return "[]"
    inner = newline + "  "
    return "[" + inner + ("," + inner).join([indented_json(v, inner) for v in value]) + newline + "]"


def _json_mapping(value: dict, newline: str) -> str:
    if not value:
        return "{}"
    if any(type(key) is not str for key in value):
        raise NotPlainJson
    inner = newline + "  "
    entries = [_json_text(key) + ": " + indented_json(item, inner) for key, item in sorted(value.items())]
    return "{" + inner + ("," + inner).join(entries) + newline + "}"


def _json_float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)
