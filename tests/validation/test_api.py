"""The public API others code against: validate / validate_answer_bundle / must_support / check_incoming /
to_operation_outcome."""

from __future__ import annotations

import copy

from ra_conformance.validation import Issue, check_incoming, to_operation_outcome, validator_for

from .validation_samples import SD, answer_bundle, ext, report_s1, report_v21


def test_validator_for_is_cached_per_version():
    assert validator_for("2.1.0") is validator_for("2.1.0")
    assert validator_for("stu1") is not validator_for("2.1.0")


def test_bundle_issues_name_the_inner_resource_and_its_full_location():
    bundle = answer_bundle()
    del bundle["entry"][0]["resource"]["period"]["start"]
    issues = validator_for("2.1.0").validate_answer_bundle(bundle)
    assert issues == [Issue("error", "Bundle.entry[0].resource.period.start", "REQ-106",
                            issues[0].message, "MeasureReport/mr-t1")]


def test_plain_validate_of_a_bundle_without_profiles_checks_base_structure_only():
    bundle = answer_bundle()
    del bundle["entry"][0]["resource"]["date"]
    assert validator_for("2.1.0").validate(bundle) == []
    bundle["entry"][0]["resource"]["status"] = "done"
    assert [i.rule for i in validator_for("2.1.0").validate(bundle)] == ["struct-binding"]


def test_resource_without_id_is_labelled_by_its_place():
    report = report_v21()
    del report["id"]
    report["date"] = "yesterday"
    issues = validator_for("2.1.0").validate(report, ordinal=3)
    assert [i.resource for i in issues] == ["MeasureReport[#3]"]


def test_explicit_profile_applies_without_meta_profile():
    report = report_v21()
    del report["meta"]
    del report["reporter"]
    assert validator_for("2.1.0").validate(report) == []
    assert [i.rule for i in validator_for("2.1.0").validate(report, SD + "ra-measurereport")] == ["REQ-105"]


def test_unknown_or_mismatched_profiles_are_reported():
    report = report_v21()
    assert [i.rule for i in validator_for("2.1.0").validate(report, SD + "nope")] == ["profile-unknown"]
    assert [i.rule for i in validator_for("2.1.0").validate(report, SD + "ra-patient-group")] == ["profile-type"]
    report["meta"]["profile"] = [SD + "ra-measurereport-with-remark"]  # S3-only profile under 2.1.0
    assert [(i.severity, i.rule) for i in validator_for("2.1.0").validate(report)] == [("warning", "profile-unknown")]


def test_must_support_coverage_table():
    with_deadline = report_v21()
    without = copy.deepcopy(with_deadline)
    without["extension"] = without["extension"][:1]
    table = validator_for("2.1.0").must_support([with_deadline, without])
    row = table[SD + "ra-measurereport"]
    assert row["MeasureReport.period.start"] is True
    assert row[f"MeasureReport.extension(url={SD}ra-clinicalDataCollectionDeadline)"] is True
    assert row[f"MeasureReport.group.extension(url={SD}ra-ccRemark)"] is False
    only_without = validator_for("2.1.0").must_support([without])[SD + "ra-measurereport"]
    assert only_without[f"MeasureReport.extension(url={SD}ra-clinicalDataCollectionDeadline)"] is False


def test_must_support_follows_the_answer_bundle_slices():
    bundle = answer_bundle()
    bundle["meta"] = {"profile": [SD + "ra-measurereport-bundle"]}
    table = validator_for("2.1.0").must_support([bundle])
    assert table[SD + "ra-measurereport-bundle"]["Bundle.entry:ra_patient_entry"] is True
    assert table[SD + "ra-measurereport"]["MeasureReport.date"] is True
    assert "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient" in table


def test_answer_bundle_reports_may_reference_the_patient_by_full_url():
    bundle = answer_bundle()
    bundle["entry"][1]["fullUrl"] = "urn:uuid:3c1e1d7e-1f49-4e0a-9a55-2b8a5cf0c001"
    bundle["entry"][0]["resource"]["subject"] = {"reference": bundle["entry"][1]["fullUrl"]}
    assert validator_for("2.1.0").validate_answer_bundle(bundle) == []
    bundle["entry"][0]["resource"]["subject"] = {"reference": "urn:uuid:3c1e1d7e-1f49-4e0a-9a55-2b8a5cf0c002"}
    assert [i.rule for i in validator_for("2.1.0").validate_answer_bundle(bundle)] == ["REQ-134"]


def test_check_incoming_keeps_base_errors_and_profile_errors_of_ra_profiled_resources_only():
    unprofiled = report_v21()
    del unprofiled["meta"]
    del unprofiled["date"]
    assert check_incoming(unprofiled) == []
    unprofiled["bogus"] = 1
    assert [i.rule for i in check_incoming(unprofiled)] == ["struct-unknown-element"]
    profiled = report_v21()
    del profiled["date"]
    profiled["group"][0]["extension"][1]["valueCodeableConcept"]["coding"][0]["system"] = "http://x.org"  # warning
    assert [(i.severity, i.rule) for i in check_incoming(profiled)] == [("error", "REQ-104")]


def test_check_incoming_judges_transaction_entries():
    report = report_v21()
    report["group"][0]["extension"].append(ext("evidenceStatusDate", valueDate="2023-01-01"))
    tx = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:6f1c8c1e-1b1a-4c55-9b0e-000000000001", "resource": report,
         "request": {"method": "POST", "url": "MeasureReport"}}]}
    assert [(i.rule, i.resource) for i in check_incoming(tx, "2.1.0")] == [("REQ-117", "MeasureReport/mr-t1")]


def test_operation_outcome_shape_and_validity():
    issues = validator_for("2.1.0").validate(dict(report_v21(), status="final"))
    outcome = to_operation_outcome(issues)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "error"
    assert outcome["issue"][0]["expression"] == ["MeasureReport.status"]
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "struct-binding"
    assert validator_for("2.1.0").validate(outcome) == []
    empty = to_operation_outcome([])
    assert empty["issue"][0]["severity"] == "information" and validator_for("2.1.0").validate(empty) == []


def test_operation_outcome_round_trip():
    from ra_conformance.validation.outcome import from_operation_outcome

    issues = validator_for("2.1.0").validate(dict(report_v21(), status="final"))
    assert from_operation_outcome(to_operation_outcome(issues), "MeasureReport/mr-t1") == issues
    server = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "processing",
                                                               "diagnostics": "unknown subject"}]}
    assert [(i.rule, i.message) for i in from_operation_outcome(server)] == [("processing", "unknown subject")]
    odd = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "expression": {"a": 1}, "location": "x"}]}
    assert [i.location for i in from_operation_outcome(odd)] == [""]  # not a list: no location, never a KeyError


def test_describe_names_resource_location_and_rule():
    from ra_conformance.validation.outcome import describe

    issues = validator_for("2.1.0").validate(dict(report_v21(), type="summary"))
    assert describe(issues).startswith("error: MeasureReport/mr-t1 MeasureReport.type [REQ-101] ")


def test_answer_parameters_apply_the_bundle_profile_to_each_return_bundle():
    bundle = answer_bundle(report_s1())
    del bundle["entry"][1]  # no Patient entry
    answer = {"resourceType": "Parameters", "parameter": [{"name": "return", "resource": bundle}]}
    assert validator_for("stu1").validate(answer) == []
    issues = validator_for("stu1").validate_answer_bundle(answer)
    assert [(i.rule, i.location) for i in issues] == [("REQ-132", "Parameters.parameter[0].resource.entry")]
