"""Every fault of the catalogue really produces its defect: the probe sees it with the fault on and not without."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

import orjson
import pytest

from ra_conformance.ig import requirements
from ra_conformance.server.faults import FAULTS, FaultSet, UnknownFaultError
from ra_conformance.settings import Settings

from .bulk_probes import BULK_PROBES, manifest
from .server_world import outcomes, patient, report
from .smart_probes import SMART_PROBES

WINDOW = "periodStart=2024-01-01&periodEnd=2024-12-31"
PARAMS_P1 = {"resourceType": "Parameters", "parameter": [
    {"name": "periodStart", "valueDate": "2024-01-01"}, {"name": "periodEnd", "valueDate": "2024-12-31"},
    {"name": "subject", "valueString": "Patient/p1"}]}


def op(c: Any, query: str) -> Any:
    return c.get(f"/MeasureReport/$cc-gaps?{query}")


def answer(c: Any, subject: str, window: str = WINDOW) -> dict[str, Any]:
    r = op(c, f"subject={subject}&{window}")
    return r.json()


def bundles(parameters: dict[str, Any]) -> list[dict[str, Any]]:
    return [p["resource"] for p in parameters.get("parameter", []) if p["name"] in ("return", "result")]


def p1_refs(c: Any, window: str = WINDOW) -> list[str]:
    b = bundles(answer(c, "Patient/p1", window))[0]
    return [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in b.get("entry", [])]


# fault -> probe(client) that is True exactly when the defect shows
PROBES: dict[str, Callable[[Any], bool]] = {
    "ignore-period": lambda c: "MeasureReport/r3" in p1_refs(c),
    "exclusive-boundaries": lambda c: "MeasureReport/r1" not in p1_refs(c, "periodStart=2024-06-30&periodEnd=2024-07-01"),
    "omit-patient-entry": lambda c: "Patient/p1" not in p1_refs(c),
    "wrong-bundle-type": lambda c: bundles(answer(c, "Patient/p1"))[0]["type"] != "collection",
    "unknown-patient-empty-bundle": lambda c: [p["name"] for p in answer(c, "Patient/zz").get("parameter", [])]
    == ["return"],
    "drop-unknown-members": lambda c: outcomes(answer(c, "Group/g1")) == [],
    "leak-other-patient-report": lambda c: any(r in p1_refs(c) for r in ("MeasureReport/r4", "MeasureReport/r5")),
    "omit-cited-resources": lambda c: "Condition/c1" not in p1_refs(c),
    "duplicate-report": lambda c: p1_refs(c).count("MeasureReport/r1") > 1,
    "duplicate-shared-evidence": lambda c: p1_refs(c).count("Encounter/e1") > 1,
    "wrong-content-type": lambda c: not op(c, f"subject=Patient/p1&{WINDOW}").headers["content-type"].startswith(
        "application/fhir+json"),
    "accept-bare-id": lambda c: op(c, f"subject=p1&{WINDOW}").status_code == 200,
    "server-error-on-bad-date": lambda c: op(c, "subject=Patient/p1&periodStart=2024-99&periodEnd=2024").status_code
    == 500,
    "get-not-supported": lambda c: op(c, f"subject=Patient/p1&{WINDOW}").status_code == 405,
    "post-not-supported": lambda c: c.post("/MeasureReport/$report", json=PARAMS_P1).status_code == 405,
    "no-operation-in-metadata": lambda c: "operation" not in next(
        r for r in c.get("/metadata").json()["rest"][0]["resource"] if r["type"] == "MeasureReport"),
    "missing-charset": lambda c: c.get("/metadata").headers["content-type"] == "application/fhir+json",
    "unknown-patient-bare-404": lambda c: op(c, f"subject=Patient/zz&{WINDOW}").status_code == 404,
    "utc-date-normalisation": lambda c: "MeasureReport/r5" in str(bundles(answer(c, "Patient/p2"))),
    "outcome-on-no-match": lambda c: outcomes(answer(c, "Patient/p3")) != [],
    "wrong-parameter-name": lambda c: answer(c, "Patient/p1")["parameter"][0]["name"] != "return",
    "search-ignores-date": lambda c: c.get("/MeasureReport?patient=p1&date=1999-01-01").json()["total"] > 0,
    "malformed-evidence": lambda c: "recordedWhen" in str(bundles(answer(c, "Patient/p1"))),
    "delete-ignored": lambda c: c.put("/Patient/p8", json=patient("p8")).status_code in (200, 201)
    and c.delete("/Patient/p8").status_code == 200 and c.get("/Patient/p8").status_code == 200,
    "patch-ignored": lambda c: c.put("/Patient/p8", json=patient("p8")).status_code in (200, 201) and c.patch(
        "/Patient/p8", json=[{"op": "add", "path": "/active", "value": True}],
        headers={"Content-Type": "application/json-patch+json"}).json().get("active") is not True,
    "drop-evidence-status-date": lambda c: "ra-evidenceStatusDate" not in str(bundles(_with_grouped_report(c))),
    "report-type-summary": lambda c: '"type":"summary"' in str(bundles(answer(c, "Patient/p1"))).replace("'", '"').replace(" ", ""),
    "search-ignores-period": lambda c: c.get("/MeasureReport?patient=p1&period=ge2024-07-01").json()["total"] > 2,
    # issue 6 (every IG version's retrieval flow): search paging/prefix/include/category and $risk-gap
    "search-ignores-ge-prefix": lambda c: c.get("/MeasureReport?patient=p1&period=ge2024-07-01").json()["total"] == 0,
    "include-misses-evidence": lambda c: len(_includes(c.get(
        "/MeasureReport?_id=r1&_include=MeasureReport:evaluated-resource").json())) < 3,
    "next-link-loops": lambda c: "_offset=0" in _next(c.get("/MeasureReport?patient=p1&_count=1").json()),
    "next-link-drops-page": lambda c: "_offset=2" in _next(c.get("/MeasureReport?patient=p1&_count=1").json()),
    "search-ignores-category": lambda c: c.get("/MeasureReport?patient=p1&category=ra").json()["total"] == 4,
    "risk-gap-ignores-filter": lambda c: len(_risk_gap(c, ccType="suspected").json().get("entry", [])) > 1,
    "risk-gap-accepts-missing-coverage": lambda c: _risk_gap(c, coverage=False).status_code == 200,
    "risk-gap-drops-contextid": lambda c: "ra-contextId" not in _risk_gap(c, headers={"contextId": "req-1"}).text,
    # issue 9/16: search self link and lenient ignoring, update-as-create, atomic transactions, month edges
    "search-ignores-leniently": lambda c: _lenient(c.get("/MeasureReport?subject=Patient/p1&period=ge2099-01-01").json()),
    "search-no-self-link": lambda c: "self" not in {link["relation"] for link in c.get("/MeasureReport?patient=p1").json()["link"]},
    "update-create-200": lambda c: c.put(f"/Patient/{(pid := _new_id())}", json=patient(pid)).status_code == 200,
    "transaction-not-atomic": lambda c: _half_transaction(c),
    "search-month-end-rolls-over": lambda c: "MeasureReport/r4" in _matches(c.get("/MeasureReport?patient=p2&period=le2024-02").json())
    and "MeasureReport/r4" not in _matches(c.get("/MeasureReport?patient=p2&period=le2024-01").json()),  # period applied
    "search-february-28-days": lambda c: "MeasureReport/r10" not in _matches(_with_leap_day_report(c)),
}
PROBES.update(BULK_PROBES)  # the asynchronous pattern (tests/server/bulk_probes.py)
PROBES.update(SMART_PROBES)  # SMART Backend Services under --smart (tests/server/smart_probes.py)


def _new_id() -> str:
    import uuid

    return f"p-{uuid.uuid4().hex[:12]}"


def _matches(bundle: dict[str, Any]) -> set[str]:
    return {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", [])
            if e.get("search", {}).get("mode") == "match"}


def _lenient(bundle: dict[str, Any]) -> bool:
    """Every report despite a window nothing overlaps, the self link without the window, an outcome entry."""
    self_link = next((link["url"] for link in bundle.get("link", []) if link["relation"] == "self"), "")
    modes = [e.get("search", {}).get("mode") for e in bundle.get("entry", [])]
    return bundle.get("total", 0) > 0 and "period" not in self_link and "outcome" in modes


def _half_transaction(c: Any) -> bool:
    """A transaction whose second entry fails (body id differs from the URL id): is the first entry kept?"""
    kept, other = _new_id(), _new_id()
    c.post("/", json={"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": patient(kept), "request": {"method": "PUT", "url": f"Patient/{kept}"}},
        {"resource": patient(_new_id()), "request": {"method": "PUT", "url": f"Patient/{other}"}}]})
    return c.get(f"/Patient/{kept}").status_code == 200


def _with_leap_day_report(c: Any) -> dict[str, Any]:
    c.put("/MeasureReport/r10", json=report("r10", "p2", "2024-02-29", "2024-02-29"))
    return c.get("/MeasureReport?patient=p2&period=le2024-02").json()


def _with_grouped_report(c: Any) -> dict[str, Any]:
    """Patient/p9 (only these probes use it) with a report whose group carries an evidenceStatusDate."""
    c.put("/Patient/p9", json=patient("p9"))
    mr = report("r9", "p9", "2024-01-01", "2024-12-31")
    mr["group"] = [{"id": "g", "extension": [{"url": "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/ra-evidenceStatusDate", "valueDate": "2024-05-01"}]}]
    c.put("/MeasureReport/r9", json=mr)
    return answer(c, "Patient/p9")


def _includes(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in bundle.get("entry", []) if e["search"]["mode"] == "include"]


def _next(bundle: dict[str, Any]) -> str:
    return next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), "")


def _risk_gap(c: Any, *, coverage: bool = True, headers: dict[str, str] | None = None, **codes: str) -> Any:
    cov = {"resourceType": "Coverage", "id": "cov1", "status": "active", "beneficiary": {"reference": "Patient/p1"},
           "payor": [{"reference": "Organization/o1"}]}
    params = [{"name": "periodStart", "valueDate": "2024-01-01"}, {"name": "periodEnd", "valueDate": "2024-12-31"},
              {"name": "subject", "valueReference": {"reference": "Patient/p1"}},
              {"name": "data", "resource": {"resourceType": "Bundle", "type": "collection",
                                            "entry": [{"fullUrl": "urn:uuid:cov1", "resource": cov}]}}]
    if coverage:
        params.append({"name": "coverage", "valueReference": {"reference": "Coverage/cov1"}})
    params += [{"name": name, "valueCode": code} for name, code in codes.items()]
    return c.post("/MeasureReport/$risk-gap", json={"resourceType": "Parameters", "parameter": params},
                  headers=headers or {})


def test_every_fault_has_a_probe_and_the_catalogue_is_large_enough() -> None:
    assert set(PROBES) == set(FAULTS) and len(FAULTS) >= 10


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_produces_its_defect(client_for: Callable[..., Any], name: str) -> None:
    probe = PROBES[name]
    assert not probe(client_for()), "the clean server must not show the defect"
    assert probe(client_for(name)), f"fault {name} did not show"


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_leaves_the_clean_behaviour_elsewhere_mostly_alone(client_for: Callable[..., Any], name: str) -> None:
    """Each fault is one defect: the other probes stay clean (except knowingly entangled ones)."""
    if name == "get-not-supported":
        pytest.skip("most probes use the GET form")
    entangled = {"ignore-period": {"utc-date-normalisation"}, "wrong-content-type": {"missing-charset"},
                 # ignoring subject/period/category/_include shows as each of those single defects
                 "search-ignores-leniently": {"include-misses-evidence", "search-ignores-category", "search-ignores-period"}}
    c = client_for(name)
    showing = {other for other, probe in PROBES.items() if other != name and probe(c)}
    assert showing <= entangled.get(name, set())


def _shape(bundle: dict[str, Any]) -> tuple[str, list[str]]:
    return bundle["type"], [e["fullUrl"] for e in bundle.get("entry", [])]


@pytest.mark.parametrize("name", ["omit-patient-entry", "wrong-bundle-type", "duplicate-report", "omit-cited-resources"])
def test_bundle_rewrites_reach_the_async_export_as_the_synchronous_answer(client_for: Callable[..., Any],
                                                                          name: str) -> None:
    """REQ-068: the export's Bundles are the synchronous answer's, defect included (one rewrite, both paths)."""
    c = client_for(name)
    synchronous = [_shape(b) for b in bundles(answer(c, "Group/g1"))]
    found = manifest(c) or {}
    exported = [_shape(orjson.loads(line)) for item in found.get("output", [])
                for line in c.get(item["url"]).content.splitlines() if line]
    assert exported == synchronous and synchronous != [_shape(b) for b in bundles(answer(client_for(), "Group/g1"))]


def test_catalogue_entries_are_well_formed() -> None:
    known = requirements()
    settings = {f.name for f in fields(Settings)}
    for fault in FAULTS.values():
        assert fault.catches and all(rid in known for rid in fault.catches), fault.name
        assert fault.expected in ("fail", "warn") and fault.description
        assert set(fault.settings) <= settings, f"{fault.name}: its self-test settings are not Settings fields"
    assert {f.name for f in FAULTS.values() if f.expected == "warn"} == {"missing-charset", "unknown-patient-bare-404",
                                                                                  "risk-gap-drops-contextid"}


def test_unknown_fault_names_are_a_clear_error_listing_valid_ones() -> None:
    with pytest.raises(UnknownFaultError, match="ignore-period") as err:
        FaultSet(["no-such-fault"])
    assert "no-such-fault" in str(err.value)
