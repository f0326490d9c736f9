"""Time zones in plain search (REQ-074, REQ-084): two legal readings of a dateTime period.

A report whose period ends ``2023-12-31T23:59:59-05:00`` ends on 2023-12-31 by its date part and on 2024-01-01 as
a UTC instant. R4 leaves the zone of a zone-less search value (``period=ge2024-01-01``) to the server
(search.html#date), so for MeasureReport **search** both answers are legal: the kit's expectations (date part,
the ⚑ rule of RA-SPEC §1.2) or the same window read in UTC. A search answering the UTC way passes with a warning
that says so. The coding-gap operations (`$cc-gaps`/`$report`) keep the date-part rule strictly: not judged here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .. import dates
from ..issues import ERROR
from ..kit import Scenario
from .findings import Finding, warning
from .registry import check

UTC_READING = ("the server compares dateTime periods as UTC instants (legal for search: R4 leaves the zone of a "
               "zone-less search value to the server); the IG's operation compares their date part")


def _overlaps(period: Any, window: dates.DayRange, *, utc: bool) -> bool | None:
    try:
        days = dates.utc_period_range(period) if utc else dates.period_range(period)
    except dates.DateFormatError:
        return None
    return days.overlaps(window)


def utc_reading(scenario: Scenario, reports: dict[str, dict[str, Any]]) -> Scenario | None:
    """The scenario's answer with dateTime periods read as UTC instants; None when it is the same answer.

    ``reports``: the kit's report table ('MeasureReport/x' -> {patient, period, …}). Only reports whose verdict
    differs between the two readings move: the rest of the expectation stays the kit's."""
    try:
        win = dates.window(scenario.period_start, scenario.period_end)
    except dates.DateFormatError:
        return None
    returns: dict[str, list[str]] = {}
    for patient, expected in scenario.returns.items():
        kept = list(expected)
        for ref, report in reports.items():
            if report.get("patient") != patient:
                continue
            by_day, by_instant = _overlaps(report.get("period"), win, utc=False), _overlaps(report.get("period"), win, utc=True)
            if by_day is None or by_instant is None or by_day == by_instant:
                continue
            if by_instant and ref not in kept:
                kept.append(ref)
            elif not by_instant and ref in kept:
                kept.remove(ref)
        returns[patient] = kept
    if all(set(returns[p]) == set(scenario.returns[p]) for p in returns):
        return None
    return replace(scenario, returns=returns)


@check()
def either_reading(by_date: list[Finding], by_utc: Callable[[], list[Finding]] | None,
                   reqs: tuple[str, ...] = ("REQ-074", "REQ-084")) -> list[Finding]:
    """The findings of the date-part reading, unless the answer is exactly right in the UTC reading: then one
    warning naming the reading the server chose."""
    if not any(f.severity == ERROR for f in by_date) or by_utc is None:
        return by_date
    utc = by_utc()
    if any(f.severity == ERROR for f in utc):
        return by_date
    return [warning(UTC_READING, reqs=reqs), *utc]


def content_in_either_zone(check: Callable[[Scenario, bool], list[Finding]], scenario: Scenario,
                           reports: dict[str, dict[str, Any]]) -> list[Finding]:
    """Run a content check ``check(scenario, utc)`` against the kit's expectation, and against its UTC reading
    when that one differs."""
    alternative = utc_reading(scenario, reports)
    return either_reading(check(scenario, False), (lambda: check(alternative, True)) if alternative else None)

