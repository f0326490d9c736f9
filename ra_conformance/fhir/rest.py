"""The RESTful requests the suites make beyond retrieval: throw-away (scratch) resources created on the target and
deleted afterwards, and a canonical URL resolved to its resource. The checks judge the answers (checks/rest.py,
checks/resources.py); nothing here decides pass or fail."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import resources as fr
from .client import FhirClient, FhirResponse

SCRATCH_PERIOD = {"start": "1990-01-01", "end": "1990-12-31"}  # outside every window the suites ask for
SCRATCH_SYSTEM = "urn:ra-conform:scratch"


def created_id(resp: FhirResponse, rtype: str) -> str | None:
    """The id the server gave a created resource: from the body, else from Location."""
    body = resp.resource
    if body is not None and body.get("resourceType") == rtype and isinstance(body.get("id"), str):
        return body["id"]
    ref = fr.normalise_reference(resp.headers.get("location", ""))
    return ref.split("/", 1)[1] if ref and ref.startswith(rtype + "/") else None


@dataclass(frozen=True)
class Scratch:
    """The target's answers to creating a scratch Patient and a scratch coding-gap report about it."""

    patient: FhirResponse
    report: FhirResponse

    @property
    def patient_id(self) -> str | None:
        return created_id(self.patient, "Patient")

    @property
    def report_id(self) -> str | None:
        return created_id(self.report, "MeasureReport")


@contextmanager
def scratch_report(client: FhirClient, kit_report: dict[str, Any], kit_patient: dict[str, Any]) -> Iterator[Scratch]:
    """A throw-away Patient + coding-gap report created on the target for one test, deleted afterwards."""
    tag = uuid.uuid4().hex[:12]
    patient = {k: v for k, v in copy.deepcopy(kit_patient).items() if k not in ("id", "meta")}
    patient["meta"] = kit_patient.get("meta", {})
    patient["identifier"] = [{"system": SCRATCH_SYSTEM, "value": tag}]
    presp = client.post("Patient", json=patient)
    pid = created_id(presp, "Patient")
    report = {k: v for k, v in copy.deepcopy(kit_report).items() if k != "id"}
    report["subject"] = {"reference": f"Patient/{pid or 'rac-p04'}"}
    report["period"] = dict(SCRATCH_PERIOD)
    report["identifier"] = [{"system": SCRATCH_SYSTEM, "value": tag}]
    made = Scratch(presp, client.post("MeasureReport", json=report))
    try:
        yield made
    finally:
        if made.report_id:
            client.delete(f"MeasureReport/{made.report_id}")
        if pid:
            client.delete(f"Patient/{pid}")


def scratch_copy(kit_report: dict[str, Any], rid: str) -> dict[str, Any]:
    """A copy of a kit report under a new id, in the scratch period no window asks for."""
    report = {k: v for k, v in copy.deepcopy(kit_report).items() if k not in ("id", "meta")}
    report["meta"] = {k: v for k, v in (kit_report.get("meta") or {}).items() if k == "profile"}
    return {"resourceType": kit_report.get("resourceType", "MeasureReport"), "id": rid, **report,
            "period": dict(SCRATCH_PERIOD)}


def scratch_id() -> str:
    return f"rac-scratch-{uuid.uuid4().hex[:16]}"


def resolve_canonical(client: FhirClient, rtype: str, canonical: str) -> tuple[dict[str, Any] | None, FhirResponse]:
    """A canonical URL to the resource: `?url=` search first, then a read of the URL's last segment."""
    url = canonical.split("|", 1)[0]
    resp = client.get(rtype, params=[("url", url)])
    for entry in fr.entries(resp.resource):
        resource = entry.get("resource")
        if isinstance(resource, dict) and resource.get("resourceType") == rtype and resource.get("url") == url:
            return resource, resp
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    if fr.ID_RE.match(tail):
        read = client.get(f"{rtype}/{tail}")
        if isinstance(read.resource, dict) and read.resource.get("url") == url:
            return read.resource, read
        return None, read
    return None, resp
