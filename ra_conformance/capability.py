"""Reads CapabilityStatements: the target's /metadata declarations (and, later, the IG's expectations)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .fhir import resources as fr
from .ig import OPERATION_DEFINITIONS, REPORT_STYLE_OPERATIONS

DISCOVERY_ORDER = ("cc-gaps", "report", "ra.cc-gaps")


@dataclass
class Declarations:
    """What a server's CapabilityStatement declares."""

    fhir_version: str | None = None
    formats: list[str] = field(default_factory=list)
    # resource type -> {"profiles": [...], "interactions": [...], "operations": {name: definition}, "search": [...]}
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def operations(self, resource_type: str = "MeasureReport") -> dict[str, str]:
        return self.resources.get(resource_type, {}).get("operations", {})

    def profiles(self) -> set[str]:
        out: set[str] = set()
        for r in self.resources.values():
            out.update(r.get("profiles", []))
        return out


def read_declarations(cs: Any) -> Declarations:
    """Never raises: odd shapes simply declare nothing."""
    decl = Declarations()
    if not isinstance(cs, dict):
        return decl
    decl.fhir_version = cs.get("fhirVersion") if isinstance(cs.get("fhirVersion"), str) else None
    decl.formats = [f for f in fr.as_list(cs.get("format")) if isinstance(f, str)]
    for rest in fr.as_list(cs.get("rest")):
        if not isinstance(rest, dict) or rest.get("mode", "server") != "server":
            continue
        for res in fr.as_list(rest.get("resource")):
            if not isinstance(res, dict) or not isinstance(res.get("type"), str):
                continue
            entry = decl.resources.setdefault(res["type"], {"profiles": [], "interactions": [], "operations": {}, "search": []})
            profiles = [p for p in fr.as_list(res.get("supportedProfile")) if isinstance(p, str)]
            if isinstance(res.get("profile"), str):
                profiles.append(res["profile"])
            entry["profiles"].extend(profiles)
            entry["interactions"].extend(i.get("code") for i in fr.as_list(res.get("interaction")) if isinstance(i, dict) and isinstance(i.get("code"), str))
            entry["search"].extend(s.get("name") for s in fr.as_list(res.get("searchParam")) if isinstance(s, dict) and isinstance(s.get("name"), str))
            for op in fr.as_list(res.get("operation")):
                if isinstance(op, dict) and isinstance(op.get("name"), str):
                    entry["operations"][op["name"].lstrip("$")] = op.get("definition") if isinstance(op.get("definition"), str) else ""
    return decl


def discover_operation(decl: Declarations) -> str | None:
    """The coding-gap operation name the target declares on MeasureReport, by name or by definition URL."""
    declared = decl.operations("MeasureReport")
    for name in DISCOVERY_ORDER:
        if name in declared:
            return name
    for name, definition in declared.items():
        if definition.split("|", 1)[0] in {OPERATION_DEFINITIONS[n] for n in REPORT_STYLE_OPERATIONS}:
            return name
    return None
