"""The incoming-resource check every write passes before it is stored (REST, transaction, $submit-data, file load).

The check is a seam: ``check(resource) -> list of Issue`` (ra_conformance.issues), e.g. ``ra_conformance.validation``'s
checker bound to a version. Errors among them → 422 + OperationOutcome (run_check); warnings travel with the 2xx
(the write-validation policy decides which warnings a check reports, see write_validation.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..issues import ERROR, WARNING, Issue
from .errors import FhirError, issue, operation_outcome
from .refs import valid_id, valid_type

IncomingCheck = Callable[[dict[str, Any]], Sequence[Issue]]


def basic_checks(resource: dict[str, Any]) -> list[Issue]:
    """The default hook: shape checks the server needs to store a resource at all (errors; they carry no rule)."""
    label = str(resource.get("resourceType"))
    problems = []
    if not valid_type(resource.get("resourceType")):
        problems.append(Issue(ERROR, "resourceType", "", "resourceType is missing or not a resource type name", label))
    if "id" in resource and not valid_id(resource["id"]):
        problems.append(Issue(ERROR, "id", "", f"id {resource['id']!r} is not a valid FHIR id", label))
    if "meta" in resource and not isinstance(resource["meta"], dict):
        problems.append(Issue(ERROR, "meta", "", "meta must be an object", label))
    return problems


def validator_check(ig_version: str) -> IncomingCheck:
    """basic_checks, then the reference validator's incoming-resource check for one IG version."""
    from ..validation import check_incoming

    def check(resource: dict[str, Any]) -> Sequence[Issue]:
        return basic_checks(resource) or check_incoming(resource, ig_version)

    return check


def run_check(check: IncomingCheck, resource: dict[str, Any]) -> list[dict[str, Any]]:
    """422 + OperationOutcome when the hook reports errors; else its warnings, to return with the 2xx."""
    problems = check(resource)
    errors = [p for p in problems if p.failing]
    if errors:
        issues = [issue("error", "processing", _problem_text(p), expression=p.location or None) for p in errors]
        raise FhirError(422, "processing", "resource rejected", outcome=operation_outcome(*issues))
    return [issue("warning", "processing", _problem_text(p), expression=p.location or None)
            for p in problems if p.severity == WARNING]


def _problem_text(problem: Issue) -> str:
    return f"{problem.message} [{problem.rule}]" if problem.rule else problem.message
