"""Search compares dateTime periods as instants in UTC (a strategy: the period columns search reads)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..search import Rules
from .base import Behaviour, Variant

# A dateTime with a zone: SQLite's date() converts it to its UTC day; a date (or partial date) keeps its days.
_UTC_DAY = ("CASE WHEN length(json_extract(resources.json, '$.period.{end}')) > 10"
            " THEN date(json_extract(resources.json, '$.period.{end}')) ELSE {column} END")


class InstantPeriods(Behaviour):
    rules: Mapping[type, Mapping[str, Any]] = {Rules: {"date_targets": {
        "period": (_UTC_DAY.format(end="start", column="period_start"), _UTC_DAY.format(end="end", column="period_end")),
        "date": ("date(json_extract(resources.json, '$.date'))",) * 2,
    }}}


INSTANT_PERIOD_SEARCH = Variant(
    "instant-period-search",
    "MeasureReport search compares dateTime periods as UTC instants (a period ending 2023-12-31T23:59:59-05:00 "
    "matches period=ge2024-01-01); the $cc-gaps operation keeps the IG's date-part rule",
    "R4 search.html#date: a search value without a zone is in the server's zone; comparing instants is R4's own rule",
    InstantPeriods,
)
