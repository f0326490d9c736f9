"""The base R4 layer from the official definitions: the false errors of issue 10 stay fixed (each resource
validates clean), and a probe per base invariant and binding family fails when broken and passes when not."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fhirpathpy import compile as fp_compile
from fhirpathpy.models import models

from ra_conformance.validation import validator_for
from ra_conformance.validation.constraints import by_type, evaluated_keys
from ra_conformance.validation.narrative import check_div
from ra_conformance.validation.period import start_not_after_end

HL7 = "http://hl7.org/fhir/"
THO = "http://terminology.hl7.org/CodeSystem/"
DIV = '<div xmlns="http://www.w3.org/1999/xhtml"><p>Text &amp; more&nbsp;<b>bold</b></p></div>'


def _errors(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.rule, i.location) for i in validator_for("2.1.0").validate(resource) if i.severity == "error"]


def _issues(resource: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(i.severity, i.rule, i.location) for i in validator_for("2.1.0").validate(resource)]


def _cc(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def obs(**kw: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"}, **kw}


# -- the false errors of the issue: each must validate clean ---------------------------------------------
VALID = {
    **{f"observation-status-{s}": obs(status=s) for s in ("corrected", "cancelled", "entered-in-error", "unknown")},
    **{f"diagnosticreport-status-{s}": {"resourceType": "DiagnosticReport", "status": s, "code": {"text": "x"}}
       for s in ("amended", "corrected", "appended", "cancelled", "entered-in-error", "unknown", "partial")},
    **{f"encounter-status-{s}": {"resourceType": "Encounter", "status": s, "class": {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}}
       for s in ("entered-in-error", "unknown", "cancelled", "onleave")},
    **{f"task-status-{s}": {"resourceType": "Task", "status": s, "intent": "order"}
       for s in ("draft", "requested", "received", "accepted", "rejected", "ready", "cancelled", "in-progress",
                 "on-hold", "failed", "completed", "entered-in-error")},
    "capabilitystatement-formats": {
        "resourceType": "CapabilityStatement", "status": "active", "date": "2024-01-01", "kind": "instance",
        "fhirVersion": "4.0.1", "format": ["xml", "json", "application/fhir+json", "application/fhir+xml"],
        "patchFormat": ["application/json-patch+json"], "rest": [{"mode": "server"}],
        "implementation": {"description": "server"}},
    **{f"questionnaire-item-{t}": {"resourceType": "Questionnaire", "status": "active", "item": [
        {"linkId": "1", "type": t, "text": "q"} | ({"item": [{"linkId": "1.1", "type": "display", "text": "d"}]}
                                                 if t == "group" else {})]} for t in ("group", "display", "boolean", "decimal", "integer",
                                                        "date", "dateTime", "time", "string", "text", "url",
                                                        "choice", "open-choice", "attachment", "reference",
                                                        "quantity")},
    **{f"detectedissue-status-{s}": {"resourceType": "DetectedIssue", "status": s}
       for s in ("registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error",
                 "unknown")},
    **{f"device-udi-entrytype-{t}": {"resourceType": "Device", "udiCarrier": [{"deviceIdentifier": "x",
                                                                              "entryType": t}]}
       for t in ("barcode", "rfid", "manual", "card", "self-reported", "unknown")},
    "expression-language-other": {"resourceType": "Library", "status": "active", "type": _cc(THO + "library-type",
                                                                                          "logic-library"),
                                  "extension": [{"url": "http://example.org/x", "valueExpression": {
                                      "language": "text/x-python", "expression": "1"}}]},
    "narrative-with-entities": {"resourceType": "Patient", "text": {"status": "generated", "div": DIV}},
    "condition-clinical-status": {
        "resourceType": "Condition", "subject": {"reference": "Patient/p"},
        "clinicalStatus": _cc(THO + "condition-clinical", "active"),
        "verificationStatus": _cc(THO + "condition-ver-status", "confirmed")},
    "period-same-day-different-precision": obs(effectivePeriod={"start": "2024-01-01",
                                                                "end": "2024-01-01T00:00:00Z"}),
    "period-offsets": obs(effectivePeriod={"start": "2024-01-01T10:00:00+05:00", "end": "2024-01-01T06:00:00Z"}),
    "contained-referenced": {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
                             "subject": {"reference": "Patient/p"}, "medicationReference": {"reference": "#m"},
                             "contained": [{"resourceType": "Medication", "id": "m"}]},
    "quantity-with-system": obs(valueQuantity={"value": 1, "unit": "mg", "system": "http://unitsofmeasure.org",
                                               "code": "mg"}),
    "quantity-comparator": obs(valueQuantity={"value": 1, "comparator": "<="}),
    "timing-when-several": {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
                            "subject": {"reference": "Patient/p"}, "medicationCodeableConcept": {"text": "x"},
                            "dosageInstruction": [{"timing": {"repeat": {"when": ["MORN", "EVE"],
                                                                         "offset": 30}}}]},
    "careteam-on-behalf-of": {"resourceType": "CareTeam", "participant": [
        {"member": {"reference": "Practitioner/d"}, "onBehalfOf": {"reference": "Organization/o"}}]},
    "code-with-tab-between-words": obs(status="final", code={"coding": [{"system": "http://x", "code": "a\tb"}]}),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_r4_validates_clean(name):
    assert _errors(VALID[name]) == []
    assert "invariant-unevaluable" not in {rule for _, rule, _ in _issues(VALID[name])}


def test_every_function_the_base_invariants_call_is_available():
    """fhirpathpy lacks hasValue() and resolve(): registered by constraints.py; htmlChecks() is narrative.py."""
    import re

    import fhirpathpy.engine.invocations as invocations

    from ra_conformance.validation import tables
    from ra_conformance.validation.constraints import _USER, ELSEWHERE

    known = set(invocations.invocation_registry) | set(_USER)
    used = {fn for rows in tables.load()["constraints"].values() for row in rows if row[1] not in ELSEWHERE
            for fn in re.findall(r"([a-zA-Z]+)\(", row[4])}
    assert used - known == set()


# -- probes: (invalid resource, the one expected error) and a valid twin ------------------------------------
PROBES: list[tuple[str, dict[str, Any], tuple[str, str], dict[str, Any]]] = [
    ("per-1", obs(effectivePeriod={"start": "2024-02-01", "end": "2024-01-01"}),
     ("per-1", "Observation.effectivePeriod"), obs(effectivePeriod={"start": "2024-01-01", "end": "2024-02-01"})),
    ("qty-3", obs(valueQuantity={"value": 1, "code": "mg"}), ("qty-3", "Observation.valueQuantity"),
     obs(valueQuantity={"value": 1, "code": "mg", "system": "http://unitsofmeasure.org"})),
    ("cpt-2", {"resourceType": "Patient", "telecom": [{"value": "555"}]}, ("cpt-2", "Patient.telecom[0]"),
     {"resourceType": "Patient", "telecom": [{"value": "555", "system": "phone"}]}),
    ("att-1", {"resourceType": "Media", "status": "completed", "content": {"data": "AAAA"}},
     ("att-1", "Media.content"),
     {"resourceType": "Media", "status": "completed", "content": {"data": "AAAA", "contentType": "image/png"}}),
    ("obs-6", obs(valueString="x", dataAbsentReason={"text": "n/a"}), ("obs-6", "Observation"), obs(valueString="x")),
    ("obs-7", obs(code=_cc("http://loinc.org", "1-1"), valueString="x",
                  component=[{"code": _cc("http://loinc.org", "1-1"), "valueString": "y"}]),
     ("obs-7", "Observation"), obs(code=_cc("http://loinc.org", "1-1"), valueString="x",
                                   component=[{"code": _cc("http://loinc.org", "2-2"), "valueString": "y"}])),
    ("obs-3", obs(referenceRange=[{"text": "t"}]) | {"referenceRange": [{"appliesTo": [{"text": "x"}]}]},
     ("obs-3", "Observation.referenceRange[0]"), obs(referenceRange=[{"text": "normal"}])),
    ("pat-1", {"resourceType": "Patient", "contact": [{"gender": "male"}]}, ("pat-1", "Patient.contact[0]"),
     {"resourceType": "Patient", "contact": [{"name": {"family": "X"}}]}),
    ("con-4", {"resourceType": "Condition", "subject": {"reference": "Patient/p"}, "abatementString": "gone",
               "clinicalStatus": _cc(THO + "condition-clinical", "active")}, ("con-4", "Condition"),
     {"resourceType": "Condition", "subject": {"reference": "Patient/p"}, "abatementString": "gone",
      "clinicalStatus": _cc(THO + "condition-clinical", "resolved")}),
    ("con-5", {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
               "verificationStatus": _cc(THO + "condition-ver-status", "entered-in-error"),
               "clinicalStatus": _cc(THO + "condition-clinical", "active")}, ("con-5", "Condition"),
     {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
      "verificationStatus": _cc(THO + "condition-ver-status", "entered-in-error")}),
    ("dom-2", {"resourceType": "Patient", "managingOrganization": {"reference": "#o"}, "contained": [
        {"resourceType": "Organization", "id": "o", "name": "x", "partOf": {"reference": "#p"},
         "contained": [{"resourceType": "Organization", "id": "p", "name": "y"}]}]},
     ("dom-2", "Patient.contained[0]"),
     {"resourceType": "Patient", "managingOrganization": {"reference": "#o"}, "contained": [
         {"resourceType": "Organization", "id": "o", "name": "x"}]}),
    ("dom-3", {"resourceType": "Patient", "contained": [{"resourceType": "Organization", "id": "o", "name": "x"}]},
     ("dom-3", "Patient.contained[0]"),
     {"resourceType": "Patient", "managingOrganization": {"reference": "#o"}, "contained": [
         {"resourceType": "Organization", "id": "o", "name": "x"}]}),
    ("dom-4", {"resourceType": "Patient", "managingOrganization": {"reference": "#o"}, "contained": [
        {"resourceType": "Organization", "id": "o", "name": "x", "meta": {"versionId": "1"}}]},
     ("dom-4", "Patient.contained[0]"),
     {"resourceType": "Patient", "managingOrganization": {"reference": "#o"}, "contained": [
         {"resourceType": "Organization", "id": "o", "name": "x", "meta": {"tag": [{"code": "t"}]}}]}),
    ("dom-5", {"resourceType": "Patient", "managingOrganization": {"reference": "#o"}, "contained": [
        {"resourceType": "Organization", "id": "o", "name": "x", "meta": {"security": [{"code": "R"}]}}]},
     ("dom-5", "Patient.contained[0]"),
     {"resourceType": "Patient", "managingOrganization": {"reference": "#o"}, "contained": [
         {"resourceType": "Organization", "id": "o", "name": "x"}]}),
    ("txt-1-script", {"resourceType": "Patient", "text": {"status": "generated", "div": (
        '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script>x</div>')}},
     ("txt-1", "Patient.text.div"), {"resourceType": "Patient", "text": {"status": "generated", "div": DIV}}),
    ("txt-1-event", {"resourceType": "Patient", "text": {"status": "generated", "div": (
        '<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">hi</p></div>')}},
     ("txt-1", "Patient.text.div"), {"resourceType": "Patient", "text": {"status": "generated", "div": DIV}}),
    ("txt-1-plain-text", {"resourceType": "Patient", "text": {"status": "generated", "div": "just text"}},
     ("txt-1", "Patient.text.div"), {"resourceType": "Patient", "text": {"status": "generated", "div": DIV}}),
    ("txt-2", {"resourceType": "Patient", "text": {"status": "generated", "div": (
        '<div xmlns="http://www.w3.org/1999/xhtml"> <p> </p></div>')}}, ("txt-2", "Patient.text.div"),
     {"resourceType": "Patient", "text": {"status": "generated", "div": DIV}}),
    ("mrp-1", {"resourceType": "MeasureReport", "status": "complete", "type": "data-collection",
               "measure": "http://x/M", "period": {"start": "2024"}, "group": [{"code": {"text": "g"}}]},
     ("mrp-1", "MeasureReport"),
     {"resourceType": "MeasureReport", "status": "complete", "type": "data-collection", "measure": "http://x/M",
      "period": {"start": "2024"}}),
    ("bdl-7", {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Basic", "code": {"text": "a"}}},
        {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Basic", "code": {"text": "b"}}}]},
     ("bdl-7", "Bundle"), {"resourceType": "Bundle", "type": "collection", "entry": [
         {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Basic", "code": {"text": "a"}}}]}),
    ("tim-9", {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
               "subject": {"reference": "Patient/p"}, "medicationCodeableConcept": {"text": "x"},
               "dosageInstruction": [{"timing": {"repeat": {"when": ["C", "EVE"], "offset": 30}}}]},
     ("tim-9", "MedicationRequest.dosageInstruction[0].timing.repeat"), VALID["timing-when-several"]),
    ("grp-1", {"resourceType": "Group", "type": "person", "actual": False,
               "member": [{"entity": {"reference": "Patient/p"}}]}, ("grp-1", "Group"),
     {"resourceType": "Group", "type": "person", "actual": True, "member": [{"entity": {"reference": "Patient/p"}}]}),
    ("sqty-1", {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "referenceRange": [
        {"low": {"value": 1, "comparator": "<"}}]}, ("sqty-1", "Observation.referenceRange[0].low"),
     {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "referenceRange": [
         {"low": {"value": 1}}]}),
    ("age-1", {"resourceType": "Condition", "subject": {"reference": "Patient/p"}, "onsetAge": {
        "value": -1, "system": "http://unitsofmeasure.org", "code": "a"}}, ("age-1", "Condition.onsetAge"),
     {"resourceType": "Condition", "subject": {"reference": "Patient/p"}, "onsetAge": {
         "value": 40, "unit": "yr", "system": "http://unitsofmeasure.org", "code": "a"}}),
    # required bindings, one per family
    ("binding-code", obs(status="done"), ("struct-binding", "Observation.status"), obs(status="final")),
    ("binding-codeableconcept", {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
                                 "clinicalStatus": _cc(THO + "condition-clinical", "activ")},
     ("struct-binding", "Condition.clinicalStatus"), VALID["condition-clinical-status"]),
    ("binding-codeableconcept-text-only", {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
                                           "clinicalStatus": {"text": "active"}},
     ("struct-binding", "Condition.clinicalStatus"), VALID["condition-clinical-status"]),
    ("binding-measurereport-improvement", {"resourceType": "MeasureReport", "status": "complete", "type": "summary",
                                           "measure": "http://x/M", "period": {"start": "2024"},
                                           "improvementNotation": _cc(THO + "measure-improvement-notation", "up")},
     ("struct-binding", "MeasureReport.improvementNotation"),
     {"resourceType": "MeasureReport", "status": "complete", "type": "summary", "measure": "http://x/M",
      "period": {"start": "2024"}, "improvementNotation": _cc(THO + "measure-improvement-notation", "increase")}),
    ("binding-operationoutcome-code", {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "bogus"}]}, ("struct-binding", "OperationOutcome.issue[0].code"),
     {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "processing"}]}),
    ("binding-quantity-comparator", obs(valueQuantity={"value": 1, "comparator": "=="}),
     ("struct-binding", "Observation.valueQuantity.comparator"), VALID["quantity-comparator"]),
    ("unknown-resource-type", {"resourceType": "Patiant", "id": "p"}, ("struct-resourcetype", "Patiant"),
     {"resourceType": "Patient", "id": "p"}),
    ("resource-type-of-r5", {"resourceType": "SubscriptionStatus", "type": "handshake", "subscription": {
        "reference": "Subscription/s"}}, ("struct-resourcetype", "SubscriptionStatus"), VALID["task-status-draft"]),
]


@pytest.mark.parametrize("name, bad, expected, good", PROBES, ids=[p[0] for p in PROBES])
def test_probe_fails_when_broken_and_passes_when_not(name, bad, expected, good):
    assert _errors(good) == []
    if expected is not None:
        assert _errors(bad) == [expected]


def test_extensible_binding_outside_the_value_set_is_information():
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
                 "category": [_cc("http://hl7.org/fhir/us/core/CodeSystem/condition-category", "health-concern")]}
    assert _issues(condition) == [("information", "struct-binding-extensible", "Condition.category[0]")]
    condition["category"] = [_cc(THO + "condition-category", "problem-list-item")]
    assert _issues(condition) == []
    condition["category"] = [{"text": "free text"}]
    assert _issues(condition) == []


def test_preferred_binding_outside_the_value_set_is_information():
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
                 "severity": _cc("http://example.org/severity", "bad")}
    assert _issues(condition) == [("information", "struct-binding-preferred", "Condition.severity")]
    condition["severity"] = _cc("http://snomed.info/sct", "24484000")
    assert _issues(condition) == []


def test_required_binding_on_a_coding():
    """No base R4 Coding element has a required binding the definitions expand; the check itself."""
    from ra_conformance.validation.base_bindings import Binding, check_coded

    binding = Binding("required", "http://x/vs", frozenset({("http://x/cs", "a")}), frozenset({"a"}))
    found: list[tuple[str, str, str, str]] = []
    check_coded({"system": "http://x/cs", "code": "b"}, "Coding", binding, "X.c", lambda *a: found.append(a))
    check_coded({"system": "http://x/cs", "code": "a"}, "Coding", binding, "X.d", lambda *a: found.append(a))
    assert [(rule, loc, sev) for rule, loc, _, sev in found] == [("struct-binding", "X.c", "error")]


def test_every_r4_resource_type_is_checked():
    from ra_conformance.validation import tables

    for rtype in sorted(tables.resource_types()):
        issues = validator_for("2.1.0").validate({"resourceType": rtype, "bogusElement": 1})
        assert ("struct-unknown-element", f"{rtype}.bogusElement") in {(i.rule, i.location) for i in issues}, rtype


def test_every_error_invariant_with_an_expression_is_evaluated():
    keys = evaluated_keys()
    assert len(keys) >= 200
    assert {"dom-2", "dom-3", "dom-4", "dom-5", "con-4", "con-5", "obs-3", "obs-6", "obs-7", "pat-1", "per-1",
            "cpt-2", "qty-3", "att-1", "txt-1", "txt-2", "ele-1", "ext-1", "ref-1"} <= set(keys)


def test_every_fhirpath_constraint_parses_once():
    assert sum(len(v) for v in by_type().values()) >= 190


@pytest.mark.parametrize("start, end", [("2024-01-01", "2024-02-01"), ("2024-02-01", "2024-01-01"),
                                        ("2024", "2024-05"), ("2024-01-01T10:00:00Z", "2024-01-01T09:00:00Z"),
                                        ("2024-01-05", "2024-01-01T00:00:00Z")])
def test_native_per_1_agrees_with_its_fhirpath(start, end):
    from ra_conformance.validation.constraints import _USER

    expr = fp_compile("start.hasValue().not() or end.hasValue().not() or (start <= end)", models["r4"],
                      {"userInvocationTable": _USER})
    result = expr({"start": start, "end": end})
    assert start_not_after_end(start, end) == (result != [False])


def test_native_per_1_compares_instants_across_offsets():
    """10:00+05:00 is 05:00Z, before 06:00Z (FHIRPath normalises offsets; fhirpathpy 2.2.4 does not)."""
    assert start_not_after_end("2024-01-01T10:00:00+05:00", "2024-01-01T06:00:00Z") is True
    assert start_not_after_end("2024-01-01T10:00:00-05:00", "2024-01-01T06:00:00Z") is False


def test_an_unevaluable_expression_is_reported_not_passed(monkeypatch, request):
    from ra_conformance.validation.memos import forget_all

    request.addfinalizer(forget_all)  # no verdict of the broken table outlives the test

    grp = by_type()["Group"][0]
    broken = grp.__class__(grp.child, grp.key, grp.human, "member.empty() or actual.nosuchfunction()",
                           grp.base, None, None)
    monkeypatch.setitem(by_type(), "Group", (broken,))
    from ra_conformance.validation import structure

    structure.walk_resource({"resourceType": "Group"}, "", structure.WalkContext())  # tables bound
    monkeypatch.setitem(structure._INFO, "Group", structure._INFO["Group"]._replace(constraints=(broken,)))
    forget_all()
    issues = _issues({"resourceType": "Group", "type": "person", "actual": True,
                      "member": [{"entity": {"reference": "Patient/p"}}]})
    assert ("warning", "invariant-unevaluable", "Group") in issues


@pytest.mark.parametrize("div", ['<div xmlns="http://www.w3.org/1999/xhtml"><iframe src="x"/>t</div>',
                                 '<div xmlns="http://www.w3.org/1999/xhtml"><a href="x" onmouseover="y">t</a></div>',
                                 '<!DOCTYPE div [<!ENTITY a "b">]><div xmlns="http://www.w3.org/1999/xhtml">&a;</div>',
                                 '<div xmlns="http://www.w3.org/1999/xhtml"><p>unclosed</div>',
                                 '<div xmlns="http://www.w3.org/1999/xhtml"><x:b xmlns:x="urn:x">t</x:b></div>'])
def test_narrative_rejects(div):
    assert [k for k, _ in check_div(div)] and all(k == "txt-1" for k, _ in check_div(div))


def test_narrative_accepts_tables_images_links_and_styles():
    div = ('<div xmlns="http://www.w3.org/1999/xhtml" lang="en"><table class="grid"><tr><th colspan="2">H</th>'
           '</tr><tr><td style="color:red">1</td></tr></table><a href="#x" name="y">link</a>'
           '<img src="#pic" alt="p"/><ul><li>i</li></ul></div>')
    assert check_div(div) == []


def test_probe_mutations_are_independent():
    """The probes share fixtures: validating never changes a resource."""
    resource = copy.deepcopy(VALID["contained-referenced"])
    _errors(resource)
    assert resource == VALID["contained-referenced"]


def test_every_base_invariant_evaluates_quietly_on_a_minimal_node(capsys):
    """No expression raises on a bare node, and fhirpathpy's trace() prints nothing to our output."""
    unevaluable = []
    for tname, constraints in by_type().items():
        for c in constraints:
            verdict = c.holds({"id": "x"} if c.native is None else {}, {"resourceType": tname.split(".")[0]})
            if verdict not in (True, False):
                unevaluable.append((tname, c.key, verdict))
    assert unevaluable == []
    assert capsys.readouterr().out == ""


def test_hostile_codings_never_raise():
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p"},
                 "clinicalStatus": {"coding": [{"system": ["x"], "code": {"a": 1}}]}}
    assert ("struct-binding", "Condition.clinicalStatus") in _errors(condition)
