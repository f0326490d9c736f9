"""Building blocks shared by the per-version rule tables (written from RA-SPEC §3-§4).

Each version package (stu1, v2_1_0, stu3_ballot) composes these with its own differences, so a rule
that is the same in every version is written once.
"""

from __future__ import annotations

from dataclasses import replace

from ra_conformance.ig import IG_CANONICAL, SD
from ra_conformance.ig.rules import (
    Binding,
    Element,
    EntrySlice,
    ExtensionDef,
    Invariant,
    Profile,
    SubExtension,
    ValueSet,
)
from ra_conformance.issues import WARNING

CS = IG_CANONICAL + "/CodeSystem/"
VS = IG_CANONICAL + "/ValueSet/"
USC = "http://hl7.org/fhir/us/core/StructureDefinition/"
US_CORE_PATIENT = USC + "us-core-patient"
US_CORE_ORGANIZATION = USC + "us-core-organization"
CATEGORY_EXT = "http://hl7.org/fhir/StructureDefinition/measurereport-category"
SOFTWARE_EXT = "http://hl7.org/fhir/uv/crmi/StructureDefinition/crmi-softwaresystem"
CODE_OPTIONS_EXT = "http://hl7.org/fhir/StructureDefinition/codeOptions"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
SNOMED = "http://snomed.info/sct"
US_CORE_CONDITION_CODE = "http://hl7.org/fhir/us/core/ValueSet/us-core-condition-code"

MR = SD + "ra-measurereport"
MR_BUNDLE = SD + "ra-measurereport-bundle"
PATIENT_GROUP = SD + "ra-patient-group"
MODEL_MEASURE = SD + "ra-model-measure"
DATAX = SD + "ra-datax-measurereport"
PATCH = SD + "ra-parameters-cc-remark-patch"
WITH_REMARK = SD + "ra-measurereport-with-remark"
REMARK_BUNDLE = SD + "ra-measurereport-remark-bundle"


def ext(name: str) -> str:
    return SD + "ra-" + name


def codes(system: str, *values: str) -> frozenset[tuple[str, str]]:
    return frozenset((system, v) for v in values)


def code_system_valueset(name: str, *values: str) -> tuple[str, frozenset[str], ValueSet]:
    """An RA code system and its all-codes value set of the same name (RA-SPEC §4)."""
    return CS + name, frozenset(values), ValueSet(VS + name, codes(CS + name, *values))


EVIDENCE_STATUS_S1 = ("closed-gap", "open-gap", "pending")
EVIDENCE_STATUS_V21 = ("closed-gap", "invalid-gap", "open-gap", "pending")
HIERARCHICAL_STATUS = ("applied-superseded", "applied-not-superseded", "not-applied", "not-applicable")
CC_TYPE = ("historic", "suspected", "net-new")
CONFIDENCE_SCALE = ValueSet(VS + "confidence-scale", codes(SNOMED, "62482003", "255508009", "75540009", "260360000"))


def simple_ext(name: str, contexts: tuple[str, ...], value_type: str, *, max: int | None = None,
               binding: Binding | None = None, targets: tuple[str, ...] = (), req: str = "REQ-175",
               max_req: str = "") -> ExtensionDef:
    return ExtensionDef(url=ext(name), contexts=contexts, types=(value_type,), max=max, binding=binding,
                        targets=targets, req=req, max_req=max_req)


def extensible(vs_name: str, req: str) -> Binding:
    return Binding(VS + vs_name, "extensible", req)


def common_extensions(evidence_req: str = "REQ-162") -> list[ExtensionDef]:
    """Extensions present, with the same shape, in every version (RA-SPEC §3.9)."""
    group = ("MeasureReport.group",)
    return [
        simple_ext("evidenceStatus", group, "CodeableConcept", max=1,
                   binding=extensible("evidence-status", evidence_req), max_req="REQ-117"),
        simple_ext("evidenceStatusDate", group, "date", max=1, req="REQ-167", max_req="REQ-117"),
        simple_ext("hierarchicalStatus", group, "CodeableConcept", max=1,
                   binding=extensible("hierarchical-status", "REQ-163"), max_req="REQ-117"),
        simple_ext("clinicalDataCollectionDeadline", ("MeasureReport",), "date", max=1, req="REQ-167",
                   max_req="REQ-114"),
    ]


def category_extension() -> ExtensionDef:
    """measurereport-category (FHIR extensions pack 5.2.0): a CodeableConcept on MeasureReport."""
    return ExtensionDef(url=CATEGORY_EXT, contexts=("MeasureReport",), types=("CodeableConcept",), req="REQ-113")


