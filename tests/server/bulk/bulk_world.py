"""Shared data and helpers of the bulk tests (a uniquely named module: several test folders have a conftest)."""

from __future__ import annotations

import time
from typing import Any

from ra_conformance.kit.synth import patient_id

WINDOW = {"periodStart": "2024-01-01", "periodEnd": "2024-12-31"}
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}
MIXED = "Group/mixed"  # two synthetic patients and one unknown member


def mixed_group() -> dict[str, Any]:
    members = [f"Patient/{patient_id(0)}", f"Patient/{patient_id(1)}", "Patient/missing"]
    return {"resourceType": "Group", "id": "mixed", "type": "person", "actual": True,
            "member": [{"entity": {"reference": m}} for m in members]}


def kickoff(c: Any, subject: str = MIXED, *, headers: dict[str, str] | None = None, **params: str) -> Any:
    return c.get("/MeasureReport/$cc-gaps", params={"subject": subject, **WINDOW, **params}, headers=headers or ASYNC)


def wait_done(c: Any, status_url: str, *, limit: float = 10.0, **kw: Any) -> Any:
    """Poll until the status is no longer 202 (a safety limit only: jobs here take milliseconds)."""
    deadline = time.monotonic() + limit
    resp = c.get(status_url, **kw)
    while resp.status_code == 202 and time.monotonic() < deadline:
        time.sleep(0.02)
        resp = c.get(status_url, **kw)
    return resp
