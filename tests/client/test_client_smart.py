"""client-test with SMART Backend Services (`--smart-client ID=JWKS_FILE`): the reference server publishes its
discovery document and token endpoint and refuses requests without a token; the reference client with a
registered key passes, a client without a token fails on REQ-006; --auth-token and --smart-client exclude each other."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading

import httpx
from click.testing import CliRunner
from rich.console import Console

from ra_conformance.cli import cli
from ra_conformance.client import ClientTestOptions, run_client_test
from ra_conformance.client.recorder import AsyncHold
from ra_conformance.client.reference import ClientCredentials
from ra_conformance.client.selftest import run_reference
from ra_conformance.fhir.client import FhirClient
from ra_conformance.fhir.keys import generate, write_pair
from ra_conformance.server.auth import SmartConfig, parse_client

FAST = {"settle": 0.2, "hold": AsyncHold(polls=2, seconds=1)}
SCENARIOS = ("cc-gaps-patient", "async")
TOKEN_TEST = "test_req_006_requests_carry_a_valid_token"


def _keys(tmp_path):
    return write_pair(generate("ES384"), tmp_path / "keys")  # (private key, public JWKS)


def _smart(public) -> SmartConfig:
    return SmartConfig(dict([parse_client(f"demo-client={public}")]))


def test_reference_client_with_a_registered_key_passes(tmp_path):
    private, public = _keys(tmp_path)
    opts = ClientTestOptions(scenarios=SCENARIOS, report_dir=tmp_path / "reports", smart=_smart(public), timeout=15.0, **FAST)
    results = run_reference(opts, credentials=ClientCredentials("demo-client", key=private))
    assert results.exit_code() == 0, [(t.nodeid, t.message) for t in results.tests if t.state != "pass"]
    token_tests = [t for t in results.tests if t.name == TOKEN_TEST]
    assert [t.suite for t in token_tests] == ["client/cc-gaps-patient", "client/async"]
    assert all(t.state == "pass" for t in token_tests)
    for report in (tmp_path / "reports").iterdir():  # the assertion and the access tokens never reach a report
        text = report.read_text(encoding="utf-8")
        assert "eyJ" not in text, report.name  # a JWS (client assertion) starts with a base64 '{"'
        assert "***redacted***" in text or report.suffix != ".json"


def test_a_client_without_a_token_fails_with_the_token_finding(tmp_path):
    _, public = _keys(tmp_path)
    opts = ClientTestOptions(scenarios=("cc-gaps-patient",), report_dir=tmp_path / "reports", smart=_smart(public),
                             timeout=3.0, **FAST)
    results = run_reference(opts)
    assert results.exit_code() == 1
    failed = {t.name: t for t in results.tests if t.state == "fail"}
    assert list(failed) == [TOKEN_TEST], [(t.name, t.message) for t in results.tests]
    assert "the request carries no bearer token" in failed[TOKEN_TEST].message
    assert "/auth/token" in failed[TOKEN_TEST].message and failed[TOKEN_TEST].reqs == ["REQ-006"]


def test_auth_token_and_smart_client_exclude_each_other(tmp_path):
    _, public = _keys(tmp_path)
    runner = CliRunner()
    both = runner.invoke(cli, ["client-test", "--auth-token", "t0ken", "--smart-client", f"demo={public}"])
    assert both.exit_code == 2 and "exclude each other" in both.output
    assert runner.invoke(cli, ["client-test", "--smart-client", "no-equals-sign"]).exit_code == 2
    assert runner.invoke(cli, ["client-test", "--smart-client", f"demo={tmp_path / 'missing.json'}"]).exit_code == 2
    assert runner.invoke(cli, ["client-test", "--smart-client-secret", "demo="]).exit_code == 2
    assert runner.invoke(cli, ["client-demo", "--target", "http://127.0.0.1:9", "--smart-client-id", "demo"]).exit_code == 2
    assert runner.invoke(cli, ["client-demo", "--target", "http://127.0.0.1:9", "--client-secret", "s3cret"]).exit_code == 2


def test_client_test_and_client_demo_with_smart_as_two_processes(tmp_path):
    """The README's SMART variant: client-test --smart-client in one terminal, client-demo with the key in another."""
    private, public = _keys(tmp_path)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    test = subprocess.Popen([sys.executable, "-m", "ra_conformance.cli", "client-test", "--port", "0", "--retry-after", "1",
                             "--timeout", "30", "--scenario", "cc-gaps-patient", "--scenario", "async",
                             "--smart-client", f"demo-client={public}", "--report-dir", str(tmp_path / "reports")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert test.stdout is not None
        first = test.stdout.readline()
        assert first.startswith("[cc-gaps-patient] ") and "send a bearer token from http://127.0.0.1:" in first, first
        base = first.split(" GET or POST ", 1)[1].split("/MeasureReport/", 1)[0]
        demo = CliRunner().invoke(cli, ["client-demo", "--target", base, "--smart-client-id", "demo-client",
                                        "--smart-key", str(private)])
        assert demo.exit_code == 0, demo.output
        assert f"POST {base}/auth/token -> 200" in demo.output and "-> 401" not in demo.output
        out, err = test.communicate(timeout=60)
    finally:
        if test.poll() is None:
            test.kill()
            test.communicate()
    assert test.returncode == 0, (out, err)


def test_reference_client_with_a_client_secret_passes(tmp_path):
    opts = ClientTestOptions(scenarios=("cc-gaps-patient",), report_dir=tmp_path, timeout=15.0,
                             smart=SmartConfig({}, secrets={"demo-client": "s3cret-for-client-test"}), **FAST)
    results = run_reference(opts, credentials=ClientCredentials("demo-client", secret="s3cret-for-client-test"))
    assert results.exit_code() == 0, [(t.nodeid, t.message) for t in results.tests if t.state != "pass"]
    assert "s3cret-for-client-test" not in (tmp_path / "summary.json").read_text(encoding="utf-8")


def test_a_held_async_poll_still_needs_a_token(tmp_path):
    """client-test answers the first polls itself (Retry-After); under SMART a poll without a token is refused first."""
    private, public = _keys(tmp_path)
    seen: list[int | None] = []

    def client(base: str) -> None:
        def run() -> None:
            provider = ClientCredentials("demo-client", key=private).provider(base)
            with FhirClient(base, auth=provider) as http:
                kick = http.get("MeasureReport/$cc-gaps", params=[("subject", "Group/rac-group-a"), ("periodStart", "2024-01-01"),
                                                                  ("periodEnd", "2024-12-31")], headers={"Prefer": "respond-async"})
                location = kick.headers.get("content-location")
                assert location is not None
                seen.append(kick.status)
                seen.append(httpx.get(location, headers={"Accept": "application/json"}).status_code)  # no token
                seen.append(http.get(location, headers={"Accept": "application/json"}).status)  # with the token: held
        threading.Thread(target=run, daemon=True).start()

    opts = ClientTestOptions(scenarios=("async",), report_dir=tmp_path / "reports", smart=_smart(public), timeout=3.0, **FAST)
    results = run_client_test(opts, out=io.StringIO(), console=Console(file=io.StringIO()), on_ready=client)
    assert seen == [202, 401, 202]
    token = next(t for t in results.tests if t.name == TOKEN_TEST)
    assert token.state == "fail" and "carries no bearer token" in token.message
