"""Benchmark: validate an NDJSON of N generated RA MeasureReports (IG 2.1.0) on one core.

Prints reports/s (CPU time of the process), the ratio to plain orjson parsing of the same file, and the
peak memory (RSS) of each pass, for N = 10,000 and 100,000 by default. Usage:

    python benchmarks/bench_validate.py [N ...]         # e.g. 2000 20000 for a quick run

Targets (issue 3): >= 2,000 reports/s, within 20x of parsing, memory flat in N. The ratio to json.loads of
one file (issue 10) is benchmarks/bench_validate_ratio.py's.
"""

from __future__ import annotations

import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

SD = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/"
CS = "http://hl7.org/fhir/us/davinci-ra/CodeSystem/"
GROUPS = 6


def report(i: int, template: bool = False) -> dict:
    """One valid ra-measurereport (2.1.0): 6 CCs with ccType/evidenceStatus/date/hierarchy, 8 evidence refs.
    Each report has its own dates and HCCs, as real patients' reports do, so no two share a skeleton (the
    validator's memo of a report less its id and references); `template`: every report the same but for its
    id, subject and evidence references (what that memo serves: a template-made export)."""
    day = 0 if template else i % 365
    minute = 0 if template else i
    groups = []
    for g in range(GROUPS):
        groups.append({
            "id": f"group-{g:03d}",
            "extension": [
                {"url": SD + "ra-ccType", "valueCodeableConcept": {"coding": [
                    {"system": CS + "cc-type", "code": ("historic", "suspected", "net-new")[g % 3]}]}},
                {"url": SD + "ra-evidenceStatus", "valueCodeableConcept": {"coding": [
                    {"system": CS + "evidence-status", "code": ("closed-gap", "pending")[g % 2]}]}},
                {"url": SD + "ra-evidenceStatusDate", "valueDate": _day(2021, 1 + day % 212)},
                {"url": SD + "ra-hierarchicalStatus", "valueCodeableConcept": {"coding": [
                    {"system": CS + "hierarchical-status", "code": "not-applied"}]}},
            ],
            "code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/cmshcc", "version": "24",
                                 "code": str(18 + (g + day) % 60), "display": f"HCC {18 + (g + day) % 60}"}]},
        })
    evidence = [{"reference": f"Condition/c{i}-{k}", "extension": [
        {"url": SD + "ra-groupReference", "valueString": f"group-{k % GROUPS:03d}"}]} for k in range(8)]
    return {
        "resourceType": "MeasureReport", "id": f"mr-{i}",
        "meta": {"profile": [SD + "ra-measurereport"]},
        "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/measurereport-category", "valueCodeableConcept": {
                "coding": [{"system": "http://hl7.org/fhir/CodeSystem/measurereport-category", "code": "ra"}]}},
            {"url": SD + "ra-clinicalDataCollectionDeadline", "valueDate": "2022-03-31"}],
        "status": "complete", "type": "individual",
        "measure": "http://hl7.org/fhir/us/davinci-ra/Measure/RAModelExample01",
        "subject": {"reference": f"Patient/p{i}"},
        "date": f"2021-10-{18 + minute // 1440 % 10:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:00Z",
        "reporter": {"reference": "Organization/ra-payer01"},
        "period": {"start": "2021-01-01", "end": "2021-09-30"},
        "group": groups, "evaluatedResource": evidence,
    }


def _day(year: int, ordinal: int) -> str:
    return (dt.date(year, 1, 1) + dt.timedelta(days=ordinal - 1)).isoformat()


def generate(path: Path, n: int, template: bool = False) -> None:
    with path.open("wb") as handle:
        for i in range(n):
            handle.write(orjson.dumps(report(i, template)) + b"\n")


def _pass(path: str, validate: object | None) -> tuple[float, int, int]:
    count = errors = 0
    start = time.process_time()  # CPU time: the machine may be shared (wall-clock would count others' work)
    with open(path, "rb") as handle:
        for line in handle:
            item = orjson.loads(line)
            if validate is not None:
                errors += sum(1 for i in validate(item) if i.severity == "error")  # type: ignore[operator]
            count += 1
    return time.process_time() - start, count, errors


def worker(mode: str, path: str) -> None:
    """Fresh process: a parse-only pass, then (mode validate) a validating pass over the same file, so the
    ratio compares like with like; prints parse s, validate s, count, errors, peak RSS (KiB)."""
    from ra_conformance.validation import validator_for

    validator = validator_for("2.1.0")
    validator.validate(report(0))  # warm-up: tables loaded, FHIRPath compiled
    parse_time, count, _ = _pass(path, None)
    valid_time, errors = 0.0, 0
    if mode == "validate":
        valid_time, count, errors = _pass(path, validator.validate)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{parse_time} {valid_time} {count} {errors} {peak}")


def measure(mode: str, path: Path) -> tuple[float, float, int, int, int]:
    out = subprocess.run([sys.executable, __file__, "--worker", mode, str(path)], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1]), int(out[2]), int(out[3]), int(out[4])


def main(sizes: list[int], template: bool = False) -> None:
    print(f"{'N':>8} {'MB':>7} {'parse/s':>10} {'validate/s':>11} {'ratio':>6} {'errors':>6} "
          f"{'RSS parse':>10} {'RSS valid.':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"reports-{n}.ndjson"
            generate(path, n, template)
            _, _, _, _, p_rss = measure("parse", path)
            p_time, v_time, count, errors, v_rss = measure("validate", path)
            size = path.stat().st_size / 1e6
            print(f"{count:>8} {size:>7.1f} {count / p_time:>10.0f} {count / v_time:>11.0f} "
                  f"{v_time / p_time:>6.1f} {errors:>6} {p_rss / 1024:>8.0f}MB {v_rss / 1024:>8.0f}MB")
            path.unlink()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        worker(sys.argv[2], sys.argv[3])
    else:
        import argparse

        parser = argparse.ArgumentParser(description="Validate an NDJSON of N generated RA MeasureReports on one core; "
                                         "print reports/s, the ratio to orjson parsing and peak memory.")
        parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000], metavar="N", help="report counts (default 10000 100000)")
        parser.add_argument("--template", action="store_true", help="reports alike but for id and references")
        args = parser.parse_args()
        if any(n < 1 for n in args.sizes):
            parser.error("N must be at least 1")
        main(args.sizes, args.template)
