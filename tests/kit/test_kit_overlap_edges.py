"""The overlap cases exercise every edge of the inclusive overlap rule (REQ-023/REQ-024)."""

from __future__ import annotations

import pytest

from ra_conformance import dates

from .kit_checks import index, is_ra_report
from .kit_edges import REQUIRED_EDGES, REQUIRED_WINDOWS, relations, window_kinds


def _edges(expectations, reports):
    found = set()
    for case in expectations.overlap_cases:
        win = dates.window(case.period_start, case.period_end)
        for r in reports:
            found |= relations(r["period"], win)
    return found


def _subject_reports(expectations, resources):
    subjects = {c.subject for c in expectations.overlap_cases}
    assert subjects == {"Patient/rac-p02", "Patient/rac-p07"}  # the overlap matrix, the month/leap-year edges
    return [r for r in index(resources).values() if is_ra_report(r) and r["subject"]["reference"] in subjects]


def test_every_edge_is_exercised(expectations, resources):
    missing = REQUIRED_EDGES - _edges(expectations, _subject_reports(expectations, resources))
    assert not missing


def test_every_edge_already_shows_against_the_standard_window(expectations, resources):
    std = expectations.raw["standardWindow"]
    win = dates.window(std["periodStart"], std["periodEnd"])
    found = set().union(*(relations(r["period"], win) for r in _subject_reports(expectations, resources)))
    assert not REQUIRED_EDGES - found


def test_edge_check_notices_a_missing_edge(expectations, resources):
    reports = [r for r in _subject_reports(expectations, resources) if not r["id"].endswith("dt-ends-eve")]
    assert "datetime-utc-inside-but-date-before" in REQUIRED_EDGES - _edges(expectations, reports)


def test_every_window_shape_is_exercised(expectations):
    assert len(expectations.overlap_cases) >= 11
    ids = [c.id for c in expectations.overlap_cases]
    assert len(set(ids)) == len(ids)
    kinds = set().union(*(window_kinds(c.period_start, c.period_end, not any(c.returns.values()))
                          for c in expectations.overlap_cases))
    assert not REQUIRED_WINDOWS - kinds


STD = dates.window("2024-01-01", "2024-12-31")


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("2023-01-01", "2023-12-31", {"wholly-before-adjacent"}),
    ("2023-01-01", "2023-12-30", {"wholly-before"}),
    ("2025-01-01", "2025-02-01", {"wholly-after-adjacent"}),
    ("2023-06-01", "2024-01-01", {"touches-start"}),
    ("2024-12-31", "2025-01-05", {"touches-end"}),
    ("2023-06-01", "2024-02-01", {"straddles-start"}),
    ("2024-06-01", "2025-02-01", {"straddles-end"}),
    ("2023-06-01", "2025-02-01", {"containing"}),
    ("2024-06-01", "2024-07-01", {"contained"}),
    ("2024-01-01", "2024-12-31", {"aligned"}),
    ("2023-12-01T00:00:00-05:00", "2023-12-31T23:59:59-05:00",
     {"wholly-before-adjacent", "datetime-wholly-before-adjacent", "datetime-utc-inside-but-date-before"}),
    ("2023-12-01T00:00:00Z", "2023-12-31T23:59:59Z", {"wholly-before-adjacent", "datetime-wholly-before-adjacent"}),
    ("2024-12-31T23:00:00+00:00", "2025-01-31", {"touches-end", "datetime-touches-end"}),
])
def test_relations_classify_periods(start, end, expected):
    assert relations({"start": start, "end": end}, STD) == expected


def test_window_kinds():
    assert window_kinds("2024", "2024", False) == {"year-precision"}
    assert window_kinds("2024-02", "2024-02", True) == {"month-precision", "matches-nothing"}
    assert window_kinds("2024-03-01", "2024-03-01", False) == {"single-day"}
