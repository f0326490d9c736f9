"""RESTful interactions on MeasureReport and at the system level, as the RA CapabilityStatements require.
Each test works on a throw-away Patient and report it deletes afterwards."""

from typing import Any

import pytest

from ra_conformance.checks import rest
from ra_conformance.checks.findings import ConformanceFailure, error
from ra_conformance.fhir import rest as fhir_rest
from ra_conformance.ig import SD
from ra_conformance.ig.capabilities import FHIRPATH_PATCH_FORMAT

from .scenarios import NEEDS_KIT, capability

pytestmark = NEEDS_KIT
KIT_REPORT = "MeasureReport/rac-mr-p06-v28"
KIT_PATIENT = "Patient/rac-p04"


@pytest.fixture
def scratch(ra, verdict):
    with fhir_rest.scratch_report(ra.client, ra.kit_resources[KIT_REPORT], ra.kit_resources[KIT_PATIENT]) as made:
        findings = rest.scratch_created(made)
        if made.report_id is None:
            raise ConformanceFailure(findings or [error("no scratch report could be created on the target", reqs="REQ-183")])
        verdict.add(findings)
        yield made.report_id


@pytest.mark.req("REQ-182")
@capability("MeasureReport:read")
def test_req_182_measurereport_read(ra, verdict):
    """GET [base]/MeasureReport/[id] returns the report the target holds."""
    report, findings = rest.read_back(ra.client.get(KIT_REPORT), KIT_REPORT, "REQ-182")
    verdict.add(findings)
    verdict.add(rest.same_except_meta(report, ra.kit_resources[KIT_REPORT], "REQ-182", "the read"))


@pytest.mark.req("REQ-183")
@capability("MeasureReport:create")
def test_req_183_measurereport_create(ra, verdict, scratch):
    """POST [base]/MeasureReport creates a coding-gap report (201, new id) that reads back."""
    verdict.add(rest.read_back(ra.client.get(f"MeasureReport/{scratch}"), f"MeasureReport/{scratch}", "REQ-183")[1])


@pytest.mark.req("REQ-184")
@capability("MeasureReport:update")
def test_req_184_measurereport_update(ra, verdict, scratch):
    """PUT [base]/MeasureReport/[id] replaces the report; the change reads back."""
    ref = f"MeasureReport/{scratch}"
    report, findings = rest.read_back(ra.client.get(ref), ref, "REQ-184")
    verdict.add(findings)
    if report is not None:
        report = {**report, "status": "pending"}
        verdict.add(rest.succeeded(ra.client.put(ref, json=report), "REQ-184", "PUT", (200, 201)))
        after, findings = rest.read_back(ra.client.get(ref), ref, "REQ-184")
        verdict.add(findings)
        if after is not None and after.get("status") != "pending":
            verdict.add(error("the updated status does not read back", reqs="REQ-184", expected="pending", actual=str(after.get("status"))))


@pytest.mark.req("REQ-184")
@capability("MeasureReport:update-create")
def test_req_184_update_as_create_answers_201(ra, verdict):
    """Where /metadata allows update-as-create (updateCreate), PUT [base]/MeasureReport/[new id] answers 201 Created (R4)."""
    rid = fhir_rest.scratch_id()
    try:
        resp = ra.client.put(f"MeasureReport/{rid}", json=fhir_rest.scratch_copy(ra.kit_resources[KIT_REPORT], rid))
        verdict.add(rest.update_created(resp, "REQ-184"))
    finally:
        ra.client.delete(f"MeasureReport/{rid}")


@pytest.mark.req("REQ-185")
@capability("MeasureReport:patch")
def test_req_185_measurereport_json_patch(ra, verdict, scratch):
    """PATCH [base]/MeasureReport/[id] with a JSON Patch (the CapabilityStatements' patchFormat) changes only what it says."""
    ref = f"MeasureReport/{scratch}"
    before, _ = rest.read_back(ra.client.get(ref), ref, "REQ-185")
    resp = ra.client.request("PATCH", ref, json=[{"op": "replace", "path": "/status", "value": "pending"}],
                             headers={"Content-Type": "application/json-patch+json"})
    verdict.add(rest.succeeded(resp, "REQ-185", "JSON Patch", (200, 204)))
    after, findings = rest.read_back(ra.client.get(ref), ref, "REQ-185")
    verdict.add(findings)
    if before is not None and after is not None:
        verdict.add(rest.same_except_meta({**before, "status": "pending"}, after, "REQ-185", "the patch"))


