"""Soak and crash harness for the reference server (issue 12): localhost only, bounded in clients and time.

``soak``: many concurrent clients read (metadata, read, search, `$cc-gaps`) and write (POST and PUT of Patients,
each carrying a unique marker) for a fixed time; afterwards the store is read directly: no acknowledged write
lost, none duplicated; no 5xx; latency percentiles. ``crash``: writes and async jobs in flight, the server is
killed with SIGKILL, restarted on the same data dir: every acknowledged write is there, and every accepted job
ends cleanly (completes, or answers an error with an OperationOutcome). Used by tests/soak and
benchmarks/bench_soak.py.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ra_conformance.server.store import Store

FHIR = "application/fhir+json"
MARKER_SYSTEM = "https://ra-conform.example.org/soak"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`ra-conform serve` in its own process (so it can be killed with SIGKILL)."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir, self.port = data_dir, port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, wait: float = 60.0) -> ServerProcess:
        self.proc = subprocess.Popen([sys.executable, "-m", "ra_conformance.cli", "serve", "--port", str(self.port),
                                      "--data-dir", str(self.data_dir), "--log-level", "warning"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base_url + "/metadata", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()[-2000:] if self.proc.stderr else ''}")
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # transport problems
    server_errors: list[str] = field(default_factory=list)  # 5xx
    posted: dict[str, str] = field(default_factory=dict)  # marker -> id, acknowledged creates
    tried_posts: set[str] = field(default_factory=set)
    put: dict[str, str] = field(default_factory=dict)  # id -> marker of its last acknowledged write
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, what: str, resp: httpx.Response | None, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if resp is None:
                self.errors.append(f"{what}: {error}")
                return
            self.statuses[resp.status_code] = self.statuses.get(resp.status_code, 0) + 1
            if resp.status_code >= 500:
                self.server_errors.append(f"{what} -> {resp.status_code}: {resp.text[:200]}")

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))] * 1000 if data else 0.0


def _patient(marker: str, rid: str | None = None) -> dict:
    body = {"resourceType": "Patient", "identifier": [{"system": MARKER_SYSTEM, "value": marker}],
            "name": [{"family": "Soak", "given": [marker]}], "gender": "unknown"}
    if rid:
        body["id"] = rid
    return body


def _request(http: httpx.Client, tally: Tally, what: str, method: str, url: str, **kw) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        resp = http.request(method, url, **kw)
    except httpx.HTTPError as exc:
        tally.add(what, None, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
        return None
    tally.add(what, resp, time.perf_counter() - started)
    return resp


def client_loop(base: str, client_no: int, stop: threading.Event, tally: Tally, *, writes_only: bool = False) -> None:
    """One client: a round of reads and writes, again and again, until ``stop``."""
    headers = {"Accept": FHIR, "Content-Type": FHIR}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        i = 0
        while not stop.is_set():
            i += 1
            marker = f"c{client_no}-n{i}"
            with tally.lock:
                tally.tried_posts.add(marker)
            resp = _request(http, tally, "create", "POST", "/Patient", json=_patient(marker))
            if resp is not None and resp.status_code == 201:
                with tally.lock:
                    tally.posted[marker] = resp.json().get("id", "")
            rid = f"soak-c{client_no}-{i % 5}"  # updates of the same ids, again and again
            resp = _request(http, tally, "update", "PUT", f"/Patient/{rid}", json=_patient(marker + "-put", rid))
            if resp is not None and resp.status_code in (200, 201):
                with tally.lock:
                    tally.put[rid] = marker + "-put"
            if writes_only:
                continue
            _request(http, tally, "metadata", "GET", "/metadata")
            _request(http, tally, "read", "GET", "/Patient/rac-p01")
            _request(http, tally, "search", "GET", "/MeasureReport", params={"subject": "Patient/rac-p01", "category": "ra"})
            _request(http, tally, "cc-gaps", "GET", "/MeasureReport/$cc-gaps",
                     params={"subject": "Patient/rac-p01", "periodStart": "2024-01-01", "periodEnd": "2024-12-31"})


@dataclass
class Verdict:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


def verify_store(data_dir: Path, tally: Tally) -> Verdict:
    """Read the store itself: each acknowledged create once (never twice), each acknowledged PUT with its last value."""
    verdict = Verdict()
    with Store(data_dir) as store:
        patients = store.all("Patient")
    by_marker: dict[str, list[str | None]] = {}
    by_id = {p.get("id"): p for p in patients}
    for p in patients:
        for ident in p.get("identifier", []):
            if ident.get("system") == MARKER_SYSTEM:
                by_marker.setdefault(ident["value"], []).append(p.get("id"))
    for marker, rid in tally.posted.items():
        if rid not in by_marker.get(marker, []):
            verdict.lost.append(marker)
    for marker in tally.tried_posts:
        if len(by_marker.get(marker, [])) > 1:
            verdict.duplicated.append(marker)
    for rid, marker in tally.put.items():
        held = by_id.get(rid)
        if held is None:
            verdict.lost.append(rid)
        elif [i.get("value") for i in held.get("identifier", [])] != [marker]:
            # a later write may have been applied without its acknowledgement reaching us (crash): not stale then
            verdict.stale.append(f"{rid}: holds {held.get('identifier')}, last acknowledged {marker}")
    return verdict


@dataclass
class SoakResult:
    clients: int
    seconds: float
    tally: Tally
    verdict: Verdict

    @property
    def requests(self) -> int:
        return len(self.tally.latencies)

    def summary(self) -> str:
        t = self.tally
        return (f"{self.clients} clients x {self.seconds:.0f} s: {self.requests} requests ({self.requests / self.seconds:.0f}/s), "
                f"{len(t.posted)} creates + {sum(1 for _ in t.put)} ids updated; p50 {t.percentile(0.5):.1f} ms, "
                f"p99 {t.percentile(0.99):.1f} ms, max {t.percentile(1.0):.1f} ms; 5xx {len(t.server_errors)}, "
                f"transport errors {len(t.errors)}; lost {len(self.verdict.lost)}, duplicated {len(self.verdict.duplicated)}, "
                f"stale {len(self.verdict.stale)}; statuses {dict(sorted(t.statuses.items()))}")


def soak(data_dir: Path, *, clients: int = 16, seconds: float = 5.0, min_requests: int = 0, min_posts: int = 0,
         max_seconds: float = 60.0) -> SoakResult:
    """Soak for `seconds`, then on until `min_requests`/`min_posts` are done (at most `max_seconds`): the test asks
    for an amount of work, never for a throughput, so a loaded machine makes it slower, not red."""
    server = ServerProcess(data_dir).start()
    tally, stop = Tally(), threading.Event()
    threads = [threading.Thread(target=client_loop, args=(server.base_url, n, stop, tally)) for n in range(clients)]
    started = time.monotonic()
    try:
        for t in threads:
            t.start()
        time.sleep(seconds)
        while (len(tally.latencies) < min_requests or len(tally.posted) < min_posts) and time.monotonic() - started < max_seconds:
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(60)
    finally:
        elapsed = time.monotonic() - started
        server.stop()
    return SoakResult(clients, elapsed, tally, verify_store(data_dir, tally))


@dataclass
class CrashResult:
    tally: Tally
    verdict: Verdict
    jobs: dict[str, str]  # status URL -> how it ended after the restart


def _kick_jobs(base: str, n: int) -> list[str]:
    urls = []
    with httpx.Client(base_url=base, timeout=10, headers={"Accept": FHIR, "Prefer": "respond-async"}) as http:
        for _ in range(n):
            try:
                resp = http.get("/MeasureReport/$cc-gaps", params={"subject": "Group/rac-group-b", "periodStart": "2024-01-01", "periodEnd": "2024-12-31"})
            except httpx.HTTPError:
                continue
            if resp.status_code == 202 and resp.headers.get("content-location"):
                urls.append(resp.headers["content-location"])
    return urls


def _job_end(http: httpx.Client, url: str, limit: float) -> str:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        resp = http.get(url)
        if resp.status_code == 202:
            time.sleep(0.2)
            continue
        if resp.status_code == 200:
            return "completed"
        try:
            body = resp.json()
        except ValueError:
            body = None
        kind = body.get("resourceType") if isinstance(body, dict) else None
        return f"failed cleanly ({resp.status_code} {kind})" if kind == "OperationOutcome" else f"UNCLEAN {resp.status_code} {resp.text[:120]!r}"
    return "UNCLEAN: still 202 after the limit"


def crash(data_dir: Path, *, clients: int = 8, before_kill: float = 1.5, jobs: int = 6) -> CrashResult:
    """Writes and jobs in flight, SIGKILL, restart on the same data dir, verify."""
    server = ServerProcess(data_dir).start()
    tally, stop = Tally(), threading.Event()
    threads = [threading.Thread(target=client_loop, args=(server.base_url, n, stop, tally), kwargs={"writes_only": True})
               for n in range(clients)]
    for t in threads:
        t.start()
    time.sleep(before_kill)
    status_urls = _kick_jobs(server.base_url, jobs)  # the last ones still queued or running at the kill
    server.kill()  # mid-write: clients see refused/reset connections from here on
    stop.set()
    for t in threads:
        t.join(60)
    restarted = ServerProcess(data_dir, server.port).start()
    try:
        with httpx.Client(timeout=10, headers={"Accept": "application/json"}) as http:
            ends = {url: _job_end(http, url, 30.0) for url in status_urls}
    finally:
        restarted.stop()
    return CrashResult(tally, verify_store(data_dir, tally), ends)
