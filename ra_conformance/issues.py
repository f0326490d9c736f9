"""What a judgement says, in one vocabulary: the severity, the validator's Issue, and what a validator offers.

* ``Severity`` — fatal | error | warning | information (FHIR's OperationOutcome.issue.severity codes);
  a check's ``Finding`` (checks/findings.py) uses error and warning.
* ``Issue`` — one problem a validator found in a resource (with its rule id); the reference server's incoming
  check (server/rest.py) answers with Issues too.
* ``ProfileValidator`` — what checks and reports need of a validator (``validation.Validator`` is one).

A low-level module (no imports from the package), so the server can speak it without loading the validator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Severity = Literal["fatal", "error", "warning", "information"]
FATAL: Severity = "fatal"
ERROR: Severity = "error"
WARNING: Severity = "warning"
INFORMATION: Severity = "information"
FAILING: tuple[Severity, ...] = (FATAL, ERROR)  # severities that fail a resource (or refuse a write)


@dataclass(frozen=True)
class Issue:
    severity: Severity
    location: str  # FHIRPath-style, e.g. "Bundle.entry[3].resource.period.start"
    rule: str  # REQ id, constraint key ("ra-1", "bdl-7") or "struct-..."; "" for the server's shape checks
    message: str
    resource: str  # "MeasureReport/abc", or "MeasureReport[#3]" when the resource has no id

    @property
    def failing(self) -> bool:
        return self.severity in FAILING


class ProfileValidator(Protocol):
    """Validates resources against the RA profiles of one IG version (``ra_conformance.validation.validator_for``)."""

    def validate(self, resource: Any, profile: str | None = None, *, ordinal: int = 0) -> list[Issue]: ...

    def validate_answer_bundle(self, bundle: Any, *, ordinal: int = 0) -> list[Issue]: ...

    def must_support(self, resources: Iterable[dict[str, Any]]) -> dict[str, dict[str, bool]]: ...
