"""The incoming-resource check every write passes before it is stored (REST, transaction, $submit-data, file load).

The check is a seam: ``check(resource) -> list of issue-like objects`` (attributes ``severity``, ``message`` and
optionally ``location``/``rule``/``reported``), e.g. ``ra_conformance.validation``'s checker bound to a version.
Errors among them → 422 + OperationOutcome (run_check).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import FhirError, issue, operation_outcome
from .refs import valid_id, valid_type


@dataclass(frozen=True)
class Problem:
    """What a check_incoming hook reports (same attribute names as the validator's Issue)."""

    severity: str
    message: str
    location: str = ""
    rule: str = ""
    reported: bool = False  # stored anyway, and returned to the client with the 2xx (write validation: warn)


IncomingCheck = Callable[[dict[str, Any]], Sequence[Any]]


def basic_checks(resource: dict[str, Any]) -> list[Problem]:
    """The default hook: shape checks the server needs to store a resource at all."""
    problems = []
    if not valid_type(resource.get("resourceType")):
        problems.append(Problem("error", "resourceType is missing or not a resource type name", "resourceType"))
    if "id" in resource and not valid_id(resource["id"]):
        problems.append(Problem("error", f"id {resource['id']!r} is not a valid FHIR id", "id"))
    if "meta" in resource and not isinstance(resource["meta"], dict):
        problems.append(Problem("error", "meta must be an object", "meta"))
    return problems


def validator_check(ig_version: str) -> IncomingCheck:
    """basic_checks, then the reference validator's incoming-resource check for one IG version."""
    from ..validation import check_incoming

    def check(resource: dict[str, Any]) -> Sequence[Any]:
        return basic_checks(resource) or check_incoming(resource, ig_version)

    return check


def run_check(check: IncomingCheck, resource: dict[str, Any]) -> list[dict[str, Any]]:
    """422 + OperationOutcome when the hook reports errors; else the issues to return with the 2xx (those the hook
    marks ``reported``: write validation ``warn``, see write_validation.py). Other warnings pass silently."""
    problems = check(resource)
    errors = [p for p in problems if getattr(p, "severity", "error") in ("error", "fatal")]
    if errors:
        issues = [issue("error", "processing", _problem_text(p), expression=getattr(p, "location", "") or None)
                  for p in errors]
        raise FhirError(422, "processing", "resource rejected", outcome=operation_outcome(*issues))
    return [issue("warning", "processing", _problem_text(p), expression=getattr(p, "location", "") or None)
            for p in problems if getattr(p, "reported", False)]


def _problem_text(problem: Any) -> str:
    text = str(getattr(problem, "message", problem))
    rule = getattr(problem, "rule", "")
    return f"{text} [{rule}]" if rule else text
