"""Malformed requests: rejected with 4xx + OperationOutcome, never a 5xx."""

from dataclasses import replace

import pytest

from ra_conformance.checks import http
from ra_conformance.fhir.operation import parameters_body

from .scenarios import OPERATION

pytestmark = OPERATION

# (case id, requirement, parameters as sent). Periods and subjects come from the kit's standard window.
P01 = "Patient/rac-p01"
MALFORMED = [
    ("missing-periodStart", "REQ-017", [("subject", P01), ("periodEnd", "2024-12-31")]),
    ("missing-periodEnd", "REQ-017", [("subject", P01), ("periodStart", "2024-01-01")]),
    ("missing-subject", "REQ-017", [("periodStart", "2024-01-01"), ("periodEnd", "2024-12-31")]),
    ("unparseable-periodStart", "REQ-017", [("subject", P01), ("periodStart", "yesterday"), ("periodEnd", "2024-12-31")]),
    ("impossible-calendar-date", "REQ-017", [("subject", P01), ("periodStart", "2024-02-30"), ("periodEnd", "2024-12-31")]),
    ("periodEnd-with-bad-month", "REQ-017", [("subject", P01), ("periodStart", "2024-01-01"), ("periodEnd", "2024-13-01")]),
    ("bare-id-subject", "REQ-018", [("subject", "rac-p01"), ("periodStart", "2024-01-01"), ("periodEnd", "2024-12-31")]),
    ("other-type-subject", "REQ-018", [("subject", "Practitioner/rac-p01"), ("periodStart", "2024-01-01"), ("periodEnd", "2024-12-31")]),
    ("empty-subject", "REQ-018", [("subject", ""), ("periodStart", "2024-01-01"), ("periodEnd", "2024-12-31")]),
]
IDS = [case[0] for case in MALFORMED]


@pytest.mark.req("REQ-017", "REQ-018")
@pytest.mark.parametrize("case,req,params", MALFORMED, ids=IDS)
def test_req_017_malformed_get_is_rejected_with_outcome(ra, verdict, case, req, params):
    """A GET with missing or malformed parameters is rejected with 4xx + OperationOutcome."""
    verdict.add(http.rejected_with_outcome(ra.operation.get(params).response, req))


@pytest.mark.req("REQ-017", "REQ-018")
@pytest.mark.parametrize("case,req,params", MALFORMED, ids=IDS)
def test_req_017_malformed_post_is_rejected_with_outcome(ra, verdict, case, req, params):
    """A POST Parameters with missing or malformed parameters is rejected with 4xx + OperationOutcome."""
    verdict.add(http.rejected_with_outcome(ra.operation.post(parameters_body(params)).response, req))


@pytest.mark.req("REQ-017")
def test_req_017_post_body_that_is_not_parameters_is_rejected(ra, verdict):
    """A POST whose body is not a Parameters resource is rejected with 4xx + OperationOutcome."""
    verdict.add(http.rejected_with_outcome(ra.operation.post({"resourceType": "Patient", "id": "x"}).response, "REQ-017"))


@pytest.mark.req("REQ-017")
def test_req_017_post_body_that_is_not_json_is_rejected(ra, verdict):
    """A POST whose body is not JSON is rejected with 4xx + OperationOutcome."""
    resp = ra.client.request("POST", ra.operation.path, content=b"{not json", headers={"Content-Type": "application/fhir+json"})
    verdict.add(http.rejected_with_outcome(resp, "REQ-017"))


@pytest.mark.req("REQ-017")
def test_req_017_period_end_before_start_is_not_answered_with_reports(ra, verdict):
    """periodEnd before periodStart is rejected with 4xx + OperationOutcome (⚑; a 2xx is reported as a warning)."""
    resp = ra.operation.get([("subject", P01), ("periodStart", "2024-12-31"), ("periodEnd", "2024-01-01")]).response
    findings = http.rejected_with_outcome(resp, "REQ-017")
    if resp.status is not None and 200 <= resp.status < 300:
        findings = [replace(f, severity="warning", message=f.message + " (the IG does not address reversed periods)") for f in findings]
    verdict.add(findings)
