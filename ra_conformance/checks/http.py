"""Checks on the HTTP layer of an answer: status, Content-Type, OperationOutcome errors."""

from __future__ import annotations

from ..fhir.client import FhirResponse
from ..issues import ERROR, Severity
from .findings import Finding, error, warning
from .registry import check


@check()
def answered(resp: FhirResponse, reqs: tuple[str, ...] | str = ()) -> list[Finding]:
    """The server answered at all (no refused connection, timeout or oversized body)."""
    if resp.error:
        return [error("the server did not give a usable answer", reqs=reqs, actual=resp.describe())]
    return []


@check("REQ-009")
def fhir_json_content_type(resp: FhirResponse) -> list[Finding]:
    """JSON answers use application/fhir+json (application/json tolerated with a warning; charset expected)."""
    if resp.error or resp.status is None:
        return []
    ctype = resp.content_type
    media = ctype.split(";", 1)[0].strip().lower()
    if media == "application/fhir+json":
        if "charset" not in ctype.lower():
            return [warning("Content-Type has no charset parameter", expected="application/fhir+json; charset=utf-8", actual=ctype)]
        return []
    if media == "application/json":
        return [warning("Content-Type is application/json; FHIR's media type is application/fhir+json", actual=ctype)]
    return [error("the answer is not served as FHIR JSON", expected="application/fhir+json", actual=ctype or "(none)")]


@check()
def status_is(resp: FhirResponse, expected: int, reqs: tuple[str, ...] | str, *, severity: Severity = ERROR) -> list[Finding]:
    if resp.error or resp.status == expected:
        return answered(resp, reqs)
    make = error if severity == ERROR else warning
    return [make("unexpected HTTP status", reqs=reqs, expected=str(expected), actual=str(resp.status))]


@check()
def is_operation_outcome(resp: FhirResponse, reqs: tuple[str, ...] | str) -> list[Finding]:
    body = resp.resource
    if body is None or body.get("resourceType") != "OperationOutcome":
        what = body.get("resourceType") if body else (resp.json_error or "no FHIR resource")
        return [error("an error answer must carry an OperationOutcome", reqs=reqs, actual=str(what))]
    issues = body.get("issue")
    if not isinstance(issues, list) or not issues:
        return [error("the OperationOutcome has no issue", reqs=reqs)]
    return []


@check()
def rejected_with_outcome(resp: FhirResponse, reqs: tuple[str, ...] | str) -> list[Finding]:
    """A malformed request gets 4xx + OperationOutcome. 5xx is a failure (we do not tolerate 500)."""
    if resp.error:
        return answered(resp, reqs)
    status = resp.status or 0
    if 400 <= status < 500:
        return is_operation_outcome(resp, reqs)
    if status >= 500:
        return [error("the server failed (5xx) on a malformed request instead of rejecting it", reqs=reqs, expected="4xx + OperationOutcome", actual=str(status))]
    return [error("the server accepted a malformed request", reqs=reqs, expected="4xx + OperationOutcome", actual=str(status))]
