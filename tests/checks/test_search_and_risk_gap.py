"""The harness side of the search and `$risk-gap` flows: paging, normalisation per patient, and every check able to fail."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ra_conformance.checks import answer as answer_checks
from ra_conformance.checks import risk_gap as rgc
from ra_conformance.checks import search as sc
from ra_conformance.fhir.client import FhirClient
from ra_conformance.fhir.operation import group_by_patient
from ra_conformance.fhir.risk_gap import parse_answer
from ra_conformance.fhir.search import coding_gap_query, fetch_all, to_answer
from ra_conformance.ig import versions
from ra_conformance.kit import RiskGapCase, Scenario

BASE = "http://fhir.test"
RA_CAT = {"url": "http://hl7.org/fhir/StructureDefinition/measurereport-category",
          "valueCodeableConcept": {"coding": [{"code": "ra"}]}}


def mr(rid: str, pid: str, *evidence: str, start: str = "2024-01-01", end: str = "2024-12-31") -> dict[str, Any]:
    return {"resourceType": "MeasureReport", "id": rid, "extension": [RA_CAT], "subject": {"reference": f"Patient/{pid}"},
            "period": {"start": start, "end": end}, "evaluatedResource": [{"reference": e} for e in evidence]}


def res(ref: str) -> dict[str, Any]:
    rtype, rid = ref.split("/")
    return {"resourceType": rtype, "id": rid}


def page(*entries: tuple[dict[str, Any], str], next_url: str | None = None, total: int | None = None,
         btype: str = "searchset") -> dict[str, Any]:
    body: dict[str, Any] = {"resourceType": "Bundle", "type": btype, "link": [{"relation": "self", "url": BASE}]}
    if next_url:
        body["link"].append({"relation": "next", "url": next_url})
    if total is not None:
        body["total"] = total
    body["entry"] = [{"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": m}}
                     for r, m in entries]
    return body


def serving(pages: dict[str, Any]) -> FhirClient:
    """A client whose server answers by the request's `_offset` (absent = first page)."""
    def handler(request: httpx.Request) -> httpx.Response:
        body = pages[request.url.params.get("_offset", "0")]
        if isinstance(body, int):
            return httpx.Response(body, json={"resourceType": "OperationOutcome", "issue": []})
        return httpx.Response(200, content=json.dumps(body).encode(), headers={"Content-Type": "application/fhir+json"})
    return FhirClient(BASE, transport=httpx.MockTransport(handler))


def scenario(**returns: list[str]) -> Scenario:
    return Scenario("s", "s", "Patient/p1", "2024-01-01", "2024-12-31",
                    returns={f"Patient/{k}": [f"MeasureReport/{r}" for r in v] for k, v in returns.items()})


R1, R2 = mr("r1", "p1", "Condition/c1", "Patient/p1"), mr("r2", "p1", "Condition/c1", "Condition/c2")
TWO_PAGES = {"0": page((R1, "match"), (res("Condition/c1"), "include"), (res("Patient/p1"), "include"), next_url=f"{BASE}/MeasureReport?_offset=1", total=2),
             "1": page((R2, "match"), (res("Condition/c1"), "include"), (res("Condition/c2"), "include"), total=2)}


def test_pages_are_followed_and_normalised_per_patient():
    found = fetch_all(serving(TWO_PAGES), "MeasureReport", [])
    assert len(found.pages) == 2 and found.match_keys() == ["MeasureReport/r1", "MeasureReport/r2"]
    answer = to_answer(found, patients=["Patient/p1", "Patient/p9"])
    groups = {b.patient_ref: b for b in answer.returns}
    assert set(groups) == {"Patient/p1", "Patient/p9"} and groups["Patient/p9"].reports == []
    assert groups["Patient/p1"].report_keys() == ["MeasureReport/r1", "MeasureReport/r2"]
    s = scenario(p1=["r1", "r2"], p9=[])
    for check in (answer_checks.expected_reports_present, answer_checks.no_unexpected_reports, sc.only_requested_patients):
        assert check(answer, s) == []
    assert sc.paging_complete(found) == sc.total_agrees(found) == sc.matches_unique(found) == sc.search_modes(found) == []
    assert answer_checks.cited_resources_present(answer) == []  # the cited Patient is included like any evidence
    assert answer_checks.entries_unique(answer)  # Condition/c1 comes with each page: legal across pages only


