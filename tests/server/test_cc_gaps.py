"""The coding-gap operation's semantics (RA-SPEC §1.2): parameters, outcome matrix, overlap, bundle assembly."""

from __future__ import annotations

from typing import Any

import pytest

from ra_conformance.server import cc_gaps
from ra_conformance.server.errors import FhirError
from ra_conformance.server.store import Store

from .server_world import BASE, outcomes, refs, report, returns


def ask(store: Store, subject: str, start: str = "2024-01-01", end: str = "2024-12-31") -> dict[str, Any]:
    req = cc_gaps.parse_query([("subject", subject), ("periodStart", start), ("periodEnd", end)])
    return cc_gaps.evaluate(store, req, base=BASE)


# -- parameters ---------------------------------------------------------------------------------------


def test_query_parameters_are_parsed_into_an_inclusive_day_window() -> None:
    req = cc_gaps.parse_query([("periodStart", "2024-02"), ("periodEnd", "2024"), ("subject", "Group/g1"),
                               ("_format", "json")])
    assert (req.subject, str(req.window.first), str(req.window.last)) == ("Group/g1", "2024-02-01", "2024-12-31")


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        ([("periodEnd", "2024-12-31"), ("subject", "Patient/p1")], "periodStart"),
        ([("periodStart", "2024-01-01"), ("subject", "Patient/p1")], "periodEnd"),
        ([("periodStart", "2024-01-01"), ("periodEnd", "2024-12-31")], "subject"),
        ([("periodStart", "2024-13-01"), ("periodEnd", "2024-12-31"), ("subject", "Patient/p1")], "periodStart"),
        ([("periodStart", "2023-02-29"), ("periodEnd", "2024-12-31"), ("subject", "Patient/p1")], "calendar"),
        ([("periodStart", "2024-01-01T00:00:00Z"), ("periodEnd", "2024-12-31"), ("subject", "Patient/p1")], "date"),
        ([("periodStart", ""), ("periodEnd", "2024-12-31"), ("subject", "Patient/p1")], "periodStart"),
        ([("periodStart", "2024-01-01"), ("periodEnd", "2023-12-31"), ("subject", "Patient/p1")], "before"),
        ([("periodStart", "2024-01-01"), ("periodEnd", "2024-12-31"), ("subject", "p1")], "bare id"),
        ([("periodStart", "2024-01-01"), ("periodEnd", "2024-12-31"), ("subject", "Practitioner/x")], "Patient/<id>"),
        ([("periodStart", "2024-01-01"), ("periodEnd", "2024-12-31"), ("subject", f"{BASE}/Patient/p1")], "Patient/<id>"),
        ([("periodStart", "2024-01-01"), ("periodEnd", "2024-12-31"), ("subject", "Patient/a b")], "Patient/<id>"),
        ([("periodStart", "2024-01-01"), ("periodStart", "2024-01-02"), ("periodEnd", "2024-12-31"),
          ("subject", "Patient/p1")], "allowed once"),
    ],
)
def test_bad_query_parameters_are_a_400_operation_outcome(items: list[tuple[str, str]], fragment: str) -> None:
    with pytest.raises(FhirError) as err:
        cc_gaps.parse_query(items)
    assert err.value.status == 400
    assert fragment in err.value.outcome["issue"][0]["diagnostics"]


def test_equal_start_and_end_is_a_valid_one_day_window() -> None:
    req = cc_gaps.parse_query([("periodStart", "2024-03-01"), ("periodEnd", "2024-03-01"), ("subject", "Patient/p")])
    assert req.window.first == req.window.last


