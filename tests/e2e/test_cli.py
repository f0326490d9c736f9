"""The `ra-conform` command: exit codes, reports, serve, fixtures load, and the plugin in plain pytest."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from ra_conformance.cli import cli
from ra_conformance.harness.runner import suites_dir
from ra_conformance.server.embedded import EmbeddedServer


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_against_embedded_server_writes_reports(tmp_path):
    result = invoke("run", "--report-dir", str(tmp_path), "--allure", "-k", "capability_statement or overlap")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["exitCode"] == 0 and summary["counts"]["pass"] > 10
    junit = (tmp_path / "junit.xml").read_text()
    assert 'name="requirement" value="REQ-024"' in junit
    assert any((tmp_path / "allure-results").iterdir())


def test_fault_makes_the_run_exit_1(tmp_path):
    assert invoke("run", "--report-dir", str(tmp_path), "--fault", "ignore-period", "-k", "overlap").exit_code == 1


def test_unreachable_target_exits_3(tmp_path):
    result = invoke("run", "--target", f"http://127.0.0.1:{free_port()}", "--report-dir", str(tmp_path))
    assert result.exit_code == 3 and "unreachable" in result.output


@pytest.mark.parametrize(
    "args",
    [("--ig-version", "9.9"), ("--target", "ftp://x"), ("-k", "no_such_test_anywhere"), ("--fault", "no-such-fault"), ("--unknown-flag",)],
)
def test_usage_errors_exit_2(tmp_path, args):
    result = invoke("run", "--report-dir", str(tmp_path), *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_faults_are_listed():
    result = invoke("faults")
    assert result.exit_code == 0 and "ignore-period" in result.output


def test_fixtures_load_into_an_empty_server_then_it_certifies(tmp_path):
    with EmbeddedServer(load=[]) as server:
        result = invoke("fixtures", "load", "--target", server.base_url)
        assert result.exit_code == 0, result.output
        assert "loaded" in result.output
        run = invoke("run", "--target", server.base_url, "--report-dir", str(tmp_path), "-k", "single_patient or group")
        assert run.exit_code == 0, run.output


def test_fixtures_load_reports_an_unreachable_target():
    result = invoke("fixtures", "load", "--target", f"http://127.0.0.1:{free_port()}", "--timeout", "5")
    assert result.exit_code == 3 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1 and "unreachable" in result.output


@pytest.mark.parametrize("token_url", [False, True], ids=["discovery", "token-url"])
def test_fixtures_load_with_credentials_reports_an_unreachable_target(token_url):
    """Nothing answers the discovery or the token request: exit 3 (unreachable), not 2 (refused credentials)."""
    dead = f"http://127.0.0.1:{free_port()}"
    extra = ("--token-url", f"{dead}/token") if token_url else ()
    result = invoke("fixtures", "load", "--target", dead, "--smart-client-id", "x", "--client-secret", "s", *extra)
    assert result.exit_code == 3 and "Traceback" not in result.output, result.output
    assert "did not answer" in result.output


def test_run_whose_token_endpoint_does_not_answer_exits_3(tmp_path):
    with EmbeddedServer() as server:
        result = invoke("run", "--target", server.base_url, "--report-dir", str(tmp_path), "--smart-client-id", "x",
                        "--client-secret", "s", "--token-url", f"http://127.0.0.1:{free_port()}/token")
    assert result.exit_code == 3 and "token endpoint" in result.output and "did not answer" in result.output, result.output


def _serve(port: int, data_dir: Path, *extra: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ra_conformance.cli", "serve", "--port", str(port), "--data-dir", str(data_dir), "--log-level", "warning", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/metadata", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(proc.stdout.read().decode() if proc.stdout else "server did not start")


def test_serve_persists_data_across_restart(tmp_path):
    port = free_port()
    patient = {"resourceType": "Patient", "id": "persist-me", "name": [{"family": "Durable"}]}
    proc = _serve(port, tmp_path, "--no-fixtures")
    try:
        assert httpx.put(f"http://127.0.0.1:{port}/Patient/persist-me", json=patient).status_code in (200, 201)
    finally:
        proc.terminate()
        proc.wait(10)
    proc = _serve(port, tmp_path, "--no-fixtures")
    try:
        resp = httpx.get(f"http://127.0.0.1:{port}/Patient/persist-me")
        assert resp.status_code == 200 and resp.json()["name"][0]["family"] == "Durable"
        assert httpx.get(f"http://127.0.0.1:{port}/Patient/rac-p01").status_code == 404  # --no-fixtures
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_refuses_an_unknown_fault(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ra_conformance.cli", "serve", "--port", str(free_port()), "--data-dir", str(tmp_path), "--fault", "nope"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2 and "nope" in result.stderr and "Traceback" not in result.stderr


def test_plugin_works_in_plain_pytest(tmp_path):
    with EmbeddedServer(load=[Path(__file__).resolve().parents[2] / "fixtures"]) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        result = subprocess.run(
            [sys.executable, "-m", "pytest", str(suites_dir()), "--ra-target", server.base_url, "-q", "-p", "no:xdist", "-k", "single_patient"],
            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
        )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


def test_plain_pytest_without_target_skips_with_reason(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(suites_dir()), "-q", "-rs", "-p", "no:xdist", "-k", "capability_statement"],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )
    assert result.returncode == 0 and "no target" in result.stdout


def test_serve_refuses_a_bad_load_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = subprocess.run(
        [sys.executable, "-m", "ra_conformance.cli", "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "d"), "--load", str(bad)],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2 and "bad.json" in result.stderr and "Traceback" not in result.stderr


def test_served_reference_server_vets_an_invalid_ra_report_by_write_validation_mode(tmp_path):
    report = {"resourceType": "MeasureReport", "id": "bad", "meta": {"profile": ["http://hl7.org/fhir/us/davinci-ra/StructureDefinition/ra-measurereport"]},
              "status": "complete", "type": "summary", "measure": "http://x/Measure/m", "period": {"start": "2024-01-01", "end": "2024-12-31"}}
    for mode, status in (("warn", 201), ("strict", 422)):  # warn: the default (stored, issues returned with the 2xx)
        port = free_port()
        proc = _serve(port, tmp_path / mode, "--no-fixtures", *(["--write-validation", mode] if mode != "warn" else []))
        try:
            resp = httpx.put(f"http://127.0.0.1:{port}/MeasureReport/bad", json=report)
            assert resp.status_code == status and resp.json()["resourceType"] == "OperationOutcome", mode
            assert "REQ-101" in resp.text or "type" in resp.text
        finally:
            proc.terminate()
            proc.wait(10)


def test_validate_command_exit_codes(tmp_path):
    kit = Path(__file__).resolve().parents[2] / "fixtures" / "resources"
    assert invoke("validate", str(kit)).exit_code == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "MeasureReport", "id": "x", "status": "complete", "type": "summary"}')
    result = invoke("validate", "--profile", "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/ra-measurereport", str(bad))
    assert result.exit_code == 1 and "REQ-101" in result.output
    assert invoke("validate", str(tmp_path / "missing.json")).exit_code == 2
    assert invoke("validate", "--ig-version", "9", str(bad)).exit_code == 2


def test_fixtures_generate_writes_a_loadable_data_set(tmp_path):
    result = invoke("fixtures", "generate", "--patients", "20", "--out", str(tmp_path / "gen"))
    assert result.exit_code == 0 and "20 patients" in result.output
    with EmbeddedServer(load=[tmp_path / "gen"]) as server:
        assert httpx.get(f"{server.base_url}/Group").json()["total"] == 1
    assert invoke("fixtures", "generate", "--patients", "0", "--out", str(tmp_path / "x")).exit_code == 2


def test_selftest_command_reports_each_fault(tmp_path):
    result = invoke("selftest", "--fault", "duplicate-report", "--report-dir", str(tmp_path))
    assert result.exit_code == 0 and "1 of 1 faults caught" in result.output
    assert invoke("selftest", "--fault", "nope").exit_code == 2


def test_variants_lists_every_legal_variation_with_its_rule():
    from ra_conformance.server.variants import VARIANTS

    result = invoke("variants")
    assert result.exit_code == 0 and all(name in result.output for name in VARIANTS)
    assert result.output.count("legal by: ") == len(VARIANTS)


def test_unknown_variant_is_a_usage_error(tmp_path):
    assert invoke("run", "--variant", "no-such-variant", "--report-dir", str(tmp_path)).exit_code == 2
    assert invoke("run", "--variant", "gzip", "--target", "http://127.0.0.1:9").exit_code == 2
    assert invoke("selftest", "--variant", "no-such-variant").exit_code == 2
