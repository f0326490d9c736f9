"""Invalid subjects: unknown patient, unknown group, group without valid members."""

import pytest

from ra_conformance.checks import answer as checks

from .scenarios import GROUP_NO_VALID_MEMBER, NEEDS_KIT, OPERATION, UNKNOWN_GROUP, UNKNOWN_PATIENT

pytestmark = [OPERATION, NEEDS_KIT]


@pytest.mark.req("REQ-032")
def test_req_032_unknown_patient_gets_outcome_naming_it(ra, verdict):
    """An unknown Patient subject is answered with an `outcome` OperationOutcome naming Patient/<id>."""
    scenario = ra.kit.scenario(UNKNOWN_PATIENT)
    verdict.add(checks.unknown_subject_outcome(ra.answer(scenario), scenario))


@pytest.mark.req("REQ-033")
def test_req_033_unknown_group_gets_outcome_naming_it(ra, verdict):
    """An unknown Group subject is answered with an `outcome` OperationOutcome naming Group/<id>."""
    scenario = ra.kit.scenario(UNKNOWN_GROUP)
    verdict.add(checks.unknown_subject_outcome(ra.answer(scenario), scenario))


@pytest.mark.req("REQ-034")
def test_req_034_group_without_valid_member_gets_outcome_naming_it(ra, verdict):
    """A group none of whose members exists is answered with one `outcome` naming the Group."""
    scenario = ra.kit.scenario(GROUP_NO_VALID_MEMBER)
    verdict.add(checks.unknown_subject_outcome(ra.answer(scenario), scenario))


@pytest.mark.req("REQ-032", "REQ-033", "REQ-034")
@pytest.mark.parametrize("scenario_id", (UNKNOWN_PATIENT, UNKNOWN_GROUP, GROUP_NO_VALID_MEMBER))
def test_req_032_invalid_subject_gets_no_bundle(ra, verdict, scenario_id):
    """An invalid subject gets no `return` Bundle (an empty Bundle is not an answer)."""
    scenario = ra.kit.scenario(scenario_id)
    verdict.add(checks.returns_match_patients(ra.answer(scenario), scenario))
