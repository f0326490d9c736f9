"""Checks of the fixture kit. Each returns a list of problems ([] = fine), so tests can prove that
every check fails on a deliberately broken kit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from ra_conformance import dates, jsonio
from ra_conformance.kit import Expectations

JSON = dict[str, Any]
RA_SD = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/"
CATEGORY_EXT = "http://hl7.org/fhir/StructureDefinition/measurereport-category"


def key(resource: JSON) -> str:
    return f"{resource['resourceType']}/{resource['id']}"


def index(resources: list[JSON]) -> dict[str, JSON]:
    return {key(r): r for r in resources}


def is_ra_report(resource: JSON) -> bool:
    """An RA coding-gap report (claims ra-measurereport); the kit's other MeasureReports (quality measures,
    expectations `otherReports`) are plain R4 MeasureReports no RA retrieval may return."""
    return resource["resourceType"] == "MeasureReport" and RA_SD + "ra-measurereport" in resource.get("meta", {}).get("profile", [])


def is_other_report(resource: JSON) -> bool:
    return resource["resourceType"] == "MeasureReport" and not is_ra_report(resource)


# ---- single resources ---------------------------------------------------------------------------
def file_problems(kit_dir: Path) -> list[str]:
    """Each resources/*.json is one JSON resource, named <Type>-<id>.json."""
    out = []
    for path in sorted((kit_dir / "resources").glob("*.json")):
        try:
            r = jsonio.loads(path.read_bytes())
        except jsonio.JsonError as exc:
            out.append(f"{path.name}: not JSON ({exc})")
            continue
        if not isinstance(r, dict) or path.name != f"{r.get('resourceType')}-{r.get('id')}.json":
            out.append(f"{path.name}: not named after the resource it holds")
    return out


def r4_model_problems(resources: list[JSON]) -> list[str]:
    """Each resource must load as an R4B model (R4 == R4B for every type the kit uses)."""
    out = []
    for r in resources:
        try:
            get_fhir_model_class(r["resourceType"]).model_validate(r)
        except Exception as exc:  # noqa: BLE001 - pydantic ValidationError, or an unknown resourceType
            out.append(f"{key(r)}: {str(exc).splitlines()[0]}")
    return out


def identity_problems(resources: list[JSON]) -> list[str]:
    out = []
    for r in resources:
        if not str(r.get("id", "")).startswith("rac-"):
            out.append(f"{key(r)}: id lacks the rac- prefix")
        if not r.get("meta", {}).get("profile") and not is_other_report(r):  # a quality report claims none
            out.append(f"{key(r)}: no meta.profile")
    return out


def _exts(element: JSON, name: str) -> list[JSON]:
    return [e for e in element.get("extension", []) if e.get("url") == RA_SD + name]


def _code(ext: JSON) -> str | None:
    codings = ext.get("valueCodeableConcept", {}).get("coding", [])
    return codings[0].get("code") if codings else None


def report_problems(mr: JSON) -> list[str]:
    """ra-measurereport rules the kit relies on (REQ-101..108, 113, 116, 120, 121, 168)."""
    k, out = key(mr), []
    if mr.get("meta", {}).get("profile") != [RA_SD + "ra-measurereport"]:
        out.append(f"{k}: profile is not ra-measurereport")
    cats = [e for e in mr.get("extension", []) if e.get("url") == CATEGORY_EXT]
    if len(cats) != 1 or _code(cats[0]) != "ra":
        out.append(f"{k}: needs exactly one measurereport-category extension with code ra")
    if (mr.get("type"), mr.get("status")) != ("individual", "complete"):
        out.append(f"{k}: type/status must be individual/complete")
    if not str(mr.get("subject", {}).get("reference", "")).startswith("Patient/"):
        out.append(f"{k}: subject is not a Patient")
    if not str(mr.get("reporter", {}).get("reference", "")).startswith("Organization/"):
        out.append(f"{k}: reporter is not an Organization")
    period = mr.get("period", {})
    if not all(len(str(period.get(end, ""))) > 9 for end in ("start", "end")):
        out.append(f"{k}: ra-1 period start/end need day precision")
    groups = mr.get("group", [])
    ids = [g.get("id") for g in groups]
    if not groups or None in ids or len(set(ids)) != len(ids):
        out.append(f"{k}: groups need distinct ids")
    for g in groups:
        cc = _exts(g, "ra-ccType")
        status = [_code(e) for e in _exts(g, "ra-evidenceStatus")]
        if len(cc) != 1:
            out.append(f"{k} group {g.get('id')}: needs exactly one ccType")
        if "invalid-gap" in status:
            out.append(f"{k} group {g.get('id')}: invalid-gap has no STU1 equivalent")
        if cc and _code(cc[0]) == "net-new" and "open-gap" in status:
            out.append(f"{k} group {g.get('id')}: a net-new CC cannot be open-gap (REQ-121)")
    for i, er in enumerate(mr.get("evaluatedResource", [])):
        refs = _exts(er, "ra-groupReference")
        if len(refs) != 1 or refs[0].get("valueString") not in ids:
            out.append(f"{k} evaluatedResource[{i}]: needs exactly one groupReference naming a group")
    return out


# ---- references ---------------------------------------------------------------------------------
def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node["reference"]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def reference_problems(resources: list[JSON], allowed_missing: set[str]) -> list[str]:
    """Every Reference and every Measure canonical resolves inside the kit, except ``allowed_missing``."""
    idx = index(resources)
    measures = {r.get("url") for r in resources if r["resourceType"] == "Measure"}
    out = []
    for r in resources:
        for target in _references(r):
            if target not in idx and target not in allowed_missing:
                out.append(f"{key(r)}: dangling reference {target}")
        if is_ra_report(r) and r.get("measure") not in measures:
            out.append(f"{key(r)}: measure {r.get('measure')} is no Measure of the kit")
    return out


# ---- expectations vs resources ------------------------------------------------------------------
def evidence(mr: JSON) -> list[str]:
    return list(dict.fromkeys(er["reference"] for er in mr.get("evaluatedResource", [])))


def inventory_problems(exp: Expectations, resources: list[JSON]) -> list[str]:
    """The expectations' patients/groups/reports sections describe exactly the kit's resources."""
    idx = index(resources)
    out = []
    reports = {k: r for k, r in idx.items() if is_ra_report(r)}
    if set(exp.reports) != set(reports):
        out.append(f"reports differ: {sorted(set(exp.reports) ^ set(reports))}")
    others = {k: r for k, r in idx.items() if is_other_report(r)}
    if set(exp.other_reports) != set(others):
        out.append(f"other reports differ: {sorted(set(exp.other_reports) ^ set(others))}")
    for ref, mr in others.items():
        actual = {"patient": mr["subject"]["reference"], "measure": mr["measure"], "period": mr["period"]}
        for field, value in actual.items():
            if exp.other_reports.get(ref, {}).get(field) != value:
                out.append(f"{ref}: {field} declared {exp.other_reports.get(ref, {}).get(field)!r}, kit has {value!r}")
    for ref, mr in reports.items():
        declared = exp.reports.get(ref, {})
        actual = {"patient": mr["subject"]["reference"], "measure": mr["measure"], "period": mr["period"],
                  "evidence": evidence(mr)}
        for field, value in actual.items():
            if declared.get(field) != value:
                out.append(f"{ref}: {field} declared {declared.get(field)!r}, kit has {value!r}")
    patients = {k for k in idx if k.startswith("Patient/")}
    if set(exp.patients) != patients:
        out.append(f"patients differ: {sorted(set(exp.patients) ^ patients)}")
    for ref, body in exp.patients.items():
        own = sorted(k for k, mr in reports.items() if mr["subject"]["reference"] == ref)
        if sorted(body.get("reports", [])) != own:
            out.append(f"{ref}: reports declared {body.get('reports')}, kit has {own}")
    groups = {k: g for k, g in idx.items() if k.startswith("Group/")}
    if set(exp.raw["groups"]) != set(groups):
        out.append(f"groups differ: {sorted(set(exp.raw['groups']) ^ set(groups))}")
    for ref, body in exp.raw["groups"].items():
        members = [m["entity"]["reference"] for m in groups.get(ref, {}).get("member", [])]
        if body.get("members") != members:
            out.append(f"{ref}: members declared {body.get('members')}, kit has {members}")
        missing = [m for m in members if m not in idx]
        if body.get("unknownMembers") != missing:
            out.append(f"{ref}: unknownMembers declared {body.get('unknownMembers')}, kit lacks {missing}")
    return out


def derive_answer(subject: str, period_start: str, period_end: str,
                  idx: dict[str, JSON]) -> tuple[dict[str, list[str]], list[str]]:
    """The correct answer by the $report rules (RA-SPEC §1.2 outcome matrix; overlap REQ-023/024)."""
    win = dates.window(period_start, period_end)

    def matching(patient: str) -> list[str]:
        return sorted(k for k, r in idx.items() if is_ra_report(r)
                      and r["subject"]["reference"] == patient and dates.period_overlaps(r["period"], win))

    if subject.startswith("Patient/"):
        return ({subject: matching(subject)}, []) if subject in idx else ({}, [subject])
    group = idx.get(subject)
    if group is None:
        return {}, [subject]
    members = [m["entity"]["reference"] for m in group.get("member", [])]
    found = [m for m in members if m in idx]
    if not found:  # REQ-034: no valid member -> one outcome naming the Group
        return {}, [subject]
    return {m: matching(m) for m in found}, [m for m in members if m not in idx]


def answer_problems(exp: Expectations, idx: dict[str, JSON]) -> list[str]:
    """Every hand-written answer equals the one derived from the kit with ra_conformance.dates."""
    out = []
    for sc in [*exp.scenarios.values(), *exp.overlap_cases]:
        returns, outcomes = derive_answer(sc.subject, sc.period_start, sc.period_end, idx)
        declared = {p: sorted(refs) for p, refs in sc.returns.items()}
        if declared != returns:
            out.append(f"{sc.id}: returns declared {declared}, derived {returns}")
        if sorted(sc.outcomes) != sorted(outcomes):
            out.append(f"{sc.id}: outcomes declared {sc.outcomes}, derived {outcomes}")
        if any(len(set(refs)) != len(refs) for refs in sc.returns.values()):
            out.append(f"{sc.id}: a returns list repeats a report")
    return out
