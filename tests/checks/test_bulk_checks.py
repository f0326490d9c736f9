"""Every bulk check passes on a good answer and fails (with its REQ id) on a bad one."""

from __future__ import annotations

import httpx
import pytest

from ra_conformance.checks import bulk as checks
from ra_conformance.fhir import async_pattern as ap
from ra_conformance.fhir.client import FhirClient
from ra_conformance.issues import Issue

BASE = "http://srv"
GOOD = {"transactionTime": "2024-05-01T10:00:00Z", "request": f"{BASE}/MeasureReport/$cc-gaps?subject=Group/g",
        "requiresAccessToken": False, "output": [{"type": "Bundle", "url": f"{BASE}/f/1", "count": 1}], "error": []}
OUTCOME = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid"}]}


def respond(status: int, *, headers: dict | None = None, json=None, content: bytes = b"") -> FhirClient:
    return FhirClient(BASE, transport=httpx.MockTransport(
        lambda r: httpx.Response(status, headers=headers, json=json) if json is not None
        else httpx.Response(status, headers=headers, content=content)))


def kick(status: int, **kw) -> ap.Kickoff:
    return ap.kickoff(respond(status, **kw), "MeasureReport/$cc-gaps")


def reqs(findings) -> set[str]:
    return {r for f in findings for r in f.reqs if f.severity == "error"}


def warned(findings) -> set[str]:
    return {r for f in findings for r in f.reqs if f.severity == "warning"}


def test_kickoff_accepted():
    assert checks.kickoff_accepted(kick(202, headers={"Content-Location": f"{BASE}/$async/1"})) == []
    for bad in (kick(202), kick(202, headers={"Content-Location": "/$async/1"}), kick(200, json={"resourceType": "Parameters"})):
        assert reqs(checks.kickoff_accepted(bad)) == {"REQ-054"}


def test_kickoff_refused():
    assert checks.kickoff_refused(kick(400, json=OUTCOME), ("REQ-055",)) == []
    assert reqs(checks.kickoff_refused(kick(202, headers={"Content-Location": "x"}), ("REQ-055",))) == {"REQ-055"}
    assert reqs(checks.kickoff_refused(kick(500, json=OUTCOME), ("REQ-055",))) == {"REQ-055"}
    assert reqs(checks.kickoff_refused(kick(400, content=b"no"), ("REQ-055",))) == {"REQ-055"}


def polled(*answers: httpx.Response, limit: float = 10) -> ap.PollResult:
    queue = list(answers)
    c = FhirClient(BASE, transport=httpx.MockTransport(lambda r: queue.pop(0) if len(queue) > 1 else queue[0]))
    clock = [0.0]

    def sleep(s: float) -> None:
        clock[0] += s

    return ap.poll(c, f"{BASE}/$async/1", limit=limit, sleep=sleep, clock=lambda: clock[0])


def test_polling_completed_and_progress_headers():
    good = polled(httpx.Response(202, headers={"Retry-After": "1", "X-Progress": "50%"}), httpx.Response(200, json=GOOD))
    assert checks.polling_completed(good) == [] and checks.progress_headers(good) == []
    never = polled(httpx.Response(202, headers={"Retry-After": "1"}), limit=3)
    found = checks.polling_completed(never)
    assert reqs(found) == {"REQ-061"} and "polling limit" in found[0].message
    failed = polled(httpx.Response(500, json=OUTCOME))
    assert reqs(checks.polling_completed(failed)) == {"REQ-061", "REQ-060"}
    sloppy = polled(httpx.Response(202, headers={"X-Progress": "x" * 120}), httpx.Response(200, json=GOOD))
    assert warned(checks.progress_headers(sloppy)) == {"REQ-056", "REQ-057"}


def test_manifest_conforms():
    k = kick(202, headers={"Content-Location": f"{BASE}/$async/1"})
    assert checks.manifest_conforms(polled(httpx.Response(200, json=GOOD)), k, "cc-gaps") == []
    no_output = {key: v for key, v in GOOD.items() if key != "output"}
    assert reqs(checks.manifest_conforms(polled(httpx.Response(200, json=no_output)), k, "cc-gaps")) == {"REQ-061", "REQ-062"}
    no_error = {key: v for key, v in GOOD.items() if key != "error"}
    assert "REQ-063" in reqs(checks.manifest_conforms(polled(httpx.Response(200, json=no_error)), k, "cc-gaps"))
    as_text = polled(httpx.Response(200, content=b"{}", headers={"Content-Type": "text/plain"}))
    assert "REQ-061" in reqs(checks.manifest_conforms(as_text, k, "cc-gaps"))
    other_request = {**GOOD, "request": f"{BASE}/Patient"}
    assert warned(checks.manifest_conforms(polled(httpx.Response(200, json=other_request)), k, "cc-gaps")) == {"REQ-061"}


