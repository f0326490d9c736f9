"""Benchmark: the reference server exports a Group of N synthetic patients asynchronously; the harness downloads
and validates every line.

The server runs in its own process (``python -m ra_conformance.cli serve --no-fixtures --load DIR``) so the
peak RSS printed is the harness's alone (this process: kick-off, polling, streamed download, line-by-line
validation with the 2.1.0 validator). Usage:

    python benchmarks/bench_bulk.py [N ...]          # default 100000; e.g. 10000 100000 to show linearity
    python benchmarks/bench_bulk.py --window 2022-01-01:2024-12-31 10000   # every report of each patient
    python benchmarks/bench_bulk.py --no-validate 10000 100000   # transport + NDJSON parsing only
    python benchmarks/bench_bulk.py --jobs 1 10000               # validation on one core (default: every core)

Targets (issue 4): linear in N; peak RSS of the harness < 250 MB.
"""

from __future__ import annotations

import argparse
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ra_conformance.checks.bulk import FileAudit, items
from ra_conformance.fhir import async_pattern as ap
from ra_conformance.fhir.client import FhirClient
from ra_conformance.kit.synth import GROUP_ID, generate
from ra_conformance.validation import validator_for


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _children_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest waited-for child


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(data: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "ra_conformance.cli", "serve", "--no-fixtures", "--load", str(data),
           "--data-dir", str(work / "server"), "--port", str(port), "--log-level", "warning"]
    log = open(work / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    with FhirClient(base, timeout=5) as probe:
        while probe.get("metadata").status != 200:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited: see {work / 'server.log'}")
            time.sleep(0.5)
    return proc, base


def run(n: int, window: tuple[str, str], validate: bool, jobs: int | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="ra-bench-bulk-") as tmp:
        work = Path(tmp)
        gen = generate(n, work / "data")
        print(f"N={n}: generated {gen.resources} resources ({gen.bytes / 1e6:.0f} MB) in {gen.seconds:.1f} s")
        started = time.perf_counter()
        proc, base = _start_server(work / "data", work)
        print(f"  server loaded and up in {time.perf_counter() - started:.1f} s")
        try:
            _export(base, window, validate, jobs)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _export(base: str, window: tuple[str, str], validate: bool, jobs: int | None) -> None:
    validator = validator_for("2.1.0") if validate else None
    rss_before = _rss_mb()
    with FhirClient(base, timeout=600) as client:
        t0 = time.perf_counter()
        kick = ap.kickoff(client, "MeasureReport/$cc-gaps", params=[
            ("subject", f"Group/{GROUP_ID}"), ("periodStart", window[0]), ("periodEnd", window[1])])
        if not kick.accepted or not kick.status_url:
            raise SystemExit(f"kick-off not accepted: {kick.response.describe()}")
        polled = ap.poll(client, kick.status_url, limit=3600)
        t1 = time.perf_counter()
        if not polled.completed or polled.manifest is None:
            raise SystemExit(f"the export did not complete: {polled.final.describe() if polled.final else None}")
        lines = resources = size = problems = 0
        for kind in ("output", "error"):
            for item in items(polled.manifest, kind):
                audit = FileAudit(item, validator=validator, jobs=jobs)
                dl = ap.download(client, item["url"], audit)
                findings = audit.file_findings(dl) + audit.profile_findings()
                problems += len(findings)
                lines += dl.lines
                size += dl.size
                resources += audit.carried
        t2 = time.perf_counter()
    wall = t2 - t0
    print(f"  export (kick-off to manifest, {len(polled.steps)} polls): {t1 - t0:.1f} s")
    what = "download + validate" if validate else "download + parse (no validation)"
    print(f"  {what}: {lines} lines, {resources} resources, {size / 1e6:.0f} MB in {t2 - t1:.1f} s "
          f"({resources / (t2 - t1):,.0f} resources/s, {size / 1e6 / (t2 - t1):.1f} MB/s)")
    print(f"  wall time {wall:.1f} s; {resources / wall:,.0f} resources/s overall; findings {problems}")
    print(f"  harness peak RSS {_rss_mb():.0f} MB (before the export {rss_before:.0f} MB; largest child process, "
          f"the server or a validation worker: {_children_rss_mb():.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("patients", nargs="*", type=int, default=[100_000])
    parser.add_argument("--window", default="2024-01-01:2024-12-31", help="periodStart:periodEnd of the export")
    parser.add_argument("--no-validate", action="store_true", help="download and parse only (no profile validation)")
    parser.add_argument("--jobs", type=int, default=None, help="validation processes (default: every core)")
    args = parser.parse_args()
    start, _, end = args.window.partition(":")
    for n in args.patients:
        run(n, (start, end), not args.no_validate, args.jobs)


if __name__ == "__main__":
    main()
