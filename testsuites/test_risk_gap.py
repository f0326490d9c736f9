"""`$risk-gap` of the STU3 ballot (RA-SPEC §1.5): POST with Patient, coverage, filters and a
data Bundle; the same content rules as every other retrieval (right reports, their evidence, nothing twice).

Listed in no CapabilityStatement of the IG: MAY, run when /metadata declares `$risk-gap`.
"""

import pytest

from ra_conformance.checks import answer as checks
from ra_conformance.checks import http, profiles
from ra_conformance.checks import risk_gap as rg
from ra_conformance.fhir import resources as fr
from ra_conformance.fhir.risk_gap import request_body

from .scenarios import NEEDS_KIT, RISK_GAP, RISK_GAP_CASES, RISK_GAP_DATA_ONLY, RISK_GAP_FILTERED

pytestmark = [RISK_GAP, NEEDS_KIT]

CONTEXT_ID = "ra-conform-request-1"
BASE_CASE = "rg-no-filter"


def _content(verdict, answer, scenario):
    verdict.add(checks.exactly_the_overlapping_reports(answer, scenario))
    verdict.add(checks.reports_belong_to_patient(answer))


@pytest.mark.req("REQ-228", "REQ-220")
@pytest.mark.parametrize("case_id", RISK_GAP_CASES)
def test_req_228_answer_is_the_members_reports(ra, verdict, case_id):
    """POST $risk-gap answers 200 with a Bundle holding exactly the member's reports for the window."""
    case = ra.kit.risk_gap_case(case_id)
    answer = ra.risk_gap_answer(case)
    verdict.add(rg.returns_bundle(answer))
    _content(verdict, answer, case.scenario)


@pytest.mark.req("REQ-227", "REQ-225")
@pytest.mark.parametrize("case_id", RISK_GAP_FILTERED)
def test_req_227_cc_filters_are_honoured(ra, verdict, case_id):
    """ccType and evidenceStatus filter the CCs: every returned group satisfies them, and the right reports remain."""
    case = ra.kit.risk_gap_case(case_id)
    answer = ra.risk_gap_answer(case)
    verdict.add(rg.groups_satisfy_filters(answer, case))
    _content(verdict, answer, case.scenario)


@pytest.mark.req("REQ-027", "REQ-228")
@pytest.mark.parametrize("case_id", RISK_GAP_CASES)
def test_req_027_evidence_of_returned_reports_is_in_the_bundle(ra, verdict, case_id):
    """Every resource a returned report cites is in the Bundle, and nothing appears twice."""
    answer = ra.risk_gap_answer(ra.kit.risk_gap_case(case_id))
    verdict.add(checks.cited_resources_present(answer))
    verdict.add(checks.entries_unique(answer))


@pytest.mark.req("REQ-226", "REQ-223")
def test_req_226_references_resolve_against_the_data_bundle(ra, verdict):
    """A coverage carried only in the `data` Bundle is resolved from it (the server does not hold it)."""
    case = ra.kit.risk_gap_case(RISK_GAP_DATA_ONLY)
    answer = ra.risk_gap_answer(case)
    verdict.add(rg.returns_bundle(answer))
    _content(verdict, answer, case.scenario)


@pytest.mark.req("REQ-230", "REQ-229")
def test_req_230_context_id_is_echoed(ra, verdict):
    """A contextId request header (a valid id) comes back in ra-contextId of the returned reports (SHOULD)."""
    answer = ra.risk_gap_answer(ra.kit.risk_gap_case(BASE_CASE), context_id=CONTEXT_ID)
    verdict.add(rg.returns_bundle(answer))
    verdict.add(rg.context_id_echoed(answer, CONTEXT_ID))


REQUIRED = {"periodStart": ("REQ-221",), "periodEnd": ("REQ-221",), "subject": ("REQ-222",),
            "coverage": ("REQ-223",), "data": ("REQ-226",)}


@pytest.mark.req("REQ-221", "REQ-222", "REQ-223", "REQ-226")
@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_req_223_missing_required_parameter_is_rejected(ra, verdict, missing):
    """A request without a required parameter (periodStart, periodEnd, subject, coverage, data) gets 4xx + OperationOutcome."""
    body = request_body(ra.kit.risk_gap_case(BASE_CASE), ra.kit.resources, omit=(missing,))
    resp = ra.risk_gap.post(body)
    verdict.add(http.rejected_with_outcome(resp, REQUIRED[missing]))


@pytest.mark.req("REQ-222")
def test_req_222_unknown_patient_is_rejected(ra, verdict):
    """A subject found neither in the data Bundle nor on the server gets 4xx + OperationOutcome (⚑)."""
    case = ra.kit.risk_gap_case(BASE_CASE)
    body = request_body(case, {}, omit=())  # the data Bundle carries neither the Patient nor the coverage
    for param in body["parameter"]:
        if param["name"] == "subject":
            param["valueReference"] = {"reference": "Patient/rac-p-unknown"}
    verdict.add(http.rejected_with_outcome(ra.risk_gap.post(body), "REQ-222"))


@pytest.mark.req("REQ-029", "REQ-228")
@pytest.mark.parametrize("case_id", RISK_GAP_CASES)
def test_req_029_returned_resources_conform_to_profiles(ra, verdict, validator, case_id):
    """Every report `$risk-gap` returns conforms to ra-measurereport, its evidence to its profile / base R4."""
    answer = ra.risk_gap_answer(ra.kit.risk_gap_case(case_id))
    bundle = answer.response.resource if answer.response.resource and answer.response.resource.get("resourceType") == "Bundle" else {}
    resources = [e.get("resource") for e in fr.entries(bundle)]
    verdict.add(profiles.resources_conform(validator, resources, f"$risk-gap {case_id}"))
