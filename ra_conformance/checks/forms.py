"""Checks comparing the request forms of the operation (GET vs POST)."""

from __future__ import annotations

from ..fhir.operation import OperationAnswer
from .findings import Finding, error
from .registry import check


@check()
def accepted(answer: OperationAnswer, req: str) -> list[Finding]:
    """The form is supported: HTTP 2xx with a Parameters answer."""
    resp = answer.response
    if resp.error:
        return [error("the server did not give a usable answer", reqs=req, actual=resp.describe())]
    if not (resp.status and 200 <= resp.status < 300) or not answer.is_parameters:
        actual = f"HTTP {resp.status}, {resp.resource.get('resourceType') if resp.resource else 'no FHIR resource'}"
        return [error("this request form is not answered with Parameters", reqs=req, expected="HTTP 200 Parameters", actual=actual)]
    return []


def digest(answer: OperationAnswer) -> dict[str, object]:
    """What must not differ between forms: per patient, its entries; and which subjects the outcomes name."""
    patients = {str(b.patient_ref): sorted(b.entry_keys()) for b in answer.returns}
    return {"status": answer.response.status, "patients": patients, "outcomes": len(answer.outcomes)}


@check("REQ-012", "REQ-013")
def same_answer(get: OperationAnswer, post: OperationAnswer) -> list[Finding]:
    a, b = digest(get), digest(post)
    if a == b:
        return []
    return [error("GET and POST of the same request give different answers", expected=f"GET: {a}", actual=f"POST: {b}")]
