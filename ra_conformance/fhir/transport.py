"""The one transport policy of every request the harness makes (probe, suites, paging, async, downloads, tokens).

Whatever a server does, a request ends within its ``deadline`` (connect, headers — even endless ``100 Continue``
lines — and body: every socket read and write is bounded by the time left, not only by a per-read timeout), holds
at most ``max_bytes`` on the wire *and* after decompression (a gzip bomb stops at the cap, decoding with bounded
output), follows at most ``max_redirects`` redirects (credentials never cross origins), and keeps cookies per
origin (scheme, host, port) or not at all. Nothing here raises on what a server sends: problems come back as text
in ``Answer.error`` / ``Opened.error``.
"""

from __future__ import annotations

import contextvars
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from .redact import register_secret

CHUNK = 64 * 1024
HEAD_KEPT = 256 * 1024  # of a body cut short (cap, deadline): what the report shows
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
CREDENTIAL_HEADERS = ("authorization", "cookie", "proxy-authorization")
ACCEPT_ENCODING = "gzip, deflate"  # only what we decode ourselves, with bounded output


class TransportError(Exception):
    """A request could not be made or its answer not read within the policy (message: what happened)."""


@dataclass(frozen=True)
class TransportPolicy:
    """Limits of one request. ``stream_*`` apply to streamed downloads (bulk NDJSON), which never sit in memory."""

    max_bytes: int = DEFAULT_MAX_BYTES  # an answer read into memory: wire bytes and decoded bytes
    deadline: float = 120.0  # seconds for the whole request: connect, headers, redirects, body
    read_timeout: float = 30.0  # seconds without progress on one read/connect
    max_redirects: int = 5
    cookies: str = "per-origin"  # "per-origin" | "off"
    stream_max_bytes: int = 8 * 1024 * 1024 * 1024
    stream_deadline: float = 1800.0

    def __post_init__(self) -> None:
        if self.cookies not in ("per-origin", "off"):
            raise ValueError(f"cookies must be 'per-origin' or 'off', not {self.cookies!r}")


def origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in; ('', '', None) for an unusable URL."""
    try:
        parts = urlsplit(str(url))
        port = parts.port
    except ValueError:
        return ("", "", None)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), port if port is not None else {"http": 80, "https": 443}.get(scheme)


# -- the deadline, enforced on every socket operation ----------------------------------------------------

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("ra_conform_deadline", default=None)


def _bounded(timeout: float | None) -> float | None:
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        return 0.0
    return left if timeout is None else min(timeout, left)


def _expired() -> bool:
    deadline = _DEADLINE.get()
    return deadline is not None and time.monotonic() >= deadline


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if _expired():
            raise httpcore.ReadTimeout("the request deadline passed")
        return self._inner.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if _expired():
            raise httpcore.WriteTimeout("the request deadline passed")
        self._inner.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        if _expired():
            raise httpcore.ConnectTimeout("the request deadline passed")
        return _DeadlineStream(self._inner.connect_tcp(host, port, _bounded(timeout), local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, _bounded(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def deadline_transport(*, verify: bool = True) -> httpx.HTTPTransport:
    """httpx's own transport, its socket I/O bounded by the current request's deadline."""
    transport = httpx.HTTPTransport(verify=verify)
    pool = getattr(transport, "_pool", None)
    if pool is not None and hasattr(pool, "_network_backend"):  # httpcore >= 1.0
        pool._network_backend = _DeadlineBackend(pool._network_backend)
    return transport


# -- bounded decoding of Content-Encoding ----------------------------------------------------------------


class _Decoder:
    """gzip / deflate / identity (chained as listed), with output bounded per call."""

    def __init__(self, encodings: list[str]) -> None:
        self.stages: list[Any] = []
        for enc in reversed(encodings):  # the last encoding applied is undone first
            if enc in ("", "identity"):
                continue
            if enc in ("gzip", "x-gzip"):
                self.stages.append(zlib.decompressobj(zlib.MAX_WBITS | 16))
            elif enc == "deflate":
                self.stages.append(zlib.decompressobj(zlib.MAX_WBITS | 32))
            else:
                raise TransportError(f"unsupported Content-Encoding {enc!r} (we asked for {ACCEPT_ENCODING})")

    def feed(self, data: bytes, limit: int) -> Iterator[bytes]:
        """Decoded pieces of ``data``; stops (leaving the rest) once more than ``limit`` bytes came out."""
        pieces = [data]
        for stage in self.stages:
            out: list[bytes] = []
            produced = 0
            for piece in pieces:
                buf = piece
                while buf and produced <= limit:
                    try:
                        chunk = stage.decompress(buf, CHUNK)
                    except zlib.error as exc:
                        raise TransportError(f"the body does not decode as its Content-Encoding says ({exc})") from None
                    out.append(chunk)
                    produced += len(chunk)
                    buf = stage.unconsumed_tail
            pieces = out
        yield from (p for p in pieces if p)


def _encodings(headers: httpx.Headers) -> list[str]:
    return [e.strip().lower() for v in headers.get_list("content-encoding") for e in v.split(",")]


# -- answers ---------------------------------------------------------------------------------------------


@dataclass
class Answer:
    """An answer read into memory. ``status`` is None when no answer came; ``error`` says why it is partial."""

    url: str
    status: int | None = None
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    body: bytes = b""
    error: str | None = None
    redirects: list[str] = field(default_factory=list)


@dataclass
class Opened:
    """An answer whose body is read as a stream (``chunks()``), within the streaming limits."""

    url: str
    response: httpx.Response | None = None
    error: str | None = None
    redirects: list[str] = field(default_factory=list)
    size: int = 0
    _deadline: float = 0.0
    _max: int = 0

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers if self.response is not None else httpx.Headers()

    def chunks(self, limit: int | None = None) -> Iterator[bytes]:
        """Decoded body pieces; stops at the byte cap (or ``limit`` decoded bytes) or the deadline, setting ``error``."""
        if self.response is None:
            return
        cap = self._max if limit is None else min(limit, self._max)
        yield from _read(self.response, cap, self._deadline, self)

    def read(self, limit: int | None = None) -> bytes:
        return b"".join(self.chunks(limit))


def _read(resp: httpx.Response, cap: int, deadline: float, sink: Any) -> Iterator[bytes]:
    token = _DEADLINE.set(deadline)
    decoded = 0
    try:
        in_memory = getattr(resp, "_content", None) is not None
        decoder = _Decoder([] if in_memory else _encodings(resp.headers))
        for raw in _raw_chunks(resp):
            if resp.num_bytes_downloaded > cap or len(raw) > cap:
                sink.error = f"the response is larger than the {cap}-byte limit"
                return
            for piece in decoder.feed(raw, cap - decoded):
                decoded += len(piece)
                sink.size = decoded
                if decoded > cap:
                    keep = piece[: len(piece) - (decoded - cap)]
                    if keep:
                        yield keep
                    sink.error = f"the response is larger than the {cap}-byte limit (after decompression)"
                    return
                yield piece
            if _expired():
                sink.error = "the request deadline passed while reading the body"
                return
    except TransportError as exc:
        sink.error = str(exc)
    except httpx.TimeoutException:
        sink.error = "the request deadline passed while reading the body" if _expired() else "timed out while reading the body"
    except httpx.HTTPError as exc:
        sink.error = f"broken while reading the body ({_describe(exc)})"
    finally:
        _DEADLINE.reset(token)


def _raw_chunks(resp: httpx.Response) -> Iterator[bytes]:
    """The body as sent; an answer already in memory (httpx.MockTransport in tests) comes back decoded by httpx."""
    if getattr(resp, "_content", None) is not None:
        data = resp.content
        yield from (data[i:i + CHUNK] for i in range(0, len(data), CHUNK))
        return
    yield from resp.iter_raw(CHUNK)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _NoCookies(httpx.Cookies):
    """httpx's own jar, disabled: cookies are kept by Transport per origin."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class Transport:
    """One connection pool under one policy. ``credential_origin``: the only origin credentials go to."""

    def __init__(self, policy: TransportPolicy | None = None, *, headers: dict[str, str] | None = None,
                 credential_origin: str | None = None, verify: bool = True,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.policy = policy or TransportPolicy()
        self.credential_origin = origin(credential_origin) if credential_origin else None
        self._jars: dict[tuple[str, str, int | None], httpx.Cookies] = {}
        base = {"Accept-Encoding": ACCEPT_ENCODING, **(headers or {})}
        timeout = httpx.Timeout(self.policy.read_timeout)
        self._http = httpx.Client(headers=base, timeout=timeout, follow_redirects=False, cookies=_NoCookies(),
                                  transport=transport or deadline_transport(verify=verify), verify=verify)

    def close(self) -> None:
        self._http.close()

    def build(self, method: str, url: str, **kw: Any) -> httpx.Request:
        """The request (raises TransportError for a URL that is not one); credentials only to their origin."""
        try:
            request = self._http.build_request(method, url, **kw)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError, TypeError, UnicodeError) as exc:
            raise TransportError(f"not a usable URL: {url!r} ({_describe(exc)})") from None
        if str(request.url.scheme) not in ("http", "https") or not request.url.host:
            raise TransportError(f"not a usable http(s) URL: {url!r}")
        self._guard(request)
        return request

    def _guard(self, request: httpx.Request) -> None:
        target = origin(request.url)
        if self.credential_origin is None or target != self.credential_origin:
            for name in CREDENTIAL_HEADERS:
                if name != "cookie":
                    request.headers.pop(name, None)
        request.headers.pop("cookie", None)
        jar = self._jars.get(target)
        if jar is not None and self.policy.cookies == "per-origin":
            jar.set_cookie_header(request)

    def _keep_cookies(self, resp: httpx.Response) -> None:
        for value in resp.headers.get_list("set-cookie"):
            cookie_value = value.split(";", 1)[0].partition("=")[2].strip()
            if cookie_value:
                register_secret(cookie_value)
        if self.policy.cookies != "per-origin" or "set-cookie" not in resp.headers:
            return
        self._jars.setdefault(origin(resp.request.url), httpx.Cookies()).extract_cookies(resp)

    @contextmanager
    def open(self, request: httpx.Request, *, streaming: bool = False) -> Iterator[Opened]:
        """Send, following redirects within the policy; the body is read from the yielded Opened."""
        deadline = time.monotonic() + (self.policy.stream_deadline if streaming else self.policy.deadline)
        opened = Opened(str(request.url), _deadline=deadline,
                        _max=self.policy.stream_max_bytes if streaming else self.policy.max_bytes)
        token = _DEADLINE.set(deadline)
        try:
            opened.response = self._send_following(request, opened, deadline)
        finally:
            _DEADLINE.reset(token)
        try:
            yield opened
        finally:
            if opened.response is not None:
                opened.response.close()

    def _send_following(self, request: httpx.Request, opened: Opened, deadline: float) -> httpx.Response | None:
        for hop in range(self.policy.max_redirects + 1):
            try:
                resp = self._http.send(request, stream=True)
            except httpx.TimeoutException as exc:
                opened.error = "the request deadline passed" if time.monotonic() >= deadline else f"timed out ({type(exc).__name__})"
                return None
            except httpx.HTTPError as exc:
                opened.error = _describe(exc)
                return None
            self._keep_cookies(resp)
            location = resp.headers.get("location")
            if resp.status_code not in (301, 302, 303, 307, 308) or location is None:
                return resp
            try:
                nxt = self._redirect(request, resp, location)
            except TransportError as exc:
                resp.close()
                opened.error = f"redirect refused: {exc}"
                return None
            resp.close()
            opened.redirects.append(str(nxt.url))
            if hop == self.policy.max_redirects:
                break
            request = nxt
        opened.error = f"more than {self.policy.max_redirects} redirects (last to {opened.redirects[-1]})"
        return None

    def _redirect(self, request: httpx.Request, resp: httpx.Response, location: str) -> httpx.Request:
        try:
            url = request.url.join(location.strip())
        except (httpx.InvalidURL, ValueError, TypeError, UnicodeError) as exc:
            raise TransportError(f"invalid Location {location!r} ({_describe(exc)})") from None
        method = request.method
        if (resp.status_code == 303 and method != "HEAD") or (resp.status_code in (301, 302) and method == "POST"):
            method = "GET"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length", "content-type", "host", "cookie")}
        content = request.content if method == request.method else None
        if method != request.method:
            headers.pop("transfer-encoding", None)
        return self.build(method, str(url), headers=headers, content=content)  # _guard: credentials, cookies

    def fetch(self, request: httpx.Request) -> Answer:
        """Send and read the whole answer into memory, within the policy."""
        answer = Answer(str(request.url))
        with self.open(request) as opened:
            answer.redirects = opened.redirects
            if opened.response is None:
                answer.error = opened.error
                return answer
            answer.status, answer.headers = opened.response.status_code, opened.response.headers
            answer.body = _join(opened.chunks())
            answer.error = opened.error
            if answer.error:  # a partial body is never judged: keep only a head for the report
                answer.body = bytes(answer.body[:HEAD_KEPT])
        return answer

    def request(self, method: str, url: str, **kw: Any) -> Answer:
        """build + fetch; a URL that is not one gives an Answer with its error (for non-FHIR callers: tokens)."""
        try:
            request = self.build(method, url, **kw)
        except TransportError as exc:
            return Answer(url, error=str(exc))
        return self.fetch(request)


def _join(chunks: Iterator[bytes]) -> bytes:
    """The body in one buffer, grown in place (never the pieces and a joined copy at once: peak = the body)."""
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
    return buf  # type: ignore[return-value]  # bytes-like: orjson, slicing, decode all take it
