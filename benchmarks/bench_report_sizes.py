"""Benchmark: disk used by the reports of one run against the embedded reference server.

Prints the size of each report file (and allure-results/ when asked) of a passing run, and of a run with one
fault, with the default caps and with --full-exchanges. Usage:

    python benchmarks/bench_report_sizes.py [--fault NAME] [--allure]

Target (issue 11): a passing run's reports under 5 MB together (default settings: no Allure).
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path

from rich.console import Console

from ra_conformance.harness.runner import run_suites
from ra_conformance.settings import build


def sizes(folder: Path) -> dict[str, int]:
    out = {}
    for entry in sorted(folder.iterdir()):
        files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
        out[entry.name + ("/" if entry.is_dir() else "")] = sum(p.stat().st_size for p in files)
    return out


def measure(label: str, flags: dict[str, object], root: Path) -> None:
    report_dir = root / label
    results = run_suites(build({**flags, "report_dir": report_dir}, env={}), console=Console(file=io.StringIO()))
    table = sizes(report_dir)
    print(f"{label}: exit {results.exit_code()}, {len(results.tests)} tests")
    for name, size in table.items():
        print(f"  {name:18} {size:>12,} bytes")
    print(f"  {'total':18} {sum(table.values()):>12,} bytes ({sum(table.values()) / 1e6:.2f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", default="accept-bare-id", help="fault for the failing run (default: accept-bare-id)")
    parser.add_argument("--allure", action="store_true", help="also write allure-results/ (off by default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        extra = {"allure": True} if args.allure else {}
        measure("passing", extra, root)
        measure("passing-full-exchanges", {**extra, "full_exchanges": True}, root)
        measure(f"fault-{args.fault}", {**extra, "fault": (args.fault,)}, root)


if __name__ == "__main__":
    main()
