"""FhirClient: one Transport (transport.py: byte caps, deadlines, redirects, cookies) per run; every exchange
captured (redacted at capture time, by name and by value: redact.register_secret).

The client never raises on what a server sends. Transport problems (refused connection, deadline, an answer
over the size limit, a link that is not a URL) come back as a FhirResponse whose ``error`` says what went
wrong; the checks turn that into a failed test, never a harness crash.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import httpx

from .. import jsonio
from .auth import AuthError
from .redact import redact_headers, redact_text, redact_url, register_secret
from .transport import DEFAULT_MAX_BYTES, Opened, Transport, TransportError, TransportPolicy, origin

if TYPE_CHECKING:
    from .auth import TokenProvider

FHIR_JSON = "application/fhir+json"
BODY_CAPTURE_LIMIT = 256 * 1024  # what an Exchange keeps of a body for reports


@dataclass
class Exchange:
    """One HTTP request and its answer, as recorded for reports (secrets already redacted)."""

    id: int
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None
    elapsed_ms: float = 0.0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class FhirResponse:
    exchange: Exchange
    status: int | None
    headers: httpx.Headers
    content: bytes
    error: str | None = None  # transport-level problem; status is None then
    _parsed: Any = field(default=None, repr=False)
    _parse_error: str | None = field(default=None, repr=False)
    _parsed_done: bool = field(default=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def _parse(self) -> None:
        if self._parsed_done:
            return
        self._parsed_done = True
        if not self.content:
            self._parse_error = "the response has no body"
            return
        try:
            self._parsed = jsonio.loads(self.content)
        except jsonio.JsonError as exc:
            self._parse_error = f"the response body is not JSON ({exc})"

    @property
    def json(self) -> Any:
        """The parsed body, or None (see json_error)."""
        self._parse()
        return self._parsed

    @property
    def json_error(self) -> str | None:
        self._parse()
        return self._parse_error

    @property
    def resource(self) -> dict[str, Any] | None:
        """The body when it is a JSON object with a resourceType, else None."""
        body = self.json
        if isinstance(body, dict) and isinstance(body.get("resourceType"), str):
            return body
        return None

    def describe(self) -> str:
        if self.error:
            return f"{self.exchange.method} {self.exchange.url} -> no answer ({self.error})"
        return f"{self.exchange.method} {self.exchange.url} -> HTTP {self.status} ({self.content_type or 'no Content-Type'})"


@dataclass
class Streamed:
    """A response read as a stream (see FhirClient.stream). The reader sets `head` (what to keep for reports)
    and `note`; a problem while reading goes in `error`."""

    exchange: Exchange
    response: httpx.Response | None = None
    error: str | None = None
    head: bytes = b""
    note: str = ""
    opened: Opened | None = None

    def iter_bytes(self) -> Iterator[bytes]:
        """The decoded body within the streaming limits (byte cap, deadline); a problem lands in `error`."""
        if self.opened is None:
            return
        yield from self.opened.chunks()
        if self.opened.error and not self.error:
            self.error = self.opened.error

    def read(self, limit: int) -> bytes:
        """At most ``limit`` bytes of the decoded body (e.g. an error answer, for the report)."""
        return b"".join(self.iter_bytes_limited(limit))

    def iter_bytes_limited(self, limit: int) -> Iterator[bytes]:
        if self.opened is not None:
            yield from self.opened.chunks(limit)


class ExchangeLog:
    """Every exchange of the run, and a listener hook the pytest plugin uses to attach them to tests."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._ids = itertools.count(1)
        self.listeners: list[Callable[[Exchange], None]] = []

    def next_id(self) -> int:
        return next(self._ids)

    def record(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        for listener in list(self.listeners):
            listener(exchange)


class FhirClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        auth_token: str | None = None,
        extra_headers: dict[str, str] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        verify_tls: bool = True,
        log: ExchangeLog | None = None,
        transport: httpx.BaseTransport | None = None,
        auth: TokenProvider | None = None,
        policy: TransportPolicy | None = None,
    ) -> None:
        """``policy`` (transport.py) sets every limit; without it, ``timeout`` and ``max_bytes`` fill one in."""
        self.base_url = base_url.rstrip("/")
        self.auth = auth  # fetches/renews a bearer token per request (fhir/auth.py); auth_token is the fixed form
        self.policy = policy or replace(TransportPolicy(), read_timeout=timeout, max_bytes=max_bytes)
        self.max_bytes = self.policy.max_bytes
        self.log = log or ExchangeLog()
        self._secrets = [auth_token] if auth_token else []
        if auth_token:
            register_secret(auth_token)
        headers = {"Accept": FHIR_JSON, "User-Agent": "ra-conform"}
        if auth_token:
            headers["Authorization"] = f"Bearer {auth_token}"
        headers.update(extra_headers or {})
        self._transport = Transport(self.policy, headers=headers, credential_origin=self.base_url, verify=verify_tls,
                                    transport=transport)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> FhirClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url

    # -- verbs -------------------------------------------------------------------------------
    def get(self, path: str, params: list[tuple[str, str]] | dict[str, str] | None = None, **kw: Any) -> FhirResponse:
        return self.request("GET", path, params=params, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> FhirResponse:
        return self.request("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> FhirResponse:
        return self.request("PUT", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> FhirResponse:
        return self.request("DELETE", path, **kw)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | dict[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> FhirResponse:
        req_headers = dict(headers or {})
        if json is not None:
            try:
                content = jsonio.dumps(json)
            except jsonio.JsonError as exc:  # pragma: no cover - our own request bodies are plain JSON
                raise ValueError(f"request body not serialisable: {exc}") from None
            req_headers.setdefault("Content-Type", FHIR_JSON)
        try:
            request = self._build(method, path, params=params, content=content, headers=req_headers)
        except TransportError as exc:
            return self._unsent(method, path, content, str(exc))
        answer = self.send(request, content)
        if answer.status == 401 and self._authenticated(request):  # renew the token once, then ask again
            assert self.auth is not None
            self.auth.invalidate()
            answer = self.send(self._build(method, path, params=params, content=content, headers=req_headers), content)
        return answer

    def send(self, request: httpx.Request, content: bytes | None = None) -> FhirResponse:
        """Send a built request under the transport policy and capture the exchange (redacted); problems land in
        `error`, never raised."""
        if content is None and request.method in ("POST", "PUT", "PATCH"):
            content = request.content or None
        exchange = self._exchange(request, content)
        started = time.perf_counter()
        answer = self._transport.fetch(request)
        exchange.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
        exchange.status = answer.status
        exchange.response_headers = redact_headers(answer.headers.multi_items())
        exchange.response_body = self._capture(answer.body)
        exchange.error = redact_text(answer.error) if answer.error else None
        self.log.record(exchange)
        return FhirResponse(exchange=exchange, status=answer.status, headers=answer.headers, content=answer.body, error=exchange.error)

    def _unsent(self, method: str, path: str, content: bytes | None, error: str) -> FhirResponse:
        """A request that could not even be built (e.g. a server's link that is not a URL): recorded, not raised."""
        exchange = Exchange(id=self.log.next_id(), method=method.upper(), url=redact_url(path), request_headers={},
                            request_body=self._capture(content), error=redact_text(error))
        self.log.record(exchange)
        return FhirResponse(exchange=exchange, status=None, headers=httpx.Headers(), content=b"", error=exchange.error)

    @contextmanager
    def stream(self, method: str, path: str, *, headers: dict[str, str] | None = None) -> Iterator[Streamed]:
        """A response to read as a stream (e.g. large NDJSON files). The exchange is recorded when the block
        ends, with the head the reader kept; transport errors, also while reading, land in `error`."""
        try:
            request = self._build(method, path, headers=dict(headers or {}))
        except TransportError as exc:
            streamed = Streamed(Exchange(id=self.log.next_id(), method=method.upper(), url=redact_url(path), request_headers={}, request_body=None))
            streamed.error = f"{method} {path} -> no answer ({exc})"
            streamed.exchange.error = redact_text(streamed.error)
            self.log.record(streamed.exchange)
            yield streamed
            return
        streamed = Streamed(self._exchange(request, None))
        started = time.perf_counter()
        with self._transport.open(request, streaming=True) as opened:
            streamed.opened = opened
            streamed.response = opened.response
            if opened.response is None:
                streamed.error = f"{method} {path} -> no answer ({opened.error})"
            else:
                streamed.exchange.status = opened.response.status_code
                streamed.exchange.response_headers = redact_headers(opened.response.headers.multi_items())
            try:
                yield streamed
            except httpx.HTTPError as exc:
                streamed.error = f"{method} {path} -> broken while reading ({type(exc).__name__}: {exc})"
            finally:
                exchange = streamed.exchange
                exchange.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
                problem = streamed.error or opened.error
                exchange.error = redact_text(problem) if problem else None
                text = streamed.head.decode("utf-8", errors="replace") + (f"\n{streamed.note}" if streamed.note else "")
                exchange.response_body = redact_text(text, self._secrets) if text else None
                self.log.record(exchange)

    def _build(self, method: str, path: str, **kw: Any) -> httpx.Request:
        """The request; the bearer token goes only to the target's own origin (never to a link elsewhere).
        Raises TransportError for a path or link that is not a usable URL."""
        request = self._transport.build(method, self.url(path), **kw)
        if self.auth is not None and origin(request.url) == origin(self.base_url):
            try:
                request.headers["Authorization"] = self.auth.authorization(self.send)
            except AuthError:  # the failed token exchange is in the log; the server's answer says the rest
                request.headers.pop("Authorization", None)
        return request

    def _authenticated(self, request: httpx.Request) -> bool:
        return self.auth is not None and "Authorization" in request.headers

    def _exchange(self, request: httpx.Request, content: bytes | None) -> Exchange:
        return Exchange(
            id=self.log.next_id(),
            method=request.method,
            url=redact_url(str(request.url)),
            request_headers=redact_headers(request.headers.multi_items()),
            request_body=self._capture(content),
        )

    def _capture(self, body: bytes | None) -> str | None:
        if not body:
            return None
        # redact a little beyond the cut, so a secret straddling it is replaced whole
        text = redact_text(body[: BODY_CAPTURE_LIMIT + 4096].decode("utf-8", errors="replace"), self._secrets)[:BODY_CAPTURE_LIMIT]
        if len(body) > BODY_CAPTURE_LIMIT:
            text += f"\n… ({len(body) - BODY_CAPTURE_LIMIT} more bytes not kept)"
        return text
