"""Profiles: every resource in every answer conforms to its RA / US Core profile.

Judged on every retrieval flow the run exercises (`ra.retrieved`: MeasureReport search, the `$report` family),
so a search-only 2.1.0 server gets every profile rule too (SHALL items always run)."""

from typing import Any

import pytest

from ra_conformance.checks import answer as checks
from ra_conformance.checks import profiles
from ra_conformance.ig import Requirement, profile_rules

from .scenarios import ANSWERED_WITH_BUNDLES, NEEDS_KIT, OPERATION

pytestmark = NEEDS_KIT


@pytest.mark.req("REQ-029", "REQ-021", "REQ-133")
@pytest.mark.parametrize("scenario_id", ANSWERED_WITH_BUNDLES)
def test_req_029_returned_resources_conform_to_profiles(ra, verdict, validator, scenario_id):
    """Each `return` Bundle conforms to ra-measurereport-bundle (each searched report to ra-measurereport), its
    reports to ra-measurereport, its Patient to US Core."""
    for answer in ra.retrieved(ra.kit.scenario(scenario_id)):
        verdict.add(profiles.answer_conforms(validator, answer))


@pytest.mark.req("REQ-029", "REQ-024")
def test_req_029_overlap_answers_conform_to_profiles(ra, verdict, validator):
    """Every Bundle returned for the overlap matrix conforms to the RA profiles."""
    for case in ra.kit.overlap_cases:
        for answer in ra.retrieved(case):
            verdict.add(profiles.answer_conforms(validator, answer))


def _rule_param(rule: Requirement) -> Any:
    marks = [pytest.mark.req(rule.id), pytest.mark.ig_versions(*rule.versions)]
    if rule.needs_operation:  # rules of the `$report` Bundle itself: only that flow has one
        marks.append(OPERATION)
    return pytest.param(rule, marks=marks, id=f"{rule.id}-{rule.profile_rule}")


@pytest.mark.parametrize("rule", [_rule_param(rule) for rule in profile_rules()])
def test_req_1xx_returned_resources_meet_profile_rule(ra, verdict, validator, rule):
    """The resources of every answer meet the profile rule of the requirement named in the test id."""
    cases = [ra.kit.scenario(s) for s in ANSWERED_WITH_BUNDLES] + list(ra.kit.overlap_cases)
    answers = [a for case in cases for a in ra.retrieved(case)]
    verdict.add(profiles.rule_findings(validator, answers, rule.id, rule.aliases))


@pytest.mark.req("REQ-124")
@pytest.mark.parametrize("scenario_id", ANSWERED_WITH_BUNDLES)
def test_req_124_one_report_per_patient_per_risk_model(ra, verdict, scenario_id):
    """A patient's Bundle holds at most one report per version-specific risk model (Measure)."""
    for answer in ra.retrieved(ra.kit.scenario(scenario_id)):
        verdict.add(checks.one_report_per_model(answer))


@pytest.mark.req("REQ-119")
@pytest.mark.parametrize("scenario_id", ANSWERED_WITH_BUNDLES)
def test_req_119_cited_evidence_is_valid_and_us_core(ra, verdict, validator, scenario_id):
    """Evidence cited by evaluatedResource is valid R4 and claims its US Core profile where one applies."""
    for answer in ra.retrieved(ra.kit.scenario(scenario_id)):
        verdict.add(profiles.evidence_conforms(validator, answer))