def _parameters(*params: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": list(params)}


def test_post_parameters_accept_value_date_string_and_reference() -> None:
    body = _parameters({"name": "periodStart", "valueDate": "2024-01-01"},
                       {"name": "periodEnd", "valueString": "2024-12-31"},
                       {"name": "subject", "valueReference": {"reference": "Patient/p1"}},
                       {"name": "somethingElse", "valueBoolean": True})
    req = cc_gaps.parse_parameters(body)
    assert (req.subject, req.period_start, req.period_end) == ("Patient/p1", "2024-01-01", "2024-12-31")


@pytest.mark.parametrize(
    "body",
    [
        {"resourceType": "Patient"},
        [],
        _parameters({"name": "periodStart", "valueDate": "2024-01-01"}, {"name": "periodEnd", "valueDate": "2024"}),
        _parameters({"name": "periodStart", "valueInteger": 2024}, {"name": "periodEnd", "valueDate": "2024"},
                    {"name": "subject", "valueString": "Patient/p1"}),
        _parameters({"name": "periodStart", "valueDate": "2024"}, {"name": "periodStart", "valueDate": "2024"},
                    {"name": "periodEnd", "valueDate": "2024"}, {"name": "subject", "valueString": "Patient/p1"}),
        _parameters({"value": 1}),
        {"resourceType": "Parameters", "parameter": {"name": "subject"}},
    ],
)
def test_bad_parameters_bodies_are_a_400(body: Any) -> None:
    with pytest.raises(FhirError) as err:
        cc_gaps.parse_parameters(body)
    assert err.value.status == 400 and err.value.outcome["resourceType"] == "OperationOutcome"


# -- outcome matrix -----------------------------------------------------------------------------------


def test_patient_with_overlapping_reports_gets_patient_reports_and_evidence_each_once(store: Store) -> None:
    answer = ask(store, "Patient/p1")
    assert returns(answer) == {"Patient/p1": [
        "Patient/p1", "MeasureReport/r1", "MeasureReport/r2",
        "Condition/c1", "Encounter/e1", "Condition/c2", "Condition/c3",  # c1 via _history, c3 via absolute URL
    ]}
    assert outcomes(answer) == []


def test_bundle_is_a_collection_with_absolute_full_urls_an_id_and_a_timestamp(store: Store) -> None:
    bundle = ask(store, "Patient/p1")["parameter"][0]["resource"]
    assert bundle["type"] == "collection" and bundle["id"] and bundle["timestamp"]
    for entry in bundle["entry"]:
        r = entry["resource"]
        assert entry["fullUrl"] == f"{BASE}/{r['resourceType']}/{r['id']}"
    assert len({e["fullUrl"] for e in bundle["entry"]}) == len(bundle["entry"])


def test_non_ra_reports_are_never_returned(store: Store) -> None:
    assert "MeasureReport/nonra" not in returns(ask(store, "Patient/p1", "2020", "2030"))["Patient/p1"]


def test_known_patient_without_matching_report_gets_a_patient_only_bundle(store: Store) -> None:
    assert [p["name"] for p in ask(store, "Patient/p3")["parameter"]] == ["return"]
    assert returns(ask(store, "Patient/p3")) == {"Patient/p3": ["Patient/p3"]}
    assert returns(ask(store, "Patient/p1", "2022", "2022")) == {"Patient/p1": ["Patient/p1"]}


def test_unknown_patient_gets_one_outcome_naming_it(store: Store) -> None:
    answer = ask(store, "Patient/nobody")
    assert [p["name"] for p in answer["parameter"]] == ["outcome"]
    issue = answer["parameter"][0]["resource"]["issue"][0]
    assert issue["severity"] == "error" and issue["code"] == "not-found"
    assert "Patient/nobody" in issue["diagnostics"] and "Patient/nobody" in issue["details"]["text"]


@pytest.mark.parametrize("subject", ["Group/unknown", "Group/ghosts"])
def test_unknown_group_or_group_without_known_member_gets_one_outcome_naming_the_group(store: Store,
                                                                                       subject: str) -> None:
    answer = ask(store, subject)
    assert [p["name"] for p in answer["parameter"]] == ["outcome"]
    assert subject in outcomes(answer)[0]


def test_group_gets_a_bundle_per_known_member_and_an_outcome_per_unknown_member(store: Store) -> None:
    answer = ask(store, "Group/g1")
    assert [p["name"] for p in answer["parameter"]] == ["return", "return", "outcome"]
    got = returns(answer)
    assert got["Patient/p3"] == ["Patient/p3"]
    assert got["Patient/p1"][:3] == ["Patient/p1", "MeasureReport/r1", "MeasureReport/r2"]
    assert len(outcomes(answer)) == 1 and "Patient/missing" in outcomes(answer)[0]


def test_group_member_bundles_hold_only_that_members_reports(store: Store) -> None:
    got = returns(ask(store, "Group/g2"))
    assert got == {"Patient/p2": ["Patient/p2", "MeasureReport/r4", "Condition/c4"]}


def test_duplicate_group_members_yield_one_bundle(store: Store) -> None:
    store.put({"resourceType": "Group", "id": "dup", "member": [
        {"entity": {"reference": "Patient/p3"}}, {"entity": {"reference": f"{BASE}/Patient/p3"}}, {}]})
    answer = ask(store, "Group/dup")
    assert [p["name"] for p in answer["parameter"]] == ["return", "outcome"]


# -- overlap ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-06-30", "2024-06-30", ["r1"]),  # r1 ends that day
        ("2024-07-01", "2024-07-01", ["r2"]),  # r2 starts that day
        ("2024-06-30", "2024-07-01", ["r1", "r2"]),
        ("2023-12-31", "2024-01-01", ["r3", "r1"]),  # touching both
        ("2022-01-01", "2022-12-31", []),
        ("2025-01-01", "2025-12-31", []),
        ("2023", "2023", ["r3"]),
        ("2024-06", "2024-07", ["r1", "r2"]),
        ("2000", "2100", ["r3", "r1", "r2"]),
    ],
)
def test_overlap_is_inclusive_by_calendar_day_with_partial_dates(store: Store, start: str, end: str,
                                                                 expected: list[str]) -> None:
    got = [r.split("/")[1] for r in returns(ask(store, "Patient/p1", start, end))["Patient/p1"]
           if r.startswith("MeasureReport/")]
    assert got == expected


