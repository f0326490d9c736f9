"""Writes every report of a run into the report dir: summary.json and report.html (JUnit and Allure come from pytest).

Every file is written under a temporary name and renamed into place, and `clear_reports` removes a previous
run's files first: an interrupted run never leaves a mix of two runs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from .. import jsonio
from ..fhir.redact import scrub_obj
from ..issues import ProfileValidator
from ..results import RunResults
from .caps import cap_tests
from .html import render_html
from .summary import summary_dict
from .traceability import matrix

REPORT_FILES = ("report.html", "summary.json", "junit.xml", "allure-results")
PARTIAL_SUFFIX = ".partial"


def atomic_write(path: Path, data: bytes) -> Path:
    """Write beside the target under a hidden temporary name, then rename (atomic on one file system)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def clear_reports(report_dir: Path) -> None:
    """Remove the report files of an earlier run (only the names ra-conform writes) and stale partial files."""
    if not report_dir.is_dir():
        return
    for entry in report_dir.iterdir():
        if entry.name in REPORT_FILES or (entry.name.startswith(".") and entry.name.endswith(PARTIAL_SUFFIX)):
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() and not entry.is_symlink() else entry.unlink(missing_ok=True)


def must_support(validator: ProfileValidator | None, resources: list[dict[str, Any]]) -> dict[str, dict[str, bool]]:
    if validator is None:
        return {}
    try:
        return validator.must_support(resources)
    except Exception as exc:  # noqa: BLE001 - the coverage table must never sink the report
        return {"(must-support coverage failed)": {f"{type(exc).__name__}: {exc}": False}}


def write_reports(results: RunResults, report_dir: Path, *, resources: list[dict[str, Any]] | None = None, validator: ProfileValidator | None = None,
                  role: str = "server", full_exchanges: bool = False) -> dict[str, Any]:
    report_dir.mkdir(parents=True, exist_ok=True)
    summary = summary_dict(results)
    if not full_exchanges:  # passed/skipped tests' bodies cut to a preview; failures and warnings whole
        summary["tests"] = cap_tests(summary["tests"])
    summary["traceability"] = matrix(results.tests, role=role)
    summary["mustSupport"] = must_support(validator, resources or [])
    summary = scrub_obj(summary)  # redaction by value, again as the reports are written
    atomic_write(report_dir / "summary.json", jsonio.dumps(summary, pretty=True))
    atomic_write(report_dir / "report.html", render_html(summary).encode("utf-8"))
    return summary
