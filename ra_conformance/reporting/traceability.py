"""The requirement traceability matrix: REQ -> tests -> outcome, and the server SHALLs no test covers."""

from __future__ import annotations

from typing import Any

from ..ig import Requirement, requirements
from ..results import ERROR, FAIL, PASS, SKIP, WARN, TestResult

UNTESTED = "untested"
_SEVERITY = {ERROR: 5, FAIL: 4, WARN: 3, PASS: 2, SKIP: 1, UNTESTED: 0}


def is_server_shall(req: Requirement) -> bool:
    return req.actor in ("S", "B") and req.level.upper().startswith("SHALL")


def is_client_shall(req: Requirement) -> bool:
    return req.actor in ("C", "B") and req.level.upper().startswith("SHALL")


def not_automated() -> dict[str, str]:
    """Requirements no server conformance run can judge, with the reason (requirements.json `automated: false`):
    the matrix lists them apart, so "uncovered" always means "a test is missing", never "no test can exist"."""
    return {rid: req.reason for rid, req in requirements().items() if not req.automated}


def client_not_automated() -> dict[str, str]:
    """The same for client-test: client SHALLs that no recorded request can show."""
    return {rid: req.client_reason for rid, req in requirements().items() if not req.client_automated}


def matrix(tests: list[TestResult], covered: set[str] | None = None, *, role: str = "server") -> dict[str, Any]:
    """`covered`: REQ ids of every collected test (also deselected-by-plan ones); defaults to the tests' own.
    `role`: whose SHALLs count as uncovered — "server" (the suites) or "client" (client-test)."""
    by_req: dict[str, list[TestResult]] = {}
    for t in tests:
        for req_id in t.reqs:
            by_req.setdefault(req_id, []).append(t)
    rows = []
    for rid, req in requirements().items():
        ts = by_req.get(rid, [])
        states = [t.state for t in ts] or [UNTESTED]
        outcome = max(states, key=lambda s: _SEVERITY[s])
        if outcome == SKIP and any(s == PASS for s in states):
            outcome = PASS
        rows.append({"id": rid, "text": req.text, "level": req.level, "actor": req.actor, "area": req.area, "tests": [t.nodeid for t in ts], "outcome": outcome})
    known = covered if covered is not None else set(by_req)
    shall, manual = (is_client_shall, client_not_automated()) if role == "client" else (is_server_shall, not_automated())
    uncovered = [rid for rid, req in requirements().items() if shall(req) and rid not in known and rid not in manual]
    manual_rows = [{"id": rid, "reason": why} for rid, why in manual.items() if rid not in known]
    return {"requirements": rows, "uncoveredShall": uncovered, "notAutomated": manual_rows, "role": role}
