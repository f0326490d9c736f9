"""The real fixture kit through the real server: every scenario and overlap case answers as expected."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ra_conformance import jsonio, kit
from ra_conformance.server import EmbeddedServer
from ra_conformance.server.ingest import load_paths

KIT = kit.default_kit_dir()
if not (KIT / "expectations.json").is_file():
    pytest.skip(f"no fixture kit expectations at {KIT}", allow_module_level=True)

EXPECT = kit.load_expectations(KIT)
CASES = list(EXPECT.scenarios.values()) + EXPECT.overlap_cases


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(load=[KIT]) as srv:
        yield srv


def _ask(srv: EmbeddedServer, case: kit.Scenario, method: str) -> httpx.Response:
    url = f"{srv.base_url}/MeasureReport/$cc-gaps"
    if method == "GET":
        return httpx.get(url, params={"subject": case.subject, "periodStart": case.period_start,
                                      "periodEnd": case.period_end})
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "periodStart", "valueDate": case.period_start}, {"name": "periodEnd", "valueDate": case.period_end},
        {"name": "subject", "valueString": case.subject}]}
    return httpx.post(url, content=jsonio.dumps(body), headers={"Content-Type": "application/fhir+json"})


def check_answer(parameters: dict[str, Any], case: kit.Scenario) -> None:
    got_returns: dict[str, list[str]] = {}
    got_outcomes: list[str] = []
    for p in parameters["parameter"]:
        if p["name"] == "outcome":
            got_outcomes.append(p["resource"]["issue"][0]["diagnostics"])
            continue
        bundle = p["resource"]
        assert p["name"] == "return" and bundle["type"] == "collection"
        entries = [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]]
        assert len(entries) == len(set(entries)) == len({e["fullUrl"] for e in bundle["entry"]})
        patients = [r for r in entries if r.startswith("Patient/")]
        assert entries[0] == patients[0] and len(patients) == 1
        got_returns[patients[0]] = entries
    assert set(got_returns) == set(case.returns)
    for pref, reports in case.returns.items():
        entries = got_returns[pref]
        assert sorted(r for r in entries if r.startswith("MeasureReport/")) == sorted(reports)
        expected = {pref, *reports, *EXPECT.evidence_for(reports)}
        assert set(entries) == expected
    assert len(got_outcomes) == len(case.outcomes)
    for ref in case.outcomes:
        assert any(ref in text for text in got_outcomes), ref


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_kit_case_answers_as_expected(server: EmbeddedServer, case: kit.Scenario, method: str) -> None:
    r = _ask(server, case, method)
    assert r.status_code == 200 and r.headers["content-type"] == "application/fhir+json; charset=utf-8"
    check_answer(r.json(), case)


def test_kit_transaction_bundle_loads_over_http_into_an_empty_server() -> None:
    tx = KIT / "transaction.json"
    if not tx.is_file():
        pytest.skip(f"no {tx}")
    with EmbeddedServer() as srv:
        r = httpx.post(f"{srv.base_url}/", content=tx.read_bytes(), headers={"Content-Type": "application/fhir+json"})
        assert r.status_code == 200, r.text
        case = EXPECT.scenario("patient-with-reports")
        check_answer(_ask(srv, case, "GET").json(), case)
        assert srv.store is not None and srv.store.count() == len(list(kit.iter_resources(KIT)))


SEMANTIC_FAULTS = ["ignore-period", "exclusive-boundaries", "omit-patient-entry", "wrong-bundle-type",
                   "unknown-patient-empty-bundle", "drop-unknown-members", "leak-other-patient-report",
                   "omit-cited-resources", "duplicate-report", "duplicate-shared-evidence", "utc-date-normalisation",
                   "outcome-on-no-match", "wrong-parameter-name"]


@pytest.fixture(scope="module")
def kit_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from ra_conformance.server.store import Store

    with Store(tmp_path_factory.mktemp("kit-store")) as store:
        load_paths(store, [KIT])
        yield store


@pytest.mark.parametrize("fault", SEMANTIC_FAULTS)
def test_the_kit_checks_catch_each_semantic_fault(kit_store: Any, fault: str) -> None:
    """Proof that check_answer can fail: with each fault on, some kit case is answered wrongly."""
    from starlette.testclient import TestClient

    from ra_conformance.server.app import create_app

    failures = 0
    with TestClient(create_app(kit_store, faults=[fault])) as client:
        for case in CASES:
            r = client.get("/MeasureReport/$cc-gaps", params={"subject": case.subject,
                                                              "periodStart": case.period_start,
                                                              "periodEnd": case.period_end})
            try:
                check_answer(r.json(), case)
            except (AssertionError, KeyError, IndexError):
                failures += 1
    assert failures > 0
