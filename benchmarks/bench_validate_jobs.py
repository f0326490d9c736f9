"""Benchmark: `ra-conform validate --jobs N` over an NDJSON of generated RA MeasureReports (IG 2.1.0).

Each run is a fresh process (as the command is: the worker start-up is paid every time) calling the command's
library entry point (run_validate, output discarded). Prints, per job count, the median wall time and reports/s,
and where the CPU went: this (main) process, the workers, the forkserver; the units each side judged and the
bytes pickled across the pipes. The machine may be busy, so it also prints the speed-up predicted on idle cores
from CPU time alone: serial CPU / max(main CPU, total CPU / min(jobs, cores)) with the work split as it was
("as run"), and with the main process's validation share rebalanced ("balanced": main CPU outside validation
in place of main CPU; the split is dynamic, so on idle cores it evens out). Usage:

    python benchmarks/bench_validate_jobs.py                         # 20000 reports, jobs 1 2, 3 runs each
    python benchmarks/bench_validate_jobs.py --reports 3000 --repeat 1 1 2 4

Target (issue 10): >= 1.7x with 2 jobs on a 2-core machine (wall time on an idle machine; quote the load).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_validate import generate
from procstat import proc_cpu

from ra_conformance.validation import run_validate
from ra_conformance.validation.parallel import PoolStats


def child(path: str, jobs: int) -> None:
    """One run in this fresh process; prints its figures as one JSON line."""
    stats = PoolStats()
    out, err = io.StringIO(), io.StringIO()
    cpu0, started = time.process_time(), time.perf_counter()
    code = run_validate([path], version="2.1.0", profile=None, fmt="json", out=out, err=err, jobs=jobs, stats=stats)
    wall, main_cpu = time.perf_counter() - started, time.process_time() - cpu0
    if code != 0:
        raise SystemExit(f"validation found errors (exit {code}): {err.getvalue()[:300]}")
    print(json.dumps({"wall": wall, "main": main_cpu, "main_units": stats.cpu_here, "workers": stats.workers_cpu,
                      "forkserver": proc_cpu(stats.forkserver_pid), "units_here": stats.units_here,
                      "units_workers": stats.units_workers, "sent": stats.bytes_sent, "received": stats.bytes_received,
                      "ready": max(stats.worker_ready, default=0.0), "output": len(out.getvalue()),
                      "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "worker_rss": stats.worker_peak_rss / 1024}))


def once(path: Path, jobs: int) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--child", str(jobs), str(path)], check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("jobs", nargs="*", type=int, default=[1, 2])
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--template", action="store_true", help="reports alike but for id and references "
                        "(the validator's skeleton memo serves them; default: each report its own dates and HCCs)")
    args = parser.parse_args()
    if args.reports < 1 or args.repeat < 1 or any(j < 1 for j in args.jobs):
        parser.error("counts must be at least 1")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    jobs_list = args.jobs if 1 in args.jobs else [1, *args.jobs]  # the serial run is the reference
    print(f"load average before: {os.getloadavg()[0]:.1f} on {cores} cores; {args.reports} reports; "
          f"median of {args.repeat} fresh-process runs")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reports.ndjson"
        generate(path, args.reports, args.template)
        print(f"input {path.stat().st_size / 1e6:.1f} MB ({'template-made' if args.template else 'distinct'} reports)")
        print(f"{'jobs':>4} {'wall s':>7} {'rep/s':>6} {'wall x':>6} | {'main':>5} {'(valid.)':>8} {'workers':>7} "
              f"{'fserver':>7} {'total':>6} CPU s | {'units here/wk':>13} {'sent KB':>7} {'recv KB':>7} "
              f"{'start s':>7} | {'idle x as run':>13} {'balanced':>8} | {'RSS MB main/worker':>18}")
        serial_cpu = None
        base_wall = None
        for jobs in jobs_list:
            runs = [once(path, jobs) for _ in range(args.repeat)]
            med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            total = med["main"] + med["workers"] + med["forkserver"]
            serial_cpu = serial_cpu or total
            base_wall = base_wall or med["wall"]
            share = total / min(jobs, cores)
            as_run, balanced = serial_cpu / max(med["main"], share), serial_cpu / max(med["main"] - med["main_units"], share)
            print(f"{jobs:>4} {med['wall']:>7.2f} {args.reports / med['wall']:>6.0f} {base_wall / med['wall']:>5.2f}x | "
                  f"{med['main']:>5.2f} {med['main_units']:>8.2f} {med['workers']:>7.2f} {med['forkserver']:>7.2f} "
                  f"{total:>6.2f}       | {med['units_here']:>6.0f}/{med['units_workers']:<6.0f} "
                  f"{med['sent'] / 1e3:>7.1f} {med['received'] / 1e3:>7.0f} {med['ready']:>7.2f} | {as_run:>12.2f}x {balanced:>7.2f}x | {med['rss']:>8.0f}/{med['worker_rss']:<8.0f}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print("main (valid.): the main process's CPU in total and inside validation; start s: seconds until the "
          "last worker was up (the main process validates meanwhile); idle x: predicted speed-up on idle cores (see the module doc)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[3], int(sys.argv[2]))
    else:
        main()
