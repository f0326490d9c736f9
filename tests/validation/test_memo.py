"""The validator's memos (clean subtrees, clean extensions, valid primitive strings, invariant verdicts) never
change a verdict: warm equals cold on every resource of the kit and of the IG examples, and a remembered
value is still judged where it sits (its binding, its extensions' allowed places)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ra_conformance.validation import subtrees, validator_for, verdicts
from ra_conformance.validation.memos import forget_all

KIT = Path(__file__).resolve().parents[2] / "fixtures"
SD = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def _issues(resource: Any, version: str = "2.1.0") -> list[tuple[str, str, str, str]]:
    return [(i.severity, i.rule, i.location, i.message) for i in validator_for(version).validate(resource)]


def _resources(shared: Path | None) -> list[Any]:
    files = sorted(KIT.rglob("*.json")) + (sorted(shared.glob("*/examples/*.json")) if shared else [])
    return [json.loads(p.read_text(encoding="utf-8")) for p in files]


@pytest.mark.parametrize("version", ["stu1", "2.1.0", "stu3-ballot"])
def test_warm_verdicts_equal_cold_ones(version, request):
    shared = request.getfixturevalue("shared_ig") if (Path(__file__).resolve().parents[3] / "shared").is_dir() \
        else None
    resources = _resources(shared)
    cold = []
    for resource in resources:
        forget_all()
        cold.append(_issues(resource, version))
    warm = [_issues(resource, version) for resource in resources]  # whole-resource verdicts remembered
    again = []
    for resource in reversed(resources):  # the memos of parts only
        verdicts.forget()
        again.append(_issues(resource, version))
    again.reverse()
    assert warm == cold
    assert again == cold


def test_a_remembered_value_keeps_the_binding_of_where_it_sits(monkeypatch):
    subtrees.forget()
    hits: list[object] = []
    recall = subtrees.recall
    monkeypatch.setattr(subtrees, "recall", lambda key: hits.append(found := recall(key)) or found)
    concept = {"coding": [{"system": "http://example.org/codes", "code": "foo"}]}
    _issues({"resourceType": "Condition", "subject": {"reference": "Patient/p"}, "code": concept})  # met once
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p"}, "code": concept,
                 "clinicalStatus": json.loads(json.dumps(concept))}
    hits.clear()
    issues = _issues(condition)
    assert any(found is not None for found in hits)  # met again as code (remembered), then as clinicalStatus
    assert ("error", "struct-binding", "Condition.clinicalStatus") in {i[:3] for i in issues}
    assert not any(i[2] == "Condition.code" for i in issues)


def test_replayed_extensions_are_judged_at_their_new_place():
    subtrees.forget()
    concept = {"text": "x", "extension": [{"url": SD + "ra-ccType", "valueCodeableConcept": {"text": "historic"}}]}
    _issues({"resourceType": "Condition", "subject": {"reference": "Patient/p"}, "code": concept})  # met once
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p"}, "code": concept,
                 "severity": json.loads(json.dumps(concept))}
    places = {i[2] for i in _issues(condition) if i[1] == "REQ-176"}
    assert places == {"Condition.code.extension[0]", "Condition.severity.extension[0]"}


def test_subtrees_with_references_are_never_remembered():
    subtrees.forget()
    report = {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
              "code": {"text": "x"}, "evidence": [{"detail": [{"reference": "#missing"}]}]}
    first = _issues(report)
    second = _issues(report)
    assert ("error", "ref-1", "Condition.evidence[0].detail[0].reference") in {i[:3] for i in first}
    assert first == second
    assert all(b"#missing" not in key[1] for key in subtrees._SEEN)


OBSERVATION = '{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, %s}'


@pytest.mark.parametrize("text, rule", [
    ('"valueQuantity": {"value": NaN}', "struct-format"),
    ('"extension": [{"url": "http://example.org/x", "valueDecimal": Infinity}]', "struct-format"),
    ('"extension": [{"url": "http://example.org/x", "valueDecimal": null}]', "struct-null"),
    ('"valueQuantity": {"value": null}', "struct-null"),
])
def test_nan_infinity_and_null_never_share_a_memo_entry(text, rule):
    """Python's json module reads NaN and Infinity (not JSON), which orjson writes as null: whatever was
    validated before, each keeps its own verdict."""
    others = ['"valueQuantity": {"value": NaN}', '"valueQuantity": {"value": null}',
              '"extension": [{"url": "http://example.org/x", "valueDecimal": NaN}]',
              '"extension": [{"url": "http://example.org/x", "valueDecimal": null}]']
    for other in others:
        _issues(json.loads(OBSERVATION % other))
    for _ in range(2):
        assert [i[1] for i in _issues(json.loads(OBSERVATION % text))] == [rule]


def test_a_clean_subtree_holding_null_is_never_remembered():
    """A null aligned with a ``_given`` companion is legal, and orjson writes NaN as null too: a clean name
    holding null, met again and again, never serves the NaN at its place (keys holding null are never
    stored, jsonkey.py)."""
    forget_all()
    name = '{"given": [%s, "B"], "_given": [{"extension": [{"url": "http://example.org/x", "valueString": "y"}]}, null]}'
    patient = '{"resourceType": "Patient", "id": "p", "name": [%s]}'
    for _ in range(3):
        assert _issues(json.loads(patient % (name % "null"))) == []
    assert [i[1] for i in _issues(json.loads(patient % (name % "NaN")))] == ["struct-format"]
    assert all(b"null" not in key[1] for key in (*subtrees._SEEN, *subtrees._ONCE))


def test_a_remembered_verdict_serves_the_same_json_and_names_the_place_of_a_resource_without_id(monkeypatch):
    verdicts.forget()
    validator = validator_for("2.1.0")
    runs: list[object] = []
    run = validator._run
    monkeypatch.setattr(validator, "_run", lambda *a: runs.append(a) or run(*a))
    condition = {"resourceType": "Condition", "code": {"text": "x"}}  # no id, no subject: an error
    first = validator.validate(condition, ordinal=3)
    assert validator.validate(condition, ordinal=3) == first  # validated again: its verdict kept
    assert validator.validate(json.loads(json.dumps(condition)), ordinal=3) == first
    assert len(runs) == 2
    assert {i.resource for i in first} == {"Condition[#3]"}
    assert {i.resource for i in validator.validate(condition, ordinal=5)} == {"Condition[#5]"}
    assert len(runs) == 3
    named = {"resourceType": "Condition", "id": "c1", "code": {"text": "x"}}
    validator.validate(named, ordinal=1)
    validator.validate(named, ordinal=1)
    assert [i.resource for i in validator.validate(named, ordinal=2)] == ["Condition/c1"]
    assert len(runs) == 5


def test_a_resource_met_twice_in_one_walk_is_not_remembered():
    verdicts.forget()
    patient = {"resourceType": "Patient", "id": "p"}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}, {"resource": patient}]}
    validator_for("2.1.0").validate(bundle)
    validator_for("2.1.0").validate(bundle)
    assert verdicts._SEEN == {}


@pytest.mark.parametrize("reference", ["", "#nowhere", "not a reference", "Practitioner/x", " Patient/p"])
def test_a_remembered_reference_still_checks_its_own_reference_string(reference):
    def condition(ref: str) -> dict[str, Any]:
        return {"resourceType": "Condition", "subject": {"reference": ref, "display": "A. Patient", "extension": [
            {"url": "http://example.org/ext", "valueString": "x"}]}, "code": {"text": "x"}}

    forget_all()
    cold = _issues(condition(reference))
    forget_all()
    assert _issues(condition("Patient/p")) == []
    assert _issues(condition("Patient/q")) == []  # met again: remembered less its reference
    assert _issues(condition(reference)) == cold
    assert cold  # each of these is judged


def test_extensions_found_clean_at_one_element_are_judged_again_at_another():
    """A remembered subtree skips its extension checks only where they passed before (same element path)."""
    report = json.loads((KIT / "resources" / "MeasureReport-rac-mr-p01-v24.json").read_text(encoding="utf-8"))
    evidence = report["evaluatedResource"][0]
    assert "extension" in evidence  # a groupReference: allowed on evaluatedResource only
    moved = json.loads(json.dumps(report))
    moved["reporter"] = {**evidence, "reference": "Organization/rac-org-payer"}
    forget_all()
    cold = _issues(moved)
    assert any(i[1] == "REQ-176" and i[2] == "MeasureReport.reporter.extension[0]" for i in cold)
    forget_all()
    for n in range(3):  # the evidence subtree remembered, its extensions found clean there
        _issues({**report, "id": f"other-{n}"})
    assert _issues(moved) == cold
