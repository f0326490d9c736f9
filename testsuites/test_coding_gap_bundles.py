"""Coding-gap Bundles: the shape of every answer that carries patients' Bundles."""

import pytest

from ra_conformance.checks import answer as checks
from ra_conformance.checks import http

from .scenarios import ANSWERED_WITH_BUNDLES, NEEDS_KIT, OPERATION

pytestmark = [OPERATION, NEEDS_KIT, pytest.mark.parametrize("scenario_id", ANSWERED_WITH_BUNDLES)]


@pytest.mark.req("REQ-019")
def test_req_019_answer_is_one_parameters_resource(ra, verdict, scenario_id):
    """The answer is a single Parameters resource, for a patient or a group."""
    verdict.add(checks.is_parameters(ra.answer(ra.kit.scenario(scenario_id))))


@pytest.mark.req("REQ-041")
def test_req_041_parameters_are_return_and_outcome_only(ra, verdict, scenario_id):
    """Parameters hold only `return` (a Bundle) and `outcome` (an OperationOutcome) parameters."""
    verdict.add(checks.parameter_shapes(ra.answer(ra.kit.scenario(scenario_id))))


@pytest.mark.req("REQ-042")
def test_req_042_parameters_answer_has_http_200(ra, verdict, scenario_id):
    """A Parameters answer comes with HTTP 200 (SHOULD)."""
    verdict.add(checks.http_200(ra.answer(ra.kit.scenario(scenario_id))))


@pytest.mark.req("REQ-009")
def test_req_009_answer_served_as_fhir_json(ra, verdict, scenario_id):
    """The answer is served as application/fhir+json."""
    verdict.add(http.fhir_json_content_type(ra.answer(ra.kit.scenario(scenario_id)).response))


@pytest.mark.req("REQ-130", "REQ-021")
def test_req_130_bundle_type_is_collection(ra, verdict, scenario_id):
    """Every `return` Bundle has type collection."""
    verdict.add(checks.bundle_is_collection(ra.answer(ra.kit.scenario(scenario_id))))


@pytest.mark.req("REQ-132", "REQ-021")
def test_req_132_bundle_holds_exactly_one_patient(ra, verdict, scenario_id):
    """Every `return` Bundle holds exactly one Patient entry."""
    verdict.add(checks.bundle_has_one_patient(ra.answer(ra.kit.scenario(scenario_id))))


@pytest.mark.req("REQ-022")
def test_req_022_patient_entry_is_the_subject(ra, verdict, scenario_id):
    """The Patient entry is the subject patient, or the group member the Bundle is for."""
    scenario = ra.kit.scenario(scenario_id)
    verdict.add(checks.patient_is_subject(ra.answer(scenario), scenario))


@pytest.mark.req("REQ-026", "REQ-134")
def test_req_026_reports_belong_to_the_bundles_patient(ra, verdict, scenario_id):
    """Reports of other patients are never placed in a patient's Bundle."""
    verdict.add(checks.reports_belong_to_patient(ra.answer(ra.kit.scenario(scenario_id))))


@pytest.mark.req("REQ-027")
def test_req_027_every_cited_resource_is_in_the_bundle(ra, verdict, scenario_id):
    """Every resource cited by evaluatedResource of an included report is in the Bundle."""
    verdict.add(checks.cited_resources_present(ra.answer(ra.kit.scenario(scenario_id))))


@pytest.mark.req("REQ-028")
def test_req_028_no_entry_appears_twice(ra, verdict, scenario_id):
    """No resource appears twice in a Bundle; evidence shared by several reports appears once."""
    verdict.add(checks.entries_unique(ra.answer(ra.kit.scenario(scenario_id))))