def test_loop_and_page_cap_are_reported():
    loop = {"0": page((R1, "match"), next_url=f"{BASE}/MeasureReport?_offset=1"),
            "1": page((R2, "match"), next_url=f"{BASE}/MeasureReport?_offset=1")}
    found = fetch_all(serving(loop), "MeasureReport", [])
    assert len(found.pages) == 2 and sc.paging_complete(found)
    endless = {str(n): page((mr(f"r{n}", "p1"), "match"), next_url=f"{BASE}/MeasureReport?_offset={n + 1}") for n in range(10)}
    capped = fetch_all(serving(endless), "MeasureReport", [], max_pages=3)
    assert len(capped.pages) == 3 and "more than 3 pages" in capped.paging_problems[0]


def test_a_next_link_to_another_host_is_not_followed():
    asked = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, json=page((R1, "match"), next_url="http://evil.test/MeasureReport?_offset=1"))

    client = FhirClient(BASE, auth_token="secret", transport=httpx.MockTransport(handler))
    found = fetch_all(client, "MeasureReport", [])
    assert len(asked) == 1 and "leaves the server" in found.paging_problems[0] and sc.paging_complete(found)


def test_a_next_link_of_any_shape_on_the_target_origin_is_followed_with_the_token():
    """A widely used Java server pages with [base]?_getpages=ID&_getpagesoffset=N&_count=M (issue 9)."""
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("authorization")))
        if "_getpages" in request.url.params:
            return httpx.Response(200, json=page((R2, "match"), total=2))
        return httpx.Response(200, json=page((R1, "match"), total=2, next_url=f"{BASE}:80?_getpages=abc&_getpagesoffset=1&_count=1"))

    found = fetch_all(FhirClient(f"{BASE}/fhir", auth_token="secret", transport=httpx.MockTransport(handler)), "MeasureReport", [])
    assert found.match_keys() == ["MeasureReport/r1", "MeasureReport/r2"] and found.paging_problems == []
    assert [auth for _, auth in seen] == ["Bearer secret"] * 2 and "_getpages=abc" in seen[1][0]


def test_a_match_without_search_mode_is_a_warning_an_include_without_one_an_error():
    unflagged = fetch_all(serving({"0": page((R1, "match"))}), "MeasureReport", [])
    del unflagged.pages[0].resource["entry"][0]["search"]
    assert [f.severity for f in sc.search_modes(unflagged)] == ["warning"]
    include = fetch_all(serving({"0": page((R1, "match"), (res("Condition/c1"), "include"))}), "MeasureReport", [])
    del include.pages[0].resource["entry"][1]["search"]
    assert [f.severity for f in sc.search_modes(include)] == ["error"]


def test_a_page_that_is_no_bundle_stops_the_walk():
    found = fetch_all(serving({"0": page((R1, "match"), next_url=f"{BASE}/x?_offset=1"), "1": 500}), "MeasureReport", [])
    assert len(found.pages) == 2 and sc.answered_with_searchset(found)


@pytest.mark.parametrize("name, pages, check", [
    ("dropped page", {"0": page((R1, "match"), total=2)}, sc.total_agrees),
    ("repeated match", {"0": page((R1, "match"), (R1, "match"))}, sc.matches_unique),
    ("include flagged match", {"0": page((R1, "match"), (res("Condition/c1"), "match"))}, sc.search_modes),
    ("report flagged include", {"0": page((R1, "include"))}, sc.search_modes),
    ("collection", {"0": page((R1, "match"), btype="collection")}, sc.answered_with_searchset),
    ("no category", {"0": page(({**R1, "extension": []}, "match"))}, sc.matches_carry_category),
    ("match where none allowed", {"0": page((R1, "match"))}, lambda s: sc.no_matches(s, "REQ-084", "unknown")),
])
def test_search_checks_can_fail(name, pages, check):
    assert check(fetch_all(serving(pages), "MeasureReport", [])), name


