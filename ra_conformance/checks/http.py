"""Checks on the HTTP layer of an answer: status, Content-Type, OperationOutcome errors."""

from __future__ import annotations

from ..fhir.client import FhirResponse
from .findings import Finding, error, warning


def answered(resp: FhirResponse, reqs: tuple[str, ...] | str = ()) -> list[Finding]:
    """The server answered at all (no refused connection, timeout or oversized body)."""
    if resp.error:
        return [error(reqs, "the server did not give a usable answer", actual=resp.describe())]
    return []


def fhir_json_content_type(resp: FhirResponse) -> list[Finding]:
    """REQ-009: JSON answers use application/fhir+json (application/json tolerated with a warning; charset expected)."""
    if resp.error or resp.status is None:
        return []
    ctype = resp.content_type
    media = ctype.split(";", 1)[0].strip().lower()
    if media == "application/fhir+json":
        if "charset" not in ctype.lower():
            return [warning("REQ-009", "Content-Type has no charset parameter", expected="application/fhir+json; charset=utf-8", actual=ctype)]
        return []
    if media == "application/json":
        return [warning("REQ-009", "Content-Type is application/json; FHIR's media type is application/fhir+json", actual=ctype)]
    return [error("REQ-009", "the answer is not served as FHIR JSON", expected="application/fhir+json", actual=ctype or "(none)")]


def status_is(resp: FhirResponse, expected: int, reqs: tuple[str, ...] | str, *, severity: str = "error") -> list[Finding]:
    if resp.error or resp.status == expected:
        return answered(resp, reqs)
    make = error if severity == "error" else warning
    return [make(reqs, "unexpected HTTP status", expected=str(expected), actual=str(resp.status))]


def is_operation_outcome(resp: FhirResponse, reqs: tuple[str, ...] | str) -> list[Finding]:
    body = resp.resource
    if body is None or body.get("resourceType") != "OperationOutcome":
        what = body.get("resourceType") if body else (resp.json_error or "no FHIR resource")
        return [error(reqs, "an error answer must carry an OperationOutcome", actual=str(what))]
    issues = body.get("issue")
    if not isinstance(issues, list) or not issues:
        return [error(reqs, "the OperationOutcome has no issue")]
    return []


def rejected_with_outcome(resp: FhirResponse, reqs: tuple[str, ...] | str) -> list[Finding]:
    """A malformed request gets 4xx + OperationOutcome. 5xx is a failure (we do not tolerate 500)."""
    if resp.error:
        return answered(resp, reqs)
    status = resp.status or 0
    if 400 <= status < 500:
        return is_operation_outcome(resp, reqs)
    if status >= 500:
        return [error(reqs, "the server failed (5xx) on a malformed request instead of rejecting it", expected="4xx + OperationOutcome", actual=str(status))]
    return [error(reqs, "the server accepted a malformed request", expected="4xx + OperationOutcome", actual=str(status))]
