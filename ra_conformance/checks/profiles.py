"""Profile conformance of what a server returns, judged by the RA validator."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..fhir import resources as fr
from ..fhir.operation import OperationAnswer
from ..issues import WARNING, Issue, ProfileValidator
from .findings import Finding, error, warning
from .registry import check

MAX_FINDINGS_PER_BUNDLE = 50


def issue_finding(issue: Issue, where: str) -> Finding | None:
    """A validator issue as a finding of the requirement it breaks (REQ-029 for base-FHIR rules); None for notes."""
    make = error if issue.failing else warning if issue.severity == WARNING else None
    if make is None:
        return None
    rule = issue.rule or "profile"
    reqs = (rule,) if rule.startswith("REQ-") else ("REQ-029",)
    return make(f"{issue.resource} at {issue.location}: {issue.message} [{rule}]", reqs=reqs, where=where)


@check("REQ-029")
def answer_conforms(validator: ProfileValidator, answer: OperationAnswer) -> list[Finding]:
    """REQ-029/REQ-021/REQ-133: validate each `return` Bundle in its context (the validator knows the profiles)."""
    findings: list[Finding] = []
    made = [f for f in (issue_finding(issue, where) for where, issue in _answer_issues(validator, answer)) if f]
    findings.extend(made[:MAX_FINDINGS_PER_BUNDLE])
    if len(made) > MAX_FINDINGS_PER_BUNDLE:
        findings.append(error(f"… and {len(made) - MAX_FINDINGS_PER_BUNDLE} more profile issues"))
    return findings


@check()
def rule_findings(validator: ProfileValidator, answers: list[OperationAnswer], req: str, aliases: tuple[str, ...] = ()) -> list[Finding]:
    """REQ-1xx: the issues tagged with one profile requirement (or its constraint keys), over every `return`
    Bundle of the answers. Validation results are cached on the answer objects, so N rule tests validate each
    Bundle once."""
    rules = {req, *aliases}
    findings: list[Finding] = []
    for answer in answers:
        for where, issue in _answer_issues(validator, answer):
            if issue.rule in rules and (issue.failing or issue.severity == WARNING):
                made = issue_finding(issue, where)
                if made is not None:
                    findings.append(made if req in made.reqs else replace(made, reqs=(req,)))
    return findings[:MAX_FINDINGS_PER_BUNDLE]


def _answer_issues(validator: ProfileValidator, answer: OperationAnswer) -> list[tuple[str, Issue]]:
    """Every profile issue of an answer with where it is: a `return` Bundle validated in its context, or — for
    answers grouped from a searchset or a `$risk-gap` Bundle (no per-patient Bundle) — each entry on its own
    (reports against ra-measurereport, the rest against their claimed profiles / base R4)."""
    cache = answer.__dict__.setdefault("_profile_issues", {})
    key = id(validator)
    if key not in cache:
        found: list[tuple[str, Issue]] = []
        for b in answer.returns:
            if b.bundle is not None:
                found += [(f"Parameters.parameter[{b.position}]", i) for i in validator.validate_answer_bundle(b.bundle)]
                continue
            for entry in b.entries:
                resource = entry.get("resource")
                if isinstance(resource, dict):
                    where = f"{b.origin or 'entries'} for {b.patient_ref or 'unidentified patient'}: {fr.key(resource)}"
                    found += [(where, i) for i in validator.validate(resource, _profile_for(resource))]
        cache[key] = found
    return cache[key]


def _profile_for(resource: dict[str, Any]) -> str | None:
    from ..ig import PROFILE_MEASUREREPORT

    return PROFILE_MEASUREREPORT if resource.get("resourceType") == "MeasureReport" else None


US_CORE_TYPES = ("Condition", "Encounter", "Observation", "DocumentReference", "Practitioner", "Organization", "Patient",
                 "Coverage", "Procedure", "MedicationRequest", "AllergyIntolerance", "DiagnosticReport")


@check("REQ-119")
def evidence_conforms(validator: ProfileValidator, answer: OperationAnswer) -> list[Finding]:
    """Cited evidence is valid R4 (errors) and, for types US Core profiles, claims a US Core profile
    (warning otherwise; the US Core packages themselves cannot be checked offline — see `automated: false` in ig/requirements.json)."""
    findings: list[Finding] = []
    seen: set[str] = set()
    for b in answer.returns:
        cited = {ref for r in b.reports for ref in fr.evaluated_references(r)}
        for entry in b.entries:
            resource = fr.as_dict(entry.get("resource"))
            ref = fr.key(resource)
            if ref is None or ref not in cited or ref in seen:
                continue
            seen.add(ref)
            for issue in validator.validate(resource):
                if issue.failing:
                    findings.append(error(f"{ref} at {issue.location}: {issue.message} [{issue.rule}]"))
            claimed = [p for p in fr.as_list((resource.get("meta") or {}).get("profile")) if isinstance(p, str)]
            if resource.get("resourceType") in US_CORE_TYPES and not any("/us/core/" in p for p in claimed):
                findings.append(warning(f"{ref} claims no US Core profile", actual=", ".join(claimed) or "(no meta.profile)"))
    return findings


@check("REQ-029")
def resources_conform(validator: ProfileValidator, resources: list[Any], where: str) -> list[Finding]:
    """Resources returned outside a `$report` Bundle (search pages, `$risk-gap`) — each MeasureReport
    against ra-measurereport, everything else against its claimed profiles / base R4."""
    from ..ig import PROFILE_MEASUREREPORT

    findings: list[Finding] = []
    for resource in resources:
        if not isinstance(resource, dict):
            continue
        profile = PROFILE_MEASUREREPORT if resource.get("resourceType") == "MeasureReport" else None
        made = [f for f in (issue_finding(i, where) for i in validator.validate(resource, profile)) if f]
        findings.extend(made)
    if len(findings) > MAX_FINDINGS_PER_BUNDLE:
        findings = findings[:MAX_FINDINGS_PER_BUNDLE] + [error(f"… and {len(findings) - MAX_FINDINGS_PER_BUNDLE} more profile issues", where=where)]
    return findings
