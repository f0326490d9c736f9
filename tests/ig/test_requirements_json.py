"""ig/requirements.json is well formed: its schema, and the facts a schema cannot state."""

import json
from pathlib import Path

import jsonschema

from ra_conformance.ig import profile_rules, requirements, versions

IG = Path(__file__).resolve().parents[2] / "ra_conformance" / "ig"


def _raw() -> dict:
    return json.loads((IG / "requirements.json").read_text(encoding="utf-8"))


def test_requirements_json_meets_its_schema():
    schema = json.loads((IG / "requirements.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(_raw()), key=str)
    assert errors == [], [e.message for e in errors[:5]]


def test_the_schema_refuses_a_manual_requirement_without_a_reason():
    schema = json.loads((IG / "requirements.schema.json").read_text(encoding="utf-8"))
    raw = _raw()
    raw["requirements"]["REQ-005"]["automated"] = False
    assert not jsonschema.Draft202012Validator(schema).is_valid(raw)


def test_profile_rule_versions_are_ig_versions_and_slugs_are_unique():
    rules = profile_rules()
    assert rules, "no profile rule: test_profiles would judge nothing"
    assert all(set(rule.versions) <= set(versions.ids()) for rule in rules)
    slugs = [rule.profile_rule for rule in rules]
    assert len(slugs) == len(set(slugs))


def test_every_requirement_loads_with_its_defaults():
    reqs = requirements()
    assert set(reqs) == set(_raw()["requirements"])
    assert reqs["REQ-005"].automated and reqs["REQ-005"].versions == versions.ids()
    manual = [r for r in reqs.values() if not r.automated]
    assert manual and all(r.reason for r in manual)
