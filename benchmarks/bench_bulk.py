"""Benchmark: the reference server exports a Group of N synthetic patients asynchronously; the harness downloads
and validates every line (parsing, REQ-064/REQ-062 and profile validation on every core while it streams).

The server runs in its own process (``python -m ra_conformance.cli serve --no-fixtures --load DIR``), as a user
runs it. Peak RSS (VmHWM) is printed per process: the harness's main process (which validates too), its largest
validation worker, the forkserver the workers fork from, and the server. Besides wall times it prints where the CPU went — the
server (export, then serving the files), the harness's main process, its validation workers and forkserver — and
the wall time predicted on idle cores from CPU alone (the machine may be busy): export = the server job's CPU (one
thread); download = the largest of: the main process's CPU outside validation, the harness's CPU over its
processes (main + workers, at most one per core), all CPU of the phase (server included) over the cores. Usage:

    python benchmarks/bench_bulk.py                  # 20000 patients, validation on every core (~1-2 min idle)
    python benchmarks/bench_bulk.py 100000           # the issue 10 figure (target < 150 s download + validation)
    python benchmarks/bench_bulk.py --jobs 1 20000   # validation in the main process only (the serial reference)
    python benchmarks/bench_bulk.py --no-validate 20000      # transport + NDJSON parsing only
    python benchmarks/bench_bulk.py --window 2022-01-01:2024-12-31 10000   # every report of each patient
    python benchmarks/bench_bulk.py 20000 50000 100000  # each N in a fresh process, then a table (memory flat in N?)

Targets (issues 4, 10): linear in N; peak RSS of the harness and of each worker < 250 MB and flat in N;
100,000 patients < 150 s.
"""

from __future__ import annotations

import argparse
import json
import os
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
from ra_conformance.validation.parallel import PoolStats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procstat import peak_rss_mb, proc_cpu

RESULT = "RESULT "  # the line a child run prints its figures on (table mode)
COLUMNS = (("N", "patients", "{:,}"), ("wall s", "wall", "{:.1f}"), ("export s", "export", "{:.1f}"),
           ("download+validate s", "download", "{:.1f}"), ("resources/s", "rate", "{:,.0f}"),
           ("findings", "findings", "{}"), ("harness MB", "harness_mb", "{:.0f}"), ("worker MB", "worker_mb", "{:.0f}"),
           ("forkserver MB", "forkserver_mb", "{:.0f}"), ("server MB", "server_mb", "{:.0f}"))


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


