"""3.0.0-ballot rule table: 2.1.0 plus contextId, qualifyingDxCode, the remark profiles (RA-SPEC §3; S3)."""

from __future__ import annotations

from dataclasses import replace

from ra_conformance.ig.ra_common import (
    CODE_OPTIONS_EXT,
    MR,
    REMARK_BUNDLE,
    US_CORE_CONDITION_CODE,
    WITH_REMARK,
    bundle_profile,
    datax_profile,
    model_measure,
    patch_profile,
    patient_group,
    simple_ext,
    us_core_patient,
    with_remark_warning,
)
from ra_conformance.ig.rules import Binding, Element, EntrySlice, Profile, RuleSet
from ra_conformance.ig.v2_1_0.ruleset import build, measurereport


def _with_remark() -> Profile:
    return Profile(url=WITH_REMARK, type="MeasureReport", base=MR,
                   title="Risk Adjustment Coding Gap MeasureReport with Remark",
                   elements=(Element("MeasureReport.group", min=1, req="REQ-145"),),
                   invariants=(with_remark_warning(),))


def _remark_bundle() -> Profile:
    """⚑ RA-SPEC §3.6: ≥1 MeasureReport entry (with-remark), other entries free."""
    return Profile(
        url=REMARK_BUNDLE, type="Bundle", title="Risk Adjustment Coding Gap Report Remark Bundle",
        elements=(
            Element("Bundle.identifier", min=1, max=1, must_support=True, req="REQ-147"),
            Element("Bundle.type", fixed="collection", must_support=True, req="REQ-147"),
            Element("Bundle.entry", min=1, must_support=True, req="REQ-147"),
        ),
        entries=(EntrySlice("ra_report_with_remark_entry", "MeasureReport", WITH_REMARK, min=1, req="REQ-147"),
                 EntrySlice("remark-resource", None, None, req="REQ-147")),
    )


def ruleset() -> RuleSet:
    profiles = [measurereport(s3=True), bundle_profile(), patient_group(fixed=True),
                model_measure(meta_profile=False, library=True), datax_profile(), patch_profile(),
                _with_remark(), _remark_bundle(), us_core_patient("us-core-6")]
    qualifying = simple_ext("qualifyingDxCode", ("MeasureReport.group",), "CodeableConcept",
                            binding=Binding(US_CORE_CONDITION_CODE, "extensible", "REQ-166"), req="REQ-166")
    qualifying = replace(qualifying, elements=(
        Element(f"Extension.valueCodeableConcept.extension(url={CODE_OPTIONS_EXT})", max=1, req="REQ-166"),))
    contextid = simple_ext("contextId", ("MeasureReport",), "id", req="REQ-115")
    return build("stu3-ballot", profiles, [qualifying, contextid], s3=True)
