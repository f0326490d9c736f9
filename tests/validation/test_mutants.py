"""Mutants of our own small valid resources: each breaks exactly one rule and must yield exactly the
expected issue (severity, rule, location) and nothing else; harmless variants must yield no error."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from ra_conformance.validation import validator_for

from .validation_samples import (
    CATEGORY,
    CS,
    SD,
    answer_bundle,
    cc,
    datax_report,
    ext,
    model_measure,
    patch_parameters,
    patient,
    patient_group,
    remark,
    report_s1,
    report_v21,
    report_with_remark_s3,
)

Mutation = Callable[[dict[str, Any]], None]
V21, S1, S3 = "2.1.0", "stu1", "stu3-ballot"
MR = "MeasureReport"
G0 = "MeasureReport.group[0]"


def _set(**changes: Any) -> Mutation:
    def mutate(res: dict[str, Any]) -> None:
        res.update(changes)
    return mutate


def _drop(*keys: str) -> Mutation:
    def mutate(res: dict[str, Any]) -> None:
        for key in keys:
            res.pop(key)
    return mutate


def _do(fn: Callable[[dict[str, Any]], Any]) -> Mutation:
    """A mutation written as an expression (its value is ignored)."""
    return fn


def _g0_ext(res: dict[str, Any]) -> list[dict[str, Any]]:
    return res["group"][0]["extension"]


def _unknown_extensions(res: dict[str, Any]) -> None:
    res["extension"].append({"url": "http://example.org/ext/a", "valueString": "x"})
    _g0_ext(res).append({"url": "http://example.org/ext/b", "valueInteger": 3})


def _reverse_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _reverse_keys(node[k]) for k in reversed(list(node))}
    if isinstance(node, list):
        return [_reverse_keys(v) for v in node]
    return node


# id, version, base, mutation, expected (severity, rule, location)
Expected = tuple[str, str, str]
MUTANTS: list[tuple[str, str, Callable[[], dict[str, Any]], Mutation, Expected | list[Expected]]] = [
    # required elements / cardinality tightenings (REQ-100..REQ-108)
    ("status-missing", V21, report_v21, _drop("status"), ("error", "REQ-100", "MeasureReport.status")),
    ("subject-missing", V21, report_v21, _drop("subject"), ("error", "REQ-103", "MeasureReport.subject")),
    ("date-missing", V21, report_v21, _drop("date"), ("error", "REQ-104", "MeasureReport.date")),
    ("reporter-missing", V21, report_v21, _drop("reporter"), ("error", "REQ-105", "MeasureReport.reporter")),
    ("period-start-missing", V21, report_v21, _do(lambda r: r["period"].pop("start")),
     ("error", "REQ-106", "MeasureReport.period.start")),
    ("period-end-missing", S1, report_s1, _do(lambda r: r["period"].pop("end")),
     ("error", "REQ-106", "MeasureReport.period.end")),
    ("group-id-missing", V21, report_v21, _do(lambda r: r["group"][1].pop("id")),
     ("error", "REQ-108", "MeasureReport.group[1].id")),
    # fixed values
    ("type-not-individual", V21, report_v21, _set(type="summary"), ("error", "REQ-101", "MeasureReport.type")),
    ("category-code-wrong", V21, report_v21,
     _do(lambda r: r["extension"][0]["valueCodeableConcept"]["coding"][0].update(code="hedis")),
     ("error", "REQ-113", "MeasureReport.extension[0].valueCodeableConcept.coding[0].code")),
    ("category-missing", V21, report_v21, _do(lambda r: r["extension"].pop(0)),
     ("error", "REQ-113", "MeasureReport.extension")),
    ("group-type-not-person", V21, patient_group, _set(type="device"), ("error", "REQ-136", "Group.type")),
    # members on a Group that is not actual also break base R4 grp-1: the one mutant with two issues
    ("group-actual-false", V21, patient_group, _set(actual=False),
     [("error", "grp-1", "Group"), ("error", "REQ-136", "Group.actual")]),
    ("bundle-type-not-collection", V21, answer_bundle, _set(type="searchset"),
     ("error", "REQ-130", "Bundle.type")),
    ("datax-type-individual", V21, datax_report, _set(type="individual"), ("error", "REQ-141", "MeasureReport.type")),
    ("patch-type-not-add", V21, patch_parameters,
     _do(lambda r: r["parameter"][0]["part"][0].update(valueCode="replace")),
     ("error", "REQ-148", "Parameters.parameter[0].part[0].valueCode")),
    ("patch-url-not-ccremark", S3, patch_parameters,
     _do(lambda r: r["parameter"][0]["part"][3]["part"][0].update(valueUri=SD + "ra-dxCode")),
     ("error", "REQ-150", "Parameters.parameter[0].part[3].part[0].valueUri")),
    # extension slices: cardinality
    ("cctype-missing", V21, report_v21, _do(lambda r: _g0_ext(r).pop(0)), ("error", "REQ-116", f"{G0}.extension")),
    ("cctype-twice", S3, report_v21, _do(lambda r: _g0_ext(r).append(copy.deepcopy(_g0_ext(r)[0]))),
     ("error", "REQ-116", f"{G0}.extension")),
    ("evidence-status-twice", V21, report_v21, _do(lambda r: _g0_ext(r).append(copy.deepcopy(_g0_ext(r)[1]))),
     ("error", "REQ-117", f"{G0}.extension")),
    ("s1-suspecttype-twice", S1, report_s1, _do(lambda r: _g0_ext(r).append(copy.deepcopy(_g0_ext(r)[0]))),
     ("error", "REQ-112", f"{G0}.extension")),
    ("s1-groupreference-twice", S1, report_s1,
     _do(lambda r: r["evaluatedResource"][0]["extension"].append(ext("groupReference", valueString="g1"))),
     ("error", "REQ-168", "MeasureReport.evaluatedResource[0].extension")),
    ("s1-extension-not-deadline", S1, report_s1,
     _set(extension=[{"url": CATEGORY, "valueCodeableConcept": cc("http://x.org/c", "ra")}]),
     ("error", "REQ-111", "MeasureReport.extension[0]")),
    # extension values: type, binding, context
    ("evidence-date-wrong-type", V21, report_v21, _do(lambda r: _g0_ext(r).__setitem__(
        2, ext("evidenceStatusDate", valueString="2023-11-02"))),
     ("error", "REQ-167", f"{G0}.extension[2].valueString")),
    ("qualifying-dx-wrong-type", S3, report_v21, _do(lambda r: _g0_ext(r).append(
        ext("qualifyingDxCode", valueString="E11.9"))), ("error", "REQ-166", f"{G0}.extension[4].valueString")),
    ("cctype-code-undefined", V21, report_v21, _do(lambda r: _g0_ext(r)[0]["valueCodeableConcept"]["coding"][0]
                                                  .update(code="maybe")),
     ("error", "REQ-177", f"{G0}.extension[0].valueCodeableConcept.coding[0].code")),
    ("evidence-status-other-system", V21, report_v21, _do(lambda r: _g0_ext(r)[1].update(
        valueCodeableConcept=cc("http://example.org/status", "closed"))),
     ("warning", "REQ-162", f"{G0}.extension[1].valueCodeableConcept")),
    ("s1-invalid-gap-undefined", S1, report_s1, _do(lambda r: _g0_ext(r)[1]["valueCodeableConcept"]["coding"][0]
                                                   .update(code="invalid-gap")),
     ("error", "REQ-177", f"{G0}.extension[1].valueCodeableConcept.coding[0].code")),
    ("deadline-on-group", V21, report_v21, _do(lambda r: _g0_ext(r).append(
        ext("clinicalDataCollectionDeadline", valueDate="2024-01-01"))),
     ("error", "REQ-176", f"{G0}.extension[4]")),
    ("vendor-not-organization", V21, datax_report, _do(lambda r: r["extension"].append(
        ext("reportingVendor", valueReference={"reference": "Patient/pat-t1"}))),
     ("error", "REQ-169", "MeasureReport.extension[2].valueReference.reference")),
    ("contextid-not-in-v21", V21, report_v21, _do(lambda r: r["extension"].append(ext("contextId", valueId="c1"))),
     ("warning", "REQ-125", "MeasureReport.extension[2]")),
    ("unprofiled-group-extension", V21, report_v21, _do(lambda r: _g0_ext(r).append(
        {"url": "http://example.org/ext/x", "valueString": "y"})), ("warning", "REQ-125", f"{G0}.extension[4]")),
    ("simple-ext-subextensions", V21, report_v21, _do(lambda r: _g0_ext(r).__setitem__(
        3, ext("hierarchicalStatus", extension=[{"url": "x", "valueString": "y"}]))),
     ("error", "REQ-175", f"{G0}.extension[3]")),
    # ccRemark (ra-2, sub-extensions)
    ("remark-without-author", V21, report_v21, _do(lambda r: _g0_ext(r).append(remark(text={"valueString": "t"}))),
     ("error", "ra-2", f"{G0}.extension[4]")),
    ("remark-unknown-sub", V21, report_v21, _do(lambda r: _g0_ext(r).append(
        remark(author={"valueString": "a"}, mood={"valueString": "ok"}))),
     ("error", "REQ-171", f"{G0}.extension[4].extension[1]")),
    ("remark-remarktype-in-v21", V21, report_v21, _do(lambda r: _g0_ext(r).append(
        remark(author={"valueString": "a"}, remarkType={"valueCodeableConcept": cc(CS + "ra-temp", "evidence-note")}))),
     ("error", "REQ-171", f"{G0}.extension[4].extension[1]")),
    ("remark-author-boolean", V21, report_v21, _do(lambda r: _g0_ext(r).append(remark(author={"valueBoolean": True}))),
     ("error", "REQ-174", f"{G0}.extension[4].extension[0].valueBoolean")),
    ("remark-two-datetimes", S3, report_with_remark_s3, _do(lambda r: _g0_ext(r)[4]["extension"].extend(
        [{"url": "authorDatetime", "valueDateTime": "2024-01-01"}] * 2)), ("error", "REQ-172", f"{G0}.extension[4]")),
    ("s3-no-remark-warning", S3, report_with_remark_s3, _do(lambda r: _g0_ext(r).pop(4)),
     ("warning", "REQ-146", "MeasureReport")),
    # invariants
    ("ra-1-month-precision", V21, report_v21, _do(lambda r: r["period"].update(start="2023-01")),
     ("error", "ra-1", "MeasureReport.period")),
    ("ra-1-year-precision-s1", S1, report_s1, _do(lambda r: r["period"].update(end="2023")),
     ("error", "ra-1", "MeasureReport.period")),
    ("groupreference-dangling", V21, report_v21,
     _do(lambda r: r["evaluatedResource"][0]["extension"][0].update(valueString="g9")),
     ("error", "REQ-120", "MeasureReport")),
    ("net-new-open-gap", V21, report_v21, _do(lambda r: r["group"][1]["extension"][0].update(
        valueCodeableConcept=cc(CS + "cc-type", "net-new"))), ("error", "REQ-121", "MeasureReport.group[1]")),
    ("datax-with-group", V21, datax_report, _set(group=[{"id": "g1", "code": cc("http://x.org/hcc", "22")}]),
     ("error", "mrp-1", "MeasureReport")),
    ("patch-path-not-group", V21, patch_parameters,
     _do(lambda r: r["parameter"][0]["part"][1].update(valueString="Patient.name")),
     ("error", "ra-3", "Parameters.parameter[0].part[1]")),
    ("ext-1-value-and-children", V21, report_v21, _do(lambda r: r["extension"].append(
        {"url": "http://example.org/x", "valueString": "a", "extension": [{"url": "y", "valueString": "b"}]})),
     ("error", "ext-1", "MeasureReport.extension[2]")),
    ("bundle-duplicate-fullurl", V21, answer_bundle, _do(lambda r: r["entry"][1].update(
        fullUrl=r["entry"][0]["fullUrl"])), ("error", "bdl-7", "Bundle")),
    ("us-core-name-empty", V21, patient, _set(name=[{"text": "Tea Tester"}]),
     ("error", "us-core-6", "Patient.name[0]")),
    # reference target types
    ("subject-is-group", V21, report_v21, _set(subject={"reference": "Group/grp-t1"}),
     ("error", "REQ-103", "MeasureReport.subject.reference")),
    ("reporter-is-practitioner", V21, report_v21, _set(reporter={"reference": "Practitioner/p1"}),
     ("error", "REQ-105", "MeasureReport.reporter.reference")),
    ("member-not-patient", V21, patient_group, _set(member=[{"entity": {"reference": "Practitioner/p1"}}]),
     ("error", "REQ-135", "Group.member[0].entity.reference")),
    ("subject-base-target", V21, patient, _set(generalPractitioner=[{"reference": "Patient/p2"}]),
     ("error", "struct-ref-target", "Patient.generalPractitioner[0].reference")),
    ("reference-malformed", V21, report_v21, _set(reporter={"reference": "the payer"}),
     ("warning", "struct-reference", "MeasureReport.reporter.reference")),
    ("local-reference-unresolved", V21, report_v21, _set(subject={"reference": "#pat"}),
     ("error", "ref-1", "MeasureReport.subject.reference")),
    # other profiles
    ("group-no-member", V21, patient_group, _drop("member"), ("error", "REQ-135", "Group.member")),
    ("measure-no-version", V21, model_measure, _drop("version"), ("error", "REQ-137", "Measure.version")),
    ("s1-measure-no-meta-profile", S1, model_measure, _set(meta={"versionId": "1"}),
     ("error", "REQ-138", "Measure.meta.profile")),
    ("patient-no-identifier", V21, patient, _drop("identifier"), ("error", "REQ-132", "Patient.identifier")),
    ("patient-no-gender", S1, patient, _drop("gender"), ("error", "REQ-132", "Patient.gender")),
    # answer bundle slices (validated with validate_answer_bundle)
    ("bundle-no-patient", V21, answer_bundle, _do(lambda r: r["entry"].pop(1)), ("error", "REQ-132", "Bundle.entry")),
    ("bundle-report-other-patient", V21, answer_bundle, _do(lambda r: r["entry"][0]["resource"].update(
        subject={"reference": "Patient/someone-else"})), ("error", "REQ-134", "Bundle")),
    ("bundle-report-no-date", V21, answer_bundle, _do(lambda r: r["entry"][0]["resource"].pop("date")),
     ("error", "REQ-104", "Bundle.entry[0].resource.date")),
    # base structure: primitives, unknown elements, empties, nulls, required bindings
    ("unknown-element", V21, report_v21, _set(score=3), ("error", "struct-unknown-element", "MeasureReport.score")),
    ("empty-string", V21, report_v21, _do(lambda r: r["group"][0]["code"]["coding"][0].update(code="")),
     ("error", "struct-empty", f"{G0}.code.coding[0].code")),
    ("empty-array", V21, report_v21, _set(identifier=[]), ("error", "struct-empty", "MeasureReport.identifier")),
    ("null-value", V21, report_v21, _do(lambda r: r["group"][0]["code"]["coding"][0].update(display=None)),
     ("error", "struct-null", f"{G0}.code.coding[0].display")),
    ("empty-object", V21, report_v21, _do(lambda r: r["group"][0].update(code={})), ("error", "ele-1", f"{G0}.code")),
    ("status-not-in-required-vs", V21, report_v21, _set(status="final"),
     ("error", "struct-binding", "MeasureReport.status")),
    ("date-bad-month", V21, report_v21, _set(date="2024-13-01"), ("error", "struct-format", "MeasureReport.date")),
    ("date-not-in-calendar", V21, report_v21, _do(lambda r: r["period"].update(start="2023-02-30")),
     ("error", "struct-format", "MeasureReport.period.start")),
    ("instant-without-time", V21, report_v21, _set(meta={"lastUpdated": "2024-01-01",
                                                          "profile": [SD + "ra-measurereport"]}),
     ("error", "struct-format", "MeasureReport.meta.lastUpdated")),
    ("uri-with-space", V21, report_v21, _set(measure="http://example.org/a b"),
     ("error", "struct-format", "MeasureReport.measure")),
    ("code-with-leading-space", V21, patient, _set(gender=" female"), ("error", "struct-format", "Patient.gender")),
    ("id-bad-characters", V21, report_v21, _set(id="mr t1"), ("error", "struct-format", "MeasureReport.id")),
    ("boolean-as-string", V21, patient, _set(active="true"), ("error", "struct-format", "Patient.active")),
    ("integer-as-string", V21, patient, _set(multipleBirthInteger="2"),
     ("error", "struct-format", "Patient.multipleBirthInteger")),
    ("array-for-single", V21, report_v21, _set(date=["2024-02-01"]), ("error", "struct-max", "MeasureReport.date")),
    ("object-not-array", V21, report_v21, _set(identifier={"value": "x"}),
     ("error", "struct-type", "MeasureReport.identifier")),
    ("choice-twice", V21, patient, _set(deceasedBoolean=False, deceasedDateTime="2020-01-01"),
     ("error", "struct-choice", "Patient.deceased[x]")),
    ("extension-without-url", V21, report_v21, _do(lambda r: r["extension"].append({"valueString": "x"})),
     ("error", "struct-cardinality", "MeasureReport.extension[2].url")),
]

ANSWER_BUNDLE_CASES = {"bundle-no-patient", "bundle-report-other-patient", "bundle-report-no-date",
                       "bundle-type-not-collection", "bundle-duplicate-fullurl"}


EXPLICIT_PROFILE = {"s1-measure-no-meta-profile": SD + "ra-model-measure"}


def _issues(case_id: str, version: str, resource: dict[str, Any]) -> list[tuple[str, str, str]]:
    validator = validator_for(version)
    found = (validator.validate_answer_bundle(resource) if case_id in ANSWER_BUNDLE_CASES
             else validator.validate(resource, EXPLICIT_PROFILE.get(case_id)))
    return [(i.severity, i.rule, i.location) for i in found]


def test_there_are_at_least_40_mutants_with_distinct_ids():
    ids = [m[0] for m in MUTANTS]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("case_id, version, base, mutate, expected", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_yields_exactly_the_expected_issue(case_id, version, base, mutate, expected):
    original = base()
    assert _issues(case_id, version, original) == [], "the unmutated base must be clean"
    mutant = copy.deepcopy(original)
    mutate(mutant)
    assert mutant != original, "the mutation changed nothing"
    assert _issues(case_id, version, mutant) == (expected if isinstance(expected, list) else [expected])


HARMLESS: list[tuple[str, str, Callable[[], dict[str, Any]], Mutation]] = [
    ("period-as-datetimes", V21, report_v21, _do(lambda r: r["period"].update(
        start="2023-01-01T00:00:00Z", end="2023-12-31T23:59:59+01:00"))),
    ("period-as-datetimes-s1", S1, report_s1, _do(lambda r: r["period"].update(start="2023-01-01T08:00:00-05:00"))),
    ("unknown-extra-extensions", V21, report_v21, _unknown_extensions),
    ("optional-elements-absent", V21, report_v21, _do(lambda r: (
        r.pop("evaluatedResource"), r["extension"].pop(1), r["group"][0].pop("code"),
        r["group"][0].__setitem__("extension", r["group"][0]["extension"][:1])))),
    ("no-groups", V21, report_v21, _do(lambda r: (r.pop("group"), r.pop("evaluatedResource")))),
    ("keys-reordered", V21, report_v21, lambda r: r.update(_reverse_keys(copy.deepcopy(r)))),
    ("keys-reordered-bundle", V21, answer_bundle, lambda r: r.update(_reverse_keys(copy.deepcopy(r)))),
    ("versioned-profile", V21, report_v21, _do(lambda r: r["meta"].update(profile=[SD + "ra-measurereport|2.1.0"]))),
    ("primitive-extension", V21, report_v21, _set(_date={"extension": [
        {"url": "http://example.org/ext/source", "valueString": "batch"}]})),
    ("contained-reference", V21, report_v21, _set(
        contained=[{"resourceType": "Organization", "id": "org1", "name": "Payer"}],
        reporter={"reference": "#org1"})),
    ("remark-with-org-reference", S3, report_with_remark_s3, _do(lambda r: _g0_ext(r)[4]["extension"].append(
        {"url": "authorOrganization", "valueReference": {"reference": "Organization/payer-t1"}}))),
    ("net-new-closed-gap", V21, report_v21, _do(lambda r: _g0_ext(r)[0].update(
        valueCodeableConcept=cc(CS + "cc-type", "net-new")))),
]


@pytest.mark.parametrize("case_id, version, base, mutate", HARMLESS, ids=[h[0] for h in HARMLESS])
def test_harmless_variant_yields_no_error(case_id, version, base, mutate):
    variant = base()
    mutate(variant)
    errors = [i for i in validator_for(version).validate(variant) if i.severity == "error"]
    assert errors == []
