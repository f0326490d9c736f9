"""The recording middleware: every request recorded with its answer, the control endpoints, async polls held
only for jobs the server handed out, and oversized bodies refused without being held."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from ra_conformance.client.recorder import DONE_PATH, MAX_BODY_BYTES, STATUS_PATH, AsyncHold, Recorder


async def _kickoff(request):
    await request.body()
    return Response(status_code=202, headers={"Content-Location": "http://testserver/$async/job1"})


async def _status(request):
    return JSONResponse({"output": []})


def _client(recorder: Recorder) -> TestClient:
    app = Starlette(routes=[Route("/MeasureReport/$cc-gaps", _kickoff, methods=["GET", "POST"]),
                            Route("/$async/{job}", _status)])
    return TestClient(recorder.middleware(app))


def test_requests_are_recorded_with_their_answers_and_the_control_endpoints_work():
    recorder = Recorder(hold=AsyncHold(polls=1, seconds=3))
    client = _client(recorder)
    recorder.begin("async", {"instruction": "do it"}, hold_async=True)
    assert client.get(STATUS_PATH).json() == {"instruction": "do it", "state": "waiting", "scenario": "async"}
    assert client.post("/MeasureReport/$cc-gaps", content=b'{"a":1}', headers={"Prefer": "respond-async"}).status_code == 202
    held = client.get("/$async/job1")
    assert held.status_code == 202 and held.headers["retry-after"] == "3"
    assert client.get("/$async/job1").status_code == 200  # only the first `polls` polls are held
    assert client.get("/$async/other").status_code == 200  # never held: the server did not hand it out
    assert client.post(DONE_PATH + "?scenario=async").json() == {"done": "async"} and recorder.done("async")
    records = recorder.records("async")
    assert [(r.method, r.path, r.status) for r in records] == [
        ("POST", "/MeasureReport/$cc-gaps", 202), ("GET", "/$async/job1", 202), ("GET", "/$async/job1", 200), ("GET", "/$async/other", 200)]
    assert records[0].body == b'{"a":1}' and records[0].header("prefer") == "respond-async"
    assert records[1].synthetic and records[2].response_json == {"output": []}
    assert records[1].responded is not None and records[2].received >= records[1].responded


def test_an_oversized_body_is_refused_and_not_held():
    recorder = Recorder()
    recorder.begin("cc-gaps-group", {})
    resp = _client(recorder).post("/MeasureReport/$cc-gaps", content=b"x" * (MAX_BODY_BYTES + 10))
    assert resp.status_code == 413 and resp.json()["resourceType"] == "OperationOutcome"
    assert len(recorder.records()[0].body) <= MAX_BODY_BYTES
