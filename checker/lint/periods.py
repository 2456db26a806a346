"""Periods in force, as lint compares and names them: an open end is far in the future."""

from __future__ import annotations

import datetime as dt

FAR = dt.date(9999, 12, 31)


def last_day(effective_to: dt.date | None) -> dt.date:
    """The last day in force; an open end never ends."""
    return effective_to or FAR


def span(effective_from: dt.date, effective_to: dt.date | None) -> str:
    """'2009-07-18..2016-07-28', or '2016-07-29..open'."""
    return f"{effective_from}..{effective_to or 'open'}"


def overlap(from_a: dt.date, to_a: dt.date | None, from_b: dt.date, to_b: dt.date | None) -> bool:
    return from_a <= last_day(to_b) and from_b <= last_day(to_a)
