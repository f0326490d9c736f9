"""summary.json: the run's results as data (schema version 1)."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..results import RunResults

SCHEMA_VERSION = 1


def summary_dict(results: RunResults) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "ra-conform", "version": __version__},
        "target": results.target,
        "igVersion": results.ig_version,
        "operation": results.operation,
        "strict": results.strict,
        "started": results.started,
        "wallSeconds": results.wall_s,
        "exitCode": results.exit_code(),
        "verdict": results.verdict(),
        "counts": results.counts(),
        "suites": results.by_suite(),
        "tests": [t.to_dict() for t in results.tests],
        "traceability": {"requirements": [], "uncoveredShall": []},
        "mustSupport": {},
        "rerun": results.rerun,
        **({"interrupted": {"signal": results.interrupted, "planned": len(results.planned), "ran": len(results.tests),
                            "notRun": results.not_run()}} if results.interrupted else {}),
    }
