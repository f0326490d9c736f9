import pytest

from ra_conformance.fhir.operation import parameters_body

from .helpers import answer, bundle, outcome, parameters, patient, report

HOSTILE = [
    b"",
    b"not json",
    b"[]",
    b"null",
    b'"a string"',
    b'{"resourceType": 5}',
    b'{"resourceType": "Bundle"}',
    b'{"resourceType": "Parameters", "parameter": {"name": "return"}}',
    b'{"resourceType": "Parameters", "parameter": [1, null, "x"]}',
    b'{"resourceType": "Parameters", "parameter": [{"name": "return", "resource": []}]}',
    b'{"resourceType": "Parameters", "parameter": [{"name": "return", "resource": {"resourceType": "Bundle", "entry": "x"}}]}',
    b'{"resourceType": "Parameters", "parameter": [{"name": "return", "resource": {"resourceType": "Bundle", "entry": [null, {"resource": 3}]}}]}',
    b'{"resourceType": "Parameters", "parameter": [{"name": "outcome", "resource": {"resourceType": "Patient"}}]}',
    b'{"resourceType": "Parameters", "parameter": [{"name": 7}]}',
]


@pytest.mark.parametrize("body", HOSTILE)
def test_parser_never_raises_on_hostile_bodies(body):
    parsed = answer(body)
    assert parsed.problems or parsed.returns or parsed.outcomes is not None


def test_parameters_answer_is_split_per_patient():
    p1, p2 = patient("a"), patient("b")
    body = parameters(("return", bundle(p1, report("r1", "a"))), ("return", bundle(p2)), ("outcome", outcome("Patient/zz")))
    parsed = answer(body)
    assert not parsed.problems
    assert [b.patient_ref for b in parsed.returns] == ["Patient/a", "Patient/b"]
    assert parsed.returns[0].report_keys() == ["MeasureReport/r1"]
    assert len(parsed.outcomes) == 1


def test_unexpected_parameter_name_is_a_problem():
    parsed = answer(parameters(("result", bundle(patient("a")))))
    assert any("unexpected name" in p for p in parsed.problems)


def test_parameters_body_types_dates_and_subject():
    body = parameters_body([("subject", "Patient/a"), ("periodStart", "2024-01-01")])
    assert body["parameter"] == [{"name": "subject", "valueString": "Patient/a"}, {"name": "periodStart", "valueDate": "2024-01-01"}]