def run(n: int, window: tuple[str, str], validate: bool, jobs: int | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="ra-bench-bulk-") as tmp:
        work = Path(tmp)
        gen = generate(n, work / "data")
        print(f"N={n}: generated {gen.resources} resources ({gen.bytes / 1e6:.0f} MB) in {gen.seconds:.1f} s")
        started = time.perf_counter()
        proc, base = _start_server(work / "data", work)
        print(f"  server loaded and up in {time.perf_counter() - started:.1f} s (load average "
              f"{os.getloadavg()[0]:.1f})")
        loaded = peak_rss_mb(proc.pid)
        try:
            figures = _export(base, proc.pid, window, validate, jobs)
            figures.update(patients=n, server_mb=peak_rss_mb(proc.pid))
            print(f"  server peak RSS {figures['server_mb']:.0f} MB (its own process; {loaded:.0f} MB after loading "
                  "the data, before the export)")
            return figures
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _export(base: str, server: int, window: tuple[str, str], validate: bool, jobs: int | None) -> dict[str, float]:
    validator = validator_for("2.1.0") if validate else None
    rss_before = peak_rss_mb()
    stats = PoolStats()
    with FhirClient(base, timeout=600) as client:
        server0, t0 = proc_cpu(server), time.perf_counter()
        kick = ap.kickoff(client, "MeasureReport/$cc-gaps", params=[
            ("subject", f"Group/{GROUP_ID}"), ("periodStart", window[0]), ("periodEnd", window[1])])
        if not kick.accepted or not kick.status_url:
            raise SystemExit(f"kick-off not accepted: {kick.response.describe()}")
        polled = ap.poll(client, kick.status_url, limit=3600)
        server1, t1, main1 = proc_cpu(server), time.perf_counter(), time.process_time()
        if not polled.completed or polled.manifest is None:
            raise SystemExit(f"the export did not complete: {polled.final.describe() if polled.final else None}")
        lines = resources = size = problems = 0
        for kind in ("output", "error"):
            for item in items(polled.manifest, kind):
                with FileAudit(item, validator=validator, jobs=jobs, stats=stats) as audit:
                    dl = ap.download(client, item["url"], audit, parse=audit.parse)
                    findings = audit.file_findings(dl) + audit.profile_findings()
                problems += len(findings)
                lines += dl.lines
                size += dl.size
                resources += audit.carried
        server2, t2, main2 = proc_cpu(server), time.perf_counter(), time.process_time()
    export_cpu, serve_cpu, main_cpu = server1 - server0, server2 - server1, main2 - main1
    helpers = stats.workers_cpu + proc_cpu(stats.forkserver_pid)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    phase = main_cpu + helpers + serve_cpu
    processes = min(1 + len(stats.worker_cpu), cores)
    idle = max(main_cpu - stats.cpu_here, (main_cpu + helpers) / processes, phase / cores)
    what = "download + validate" if validate else "download + parse (no validation)"
    print(f"  export (kick-off to manifest, {len(polled.steps)} polls): {t1 - t0:.1f} s wall; server CPU "
          f"{export_cpu:.1f} s")
    print(f"  {what}: {lines} lines, {resources} resources, {size / 1e6:.0f} MB in {t2 - t1:.1f} s wall "
          f"({resources / (t2 - t1):,.0f} resources/s, {size / 1e6 / (t2 - t1):.1f} MB/s)")
    print(f"    CPU s: harness main {main_cpu:.1f} (validating {stats.cpu_here:.1f}), workers + forkserver "
          f"{helpers:.1f}, server {serve_cpu:.1f}; units main/workers {stats.units_here}/{stats.units_workers}; "
          f"pickled {stats.bytes_sent / 1e6:.0f} MB out, {stats.bytes_received / 1e6:.1f} MB back")
    print(f"  wall time {t2 - t0:.1f} s; {resources / (t2 - t0):,.0f} resources/s overall; findings {problems}")
    print(f"  predicted on {cores} idle cores: export {export_cpu:.1f} s + {what} {idle:.1f} s = "
          f"{export_cpu + idle:.1f} s (serial CPU of the phase: {phase:.1f} s)")
    harness, worker, forkserver = peak_rss_mb(), stats.worker_peak_rss / 1024, peak_rss_mb(stats.forkserver_pid)
    print(f"  peak RSS: harness main process {harness:.0f} MB (before the export {rss_before:.0f} MB); largest "
          f"validation worker {worker:.0f} MB; forkserver {forkserver:.0f} MB")
    return {"wall": t2 - t0, "export": t1 - t0, "download": t2 - t1, "rate": resources / (t2 - t0),
            "findings": problems, "harness_mb": harness, "worker_mb": worker, "forkserver_mb": forkserver}


def _table(args: argparse.Namespace) -> None:
    """Each N in a fresh process (a process's peak RSS only grows), then one table of the figures."""
    rows = []
    for n in args.patients:
        cmd = [sys.executable, __file__, "--window", args.window, str(n)] + (["--no-validate"] if args.no_validate else [])
        cmd += ["--jobs", str(args.jobs)] if args.jobs else []
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as child:
            assert child.stdout is not None
            for line in child.stdout:
                if line.startswith(RESULT):
                    rows.append(json.loads(line[len(RESULT):]))
                else:
                    print(line, end="", flush=True)
        if child.returncode != 0:
            raise SystemExit(f"the run of N={n} failed (exit {child.returncode})")
    print(f"\nload average {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} cores")
    print(" | ".join(title for title, _, _ in COLUMNS))
    for row in rows:
        print(" | ".join(fmt.format(row[key]) for _, key, fmt in COLUMNS))
    first, last = rows[0], rows[-1]
    for title, key in (("harness", "harness_mb"), ("worker", "worker_mb")):
        print(f"{title} peak RSS at N={last['patients']:,} vs N={first['patients']:,}: "
              f"{(last[key] / first[key] - 1) * 100 if first[key] else 0:+.0f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("patients", nargs="*", type=int, default=[20_000])
    parser.add_argument("--window", default="2024-01-01:2024-12-31", help="periodStart:periodEnd of the export")
    parser.add_argument("--no-validate", action="store_true", help="download and parse only (no profile validation)")
    parser.add_argument("--jobs", type=int, default=None, help="validation processes (default: every core)")
    args = parser.parse_args()
    if len(args.patients) > 1:
        _table(args)
        return
    start, _, end = args.window.partition(":")
    figures = run(args.patients[0], (start, end), not args.no_validate, args.jobs)
    print(RESULT + json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
