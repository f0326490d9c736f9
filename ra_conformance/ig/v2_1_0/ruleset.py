"""2.1.0 (STU 2.1) rule table (RA-SPEC §3, §4.2; label V21)."""

from __future__ import annotations

from ra_conformance.ig.ra_common import (
    CC_TYPE,
    CONFIDENCE_SCALE,
    EVIDENCE_STATUS_V21,
    HIERARCHICAL_STATUS,
    MR,
    RA1_V21,
    bundle_profile,
    category_slice,
    cc_remark,
    code_system_valueset,
    common_extensions,
    datax_profile,
    ext,
    group_code,
    group_ext,
    model_measure,
    net_new_not_open,
    patch_profile,
    patient_group,
    report_core,
    us_core_patient,
    v21_extensions,
)
from ra_conformance.ig.rules import Element, Profile, RuleSet

REMARK_CODES = ("assessed-present", "assessed-not-present", "in-progress", "deferred", "not-assessed",
                "not-presented", "not-ingested")
REASON_CODES = ("never-had-condition", "inactive-condition", "inapplicable-gap")


def measurereport(*, s3: bool) -> Profile:
    """ra-measurereport of V21 (and, with s3=True, of the STU3 ballot)."""
    elements, invariants = report_core(type_code="individual", type_req="REQ-101", ra1_expr=RA1_V21)
    elements += category_slice("REQ-113") + [
        Element(f"MeasureReport.extension(url={ext('clinicalDataCollectionDeadline')})", max=1, must_support=True,
                req="REQ-114"),
        group_ext("ccType", min=1, max=1, req="REQ-116"),
        group_ext("dxCode", req="REQ-118"),
        group_ext("evidenceStatus", max=1, req="REQ-117"),
        group_ext("evidenceStatusDate", max=1, req="REQ-117"),
        group_ext("hierarchicalStatus", max=1, req="REQ-117"),
        group_ext("confidenceScale", max=1, req="REQ-117"),
        group_ext("ccRemark", req="REQ-118"),
        group_code("sample-cmshcc"),
        Element("MeasureReport.group.stratifier.code", max=1, req="REQ-110"),
    ]
    if s3:
        elements += [
            Element(f"MeasureReport.extension(url={ext('contextId')})", must_support=True, req="REQ-115"),
            group_ext("qualifyingDxCode", req="REQ-118"),
        ]
    return Profile(url=MR, type="MeasureReport", title="Risk Adjustment Coding Gap MeasureReport",
                   elements=tuple(elements), invariants=(*invariants, net_new_not_open('ccType')))


def code_tables(*, s3: bool) -> list:
    tables = [code_system_valueset("cc-type", *CC_TYPE),
              code_system_valueset("evidence-status", *EVIDENCE_STATUS_V21),
              code_system_valueset("hierarchical-status", *HIERARCHICAL_STATUS),
              code_system_valueset("coding-gap-remark", *REMARK_CODES),
              code_system_valueset("remark-reason", *REASON_CODES)]
    if s3:
        from ra_conformance.ig.ra_common import CS, VS, codes
        from ra_conformance.ig.rules import ValueSet

        tables.append((CS + "ra-temp", frozenset({"evidence-note"}),
                       ValueSet(VS + "remark-type", codes(CS + "ra-temp", "evidence-note"))))
    return tables


def build(version: str, profiles: list[Profile], extra_extensions: list, *, s3: bool) -> RuleSet:
    tables = code_tables(s3=s3)
    extensions = common_extensions() + v21_extensions() + [cc_remark(s3=s3)] + extra_extensions
    valuesets = {vs.url: vs for _, _, vs in tables}
    valuesets[CONFIDENCE_SCALE.url] = CONFIDENCE_SCALE
    return RuleSet(version=version, profiles={p.url: p for p in profiles},
                   extensions={e.url: e for e in extensions}, valuesets=valuesets,
                   code_systems={url: defined for url, defined, _ in tables})


def ruleset() -> RuleSet:
    profiles = [measurereport(s3=False), bundle_profile(), patient_group(fixed=True),
                model_measure(meta_profile=False, library=True), datax_profile(), patch_profile(),
                us_core_patient("us-core-6")]
    return build("2.1.0", profiles, [], s3=False)
