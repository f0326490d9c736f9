"""Time zones in plain search (checks/zones.py): the date-part and the UTC reading are both legal; nothing else is."""

from __future__ import annotations

from ra_conformance import dates
from ra_conformance.checks import zones
from ra_conformance.checks.findings import error
from ra_conformance.kit import Scenario

EVE = {"patient": "Patient/p1", "period": {"start": "2023-11-01T09:00:00-05:00", "end": "2023-12-31T23:59:59-05:00"}}
PLAIN = {"patient": "Patient/p1", "period": {"start": "2024-03-01", "end": "2024-03-31"}}
REPORTS = {"MeasureReport/eve": EVE, "MeasureReport/plain": PLAIN}


def window(start: str, end: str, *expected: str) -> Scenario:
    return Scenario("s", "s", "Patient/p1", start, end, returns={"Patient/p1": [f"MeasureReport/{r}" for r in expected]})


def test_utc_day_of_a_datetime_with_a_zone():
    assert str(dates.utc_day_range("2023-12-31T23:59:59-05:00").first) == "2024-01-01"
    assert str(dates.utc_day_range("2024-01-01T00:30:00.5+01:00").first) == "2023-12-31"
    assert dates.utc_day_range("2024-02") == dates.day_range("2024-02")


def test_the_utc_reading_moves_only_the_reports_on_a_zone_edge():
    alternative = zones.utc_reading(window("2024-01-01", "2024-12-31", "plain"), REPORTS)
    assert alternative is not None and set(alternative.returns["Patient/p1"]) == {"MeasureReport/plain", "MeasureReport/eve"}
    assert zones.utc_reading(window("2024-03-01", "2024-03-31", "plain"), REPORTS) is None  # no edge: same answer


def test_either_reading_passes_with_a_warning_only_when_the_utc_answer_is_exactly_right():
    wrong = [error("extra report", reqs="REQ-084")]
    assert zones.either_reading([], lambda: wrong) == []
    assert [f.severity for f in zones.either_reading(wrong, list)] == ["warning"]
    assert zones.either_reading(wrong, lambda: wrong) == wrong
    assert zones.either_reading(wrong, None) == wrong


def test_content_in_either_zone_judges_both_expectations():
    def returned(*refs: str):
        def check(scenario: Scenario, utc: bool):
            got, want = set(refs), set(scenario.returns["Patient/p1"])
            return [] if got == want else [error(f"{sorted(got)} != {sorted(want)}", reqs="REQ-084")]
        return check

    scenario = window("2024-01-01", "2024-12-31", "plain")
    assert zones.content_in_either_zone(returned("MeasureReport/plain"), scenario, REPORTS) == []
    by_utc = zones.content_in_either_zone(returned("MeasureReport/plain", "MeasureReport/eve"), scenario, REPORTS)
    assert [f.severity for f in by_utc] == ["warning"] and "UTC" in by_utc[0].message
    assert zones.content_in_either_zone(returned("MeasureReport/eve"), scenario, REPORTS)[0].severity == "error"
