"""Probes for the asynchronous pattern's faults (used by test_faults.py): True exactly when the defect shows."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

GROUP_QUERY = "subject=Group/g1&periodStart=2024-01-01&periodEnd=2024-12-31"  # g1 has an unknown member
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


def kick(c: Any, query: str = GROUP_QUERY) -> Any:
    return c.get(f"/MeasureReport/$cc-gaps?{query}", headers=ASYNC)


def finished(c: Any, limit: float = 2.0) -> Any:
    """Kick off the g1 export and poll its status until it is no longer 202 (or the limit passes); the last answer
    (None without a status URL)."""
    url = kick(c).headers.get("content-location")
    if not url:
        return None
    deadline = time.monotonic() + limit
    resp = c.get(url)
    while resp.status_code == 202 and time.monotonic() < deadline:
        time.sleep(0.05)
        resp = c.get(url)
    return resp


def manifest(c: Any) -> dict[str, Any] | None:
    resp = finished(c)
    return resp.json() if resp is not None and resp.status_code == 200 else None


def _lines(c: Any) -> list[bytes]:
    found = manifest(c) or {}
    return [ln for item in found.get("output", []) for ln in c.get(item["url"]).content.splitlines() if ln]


def _broken(c: Any) -> bool:
    for line in _lines(c):
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError:
            return True
    return False


def _count_differs(c: Any) -> bool:
    found = manifest(c) or {}
    return any(item["count"] != len(c.get(item["url"]).content.splitlines()) for item in found.get("output", []))


def _cancel_ignored(c: Any) -> bool:
    url = kick(c).headers.get("content-location")
    if not url:
        return False
    c.delete(url)
    return c.get(url).status_code != 404


BULK_PROBES: dict[str, Callable[[Any], bool]] = {
    "no-content-location": lambda c: "content-location" not in kick(c).headers,
    "job-fails-bare": lambda c: getattr(finished(c), "status_code", None) == 500 and not finished(c).content,
    "status-never-completes": lambda c: getattr(finished(c), "status_code", None) == 202,
    "manifest-without-output": lambda c: "output" not in (manifest(c) or {"output": []}),
    "ndjson-broken-line": _broken,
    "count-mismatch": _count_differs,
    "cancel-ignored": _cancel_ignored,
    "output-format-ignored": lambda c: kick(c, GROUP_QUERY + "&_outputFormat=text/csv").status_code == 202,
    "bulk-omits-error-file": lambda c: (manifest(c) or {}).get("error") == [],
}
