"""Base `Measure/$submit-data` on the reference server (REQ-197/REQ-208): a valid data-exchange report and its
evidence are stored; a malformed body is a 4xx + OperationOutcome; an invalid report is refused (422)."""

from __future__ import annotations

from ra_conformance.client.reference import ReferenceClient
from ra_conformance.server.incoming import validator_check

DOC = {"resourceType": "DocumentReference", "id": "doc-1", "status": "current",
       "content": [{"attachment": {"contentType": "text/plain", "data": "c2Vlbg=="}}]}


def _datax(**changes):
    with ReferenceClient("http://127.0.0.1:9") as client:
        return {**client.datax_report("DocumentReference/doc-1"), **changes}


def _params(*params):
    return {"resourceType": "Parameters", "parameter": list(params)}


def test_submit_data_stores_the_report_and_its_evidence(client_for, store):
    resp = client_for().post("/Measure/$submit-data", json=_params({"name": "measureReport", "resource": _datax()},
                                                                   {"name": "resource", "resource": DOC}))
    assert resp.status_code == 200, resp.text
    assert resp.json()["resourceType"] == "OperationOutcome"
    assert store.get("DocumentReference", "doc-1") is not None
    assert any(r.get("type") == "data-collection" for r in store.all("MeasureReport"))
    assert client_for().post("/Measure/some-measure/$submit-data", json=_params({"name": "measureReport", "resource": _datax()})).status_code == 200


def test_submit_data_refuses_malformed_bodies(client_for):
    client = client_for()
    for body in (_datax(), _params(), _params({"name": "MeasureReport", "resource": _datax()}),
                 _params({"name": "measureReport", "resource": _datax()}, {"name": "resource", "valueString": "x"})):
        resp = client.post("/Measure/$submit-data", json=body)
        assert resp.status_code == 400 and resp.json()["resourceType"] == "OperationOutcome", body
    assert client.get("/Measure/$submit-data").status_code in (404, 405)  # not a read of an id, never a 2xx


def test_submit_data_refuses_an_invalid_datax_report(client_for):
    invalid = _datax(extension=[])  # no measurereport-category (REQ-140)
    resp = client_for(check_incoming=validator_check("2.1.0")).post(
        "/Measure/$submit-data", json=_params({"name": "measureReport", "resource": invalid}))
    assert resp.status_code == 422 and resp.json()["resourceType"] == "OperationOutcome"


def test_submit_data_in_warn_mode_stores_and_lists_the_issues(client_for, store):
    from ra_conformance.server.write_validation import write_policy

    invalid = _datax(extension=[])
    resp = client_for(check_incoming=write_policy(validator_check("2.1.0"), "warn")).post(
        "/Measure/$submit-data", json=_params({"name": "measureReport", "resource": invalid}))
    assert resp.status_code == 200, resp.text
    issues = resp.json()["issue"]
    assert issues[0]["severity"] == "information" and any(i["severity"] == "warning" for i in issues[1:])
