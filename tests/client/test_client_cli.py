"""The client side's commands: client-test --list, usage errors, selftest --clients, client-demo (both modes), and
the README's two-terminal flow (client-test and client-demo as two processes)."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from ra_conformance import kit
from ra_conformance.cli import cli
from ra_conformance.client.scenarios import SCENARIOS
from ra_conformance.server import EmbeddedServer


def test_list_shows_every_scenario_with_its_req_ids():
    result = CliRunner().invoke(cli, ["client-test", "--list"])
    assert result.exit_code == 0
    for s in SCENARIOS:
        assert s.name in result.output
    assert "REQ-016" in result.output and "REQ-223" in result.output


def test_usage_errors_exit_2():
    runner = CliRunner()
    assert runner.invoke(cli, ["client-test", "--scenario", "nope"]).exit_code == 2
    assert runner.invoke(cli, ["client-test", "--ig-version", "stu1", "--scenario", "risk-gap"]).exit_code == 2
    assert runner.invoke(cli, ["client-test", "--timeout", "-1"]).exit_code == 2
    assert runner.invoke(cli, ["client-demo", "--target", "not-a-url"]).exit_code == 2
    assert runner.invoke(cli, ["selftest", "--clients", "--fault", "no-such-fault"]).exit_code == 2


def test_selftest_clients_shows_the_check_that_caught_the_fault(tmp_path):
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["selftest", "--clients", "--fault", "bare-id-subject", "--report-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "test_req_016_subject_is_a_typed_reference" in result.output
    assert "1 of 1 client faults caught" in result.output


def test_client_demo_against_a_plain_server_performs_the_version_once():
    with EmbeddedServer(load=[kit.default_kit_dir()], ig_version="stu3-ballot") as server:
        result = CliRunner().invoke(cli, ["client-demo", "--target", server.base_url, "--ig-version", "stu3-ballot"])
    assert result.exit_code == 0, result.output
    assert "is no client-test server" in result.output
    assert "POST " + server.base_url + "/MeasureReport/$risk-gap -> 200" in result.output
    assert "PATCH " + server.base_url + "/MeasureReport/rac-mr-p01-v28 -> 200" in result.output
    assert "done: risk-gap" in result.output


def test_client_test_and_client_demo_as_two_processes(tmp_path):
    """The README's worked example: client-test in one terminal, client-demo in another."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    test = subprocess.Popen([sys.executable, "-m", "ra_conformance.cli", "client-test", "--port", "0", "--ig-version", "stu1",
                             "--retry-after", "1", "--timeout", "30", "--report-dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert test.stdout is not None
        first = test.stdout.readline()
        assert first.startswith("[cc-gaps-patient] "), first
        base = first.split("GET or POST ", 1)[1].split("/MeasureReport/", 1)[0]
        demo = subprocess.run([sys.executable, "-m", "ra_conformance.cli", "client-demo", "--target", base],
                              capture_output=True, text=True, timeout=60, env=env)
        assert demo.returncode == 0, demo.stderr
        out, err = test.communicate(timeout=60)
    finally:
        if test.poll() is None:
            test.kill()
    assert test.returncode == 0, err
    assert [line.split("]", 1)[0] for line in [first, *out.splitlines()]] == [
        "[cc-gaps-patient", "[cc-gaps-group", "[read", "[async"]
    assert (tmp_path / "report.html").is_file() and (tmp_path / "junit.xml").is_file()


def test_readme_lists_every_scenario_and_client_fault():
    from pathlib import Path

    from ra_conformance.client.faults import CLIENT_FAULTS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Certify a client", 1)[1].split("\n## ", 1)[0]
    assert all(f"| `{s.name}` |" in section for s in SCENARIOS)
    assert all(f"| `{name}`" in section for name in CLIENT_FAULTS)


def test_client_demo_against_nothing_exits_3():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = CliRunner().invoke(cli, ["client-demo", "--target", f"http://127.0.0.1:{port}", "--timeout", "2"])
    assert result.exit_code == 3 and "unreachable" in result.output
