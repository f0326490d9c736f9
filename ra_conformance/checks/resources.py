"""Checks on resources the answers point to (Groups, Measures) and on what a server keeps of its reports."""

from __future__ import annotations

from typing import Any

from ..fhir import resources as fr
from ..fhir.client import FhirResponse
from ..issues import WARNING, Issue, ProfileValidator
from .findings import Finding, error, warning
from .registry import check


@check()
def issues_as_findings(issues: list[Issue], default_req: str, where: str) -> list[Finding]:
    """Validator issues -> findings, keeping the issue's REQ id where it has one."""
    out = []
    for issue in issues:
        rule = issue.rule
        reqs = (rule, default_req) if rule.startswith("REQ-") and rule != default_req else (default_req,)
        text = f"{issue.location}: {issue.message} [{rule}]"
        if issue.failing:
            out.append(error(text, reqs=reqs, where=where))
        elif issue.severity == WARNING:
            out.append(warning(text, reqs=reqs, where=where))
    return out


@check()
def read_resource(resp: FhirResponse, ref: str, req: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The answer to GET Type/id; a resource with another identity or a failed read is a finding."""
    body = resp.resource
    if resp.status == 200 and fr.key(body) == ref:
        return body, []
    return None, [error(f"{ref} cannot be read from the target", reqs=req, actual=resp.describe())]


@check("REQ-003")
def must_support_kept(validator: ProfileValidator, returned: dict[str, Any], held: dict[str, Any]) -> list[Finding]:
    """Every must-support element the server holds for a report is in the report it returns."""
    ref = fr.key(returned)
    before = validator.must_support([held])
    after = validator.must_support([returned])
    findings = []
    for profile, elements in before.items():
        dropped = [path for path, populated in elements.items() if populated and not after.get(profile, {}).get(path)]
        if dropped:
            findings.append(error("must-support elements the server holds are missing from the returned report", where=str(ref), actual="; ".join(dropped)))
    return findings
