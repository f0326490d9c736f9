"""FHIR date / dateTime values as closed calendar-day ranges, and the period-overlap rule.

REQ-024 (⚑ RA-SPEC §1.2): a report matches a requested window when
``report.start <= window.end and report.end >= window.start``, comparing calendar dates, both ends
inclusive. A dateTime is compared by its date part (ra-1 guarantees day precision); a partial
date (``2024`` or ``2024-03``) stands for every day it denotes.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

# R4 lexical forms (http://hl7.org/fhir/R4/datatypes.html#date and #dateTime).
DATE_RE = re.compile(r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$")
DATETIME_RE = re.compile(
    r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$"
)


class DateFormatError(ValueError):
    """A value is not a FHIR date (or dateTime, where one is allowed)."""


@dataclass(frozen=True, order=True)
class DayRange:
    """Closed range of calendar days [first, last]."""

    first: date
    last: date

    def overlaps(self, other: DayRange) -> bool:
        return self.first <= other.last and self.last >= other.first


def _expand(year: int, month: int | None, day: int | None) -> DayRange:
    if month is None:
        return DayRange(date(year, 1, 1), date(year, 12, 31))
    if day is None:
        return DayRange(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
    d = date(year, month, day)  # raises ValueError for 2023-02-30
    return DayRange(d, d)


def day_range(value: object, *, allow_time: bool = True) -> DayRange:
    """The days a FHIR date (or dateTime) denotes; DateFormatError if it is not one."""
    if not isinstance(value, str):
        raise DateFormatError(f"expected a date string, got {type(value).__name__}")
    pattern = DATETIME_RE if allow_time else DATE_RE
    if not pattern.match(value):
        kind = "date or dateTime" if allow_time else "date (YYYY, YYYY-MM or YYYY-MM-DD)"
        raise DateFormatError(f"{value!r} is not a valid FHIR {kind}")
    head = value.split("T", 1)[0]
    parts = [int(p) for p in head.split("-")]
    try:
        return _expand(parts[0], parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)
    except ValueError as exc:
        raise DateFormatError(f"{value!r} is not a calendar date: {exc}") from None


def window(period_start: str, period_end: str) -> DayRange:
    """The requested clinical evaluation window [periodStart, periodEnd] (both FHIR dates)."""
    start = day_range(period_start, allow_time=False)
    end = day_range(period_end, allow_time=False)
    return DayRange(start.first, end.last)


def period_range(period: object) -> DayRange:
    """The days a FHIR Period {start, end} covers (both ends required here)."""
    if not isinstance(period, dict):
        raise DateFormatError("period is not an object")
    return DayRange(day_range(period.get("start")).first, day_range(period.get("end")).last)


def period_overlaps(period: object, win: DayRange) -> bool:
    """REQ-023/REQ-024: does the report period overlap the window (inclusive, by calendar day)?"""
    return period_range(period).overlaps(win)


def utc_day_range(value: object) -> DayRange:
    """The days a date/dateTime denotes when a dateTime with a zone is read as a UTC instant (R4 instant
    comparison); dates and zone-less values keep their own days. DateFormatError if it is not a date/dateTime."""
    days = day_range(value)
    assert isinstance(value, str)
    if "T" not in value:
        return days
    stamp = re.sub(r"\.[0-9]+", "", value).replace("Z", "+00:00")  # 3.10's fromisoformat: no 'Z', 3/6 fraction digits
    instant = datetime.fromisoformat(stamp)
    if instant.tzinfo is None:
        return days
    utc = instant.astimezone(timezone.utc).date()
    return DayRange(utc, utc)


def utc_period_range(period: object) -> DayRange:
    """period_range with dateTimes read as UTC instants (see utc_day_range)."""
    if not isinstance(period, dict):
        raise DateFormatError("period is not an object")
    return DayRange(utc_day_range(period.get("start")).first, utc_day_range(period.get("end")).last)
