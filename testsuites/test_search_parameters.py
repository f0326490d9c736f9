"""MeasureReport search parameters the 2.1.0 reporting server SHALL support beyond the window search:
patient, measure, status and date. Expected matches come from the kit."""

import pytest

from ra_conformance import dates
from ra_conformance.checks import search as sc
from ra_conformance.harness.context import RaContext

from .scenarios import NEEDS_KIT, capability

pytestmark = NEEDS_KIT
PATIENT = "Patient/rac-p02"  # the edge patient: many reports, two risk models


def _kit_reports(ra: RaContext, patient: str) -> dict[str, dict]:
    """Every MeasureReport of the patient, RA or not (these searches carry no category filter)."""
    return {ref: ra.kit_resources[ref] for ref, r in ra.kit.all_reports.items() if r["patient"] == patient}


@pytest.mark.req("REQ-073")
@capability("MeasureReport:search:patient")
def test_req_073_search_by_patient(ra, verdict):
    """MeasureReport?patient=Patient/x returns exactly the patient's reports."""
    expected = set(_kit_reports(ra, PATIENT))
    search = ra.search([("patient", PATIENT)])
    verdict.add(sc.answered_with_searchset(search, "REQ-073"))
    verdict.add(sc.exact_matches(search, expected, f"patient={PATIENT}", "REQ-073"))


@pytest.mark.req("REQ-072")
@capability("MeasureReport:search:measure")
def test_req_072_search_by_measure(ra, verdict):
    """MeasureReport?patient=…&measure=<canonical> returns exactly that risk model's reports of the patient."""
    reports = _kit_reports(ra, PATIENT)
    for measure in sorted({r["measure"] for r in reports.values()}):
        search = ra.search([("patient", PATIENT), ("measure", measure)])
        verdict.add(sc.answered_with_searchset(search, "REQ-072"))
        verdict.add(sc.exact_matches(search, {k for k, r in reports.items() if r["measure"] == measure}, f"measure={measure}", "REQ-072"))


@pytest.mark.req("REQ-075")
@capability("MeasureReport:search:status")
@pytest.mark.parametrize("status", ["complete", "error"])
def test_req_075_search_by_status(ra, verdict, status):
    """MeasureReport?patient=…&status=<code> returns exactly the patient's reports with that status."""
    reports = _kit_reports(ra, PATIENT)
    search = ra.search([("patient", PATIENT), ("status", status)])
    verdict.add(sc.answered_with_searchset(search, "REQ-075"))
    verdict.add(sc.exact_matches(search, {k for k, r in reports.items() if r.get("status") == status}, f"status={status}", "REQ-075"))


@pytest.mark.req("REQ-071")
@capability("MeasureReport:search:date")
def test_req_071_search_by_date(ra, verdict):
    """MeasureReport?patient=…&date=<day> returns exactly the reports generated on that day."""
    reports = _kit_reports(ra, PATIENT)
    for day in sorted({r["date"][:10] for r in reports.values() if isinstance(r.get("date"), str)}):
        expected = {k for k, r in reports.items() if isinstance(r.get("date"), str) and dates.day_range(r["date"]).overlaps(dates.day_range(day))}
        search = ra.search([("patient", PATIENT), ("date", day)])
        verdict.add(sc.answered_with_searchset(search, "REQ-071"))
        verdict.add(sc.exact_matches(search, expected, f"date={day}", "REQ-071"))
