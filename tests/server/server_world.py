"""Small worlds of resources for the reference-server tests (independent of the fixture kit), and answer readers."""

from __future__ import annotations

from typing import Any

from ra_conformance.ig import MEASUREREPORT_CATEGORY_EXT, PROFILE_MEASUREREPORT

BASE = "http://testserver"


def patient(pid: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "name": [{"family": pid}]}


def condition(cid: str, pid: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": f"Patient/{pid}"}}


def encounter(eid: str, pid: str) -> dict[str, Any]:
    return {"resourceType": "Encounter", "id": eid, "status": "finished", "subject": {"reference": f"Patient/{pid}"}}


def report(rid: str, pid: str, start: str, end: str, evidence: tuple[str, ...] = (), *, ra: str = "profile",
           measure: str = "http://example.org/Measure/m24") -> dict[str, Any]:
    """A coding-gap MeasureReport; ra='profile' | 'category' | 'none' chooses how it is marked as RA."""
    mr: dict[str, Any] = {"resourceType": "MeasureReport", "id": rid, "status": "complete", "type": "individual",
                          "measure": measure, "subject": {"reference": f"Patient/{pid}"},
                          "period": {"start": start, "end": end}}
    if evidence:
        mr["evaluatedResource"] = [{"reference": ref} for ref in evidence]
    if ra == "profile":
        mr["meta"] = {"profile": [PROFILE_MEASUREREPORT]}
    elif ra == "category":
        mr["extension"] = [{"url": MEASUREREPORT_CATEGORY_EXT, "valueCodeableConcept": {"coding": [{"code": "ra"}]}}]
    return mr


def group(gid: str, *members: str) -> dict[str, Any]:
    return {"resourceType": "Group", "id": gid, "type": "person", "actual": True,
            "member": [{"entity": {"reference": m}} for m in members]}


def world() -> list[dict[str, Any]]:
    """p1: two 2024 reports sharing evidence (one cites the Patient, one cites with _history and an absolute URL),
    one 2023 report, one non-RA report; p2: a March 2024 report and a dateTime report ending on 2023-12-31 -05:00;
    p3: no reports. Groups: g1 = p1, p3, missing; ghosts = only unknown members; g2 = p2."""
    return [
        patient("p1"), patient("p2"), patient("p3"),
        condition("c1", "p1"), condition("c2", "p1"), condition("c3", "p1"), condition("c4", "p2"),
        encounter("e1", "p1"),
        report("r1", "p1", "2024-01-01", "2024-06-30", ("Condition/c1", "Encounter/e1", "Patient/p1", "Encounter/e1")),
        report("r2", "p1", "2024-07-01", "2024-12-31",
               ("Encounter/e1", "Condition/c2", "Condition/c1/_history/1", f"{BASE}/Condition/c3", "Condition/gone"),
               ra="category"),
        report("r3", "p1", "2023-01-01", "2023-12-31", ("Condition/c1",)),
        report("nonra", "p1", "2024-01-01", "2024-12-31", ("Condition/c1",), ra="none"),
        report("r4", "p2", "2024-03-01", "2024-03-31", ("Condition/c4",)),
        report("r5", "p2", "2023-11-01T09:00:00-05:00", "2023-12-31T23:59:59-05:00", ("Condition/c4",)),
        group("g1", "Patient/p1", "Patient/p3", "Patient/missing"),
        group("ghosts", "Patient/ghost1", "Patient/ghost2"),
        group("g2", "Patient/p2"),
    ]


def refs(bundle: dict[str, Any]) -> list[str]:
    return [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", [])]


def returns(parameters: dict[str, Any]) -> dict[str, list[str]]:
    """Patient ref -> the refs of every entry of that patient's Bundle (Patient-less bundles under '?')."""
    out: dict[str, list[str]] = {}
    for p in parameters["parameter"]:
        if p["name"] == "return":
            entries = refs(p["resource"])
            key = next((r for r in entries if r.startswith("Patient/")), "?")
            out[key] = entries
    return out


def outcomes(parameters: dict[str, Any]) -> list[str]:
    return [p["resource"]["issue"][0]["diagnostics"] for p in parameters["parameter"] if p["name"] == "outcome"]
