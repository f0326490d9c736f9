"""Checks on a target's CapabilityStatement (/metadata)."""

from __future__ import annotations

from ..declarations import read_declarations
from ..fhir.client import FhirResponse
from ..ig import IG_CANONICAL, OPERATION_DEFINITIONS, PROFILE_MEASUREREPORT
from .findings import Finding, error, warning
from .registry import check


@check("REQ-005")
def is_capability_statement(resp: FhirResponse) -> list[Finding]:
    """/metadata carries a CapabilityStatement."""
    body = resp.resource
    if body is None or body.get("resourceType") != "CapabilityStatement":
        actual = body.get("resourceType") if body else (resp.error or resp.json_error)
        return [error("GET /metadata did not return a CapabilityStatement", actual=str(actual))]
    return []


@check("REQ-009")
def fhir_version_and_json(resp: FhirResponse) -> list[Finding]:
    """FhirVersion 4.0.1 and a JSON format."""
    body = resp.resource
    if body is None or body.get("resourceType") != "CapabilityStatement":
        return is_capability_statement(resp)
    decl = read_declarations(body)
    findings = []
    if decl.fhir_version != "4.0.1":
        findings.append(error("fhirVersion is not 4.0.1", expected="4.0.1", actual=str(decl.fhir_version)))
    if not any(f in ("json", "application/fhir+json", "application/json") or f.endswith("+json") for f in decl.formats):
        findings.append(error("format does not declare JSON", expected="json or application/fhir+json", actual=", ".join(decl.formats) or "(none)"))
    return findings


@check("REQ-010")
def operation_declared(resp: FhirResponse, name: str) -> list[Finding]:
    """MeasureReport lists the coding-gap operation, with the canonical definition URL."""
    body = resp.resource
    if body is None or body.get("resourceType") != "CapabilityStatement":
        return is_capability_statement(resp)
    declared = read_declarations(body).operations("MeasureReport")
    if name not in declared:
        return [error(f"MeasureReport does not declare the ${name} operation", actual=", ".join(f"${n}" for n in declared) or "(no operations)")]
    expected = OPERATION_DEFINITIONS.get(name)
    definition = declared[name].split("|", 1)[0]
    if expected and definition != expected:
        return [warning(f"${name} is declared without the IG's canonical definition", expected=expected, actual=definition or "(none)")]
    return []


@check("REQ-198")
def ra_profiles_declared(resp: FhirResponse) -> list[Finding]:
    """The RA coding-gap profile is among the declared profiles (SHOULD)."""
    body = resp.resource
    if body is None:
        return is_capability_statement(resp)
    if PROFILE_MEASUREREPORT not in read_declarations(body).profiles():
        return [warning("the ra-measurereport profile is not declared", expected=PROFILE_MEASUREREPORT)]
    return []


RA_STATEMENTS = ("ra-server", "ra-reporting-server", "ra-reporting-client", "ra-data-submission-server", "ra-data-submission-client")


@check("REQ-002")
def claims_ra_conformance(resp: FhirResponse) -> list[Finding]:
    """The server says which RA CapabilityStatement (role) it conforms to — `instantiates` one of them,
    or names the RA IG in `implementationGuide`. A warning when it claims neither (the run itself is the proof)."""
    body = resp.resource
    if body is None or body.get("resourceType") != "CapabilityStatement":
        return is_capability_statement(resp)
    decl = read_declarations(body)
    statements = tuple(f"{IG_CANONICAL}/CapabilityStatement/{name}" for name in RA_STATEMENTS)
    if any(i.split("|", 1)[0] in statements for i in decl.instantiates) or any(g.startswith(IG_CANONICAL) for g in decl.implementation_guides):
        return []
    return [warning("the CapabilityStatement claims no RA CapabilityStatement (instantiates) nor the RA IG (implementationGuide)",
                    expected=f"instantiates one of {', '.join(RA_STATEMENTS)} or implementationGuide {IG_CANONICAL}/…")]
