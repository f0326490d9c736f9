"""Benchmark: validation cost relative to plain ``json.loads`` of the same file, on one core (issue 10).

Two measures, both in CPU time (``time.process_time`` / child rusage), so a loaded machine skews them less
than wall-clock:

- per resource, in process: ``json.loads(text)`` against ``validate(json.loads(text))`` of one file, each
  the fastest of many rounds (the least disturbed), their rounds alternating. "warm": the same file again
  and again (a run reads the same resource in several tests; a file validated twice): the whole-resource
  verdict kept from the first calls serves the others (validation/verdicts.py); "warm, parts only": the
  same with the whole-resource verdicts (verdicts.py, skeletons.py) forgotten before each call (the memos of
  parts do the work: subtrees, profile items, extensions, strings); "cold": every memo of the validator emptied first (the worst case: nothing
  seen before). Each row's ratio is (loads + validate) / loads against the json.loads measured beside it.
- "distinct patients": reports that differ from every other one (the file's report for other patients: own
  id, subject and evidence references), each validated once, as a bulk run meets them: the skeleton memo
  (validation/skeletons.py) serves them. "distinct skeletons": the same, each also dated another day, so
  that no skeleton recurs (patients whose coded groups differ): the memos of parts do the work.
- whole command: ``ra-conform validate --jobs 1 FILE`` against ``python -c 'json.load(FILE)'`` as fresh
  processes (interpreter start-up and imports included), the median of a few runs.

Files: the IG's own example (../shared/ig/v2.1.0/examples/MeasureReport-ra-measurereport01.json, skipped
when absent) and a kit report. Usage:

    python benchmarks/bench_validate_ratio.py [FILE ...]

Target (issue 10): >= 2,000 RA MeasureReports/s on one core, within 3x of json.loads of the same file.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = [ROOT.parent / "shared" / "ig" / "v2.1.0" / "examples" / "MeasureReport-ra-measurereport01.json",
                 ROOT / "fixtures" / "resources" / "MeasureReport-rac-mr-p01-v24.json"]


def _forget_memos() -> None:
    """Empty every memo of the validator (for the cold figure)."""
    from ra_conformance.validation.memos import forget_all

    forget_all()


def _fastest(fns: tuple[Callable[[], object], ...], before: Callable[[], None] | None = None,
             repeats: int = 60, inner: int = 10) -> list[float]:
    """Fastest mean CPU seconds of each of ``fns`` over ``repeats`` rounds of ``inner`` calls; the rounds
    of the functions alternate, so that each meets the same machine (a busy moment skews none alone)."""
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            spent = 0.0
            for _ in range(inner):
                if before is not None:
                    before()
                start = time.process_time()
                fn()
                spent += time.process_time() - start
            best[k] = min(best[k], spent / inner)
    return best


def _variant(resource: dict[str, Any], n: int) -> dict[str, Any]:
    """The same report about another patient: its own id, subject and evidence references."""
    out = json.loads(json.dumps(resource))
    out["id"] = f"{out.get('id', 'r')}-{n}"
    if isinstance(out.get("subject"), dict):
        out["subject"]["reference"] = f"Patient/p{n}"
    for item in out.get("evaluatedResource") or ():
        if isinstance(item, dict) and isinstance(item.get("reference"), str):
            item["reference"] += f"-{n}"
    return out


def _dated(resource: dict[str, Any], n: int) -> dict[str, Any]:
    """Another patient's report (_variant) of another day: its skeleton differs too (skeletons.py)."""
    out = _variant(resource, n)
    out["date"] = (dt.date(2000, 1, 1) + dt.timedelta(days=n)).isoformat()
    return out


def distinct(text: str, count: int = 400, passes: int = 5,
             variant: Callable[[dict[str, Any], int], dict[str, Any]] = _variant) -> tuple[float, float]:
    """(mean json.loads, mean json.loads + validate) CPU seconds over reports that each differ from all the
    others (another patient's, see _variant), each validated once: what the whole-resource verdict memo
    cannot serve (the skeleton memo can, unless ``variant`` is _dated)."""
    from ra_conformance.validation import validator_for

    validator = validator_for("2.1.0")
    base = json.loads(text)
    best_loads = best_total = float("inf")
    for p in range(passes):
        texts = [json.dumps(variant(base, p * count + n)) for n in range(count)]
        start = time.process_time()
        for t in texts:
            json.loads(t)
        best_loads = min(best_loads, (time.process_time() - start) / count)
        start = time.process_time()
        for t in texts:
            validator.validate(json.loads(t))
        best_total = min(best_total, (time.process_time() - start) / count)
    return best_loads, best_total


def in_process(path: Path) -> None:
    from ra_conformance.validation import validator_for

    text = path.read_text(encoding="utf-8")
    validator = validator_for("2.1.0")
    errors = [i for i in validator.validate(json.loads(text)) if i.severity == "error"]
    from ra_conformance.validation import skeletons, verdicts

    def forget_verdicts() -> None:
        verdicts.forget()
        skeletons.forget()

    def parse() -> object:
        return json.loads(text)

    def check() -> object:
        return validator.validate(json.loads(text))

    rows = [("warm (same file)", *_fastest((parse, check))),
            ("warm, parts only", *_fastest((parse, check), before=forget_verdicts)),
            ("distinct patients", *distinct(text)),
            ("distinct skeletons", *distinct(text, variant=_dated)),
            ("cold (no memo)", *_fastest((parse, check), before=_forget_memos, repeats=40))]
    print(f"{path.name} ({len(text.encode()) / 1000:.1f} kB, {len(errors)} errors)")
    for name, loads, total in rows:  # each row against the json.loads measured beside it
        spent = total - loads
        print(f"  validate, {name:18} {spent * 1e6:6.0f} µs  {1 / spent:8.0f} reports/s  json.loads {loads * 1e6:4.0f} µs"
              f"  ratio (loads + validate) / loads {total / loads:5.2f}")


def _child_cpu(cmd: list[str], runs: int) -> float:
    spent = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(spent)


def whole_command(path: Path, runs: int = 5) -> None:
    load = _child_cpu([sys.executable, "-c", "import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))",
                       str(path)], runs)
    validate = _child_cpu([sys.executable, "-m", "ra_conformance.cli", "validate", "--jobs", "1", str(path)], runs)
    print(f"  whole command: json.load {load * 1e3:.0f} ms CPU, ra-conform validate {validate * 1e3:.0f} ms CPU, "
          f"ratio {validate / load:.1f}")


def main(files: list[Path]) -> None:
    sys.path.insert(0, str(ROOT))
    for path in files:
        if not path.is_file():
            print(f"{path}: not found, skipped")
            continue
        in_process(path)
        whole_command(path)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Validation CPU time against json.loads of the same file, "
                                     "per resource (warm and cold) and per whole command.")
    parser.add_argument("files", nargs="*", type=Path, help="JSON files (default: the IG example and a kit report)")
    main(parser.parse_args().files or DEFAULT_FILES)
