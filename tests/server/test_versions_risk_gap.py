"""The reference server's `$risk-gap` (STU3 ballot) over the kit: every kit case, and the error answers."""

from __future__ import annotations

import pytest

from ra_conformance.fhir.risk_gap import CONTEXT_ID_HEADER, context_ids, request_body
from ra_conformance.server.risk_gap import filter_groups

SD = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/"


def _post(c, body, **headers):
    return c.post("/MeasureReport/$risk-gap", json=body, headers=headers)


def _reports(bundle):
    return sorted(f"MeasureReport/{e['resource']['id']}" for e in bundle.get("entry", [])
                  if e["resource"]["resourceType"] == "MeasureReport")


def _codes(group, name):
    return {e["valueCodeableConcept"]["coding"][0]["code"] for e in group["extension"] if e["url"] == SD + name}


def test_every_kit_case_returns_its_expected_reports(server, expectations):
    c = server("stu3-ballot")
    for case in expectations.risk_gap_cases:
        r = _post(c, request_body(case, expectations.resources))
        assert r.status_code == 200, (case.id, r.text)
        assert _reports(r.json()) == sorted(case.scenario.returns[case.scenario.subject]), case.id


def test_expected_reports_follow_from_the_filter_rule(expectations, kit_resources):
    """The hand-written expectations equal the ⚑ rule (OR within a filter, AND across) applied to the kit."""
    from ra_conformance.dates import period_overlaps, window

    reports = [r for r in kit_resources if f"MeasureReport/{r['id']}" in expectations.reports]  # RA reports only
    for case in expectations.risk_gap_cases:
        s = case.scenario
        got = sorted(f"MeasureReport/{r['id']}" for r in reports if r["subject"]["reference"] == s.subject
                     and period_overlaps(r["period"], window(s.period_start, s.period_end))
                     and filter_groups(r, frozenset(case.cc_type), frozenset(case.evidence_status)) is not None)
        assert got == sorted(s.returns[s.subject]), case.id


def test_filtered_reports_keep_only_matching_groups_and_their_evidence(server, expectations):
    case = expectations.risk_gap_case("rg-cc-type-suspected")
    body = _post(server("stu3-ballot"), request_body(case, expectations.resources)).json()
    for e in body["entry"]:
        mr = e["resource"]
        if mr["resourceType"] == "MeasureReport":
            assert all(_codes(g, "ra-ccType") == {"suspected"} for g in mr["group"])
            ids = {g["id"] for g in mr["group"]}
            assert all(x["valueString"] in ids for er in mr["evaluatedResource"] for x in er["extension"])
    keys = [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in body["entry"]]
    assert len(keys) == len(set(keys)) and "Patient/rac-p02" in keys


def test_context_id_is_echoed_only_when_it_is_a_valid_id(server, expectations):
    c, body = server("stu3-ballot"), request_body(expectations.risk_gap_case("rg-no-filter"), expectations.resources)
    reports = [e["resource"] for e in _post(c, body, **{CONTEXT_ID_HEADER: "gap-request-id-123"}).json()["entry"]
               if e["resource"]["resourceType"] == "MeasureReport"]
    assert reports and all(context_ids(r) == ["gap-request-id-123"] for r in reports)
    bad = _post(c, body, **{CONTEXT_ID_HEADER: "not an id!"}).json()
    assert "ra-contextId" not in str(bad)


@pytest.mark.parametrize("missing", ["periodStart", "periodEnd", "subject", "coverage", "data"])
def test_missing_required_parameter_is_a_400(server, expectations, missing):
    body = request_body(expectations.risk_gap_case("rg-no-filter"), expectations.resources, omit=(missing,))
    r = _post(server("stu3-ballot"), body)
    assert r.status_code == 400 and missing in r.text and r.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("change, status", [
    ({"subject": "Patient/rac-p-unknown"}, 422),  # neither in data nor on the server
    ({"coverage": "Coverage/rac-cov-p02"}, 422),  # the coverage of another member
    ({"coverage": "Coverage/nowhere"}, 422),
    ({"subject": "not a reference"}, 422),
])
def test_unresolvable_or_mismatched_references_are_rejected(server, expectations, change, status):
    body = request_body(expectations.risk_gap_case("rg-no-filter"), expectations.resources)
    for p in body["parameter"]:
        if p["name"] in change:
            p["valueReference"] = {"reference": change[p["name"]]}
    r = _post(server("stu3-ballot"), body)
    assert r.status_code == status and r.json()["resourceType"] == "OperationOutcome", r.text