def ra1(expression: str) -> Invariant:
    return Invariant("ra-1", "MeasureReport.period", expression,
                     "period start and end need at least day precision", req="REQ-107",
                     native="ra1_length" if expression == RA1_V21 else "ra1_pattern" if expression == RA1_S1 else "")


RA1_S1 = ("start.matches('^([0-9]{4})(-)(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9]).*') and "
          "end.matches('^([0-9]{4})(-)(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9]).*')")
RA1_V21 = "start.toString().length()>9 and end.toString().length()>9"


def report_core(prefix: str = "MeasureReport", *, type_code: str, type_req: str, ra1_expr: str,
                ) -> tuple[list[Element], list[Invariant]]:
    """The elements ra-measurereport and ra-datax-measurereport share (RA-SPEC §3.1, §3.7)."""
    p = prefix
    elements = [
        Element(f"{p}.status", min=1, must_support=True, req="REQ-100"),
        Element(f"{p}.type", min=1, fixed=type_code, must_support=True, req=type_req),
        Element(f"{p}.measure", min=1, target_profiles=(MODEL_MEASURE,), must_support=True, req="REQ-102"),
        Element(f"{p}.subject", min=1, max=1, targets=("Patient",), target_profiles=(US_CORE_PATIENT,),
                must_support=True, req="REQ-103"),
        Element(f"{p}.date", min=1, max=1, must_support=True, req="REQ-104"),
        Element(f"{p}.reporter", min=1, max=1, targets=("Organization",), target_profiles=(US_CORE_ORGANIZATION,),
                must_support=True, req="REQ-105"),
        Element(f"{p}.period", min=1, max=1, must_support=True, req="REQ-106"),
        Element(f"{p}.period.start", min=1, max=1, must_support=True, req="REQ-106"),
        Element(f"{p}.period.end", min=1, max=1, must_support=True, req="REQ-106"),
        Element(f"{p}.group", must_support=True),
        Element(f"{p}.group.id", min=1, max=1, must_support=True, req="REQ-108"),
        Element(f"{p}.evaluatedResource", must_support=True, req="REQ-119"),
        Element(f"{p}.evaluatedResource.extension(url={ext('groupReference')})", must_support=True, req="REQ-168"),
    ]
    group_ref = (f"evaluatedResource.extension.where(url = '{ext('groupReference')}')"
                 ".all(value.ofType(string) in %resource.group.id)")
    return elements, [ra1(ra1_expr), Invariant("REQ-120", prefix, group_ref,
                                               "each groupReference names a group id of this report", req="REQ-120",
                                               native="group_references_resolve")]


def net_new_not_open(cc_ext: str) -> Invariant:
    """REQ-121: a net-new CC is closed-gap or pending, never open-gap (code system definitions)."""
    return Invariant(
        "REQ-121", "MeasureReport.group",
        f"extension.where(url = '{ext(cc_ext)}').value.coding.where(code = 'net-new').exists() implies "
        f"extension.where(url = '{ext('evidenceStatus')}').value.coding.where(code = 'open-gap').empty()",
        "a net-new CC is never open-gap", req="REQ-121", native="net_new_not_open_" + cc_ext)


def group_code(vs_name: str) -> Element:
    return Element("MeasureReport.group.code", max=1, binding=Binding(VS + vs_name, "example"),
                   must_support=True, req="REQ-109")


def category_slice(req: str) -> list[Element]:
    """extension:measurereport-category 1..1, value.coding 1..1, coding.code fixed 'ra' (V21, S3)."""
    base = f"MeasureReport.extension(url={CATEGORY_EXT})"
    return [
        Element(base, min=1, max=1, must_support=True, req=req),
        Element(base + ".valueCodeableConcept.coding", min=1, max=1, req=req),
        Element(base + ".valueCodeableConcept.coding.code", min=1, max=1, fixed="ra", req=req),
    ]


def group_ext(name: str, *, min: int = 0, max: int | None = None, req: str) -> Element:
    return Element(f"MeasureReport.group.extension(url={ext(name)})", min=min, max=max, must_support=True, req=req)


def bundle_profile(*, req_title: str = "Risk Adjustment Coding Gap Report Bundle") -> Profile:
    """ra-measurereport-bundle: identical differential in every version (RA-SPEC §3.2)."""
    return Profile(
        url=MR_BUNDLE, type="Bundle", title=req_title,
        elements=(
            Element("Bundle.type", fixed="collection", must_support=True, req="REQ-130"),
            Element("Bundle.entry", min=1, must_support=True, req="REQ-131"),
        ),
        entries=(
            EntrySlice("ra_measurereport_entry", "MeasureReport", MR, req="REQ-133"),
            EntrySlice("ra_patient_entry", "Patient", US_CORE_PATIENT, min=1, max=1, req="REQ-132"),
        ),
        invariants=(Invariant(
            "REQ-134", "Bundle",
            "entry.resource.ofType(Patient).empty() or entry.resource.ofType(MeasureReport).subject.reference"
            ".all($this.endsWith('Patient/' + %resource.entry.resource.ofType(Patient).first().id) or "
            "$this = %resource.entry.where(resource.ofType(Patient).exists()).fullUrl.first())",
            "all reports in the Bundle are for its Patient", req="REQ-134", native="reports_for_the_patient"),),
    )