@pytest.mark.parametrize(("start", "end", "match"), [("2023-12-31", "2023-12-31", True),
                                                      ("2024-01-01", "2024-01-31", False),
                                                      ("2023-11-01", "2023-11-01", True)])
def test_datetime_periods_compare_by_their_own_date_part(store: Store, start: str, end: str, match: bool) -> None:
    got = returns(ask(store, "Patient/p2", start, end))["Patient/p2"]
    assert ("MeasureReport/r5" in got) is match


def test_report_without_readable_period_does_not_match(store: Store) -> None:
    bad = report("bad", "p3", "2024-01-01", "2024-12-31")
    bad["period"] = {"start": "2024-01-01"}
    store.put(bad)
    store.put(report("worse", "p3", "2024-01-01", "not a date"))
    assert returns(ask(store, "Patient/p3", "2000", "2100")) == {"Patient/p3": ["Patient/p3"]}


def test_cited_refs_normalise_local_references_and_skip_foreign_ones() -> None:
    report = {"evaluatedResource": [{"reference": "Condition/a"}, {"reference": f"{BASE}/Condition/b/_history/2"},
                                    {"reference": "http://elsewhere.org/fhir/Condition/c"},
                                    {"reference": "urn:uuid:0b5b7f0e-0000-4000-8000-000000000000"},
                                    {"reference": "#contained"}, {"display": "no reference"}, "junk"]}
    assert cc_gaps.cited_refs(report, BASE) == ["Condition/a", "Condition/b"]


def test_patient_bundle_puts_the_patient_first_even_when_cited(store: Store) -> None:
    bundle = ask(store, "Patient/p1", "2024-01-01", "2024-01-31")["parameter"][0]["resource"]
    assert refs(bundle) == ["Patient/p1", "MeasureReport/r1", "Condition/c1", "Encounter/e1"]
