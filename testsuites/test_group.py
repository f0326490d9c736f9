"""Group: `subject=Group/g` answers per member."""

import pytest

from ra_conformance.checks import answer as checks

from .scenarios import GROUPS_WITH_MEMBERS, NEEDS_KIT, OPERATION

pytestmark = [OPERATION, NEEDS_KIT, pytest.mark.parametrize("scenario_id", GROUPS_WITH_MEMBERS)]


@pytest.mark.req("REQ-036", "REQ-020")
def test_req_036_one_return_per_valid_member(ra, verdict, scenario_id):
    """A group with N valid members yields N `return` Bundles, one distinct patient each."""
    scenario = ra.kit.scenario(scenario_id)
    verdict.add(checks.returns_match_patients(ra.answer(scenario), scenario))


@pytest.mark.req("REQ-035")
def test_req_035_one_outcome_per_unknown_member(ra, verdict, scenario_id):
    """Each member that does not exist gets its own `outcome` naming it; valid members get none."""
    scenario = ra.kit.scenario(scenario_id)
    verdict.add(checks.outcomes_match(ra.answer(scenario), scenario))


@pytest.mark.req("REQ-023")
def test_req_023_each_member_gets_its_overlapping_reports(ra, verdict, scenario_id):
    """Each member's Bundle holds every report of that member overlapping the window."""
    scenario = ra.kit.scenario(scenario_id)
    verdict.add(checks.expected_reports_present(ra.answer(scenario), scenario))


@pytest.mark.req("REQ-025", "REQ-026")
def test_req_025_members_get_no_other_reports(ra, verdict, scenario_id):
    """No member's Bundle holds a report outside the window or of another patient."""
    scenario = ra.kit.scenario(scenario_id)
    answer = ra.answer(scenario)
    verdict.add(checks.no_unexpected_reports(answer, scenario))
    verdict.add(checks.reports_overlap_window(answer, scenario))


@pytest.mark.req("REQ-037")
def test_req_037_member_without_matches_gets_patient_only_bundle(ra, verdict, scenario_id):
    """A valid member without matching reports still gets a Patient-only Bundle."""
    scenario = ra.kit.scenario(scenario_id)
    if not any(not reports for reports in scenario.returns.values()):
        pytest.skip(f"the kit's {scenario_id} scenario has no member without matching reports")
    verdict.add(checks.returns_match_patients(ra.answer(scenario), scenario))
    verdict.add(checks.patient_only_bundle(ra.answer(scenario), scenario))
