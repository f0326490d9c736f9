"""The CapabilityStatement served at /metadata: declares only what this server implements (REQ-005, REQ-198).

It follows the IG version the server is started for (``serve --ig-version``): STU1 declares `$report` (with
the aliases cc-gaps and ra.cc-gaps) and the base search parameters; 2.1.0 adds measurereport-category and
keeps the product's `$cc-gaps` family; the STU3 ballot adds `$risk-gap`. The versioned implementationGuide
canonical (``…|1.0.0`` / ``…|2.1.0`` / ``…|3.0.0-ballot``) lets a harness infer the version. Group expansion of
``subject=Group/<id>`` (REQ-086 ⚑) is declared by GROUP_EXPANSION_EXTENSION on the subject searchParam.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import __version__
from ..ig import (
    DEFAULT_IG_VERSION,
    IG_CANONICAL,
    OPERATION_DEFINITIONS,
    PROFILE_MEASUREREPORT,
    PROFILE_MODEL_MEASURE,
    PROFILE_PATIENT_GROUP,
    US_CORE_PATIENT,
    versions,
)
from ..ig.capabilities import GROUP_EXPANSION_EXTENSION
from .search import INCLUDES

SOFTWARE_NAME = "ra-conform reference server"
RELEASE_DATE = "2026-11-23"
IMPLEMENTATION_GUIDE = IG_CANONICAL + "/ImplementationGuide/hl7.fhir.us.davinci-ra"
SUBMIT_DATA = {"name": "submit-data", "definition": "http://hl7.org/fhir/OperationDefinition/Measure-submit-data"}
INTERACTIONS = ("read", "update", "patch", "delete", "create", "search-type")
_SEARCH_TYPES = {"_id": "token", "subject": "reference", "patient": "reference", "period": "date", "date": "date",
                 "measure": "reference", "status": "token", "category": "token",
                 "measurereport-category": "token", "_profile": "uri"}
_SEARCH_DEFINITIONS = {
    "_id": "http://hl7.org/fhir/SearchParameter/Resource-id",
    "subject": "http://hl7.org/fhir/SearchParameter/MeasureReport-subject",
    "patient": "http://hl7.org/fhir/SearchParameter/clinical-patient",
    "period": "http://hl7.org/fhir/SearchParameter/MeasureReport-period",
    "measure": "http://hl7.org/fhir/SearchParameter/MeasureReport-measure",
    "status": "http://hl7.org/fhir/SearchParameter/MeasureReport-status",
    "category": IG_CANONICAL + "/SearchParameter/measurereport-category",
    "measurereport-category": IG_CANONICAL + "/SearchParameter/measurereport-category",
    "_profile": "http://hl7.org/fhir/SearchParameter/Resource-profile",
}
# resource type -> supported profile (None: base resource)
RESOURCES: dict[str, str | None] = {
    "MeasureReport": PROFILE_MEASUREREPORT,
    "Patient": US_CORE_PATIENT,
    "Group": PROFILE_PATIENT_GROUP,
    "Measure": PROFILE_MODEL_MEASURE,
    "Organization": None,
    "Condition": None,
    "Encounter": None,
    "Observation": None,
    "DocumentReference": None,
    "Practitioner": None,
}


def capability_statement(*, base: str, stored_types: Iterable[str] = (),
                         ig_version: str = DEFAULT_IG_VERSION, group_expansion: bool = True) -> dict[str, Any]:
    """The server's CapabilityStatement for ``ig_version``; types present in the store beyond RESOURCES are
    listed too."""
    types = list(RESOURCES) + sorted(t for t in set(stored_types) if t not in RESOURCES)
    package_version = versions.get(ig_version).package_version  # an unknown version: ValueError
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASE_DATE,
        "publisher": "ra-conform",
        "kind": "instance",
        "software": {"name": SOFTWARE_NAME, "version": __version__},
        "implementation": {"description": "ra-conform reference server for the Da Vinci Risk Adjustment IG",
                           "url": base},
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "patchFormat": ["application/json-patch+json", "application/fhir+json"],
        "implementationGuide": [f"{IMPLEMENTATION_GUIDE}|{package_version}"],
        "rest": [{
            "mode": "server",
            "resource": [_resource(t, ig_version, group_expansion) for t in types],
            "interaction": [{"code": "transaction"}, {"code": "batch"}],
        }],
    }


def search_params(rtype: str, ig_version: str) -> tuple[str, ...]:
    """The search parameters declared for a type under an IG version (all of them are implemented)."""
    if rtype != "MeasureReport":
        return ("_id",)
    return versions.get(ig_version).search_params


def operations(ig_version: str) -> tuple[str, ...]:
    """MeasureReport operations declared under an IG version."""
    return versions.get(ig_version).operations


def _resource(rtype: str, ig_version: str, group_expansion: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"type": rtype}
    if RESOURCES.get(rtype):
        out["supportedProfile"] = [RESOURCES[rtype]]
    out["interaction"] = [{"code": c} for c in INTERACTIONS]
    out["versioning"] = "versioned-update"
    out["readHistory"] = False
    out["updateCreate"] = True
    out["searchParam"] = [_search_param(p) for p in search_params(rtype, ig_version)]
    if rtype == "MeasureReport":
        if group_expansion:
            _declare_group_expansion(out["searchParam"])
        out["searchInclude"] = list(INCLUDES)
        out["operation"] = [{"name": name, "definition": OPERATION_DEFINITIONS[name]} for name in operations(ig_version)]
    if rtype == "Measure":  # served in every version (REQ-208); the IG's own statements omit it (REQ-197 ⚑)
        out["operation"] = [dict(SUBMIT_DATA)]
    return out


def _declare_group_expansion(params: list[dict[str, Any]]) -> None:
    for param in params:
        if param["name"] == "subject":
            param["extension"] = [{"url": GROUP_EXPANSION_EXTENSION, "valueBoolean": True}]
            param["documentation"] = "subject=Group/<id> returns the reports of the group's members (RA IG example)"


def _search_param(name: str) -> dict[str, Any]:
    out = {"name": name, "type": _SEARCH_TYPES[name]}
    if name in _SEARCH_DEFINITIONS:
        out["definition"] = _SEARCH_DEFINITIONS[name]
    return out
