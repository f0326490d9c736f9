"""Benchmark: `ra-conform validate --jobs N` over an NDJSON of generated RA MeasureReports (IG 2.1.0).

Runs the command's library entry point (run_validate, output discarded) with each job count, REPEAT times,
and prints the median wall time, reports/s and the speed-up over one job. Usage:

    python benchmarks/bench_validate_jobs.py [--reports N] [--repeat R] [JOBS ...]   # default 20000, 3, 1 2

Target (issue 10): >= 1.7x with 2 jobs on a 2-core machine. Wall time: quote the machine's load with it.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_validate import generate

from ra_conformance.validation import run_validate


def once(path: Path, jobs: int) -> float:
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    code = run_validate([str(path)], version="2.1.0", profile=None, fmt="json", out=out, err=err, jobs=jobs)
    elapsed = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"validation found errors (exit {code}): {err.getvalue()[:300]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("jobs", nargs="*", type=int, default=[1, 2])
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.reports < 1 or args.repeat < 1 or any(j < 1 for j in args.jobs):
        parser.error("counts must be at least 1")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reports.ndjson"
        generate(path, args.reports)
        base = None
        print(f"{'jobs':>5} {'median s':>9} {'reports/s':>10} {'speed-up':>9}")
        for jobs in args.jobs:
            median = statistics.median(once(path, jobs) for _ in range(args.repeat))
            base = base or median
            print(f"{jobs:>5} {median:>9.2f} {args.reports / median:>10.0f} {base / median:>8.2f}x")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
