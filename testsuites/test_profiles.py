"""Profiles: every resource in every answer conforms to its RA / US Core profile (REQ-029, REQ-021, REQ-133)."""

import pytest

from ra_conformance.checks import profiles

from .scenarios import ANSWERED_WITH_BUNDLES, NEEDS_KIT, OPERATION

pytestmark = [OPERATION, NEEDS_KIT]


@pytest.mark.req("REQ-029", "REQ-021", "REQ-133")
@pytest.mark.parametrize("scenario_id", ANSWERED_WITH_BUNDLES)
def test_req_029_returned_resources_conform_to_profiles(ra, verdict, scenario_id):
    """Each `return` Bundle conforms to ra-measurereport-bundle, its reports to ra-measurereport, its Patient to US Core."""
    if ra.validator is None:
        pytest.skip("the RA profile validator is not available in this installation")
    verdict.add(profiles.answer_conforms(ra.validator, ra.answer(ra.kit.scenario(scenario_id))))


@pytest.mark.req("REQ-029", "REQ-024")
def test_req_029_overlap_answers_conform_to_profiles(ra, verdict):
    """Every Bundle returned for the overlap matrix conforms to the RA profiles."""
    if ra.validator is None:
        pytest.skip("the RA profile validator is not available in this installation")
    for case in ra.kit.overlap_cases:
        verdict.add(profiles.answer_conforms(ra.validator, ra.answer(case)))
