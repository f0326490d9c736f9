"""Single patient: `subject=Patient/x` returns that patient's overlapping reports."""

import pytest

from ra_conformance.checks import answer as checks

from .scenarios import NEEDS_KIT, OPERATION, PATIENT_SCENARIOS, PATIENTS_WITHOUT_MATCHES

pytestmark = [OPERATION, NEEDS_KIT]


@pytest.mark.req("REQ-020")
@pytest.mark.parametrize("scenario_id", PATIENT_SCENARIOS)
def test_req_020_one_return_bundle_for_the_patient(ra, verdict, scenario_id):
    """A valid patient yields exactly one `return` Bundle, for that patient."""
    scenario = ra.kit.scenario(scenario_id)
    verdict.add(checks.returns_match_patients(ra.answer(scenario), scenario))


@pytest.mark.req("REQ-023")
@pytest.mark.parametrize("scenario_id", PATIENT_SCENARIOS)
def test_req_023_every_overlapping_report_is_returned(ra, verdict, scenario_id):
    """The Bundle holds every coding-gap report of the patient whose period overlaps the window."""
    scenario = ra.kit.scenario(scenario_id)
    verdict.add(checks.expected_reports_present(ra.answer(scenario), scenario))


@pytest.mark.req("REQ-025")
@pytest.mark.parametrize("scenario_id", PATIENT_SCENARIOS)
def test_req_025_no_report_outside_the_window(ra, verdict, scenario_id):
    """No report is returned whose period does not overlap the window."""
    scenario = ra.kit.scenario(scenario_id)
    answer = ra.answer(scenario)
    verdict.add(checks.no_unexpected_reports(answer, scenario))
    verdict.add(checks.reports_overlap_window(answer, scenario))


@pytest.mark.req("REQ-030")
@pytest.mark.parametrize("scenario_id", PATIENTS_WITHOUT_MATCHES)
def test_req_030_patient_without_matches_gets_patient_only_bundle(ra, verdict, scenario_id):
    """A valid patient without matching reports gets a Bundle holding only the Patient."""
    scenario = ra.kit.scenario(scenario_id)
    verdict.add(checks.patient_only_bundle(ra.answer(scenario), scenario))


@pytest.mark.req("REQ-031")
@pytest.mark.parametrize("scenario_id", PATIENT_SCENARIOS)
def test_req_031_valid_patient_gets_no_operation_outcome(ra, verdict, scenario_id):
    """A valid patient's answer carries no `outcome`, even when no report matches."""
    scenario = ra.kit.scenario(scenario_id)
    verdict.add(checks.outcomes_match(ra.answer(scenario), scenario))
