"""Dates as clinical text writes them: 4/10/02, 10-30-2016, October 10, 2015, March 2015, 3-2015, 2011.

A date written without its day or month is a lower bound read at its latest possible day ("dating
back to 2011" is 2011-12-31), so a duration computed from it is never overstated.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"

# Regex fragments (no capturing groups) for the cue files' {date}, {month_year} and {year}.
# A date in figures keeps one separator: "8-9/10" is a range of pain scores, never August 9, 2010.
FULL_DATE = (
    r"(?:(?:\d{1,2}\s?/\s?\d{1,2}\s?/\s?|\d{1,2}\s?-\s?\d{1,2}\s?-\s?)(?:\d{4}|\d{2})(?![\d/])"
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
# a month and year in figures ("1-2015", "01/2016") only with a four-digit year, so that a score or a
# fraction ("4/10") is never read as one, and never as the tail of a full date
_MONTH_NUMBER = r"0?[1-9]|1[0-2]"
YEAR = r"(?:(?:19|20)\d{2})"
_NUMERIC_MONTH_YEAR = rf"(?<![\d/-])(?:{_MONTH_NUMBER})\s?[/-]\s?{YEAR}(?![\d/-])"
MONTH_YEAR = rf"(?:{_MONTH}\.?,?\s+(?:of\s+)?\d{{4}}|{_NUMERIC_MONTH_YEAR})"

_NUMERIC = re.compile(r"(\d{1,2})\s?([/-])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})$")
_NAMED = re.compile(rf"({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})$", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"({_MONTH})\.?,?\s+(?:of\s+)?(\d{{4}})$", re.IGNORECASE)
_FIGURES_MONTH_YEAR = re.compile(rf"({_MONTH_NUMBER})\s?[/-]\s?({YEAR})$")
_YEAR = re.compile(r"((?:19|20)\d{2})$")
FOUR_DIGIT_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def pivot_year(text: str, as_of: dt.date | None) -> int:
    """The latest year a two-digit year may stand for: the as-of date's year, else a decade past
    the latest year written in full (a note may be later than every date it spells out)."""
    if as_of is not None:
        return as_of.year
    years = [int(y) for y in FOUR_DIGIT_YEAR.findall(text)]
    return max(years) + 10 if years else 2069


def parse_date(text: str, pivot: int) -> tuple[dt.date, str] | None:
    """(date, precision) with precision 'day', 'month' or 'year'; None when it is no valid date."""
    text = text.strip()
    try:
        if m := _NUMERIC.match(text):
            month, day, year = int(m.group(1)), int(m.group(3)), _full_year(m.group(4), pivot)
            return dt.date(year, month, day), "day"
        if m := _NAMED.match(text):
            return dt.date(int(m.group(3)), _month(m.group(1)), int(m.group(2))), "day"
        if m := _MONTH_YEAR.match(text):
            return _month_end(int(m.group(2)), _month(m.group(1))), "month"
        if m := _FIGURES_MONTH_YEAR.match(text):
            return _month_end(int(m.group(2)), int(m.group(1))), "month"
        if m := _YEAR.match(text):
            return dt.date(int(m.group(1)), 12, 31), "year"
    except ValueError:
        return None
    return None


def _month_end(year: int, month: int) -> dt.date:
    """A month read at its last day, so that a duration from it is never overstated."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _full_year(digits: str, pivot: int) -> int:
    if len(digits) == 4:
        return int(digits)
    year = 2000 + int(digits)
    return year if year <= pivot else year - 100


def _month(name: str) -> int:
    return _MONTHS[name[:3].lower()]
