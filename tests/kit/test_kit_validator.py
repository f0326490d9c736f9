"""The kit passes ra-conform's own validator for IG 2.1.0 and the 3.0.0 ballot; under STU1 only the
2.1.0-only features show (what the later STU1 variant of the kit must transform away)."""

from __future__ import annotations

import copy

import pytest

from ra_conformance.validation.engine import validator_for

from .kit_checks import key

# 2.1.0 features STU1 lacks: the category extension (REQ-111) and ccType/dxCode/confidenceScale (REQ-125).
STU1_EXPECTED_RULES = {"REQ-111", "REQ-125"}


def _issues(resources, version):
    v = validator_for(version)
    return [f"{r['resourceType']}/{r['id']} {i.location}: {i.rule} {i.message}" for r in resources
            for i in v.validate(r) if i.severity != "information"]  # e.g. a payer's own Coverage.type code


@pytest.mark.parametrize("version", ["2.1.0", "stu3-ballot"])
def test_kit_is_valid_for(resources, version):
    assert _issues(resources, version) == []


def test_under_stu1_only_the_v21_features_are_flagged(resources):
    v = validator_for("stu1")
    rules = {i.rule for r in resources for i in v.validate(r) if i.severity != "information"}
    assert rules == STU1_EXPECTED_RULES


def test_validator_check_can_fail(resources):
    mr = copy.deepcopy(next(r for r in resources if key(r) == "MeasureReport/rac-mr-p01-v24"))
    mr["group"][0]["extension"] = mr["group"][0]["extension"][1:]  # drop the 1..1 ccType
    assert _issues([mr], "2.1.0")
