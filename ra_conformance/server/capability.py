"""The CapabilityStatement served at /metadata: declares only what this server implements (REQ-005, REQ-198)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import __version__
from ..ig import (
    IG_CANONICAL,
    OPERATION_DEFINITIONS,
    PROFILE_MEASUREREPORT,
    PROFILE_MODEL_MEASURE,
    PROFILE_PATIENT_GROUP,
    REPORT_STYLE_OPERATIONS,
    US_CORE_PATIENT,
)
from .faults import FaultSet
from .search import INCLUDES, MEASUREREPORT_PARAMS

SOFTWARE_NAME = "ra-conform reference server"
RELEASE_DATE = "2026-11-23"
IMPLEMENTATION_GUIDE = IG_CANONICAL + "/ImplementationGuide/hl7.fhir.us.davinci-ra"
INTERACTIONS = ("read", "update", "delete", "create", "search-type")
_SEARCH_TYPES = {"_id": "token", "subject": "reference", "patient": "reference", "period": "date",
                 "measure": "reference", "status": "token", "category": "token",
                 "measurereport-category": "token"}
_SEARCH_DEFINITIONS = {
    "_id": "http://hl7.org/fhir/SearchParameter/Resource-id",
    "subject": "http://hl7.org/fhir/SearchParameter/MeasureReport-subject",
    "patient": "http://hl7.org/fhir/SearchParameter/clinical-patient",
    "period": "http://hl7.org/fhir/SearchParameter/MeasureReport-period",
    "measure": "http://hl7.org/fhir/SearchParameter/MeasureReport-measure",
    "status": "http://hl7.org/fhir/SearchParameter/MeasureReport-status",
    "category": IG_CANONICAL + "/SearchParameter/measurereport-category",
    "measurereport-category": IG_CANONICAL + "/SearchParameter/measurereport-category",
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


def capability_statement(faults: FaultSet, *, base: str, stored_types: Iterable[str] = ()) -> dict[str, Any]:
    """The server's CapabilityStatement; types present in the store beyond RESOURCES are listed too."""
    types = list(RESOURCES) + sorted(t for t in set(stored_types) if t not in RESOURCES)
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
        "implementationGuide": [IMPLEMENTATION_GUIDE],
        "rest": [{
            "mode": "server",
            "resource": [_resource(t, faults) for t in types],
            "interaction": [{"code": "transaction"}, {"code": "batch"}],
        }],
    }


def _resource(rtype: str, faults: FaultSet) -> dict[str, Any]:
    out: dict[str, Any] = {"type": rtype}
    if RESOURCES.get(rtype):
        out["supportedProfile"] = [RESOURCES[rtype]]
    out["interaction"] = [{"code": c} for c in INTERACTIONS]
    out["versioning"] = "versioned-update"
    out["readHistory"] = False
    out["updateCreate"] = True
    params = MEASUREREPORT_PARAMS if rtype == "MeasureReport" else ("_id",)
    out["searchParam"] = [_search_param(p) for p in params]
    if rtype == "MeasureReport":
        out["searchInclude"] = list(INCLUDES)
        if not faults.on("no-operation-in-metadata"):  # FAULT: no-operation-in-metadata
            out["operation"] = [{"name": name, "definition": OPERATION_DEFINITIONS[name]}
                                for name in REPORT_STYLE_OPERATIONS]
    return out


def _search_param(name: str) -> dict[str, Any]:
    out = {"name": name, "type": _SEARCH_TYPES[name]}
    if name in _SEARCH_DEFINITIONS:
        out["definition"] = _SEARCH_DEFINITIONS[name]
    return out
