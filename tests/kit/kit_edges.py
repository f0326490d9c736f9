"""How a report period relates to a requested window, computed independently of the overlap answer,
so tests can show that the kit exercises every edge of the inclusive overlap rule (REQ-024)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ra_conformance import dates

ONE_DAY = timedelta(days=1)

# Every edge the issue asks the kit to exercise (report vs window), and the window shapes.
REQUIRED_EDGES = frozenset({
    "wholly-before-adjacent", "wholly-after-adjacent", "straddles-start", "straddles-end", "containing",
    "contained", "touches-start", "touches-end", "datetime-contained", "datetime-touches-end",
    "datetime-utc-inside-but-date-before",
})
REQUIRED_WINDOWS = frozenset({"year-precision", "month-precision", "single-day", "matches-nothing"})


def _relation(r: dates.DayRange, w: dates.DayRange) -> str:
    if r.last < w.first:
        return "wholly-before-adjacent" if r.last == w.first - ONE_DAY else "wholly-before"
    if r.first > w.last:
        return "wholly-after-adjacent" if r.first == w.last + ONE_DAY else "wholly-after"
    if r.first < w.first and r.last == w.first:
        return "touches-start"
    if r.first == w.last and r.last > w.last:
        return "touches-end"
    if r.first < w.first and r.last > w.last:
        return "containing"
    if r.first > w.first and r.last < w.last:
        return "contained"
    if r.first < w.first:
        return "straddles-start"
    if r.last > w.last:
        return "straddles-end"
    return "aligned"


def relations(period: dict[str, Any], w: dates.DayRange) -> set[str]:
    """The edge names a report period exercises against window ``w``."""
    rel = _relation(dates.period_range(period), w)
    out = {rel}
    if "T" in period["start"] or "T" in period["end"]:
        out.add("datetime-" + rel)
    end = period["end"]
    if "T" in end:
        utc_day = datetime.fromisoformat(end.replace("Z", "+00:00")).astimezone(timezone.utc).date()
        if rel.startswith("wholly-before") and utc_day >= w.first:
            out.add("datetime-utc-inside-but-date-before")
    return out


def window_kinds(period_start: str, period_end: str, returns_nothing: bool) -> set[str]:
    out = set()
    if len(period_start) == 4 and len(period_end) == 4:
        out.add("year-precision")
    if len(period_start) == 7 and len(period_end) == 7:
        out.add("month-precision")
    w = dates.window(period_start, period_end)
    if w.first == w.last:
        out.add("single-day")
    if returns_nothing:
        out.add("matches-nothing")
    return out
