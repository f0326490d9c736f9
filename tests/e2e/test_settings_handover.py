"""`ra-conform run` hands its Settings to pytest as an object (RaPlugin), never as argv rebuilt into a second
Settings — and xdist workers get the same object from the controller."""

from dataclasses import replace

from ra_conformance.harness.runner import pytest_args, run_suites
from ra_conformance.results import PASS, SKIP
from ra_conformance.settings import build


def test_pytest_gets_no_ra_flags(tmp_path):
    settings = build({"target": "http://127.0.0.1:1", "ig_version": "stu1", "strict": True, "report_dir": tmp_path}, env={})
    assert not [a for a in pytest_args(settings) if a.startswith("--ra-")]


def test_xdist_workers_run_with_the_handed_settings(tmp_path):
    """Under -n 2 the workers reach the embedded server (rebuilt from argv they would have no target and skip
    everything) and plan by the run's IG version (profile rules of other versions skip, naming this run's)."""
    settings = replace(build({"ig_version": "stu1", "report_dir": tmp_path, "keyword": "test_req_1xx"}, env={}),
                       extra_pytest_args=("-n", "2"))
    results = run_suites(settings)
    assert results.tests and not [t for t in results.tests if t.state == SKIP and "no target" in t.message]
    assert [t for t in results.tests if t.state == PASS]
    assert {t.message for t in results.tests if t.state == SKIP and "applies to IG" in t.message} >= {
        "applies to IG 2.1.0, stu3-ballot only (this run: stu1)"}
