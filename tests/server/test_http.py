"""The server over HTTP (Starlette TestClient): content types, errors as OperationOutcome, CRUD, search,
transaction/batch, the operation and its aliases, the CapabilityStatement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ra_conformance import kit
from ra_conformance.ig import OPERATION_DEFINITIONS
from ra_conformance.issues import Issue
from ra_conformance.server.store import Store

from .server_world import BASE, patient, refs, returns

FHIR_JSON = "application/fhir+json; charset=utf-8"
OP_QUERY = "subject=Patient/p1&periodStart=2024-01-01&periodEnd=2024-12-31"


def is_outcome(response: Any, status: int) -> bool:
    return (response.status_code == status and response.headers["content-type"] == FHIR_JSON
            and response.json()["resourceType"] == "OperationOutcome")


# -- operation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cc-gaps", "report", "ra.cc-gaps"])
def test_operation_answers_get_and_post_under_every_alias(client_for: Callable[..., Any], name: str) -> None:
    c = client_for()
    got = c.get(f"/MeasureReport/${name}?{OP_QUERY}")
    assert got.status_code == 200 and got.headers["content-type"] == FHIR_JSON
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "periodStart", "valueDate": "2024-01-01"}, {"name": "periodEnd", "valueDate": "2024-12-31"},
        {"name": "subject", "valueString": "Patient/p1"}]}
    posted = c.post(f"/MeasureReport/${name}", json=body, headers={"content-type": "application/fhir+json"})
    assert posted.status_code == 200
    assert returns(got.json()) == returns(posted.json())
    assert returns(got.json())["Patient/p1"][:3] == ["Patient/p1", "MeasureReport/r1", "MeasureReport/r2"]


def test_operation_uses_the_request_base_or_the_override_in_full_urls(client_for: Callable[..., Any]) -> None:
    entry = client_for().get(f"/MeasureReport/$cc-gaps?{OP_QUERY}").json()["parameter"][0]["resource"]["entry"][0]
    assert entry["fullUrl"] == f"{BASE}/Patient/p1"
    c = client_for(base_url_override="https://fhir.example.org/r4/")
    entry = c.get(f"/MeasureReport/$cc-gaps?{OP_QUERY}").json()["parameter"][0]["resource"]["entry"][0]
    assert entry["fullUrl"] == "https://fhir.example.org/r4/Patient/p1"


@pytest.mark.parametrize(
    "query",
    ["periodEnd=2024-12-31&subject=Patient/p1", "periodStart=2024-1-1&periodEnd=2024-12-31&subject=Patient/p1",
     "periodStart=2024-01-01&periodEnd=2024-12-31&subject=p1",
     "periodStart=2024-12-31&periodEnd=2024-01-01&subject=Patient/p1"],
)
def test_bad_operation_requests_are_400_operation_outcomes(client_for: Callable[..., Any], query: str) -> None:
    assert is_outcome(client_for().get(f"/MeasureReport/$cc-gaps?{query}"), 400)


def test_unknown_patient_is_200_parameters_with_an_outcome(client_for: Callable[..., Any]) -> None:
    r = client_for().get("/MeasureReport/$report?subject=Patient/zz&periodStart=2024&periodEnd=2024")
    assert r.status_code == 200 and r.json()["parameter"][0]["name"] == "outcome"


@pytest.mark.parametrize(("query", "accept", "status"), [
    ("", "application/fhir+xml", 406), ("?_format=xml", "", 406), ("?_format=application/fhir%2Bxml", "", 406),
    ("", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 200), ("?_format=json", "", 200),
    ("", "application/json", 200),
])
def test_json_only_negotiation(client_for: Callable[..., Any], query: str, accept: str, status: int) -> None:
    r = client_for().get(f"/metadata{query}", headers={"accept": accept} if accept else {})
    assert r.status_code == status and r.headers["content-type"] == FHIR_JSON


def test_pretty_printing_on_request(client_for: Callable[..., Any]) -> None:
    c = client_for()
    assert "\n" in c.get("/Patient/p1?_pretty=true").text and "\n" not in c.get("/Patient/p1").text


# -- request bodies -----------------------------------------------------------------------------------


def test_bodies_must_be_json_media_types(client_for: Callable[..., Any]) -> None:
    c = client_for()
    assert is_outcome(c.put("/Patient/p9", content=b"<Patient/>", headers={"content-type": "application/fhir+xml"}),
                      415)
    ok = c.put("/Patient/p9", content=b'{"resourceType":"Patient","id":"p9"}',
               headers={"content-type": "application/json"})
    assert ok.status_code == 201


@pytest.mark.parametrize("content", [b"{not json", b"", b"   ", b"[1,2]", b'"text"'])
def test_malformed_bodies_are_400(client_for: Callable[..., Any], content: bytes) -> None:
    r = client_for().put("/Patient/p9", content=content, headers={"content-type": "application/fhir+json"})
    assert is_outcome(r, 400)


def test_oversized_bodies_are_413(client_for: Callable[..., Any]) -> None:
    c = client_for(max_body=1000)
    big = {"resourceType": "Patient", "id": "p9", "text": {"div": "x" * 2000}}
    assert is_outcome(c.put("/Patient/p9", json=big), 413)
    assert is_outcome(c.post("/", json={"resourceType": "Bundle", "type": "batch", "entry": [{"x": "y" * 2000}]}), 413)


# -- routing and errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/Patient/p1/_history/1/x", 404), ("GET", "/nothing/here/at/all", 404), ("DELETE", "/metadata", 405),
    ("POST", "/Patient/p1", 405), ("GET", "/", 405), ("PUT", "/MeasureReport/$cc-gaps", 405),
    ("PUT", "/MeasureReport/$other", 404),
    ("GET", "/Patient/$everything", 404), ("GET", "/patient/p1", 404), ("GET", "/Patient/bad%20id", 400),
    ("GET", "/Patient/nobody", 404),
])
def test_errors_are_operation_outcomes(client_for: Callable[..., Any], method: str, path: str, status: int) -> None:
    assert is_outcome(client_for().request(method, path), status)


def test_an_unexpected_exception_is_a_500_operation_outcome(client_for: Callable[..., Any], store: Store,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(store, "get", boom)
    assert is_outcome(client_for().get("/Patient/p1"), 500)


# -- CRUD ---------------------------------------------------------------------------------------------


def test_create_read_update_delete(client_for: Callable[..., Any]) -> None:
    c = client_for()
    created = c.post("/Patient", json={"resourceType": "Patient", "id": "ignored", "gender": "female"})
    assert created.status_code == 201 and created.headers["etag"] == 'W/"1"'
    pid = created.json()["id"]
    assert pid != "ignored" and created.headers["location"] == f"{BASE}/Patient/{pid}/_history/1"
    assert c.get(f"/Patient/{pid}").json()["gender"] == "female"
    updated = c.put(f"/Patient/{pid}", json={"resourceType": "Patient", "id": pid, "gender": "male"})
    assert updated.status_code == 200 and updated.json()["meta"]["versionId"] == "2"
    assert updated.headers["etag"] == 'W/"2"' and "last-modified" in updated.headers
    assert c.delete(f"/Patient/{pid}").status_code == 200
    assert c.get(f"/Patient/{pid}").status_code == 404


def test_versioned_update_with_if_match(client_for: Callable[..., Any]) -> None:
    c = client_for()
    assert c.get("/Patient/p1").headers["etag"] == 'W/"1"'
    changed = {**patient("p1"), "gender": "male"}
    assert is_outcome(c.put("/Patient/p1", json=changed, headers={"If-Match": 'W/"7"'}), 412)
    assert c.put("/Patient/p1", json=changed, headers={"If-Match": 'W/"1"'}).headers["etag"] == 'W/"2"'
    assert is_outcome(c.put("/Patient/new", json=patient("new"), headers={"If-Match": 'W/"1"'}), 412)
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": patient("p1"), "request": {"method": "PUT", "url": "Patient/p1", "ifMatch": 'W/"1"'}}]}
    assert c.post("/", json=batch).json()["entry"][0]["response"]["status"].startswith("412")


@pytest.mark.parametrize(("path", "body"), [
    ("/Patient/p1", {"resourceType": "Patient", "id": "other"}),
    ("/Patient/p1", {"resourceType": "Patient"}),
    ("/Patient/p1", {"resourceType": "Observation", "id": "p1"}),
    ("/Patient", {"resourceType": "Observation"}),
])
def test_mismatched_bodies_are_400(client_for: Callable[..., Any], path: str, body: dict[str, Any]) -> None:
    c = client_for()
    r = c.post(path, json=body) if path == "/Patient" else c.put(path, json=body)
    assert is_outcome(r, 400)


def test_the_incoming_check_hook_rejects_with_422(client_for: Callable[..., Any]) -> None:
    def no_female(resource: dict[str, Any]) -> list[Issue]:
        return [Issue("error", "Patient.gender", "", "no", "Patient")] if resource.get("gender") == "female" else \
            [Issue("warning", "", "", "just a warning", "Patient")]

    c = client_for(check_incoming=no_female)
    assert is_outcome(c.put("/Patient/p7", json={**patient("p7"), "gender": "female"}), 422)
    assert c.put("/Patient/p7", json=patient("p7")).status_code == 201
    tx = kit.transaction_bundle([patient("p8"), {**patient("p9"), "gender": "female"}])
    assert is_outcome(c.post("/", json=tx), 422)
    assert c.get("/Patient/p8").status_code == 404


def test_default_hook_rejects_a_bad_id_in_a_posted_body(client_for: Callable[..., Any]) -> None:
    r = client_for().post("/", json={"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": {"resourceType": "Patient", "id": "x", "meta": "bad"},
         "request": {"method": "PUT", "url": "Patient/x"}}]})
    assert r.json()["entry"][0]["response"]["status"].startswith("422")


# -- search -------------------------------------------------------------------------------------------


def search_ids(c: Any, query: str) -> list[str]:
    r = c.get(f"/MeasureReport?{query}")
    assert r.status_code == 200, r.text
    bundle = r.json()
    assert bundle["type"] == "searchset" and bundle["total"] == len([e for e in bundle.get("entry", [])
                                                                      if e["search"]["mode"] == "match"])
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


@pytest.mark.parametrize(("query", "expected"), [
    ("subject=Patient/p1", ["nonra", "r1", "r2", "r3"]),
    ("patient=p1&period=ge2024-01-01&period=le2024-12-31", ["nonra", "r1", "r2"]),
    ("patient=Patient/p1&period=ge2024-07-01", ["nonra", "r2"]),
    ("patient=Patient/p1&period=le2023-12-31", ["r3"]),
    ("patient=Patient/p1&period=gt2024-06-30", ["nonra", "r2"]),
    ("patient=Patient/p1&period=lt2024-01-01", ["r3"]),
    ("patient=Patient/p1&period=eq2024", ["nonra", "r1", "r2"]),
    ("patient=Patient/p1&period=2024-03", []),
    ("patient=Patient/p1&period=ne2024", ["r3"]),
    ("patient=Patient/p1&period=sa2023-12-31", ["nonra", "r1", "r2"]),
    ("patient=Patient/p1&period=eb2024-07-01", ["r1", "r3"]),
    ("patient=Patient/p1&period=ap2024-06", ["nonra", "r1"]),
    ("subject=Group/g2", ["r4", "r5"]),
    ("subject=Patient/p2,Patient/p3&category=ra", []),
    ("patient=p1&category=ra", ["r2"]),
    ("patient=p1&measurereport-category=%22ra%22", ["r2"]),
    ("measure=http://example.org/Measure/m24&status=complete&patient=p2", ["r4", "r5"]),
    ("_id=r1,r4&_id=r4", ["r4"]),
    ("_id=r1&unknownParam=1&_count=5", ["r1"]),
])
def test_measurereport_search(client_for: Callable[..., Any], query: str, expected: list[str]) -> None:
    assert search_ids(client_for(), query) == expected


def test_search_self_link_lists_only_applied_parameters_and_strict_rejects_unknown(
        client_for: Callable[..., Any]) -> None:
    c = client_for()
    bundle = c.get("/MeasureReport?_id=r1&bogus=1").json()
    assert bundle["link"][0] == {"relation": "self", "url": f"{BASE}/MeasureReport?_id=r1"}
    assert is_outcome(c.get("/MeasureReport?bogus=1", headers={"Prefer": "handling=strict"}), 400)


def test_search_include_adds_evaluated_resources_once(client_for: Callable[..., Any]) -> None:
    bundle = client_for().get("/MeasureReport?_id=r1,r2&_include=MeasureReport:evaluated-resource").json()
    modes = [(e["search"]["mode"], f"{e['resource']['resourceType']}/{e['resource']['id']}") for e in bundle["entry"]]
    assert modes == [("match", "MeasureReport/r1"), ("match", "MeasureReport/r2"), ("include", "Condition/c1"),
                     ("include", "Encounter/e1"), ("include", "Patient/p1"), ("include", "Condition/c2"),
                     ("include", "Condition/c3")]


@pytest.mark.parametrize("query", ["period=ge2024-13", "period=xx", "subject=a b", "subject:missing=true", "_id=a b"])
def test_bad_search_values_are_400(client_for: Callable[..., Any], query: str) -> None:
    assert is_outcome(client_for().get(f"/MeasureReport?{query}"), 400)


def test_a_trailing_slash_is_served_not_redirected(client_for: Callable[..., Any]) -> None:
    c = client_for()
    assert search_ids(c, "patient=Patient/p2") == ["r4", "r5"]
    r = c.get("/MeasureReport/?patient=Patient/p2", follow_redirects=False)
    assert r.status_code == 200 and r.json()["total"] == 2
    assert c.get("/Patient/p1/", follow_redirects=False).json()["id"] == "p1"


def test_other_types_search_by_id(client_for: Callable[..., Any]) -> None:
    c = client_for()
    assert refs(c.get("/Patient?_id=p1,p3").json()) == ["Patient/p1", "Patient/p3"]
    assert c.get("/Patient").json()["total"] == 3
    empty = c.get("/Coverage").json()
    assert empty["total"] == 0 and "entry" not in empty


# -- transaction / batch ------------------------------------------------------------------------------


def test_transaction_loads_a_kit_style_bundle(client_for: Callable[..., Any]) -> None:
    c = client_for()
    r = c.post("/", json=kit.transaction_bundle([patient("t1"), patient("t2")]))
    assert r.status_code == 200 and r.json()["type"] == "transaction-response"
    assert [e["response"]["status"] for e in r.json()["entry"]] == ["201 Created", "201 Created"]
    again = c.post("/", json=kit.transaction_bundle([patient("t1"), patient("t2")]))
    assert [e["response"]["status"] for e in again.json()["entry"]] == ["200 OK", "200 OK"]


def test_transaction_is_all_or_nothing(client_for: Callable[..., Any]) -> None:
    c = client_for()
    tx = kit.transaction_bundle([patient("t1"), patient("t2")])
    tx["entry"].append({"resource": {"resourceType": "Patient", "id": "t3"},
                        "request": {"method": "PUT", "url": "Patient/wrong"}})
    tx["entry"].append({"request": {"method": "DELETE", "url": "Patient/p1"}})
    r = c.post("/", json=tx)
    assert is_outcome(r, 400) and "Bundle.entry[2]" in r.json()["issue"][0]["diagnostics"]
    assert c.get("/Patient/t1").status_code == 404 and c.get("/Patient/p1").status_code == 200


def test_transaction_post_entries_get_ids_and_urn_references_are_rewritten(client_for: Callable[..., Any]) -> None:
    c = client_for()
    urn = "urn:uuid:6d3c7a2e-1111-4222-8333-444455556666"
    tx = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": urn, "resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}},
        {"resource": {"resourceType": "Condition", "id": "cx", "subject": {"reference": urn}},
         "request": {"method": "PUT", "url": "Condition/cx"}},
        {"request": {"method": "GET", "url": "Condition/cx"}},
        {"request": {"method": "GET", "url": "MeasureReport?subject=Patient/p2"}},
    ]}
    r = c.post("/", json=tx).json()
    assert r["entry"][0]["response"]["status"] == "201 Created"
    new_id = r["entry"][0]["resource"]["id"]
    assert r["entry"][0]["response"]["location"].startswith(f"{BASE}/Patient/{new_id}/_history/")
    assert r["entry"][2]["resource"]["subject"]["reference"] == f"Patient/{new_id}"
    assert r["entry"][3]["resource"]["total"] == 2


def test_batch_reports_each_entry(client_for: Callable[..., Any]) -> None:
    c = client_for()
    r = c.post("/", json={"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": patient("b1"), "request": {"method": "PUT", "url": "Patient/b1"}},
        {"resource": patient("b2"), "request": {"method": "PUT", "url": "Patient/other"}},
        {"request": {"method": "GET", "url": "Patient/nobody"}},
        {"request": {"method": "PATCH", "url": "Patient/b1"}},
        "junk",
    ]}).json()
    assert r["type"] == "batch-response"
    assert [e["response"]["status"][:3] for e in r["entry"]] == ["201", "400", "404", "400", "400"]
    assert r["entry"][1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert c.get("/Patient/b1").status_code == 200


@pytest.mark.parametrize("body", [{"resourceType": "Patient"}, {"resourceType": "Bundle", "type": "collection"},
                                  {"resourceType": "Bundle", "type": "batch", "entry": {}}])
def test_base_post_needs_a_transaction_or_batch(client_for: Callable[..., Any], body: dict[str, Any]) -> None:
    assert is_outcome(client_for().post("/", json=body), 400)


# -- metadata -----------------------------------------------------------------------------------------


def test_capability_statement_declares_the_operation_profiles_and_formats(client_for: Callable[..., Any]) -> None:
    r = client_for().get("/metadata")
    assert r.status_code == 200 and r.headers["content-type"] == FHIR_JSON
    cs = r.json()
    assert cs["resourceType"] == "CapabilityStatement" and cs["fhirVersion"] == "4.0.1"
    assert cs["kind"] == "instance" and cs["status"] == "active" and "json" in cs["format"]
    rest = cs["rest"][0]
    mr = next(res for res in rest["resource"] if res["type"] == "MeasureReport")
    assert {(o["name"], o["definition"]) for o in mr["operation"]} == {
        (n, OPERATION_DEFINITIONS[n]) for n in ("cc-gaps", "report", "ra.cc-gaps")}
    assert mr["supportedProfile"] == ["http://hl7.org/fhir/us/davinci-ra/StructureDefinition/ra-measurereport"]
    assert {"period", "subject", "patient", "measure"} <= {p["name"] for p in mr["searchParam"]}
    assert {i["code"] for i in rest["interaction"]} == {"transaction", "batch"}
    assert {res["type"] for res in rest["resource"]} >= {"Patient", "Group", "Measure", "Condition"}


def test_the_reference_validator_plugs_into_the_hook(client_for: Callable[..., Any]) -> None:
    from ra_conformance.server.incoming import validator_check

    from .server_world import report

    c = client_for(check_incoming=validator_check("2.1.0"))
    incomplete = report("rx", "p1", "2024-01-01", "2024-12-31")  # claims ra-measurereport, lacks date/reporter
    r = c.put("/MeasureReport/rx", json=incomplete)
    assert is_outcome(r, 422) and "date" in r.text
    complete = {**incomplete, "date": "2025-01-15", "reporter": {"reference": "Organization/o1"},
                "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/measurereport-category",
                               "valueCodeableConcept": {"coding": [{"code": "ra"}]}}]}
    r = c.put("/MeasureReport/rx", json=complete)
    assert r.status_code == 201, r.text


SAMPLE_VALUES = {"_id": "r1", "subject": "Patient/p1", "patient": "p1", "period": "ge2024-01-01", "date": "ge2024-01-01",
                 "measure": "http://example.org/Measure/m24", "status": "complete", "category": "ra",
                 "measurereport-category": "ra",
                 "_profile": "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/ra-measurereport"}


def test_every_declared_search_parameter_and_include_is_applied(client_for: Callable[..., Any]) -> None:
    """Declare only what is implemented: each declared parameter shows up in the search's self link."""
    c = client_for()
    for res in c.get("/metadata").json()["rest"][0]["resource"]:
        for sp in res["searchParam"]:
            value = SAMPLE_VALUES[sp["name"]] if res["type"] == "MeasureReport" else "x1"
            link = c.get(f"/{res['type']}", params={sp["name"]: value}).json()["link"][0]["url"]
            assert f"{sp['name']}=" in link, (res["type"], sp["name"])
        for inc in res.get("searchInclude", []):
            assert "_include=" in c.get(f"/{res['type']}", params={"_include": inc}).json()["link"][0]["url"]


def test_every_declared_interaction_works(client_for: Callable[..., Any]) -> None:
    c = client_for()
    for res in c.get("/metadata").json()["rest"][0]["resource"]:
        rtype = res["type"]
        codes = {i["code"] for i in res["interaction"]}
        assert codes == {"read", "create", "update", "patch", "delete", "search-type"}
        created = c.post(f"/{rtype}", json={"resourceType": rtype})
        assert created.status_code == 201, (rtype, created.text)
        rid = created.json()["id"]
        assert c.get(f"/{rtype}/{rid}").status_code == 200
        assert c.put(f"/{rtype}/{rid}", json={"resourceType": rtype, "id": rid, "language": "en"}).status_code == 200
        assert c.get(f"/{rtype}", params={"_id": rid}).json()["total"] == 1
        patched = c.patch(f"/{rtype}/{rid}", json=[{"op": "replace", "path": "/language", "value": "de"}],
                          headers={"Content-Type": "application/json-patch+json"})
        assert patched.status_code == 200 and patched.json()["language"] == "de", (rtype, patched.text)
        assert c.delete(f"/{rtype}/{rid}").status_code == 200
        assert c.get(f"/{rtype}/{rid}").status_code == 404
