"""Base structure tables, primitive forms, and the native twins of FHIRPath rules (proven equal)."""

from __future__ import annotations

import copy

import pytest
from fhirpathpy import compile as fp_compile
from fhirpathpy.models import models

from ra_conformance.ig.versions import UnknownVersion, ruleset
from ra_conformance.validation import tables
from ra_conformance.validation.native import NATIVE
from ra_conformance.validation.primitives import check_primitive
from ra_conformance.validation.structure import WalkContext, walk_resource

from .validation_samples import CS, SD, cc, ext, report_s1, report_v21


def test_tables_use_r4_extension_value_types_not_r4b():
    ext_types = tables.load()["types"]["Extension"]
    assert "valueMeta" in ext_types
    assert "valueCodeableReference" not in ext_types and "valueRatioRange" not in ext_types


@pytest.mark.parametrize("kind, good, bad", [
    ("date", ["2021", "2021-02", "2024-02-29"], ["2021-2", "2023-02-29", "21-01-01", "", 2021]),
    ("dateTime", ["2021-01-01T10:00:00Z", "2021-01-01T10:00:00.123+05:30", "2021"],
     ["2021-01-01T10:00Z", "2021-01-01T10:00:00", "2021-01-01 10:00:00Z"]),
    ("instant", ["2021-01-01T10:00:00Z"], ["2021-01-01", "2021-01-01T10:00:00"]),
    ("uri", ["http://x.org/a", "urn:uuid:1"], ["http://x.org/a b", ""]),
    ("code", ["a-b", "a b"], [" a", "a  b", ""]),
    ("id", ["abc-1.2", "a" * 64], ["a" * 65, "a_b", "a b"]),
    ("boolean", [True, False], ["true", 1, None]),
    ("integer", [0, -5, 2**31 - 1], [2**31, 1.0, "3", True]),
    ("positiveInt", [1], [0, -1]),
    ("unsignedInt", [0], [-1]),
    ("decimal", [1, 1.5], ["1.5", False]),
    ("string", ["x", " "], ["", 3]),
])
def test_primitive_forms(kind, good, bad):
    assert all(check_primitive(kind, v) is None for v in good)
    assert all(check_primitive(kind, v) is not None for v in bad)


EXTENSIONS = [
    {"url": "a", "valueString": "x"},
    {"url": "a", "extension": [{"url": "b", "valueString": "y"}]},
    {"url": "a"},
    {"url": "a", "valueString": "x", "extension": [{"url": "b", "valueString": "y"}]},
    {"url": "a", "valueCodeableConcept": {"text": "t"}},
]


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_native_ext_1_equals_its_fhirpath(extension):
    """structure.py checks ext-1 natively; the R4 expression must agree."""
    resource = {"resourceType": "Basic", "id": "b", "code": {"text": "t"}, "extension": [extension]}
    expected = fp_compile("Basic.extension.all(extension.exists() != value.exists())", models["r4"])(resource)
    ctx = WalkContext()
    walk_resource(resource, "", ctx)
    assert ("ext-1" not in {i.rule for i in ctx.issues}) == expected[0]


def _variants_for_native():
    report = report_v21()
    dangling = copy.deepcopy(report)
    dangling["evaluatedResource"][0]["extension"][0]["valueString"] = "nope"
    net_new_open = copy.deepcopy(report)
    net_new_open["group"][1]["extension"][0]["valueCodeableConcept"] = cc(CS + "cc-type", "net-new")
    net_new_closed = copy.deepcopy(report)
    net_new_closed["group"][0]["extension"][0]["valueCodeableConcept"] = cc(CS + "cc-type", "net-new")
    s1 = report_s1()
    s1_open = copy.deepcopy(s1)
    s1_open["group"][0]["extension"] = [ext("suspectType", valueCodeableConcept=cc(CS + "suspect-type", "net-new")),
                                        ext("evidenceStatus", valueCodeableConcept=cc(CS + "evidence-status",
                                                                                      "open-gap"))]
    return [("2.1.0", report), ("2.1.0", dangling), ("2.1.0", net_new_open), ("2.1.0", net_new_closed),
            ("stu1", s1), ("stu1", s1_open)]


@pytest.mark.parametrize("version, report", _variants_for_native())
def test_native_twins_equal_their_fhirpath(version, report):
    profile = ruleset(version).profiles[SD + "ra-measurereport"]
    natives = [inv for inv in profile.invariants if inv.native]
    assert {inv.key for inv in natives} == {"ra-1", "REQ-120", "REQ-121"}
    for inv in natives:
        nodes = {"MeasureReport": [report], "MeasureReport.period": [report["period"]]}.get(inv.context,
                                                                                         report["group"])
        for node in nodes:
            fhirpath = fp_compile(inv.expression, models["r4"])(node, {"resource": report})
            assert NATIVE[inv.native](node, report) == (fhirpath != [False]), inv.key


def test_native_twins_can_disagree_detection():
    """The equivalence test above would catch a wrong twin: a broken twin differs on a known case."""
    _, dangling = _variants_for_native()[1]
    assert NATIVE["group_references_resolve"](dangling, dangling) is False


def test_unknown_version_is_refused():
    with pytest.raises(UnknownVersion):
        ruleset("9.9.9")
