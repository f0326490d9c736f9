"""The harness side of the asynchronous pattern over a scripted transport (no server, no real sleeping)."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest

from ra_conformance.fhir import async_pattern as ap
from ra_conformance.fhir.client import FhirClient

BASE = "http://srv"
STATUS = f"{BASE}/$async/j1"
MANIFEST = {"transactionTime": "2024-05-01T10:00:00Z", "request": f"{BASE}/MeasureReport/$cc-gaps?subject=Group/g",
            "requiresAccessToken": False, "output": [{"type": "Bundle", "url": f"{BASE}/f/1", "count": 2}], "error": []}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def client(handler) -> FhirClient:
    return FhirClient(BASE, transport=httpx.MockTransport(handler))


def scripted(*answers: httpx.Response):
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def test_kickoff_sends_prefer_accept_and_output_format():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(request.headers, url=str(request.url))
        return httpx.Response(202, headers={"Content-Location": STATUS})

    kick = ap.kickoff(client(handler), "MeasureReport/$cc-gaps", params=[("subject", "Group/g")], output_format="ndjson")
    assert seen["prefer"] == "respond-async" and seen["accept"] == "application/fhir+json"
    assert "_outputFormat=ndjson" in seen["url"] and kick.accepted and kick.status_url == STATUS


@pytest.mark.parametrize("value, expected", [("3", 3.0), ("0", 0.0), (None, None), ("", None), ("soon", None),
                                             ("-1", None)])
def test_retry_after_seconds(value, expected):
    assert ap.retry_after_seconds(value) == expected


def test_retry_after_http_date():
    assert ap.retry_after_seconds(formatdate(1_000_030, usegmt=True), now=1_000_000) == pytest.approx(30)
    assert ap.retry_after_seconds(formatdate(999_000, usegmt=True), now=1_000_000) == 0.0


def test_poll_honours_retry_after_then_backs_off_without_it():
    clock = Clock()
    handler = scripted(httpx.Response(202, headers={"Retry-After": "3", "X-Progress": "10%"}),
                       httpx.Response(202), httpx.Response(202), httpx.Response(200, json=MANIFEST))
    result = ap.poll(client(handler), STATUS, limit=60, sleep=clock.sleep, clock=clock, backoff=0.5)
    assert result.completed and result.manifest == MANIFEST and not result.timed_out
    assert clock.slept == [3.0, 1.0, 2.0]  # Retry-After, then doubling (0.5 was used up by the hinted poll)
    assert result.steps[0].x_progress == "10%"


def test_poll_stops_at_the_limit():
    clock = Clock()
    handler = scripted(httpx.Response(202, headers={"Retry-After": "1"}))
    result = ap.poll(client(handler), STATUS, limit=5, sleep=clock.sleep, clock=clock)
    assert result.timed_out and not result.completed and clock.now <= 5 and len(result.steps) == 6  # t = 0, 1, … 5


def test_poll_ends_on_an_error_answer():
    handler = scripted(httpx.Response(500, json={"resourceType": "OperationOutcome", "issue": [{"severity": "fatal"}]}))
    result = ap.poll(client(handler), STATUS, limit=5, sleep=lambda s: None)
    assert not result.completed and not result.timed_out and result.final.status == 500


def test_manifest_schema():
    assert ap.manifest_problems(MANIFEST) == []
    broken = {**MANIFEST, "requiresAccessToken": "no", "output": [{"url": "relative/1"}]}
    broken.pop("error")
    problems = " | ".join(ap.manifest_problems(broken))
    assert "'error' is a required property" in problems and "requiresAccessToken" in problems
    assert "output/0: 'type' is a required property" in problems and "output/0/url" in problems


@pytest.mark.parametrize("chunking", [1, 7, 10_000])
def test_download_streams_lines_across_chunk_boundaries(chunking):
    body = b'{"resourceType":"Bundle","id":"a"}\n\n{"resourceType":"Bun\n[1,2]\n{"resourceType":"Bundle","id":"z"}'
    parts = [body[i:i + chunking] for i in range(0, len(body), chunking)]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "application/fhir+ndjson"}, stream=httpx.ByteStream(b"".join(parts)))

    c = client(handler)
    got: list[ap.NdjsonLine] = []
    result = ap.download(c, f"{BASE}/f/1", got.append)
    assert result.ok and result.lines == 4 and result.size == len(body)
    assert [(ln.number, ln.resource is not None) for ln in got] == [(1, True), (3, False), (4, False), (5, True)]
    assert got[-1].resource == {"resourceType": "Bundle", "id": "z"}
    assert c.log.exchanges[-1].response_body.startswith('{"resourceType":"Bundle"')


def test_download_reports_an_error_status():
    result, lines = ap.iter_download(client(lambda r: httpx.Response(404, json={"resourceType": "OperationOutcome"})),
                                     f"{BASE}/f/9")
    assert not result.ok and "404" in result.error and lines == []


def test_as_operation_answer_reads_lines_like_parameters():
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient", "id": "p"}}]}
    outcome = {"resourceType": "OperationOutcome", "issue": [{"diagnostics": "Patient/x: not found"}]}
    kick = ap.kickoff(client(lambda r: httpx.Response(202)), "MeasureReport/$cc-gaps")
    answer = ap.as_operation_answer([bundle], [outcome], kick.response)
    assert [b.patient_ref for b in answer.returns] == ["Patient/p"] and len(answer.outcomes) == 1
    assert answer.problems == []


def test_poll_treats_429_as_slow_down():
    clock = Clock()
    handler = scripted(httpx.Response(429, headers={"Retry-After": "4"}), httpx.Response(200, json=MANIFEST))
    result = ap.poll(client(handler), STATUS, limit=60, sleep=clock.sleep, clock=clock)
    assert result.completed and clock.slept == [4.0] and [s.status for s in result.in_progress] == [429]
