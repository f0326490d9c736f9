"""Profiles: every resource in every answer conforms to its RA / US Core profile (REQ-029, REQ-021, REQ-133, REQ-100…REQ-177)."""

import pytest

from ra_conformance.checks import answer as checks
from ra_conformance.checks import profiles

from .profile_rules import PROFILE_RULES, RULE_ALIASES
from .scenarios import ANSWERED_WITH_BUNDLES, NEEDS_KIT, OPERATION

pytestmark = [OPERATION, NEEDS_KIT]


def _validator(ra):
    if ra.validator is None:
        pytest.skip("the RA profile validator is not available in this installation")
    return ra.validator


@pytest.mark.req("REQ-029", "REQ-021", "REQ-133")
@pytest.mark.parametrize("scenario_id", ANSWERED_WITH_BUNDLES)
def test_req_029_returned_resources_conform_to_profiles(ra, verdict, scenario_id):
    """Each `return` Bundle conforms to ra-measurereport-bundle, its reports to ra-measurereport, its Patient to US Core."""
    verdict.add(profiles.answer_conforms(_validator(ra), ra.answer(ra.kit.scenario(scenario_id))))


@pytest.mark.req("REQ-029", "REQ-024")
def test_req_029_overlap_answers_conform_to_profiles(ra, verdict):
    """Every Bundle returned for the overlap matrix conforms to the RA profiles."""
    validator = _validator(ra)
    for case in ra.kit.overlap_cases:
        verdict.add(profiles.answer_conforms(validator, ra.answer(case)))


@pytest.mark.parametrize(
    "req,versions",
    [pytest.param(req, versions, marks=pytest.mark.req(req), id=f"{req}-{slug}") for req, slug, versions in PROFILE_RULES],
)
def test_req_1xx_returned_resources_meet_profile_rule(ra, verdict, req, versions):
    """The resources of every answer meet the profile rule of the requirement named in the test id."""
    if ra.ig_version not in versions:
        pytest.skip(f"{req} applies to IG {', '.join(versions)} only (this run: {ra.ig_version})")
    validator = _validator(ra)
    answers = [ra.answer(ra.kit.scenario(s)) for s in ANSWERED_WITH_BUNDLES] + [ra.answer(c) for c in ra.kit.overlap_cases]
    verdict.add(profiles.rule_findings(validator, answers, req, RULE_ALIASES.get(req, ())))


@pytest.mark.req("REQ-124")
@pytest.mark.parametrize("scenario_id", ANSWERED_WITH_BUNDLES)
def test_req_124_one_report_per_patient_per_risk_model(ra, verdict, scenario_id):
    """A patient's Bundle holds at most one report per version-specific risk model (Measure)."""
    verdict.add(checks.one_report_per_model(ra.answer(ra.kit.scenario(scenario_id))))


@pytest.mark.req("REQ-119")
@pytest.mark.parametrize("scenario_id", ANSWERED_WITH_BUNDLES)
def test_req_119_cited_evidence_is_valid_and_us_core(ra, verdict, scenario_id):
    """Evidence cited by evaluatedResource is valid R4 and claims its US Core profile where one applies."""
    verdict.add(profiles.evidence_conforms(_validator(ra), ra.answer(ra.kit.scenario(scenario_id))))
