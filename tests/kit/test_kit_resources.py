"""Every kit file is a valid R4 resource of the shape the issue asks for."""

from __future__ import annotations

import copy
from collections import Counter

import pytest

from ra_conformance import jsonio

from .kit_checks import (
    RA_SD,
    file_problems,
    identity_problems,
    is_other_report,
    is_ra_report,
    key,
    r4_model_problems,
    report_problems,
)


def test_every_file_is_json_named_after_its_resource(kit_dir):
    assert list((kit_dir / "resources").glob("*.json"))
    assert file_problems(kit_dir) == []


def test_file_check_catches_bad_files(tmp_path):
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "Patient-rac-x.json").write_bytes(jsonio.dumps({"resourceType": "Patient", "id": "y"}))
    (tmp_path / "resources" / "Patient-rac-z.json").write_bytes(b"{not json")
    assert len(file_problems(tmp_path)) == 2


def test_every_resource_loads_as_an_r4b_model(resources):
    assert r4_model_problems(resources) == []


@pytest.mark.parametrize("breakage", [
    lambda r: r.update(period="2024"),
    lambda r: r.update(unknownElement=True),
    lambda r: r.update(resourceType="NoSuchType"),
])
def test_r4b_check_catches_a_broken_resource(resources, breakage):
    mr = copy.deepcopy(next(r for r in resources if r["resourceType"] == "MeasureReport"))
    breakage(mr)
    assert r4_model_problems([mr])


def test_every_resource_is_prefixed_and_profiled(resources):
    assert identity_problems(resources) == []


def test_identity_check_catches_a_foreign_id(resources):
    bad = copy.deepcopy(resources[0])
    bad["id"] = "example"
    del bad["meta"]
    assert len(identity_problems([bad])) == 2


def test_every_report_follows_ra_measurereport(resources):
    problems = [p for r in resources if is_ra_report(r) for p in report_problems(r)]
    assert problems == []


def test_the_kit_holds_reports_that_are_not_ra_for_patients_the_scenarios_ask_about(resources, expectations):
    """Non-RA MeasureReports (quality measures) for RA patients and periods: category/_profile filters and the
    `$report` family can never pass vacuously (issue 16)."""
    others = [r for r in resources if is_other_report(r)]
    assert others and all(key(r) in expectations.other_reports for r in others)
    subjects = {r["subject"]["reference"] for r in others}
    asked = {p for sc in expectations.scenarios.values() for p, reports in sc.returns.items() if reports}
    assert subjects & asked
    assert not any(r.get("extension") for r in others)  # no measurereport-category at all


def _ext(element, name):
    return next(e for e in element["extension"] if e["url"] == RA_SD + name)


BREAKAGES = {
    "no category": lambda mr: mr.update(extension=mr["extension"][1:]),
    "summary type": lambda mr: mr.update(type="summary"),
    "year-precision period": lambda mr: mr["period"].update(start="2024"),
    "no ccType": lambda mr: mr["group"][0].update(extension=mr["group"][0]["extension"][1:]),
    "invalid-gap": lambda mr: _ext(mr["group"][0], "ra-evidenceStatus")["valueCodeableConcept"]["coding"][0]
    .update(code="invalid-gap"),
    "net-new open-gap": lambda mr: (
        _ext(mr["group"][0], "ra-ccType")["valueCodeableConcept"]["coding"][0].update(code="net-new"),
        _ext(mr["group"][0], "ra-evidenceStatus")["valueCodeableConcept"]["coding"][0].update(code="open-gap")),
    "dangling groupReference": lambda mr: mr["evaluatedResource"][0]["extension"][0].update(valueString="nope"),
    "two groupReferences": lambda mr: mr["evaluatedResource"][0]["extension"].append(
        mr["evaluatedResource"][0]["extension"][0]),
    "duplicate group ids": lambda mr: mr["group"].append(mr["group"][0]),
    "group-subject": lambda mr: mr.update(subject={"reference": "Group/rac-group-a"}),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_report_check_catches(resources, name):
    mr = copy.deepcopy(next(r for r in resources if key(r) == "MeasureReport/rac-mr-p01-v24"))
    assert report_problems(mr) == []
    BREAKAGES[name](mr)
    assert report_problems(mr), name


def _codes(resources, ext_name):
    return {e["valueCodeableConcept"]["coding"][0]["code"]
            for r in resources if is_ra_report(r)
            for g in r["group"] for e in g["extension"] if e["url"] == RA_SD + ext_name}


def test_kit_holds_what_the_issue_asks_for(resources):
    by_type = Counter(r["resourceType"] for r in resources)
    reports = [r for r in resources if is_ra_report(r)]
    assert by_type["Patient"] >= 6 and by_type["Group"] >= 2 and len(reports) >= 10
    assert {"Condition", "Encounter", "Observation", "DocumentReference", "Organization", "Practitioner"} <= set(by_type)
    assert len({r["measure"] for r in reports}) >= 2
    patients_with_reports = {r["subject"]["reference"] for r in reports}
    assert any(key(p) not in patients_with_reports for p in resources if p["resourceType"] == "Patient")
    assert _codes(resources, "ra-ccType") == {"historic", "suspected", "net-new"}
    assert _codes(resources, "ra-evidenceStatus") == {"closed-gap", "open-gap", "pending"}
    assert _codes(resources, "ra-hierarchicalStatus") == {
        "applied-superseded", "applied-not-superseded", "not-applied", "not-applicable"}
    assert _codes(resources, "ra-dxCode") and _codes(resources, "ra-confidenceScale")


def test_measures_and_groups_follow_their_profiles(resources):
    for m in (r for r in resources if r["resourceType"] == "Measure"):
        assert m["meta"]["profile"] == [RA_SD + "ra-model-measure"]  # STU1 requires meta.profile (REQ-138)
        assert m["identifier"] and m["version"] and m["name"] and m["title"] and m["url"]
        assert m["status"] == "active"
    for g in (r for r in resources if r["resourceType"] == "Group"):
        assert g["meta"]["profile"] == [RA_SD + "ra-patient-group"]
        assert (g["type"], g["actual"]) == ("person", True)  # REQ-136
        assert g["member"] and all(m["entity"]["reference"].startswith("Patient/") for m in g["member"])
