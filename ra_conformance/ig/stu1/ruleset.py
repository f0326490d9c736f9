"""STU1 (1.0.0) rule table (RA-SPEC §3, §4.1; label S1)."""

from __future__ import annotations

from ra_conformance.ig.ra_common import (
    EVIDENCE_STATUS_S1,
    HIERARCHICAL_STATUS,
    MR,
    RA1_S1,
    bundle_profile,
    code_system_valueset,
    common_extensions,
    ext,
    extensible,
    group_code,
    group_ext,
    model_measure,
    net_new_not_open,
    patient_group,
    report_core,
    simple_ext,
    us_core_patient,
)
from ra_conformance.ig.rules import Element, Profile, RuleSet


def _measurereport() -> Profile:
    elements, invariants = report_core(type_code="individual", type_req="REQ-101", ra1_expr=RA1_S1)
    deadline = ext("clinicalDataCollectionDeadline")
    elements += [
        # S1: MeasureReport.extension 0..1, typed to the deadline extension only (REQ-111).
        Element("MeasureReport.extension", max=1, req="REQ-111"),
        Element(f"MeasureReport.extension(url={deadline})", max=1, must_support=True, req="REQ-111"),
        group_ext("suspectType", max=1, req="REQ-112"),
        group_ext("evidenceStatus", max=1, req="REQ-112"),
        group_ext("evidenceStatusDate", max=1, req="REQ-112"),
        group_ext("hierarchicalStatus", max=1, req="REQ-112"),
        group_code("example-cmshcc"),
        Element("MeasureReport.group.stratifier.code", max=1, req="REQ-110"),
    ]
    return Profile(url=MR, type="MeasureReport", title="Risk Adjustment Coding Gap Report Profile",
                   elements=tuple(elements), invariants=(*invariants, net_new_not_open('suspectType')),
                   closed_extensions={"MeasureReport": (deadline,)}, closed_req="REQ-111")


def ruleset() -> RuleSet:
    systems = [code_system_valueset("suspect-type", "historic", "suspected", "net-new"),
               code_system_valueset("evidence-status", *EVIDENCE_STATUS_S1),
               code_system_valueset("hierarchical-status", *HIERARCHICAL_STATUS)]
    extensions = common_extensions() + [
        simple_ext("suspectType", ("MeasureReport.group",), "CodeableConcept", max=1,
                   binding=extensible("suspect-type", "REQ-160"), req="REQ-160", max_req="REQ-112"),
        # S1 groupReference root max 1 (RA-SPEC §10 item 8): more than one per evaluatedResource is an error.
        simple_ext("groupReference", ("MeasureReport.evaluatedResource",), "string", max=1, req="REQ-168",
                   max_req="REQ-168"),
    ]
    profiles = [_measurereport(), bundle_profile(), patient_group(fixed=False),
                model_measure(meta_profile=True, library=False), us_core_patient("us-core-8")]
    return RuleSet(
        version="stu1",
        profiles={p.url: p for p in profiles},
        extensions={e.url: e for e in extensions},
        valuesets={vs.url: vs for _, _, vs in systems},
        code_systems={url: defined for url, defined, _ in systems},
    )
