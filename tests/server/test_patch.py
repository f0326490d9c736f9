"""PATCH on the reference server: JSON Patch and the FHIRPath Patch the RA IG uses for ccRemarks."""

import httpx
import pytest

from ra_conformance.server.embedded import EmbeddedServer

RA = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/"


def _report():
    return {"resourceType": "MeasureReport", "id": "p1", "status": "complete", "type": "individual", "measure": "http://x/Measure/m",
            "subject": {"reference": "Patient/a"}, "period": {"start": "2024-01-01", "end": "2024-12-31"},
            "group": [{"id": "g1"}, {"id": "g2", "extension": [{"url": "http://x/e", "valueString": "keep"}]}]}


def _remark_patch(group: str):
    return {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [
        {"name": "type", "valueCode": "add"},
        {"name": "path", "valueString": f"MeasureReport.group.where(id='{group}')"},
        {"name": "name", "valueString": "extension"},
        {"name": "value", "part": [
            {"name": "url", "valueUri": RA + "ra-ccRemark"},
            {"name": "extension", "part": [{"name": "url", "valueUri": "author"}, {"name": "valueString", "valueString": "Dr A"}]},
            {"name": "extension", "part": [{"name": "url", "valueUri": "text"}, {"name": "valueString", "valueString": "seen"}]},
        ]},
    ]}]}


@pytest.fixture
def base():
    with EmbeddedServer(load=[]) as server:
        assert httpx.put(f"{server.base_url}/MeasureReport/p1", json=_report()).status_code == 201
        yield server.base_url


def test_json_patch_replaces_a_value(base):
    resp = httpx.patch(f"{base}/MeasureReport/p1", json=[{"op": "replace", "path": "/status", "value": "pending"}],
                       headers={"Content-Type": "application/json-patch+json"})
    assert resp.status_code == 200 and resp.json()["status"] == "pending"
    assert httpx.get(f"{base}/MeasureReport/p1").json()["meta"]["versionId"] == "2"


def test_fhirpath_patch_adds_a_remark_to_the_addressed_group_only(base):
    resp = httpx.patch(f"{base}/MeasureReport/p1", json=_remark_patch("g2"), headers={"Content-Type": "application/fhir+json"})
    assert resp.status_code == 200, resp.text
    groups = httpx.get(f"{base}/MeasureReport/p1").json()["group"]
    assert "extension" not in groups[0]
    assert groups[1]["extension"][0] == {"url": "http://x/e", "valueString": "keep"}
    remark = groups[1]["extension"][1]
    assert remark["url"] == RA + "ra-ccRemark"
    assert remark["extension"] == [{"url": "author", "valueString": "Dr A"}, {"url": "text", "valueString": "seen"}]


@pytest.mark.parametrize(
    "body,ctype,status",
    [
        (_remark_patch("nope"), "application/fhir+json", 422),
        ([{"op": "remove", "path": "/nothing"}], "application/json-patch+json", 422),
        ({"op": "replace"}, "application/json-patch+json", 400),
        ({"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [{"name": "type", "valueCode": "move"}, {"name": "path", "valueString": "MeasureReport.group"}]}]}, "application/fhir+json", 422),
        ([{"op": "replace", "path": "/id", "value": "other"}], "application/json-patch+json", 422),
        ([{"op": "replace", "path": "/status", "value": "x"}], "text/plain", 415),
    ],
)
def test_bad_patches_are_refused_with_an_outcome(base, body, ctype, status):
    resp = httpx.patch(f"{base}/MeasureReport/p1", json=body, headers={"Content-Type": ctype})
    assert resp.status_code == status and resp.json()["resourceType"] == "OperationOutcome"


def test_patch_of_an_unknown_resource_is_404(base):
    resp = httpx.patch(f"{base}/MeasureReport/zz", json=[], headers={"Content-Type": "application/json-patch+json"})
    assert resp.status_code == 404
