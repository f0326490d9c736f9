"""Selection by capability, the kit preflight, strictness, plan, and the reports a run leaves."""

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ra_conformance.cli import cli
from ra_conformance.harness.runner import run_suites, suites_dir
from ra_conformance.results import FAIL, SKIP, WARN
from ra_conformance.server.embedded import EmbeddedServer
from ra_conformance.settings import build

KIT = Path(__file__).resolve().parents[2] / "fixtures"


def test_optional_operation_not_declared_skips_with_reason(tmp_path):
    results = run_suites(build({"fault": ("no-operation-in-metadata",), "ig_version": "2.1.0", "report_dir": tmp_path}, env={}))
    skipped = [t for t in results.tests if t.state == SKIP]
    assert skipped and results.exit_code() == 0
    # $risk-gap: STU3 ballot only; auth: SMART targets only; profile rules of other IG versions: their own reason
    coding_gap = [t for t in skipped if t.suite not in ("risk_gap", "auth") and not t.message.startswith("applies to IG")]
    assert all("does not declare MeasureReport:operation:coding-gap; IG 2.1.0: MAY" in t.message for t in coding_gap)


def test_required_operation_not_declared_fails_under_stu1(tmp_path):
    results = run_suites(build({"fault": ("no-operation-in-metadata",), "ig_version": "stu1", "report_dir": tmp_path, "keyword": "capability_statement"}, env={}))
    assert [t.name for t in results.tests if t.state == FAIL] == ["test_req_010_coding_gap_operation_declared"]


def test_missing_kit_is_one_failure_not_a_cascade(tmp_path):
    with EmbeddedServer(load=[]) as server:
        results = run_suites(build({"target": server.base_url, "report_dir": tmp_path}, env={}))
    failed = [t for t in results.tests if t.state == FAIL]
    assert [t.name for t in failed] == ["test_req_038_fixture_kit_is_loaded"]
    assert "ra-conform fixtures load" in failed[0].message
    kit_skips = [t for t in results.tests if t.state == SKIP and t.suite not in ("risk_gap", "auth")  # not declared
                 and not t.message.startswith("applies to IG")]  # profile rules of other IG versions
    assert len(kit_skips) > 50 and all("fixture kit is not loaded" in t.message for t in kit_skips)


def test_load_fixtures_then_run(tmp_path):
    with EmbeddedServer(load=[]) as server:
        results = run_suites(build({"target": server.base_url, "report_dir": tmp_path, "load_fixtures": True, "keyword": "single_patient or fixture_kit"}, env={}))
    assert results.exit_code() == 0 and results.counts()["pass"] > 10


def test_warnings_fail_only_under_strict(tmp_path):
    lenient = run_suites(build({"fault": ("missing-charset",), "report_dir": tmp_path / "a", "keyword": "capability_statement"}, env={}))
    assert lenient.exit_code() == 0 and any(t.state == WARN for t in lenient.tests)
    strict = run_suites(build({"fault": ("missing-charset",), "report_dir": tmp_path / "b", "keyword": "capability_statement", "strict": True}, env={}))
    assert strict.exit_code() == 1


def test_plan_lists_decisions_without_running(tmp_path):
    result = CliRunner().invoke(cli, ["plan", "--fault", "no-operation-in-metadata", "--ig-version", "2.1.0"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "will be skipped" in result.output and "REQ-023" in result.output


def test_reports_are_complete_and_secrets_never_leak(tmp_path):
    canary = "CANARY-tok-3f9a1c7e"
    results = run_suites(build({"report_dir": tmp_path, "auth_token": canary, "allure": True}, env={}))
    assert results.exit_code() == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"junit.xml", "summary.json", "report.html", "allure-results"} <= names
    leaks = [str(p) for p in tmp_path.rglob("*") if p.is_file() and canary in p.read_text(errors="replace")]
    assert leaks == []
    summary = json.loads((tmp_path / "summary.json").read_text())
    exchanges = [e for t in summary["tests"] for e in t["exchanges"]]
    sent = [e["request_headers"]["authorization"] for e in exchanges if "authorization" in e["request_headers"]]
    assert sent and set(sent) == {"***redacted***"}
    allure = list((tmp_path / "allure-results").glob("*-result.json"))
    labels = {lb["value"] for f in allure for lb in json.loads(f.read_text())["labels"] if lb["name"] == "requirement"}
    assert "REQ-023" in labels
    rows = {r["id"]: r for r in summary["traceability"]["requirements"]}
    assert rows["REQ-023"]["outcome"] == "pass" and rows["REQ-023"]["tests"]


def test_summary_matches_its_documented_schema(tmp_path):
    import jsonschema

    run_suites(build({"report_dir": tmp_path, "keyword": "overlap"}, env={}))
    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "summary.schema.json").read_text())
    jsonschema.validate(json.loads((tmp_path / "summary.json").read_text()), schema)


def test_report_command_rerenders_html(tmp_path):
    run_suites(build({"report_dir": tmp_path, "keyword": "capability_statement"}, env={}))
    out = tmp_path / "again.html"
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "summary.json"), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0 and out.read_text().startswith("<!DOCTYPE html")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    result = CliRunner().invoke(cli, ["report", str(bad)], catch_exceptions=False)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_plain_pytest_with_xdist_writes_full_reports(tmp_path):
    with EmbeddedServer(load=[KIT]) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", str(suites_dir()), "--ra-target", server.base_url, "-q", "-n", "2", "--ra-report-dir", str(tmp_path), "-k", "single_patient or group"],
            capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path,
        )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    nodeids = [t["nodeid"] for t in summary["tests"]]
    assert len(nodeids) == len(set(nodeids)) > 20
    assert summary["counts"]["fail"] == summary["counts"]["error"] == 0 and summary["counts"]["pass"] > 20
    assert summary["mustSupport"]


def test_skipped_tests_are_counted_once(tmp_path):
    results = run_suites(build({"report_dir": tmp_path, "ig_version": "2.1.0", "keyword": "risk_gap"}, env={}))
    nodeids = [t.nodeid for t in results.tests]
    assert nodeids and len(nodeids) == len(set(nodeids))


def test_stu1_run_prefers_the_igs_own_operation_name(tmp_path):
    results = run_suites(build({"report_dir": tmp_path, "ig_version": "stu1", "keyword": "capability_statement or single_patient"}, env={}))
    assert results.operation == "report" and "$report" in results.retrieval and results.exit_code() == 0
