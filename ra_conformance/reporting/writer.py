"""Writes every report of a run into the report dir: summary.json and report.html (JUnit and Allure come from pytest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import jsonio
from ..fhir.redact import scrub_obj
from ..results import RunResults
from .summary import summary_dict
from .traceability import matrix


def must_support(validator: Any, resources: list[dict[str, Any]]) -> dict[str, dict[str, bool]]:
    if validator is None or not hasattr(validator, "must_support"):
        return {}
    try:
        return validator.must_support(resources)
    except Exception as exc:  # the coverage table must never sink the report
        return {"(must-support coverage failed)": {f"{type(exc).__name__}: {exc}": False}}


def write_reports(results: RunResults, report_dir: Path, *, resources: list[dict[str, Any]] | None = None, validator: Any = None,
                  role: str = "server") -> dict[str, Any]:
    report_dir.mkdir(parents=True, exist_ok=True)
    summary = summary_dict(results)
    summary["traceability"] = matrix(results.tests, role=role)
    summary["mustSupport"] = must_support(validator, resources or [])
    summary = scrub_obj(summary)  # redaction by value, again as the reports are written
    (report_dir / "summary.json").write_bytes(jsonio.dumps(summary, pretty=True))
    try:
        from .html import write_html
    except ImportError:
        return summary
    write_html(summary, report_dir / "report.html")
    return summary
