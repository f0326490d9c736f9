"""expectations.json conforms to fixtures/expectations.schema.json."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from ra_conformance import jsonio


@pytest.fixture(scope="module")
def validator(kit_dir):
    schema = jsonio.loads((kit_dir / "expectations.schema.json").read_bytes())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_expectations_match_the_schema(validator, expectations):
    assert [e.message for e in validator.iter_errors(expectations.raw)] == []


BREAKAGES = {
    "required scenario missing": lambda raw: raw["scenarios"].pop("unknown-group"),
    "bare-id subject": lambda raw: raw["scenarios"]["unknown-patient"]["request"].update(subject="rac-p-unknown"),
    "bad window date": lambda raw: raw["overlapCases"][0]["request"].update(periodStart="2024-13-01"),
    "case id not kebab": lambda raw: raw["overlapCases"][0].update(case="Standard Window"),
    "returns not a list": lambda raw: raw["scenarios"]["patient-no-reports"]["expect"].update(
        returns={"Patient/rac-p04": "none"}),
    "report period without day": lambda raw: raw["reports"]["MeasureReport/rac-mr-p06-v28"]["period"].update(
        start="2024"),
    "too few overlap cases": lambda raw: raw.update(overlapCases=raw["overlapCases"][:3]),
    "unknown key": lambda raw: raw.update(extra=1),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_schema_rejects(validator, expectations, name):
    raw = copy.deepcopy(expectations.raw)
    BREAKAGES[name](raw)
    assert list(validator.iter_errors(raw)), name
