"""Bad input never gets a 5xx: seeded random junk in bodies, Parameters, Bundles, search values and stored data."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from ra_conformance.server.store import Store

FHIR_JSON = "application/fhir+json; charset=utf-8"
WEIRD = [None, 1, 1.5, True, "", "x", [], {}, [1], {"a": 1}, "Patient/p1", "2024", "\u0000", "é" * 10, -1, 10**30]
KEYS = ["resourceType", "id", "meta", "parameter", "entry", "type", "name", "valueDate", "valueString",
        "valueReference", "request", "resource", "member", "subject", "period", "evaluatedResource", "extension"]


def _fine(r: Any) -> bool:
    return r.status_code < 500 and r.headers["content-type"] == FHIR_JSON and "resourceType" in r.json()


@pytest.mark.parametrize("content", [b"\xff\xfe", b"[" * 5000 + b"]" * 5000, b'{"x": NaN}', b"null", b"1e999",
                                     b'{"resourceType": "Patient", "id": "p1", "meta": []}'])
@pytest.mark.parametrize(("method", "path"), [("POST", "/"), ("POST", "/Patient"), ("PUT", "/Patient/p1"),
                                              ("POST", "/MeasureReport/$cc-gaps")])
def test_junk_bodies_are_4xx(client_for: Callable[..., Any], content: bytes, method: str, path: str) -> None:
    r = client_for().request(method, path, content=content, headers={"content-type": "application/fhir+json"})
    assert _fine(r) and r.status_code >= 400


def _random_request(c: Any, rnd: random.Random, i: int) -> Any:
    kind, key, value = rnd.choice(["res", "params", "bundle"]), rnd.choice(KEYS), rnd.choice(WEIRD)
    if kind == "res":
        body = {"resourceType": rnd.choice(["Patient", "MeasureReport", 5]), "id": "p1", key: value}
        return c.put("/Patient/p1", json=body) if rnd.random() < 0.5 else c.post("/MeasureReport", json=body)
    if kind == "params":
        params: list[Any] = [{"name": "periodStart", "valueDate": "2024"}, {"name": "periodEnd", "valueDate": "2024"},
                             {"name": "subject", "valueString": "Group/g1"}]
        j = rnd.randrange(3)
        params[j] = {**params[j], key: value}
        if rnd.random() < 0.2:
            params.append(value)
        return c.post("/MeasureReport/$cc-gaps", json={"resourceType": "Parameters", "parameter": params})
    entry: dict[str, Any] = {
        "resource": {"resourceType": "MeasureReport", "id": f"m{i % 5}", "subject": {"reference": "Patient/p1"},
                     "period": {"start": "2024", "end": "2024"}, key: value},
        "request": {"method": rnd.choice(["PUT", "POST", "GET", "DELETE", "X", None]),
                    "url": rnd.choice([f"MeasureReport/m{i % 5}", "MeasureReport", "MeasureReport?period=ge2024", "",
                                       "a/b/c", "http://x/MeasureReport/1", 7])}}
    if rnd.random() < 0.3:
        entry[key] = value
    entries = [entry, value] if rnd.random() < 0.2 else [entry]
    return c.post("/", json={"resourceType": "Bundle", "type": rnd.choice(["transaction", "batch"]), "entry": entries})


def test_random_junk_never_gets_a_5xx(client_for: Callable[..., Any]) -> None:
    c, rnd = client_for(), random.Random(20261123)
    bad = []
    for i in range(400):
        r = _random_request(c, rnd, i)
        if not _fine(r):
            bad.append((i, r.status_code, r.text[:120]))
    assert bad == []


@pytest.mark.parametrize("query", ["period=ge", "period=", "subject=", "subject=Group/", "measure=", "_id=", "category=",
                                   "period=gt2024-01-01T10:00:00Z", "period=ge2024-01-01T10:00", "subject=%00",
                                   "patient=http://testserver/Patient/p1", "_include=x", "period=eb2024&period=sa2020"])
def test_odd_search_values_are_never_a_5xx(client_for: Callable[..., Any], query: str) -> None:
    assert _fine(client_for().get(f"/MeasureReport?{query}"))


def test_oddly_shaped_stored_data_is_tolerated(client_for: Callable[..., Any], store: Store) -> None:
    """Data loaded around the HTTP checks (e.g. straight into the store) may have any shape."""
    store.put({"resourceType": "Group", "id": "weird", "member": [1, {"entity": 5}, {"entity": {"reference": 7}},
                                                                 {"entity": {"reference": "Patient/p1"}}]})
    store.put({"resourceType": "MeasureReport", "id": "weird1", "meta": {"profile": "notalist"}, "subject": "str",
               "period": 5, "evaluatedResource": [5, {"reference": 3}]})
    store.put({"resourceType": "MeasureReport", "id": "weird2", "meta": {"profile": [5]},
               "subject": {"reference": "Patient/p1"}, "period": {"start": 5, "end": None}, "evaluatedResource": "x",
               "extension": [5, {"url": "http://hl7.org/fhir/StructureDefinition/measurereport-category",
                                 "valueCodeableConcept": {"coding": [5, {"code": "ra"}]}}]})
    c = client_for()
    answers = [c.get(f"/MeasureReport/$cc-gaps?subject={subject}&periodStart=2024&periodEnd=2024")
               for subject in ("Group/weird", "Patient/p1")]
    assert all(_fine(r) and r.status_code == 200 for r in answers)
    assert [p["name"] for p in answers[-1].json()["parameter"]] == ["return"]
    assert _fine(c.get("/MeasureReport?_include=MeasureReport:evaluated-resource"))
