"""The Python twins of base R4 invariants (validation/base_native.py) agree with fhirpathpy on their own
expressions: on valid and invalid probes, on odd shapes (which the twins leave to fhirpathpy), and on every
node of the kit and of the IG's examples that the validator judges."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ra_conformance.validation import constraints, structure, validator_for
from ra_conformance.validation.base_native import NATIVE
from ra_conformance.validation.constraints import Constraint, by_type
from ra_conformance.validation.memos import forget_all

KIT = Path(__file__).resolve().parents[2] / "fixtures"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


def _constraint(key: str) -> Constraint:
    found = [c for rows in by_type().values() for c in rows if c.key == key]
    assert found, key
    return found[0]


def _fhirpath(c: Constraint, node: dict[str, Any], resource: dict[str, Any]) -> bool | str:
    plain = Constraint(c.child, c.key, c.human, c.expression, c.base, None, None)
    constraints._MEMO.clear()
    return plain.holds(node, resource)


def _cc(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _bundle(btype: Any, *entries: dict[str, Any], **more: Any) -> dict[str, Any]:
    node = {"resourceType": "Bundle", **({"type": btype} if btype is not None else {}), **more}
    if entries:
        node["entry"] = list(entries)
    return node


PAT = {"resource": {"resourceType": "Patient", "id": "p"}, "fullUrl": "urn:uuid:1"}
COMP = {"resource": {"resourceType": "Composition", "id": "c"}, "fullUrl": "urn:uuid:2"}
REQ = {"request": {"method": "POST", "url": "Patient"}}
RESP = {"response": {"status": "201"}}
EXT = {"extension": [{"url": "http://x", "valueString": "y"}]}

# (key, node, resource (None: the node), expected verdict of fhirpathpy)
PROBES: list[tuple[str, dict[str, Any], dict[str, Any] | None, bool]] = [
    ("bdl-1", _bundle("searchset", total=2), None, True),
    ("bdl-1", _bundle("history", total=2), None, True),
    ("bdl-1", _bundle("collection", total=2), None, False),
    ("bdl-1", _bundle("collection"), None, True),
    ("bdl-1", _bundle(None, total=2), None, True),
    ("bdl-2", _bundle("searchset", {**PAT, "search": {"mode": "match"}}), None, True),
    ("bdl-2", _bundle("collection", {**PAT, "search": {"mode": "match"}}), None, False),
    ("bdl-2", _bundle("collection", PAT), None, True),
    ("bdl-3", _bundle("transaction", {**PAT, **REQ}), None, True),
    ("bdl-3", _bundle("transaction", PAT), None, False),
    ("bdl-3", _bundle("collection", {**PAT, **REQ}), None, False),
    ("bdl-3", _bundle("collection", PAT), None, True),
    ("bdl-3", _bundle("batch"), None, True),
    ("bdl-4", _bundle("transaction-response", RESP), None, True),
    ("bdl-4", _bundle("transaction-response", PAT), None, False),
    ("bdl-4", _bundle("searchset", {**PAT, **RESP}), None, False),
    ("bdl-4", _bundle("searchset", PAT), None, True),
    ("bdl-5", PAT, None, True),
    ("bdl-5", REQ, None, True),
    ("bdl-5", {"fullUrl": "urn:uuid:1"}, None, False),
    ("bdl-7", _bundle("collection", PAT, COMP), None, True),
    ("bdl-7", _bundle("collection", PAT, dict(PAT)), None, False),
    ("bdl-7", _bundle("history", PAT, dict(PAT)), None, True),
    ("bdl-7", _bundle("collection", {**PAT, "resource": {"resourceType": "Patient", "meta": {"versionId": "1"}}},
                      {**PAT, "resource": {"resourceType": "Patient", "meta": {"versionId": "2"}}}), None, True),
    ("bdl-7", _bundle("collection", {**PAT, "resource": {"resourceType": "Patient", "meta": {"versionId": "1"}}},
                      {**PAT, "resource": {"resourceType": "Patient", "meta": {"versionId": "1"}}}), None, False),
    ("bdl-7", _bundle("collection", {"resource": {"resourceType": "Patient"}}, {"resource": {"resourceType": "Patient"}}),
     None, True),
    ("bdl-8", {"fullUrl": "http://x/Patient/1"}, None, True),
    ("bdl-8", {"fullUrl": "http://x/Patient/1/_history/2"}, None, False),
    ("bdl-9", _bundle("document", COMP, identifier={"system": "urn:x", "value": "1"}), None, True),
    ("bdl-9", _bundle("document", COMP, identifier={"system": "urn:x"}), None, False),
    ("bdl-9", _bundle("document", COMP), None, False),
    ("bdl-9", _bundle("collection", COMP), None, True),
    ("bdl-10", _bundle("document", COMP, timestamp="2024-01-01T00:00:00Z"), None, True),
    ("bdl-10", _bundle("document", COMP), None, False),
    ("bdl-10", _bundle("collection"), None, True),
    ("bdl-11", _bundle("document", COMP, PAT), None, True),
    ("bdl-11", _bundle("document", PAT, COMP), None, False),
    ("bdl-11", _bundle("document"), None, True),
    ("bdl-11", _bundle("document", {"fullUrl": "urn:uuid:3"}), None, True),
    ("bdl-12", _bundle("message", {"resource": {"resourceType": "MessageHeader"}}), None, True),
    ("bdl-12", _bundle("message", PAT), None, False),
    ("con-4", {"resourceType": "Condition", "abatementDateTime": "2024", "clinicalStatus": _cc(CLINICAL, "resolved")},
     None, True),
    ("con-4", {"resourceType": "Condition", "abatementString": "x", "clinicalStatus": _cc(CLINICAL, "active")},
     None, False),
    ("con-4", {"resourceType": "Condition", "abatementAge": {"value": 3}}, None, False),
    ("con-4", {"resourceType": "Condition", "clinicalStatus": _cc(CLINICAL, "active")}, None, True),
    ("con-5", {"resourceType": "Condition", "verificationStatus": _cc(VERIFICATION, "entered-in-error"),
               "clinicalStatus": _cc(CLINICAL, "active")}, None, False),
    ("con-5", {"resourceType": "Condition", "verificationStatus": _cc(VERIFICATION, "entered-in-error")}, None, True),
    ("con-5", {"resourceType": "Condition", "verificationStatus": _cc(VERIFICATION, "confirmed"),
               "clinicalStatus": _cc(CLINICAL, "active")}, None, True),
    ("con-5", {"resourceType": "Condition", "verificationStatus": _cc("http://other", "entered-in-error"),
               "clinicalStatus": _cc(CLINICAL, "active")}, None, True),
    ("obs-6", {"resourceType": "Observation", "valueString": "x", "dataAbsentReason": {"text": "n/a"}}, None, False),
    ("obs-6", {"resourceType": "Observation", "dataAbsentReason": {"text": "n/a"}}, None, True),
    ("obs-6", {"resourceType": "Observation", "valueQuantity": {"value": 1}}, None, True),
    ("obs-7", {"resourceType": "Observation", "code": _cc("http://loinc.org", "1-1"), "valueString": "x",
               "component": [{"code": _cc("http://loinc.org", "1-1")}]}, None, False),
    ("obs-7", {"resourceType": "Observation", "code": _cc("http://loinc.org", "1-1"), "valueString": "x",
               "component": [{"code": _cc("http://loinc.org", "2-2")}]}, None, True),
    ("obs-7", {"resourceType": "Observation", "code": _cc("http://loinc.org", "1-1"),
               "component": [{"code": _cc("http://loinc.org", "1-1")}]}, None, True),
    ("obs-7", {"resourceType": "Observation", "code": {"text": "t"}, "valueBoolean": True,
               "component": [{"code": {"text": "t"}}]}, None, True),
    ("mrp-1", {"resourceType": "MeasureReport", "type": "data-collection", "group": [{"id": "g"}]}, None, False),
    ("mrp-1", {"resourceType": "MeasureReport", "type": "individual", "group": [{"id": "g"}]}, None, True),
    ("mrp-2", {"resourceType": "MeasureReport", "group": [{"stratifier": [{"stratum": [
        {"value": {"text": "a"}}]}]}]}, None, True),
    ("mrp-2", {"resourceType": "MeasureReport", "group": [{"stratifier": [{"stratum": [
        {"value": {"text": "a"}, "component": [{"code": {"text": "c"}, "value": {"text": "v"}}]}]}]}]}, None, False),
    ("per-1", {"start": "2024-01-01", "end": "2024-02-01"}, None, True),
    ("per-1", {"start": "2024-02-01", "end": "2024-01-01"}, None, False),
    ("qty-3", {"value": 1, "code": "mg", "system": "http://unitsofmeasure.org"}, None, True),
    ("qty-3", {"value": 1, "code": "mg"}, None, False),
]

# Shapes the twins leave to fhirpathpy (a `_name` companion, empty arrays, scalars for arrays, unknown
# choice names): the verdict must still be fhirpathpy's.
ODD: list[tuple[str, dict[str, Any]]] = [
    ("bdl-1", _bundle("collection", _total=EXT)),
    ("bdl-1", _bundle(None, _type=EXT, total=1)),
    ("bdl-2", _bundle("collection", entry=[])),
    ("bdl-2", _bundle("collection", entry={"search": {}})),
    ("bdl-3", {"resourceType": "Bundle", "entry": [REQ]}),
    ("bdl-3", _bundle("transaction", entry=[None])),
    ("bdl-7", _bundle("collection", {"_fullUrl": EXT, "resource": {"resourceType": "Patient"}})),
    ("bdl-7", _bundle("collection", {"fullUrl": "urn:uuid:1", "resource": {"meta": {"_versionId": EXT}}})),
    ("bdl-9", _bundle("document", identifier={"_system": EXT, "value": "1"})),
    ("bdl-10", _bundle("document", _timestamp=EXT)),
    ("bdl-11", _bundle("document", {"resource": {"resourceType": 3}})),
    ("con-4", {"resourceType": "Condition", "_abatementString": EXT}),
    ("con-4", {"resourceType": "Condition", "abatementFoo": "x"}),
    ("con-5", {"resourceType": "Condition", "verificationStatus": {"coding": [{"_code": EXT}]}}),
    ("obs-6", {"resourceType": "Observation", "_valueString": EXT, "dataAbsentReason": {"text": "x"}}),
    ("obs-7", {"resourceType": "Observation", "valueString": "x", "component": []}),
]


@pytest.mark.parametrize("key, node, resource, expected", PROBES, ids=[f"{p[0]}-{i}" for i, p in enumerate(PROBES)])
def test_twin_and_fhirpath_give_the_expected_verdict(key, node, resource, expected):
    c = _constraint(key)
    resource = node if resource is None else resource
    assert _fhirpath(c, node, resource) is expected
    assert NATIVE[key](copy.deepcopy(node), copy.deepcopy(resource)) is expected


def test_every_twin_is_probed_both_ways():
    verdicts = {(key, expected) for key, _, _, expected in PROBES}
    assert {(key, v) for key in NATIVE for v in (True, False)} <= verdicts


@pytest.mark.parametrize("key, node", ODD, ids=[f"{o[0]}-odd-{i}" for i, o in enumerate(ODD)])
def test_odd_shapes_are_left_to_fhirpath(key, node):
    c = _constraint(key)
    assert NATIVE[key](node, node) is None
    assert c.holds(node, node) == _fhirpath(c, node, node)


def _corpus(shared: Path | None) -> list[tuple[str, dict[str, Any]]]:
    files = sorted(KIT.rglob("*.json"))
    if shared is not None:
        files += sorted(shared.glob("*/examples/*.json"))
    out = []
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "resourceType" in data:
            out.append((str(path), data))
    return out


def test_twins_agree_with_fhirpath_on_every_node_of_the_kit_and_the_ig_examples(monkeypatch, request):
    shared = request.getfixturevalue("shared_ig") if (Path(__file__).resolve().parents[3] / "shared").is_dir() \
        else None
    judged: list[tuple[Constraint, Any, dict[str, Any]]] = []
    original = structure._judge

    def spy(c: Constraint, node: Any, loc: str, resource: dict[str, Any], ctx: Any) -> None:
        if c.native is not None:
            judged.append((c, node, resource))
        original(c, node, loc, resource, ctx)

    monkeypatch.setattr(structure, "_judge", spy)
    forget_all()  # every resource walked, none served by a remembered verdict
    for _, resource in _corpus(shared):
        validator_for("2.1.0").validate(resource)
    keys = {c.key for c, _, _ in judged}
    assert {"bdl-3", "bdl-7", "con-5", "obs-7", "mrp-1", "per-1"} <= keys
    for c, node, resource in judged:
        if c.key == "per-1":
            continue  # FHIRPath normalises offsets, fhirpathpy 2.2.4 does not (test_r4_base: per-1 twin)
        native = c.native(node, resource) if isinstance(node, dict) else True
        assert native is None or native == _fhirpath(c, node, resource), (c.key, node)


# -- REQ-134 (ra-measurereport-bundle): validation/native.py's twin -------------------------------------
def _answer(subjects: list[Any], pid: Any = "p1", full_url: str | None = "urn:uuid:p1") -> dict[str, Any]:
    patient: dict[str, Any] = {"resource": {"resourceType": "Patient", **({"id": pid} if pid is not None else {})}}
    if full_url is not None:
        patient["fullUrl"] = full_url
    reports = [{"resource": {"resourceType": "MeasureReport", **({"subject": s} if s is not None else {})}}
               for s in subjects]
    return {"resourceType": "Bundle", "type": "collection", "entry": [*reports, patient]}


ANSWERS: list[tuple[dict[str, Any], bool | None]] = [
    (_answer([{"reference": "Patient/p1"}]), True),
    (_answer([{"reference": "http://x/fhir/Patient/p1"}, {"reference": "urn:uuid:p1"}]), True),
    (_answer([{"reference": "Patient/p2"}]), False),
    (_answer([{"reference": "Patient/p1"}, {"reference": "Patient/p2"}]), False),
    (_answer([None, {"display": "x"}]), True),
    ({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "MeasureReport",
                                                                              "subject": {"reference": "Patient/x"}}}]},
     True),
    ({"resourceType": "Bundle", "type": "collection"}, True),
    (_answer([{"reference": "Patient/p2"}], full_url=None), None),
    (_answer([{"reference": "Patient/p1"}], pid=None), None),
    (_answer([{"_reference": EXT}]), None),
]


@pytest.mark.parametrize("bundle, decided", ANSWERS, ids=[f"answer-{i}" for i in range(len(ANSWERS))])
def test_one_patient_twin_equals_its_fhirpath(bundle, decided):
    from ra_conformance.ig import SD
    from ra_conformance.ig.versions import ruleset
    from ra_conformance.validation.invariants import _evaluate, check
    from ra_conformance.validation.native import NATIVE as RA_NATIVE

    inv = next(i for i in ruleset("2.1.0").profiles[SD + "ra-measurereport-bundle"].invariants if i.key == "REQ-134")
    assert inv.native == "reports_for_the_patient"
    fhirpath = _evaluate(inv.expression, bundle, bundle)  # as the validator runs it (an error is not a failure)
    assert RA_NATIVE[inv.native](bundle, bundle) is decided
    if decided is not None:
        assert decided == fhirpath
    assert check(inv, bundle, bundle) == fhirpath


def test_one_patient_twin_agrees_on_every_bundle_of_the_kit_and_the_ig_examples(request):
    from ra_conformance.ig import SD
    from ra_conformance.ig.versions import ruleset
    from ra_conformance.validation.invariants import _evaluate
    from ra_conformance.validation.native import NATIVE as RA_NATIVE

    shared = request.getfixturevalue("shared_ig") if (Path(__file__).resolve().parents[3] / "shared").is_dir() \
        else None
    inv = next(i for i in ruleset("2.1.0").profiles[SD + "ra-measurereport-bundle"].invariants if i.key == "REQ-134")
    bundles = [r for _, r in _corpus(shared) if r.get("resourceType") == "Bundle"]
    assert bundles
    for bundle in bundles:
        native = RA_NATIVE[inv.native](bundle, bundle)
        assert native is None or native == _evaluate(inv.expression, bundle, bundle)


# -- ra-1 (day precision of MeasureReport.period, REQ-107): validation/native.py's twins ----------------
PERIODS: list[tuple[dict[str, Any], bool | None]] = [
    ({"start": "2024-01-01", "end": "2024-12-31"}, True),
    ({"start": "2024-01-01T00:00:00Z", "end": "2024-12-31T23:59:59-05:00"}, True),
    ({"start": "2024-01", "end": "2024-12-31"}, False),
    ({"start": "2024-01-01", "end": "2024"}, False),
    ({"start": "2024-01-01"}, True),
    ({"end": "2024-12"}, False),
    ({}, True),
    ({"start": "2024-01-01", "_end": EXT}, None),
    ({"start": 2024, "end": "2024-12-31"}, None),
]


@pytest.mark.parametrize("version", ["stu1", "2.1.0", "stu3-ballot"])
@pytest.mark.parametrize("period, decided", PERIODS, ids=[f"period-{i}" for i in range(len(PERIODS))])
def test_ra_1_twins_equal_their_fhirpath(version, period, decided):
    from ra_conformance.ig import SD
    from ra_conformance.ig.versions import ruleset
    from ra_conformance.validation.invariants import _evaluate, check
    from ra_conformance.validation.native import NATIVE as RA_NATIVE

    inv = next(i for i in ruleset(version).profiles[SD + "ra-measurereport"].invariants if i.key == "ra-1")
    assert inv.native in ("ra1_length", "ra1_pattern")
    report = {"resourceType": "MeasureReport", "period": period}
    fhirpath = _evaluate(inv.expression, period, report)
    assert RA_NATIVE[inv.native](period, report) is decided
    if decided is not None:
        assert decided == fhirpath
    assert check(inv, period, report) == fhirpath
