"""Recording what a client under test sends: an ASGI middleware around the reference server's app.

Every request (method, path, query, headers, body, arrival time) and its answer (status, headers, the body of
small JSON answers such as the async manifest, the time it was sent) is recorded against the current scenario.
The middleware also serves the client-test control endpoints and, during the async scenario, holds each job
"in progress" for its first polls (202 + ``Retry-After``) so a client's polling can be judged (REQ-058):

- ``GET  [base]/$client-test-status``  the current scenario and its instruction as JSON (a CI script follows it);
- ``POST [base]/$client-test-done``    "I have finished this scenario" (optional; else the runner waits).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .. import jsonio

STATUS_PATH = "/$client-test-status"
DONE_PATH = "/$client-test-done"
KEEP_RESPONSE_BYTES = 256 * 1024
MAX_BODY_BYTES = 20 * 1024 * 1024  # as the reference server's own limit: a larger body is refused (413), not held
MAX_RECORDS = 10_000  # per run: a client that floods the server is still served, but no longer recorded
JSON_HEADERS = [(b"content-type", b"application/json")]


@dataclass
class Recorded:
    """One request of the client under test and the server's answer."""

    seq: int
    scenario: str | None
    method: str
    path: str  # below the base, starting with '/'
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]  # names lower-case, in order
    body: bytes
    received: float  # time.monotonic() at arrival
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    responded: float | None = None  # time.monotonic() when the answer's head was sent
    synthetic: bool = False  # answered by the middleware (a held async poll), not by the server

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k == name.lower()]
        return ", ".join(values) if values else None

    def response_header(self, name: str) -> str | None:
        values = [v for k, v in self.response_headers if k == name.lower()]
        return values[0] if values else None

    def params(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]

    @property
    def json(self) -> Any:
        """The body as JSON; None when empty, not JSON, or nested deeper than any FHIR resource (hostile input)."""
        try:
            value = jsonio.loads(self.body) if self.body.strip() else None
        except jsonio.JsonError:
            return None
        return value if shallow(value) else None

    @property
    def response_json(self) -> Any:
        try:
            return jsonio.loads(self.response_body) if self.response_body.strip() else None
        except jsonio.JsonError:
            return None


MAX_JSON_DEPTH = 64  # FHIR resources nest far less; deeper input is treated as unreadable, never recursed into


