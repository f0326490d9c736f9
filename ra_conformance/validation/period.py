"""FHIRPath ``start <= end`` for two R4 date/dateTime values (per-1), as FHIRPath compares them: at the
precision both share; equal there but of different precision is an empty result (the invariant holds)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

_DATE_PART = 10  # YYYY-MM-DD


def _instant(value: str) -> datetime | None:
    """An aware datetime of a dateTime with a time part (R4 requires the offset there)."""
    text = value.replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def start_not_after_end(start: Any, end: Any) -> bool:
    """False only when start is certainly after end. Unparsable values are left to the format checks."""
    if not isinstance(start, str) or not isinstance(end, str) or not start or not end:
        return True
    if "T" in start and "T" in end:
        first, last = _instant(start), _instant(end)
        if first is None or last is None:
            return True
        return first <= last + timedelta(0)
    if "T" in start or "T" in end:
        # A date against a dateTime: only the calendar date can decide, and the dateTime's offset makes
        # its date uncertain by a day: only a start at least two days after the end certainly fails.
        a, b = start[:_DATE_PART], end[:_DATE_PART]
        if len(a) == len(b) == _DATE_PART and a > b:
            try:
                return (datetime.fromisoformat(a) - datetime.fromisoformat(b)).days < 2
            except ValueError:
                return True
    else:
        a, b = start, end
    common = min(len(a), len(b))
    return a[:common] <= b[:common]
