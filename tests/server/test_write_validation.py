"""serve --write-validation: strict refuses (422), warn stores and says what is wrong (2xx + OperationOutcome),
off only checks the shape. The data: an STU1 report citing evidence for two groups (two ra-groupReference on one
evaluatedResource, as connectathon data does; STU1 allows one)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ra_conformance.kit.versions import variant_resources
from ra_conformance.server.app import create_app
from ra_conformance.server.incoming import validator_check
from ra_conformance.server.store import Store
from ra_conformance.server.write_validation import WriteValidationError, write_policy

GROUP_REF = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/ra-groupReference"


def two_group_report() -> dict[str, Any]:
    report = copy.deepcopy(next(r for r in variant_resources("stu1") if r["id"] == "rac-mr-p01-v24"))  # an RA report
    report["id"] = "rac-two-groups"
    cited = report["evaluatedResource"][0]
    cited["extension"] = [{"url": GROUP_REF, "valueString": g.get("id", "g")} for g in report["group"][:1]] * 2
    return report


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    from starlette.testclient import TestClient

    with Store(tmp_path / "data") as store:
        def make(mode: str) -> TestClient:
            app = create_app(store, check_incoming=write_policy(validator_check("stu1"), mode), ig_version="stu1")
            return TestClient(app, raise_server_exceptions=False)

        yield make


def test_strict_refuses_with_422(client):
    c = client("strict")
    assert c.put("/MeasureReport/rac-two-groups", json=two_group_report()).status_code == 422
    assert c.get("/MeasureReport/rac-two-groups").status_code == 404


def test_warn_stores_and_returns_the_issues(client):
    c = client("warn")
    resp = c.put("/MeasureReport/rac-two-groups", json=two_group_report())
    body = resp.json()
    assert resp.status_code == 201 and body["resourceType"] == "OperationOutcome"
    assert any("ra-groupReference" in i["diagnostics"] and i["severity"] == "warning" for i in body["issue"])
    assert resp.headers["location"].endswith("/MeasureReport/rac-two-groups/_history/1")
    assert c.get("/MeasureReport/rac-two-groups").json()["evaluatedResource"][0]["extension"][1]["url"] == GROUP_REF


def test_warn_in_a_transaction_puts_the_issues_in_the_entry_outcome(client):
    c = client("warn")
    report = two_group_report()
    report.pop("id")
    bundle = {"resourceType": "Bundle", "type": "transaction",
              "entry": [{"fullUrl": "urn:uuid:0f2e3a4b-1111-4222-8333-444455556666", "resource": report,
                         "request": {"method": "POST", "url": "MeasureReport"}}]}
    resp = c.post("/", json=bundle)
    entry = resp.json()["entry"][0]["response"]
    assert resp.status_code == 200 and entry["status"].startswith("201")
    assert "ra-groupReference" in str(entry["outcome"])


def test_valid_data_is_answered_as_usual_in_warn_mode(client):
    c = client("warn")
    report = {**two_group_report(), "id": "rac-one-group"}
    report["evaluatedResource"][0]["extension"] = report["evaluatedResource"][0]["extension"][:1]
    assert c.put("/MeasureReport/rac-one-group", json=report).json()["resourceType"] == "MeasureReport"


def test_off_checks_only_the_shape(client):
    c = client("off")
    assert c.put("/MeasureReport/rac-two-groups", json=two_group_report()).json()["resourceType"] == "MeasureReport"
    assert c.put("/MeasureReport/bad", json={"resourceType": "MeasureReport", "id": "other"}).status_code == 400


def test_shape_errors_refuse_in_warn_mode(client):
    assert client("warn").post("/Patient", json={"resourceType": "Patient", "meta": "not an object"}).status_code == 422


def test_unknown_mode_is_refused():
    with pytest.raises(WriteValidationError, match="strict, warn, off"):
        write_policy(validator_check("stu1"), "lenient")