def patient_group(fixed: bool) -> Profile:
    """ra-patient-group; type/actual fixed from V2 on (RA-SPEC §3.3)."""
    return Profile(
        url=PATIENT_GROUP, type="Group", title="Patient Group",
        elements=(
            Element("Group.type", fixed="person" if fixed else None, must_support=True, req="REQ-136" if fixed else ""),
            Element("Group.actual", fixed=True if fixed else None, must_support=True, req="REQ-136" if fixed else ""),
            Element("Group.member", min=1, must_support=True, req="REQ-135"),
            Element("Group.member.entity", targets=("Patient",), target_profiles=(US_CORE_PATIENT,),
                    must_support=True, req="REQ-135"),
        ),
    )


def model_measure(*, meta_profile: bool, library: bool) -> Profile:
    """ra-model-measure (RA-SPEC §3.4)."""
    elements = [
        Element("Measure.meta", min=1, must_support=True, req="REQ-137"),
        Element("Measure.identifier", min=1, must_support=True, req="REQ-137"),
        Element("Measure.version", min=1, must_support=True, req="REQ-137"),
        Element("Measure.name", must_support=True, req="REQ-139"),
        Element("Measure.title", must_support=True, req="REQ-139"),
        Element("Measure.status", must_support=True, req="REQ-137"),
    ]
    if meta_profile:
        elements.insert(1, Element("Measure.meta.profile", min=1, must_support=True, req="REQ-138"))
    if library:
        elements.append(Element("Measure.library", must_support=True))
    return Profile(url=MODEL_MEASURE, type="Measure", title="Risk Adjustment Model Measure", elements=tuple(elements))


def us_core_patient(name_key: str) -> Profile:
    """US Core Patient essentials only (RA-SPEC §10 item 26 ⚑): mandatory elements and the name rule."""
    return Profile(
        url=US_CORE_PATIENT, type="Patient", title="US Core Patient (essentials)",
        elements=(
            Element("Patient.identifier", min=1, must_support=True, req="REQ-132"),
            Element("Patient.identifier.system", min=1, must_support=True, req="REQ-132"),
            Element("Patient.identifier.value", min=1, must_support=True, req="REQ-132"),
            Element("Patient.name", min=1, must_support=True, req="REQ-132"),
            Element("Patient.gender", min=1, must_support=True, req="REQ-132"),
            Element("Patient.birthDate", must_support=True),
        ),
        invariants=(Invariant(
            name_key, "Patient.name",
            f"family.exists() or given.exists() or extension.where(url='{DATA_ABSENT_REASON}').exists()",
            "a name has a family or given part, or a data-absent-reason extension", req="REQ-132"),),
    )


def with_remark_warning() -> Invariant:
    """⚑ RA-SPEC §3.5: the stated intent (≥1 ccRemark) as a warning-level rule."""
    return Invariant("REQ-146", "MeasureReport",
                     f"group.extension.where(url='{ext('ccRemark')}').exists()",
                     "at least one group carries a ccRemark", severity=WARNING, req="REQ-146")


def cc_remark(*, s3: bool) -> ExtensionDef:
    """ra-ccRemark, complex (RA-SPEC §3.10); V21 has qualifyingDx*, S3 has remarkType and author Reference."""
    author_types = ("Identifier", "string", "Reference") if s3 else ("Identifier", "string")
    subs = [
        SubExtension("author", author_types, targets=("Practitioner",) if s3 else ()),
        SubExtension("authorOrganization", ("Identifier", "string", "Reference"), targets=("Organization",)),
        SubExtension("authorSoftware", ("Identifier", "string")),
        SubExtension("authorDatetime", ("dateTime",)),
        SubExtension("text", ("string",), max=None),
        SubExtension("code", ("CodeableConcept",), binding=extensible("coding-gap-remark", "REQ-173")),
        SubExtension("reasonCode", ("CodeableConcept",), max=None, binding=extensible("remark-reason", "REQ-173")),
        SubExtension("relatedData", ("Identifier", "Reference"), max=None),
    ]
    if s3:
        subs.insert(0, SubExtension("remarkType", ("CodeableConcept",), binding=extensible("remark-type", "REQ-173")))
    else:
        subs += [
            SubExtension("qualifyingDxCode", ("CodeableConcept",), max=None,
                         binding=Binding(US_CORE_CONDITION_CODE, "preferred")),
            SubExtension("qualifyingDxList", ("string",), max=None),
        ]
    ra2 = Invariant("ra-2", "", "extension.where(url = 'author').exists() or extension.where(url = "
                    "'authorOrganization').exists() or extension.where(url = 'authorSoftware').exists()",
                    "a remark names at least one author", req="REQ-170")
    return ExtensionDef(url=ext("ccRemark"), contexts=("MeasureReport.group",), sub=tuple(subs),
                        invariants=(ra2,), req="REQ-171")


