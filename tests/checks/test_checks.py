"""Every check of ra_conformance.checks passes on a correct answer and fails on the defect it exists to catch."""

import pytest

from ra_conformance.checks import answer as checks
from ra_conformance.checks import forms, http
from ra_conformance.issues import ERROR, WARNING
from ra_conformance.kit import Scenario

from ..fhir.helpers import answer, bundle, outcome, parameters, patient, report, response

EV = "Condition/c1"
SCENARIO = Scenario("s", "t", "Patient/a", "2024-01-01", "2024-12-31", returns={"Patient/a": ["MeasureReport/r1"]})
EMPTY = Scenario("e", "t", "Patient/a", "2024-01-01", "2024-12-31", returns={"Patient/a": []})
UNKNOWN = Scenario("u", "t", "Patient/zz", "2024-01-01", "2024-12-31", outcomes=["Patient/zz"])
COND = {"resourceType": "Condition", "id": "c1"}


def good():
    return answer(parameters(("return", bundle(patient("a"), report("r1", "a", evidence=(EV,)), COND))))


def severities(findings):
    return {f.severity for f in findings}


CASES = [
    # (check, scenario or None, defective answer, expected REQ)
    (checks.is_parameters, None, answer({"resourceType": "Bundle"}), "REQ-019"),
    (checks.parameter_shapes, None, answer(parameters(("result", bundle(patient("a"))))), "REQ-041"),
    (checks.returns_match_patients, SCENARIO, answer(parameters()), "REQ-020"),
    (checks.returns_match_patients, SCENARIO, answer(parameters(("return", bundle(patient("a"))), ("return", bundle(patient("a"))))), "REQ-036"),
    (checks.bundle_is_collection, None, answer(parameters(("return", bundle(patient("a"), type_="searchset")))), "REQ-130"),
    (checks.bundle_has_one_patient, None, answer(parameters(("return", bundle(report("r1", "a"))))), "REQ-132"),
    (checks.patient_is_subject, SCENARIO, answer(parameters(("return", bundle(patient("b"))))), "REQ-022"),
    (checks.expected_reports_present, SCENARIO, answer(parameters(("return", bundle(patient("a"))))), "REQ-023"),
    (checks.no_unexpected_reports, SCENARIO, answer(parameters(("return", bundle(patient("a"), report("r1", "a"), report("r9", "a"))))), "REQ-025"),
    (checks.reports_overlap_window, SCENARIO, answer(parameters(("return", bundle(patient("a"), report("r1", "a", "2020-01-01", "2020-12-31"))))), "REQ-025"),
    (checks.reports_overlap_window, SCENARIO, answer(parameters(("return", bundle(patient("a"), report("r1", "a", "2020", "garbage"))))), "REQ-106"),
    (checks.reports_belong_to_patient, None, answer(parameters(("return", bundle(patient("a"), report("r1", "b"))))), "REQ-026"),
    (checks.cited_resources_present, None, answer(parameters(("return", bundle(patient("a"), report("r1", "a", evidence=(EV,)))))), "REQ-027"),
    (checks.entries_unique, None, answer(parameters(("return", bundle(patient("a"), report("r1", "a", evidence=(EV,)), COND, COND)))), "REQ-028"),
    (checks.patient_only_bundle, EMPTY, answer(parameters(("return", bundle(patient("a"), COND)))), "REQ-030"),
    (checks.outcomes_match, SCENARIO, answer(parameters(("return", bundle(patient("a"))), ("outcome", outcome("fine")))), "REQ-031"),
    (checks.outcomes_match, UNKNOWN, answer(parameters(("outcome", outcome("something else")))), "REQ-032"),
    (checks.unknown_subject_outcome, UNKNOWN, answer(parameters(("return", bundle())),), "REQ-032"),
    (checks.unknown_subject_outcome, UNKNOWN, answer(outcome("nothing useful"), 404), "REQ-032"),
]


@pytest.mark.parametrize("check,scenario,defective,req", CASES, ids=[f"{c[0].__name__}-{c[3]}" for c in CASES])
def test_check_fails_on_its_defect_and_passes_on_a_good_answer(check, scenario, defective, req):
    args = (scenario,) if scenario is not None else ()
    bad = check(defective, *args)
    assert any(f.severity == ERROR and req in f.reqs for f in bad), bad
    good_scenario = scenario if scenario not in (EMPTY, UNKNOWN) else None
    if scenario is EMPTY:
        ok = check(answer(parameters(("return", bundle(patient("a"))))), EMPTY)
    elif scenario is UNKNOWN:
        ok = check(answer(parameters(("outcome", outcome("Patient/zz was not found")))), UNKNOWN)
    else:
        ok = check(good(), *((good_scenario,) if good_scenario else ()))
    assert ok == [], ok


def test_bare_404_naming_the_subject_is_only_a_warning():
    findings = checks.unknown_subject_outcome(answer(outcome("Patient/zz not found"), 404), UNKNOWN)
    assert severities(findings) == {WARNING}


def test_http_200_is_a_should():
    assert severities(checks.http_200(answer(parameters(), 201))) == {WARNING}


def test_content_type_checks():
    assert http.fhir_json_content_type(response({}, content_type="application/fhir+json; charset=utf-8")) == []
    assert severities(http.fhir_json_content_type(response({}, content_type="application/fhir+json"))) == {WARNING}
    assert severities(http.fhir_json_content_type(response({}, content_type="application/json"))) == {WARNING}
    assert severities(http.fhir_json_content_type(response({}, content_type="text/html"))) == {ERROR}


@pytest.mark.parametrize(
    "status,body,ok",
    [(400, outcome("bad"), True), (422, outcome("bad"), True), (400, {"resourceType": "Bundle"}, False), (500, outcome("x"), False), (200, parameters(), False), (400, b"oops", False)],
)
def test_rejected_with_outcome(status, body, ok):
    assert (http.rejected_with_outcome(response(body, status), "REQ-017") == []) is ok


def test_get_and_post_comparison():
    assert forms.same_answer(good(), good()) == []
    other = answer(parameters(("return", bundle(patient("a")))))
    assert forms.same_answer(good(), other)[0].severity == ERROR
