"""Benchmark: the reference server under concurrent load, then killed with SIGKILL mid-writes and jobs.

Prints the load held (requests/s), latency percentiles (p50/p99/max), 5xx and transport errors, lost /
duplicated / stale writes (read back from the store itself), and how each accepted async job ended after the
restart. Localhost only. Usage:

    python benchmarks/bench_soak.py                       # 32 clients x 30 s, then the crash test
    python benchmarks/bench_soak.py --clients 64 --seconds 120
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.soak.soak import crash, soak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=8, help="async jobs kicked off just before the kill")
    args = parser.parse_args()
    if args.clients < 1 or args.seconds <= 0:
        parser.error("--clients and --seconds must be positive")
    with tempfile.TemporaryDirectory(prefix="ra-soak-") as tmp:
        result = soak(Path(tmp) / "soak", clients=args.clients, seconds=args.seconds)
        print("soak: " + result.summary())
        crashed = crash(Path(tmp) / "crash", clients=max(1, args.clients // 2), jobs=args.jobs)
        ends: dict[str, int] = {}
        for end in crashed.jobs.values():
            ends[end] = ends.get(end, 0) + 1
        print(f"kill -9: {len(crashed.tally.posted)} acknowledged creates before the kill; lost {len(crashed.verdict.lost)}, "
              f"duplicated {len(crashed.verdict.duplicated)}; jobs after restart: {ends}")
    bad = result.tally.server_errors or result.verdict.lost or result.verdict.duplicated or crashed.verdict.lost or \
        crashed.verdict.duplicated or any(e.startswith("UNCLEAN") for e in crashed.jobs.values())
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
