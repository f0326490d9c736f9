"""Run summaries built for the report tests (validated against docs/summary.schema.json by the tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ra_conformance.ig import PROFILE_BUNDLE, PROFILE_MEASUREREPORT, requirements

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / "docs" / "summary.schema.json"
STATES = ("pass", "fail", "warn", "skip", "error")
WORST = ("error", "fail", "warn", "pass", "skip")  # traceability outcome: the worst state of a REQ's tests

# A hostile server's payload: must stay text in the report, never become markup or script.
HOSTILE = "<script>document.body.setAttribute('data-pwned','1')</script></details></pre><b onmouseover=x>bold</b>"


def exchange(xid: int, *, status: int | None = 200, body: str | None = None, url: str | None = None) -> dict[str, Any]:
    return {
        "id": xid, "method": "POST", "url": url or f"http://target.test/fhir/MeasureReport/$report?n={xid}",
        "request_headers": {"Accept": "application/fhir+json", "Authorization": "Bearer ***"},
        "request_body": json.dumps({"resourceType": "Parameters", "parameter": [{"name": "subject", "valueString": f"Patient/p{xid}"}]}),
        "status": status, "response_headers": {"Content-Type": "application/fhir+json"},
        "response_body": body if body is not None else json.dumps({"resourceType": "Parameters", "id": f"resp-{xid}"}),
        "elapsed_ms": 12.5 + xid, "error": None if status is not None else "ConnectError: connection refused",
    }


def make_test(i: int, state: str, *, suite: str = "report", reqs: list[str] | None = None,
               exchanges: list[dict[str, Any]] | None = None, message: str | None = None) -> dict[str, Any]:
    findings = []
    if state in ("fail", "error", "warn"):
        findings.append({"severity": "warning" if state == "warn" else "error", "reqs": reqs or [f"REQ-{20 + i % 10:03d}"],
                         "message": f"finding {i}: Bundle entry count differs", "where": f"Parameters.parameter[{i % 3}]",
                         "expected": "2 entries", "actual": "3 entries"})
    default = {"pass": "", "skip": f"skipped {i}: the target does not declare $report"}.get(state, f"message of test {i} ({state})")
    return {
        "nodeid": f"testsuites/{suite}/test_{suite}.py::test_case_{i}", "suite": suite, "name": f"test_case_{i}",
        "title": f"Case {i}: the server returns one Bundle per valid patient.", "reqs": reqs or [f"REQ-{20 + i % 10:03d}"],
        "state": state, "message": message if message is not None else default, "findings": findings,
        "exchanges": exchanges or [], "duration_s": 0.01 * (i % 7),
    }


def summary(tests: list[dict[str, Any]], *, verdict: str | None = None, must_support: dict[str, Any] | None = None,
            uncovered: list[str] | None = None) -> dict[str, Any]:
    """A schema-valid summary around `tests`: counts, suites and traceability derived from them."""
    counts = dict.fromkeys(STATES, 0)
    suites: dict[str, dict[str, int]] = {}
    by_req: dict[str, list[dict[str, Any]]] = {}
    for t in tests:
        counts[t["state"]] += 1
        suites.setdefault(t["suite"], dict.fromkeys(STATES, 0))[t["state"]] += 1
        for r in t["reqs"]:
            by_req.setdefault(r, []).append(t)
    if verdict is None:
        verdict = "error" if counts["error"] else "fail" if counts["fail"] else "pass"
    reqs = []
    for rid, req in list(requirements().items())[:60]:
        mine = by_req.get(rid, [])
        states = {t["state"] for t in mine}
        outcome = next((s for s in WORST if s in states), "untested")
        reqs.append({"id": rid, "text": req.text, "level": req.level, "actor": req.actor, "area": req.area,
                     "tests": [t["nodeid"] for t in mine], "outcome": outcome})
    return {
        "schemaVersion": 1, "tool": {"name": "ra-conform", "version": "0.1.0-test"},
        "target": "http://target.test/fhir", "igVersion": "2.1.0", "operation": "report", "strict": False,
        "started": 1795455858.25, "wallSeconds": 3.5, "exitCode": {"pass": 0, "fail": 1, "error": 4}[verdict],
        "verdict": verdict, "counts": counts, "suites": suites, "tests": tests,
        "traceability": {"requirements": reqs, "uncoveredShall": uncovered if uncovered is not None else ["REQ-038", "REQ-205"]},
        "mustSupport": must_support if must_support is not None else {
            PROFILE_MEASUREREPORT: {"MeasureReport.status": True, "MeasureReport.group.extension:ccRemark": False},
            PROFILE_BUNDLE: {"Bundle.entry.resource": True},
        },
    }


def small_summary() -> dict[str, Any]:
    tests = [
        make_test(0, "pass"),
        make_test(1, "fail", exchanges=[exchange(1, body=HOSTILE)], message="expected 1 Bundle, got 2 " + HOSTILE),
        make_test(2, "warn", suite="capability", exchanges=[exchange(2)]),
        make_test(3, "skip", suite="capability"),
        make_test(4, "error", suite="validation", exchanges=[exchange(3, status=None, body="")]),
    ]
    return summary(tests)


def large_summary(n: int = 300, with_exchanges: int = 50) -> dict[str, Any]:
    """n tests over four suites; the first `with_exchanges` failing/warning/erroring ones get two exchanges each."""
    tests, xid, with_x = [], 0, 0
    cycle = ("pass", "pass", "fail", "pass", "warn", "skip", "pass", "error")
    suites = ("report", "capability", "validation", "group")
    for i in range(n):
        state = cycle[i % len(cycle)]
        exchanges = []
        if state in ("fail", "warn", "error") and with_x < with_exchanges:
            exchanges = [exchange(xid + 1), exchange(xid + 2, status=404)]
            xid, with_x = xid + 2, with_x + 1
        tests.append(make_test(i, state, suite=suites[i % len(suites)], exchanges=exchanges))
    return summary(tests)
