"""Reads CapabilityStatements: the target's /metadata declarations (and, later, the IG's expectations)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .fhir import resources as fr
from .ig import IG_CANONICAL, OPERATION_DEFINITIONS, REPORT_STYLE_OPERATIONS, versions
from .ig.capabilities import GROUP_EXPANSION, GROUP_EXPANSION_EXTENSION
from .ig.version import OPERATION, RISK_GAP, SEARCH, IgVersion, Retrieval

DISCOVERY_ORDER = ("cc-gaps", "report", "ra.cc-gaps")


@dataclass
class Declarations:
    """What a server's CapabilityStatement declares."""

    fhir_version: str | None = None
    formats: list[str] = field(default_factory=list)
    system_interactions: list[str] = field(default_factory=list)
    implementation_guides: list[str] = field(default_factory=list)
    instantiates: list[str] = field(default_factory=list)
    patch_formats: list[str] = field(default_factory=list)  # CapabilityStatement.patchFormat (media types)
    # resource type -> {"profiles": [...], "interactions": [...], "operations": {name: definition}, "search": [...]}
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_expansion: bool = False  # MeasureReport `subject` searchParam carries GROUP_EXPANSION_EXTENSION = true


    def operations(self, resource_type: str = "MeasureReport") -> dict[str, str]:
        return self.resources.get(resource_type, {}).get("operations", {})

    def declares(self, item: str) -> bool:
        """Does the target declare an item of ra_conformance.ig.capabilities (e.g. 'MeasureReport:search:period')?"""
        parts = item.split(":")
        if parts[0] == "patchFormat":  # e.g. 'patchFormat:application/fhir+json' (FHIRPath Patch)
            return parts[1] in self.patch_formats
        if parts[0] == "system":
            return parts[1] in self.system_interactions
        res = self.resources.get(parts[0])
        if res is None:
            return False
        if len(parts) == 2:
            return parts[1] == "resource" or parts[1] in res["interactions"]
        if item == GROUP_EXPANSION:
            return self.group_expansion
        if parts[1] == "search":
            aliases = {"evaluated-resource": ("evaluated-resource", "evaluatedResource"), "measurereport-category": ("measurereport-category", "category")}
            return any(a in res["search"] for a in aliases.get(parts[2], (parts[2],)))
        if parts[1] == "operation":
            if parts[2] == "coding-gap":
                return discover_operation(self) is not None
            return parts[2] in res["operations"]
        return False

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
    decl.implementation_guides = [g for g in fr.as_list(cs.get("implementationGuide")) if isinstance(g, str)]
    decl.instantiates = [g for g in fr.as_list(cs.get("instantiates")) if isinstance(g, str)]
    decl.patch_formats = [f.split(";", 1)[0].strip().lower() for f in fr.as_list(cs.get("patchFormat")) if isinstance(f, str)]
    for rest in fr.as_list(cs.get("rest")):
        if not isinstance(rest, dict) or rest.get("mode", "server") != "server":
            continue
        decl.system_interactions.extend(
            i["code"] for i in fr.as_list(rest.get("interaction")) if isinstance(i, dict) and isinstance(i.get("code"), str)
        )
        for res in fr.as_list(rest.get("resource")):
            if not isinstance(res, dict) or not isinstance(res.get("type"), str):
                continue
            entry = decl.resources.setdefault(res["type"], {"profiles": [], "interactions": [], "operations": {}, "search": []})
            profiles = [p for p in fr.as_list(res.get("supportedProfile")) if isinstance(p, str)]
            if isinstance(res.get("profile"), str):
                profiles.append(res["profile"])
            entry["profiles"].extend(profiles)
            entry["interactions"].extend(i.get("code") for i in fr.as_list(res.get("interaction")) if isinstance(i, dict) and isinstance(i.get("code"), str))
            if res.get("updateCreate") is True:  # R4: the client may PUT to a new id (update as create)
                entry["interactions"].append("update-create")
            entry["search"].extend(s.get("name") for s in fr.as_list(res.get("searchParam")) if isinstance(s, dict) and isinstance(s.get("name"), str))
            if res["type"] == "MeasureReport" and _expands_groups(res):
                decl.group_expansion = True
            for op in fr.as_list(res.get("operation")):
                if isinstance(op, dict) and isinstance(op.get("name"), str):
                    entry["operations"][op["name"].lstrip("$")] = op.get("definition") if isinstance(op.get("definition"), str) else ""
    return decl