def v21_extensions() -> list[ExtensionDef]:
    """Extensions added in 2.1.0 and kept in the STU3 ballot (RA-SPEC §3.9)."""
    group = ("MeasureReport.group",)
    return [
        simple_ext("ccType", group, "CodeableConcept", binding=extensible("cc-type", "REQ-161"), req="REQ-161"),
        simple_ext("dxCode", group, "CodeableConcept", binding=Binding(US_CORE_CONDITION_CODE, "preferred"),
                   req="REQ-165"),
        simple_ext("confidenceScale", group, "CodeableConcept", max=1,
                   binding=extensible("confidence-scale", "REQ-164"), max_req="REQ-117"),
        simple_ext("groupReference", ("MeasureReport.evaluatedResource", "DetectedIssue"), "string", req="REQ-168"),
        simple_ext("payerCodingGapReportId", ("MeasureReport",), "id", max=1, req="REQ-169", max_req="REQ-142"),
        simple_ext("reportingVendor", ("MeasureReport",), "Reference", max=1, targets=("Organization",),
                   req="REQ-169", max_req="REQ-142"),
        category_extension(),
    ]


_DATAX_REQS = ("REQ-100", "REQ-102", "REQ-103", "REQ-104", "REQ-105", "REQ-106")


def datax_profile() -> Profile:
    """ra-datax-measurereport (V21, S3; RA-SPEC §3.7). mrp-1 is applied as the base rule."""
    elements, invariants = report_core(type_code="data-collection", type_req="REQ-141", ra1_expr=RA1_V21)
    elements = [replace(e, req="REQ-141") if e.req in _DATAX_REQS else e for e in elements]
    invariants = [replace(i, req="REQ-141") for i in invariants]
    elements += category_slice("REQ-140") + [
        Element(f"MeasureReport.extension(url={ext('payerCodingGapReportId')})", max=1, must_support=True,
                req="REQ-142"),
        Element(f"MeasureReport.extension(url={SOFTWARE_EXT})", must_support=True, req="REQ-142"),
        Element(f"MeasureReport.extension(url={ext('reportingVendor')})", max=1, must_support=True, req="REQ-142"),
        group_code("sample-cmshcc"),
    ]
    return Profile(url=DATAX, type="MeasureReport", title="Risk Adjustment Data Exchange MeasureReport",
                   elements=tuple(elements), invariants=tuple(invariants))


def patch_profile() -> Profile:
    """ra-parameters-cc-remark-patch (V21, S3; RA-SPEC §3.8); ra-3 evaluated on the string (⚑)."""
    op = "Parameters.parameter(name=operation)"
    value = f"{op}.part(name=value)"
    return Profile(
        url=PATCH, type="Parameters", title="RA Parameters ccRemark Patch Profile",
        elements=(
            Element(op, req="REQ-148"),
            Element(f"{op}.part(name=type)", min=1, max=1, req="REQ-148"),
            Element(f"{op}.part(name=type).valueCode", min=1, max=1, fixed="add", req="REQ-148"),
            Element(f"{op}.part(name=path)", min=1, max=1, req="REQ-148"),
            Element(f"{op}.part(name=path).valueString", min=1, max=1, req="REQ-149"),
            Element(f"{op}.part(name=name)", min=1, max=1, req="REQ-148"),
            Element(f"{op}.part(name=name).valueString", min=1, max=1, fixed="extension", req="REQ-148"),
            Element(value, min=1, max=1, req="REQ-148"),
            Element(f"{value}.part", min=1, req="REQ-150"),
            Element(f"{value}.part(name=url)", min=1, max=1, req="REQ-150"),
            Element(f"{value}.part(name=url).valueUri", min=1, max=1, fixed=ext("ccRemark"), req="REQ-150"),
            Element(f"{value}.part(name=extension)", min=1, max=1, req="REQ-150"),
            Element(f"{value}.part(name=extension).part", min=1, req="REQ-150"),
        ),
        invariants=(Invariant("ra-3", f"{op}.part(name=path)",
                              "valueString.all($this.startsWith('MeasureReport.group.where(id='))",
                              "the path addresses one group by id", req="REQ-149"),),
    )
