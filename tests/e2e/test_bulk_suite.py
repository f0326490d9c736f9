"""The bulk suite end to end: it skips (with the reason) on a target that answers synchronously, and runs the
access-token test against a target whose files need the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from ra_conformance import kit
from ra_conformance.checks.bulk import SYNCHRONOUS_SKIP
from ra_conformance.harness.runner import run_suites
from ra_conformance.results import FAIL, PASS, SKIP
from ra_conformance.server import app as server_app
from ra_conformance.server.embedded import EmbeddedServer
from ra_conformance.settings import build


def _run(base_url: str, report_dir: Path, **flags):
    return run_suites(build({"target": base_url, "keyword": "bulk", "report_dir": report_dir, **flags}, env={}))


def test_a_synchronous_target_skips_every_bulk_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(server_app, "wants_async", lambda prefer: False)  # a server that ignores Prefer
    with EmbeddedServer(load=[kit.default_kit_dir()]) as server:
        results = _run(server.base_url, tmp_path)
    assert results.tests and {t.state for t in results.tests} == {SKIP}
    assert {t.message for t in results.tests} == {SYNCHRONOUS_SKIP}


def test_with_a_token_the_files_are_refused_without_it(tmp_path: Path):
    with EmbeddedServer(load=[kit.default_kit_dir()], auth_tokens=["s3cret"]) as server:
        results = _run(server.base_url, tmp_path, auth_token="s3cret")
    states = {t.name: t.state for t in results.tests}
    assert states["test_req_064_files_need_the_access_token_when_the_manifest_says_so"] == PASS
    assert FAIL not in states.values() and results.exit_code() == 0
