"""The FHIR Asynchronous Request Pattern, client side (RA-SPEC §2.2): kick-off, polling, manifest, download, cancel.

Protocol only — no judgement: every function returns what happened (responses, timings, problems as text) and
the checks in ``checks/bulk.py`` decide what conforms. Nothing raises on what a server sends. Downloads are
streamed line by line (an export of any size is never held in memory unless the caller keeps the lines).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import jsonschema

from .. import jsonio
from .client import BODY_CAPTURE_LIMIT, Exchange, FhirClient, FhirResponse, Streamed
from .operation import OperationAnswer, parse_answer

FHIR_JSON = "application/fhir+json"
NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")  # REQ-067
DEFAULT_POLL_LIMIT = 120.0  # seconds (RA_CONFORM_ASYNC_TIMEOUT)
MAX_DELAY = 30.0  # never sleep longer than this between polls, whatever Retry-After says
CHUNK = 256 * 1024

# REQ-061..REQ-063: the completion manifest (Bulk Data IG 1.0 shape).
_ITEM = {
    "type": "object",
    "required": ["type", "url"],
    "properties": {
        "type": {"type": "string", "pattern": "^[A-Z][A-Za-z]+$"},
        "url": {"type": "string", "pattern": "^https?://"},
        "count": {"type": "integer", "minimum": 0},
        "extension": {"type": "object"},
    },
}
MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["transactionTime", "request", "requiresAccessToken", "output", "error"],
    "properties": {
        "transactionTime": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"},
        "request": {"type": "string", "pattern": "^https?://"},
        "requiresAccessToken": {"type": "boolean"},
        "output": {"type": "array", "items": _ITEM},
        "error": {"type": "array", "items": _ITEM},
        "extension": {"type": "object"},
    },
}
_MANIFEST_VALIDATOR = jsonschema.Draft202012Validator(MANIFEST_SCHEMA)


# -- kick-off ---------------------------------------------------------------------------------------


@dataclass
class Kickoff:
    response: FhirResponse
    url: str  # the kick-off URL as sent

    @property
    def accepted(self) -> bool:
        return self.response.status == 202

    @property
    def synchronous(self) -> bool:
        """The server ignored `Prefer: respond-async` and answered the operation itself (REQ-069)."""
        return self.response.status == 200

    @property
    def status_url(self) -> str | None:
        value = self.response.headers.get("content-location")
        return value.strip() if value and value.strip() else None


def kickoff(client: FhirClient, path: str, *, method: str = "GET", params: list[tuple[str, str]] | None = None,
            body: Any = None, output_format: str | None = None, prefer: str = "respond-async",
            accept: str = FHIR_JSON) -> Kickoff:
    """Send the request with ``Prefer: respond-async`` (REQ-051) and ``Accept`` (REQ-052)."""
    query = list(params or [])
    if output_format is not None:
        query.append(("_outputFormat", output_format))
    resp = client.request(method, path, params=query or None, json=body, headers={"Prefer": prefer, "Accept": accept})
    return Kickoff(resp, resp.exchange.url)


# -- polling -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PollStep:
    status: int | None
    x_progress: str | None
    retry_after: str | None
    waited: float  # seconds slept before this poll


@dataclass
class PollResult:
    steps: list[PollStep] = field(default_factory=list)
    final: FhirResponse | None = None  # the answer that ended polling (200, an error, or the last 202)
    timed_out: bool = False
    elapsed: float = 0.0
    limit: float = DEFAULT_POLL_LIMIT

    @property
    def completed(self) -> bool:
        return self.final is not None and self.final.status == 200

    @property
    def in_progress(self) -> list[PollStep]:
        return [s for s in self.steps if s.status in (202, 429)]

    @property
    def manifest(self) -> dict[str, Any] | None:
        body = self.final.json if self.completed and self.final else None
        return body if isinstance(body, dict) else None


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as seconds: delay-seconds or an HTTP-date; None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # ASCII only: '①'.isdigit() is True (a server's Retry-After: ①)
        return float(text)
    try:
        when = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def poll(client: FhirClient, status_url: str, *, limit: float = DEFAULT_POLL_LIMIT, first_delay: float = 0.0,
         backoff: float = 0.2, sleep: Callable[[float], None] = time.sleep,
         clock: Callable[[], float] = time.monotonic) -> PollResult:
    """GET the status URL until it stops answering 202/429 or ``limit`` seconds pass (REQ-058: Retry-After is
    honoured; without it the delay doubles from ``backoff``). The last sleep is cut short at the limit."""
    result = PollResult(limit=limit)
    started = clock()
    delay, wait = backoff, first_delay
    while True:
        remaining = limit - (clock() - started)
        if wait > 0:
            if wait > remaining:
                result.timed_out = True
                break
            sleep(wait)
        resp = client.get(status_url, headers={"Accept": "application/json"})
        result.final = resp
        result.steps.append(PollStep(resp.status, resp.headers.get("x-progress"), resp.headers.get("retry-after"), wait))
        if resp.status not in (202, 429):
            break
        hinted = retry_after_seconds(resp.headers.get("retry-after"))
        wait = min(hinted if hinted is not None else delay, MAX_DELAY)
        delay = min(delay * 2, MAX_DELAY)
        if clock() - started >= limit:
            result.timed_out = True
            break
    result.elapsed = clock() - started
    return result


def manifest_problems(manifest: Any) -> list[str]:
    """Schema problems of a completion manifest (REQ-061/062), as 'path: message' texts."""
    out = []
    for err in sorted(_MANIFEST_VALIDATOR.iter_errors(manifest), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path) or "(manifest)"
        out.append(f"{where}: {err.message}")
    return out


def cancel(client: FhirClient, status_url: str) -> FhirResponse:
    """REQ-066: DELETE the status URL."""
    return client.delete(status_url)


def cancel_quietly(client: FhirClient, kick: Kickoff) -> None:
    """Cancel a job a test started only to see it accepted, so it does not run on in the target."""
    if kick.accepted and kick.status_url:
        cancel(client, kick.status_url)


# -- download ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NdjsonLine:
    number: int  # 1-based
    resource: dict[str, Any] | None  # None when the line is not a JSON object (or was not parsed)
    error: str | None
    raw: bytes = b""  # the line as sent

    @property
    def parsed(self) -> bool:
        return self.resource is not None or self.error is not None


def parse_line(raw: bytes, number: int) -> NdjsonLine:
    """One non-blank NDJSON line: its resource, or why it is not one (REQ-064)."""
    try:
        value = jsonio.loads(raw)
    except jsonio.JsonError as exc:
        return NdjsonLine(number, None, f"not JSON: {exc}", raw)
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        return NdjsonLine(number, None, "not a FHIR resource (a JSON object with a resourceType)", raw)
    return NdjsonLine(number, value, None, raw)


@dataclass
class Download:
    url: str
    status: int | None = None
    content_type: str = ""
    lines: int = 0  # non-empty lines
    size: int = 0
    error: str | None = None  # transport problem, or a non-200 answer
    exchange: Exchange | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200


def download(client: FhirClient, url: str, on_line: Callable[[NdjsonLine], None], *,
             max_line: int = 64 * 1024 * 1024, parse: bool = True) -> Download:
    """Stream an NDJSON file, calling ``on_line`` for every non-empty line as it arrives (REQ-064).

    The exchange is recorded (head of the body only). A line longer than ``max_line`` bytes ends the download.
    ``parse`` False: lines are handed over unparsed (``raw`` only; the consumer parses, e.g. in worker processes).
    """
    result = Download(url)
    with client.stream("GET", url, headers={"Accept": NDJSON}) as streamed:
        resp = streamed.response
        if resp is not None:
            result.status, result.content_type = resp.status_code, resp.headers.get("content-type", "")
            if resp.status_code != 200:
                streamed.head = streamed.read(BODY_CAPTURE_LIMIT)
                result.error = f"GET {url} -> HTTP {resp.status_code}"
            else:
                streamed.head = _stream_lines(streamed, result, on_line, max_line, parse)
            if result.size > len(streamed.head):
                streamed.note = f"… (streamed: {result.lines} lines, {result.size} bytes; only the head is kept)"
    result.error = result.error or streamed.error
    result.exchange = streamed.exchange
    return result


def _stream_lines(streamed: Streamed, result: Download, on_line: Callable[[NdjsonLine], None],
                  max_line: int, parse: bool) -> bytes:
    head, pending, number = b"", b"", 0
    for chunk in streamed.iter_bytes():  # within the transport policy's streaming cap and deadline
        result.size += len(chunk)
        if len(head) < BODY_CAPTURE_LIMIT:
            head += chunk[: BODY_CAPTURE_LIMIT - len(head)]
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            number += 1
            _emit(raw, number, result, on_line, parse)
        if len(pending) > max_line:
            result.error = f"line {number + 1} is longer than {max_line} bytes"
            return head
    if pending.strip():
        _emit(pending, number + 1, result, on_line, parse)
    return head


def _emit(raw: bytes, number: int, result: Download, on_line: Callable[[NdjsonLine], None], parse: bool) -> None:
    if not raw.strip():
        return
    result.lines += 1
    on_line(parse_line(raw, number) if parse else NdjsonLine(number, None, None, raw))


def iter_download(client: FhirClient, url: str) -> tuple[Download, list[NdjsonLine]]:
    """Convenience for small files: the download and every line (kept in memory)."""
    lines: list[NdjsonLine] = []
    return download(client, url, lines.append), lines


# -- the async answer as an operation answer -------------------------------------------------------


def as_operation_answer(bundles: list[dict[str, Any]], outcomes: list[dict[str, Any]],
                        response: FhirResponse) -> OperationAnswer:
    """The NDJSON lines as the synchronous Parameters would carry them (REQ-068): one `return` per Bundle line,
    then one `outcome` per OperationOutcome line, so the same answer checks apply. Positions are the order above."""
    params = [{"name": "return", "resource": b} for b in bundles] + [{"name": "outcome", "resource": o} for o in outcomes]
    body = jsonio.dumps({"resourceType": "Parameters", "parameter": params})
    synthetic = FhirResponse(exchange=response.exchange, status=200, headers=httpx.Headers({"content-type": FHIR_JSON}),
                             content=body)
    return parse_answer(synthetic)
