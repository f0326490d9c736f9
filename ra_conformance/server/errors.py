"""FHIR errors for the reference server: an exception carrying an HTTP status, and OperationOutcome builders."""

from __future__ import annotations

from typing import Any


def issue(severity: str, code: str, text: str, *, expression: str | None = None) -> dict[str, Any]:
    """One OperationOutcome.issue; the text goes into both diagnostics and details.text (RA-SPEC §1.2)."""
    out: dict[str, Any] = {"severity": severity, "code": code, "details": {"text": text}, "diagnostics": text}
    if expression:
        out["expression"] = [expression]
    return out


def operation_outcome(*issues: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": list(issues)}


def not_found_outcome(reference: str, what: str = "resource") -> dict[str, Any]:
    """REQ-032..REQ-035: an outcome naming the subject (or group member) that was not found."""
    return operation_outcome(issue("error", "not-found", f"{reference}: {what} not found on this server"))


class FhirError(Exception):
    """An answer other than success: HTTP status + OperationOutcome body (never a traceback)."""

    def __init__(
        self,
        status: int,
        code: str,
        text: str,
        *,
        expression: str | None = None,
        headers: dict[str, str] | None = None,
        outcome: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(text)
        self.status = status
        self.headers = headers or {}
        self.outcome = outcome or operation_outcome(issue("error", code, text, expression=expression))


def bad_request(text: str, *, expression: str | None = None) -> FhirError:
    return FhirError(400, "invalid", text, expression=expression)
