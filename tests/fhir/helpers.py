"""Builders for harness unit tests: canned HTTP answers through httpx.MockTransport."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ra_conformance.fhir.client import FhirClient, FhirResponse
from ra_conformance.fhir.operation import OperationAnswer, parse_answer

BASE = "http://fhir.test"


def client_answering(handler: Any, **kw: Any) -> FhirClient:
    return FhirClient(BASE, transport=httpx.MockTransport(handler), **kw)


def response(body: Any, status: int = 200, content_type: str = "application/fhir+json; charset=utf-8") -> FhirResponse:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    client = client_answering(lambda request: httpx.Response(status, content=content, headers={"Content-Type": content_type}))
    return client.get("x")


def answer(body: Any, status: int = 200) -> OperationAnswer:
    return parse_answer(response(body, status))


def patient(pid: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid}


def report(rid: str, pid: str, start: str = "2024-01-01", end: str = "2024-12-31", evidence: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "resourceType": "MeasureReport",
        "id": rid,
        "subject": {"reference": f"Patient/{pid}"},
        "period": {"start": start, "end": end},
        "evaluatedResource": [{"reference": ref} for ref in evidence],
    }


def bundle(*resources: dict[str, Any], type_: str = "collection") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": type_,
        "entry": [{"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
    }


def outcome(text: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found", "diagnostics": text}]}


def parameters(*params: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": [{"name": n, "resource": r} for n, r in params]}