def audit_file(body: bytes, *, item=None, ctype="application/fhir+ndjson") -> list:
    item = item or {"type": "Bundle", "url": f"{BASE}/f/1", "count": 1}
    audit = checks.FileAudit(item)
    c = respond(200, headers={"Content-Type": ctype}, content=body)
    return audit.file_findings(ap.download(c, item["url"], audit))


def test_file_audit():
    line = b'{"resourceType":"Bundle","type":"collection"}\n'
    assert audit_file(line) == []
    assert reqs(audit_file(line[:20] + b"\n")) == {"REQ-064"}
    assert reqs(audit_file(line + line)) == {"REQ-062"}  # count 1, two lines
    assert reqs(audit_file(b'{"resourceType":"Patient"}\n')) == {"REQ-062"}
    assert reqs(audit_file(line, ctype="application/json")) == {"REQ-064"}
    assert warned(audit_file(line, ctype="application/ndjson")) == {"REQ-064"}
    item = {"type": "Bundle", "url": f"{BASE}/f/1"}
    audit = checks.FileAudit(item)
    assert reqs(audit.file_findings(ap.download(respond(404, json=OUTCOME), item["url"], audit))) == {"REQ-064"}


def test_file_audit_keeps_only_the_lines_it_names():
    """A file of thousands of bad lines: the findings name the first few and count them all; the audit holds no more
    (memory flat in the size of the file)."""
    good, bad = b'{"resourceType":"Bundle","type":"collection"}\n', b'{"resourceType":"Bund\n'
    body = (bad + good + b'{"resourceType":"Patient"}\n') * 3000
    item = {"type": "Bundle", "url": f"{BASE}/f/1"}
    audit = checks.FileAudit(item)
    findings = audit.file_findings(ap.download(respond(200, headers={"Content-Type": "application/fhir+ndjson"},
                                                       content=body), item["url"], audit))
    broken = next(f for f in findings if "not one FHIR resource" in f.message)
    wrong = next(f for f in findings if "holds other resources" in f.message)
    assert broken.actual.startswith("line 1: not JSON") and broken.actual.endswith("… (3000 in all)")
    assert wrong.actual.startswith("line 3: Patient, line 6: Patient") and wrong.actual.endswith("(3000 in all)")
    assert len(audit.broken.head) == len(audit.wrong_type.head) == checks.MAX_LISTED
    assert audit.resources == 6000


def test_file_audit_validates_each_line_with_the_validator():
    class Validator:
        def validate(self, resource):
            return [Issue("error", "x", "REQ-029", "bad", "Bundle[#1]")]

        validate_answer_bundle = validate

    item = {"type": "Bundle", "url": f"{BASE}/f/1"}
    audit = checks.FileAudit(item, validator=Validator())
    body = b'{"resourceType":"Bundle"}\n' * (checks.MAX_PROFILE_FINDINGS + 3)
    ap.download(respond(200, content=body), item["url"], audit)
    found = audit.profile_findings()
    assert reqs(found) == {"REQ-029"} and len(found) == checks.MAX_PROFILE_FINDINGS + 1 and "3 more" in found[-1].message


def test_error_file_types():
    assert checks.error_file_types({"error": [{"type": "OperationOutcome", "url": "u"}]}) == []
    assert reqs(checks.error_file_types({"error": [{"type": "Bundle", "url": "u"}]})) == {"REQ-063"}


def answer(*patients: tuple[str, list[str]], outcomes: int = 0):
    bundles = [{"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": p}}] + [{"resource": {"resourceType": "MeasureReport", "id": r}} for r in rs]}
        for p, rs in patients]
    return ap.as_operation_answer(bundles, [{"resourceType": "OperationOutcome", "issue": []}] * outcomes,
                                  kick(202).response)


def test_same_as_sync():
    sync = answer(("p1", ["r1"]), ("p2", []), outcomes=1)
    assert checks.same_as_sync(answer(("p2", []), ("p1", ["r1"]), outcomes=1), sync) == []
    assert reqs(checks.same_as_sync(answer(("p1", ["r1"]), outcomes=1), sync)) == {"REQ-068"}
    assert reqs(checks.same_as_sync(answer(("p1", []), ("p2", []), outcomes=1), sync)) == {"REQ-068"}
    assert reqs(checks.same_as_sync(answer(("p1", ["r1"]), ("p2", [])), sync)) == {"REQ-068"}


@pytest.mark.parametrize("status, ok", [(202, True), (200, False), (405, False)])
def test_cancel_accepted(status, ok):
    resp = respond(status, json=OUTCOME).delete(f"{BASE}/$async/1")
    assert (checks.cancel_accepted(resp) == []) is ok


@pytest.mark.parametrize("status, ok", [(404, True), (200, False), (202, False)])
def test_gone_after_cancel(status, ok):
    resp = respond(status, json=GOOD).get(f"{BASE}/$async/1")
    assert (checks.gone_after_cancel(resp) == []) is ok
