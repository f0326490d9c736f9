"""Benchmark: peak RSS of the harness for one hostile answer at the byte cap (issue 12: target < 500 MB).

Each case runs in a fresh child process (so each peak is its own): a local raw-socket server sends one answer,
the harness reads it through FhirClient (transport policy: cap, deadline) and does what a suite does with it —
parse, normalise as a search page and as a `$report` answer, capture the exchange. Printed per case: bytes sent,
what the harness made of it, seconds, peak RSS (MB). Usage:

    python benchmarks/bench_hostile_memory.py                 # every case, cap 64 MiB
    python benchmarks/bench_hostile_memory.py --cap-mb 64 --case bundle-1m
"""

from __future__ import annotations

import argparse
import json
import resource
import socket
import subprocess
import sys
import threading
import time
import zlib

CASES = {
    "bundle-1m": "a 48 MB searchset Bundle of 1,000,000 tiny entries",
    "bundle-at-cap": "a searchset Bundle of tiny entries just under the cap",
    "over-cap": "an answer of twice the cap (Content-Length)",
    "endless": "an endless chunked body",
    "gzip-bomb": "1 GiB of spaces gzipped (about 1 MB on the wire)",
    "string-at-cap": "one JSON string just under the cap",
    "objects-at-limit": "a Bundle of 249,000 entries (just under jsonio.MAX_CONTAINERS objects)",
    "values-at-limit": "an array of 2,990,000 distinct short strings (just under jsonio.MAX_SEPARATORS)",
}


def body_for(case: str, cap: int) -> tuple[bytes, list[tuple[str, str]]]:
    if case in ("bundle-1m", "bundle-at-cap"):
        n = 1_000_000 if case == "bundle-1m" else (cap - 200) // 49
        entry = b'{"resource":{"resourceType":"Patient","id":"x"}}'
        body = b'{"resourceType":"Bundle","type":"searchset","entry":[' + b",".join([entry] * n) + b"]}"
        return body, []
    if case == "objects-at-limit":
        entries = b",".join(b'{"resource":{"resourceType":"Patient","id":"p%d"}}' % i for i in range(249_000))
        return b'{"resourceType":"Bundle","type":"searchset","entry":[' + entries + b"]}", []
    if case == "values-at-limit":
        values = b",".join(b'"%d"' % i for i in range(2_990_000))
        return b'{"resourceType":"Bundle","type":"searchset","id":"x","entry":[],"extension":[' + values + b"]}", []
    if case == "string-at-cap":
        return b'{"resourceType":"Bundle","id":"' + b"x" * (cap - 100) + b'"}', []
    if case == "gzip-bomb":
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b" " * (1 << 20)
        return b"".join(comp.compress(block) for _ in range(1024)) + comp.flush(), [("Content-Encoding", "gzip")]
    return b"[" * (2 * cap), []


def serve(case: str, cap: int) -> tuple[socket.socket, int]:
    body, headers = body_for(case, cap)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)

    def loop() -> None:
        while True:
            conn, _ = sock.accept()
            conn.recv(65536)
            try:
                if case == "endless":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n\r\n")
                    frame = b"10000\r\n" + b"[" * 0x10000 + b"\r\n"
                    while True:
                        conn.sendall(frame)
                head = "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nConnection: close\r\n"
                head += "".join(f"{k}: {v}\r\n" for k, v in headers) + f"Content-Length: {len(body)}\r\n\r\n"
                conn.sendall(head.encode() + body)
            except OSError:
                pass
            finally:
                conn.close()

    threading.Thread(target=loop, daemon=True).start()
    return sock, len(body)


def peak_rss_kb() -> int:
    """VmHWM: this process's own peak (ru_maxrss would also count the parent's pages at fork, kept across exec)."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(case: str, cap: int, base: str, size: int) -> None:
    from ra_conformance.fhir import search
    from ra_conformance.fhir.client import FhirClient
    from ra_conformance.fhir.operation import parse_answer
    from ra_conformance.fhir.transport import TransportPolicy

    started = time.perf_counter()
    with FhirClient(base, policy=TransportPolicy(max_bytes=cap, deadline=60)) as client:
        found = search.fetch_all(client, "MeasureReport", [("subject", "Patient/x")])
        resp = found.response
        outcome = resp.error or resp.json_error or f"{len(search.SearchAnswer(pages=[resp]).entries)} entries parsed"
        search.to_answer(found)
        parse_answer(resp)
    seconds = time.perf_counter() - started
    peak = peak_rss_kb() / 1024
    print(json.dumps({"case": case, "sent": size, "outcome": outcome[:90], "seconds": round(seconds, 2), "peak_rss_mb": round(peak)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap-mb", type=int, default=64, help="byte cap of the transport policy (default 64)")
    parser.add_argument("--case", choices=sorted(CASES), action="append", help="only these cases (repeatable)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    cap = args.cap_mb * 1024 * 1024
    if args.child:
        child(args.child[0], cap, args.child[1], int(args.child[2]))
        return
    print(f"cap {args.cap_mb} MiB; target: peak RSS < 500 MB per answer")
    print(f"{'case':15} {'sent MB':>8} {'s':>6} {'peak MB':>8}  outcome")
    worst = 0
    for case in args.case or list(CASES):
        sock, size = serve(case, cap)  # in this process: the child's peak RSS is the harness's alone
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        out = subprocess.run([sys.executable, __file__, "--cap-mb", str(args.cap_mb), "--child", case, base, str(size)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(f"{case:15} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        worst = max(worst, r["peak_rss_mb"])
        sent = "endless" if case == "endless" else f"{r['sent'] / 1e6:.1f}"
        print(f"{case:15} {sent:>8} {r['seconds']:>6} {r['peak_rss_mb']:>8}  {r['outcome']}")
    print(f"worst peak RSS: {worst} MB")


if __name__ == "__main__":
    main()
