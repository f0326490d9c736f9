"""The harness never crashes on what a server sends: against a server whose every answer is broken, each test
ends pass/fail/warn/skip — never `error` (a harness failure) — and the run exits 1, not 4."""

import pytest

from ra_conformance.harness.runner import run_suites
from ra_conformance.results import ERROR, FAIL
from ra_conformance.settings import build

from .hostile_server import HostileServer


@pytest.mark.parametrize("ig_version", ["stu1", "2.1.0", "stu3-ballot"])
def test_hostile_answers_are_failures_never_harness_errors(tmp_path, ig_version):
    with HostileServer() as server:
        # --operation and --ig-version force every suite to run: nothing is skipped for lack of declarations
        results = run_suites(build({"target": server.base_url, "report_dir": tmp_path, "operation": "cc-gaps", "ig_version": ig_version, "timeout": 5, "async_timeout": 5}, env={}))
    errors = [f"{t.nodeid}: {t.message}" for t in results.tests if t.state == ERROR]
    assert errors == []
    assert results.exit_code() == 1 and sum(t.state == FAIL for t in results.tests) > 50
    assert (tmp_path / "report.html").is_file() and (tmp_path / "summary.json").is_file()
