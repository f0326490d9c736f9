"""Our own small valid RA resources (not copies of IG files) for the validator's mutant tests."""

from __future__ import annotations

import copy
from typing import Any

SD = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/"
CS = "http://hl7.org/fhir/us/davinci-ra/CodeSystem/"
CATEGORY = "http://hl7.org/fhir/StructureDefinition/measurereport-category"
US_CORE_PATIENT = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"


def cc(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def ext(name: str, **value: Any) -> dict[str, Any]:
    return {"url": SD + "ra-" + name, **value}


def _report_base(profile: str, groups: list[dict[str, Any]], extensions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "MeasureReport",
        "id": "mr-t1",
        "meta": {"profile": [SD + profile]},
        "extension": extensions,
        "status": "complete",
        "type": "individual",
        "measure": "http://example.org/fhir/Measure/model-a",
        "subject": {"reference": "Patient/pat-t1"},
        "date": "2024-02-01",
        "reporter": {"reference": "Organization/payer-t1"},
        "period": {"start": "2023-01-01", "end": "2023-12-31"},
        "group": groups,
        "evaluatedResource": [
            {"reference": "Condition/cond-t1", "extension": [ext("groupReference", valueString="g1")]},
        ],
    }


def _v21_group(gid: str, cc_type: str, status: str) -> dict[str, Any]:
    return {
        "id": gid,
        "extension": [
            ext("ccType", valueCodeableConcept=cc(CS + "cc-type", cc_type)),
            ext("evidenceStatus", valueCodeableConcept=cc(CS + "evidence-status", status)),
            ext("evidenceStatusDate", valueDate="2023-11-02"),
            ext("hierarchicalStatus", valueCodeableConcept=cc(CS + "hierarchical-status", "not-applied")),
        ],
        "code": cc("http://terminology.hl7.org/CodeSystem/cmshcc", "22"),
    }


def report_v21() -> dict[str, Any]:
    """A valid 2.1.0 ra-measurereport with two CCs."""
    return _report_base("ra-measurereport",
                        [_v21_group("g1", "historic", "closed-gap"), _v21_group("g2", "suspected", "open-gap")],
                        [{"url": CATEGORY, "valueCodeableConcept": cc(
                            "http://hl7.org/fhir/CodeSystem/measurereport-category", "ra")},
                         ext("clinicalDataCollectionDeadline", valueDate="2024-03-31")])


def report_s1() -> dict[str, Any]:
    """A valid STU1 ra-measurereport (suspectType; only the deadline extension on the report)."""
    group = {
        "id": "g1",
        "extension": [
            ext("suspectType", valueCodeableConcept=cc(CS + "suspect-type", "historic")),
            ext("evidenceStatus", valueCodeableConcept=cc(CS + "evidence-status", "pending")),
        ],
    }
    return _report_base("ra-measurereport", [group], [ext("clinicalDataCollectionDeadline", valueDate="2024-03-31")])


def remark(**subs: Any) -> dict[str, Any]:
    return ext("ccRemark", extension=[{"url": k, **v} for k, v in subs.items()])


def report_with_remark_s3() -> dict[str, Any]:
    """A valid STU3-ballot ra-measurereport-with-remark (author + text remark on g1)."""
    report = report_v21()
    report["meta"]["profile"] = [SD + "ra-measurereport-with-remark"]
    report["group"][0]["extension"].append(remark(author={"valueString": "Dr. A"}, text={"valueString": "seen"}))
    return report


def patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient", "id": "pat-t1", "meta": {"profile": [US_CORE_PATIENT]},
        "identifier": [{"system": "http://example.org/mrn", "value": "123"}],
        "name": [{"family": "Tester", "given": ["Tea"]}], "gender": "female", "birthDate": "1970-05-06",
    }


def answer_bundle(report: dict[str, Any] | None = None) -> dict[str, Any]:
    """A $report-style answer: collection of one report + its Patient."""
    mr = copy.deepcopy(report or report_v21())
    mr.pop("meta")
    pat = patient()
    pat.pop("meta")
    return {"resourceType": "Bundle", "id": "b-t1", "type": "collection", "entry": [
        {"fullUrl": "http://example.org/fhir/MeasureReport/mr-t1", "resource": mr},
        {"fullUrl": "http://example.org/fhir/Patient/pat-t1", "resource": pat},
    ]}


def patient_group() -> dict[str, Any]:
    return {"resourceType": "Group", "id": "grp-t1", "meta": {"profile": [SD + "ra-patient-group"]},
            "type": "person", "actual": True, "member": [{"entity": {"reference": "Patient/pat-t1"}}]}


def model_measure() -> dict[str, Any]:
    return {"resourceType": "Measure", "id": "model-a", "meta": {"profile": [SD + "ra-model-measure"]},
            "identifier": [{"system": "http://example.org/models", "value": "CMS-HCC"}], "version": "24",
            "name": "ModelA", "title": "Model A", "status": "active"}


def datax_report() -> dict[str, Any]:
    report = report_v21()
    report["meta"]["profile"] = [SD + "ra-datax-measurereport"]
    report["type"] = "data-collection"
    del report["group"]
    report["extension"] = report["extension"][:1] + [ext("payerCodingGapReportId", valueId="mr-t1")]
    report["evaluatedResource"] = [{"reference": "DocumentReference/doc-t1"}]
    return report


def patch_parameters() -> dict[str, Any]:
    return {"resourceType": "Parameters", "id": "patch-t1", "meta": {"profile": [SD + "ra-parameters-cc-remark-patch"]},
            "parameter": [{"name": "operation", "part": [
                {"name": "type", "valueCode": "add"},
                {"name": "path", "valueString": "MeasureReport.group.where(id='g1')"},
                {"name": "name", "valueString": "extension"},
                {"name": "value", "part": [
                    {"name": "url", "valueUri": SD + "ra-ccRemark"},
                    {"name": "extension", "part": [{"name": "url", "valueUri": "text"},
                                                   {"name": "valueString", "valueString": "note"}]},
                ]},
            ]}]}
