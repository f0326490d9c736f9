"""Protected servers end to end: the suites against `serve --smart` with a generated key, a wrong key stopping the
run at once, client secrets, and no assertion, secret or token in any report file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from joserfc import jwt as joserfc_jwt
from joserfc.jwk import KeySet

from ra_conformance import kit
from ra_conformance.cli import cli
from ra_conformance.fhir.keys import generate, public_jwks, write_pair
from ra_conformance.harness.runner import run_suites
from ra_conformance.results import ERROR, FAIL, PASS, SKIP, WARN
from ra_conformance.server.auth import SmartConfig
from ra_conformance.server.embedded import EmbeddedServer
from ra_conformance.settings import build

SECRET = "CANARY-client-secret-7d41+/="


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("keys")
    out: dict[str, Any] = {}
    for name, alg in (("es", "ES384"), ("rs", "RS384"), ("wrong", "ES384")):
        key = generate(alg)
        write_pair(key, root / name)
        out[name] = key
        out[name + "_pem"] = root / name / "private-key.pem"
    return out


@pytest.fixture(scope="module")
def smart_server(keys: dict[str, Any]) -> Any:
    clients = {"e2e-es": KeySet.import_key_set(public_jwks(keys["es"])), "e2e-rs": KeySet.import_key_set(public_jwks(keys["rs"]))}
    with EmbeddedServer(load=[kit.default_kit_dir()], smart=SmartConfig(clients, secrets={"e2e-gw": SECRET})) as server:
        yield server


def _issued_tokens(server: Any) -> set[str]:
    return set(server._app.state.ctx.smart.tokens)


def _keep(kept: list[str], value: str) -> str:
    kept.append(value)
    return value


def _leaks(report_dir: Path, canaries: set[str]) -> list[str]:
    files = [p for p in report_dir.rglob("*") if p.is_file()]
    assert files, "the run wrote no report"
    return [f"{p.name}: {c[:12]}…" for p in files for c in canaries if c in p.read_text(errors="replace")]


def test_full_run_with_a_generated_key_passes_and_leaks_nothing(smart_server: Any, keys: dict[str, Any], tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    signed: list[str] = []
    encode = joserfc_jwt.encode
    monkeypatch.setattr(joserfc_jwt, "encode", lambda *a, **kw: _keep(signed, encode(*a, **kw)))
    settings = build({"target": smart_server.base_url, "smart_client_id": "e2e-es", "smart_key": str(keys["es_pem"]),
                      "report_dir": tmp_path, "allure": True}, env={})  # Allure is opt-in: its attachments are checked too
    results = run_suites(settings)
    bad = [f"{t.nodeid}: {t.state}: {t.message}" for t in results.tests if t.state in (FAIL, ERROR, WARN)]
    assert bad == [] and results.exit_code() == 0
    auth = [t for t in results.tests if t.suite == "auth"]
    assert len(auth) >= 10 and all(t.state == PASS for t in auth)
    assert results.counts()[PASS] >= 150  # every suite ran behind the token, not only the auth suite
    assert not [t for t in results.tests if t.suite == "bulk" and t.state == SKIP]  # files need the token: REQ-064 runs
    tokens = _issued_tokens(smart_server)
    assert len(signed) >= 5 and len(tokens) >= 3
    assert _leaks(tmp_path, set(signed) | tokens) == []
    assert (tmp_path / "allure-results").is_dir()


def test_rs384_key_and_the_auth_suite(smart_server: Any, keys: dict[str, Any], tmp_path: Path) -> None:
    settings = build({"target": smart_server.base_url, "smart_client_id": "e2e-rs", "smart_key": str(keys["rs_pem"]),
                      "report_dir": tmp_path, "keyword": "auth", "allure": False}, env={})
    results = run_suites(settings)
    assert [t.state for t in results.tests] == [PASS] * len(results.tests) and len(results.tests) >= 10


def test_client_secret_run_leaks_neither_secret_nor_token(smart_server: Any, tmp_path: Path) -> None:
    before = _issued_tokens(smart_server)
    settings = build({"target": smart_server.base_url, "report_dir": tmp_path, "keyword": "auth or capability or single_patient"},
                     env={"RA_CONFORM_SMART_CLIENT_ID": "e2e-gw", "RA_CONFORM_CLIENT_SECRET": SECRET, "RA_CONFORM_CLIENT_AUTH": "post"})
    results = run_suites(settings)
    assert results.exit_code() == 0 and any(t.state == PASS and t.suite == "single_patient" for t in results.tests)
    needs_key = [t for t in results.tests if t.suite == "auth" and t.state == SKIP]
    assert needs_key and all("--smart-key" in t.message for t in needs_key)
    tokens = _issued_tokens(smart_server) - before
    assert tokens and _leaks(tmp_path, {SECRET} | tokens) == []


def test_a_wrong_key_stops_the_run_with_one_line_and_exit_2(smart_server: Any, keys: dict[str, Any], tmp_path: Path) -> None:
    report_dir = tmp_path / "reports"
    result = CliRunner().invoke(cli, ["run", "--target", smart_server.base_url, "--smart-client-id", "e2e-es",
                                      "--smart-key", str(keys["wrong_pem"]), "--report-dir", str(report_dir)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ra-conform: authentication failed (SMART Backend Services, client e2e-es)")
    assert "invalid_client" in lines[0]
    assert not report_dir.exists()  # no test ran against a server that refuses every request


def test_plan_and_fixtures_load_authenticate_too(smart_server: Any, keys: dict[str, Any]) -> None:
    creds = ["--smart-client-id", "e2e-es", "--smart-key", str(keys["es_pem"])]
    plan = CliRunner().invoke(cli, ["plan", "--target", smart_server.base_url, *creds])
    assert plan.exit_code == 0 and "REQ-244" in plan.output
    loaded = CliRunner().invoke(cli, ["fixtures", "load", "--target", smart_server.base_url, *creds])
    assert loaded.exit_code == 0, loaded.output
    refused = CliRunner().invoke(cli, ["fixtures", "load", "--target", smart_server.base_url])
    assert refused.exit_code != 0


def test_keys_generate_and_serve_usage_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["keys", "generate", "--alg", "RS384", "--out", str(tmp_path / "k")])
    assert result.exit_code == 0 and "public-jwks.json" in result.output
    jwks = json.loads((tmp_path / "k" / "public-jwks.json").read_text())
    assert jwks["keys"][0]["alg"] == "RS384" and "d" not in jwks["keys"][0]
    assert CliRunner().invoke(cli, ["serve", "--smart-client", "a=b.json"]).exit_code == 2
    assert CliRunner().invoke(cli, ["serve", "--smart", "--smart-client", "a=/no/such.json"]).exit_code == 2


@pytest.mark.parametrize("creds,said", [([], "no credentials"), (["--auth-token", "not-a-token"], "the --auth-token")])
def test_a_protected_server_without_a_usable_token_stops_the_run_with_one_line(smart_server: Any, tmp_path: Path,
                                                                               creds: list[str], said: str) -> None:
    result = CliRunner().invoke(cli, ["run", "--target", smart_server.base_url, "--report-dir", str(tmp_path / "r"), *creds])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"ra-conform: the target refuses {said}: HTTP 401") and "--smart-key" in line
    assert not (tmp_path / "r").exists()
