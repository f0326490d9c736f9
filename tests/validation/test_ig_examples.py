"""Every IG example validates with no error against its declared profile, except the examples RA-SPEC
lists as invalid (§8, §10), whose exact issues are asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ra_conformance.validation import validator_for

from .validation_ig import FOLDERS

_GROUPREF = "REQ-168"
# version -> file -> the exact errors (rule, location) RA-SPEC predicts
EXPECTED_ERRORS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "stu1": {
        # §8.1 / §10 item 8: S1 groupReference extension root max 1, examples carry two.
        "MeasureReport-ra-measurereport01.json": [
            (_GROUPREF, "MeasureReport.evaluatedResource[11].extension"),
            (_GROUPREF, "MeasureReport.evaluatedResource[12].extension")],
        "MeasureReport-ra-measurereport02.json": [
            (_GROUPREF, "MeasureReport.evaluatedResource[9].extension"),
            (_GROUPREF, "MeasureReport.evaluatedResource[10].extension")],
        "Bundle-ra-bundle01.json": [
            (_GROUPREF, "Bundle.entry[0].resource.evaluatedResource[11].extension"),
            (_GROUPREF, "Bundle.entry[0].resource.evaluatedResource[12].extension")],
        # §10 item 10: dangling groupReference 'group-20210714' (plus the item 8 defect of its MR01 copy).
        "Parameters-single-report-ra-model-example01.json": [
            ("REQ-120", "Parameters.parameter[0].resource.entry[0].resource"),
            (_GROUPREF, "Parameters.parameter[0].resource.entry[0].resource.evaluatedResource[11].extension"),
            (_GROUPREF, "Parameters.parameter[0].resource.entry[0].resource.evaluatedResource[12].extension")],
    },
    # §8.3 / §10 item 28: Narrative without div (R4 Narrative.div 1..1).
    "2.1.0": {"DocumentReference-ra-documentreference01pat01.json": [
        ("struct-cardinality", "DocumentReference.text.div")]},
    "stu3-ballot": {"DocumentReference-ra-documentreference01pat01.json": [
        ("struct-cardinality", "DocumentReference.text.div")]},
}


def _examples(shared_ig: Path, version: str) -> list[Path]:
    return sorted((shared_ig / FOLDERS[version] / "examples").glob("*.json"))


@pytest.mark.parametrize("version", list(FOLDERS))
def test_examples_validate_except_the_known_invalid_ones(shared_ig, version):
    validator = validator_for(version)
    files = _examples(shared_ig, version)
    assert files, "no examples found"
    unexpected = {}
    accepted = 0
    for path in files:
        resource = json.loads(path.read_text(encoding="utf-8"), strict=False)
        errors = [(i.rule, i.location) for i in validator.validate(resource) if i.severity == "error"]
        expected = EXPECTED_ERRORS[version].get(path.name, [])
        if errors != expected:
            unexpected[path.name] = errors
        accepted += not errors
    assert unexpected == {}
    assert accepted == len(files) - len(EXPECTED_ERRORS[version])


@pytest.mark.parametrize("version", list(FOLDERS))
def test_every_listed_exception_exists(shared_ig, version):
    names = {p.name for p in _examples(shared_ig, version)}
    assert set(EXPECTED_ERRORS[version]) <= names


def test_the_answer_bundle_example_passes_as_an_answer_bundle(shared_ig):
    bundle = json.loads((shared_ig / "v2.1.0" / "examples" / "Bundle-ra-bundle01.json").read_text())
    assert [i for i in validator_for("2.1.0").validate_answer_bundle(bundle) if i.severity == "error"] == []
