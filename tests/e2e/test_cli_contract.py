"""The command line as a CI log reads it: one-line usage errors (exit 2), results on stdout and diagnostics on
stderr without wrapping, JUnit failures that carry findings (no traceback), help for every option, -k that
selects what it names, and a truthful hint for a wrong base URL."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest

from ra_conformance.cli import cli
from ra_conformance.harness.runner import plan_suites
from ra_conformance.server.embedded import EmbeddedServer
from ra_conformance.settings import build


def ra_conform(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RA_CONFORM_", "PYTEST_"))}
    return subprocess.run([sys.executable, "-m", "ra_conformance.cli", *args], cwd=cwd, env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def _not_a_dir(tmp: Path) -> str:
    blocker = tmp / "a-file"
    blocker.write_text("x")
    return str(blocker / "reports")


@pytest.mark.parametrize("case", ["timeout-nan", "port-range", "toml-type", "report-dir", "env-bool", "unknown-option"])
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, case: str) -> None:
    args, env = {
        "timeout-nan": (["run", "--timeout", "nan"], None),
        "port-range": (["serve", "--port", "99999"], None),
        "toml-type": (["run"], None),
        "report-dir": (["run", "--report-dir", _not_a_dir(tmp_path)], None),
        "env-bool": (["run"], {"RA_CONFORM_STRICT": "maybe"}),
        "unknown-option": (["plan", "--no-such-flag"], None),
    }[case]
    if case == "toml-type":
        (tmp_path / "ra-conform.toml").write_text("[ra-conform]\ntarget = 5\n")
    done = ra_conform(*args, cwd=tmp_path, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
    expected = {"timeout-nan": "finite", "port-range": "99999", "toml-type": "ra-conform.toml", "report-dir": "cannot write reports",
                "env-bool": "RA_CONFORM_STRICT", "unknown-option": "--no-such-flag"}[case]
    assert expected in done.stderr


def _options(group: click.Group, path: str = "ra-conform"):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _options(command, f"{path} {name}")
        else:
            for param in command.params:
                if isinstance(param, click.Option):
                    yield f"{path} {name} {param.opts[0]}", param


def test_every_option_has_help() -> None:
    missing = [where for where, option in _options(cli) if not (option.help or "").strip()]
    assert missing == []
    preset = next(o for where, o in _options(cli) if where == "ra-conform run --preset")
    assert "[ra-conform.presets.NAME]" in (preset.help or "")


def test_results_on_stdout_diagnostics_on_stderr_and_junit_without_traceback(tmp_path: Path) -> None:
    done = ra_conform("run", "--fault", "accept-bare-id", "-k", "malformed", "--report-dir", "reports", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    name = "test_req_017_malformed_get_is_rejected_with_outcome[bare-id-subject]"
    assert any(name in line for line in done.stdout.splitlines())  # whole, on one line: no wrapping at 80 columns
    assert "total" in done.stdout and "reports:" in done.stdout
    assert done.stderr.startswith("plan:") and "suite malformed_requests:" in done.stderr and "total" not in done.stderr
    cases = [c for c in ET.parse(tmp_path / "reports" / "junit.xml").iter("testcase") if c.find("failure") is not None]
    failures = [f for c in cases if (f := c.find("failure")) is not None]
    assert failures
    for failure in failures:
        text = failure.text or ""
        assert "REQ-018" in (failure.get("message") or "") and "expected: 4xx + OperationOutcome" in text
        assert not any(marker in text for marker in ("Traceback", "pluggy", "_pytest", "site-packages", ".py:"))
    # the rerun command each failure carries selects exactly that test again
    rerun = next(line for line in (failures[0].text or "").splitlines() if line.startswith("rerun: "))
    args = shlex.split(rerun[len("rerun: "):])
    assert args[:2] == ["ra-conform", "run"]
    again = ra_conform(*args[1:], "--report-dir", "again", cwd=tmp_path)
    assert again.returncode == 1, again.stderr
    summary = json.loads((tmp_path / "again" / "summary.json").read_text(encoding="utf-8"))
    assert [t["nodeid"].split("::")[-1] for t in summary["tests"]] == [cases[0].get("name")]


def test_plan_output_is_on_stdout(tmp_path: Path) -> None:
    done = ra_conform("plan", "-k", "overlap", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "test_req_024_overlap[" in done.stdout and done.stderr == ""


def test_k_capability_selects_the_capability_suite_only(tmp_path: Path) -> None:
    entries, _ = plan_suites(build({"keyword": "capability", "report_dir": tmp_path}, env={}))
    assert entries and all(e.nodeid.startswith("test_capability_statement.py::") for e in entries)
    entries, _ = plan_suites(build({"keyword": "kit", "report_dir": tmp_path}, env={}))
    assert entries and all(e.nodeid.startswith("test_fixture_kit.py::") for e in entries)


def test_a_404_on_metadata_says_the_base_url_looks_wrong(tmp_path: Path) -> None:
    with EmbeddedServer(load=[]) as server:
        entries, _ = plan_suites(build({"target": server.base_url + "/fhir", "report_dir": tmp_path}, env={}))
    skipped = {e.reason for e in entries if not e.run}
    assert any("base URL looks wrong" in r and server.base_url in r for r in skipped), skipped
    assert not any("fixture kit is not loaded" in r for r in skipped)
