import pytest

from ra_conformance import dates
from ra_conformance.declarations import discover_operation, read_declarations
from ra_conformance.fhir.redact import (
    REDACTED,
    forget_secrets,
    redact_text,
    redact_url,
    register_secret,
    registered_secrets,
)


@pytest.fixture
def no_registered_secrets():
    """The secret registry is process-wide: another test's secret (say "secret") would be blanked here too."""
    saved = registered_secrets()
    forget_secrets()
    yield
    for value in saved:
        register_secret(value)


def test_redaction_of_bodies_and_urls(no_registered_secrets):
    text = '{"access_token": "abc", "x": 1} Authorization: Bearer abc.def client_secret=zzz&x=1'
    out = redact_text(text)
    assert "abc" not in out and "zzz" not in out and out.count(REDACTED) == 3
    assert "abc" not in redact_url("http://h/p?access_token=abc&x=1")


@pytest.mark.parametrize(
    "start,end,ok",
    [("2024-01-01", "2024-12-31", True), ("2023-06-01", "2024-01-01", True), ("2024-12-31T23:00:00+00:00", "2025-03-01", True),
     ("2023-01-01", "2023-12-31T23:59:59-05:00", False), ("2025-01-01", "2025-12-31", False)],
)
def test_inclusive_overlap_by_calendar_day(start, end, ok):
    assert dates.period_overlaps({"start": start, "end": end}, dates.window("2024-01-01", "2024-12-31")) is ok


@pytest.mark.parametrize("value", ["2024-02-30", "24-01-01", "2024-1-1", "", None, 2024, "2024-01-01T10:00"])
def test_bad_dates_raise_date_format_error(value):
    with pytest.raises(dates.DateFormatError):
        dates.day_range(value)


def test_partial_dates_expand():
    assert dates.window("2024-02", "2024-02") == dates.DayRange(dates.date(2024, 2, 1), dates.date(2024, 2, 29))
    with pytest.raises(dates.DateFormatError):
        dates.window("2024-01-01T00:00:00Z", "2024-12-31")


def test_operation_discovery_by_name_and_definition():
    cs = {"resourceType": "CapabilityStatement", "rest": [{"mode": "server", "resource": [{"type": "MeasureReport", "operation": [
        {"name": "gaps", "definition": "http://hl7.org/fhir/us/davinci-ra/OperationDefinition/report|1.0.0"}]}]}]}
    assert discover_operation(read_declarations(cs)) == "gaps"
    assert discover_operation(read_declarations({"rest": "junk"})) is None
    assert discover_operation(read_declarations(None)) is None