def _expands_groups(res: dict[str, Any]) -> bool:
    return any(isinstance(sp, dict) and sp.get("name") == "subject" and any(
        isinstance(e, dict) and e.get("url") == GROUP_EXPANSION_EXTENSION and e.get("valueBoolean") is True
        for e in fr.as_list(sp.get("extension"))) for sp in fr.as_list(res.get("searchParam")))


def discover_operation(decl: Declarations, ig_version: str | None = None) -> str | None:
    """The coding-gap operation name the target declares on MeasureReport, by name or by definition URL
    (the version's own name first: STU1 certification prefers `$report` over the aliases)."""
    declared = decl.operations("MeasureReport")
    record = versions.find(ig_version)
    preferred = record.coding_gap_operation if record else DISCOVERY_ORDER[0]
    order = (preferred, *(n for n in DISCOVERY_ORDER if n != preferred))
    for name in order:
        if name in declared:
            return name
    for name, definition in declared.items():
        if definition.split("|", 1)[0] in {OPERATION_DEFINITIONS[n] for n in REPORT_STYLE_OPERATIONS}:
            return name
    return None


def infer_ig_version(decl: Declarations) -> str | None:
    """The IG version a target claims: a versioned implementationGuide canonical first, then, newest version
    first, the first whose own retrieval flow or one of whose new profiles the target declares."""
    for ig in decl.implementation_guides:
        if ig.startswith(IG_CANONICAL) and "|" in ig:
            record = versions.by_package_version(ig.split("|", 1)[1])
            if record is not None:
                return record.id
    known = versions.all_versions()
    declared_profiles = {p.split("|", 1)[0] for p in decl.profiles()}
    for i in range(len(known) - 1, -1, -1):
        if _declares_flow(decl, known[i].own_retrieval) or declared_profiles & _new_profiles(known[i], known[:i]):
            return known[i].id
    return None


def _declares_flow(decl: Declarations, flow: Retrieval) -> bool:
    mr = decl.resources.get("MeasureReport", {})
    if flow.flow == RISK_GAP:
        return RISK_GAP in mr.get("operations", {})
    if flow.flow == SEARCH:
        return any(p in mr.get("search", []) for p in flow.filter_params)
    return flow.flow == OPERATION and discover_operation(decl) is not None


def _new_profiles(record: IgVersion, older: tuple[IgVersion, ...]) -> set[str]:
    """The profiles a version brought (none for the oldest: its own flow tells it)."""
    if not older:
        return set()
    return set(versions.ruleset(record.id).profiles) - {url for v in older for url in versions.ruleset(v.id).profiles}


SMART_SERVICE = ("http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR")
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def declares_smart(cs: Any) -> bool:
    """Does rest.security name the SMART-on-FHIR service or carry the SMART oauth-uris extension? (REQ-006)"""
    rests = cs.get("rest") if isinstance(cs, dict) else None
    for rest in rests if isinstance(rests, list) else []:
        security = rest.get("security") if isinstance(rest, dict) else None
        if not isinstance(security, dict):
            continue
        exts = fr.as_list(security.get("extension"))
        if any(isinstance(e, dict) and e.get("url") == OAUTH_URIS for e in exts):
            return True
        services = fr.as_list(security.get("service"))
        for service in services:
            codings = fr.as_list(service.get("coding")) if isinstance(service, dict) else []
            if any(isinstance(c, dict) and (c.get("system"), c.get("code")) == SMART_SERVICE for c in codings):
                return True
    return False
