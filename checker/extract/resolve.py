"""Resolving assertions into facts: one value per fact and place (the case, or a request), or a
flagged conflict listing the competing values with their evidence for a reviewer to settle."""

from __future__ import annotations

from typing import Any

from checker.extract.model import REQUEST_LINE, SOURCE, Assertion
from checker.text.extract_cues import FactRule

_REGIONAL = ("region", "region_or_limb", "injection")  # attributions by body region: an unplaced statement is the case's


def resolve(assertions: list[Assertion], n_requests: int, rules: dict[str, FactRule], order: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(case facts, each request's facts) from the assertions, in the order of the rules' facts."""
    groups: dict[tuple[int | None, str], list[Assertion]] = {}
    for a in sorted(_with_their_companions(assertions), key=lambda a: (a.order, a.fact)):
        for where in a.scope if a.scope is not None else (None,):
            groups.setdefault((where, a.fact), []).append(a)
    # a statement that names no region is about the whole case, so also about each request's region:
    # it joins what the request's own statements say (one positive finding is enough for any_true)
    for (where, fact), found in groups.items():
        rule = rules[fact]
        if where is not None and rule.attribute in _REGIONAL and (None, fact) in groups:
            found[:] = sorted(found + groups[(None, fact)], key=lambda a: (a.order, a.fact))
    case: dict[str, Any] = {}
    items: list[dict[str, Any]] = [{} for _ in range(n_requests)]
    for (where, fact), found in sorted(groups.items(), key=lambda g: (order.index(g[0][1]), -1 if g[0][0] is None else g[0][0])):
        entry = _fact_entry(rules[fact], _request_line_first(found) if where is not None else found)
        (case if where is None else items[where])[fact] = entry
    return case, items


def _with_their_companions(assertions: list[Assertion]) -> list[Assertion]:
    """Drop the assertions that stand only beside another fact given as true ("her pain is not
    improving" is failed care only where the text gives care already given) when nothing gives it."""
    true_facts = {a.fact for a in assertions if a.value is True}
    return [a for a in assertions if not a.with_fact or a.with_fact in true_facts]


def _request_line_first(found: list[Assertion]) -> list[Assertion]:
    """What a request's own line says about it ("Repeat L5-S1 ESI") is about that request, where the
    clinical text speaks of the case before it ("she has never had spinal injections"): for that request
    the line's statements stand alone."""
    own = [a for a in found if a.source == REQUEST_LINE]
    return own or found


def _fact_entry(rule: FactRule, found: list[Assertion]) -> dict[str, Any]:
    values: list[Any] = []
    for a in found:
        if not any(_same(v, a.value) for v in values):
            values.append(a.value)
    chosen = _choose(rule, found, values)
    if chosen is not None:
        return {"value": chosen.value, "origin": "extracted", "source": chosen.source, "evidence": chosen.evidence.as_dict()}
    return {
        "value": None,
        "origin": "extracted",
        "source": SOURCE,
        "conflict": [
            {"value": v, "evidence": next(a for a in found if _same(a.value, v)).evidence.as_dict()}
            for v in values
        ],
    }


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and a == b


# Two numbers one sentence gives for the same measure ("from 7/10 to 3/10, about 60% relief": 57 and 60)
# differ by rounding when at most this far apart: one finding, read at its lower value.
SAME_MEASURE_SPREAD = 10


def _choose(rule: FactRule, found: list[Assertion], values: list[Any]) -> Assertion | None:
    if len(values) == 1:
        return found[0]
    if _one_measure_told_twice(found, values):
        return min(found, key=lambda a: a.value)
    if rule.resolve == "any_true_until_denied" and (denied := _denied_at_a_later_visit(found)):
        return denied
    if rule.resolve in ("any_true", "any_true_until_denied") and any(v is True for v in values):
        return next(a for a in found if a.value is True)
    if (rule.current_only or rule.resolve in ("latest", "latest_dated")) and all(a.date for a in found):
        latest = max(a.date for a in found if a.date)
        at_latest = [a for a in found if a.date == latest]
        if len({repr(a.value) for a in at_latest}) == 1:
            return at_latest[0]
    if rule.current_only and (agreed := _latest_agreed_by_undated(found)):
        return agreed
    if rule.resolve == "latest":
        return _dated_and_told_last(found)
    return None


def _denied_at_a_later_visit(found: list[Assertion]) -> Assertion | None:
    """The finding denied at a visit dated after every visit that found it (Tinel's sign positive in March, negative
    with sensation intact in September): the later examination is the finding now, which a true told anywhere would
    otherwise win. None when a finding is undated or told at the latest visit too."""
    found_true = [a for a in found if a.value is True]
    denied = [a for a in found if a.value is False and a.date]
    if not found_true or not denied or not all(a.date for a in found_true):
        return None
    last_found = max(a.date for a in found_true if a.date)
    later = [a for a in denied if a.date and a.date > last_found]
    return max(later, key=lambda a: (a.date, a.order)) if later else None


def _latest_agreed_by_undated(found: list[Assertion]) -> Assertion | None:
    """The latest dated value of a current finding, when every undated mention agrees with it (a diagnosis list naming
    radiculopathy, an exam of January without signs, the signs back at the March visit): the finding then is the one
    told last and told undated alike; None when an undated mention differs, or the latest date tells two values."""
    dated = [a for a in found if a.date]
    if not dated:
        return None
    latest = max(a.date for a in dated if a.date)
    at_latest = {repr(a.value): a for a in dated if a.date == latest}
    undated = {repr(a.value) for a in found if not a.date}
    if len(at_latest) != 1 or not undated <= set(at_latest):
        return None
    return next(iter(at_latest.values()))


def _dated_and_told_last(found: list[Assertion]) -> Assertion | None:
    """The value told last, when it is dated and every other is told before it ("an injection in 2013 that gave three
    months of relief ... A second injection on 02-10-2016 ... for about ten weeks"): the latest injection's; None when
    the last told is undated, or another dated one is later."""
    last = max(found, key=lambda a: a.order)
    if last.date is None or any(a.date and a.date > last.date for a in found):
        return None
    return last


def _one_measure_told_twice(found: list[Assertion], values: list[Any]) -> bool:
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    return numbers and len({(a.evidence.start, a.evidence.end) for a in found}) == 1 and max(values) - min(values) <= SAME_MEASURE_SPREAD
