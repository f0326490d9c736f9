"""A hostile proxy in front of the reference server: each rule turns one kind of answer into an attack.

Raw sockets (not ASGI), so a rule can do what no framework allows: endless ``100 Continue`` lines, a body
dripping one byte at a time, a gzip bomb, control characters in the reason phrase. One request per connection.
``Listener`` is a bystander on another port that records whatever reaches it (a token or cookie must never).
"""

from __future__ import annotations

import http.client
import re
import socket
import socketserver
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit


@dataclass
class Request:
    method: str
    target: str  # path?query as sent
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    reason: str = "OK"

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def set(self, name: str, value: str) -> Answer:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()] + [(name, value)]
        return self


Forward = Callable[[Request], Answer]
# a rule: does it apply to this request? then either an Answer (sent normally) or None after writing raw itself
Rule = tuple[Callable[[Request], bool], Callable[[Request, Forward, socket.socket], "Answer | None"]]


def _read_request(sock: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1 << 20:
            return None
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Request(method, target, headers, rest[:length])


def send(sock: socket.socket, answer: Answer) -> None:
    lines = [f"HTTP/1.1 {answer.status} {answer.reason}"]
    headers = [(k, v) for k, v in answer.headers if k.lower() not in ("content-length", "transfer-encoding", "connection")]
    headers += [("Content-Length", str(len(answer.body))), ("Connection", "close")]
    lines += [f"{k}: {v}" for k, v in headers]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace") + answer.body)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class HostileProxy:
    """``with HostileProxy(upstream, rules) as p: p.base_url`` — every request is recorded in ``seen``."""

    def __init__(self, upstream: str, rules: list[Rule]) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules = rules
        self.seen: list[Request] = []
        self.base_url = ""

    def forward(self, req: Request) -> Answer:
        up = urlsplit(self.upstream)
        conn = http.client.HTTPConnection(up.hostname or "127.0.0.1", up.port, timeout=30)
        headers = {k: v for k, v in req.headers.items() if k not in ("host", "accept-encoding", "connection", "cookie")}
        conn.request(req.method, up.path + req.target, body=req.body or None, headers=headers)
        resp = conn.getresponse()
        body = resp.read().replace(self.upstream.encode(), self.base_url.encode())
        out = [(k, v.replace(self.upstream, self.base_url)) for k, v in resp.getheaders() if k.lower() not in ("content-length", "transfer-encoding", "connection")]
        conn.close()
        return Answer(resp.status, out, body, resp.reason)

    def _handle(self, sock: socket.socket) -> None:
        try:
            req = _read_request(sock)
            if req is None:
                return
            self.seen.append(req)
            for applies, act in self.rules:
                if applies(req):
                    answer = act(req, self.forward, sock)
                    break
            else:
                answer = self.forward(req)
            if answer is not None:
                send(sock, answer)
        except (OSError, ValueError):
            pass  # the harness hung up on us: that is the point

    def __enter__(self) -> HostileProxy:
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Listener(HostileProxy):
    """A bystander on another port of the same host: records every request, answers an empty Bundle."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:1", [(lambda r: True, lambda r, f, s: Answer(200, [("Content-Type", "application/fhir+json")], b'{"resourceType":"Bundle","type":"searchset"}'))])


# -- building blocks for rules -----------------------------------------------------------------------


def path_is(pattern: str, method: str | None = None) -> Callable[[Request], bool]:
    rx = re.compile(pattern)
    return lambda r: (method is None or r.method == method) and rx.search(r.target) is not None


def drip(status_line: bytes = b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n\r\n", every: float = 0.2) -> Callable[..., None]:
    """Headers, then one byte every ``every`` seconds, forever (until the harness hangs up)."""
    def act(req: Request, forward: Forward, sock: socket.socket) -> None:
        sock.sendall(status_line)
        while True:
            sock.sendall(b" ")
            time.sleep(every)
    return act


def endless_continue(req: Request, forward: Forward, sock: socket.socket) -> None:
    while True:
        sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        time.sleep(0.05)


def endless_body(req: Request, forward: Forward, sock: socket.socket) -> None:
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n\r\n")
    piece = b"[" * 65536
    frame = b"%x\r\n%s\r\n" % (len(piece), piece)
    while True:
        sock.sendall(frame)


@lru_cache(maxsize=1)
def gzip_bomb(size: int = 256 << 20) -> bytes:
    """``size`` bytes of spaces, gzipped (about a thousandth of that on the wire)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * (1 << 20)
    parts = [comp.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + comp.flush()


def bomb(req: Request, forward: Forward, sock: socket.socket) -> Answer:
    return Answer(200, [("Content-Type", "application/fhir+json"), ("Content-Encoding", "gzip")], gzip_bomb())


def replace_body(body: bytes, status: int = 200, ctype: str = "application/fhir+json", **headers: str) -> Callable[..., Answer]:
    return lambda req, forward, sock: Answer(status, [("Content-Type", ctype), *headers.items()], body)


def mutate(fn: Callable[[Answer], Answer]) -> Callable[..., Answer]:
    """The reference server's real answer, altered."""
    return lambda req, forward, sock: fn(forward(req))


@dataclass
class Scenario:
    name: str
    rules: Callable[[Env], list[Rule]]
    select: str  # -k expression: the suites the attack reaches
    expect_exit: tuple[int, ...] = (1,)
    extra: list[str] = field(default_factory=list)
    reaches_bystander: bool = False  # the attack sends the harness to the bystander (which must get no secret)


@dataclass
class Env:
    """What a scenario's rules may use: the canary token, and the bystander's base URL."""

    token: str
    listener: str