def shallow(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when ``value`` nests at most ``limit`` levels (checked without recursion)."""
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return True


@dataclass
class AsyncHold:
    """REQ-058: the first ``polls`` status polls of every job are answered 202 with ``Retry-After: seconds``."""

    polls: int = 2
    seconds: int = 2


class Recorder:
    """Thread-safe: the server thread records, the runner thread reads and switches scenarios."""

    def __init__(self, *, hold: AsyncHold | None = None) -> None:
        self.hold = hold or AsyncHold()
        self._lock = threading.Lock()
        self._records: list[Recorded] = []
        self._polls: dict[str, int] = {}
        self._jobs: set[str] = set()  # status paths the server handed out (Content-Location of a 202 kick-off)
        self._status: dict[str, Any] = {"state": "starting", "scenario": None, "instruction": None}
        self._scenario: str | None = None
        self._holding = False
        self.changed = threading.Condition(self._lock)
        self._done: set[str] = set()

    # -- runner side ------------------------------------------------------------------------------
    def begin(self, scenario: str, status: dict[str, Any], *, hold_async: bool = False) -> None:
        with self.changed:
            self._scenario, self._holding = scenario, hold_async
            self._status = {**status, "state": "waiting", "scenario": scenario}
            self.changed.notify_all()

    def finish(self, status: dict[str, Any]) -> None:
        with self.changed:
            self._scenario, self._holding = None, False
            self._status = {**status, "state": "finished", "scenario": None, "instruction": None}
            self.changed.notify_all()

    def records(self, scenario: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self._records if scenario is None or r.scenario == scenario]

    def done(self, scenario: str) -> bool:
        with self._lock:
            return scenario in self._done

    def wait_change(self, timeout: float) -> None:
        with self.changed:
            self.changed.wait(timeout)

    # -- server side ------------------------------------------------------------------------------
    def _add(self, record: Recorded) -> None:
        with self.changed:
            if len(self._records) < MAX_RECORDS:
                self._records.append(record)
            self.changed.notify_all()

    def _answered(self, record: Recorded) -> None:
        with self.changed:
            self.changed.notify_all()

    def _mark_done(self, scenario: str | None) -> str | None:
        with self.changed:
            name = scenario or self._scenario
            if name:
                self._done.add(name)
            self.changed.notify_all()
            return name

    def _status_body(self) -> bytes:
        with self._lock:
            return jsonio.dumps(self._status)

    def _hold_poll(self, path: str) -> bool:
        """True when this status poll is to be answered 'still in progress' (async scenario only)."""
        with self._lock:
            if not self._holding or path not in self._jobs:
                return False
            seen = self._polls.get(path, 0)
            self._polls[path] = seen + 1
            return seen < self.hold.polls

    def _job_started(self, content_location: str) -> None:
        with self._lock:
            self._jobs.add(urlsplit(content_location).path.rstrip("/"))

    def middleware(self, app: Any) -> Any:
        return _RecordingMiddleware(app, self)


class _RecordingMiddleware:
    def __init__(self, app: Any, recorder: Recorder) -> None:
        self.app, self.recorder = app, recorder
        self._seq = 0
        # SMART Backend Services (server/auth.py): a held poll is answered here, so it must pass the token check first
        self.smart = getattr(getattr(getattr(app, "state", None), "ctx", None), "smart", None)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        path = (scope.get("path") or "/").rstrip("/") or "/"
        query = parse_qsl((scope.get("query_string") or b"").decode("latin-1"), keep_blank_values=True)
        if path == STATUS_PATH and scope.get("method") == "GET":
            await _answer(send, 200, self.recorder._status_body())
            return
        if path == DONE_PATH and scope.get("method") == "POST":
            name = self.recorder._mark_done(dict(query).get("scenario"))
            await _answer(send, 200, jsonio.dumps({"done": name}))
            return
        body, whole = await _read_body(receive)
        self._seq += 1
        record = Recorded(self._seq, self.recorder._scenario, scope.get("method", "GET"), path, query,
                          [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope.get("headers") or []],
                          body, time.monotonic())
        self.recorder._add(record)
        if not whole:
            outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "too-costly",
                                                                     "diagnostics": f"request body larger than {MAX_BODY_BYTES} bytes"}]}
            await _answer(send, 413, jsonio.dumps(outcome), JSON_HEADERS, record)
            self.recorder._answered(record)
            return
        if path.startswith("/$async/") and scope.get("method") == "GET" and self._may_pass(path, record) \
                and self.recorder._hold_poll(path):
            record.synthetic = True
            headers = [(b"retry-after", str(self.recorder.hold.seconds).encode()), (b"x-progress", b"in progress")]
            await _answer(send, 202, b"", headers, record)
            self.recorder._answered(record)
            return
        await self.app(scope, _replay(body, receive), _capturing(send, record))
        location = record.response_header("content-location")
        if record.status == 202 and location:
            self.recorder._job_started(location)
        self.recorder._answered(record)


    def _may_pass(self, path: str, record: Recorded) -> bool:
        """True when the server's SMART enforcement (if on) lets the request through (then it may be held)."""
        return self.smart is None or self.smart.refusal("GET", path, record.header("authorization")) is None


async def _read_body(receive: Any) -> tuple[bytes, bool]:
    """The request body, and False when it exceeded MAX_BODY_BYTES (what was read is kept up to the limit)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return b"".join(chunks), False
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks), True


def _replay(body: bytes, upstream: Any) -> Any:
    """The body already read, then the real channel (which reports the client's disconnect when it comes)."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return await upstream()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _capturing(send: Any, record: Recorded) -> Any:
    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            record.status = message["status"]
            record.response_headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in message.get("headers") or []]
            record.responded = time.monotonic()
        elif message["type"] == "http.response.body" and len(record.response_body) < KEEP_RESPONSE_BYTES:
            record.response_body += message.get("body", b"")[: KEEP_RESPONSE_BYTES - len(record.response_body)]
        await send(message)

    return wrapped


async def _answer(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None,
                  record: Recorded | None = None) -> None:
    head = list(headers if headers is not None else JSON_HEADERS) + [(b"content-length", str(len(body)).encode())]
    if record is not None:
        record.status, record.responded = status, time.monotonic()
        record.response_headers = [(k.decode(), v.decode()) for k, v in head]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