def test_content_checks_fail_on_search_answers():
    found = fetch_all(serving({"0": page((R1, "match"), (mr("x", "p2"), "match"))}), "MeasureReport", [])
    answer = to_answer(found, patients=["Patient/p1"])
    assert answer_checks.expected_reports_present(answer, scenario(p1=["r1", "r2"]))
    assert answer_checks.no_unexpected_reports(answer, scenario(p1=[]))
    assert sc.only_requested_patients(answer, scenario(p1=["r1"]))
    assert answer_checks.cited_resources_present(answer)  # Condition/c1 not included


def test_prefix_answer_names_missing_and_extra():
    found = fetch_all(serving({"0": page((R1, "match"))}), "MeasureReport", [])
    assert [f.message.split(": ")[1] for f in sc.prefix_answer(found, {"MeasureReport/r2"}, "period=ge2024")] == [
        "reports the prefix selects are missing", "reports the prefix excludes were returned"]
    assert sc.prefix_answer(found, {"MeasureReport/r1"}, "q") == []


def test_group_by_patient_assigns_shared_evidence_to_each_citing_patient():
    entries = [{"resource": r} for r in (mr("a", "p1", "Condition/c"), mr("b", "p2", "Condition/c"), res("Condition/c"), res("Patient/p2"))]
    groups = {g.patient_ref: g for g in group_by_patient(entries)}
    assert groups["Patient/p1"].entry_keys() == ["MeasureReport/a", "Condition/c"]
    assert groups["Patient/p2"].entry_keys() == ["MeasureReport/b", "Patient/p2", "Condition/c"]
    assert groups["Patient/p2"].patients == [res("Patient/p2")]


def test_query_form_per_version():
    assert ("category", "ra") in coding_gap_query("Patient/x", "2024-01-01", "2024-12-31")
    s1 = coding_gap_query("Patient/x", "2024-01-01", "2024-12-31", category_param=None, count=5)
    assert ("_profile", "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/ra-measurereport") in s1 and ("_count", "5") in s1
    assert versions.get("stu3-ballot").own_retrieval.flow == "risk-gap"
    assert [v.category_param for v in versions.all_versions()] == [None, "category", "category"]


def _rg_answer(body: Any, status: int = 200):
    client = FhirClient(BASE, transport=httpx.MockTransport(lambda r: httpx.Response(status, json=body)))
    return parse_answer(client.post("MeasureReport/$risk-gap", json={}), patients=["Patient/p1"])


def _grouped(rid: str, cc: str, status: str) -> dict[str, Any]:
    sd = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/"
    report = mr(rid, "p1")
    report["group"] = [{"id": "g", "extension": [
        {"url": sd + "ra-ccType", "valueCodeableConcept": {"coding": [{"code": cc}]}},
        {"url": sd + "ra-evidenceStatus", "valueCodeableConcept": {"coding": [{"code": status}]}}]}]
    return report


def test_risk_gap_checks_can_fail():
    case = RiskGapCase(scenario(p1=["r1"]), "Coverage/c", cc_type=("suspected",), evidence_status=("open-gap",))
    good = _rg_answer(page((_grouped("r1", "suspected", "open-gap"), "match"), btype="collection"))
    assert rgc.returns_bundle(good) == rgc.groups_satisfy_filters(good, case) == []
    for cc, status in (("historic", "open-gap"), ("suspected", "closed-gap")):
        bad = _rg_answer(page((_grouped("r1", cc, status), "match"), btype="collection"))
        assert rgc.groups_satisfy_filters(bad, case)
    assert rgc.context_id_echoed(good, "abc")[0].severity == "warning"
    echoed = _grouped("r1", "suspected", "open-gap")
    echoed["extension"].append({"url": "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/ra-contextId", "valueId": "abc"})
    assert rgc.context_id_echoed(_rg_answer(page((echoed, "match"))), "abc") == []
    assert rgc.returns_bundle(_rg_answer({"resourceType": "OperationOutcome", "issue": []}, 400))
    assert rgc.returns_bundle(_rg_answer({"resourceType": "Parameters"}))
