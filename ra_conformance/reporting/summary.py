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
        "retrieval": list(results.retrieval),
        "search": {"handling": results.search_handling or "none",
                   "ignoredParameters": [{"name": n, "reqs": list(r)} for n, r in results.ignored_parameters.items()],
                   "outcomes": list(results.search_outcomes)},
        "strict": results.strict,
        "started": results.started,
        "wallSeconds": results.wall_s,
        "exitCode": results.exit_code(),
        "verdict": results.verdict(),
        "counts": results.counts(),
        "suites": results.by_suite(),
        "tests": [t.to_dict() for t in results.tests],
        "rerun": results.rerun,
        **({"interrupted": {"signal": results.interrupted, "planned": len(results.planned), "ran": len(results.tests),
                            "notRun": results.not_run()}} if results.interrupted else {}),
    }


def retrieval_text(retrieval: Any) -> str:
    """The retrieval flows a run exercised, as the header shows them ('search + $cc-gaps')."""
    flows = [str(f) for f in retrieval] if isinstance(retrieval, list) else []
    return " + ".join(flows) if flows else "no retrieval flow exercised"


def ignored_text(search: Any) -> str | None:
    """Issue 16's one line: 'the server ignored: subject, period — see … (REQ-076, REQ-074)', None when nothing was."""
    items = search.get("ignoredParameters") if isinstance(search, dict) else None
    items = [i for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)] if isinstance(items, list) else []
    if not items:
        return None
    reqs = list(dict.fromkeys(r for i in items for r in (i.get("reqs") or []) if isinstance(r, str)))
    return (f"the server ignored: {', '.join(i['name'] for i in items)} — see MeasureReport search parameters in its "
            f"CapabilityStatement ({', '.join(reqs)})")
