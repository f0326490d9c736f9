"""The STU1 variant of the kit: derived by transformation, accepted by the STU1 validator, same answers."""

from __future__ import annotations

import copy

from ra_conformance.dates import period_overlaps, window
from ra_conformance.ig.stu1.kit_shape import to_stu1
from ra_conformance.kit.versions import adapt_store, variant
from ra_conformance.validation.engine import validator_for

SD = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/"


def _issues(resources, version):
    v = validator_for(version)
    return [f"{r['resourceType']}/{r['id']} {i.location}: {i.rule} {i.message}" for r in resources for i in v.validate(r)
            if i.severity != "information"]  # base R4 notes on codes outside extensible/preferred value sets


def test_stu1_variant_passes_the_stu1_validator(kit_resources):
    assert _issues(variant(kit_resources, "stu1"), "stu1") == []


def test_untransformed_kit_fails_stu1_so_the_transformation_matters(kit_resources):
    assert _issues(kit_resources, "stu1")


def test_later_versions_use_the_kit_unchanged(kit_resources):
    assert variant(kit_resources, "2.1.0") == kit_resources == variant(kit_resources, "stu3-ballot")


def test_stu1_shape_of_a_report(kit_resources):
    mr = next(r for r in kit_resources if r["id"] == "rac-mr-p01-v28")
    before = copy.deepcopy(mr)
    s1 = to_stu1(mr)
    assert mr == before, "the input is not modified"
    text = str(s1)
    assert "measurereport-category" not in text and "ra-ccType" not in text and "ra-dxCode" not in text
    assert "ra-confidenceScale" not in text
    codes = [e["valueCodeableConcept"]["coding"][0] for g in s1["group"] for e in g["extension"]
             if e["url"] == SD + "ra-suspectType"]
    assert [c["code"] for c in codes] == ["historic", "net-new", "suspected", "historic"]
    assert {c["system"] for c in codes} == {"http://hl7.org/fhir/us/davinci-ra/CodeSystem/suspect-type"}
    assert all(len(er["extension"]) == 1 for er in s1["evaluatedResource"])
    assert [er["reference"] for er in s1["evaluatedResource"]] == [er["reference"] for er in mr["evaluatedResource"]]
    assert {k: s1[k] for k in ("id", "period", "subject", "measure")} == {k: mr[k] for k in ("id", "period", "subject", "measure")}


def test_stu1_keeps_one_group_reference():
    mr = {"resourceType": "MeasureReport", "id": "x", "evaluatedResource": [{"reference": "Condition/c", "extension": [
        {"url": SD + "ra-groupReference", "valueString": "g1"}, {"url": SD + "ra-groupReference", "valueString": "g2"}]}]}
    assert to_stu1(mr)["evaluatedResource"][0]["extension"] == [{"url": SD + "ra-groupReference", "valueString": "g1"}]


def test_adapt_store_rewrites_the_reports_once(kit_store, expectations):
    store = kit_store("stu1")
    assert adapt_store(store, "stu1") == 0  # already the variant: idempotent
    reports = store.coding_gap_reports()
    assert len(reports) == len(expectations.reports) and all("ra-suspectType" in str(r) for r in reports)


def test_the_kit_answers_hold_for_the_stu1_variant(expectations, kit_store):
    """Reports are still found as coding-gap reports (by profile), with the same periods."""
    store = kit_store("stu1")
    for sid, scenario in expectations.scenarios.items():
        for patient, refs in scenario.returns.items():
            win = window(scenario.period_start, scenario.period_end)
            got = sorted(f"MeasureReport/{r['id']}" for r in store.coding_gap_reports(patient)
                         if period_overlaps(r["period"], win))
            assert got == sorted(refs), sid
