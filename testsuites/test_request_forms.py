"""Request forms: the operation answers GET and POST alike."""

import pytest

from ra_conformance.checks import answer as checks
from ra_conformance.checks import forms

from .scenarios import ANSWERED_WITH_BUNDLES, NEEDS_KIT, OPERATION, PATIENTS_WITH_REPORTS

pytestmark = [OPERATION, NEEDS_KIT]

REFERENCE_SCENARIO = PATIENTS_WITH_REPORTS[0]


@pytest.mark.req("REQ-012", "REQ-011")
def test_req_012_get_form_is_accepted(ra, verdict):
    """GET [base]/MeasureReport/$op?subject=…&periodStart=…&periodEnd=… answers with Parameters."""
    answer = ra.answer(ra.kit.scenario(REFERENCE_SCENARIO), "GET")
    verdict.add(forms.accepted(answer, "REQ-012"))


@pytest.mark.req("REQ-013", "REQ-011")
def test_req_013_post_form_is_accepted(ra, verdict):
    """POST [base]/MeasureReport/$op with a Parameters body answers with Parameters."""
    answer = ra.answer(ra.kit.scenario(REFERENCE_SCENARIO), "POST")
    verdict.add(forms.accepted(answer, "REQ-013"))


@pytest.mark.req("REQ-013", "REQ-012")
@pytest.mark.parametrize("scenario_id", ANSWERED_WITH_BUNDLES)
def test_req_013_get_and_post_give_the_same_answer(ra, verdict, scenario_id):
    """GET and POST of the same request give the same patients, reports, evidence and outcomes."""
    scenario = ra.kit.scenario(scenario_id)
    verdict.add(forms.same_answer(ra.answer(scenario, "GET"), ra.answer(scenario, "POST")))
    verdict.add(checks.is_parameters(ra.answer(scenario, "POST")))