@pytest.mark.req("REQ-205", "REQ-185")
@capability("MeasureReport:patch", FHIRPATH_PATCH_FORMAT)
def test_req_205_fhirpath_patch_adds_a_remark_to_the_addressed_group_only(ra, verdict, scratch):
    """A FHIRPath Patch (ra-parameters-cc-remark-patch) adds the ccRemark to the addressed group and changes nothing else.

    Runs where /metadata declares patchFormat application/fhir+json (the IG's statements list JSON Patch only)."""
    ref = f"MeasureReport/{scratch}"
    before, _ = rest.read_back(ra.client.get(ref), ref, "REQ-205")
    group = rest.first_group_id(before)
    remark: dict[str, Any] = {"url": SD + "ra-ccRemark", "extension": [{"url": "author", "valueString": "ra-conform"}, {"url": "text", "valueString": "seen at visit"}]}
    body = {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [
        {"name": "type", "valueCode": "add"},
        {"name": "path", "valueString": f"MeasureReport.group.where(id='{group}')"},
        {"name": "name", "valueString": "extension"},
        {"name": "value", "part": [
            {"name": "url", "valueUri": remark["url"]},
            *({"name": "extension", "part": [{"name": "url", "valueUri": e["url"]}, {"name": "valueString", "valueString": e["valueString"]}]} for e in remark["extension"]),
        ]},
    ]}]}
    resp = ra.client.request("PATCH", ref, json=body, headers={"Content-Type": "application/fhir+json"})
    refused = rest.succeeded(resp, "REQ-205", "FHIRPath Patch", (200, 204))
    if refused:  # one finding: a refused patch changed nothing, so there is nothing to compare
        verdict.add(refused)
        return
    after, findings = rest.read_back(ra.client.get(ref), ref, "REQ-205")
    verdict.add(findings)
    if before is not None and after is not None:
        expected, problems = rest.with_group_extension(before, remark, "REQ-205")
        verdict.add(problems)
        if expected is not None:
            verdict.add(rest.same_except_meta(expected, after, "REQ-205", "the ccRemark patch"))


@pytest.mark.req("REQ-186")
@capability("MeasureReport:delete")
def test_req_186_measurereport_delete(ra, verdict, scratch):
    """DELETE [base]/MeasureReport/[id] removes the report; reading it then gives 404 or 410."""
    ref = f"MeasureReport/{scratch}"
    verdict.add(rest.succeeded(ra.client.delete(ref), "REQ-186", "DELETE", (200, 202, 204)))
    verdict.add(rest.gone(ra.client.get(ref), ref, "REQ-186"))


@pytest.mark.req("REQ-180")
@capability("system:batch")
def test_req_180_batch(ra, verdict):
    """POST [base] with a batch Bundle is answered with a batch-response, one 2xx entry per request."""
    refs = [KIT_REPORT, KIT_PATIENT]
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [{"request": {"method": "GET", "url": r}} for r in refs]}
    verdict.add(rest.batch_answered(ra.client.post("", json=bundle), "batch", len(refs), "REQ-180"))


@pytest.mark.req("REQ-181")
@capability("system:transaction")
def test_req_181_transaction(ra, verdict):
    """POST [base] with a transaction Bundle is answered with a transaction-response."""
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [{"request": {"method": "GET", "url": KIT_PATIENT}}]}
    verdict.add(rest.batch_answered(ra.client.post("", json=bundle), "transaction", 1, "REQ-181"))


@pytest.mark.req("REQ-181")
@capability("system:transaction")
def test_req_181_transaction_is_atomic(ra, verdict):
    """A transaction whose second entry fails (a PUT whose body id differs from its URL id: R4 400) fails as a
    whole and leaves nothing changed: the report its first entry wrote does not exist."""
    kept, other = fhir_rest.scratch_id(), fhir_rest.scratch_id()
    report = ra.kit_resources[KIT_REPORT]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"{ra.client.base_url}/MeasureReport/{kept}", "resource": fhir_rest.scratch_copy(report, kept),
         "request": {"method": "PUT", "url": f"MeasureReport/{kept}"}},
        {"fullUrl": f"{ra.client.base_url}/MeasureReport/{other}", "resource": fhir_rest.scratch_copy(report, fhir_rest.scratch_id()),
         "request": {"method": "PUT", "url": f"MeasureReport/{other}"}},
    ]}
    try:
        verdict.add(rest.transaction_refused(ra.client.post("", json=bundle), "REQ-181"))
        verdict.add(rest.nothing_kept(ra.client.get(f"MeasureReport/{kept}"), f"MeasureReport/{kept}", "REQ-181"))
    finally:
        for rid in (kept, other):
            ra.client.delete(f"MeasureReport/{rid}")