@pytest.mark.parametrize("body", [
    {"resourceType": "Patient"}, {"resourceType": "Parameters", "parameter": [{"value": 1}]},
    {"resourceType": "Parameters", "parameter": [{"name": "ccType", "valueInteger": 1}]},
    {"resourceType": "Parameters", "parameter": [{"name": "periodStart", "valueDate": "x"}] * 2},
    {"resourceType": "Parameters", "parameter": [{"name": "periodStart", "valueDate": 2024}]},
    {"resourceType": "Parameters", "parameter": [{"name": "data", "resource": {"resourceType": "Patient"}}]},
])
def test_malformed_bodies_get_400(server, body):
    r = _post(server("stu3-ballot"), body)
    assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome"


def test_bad_dates_and_reversed_window_get_400(server, expectations):
    case = expectations.risk_gap_case("rg-no-filter")
    for start, end in (("2024-13-01", "2024-12-31"), ("2024-12-31", "2024-01-01")):
        body = request_body(case, expectations.resources)
        body["parameter"][0]["valueDate"], body["parameter"][1]["valueDate"] = start, end
        assert _post(server("stu3-ballot"), body).status_code == 400


def test_get_is_not_allowed(server):
    r = server("stu3-ballot").get("/MeasureReport/$risk-gap")
    assert r.status_code == 405 and r.headers["allow"] == "POST"


def _junk_variants(body):
    """The valid body with one parameter's value replaced by odd JSON of every kind."""
    for n in range(len(body["parameter"])):
        for junk in (None, 1, "x", [], {}, {"reference": {"a": 1}}, {"reference": 7}, [{"x": 1}], {"entry": 5},
                     {"resourceType": "Bundle", "entry": [1, {"resource": {"resourceType": "Patient", "id": ["x"]}}]}):
            for key in ("valueDate", "valueReference", "valueCode", "resource"):
                variant = {**body, "parameter": [dict(p) for p in body["parameter"]]}
                variant["parameter"][n] = {"name": body["parameter"][n]["name"], key: junk}
                yield variant


def test_odd_values_never_get_a_5xx(server, expectations):
    c = server("stu3-ballot")
    body = request_body(expectations.risk_gap_case("rg-cc-type-suspected"), expectations.resources)
    statuses = {_post(c, variant).status_code for variant in _junk_variants(body)}
    assert statuses and max(statuses) < 500, statuses


def test_odd_stored_reports_never_get_a_5xx(server, kit_store, expectations):
    store = kit_store("stu3-ballot")
    odd = {"resourceType": "MeasureReport", "id": "rac-odd", "meta": {"profile": [SD + "ra-measurereport"]},
           "subject": {"reference": "Patient/rac-p04"}, "period": {"start": "2024-01-01", "end": "2024-12-31"},
           "group": [1, {"extension": [{"url": SD + "ra-ccType", "valueCodeableConcept": {"coding": [5]}}]}],
           "evaluatedResource": [{"extension": [{"url": SD + "ra-groupReference", "valueString": {"x": 1}}]}, 3]}
    store.put(odd)
    try:
        case = expectations.risk_gap_case("rg-no-reports")
        for codes in ((), ("suspected",)):
            body = request_body(case, expectations.resources)
            body["parameter"] += [{"name": "ccType", "valueCode": c} for c in codes]
            assert _post(server("stu3-ballot"), body).status_code == 200
    finally:
        store.delete("MeasureReport", "rac-odd")
