"""The asynchronous export the bulk suite judges (RA-SPEC §2): kick-off, poll, download and audit every file —
made once per suite module by the `export` fixture (testsuites/conftest.py), whose exchanges every test
requesting it shows (capture.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from ..checks import bulk as checks
from ..fhir import async_pattern as ap
from ..fhir.client import FhirClient
from ..kit import Scenario


@dataclass
class Export:
    kick: ap.Kickoff
    poll: ap.PollResult | None = None
    files: list[tuple[str, checks.FileAudit, ap.Download]] = field(default_factory=list)  # (output|error, …)

    @property
    def manifest(self) -> dict[str, Any] | None:
        return self.poll.manifest if self.poll else None

    def lines(self, kind: str) -> list[dict[str, Any]]:
        return [r for k, audit, _ in self.files if k == kind for r in audit.kept]


def scenario_params(scenario: Scenario) -> list[tuple[str, str]]:
    """The operation's parameters for a kit scenario."""
    return [("subject", scenario.subject), ("periodStart", scenario.period_start), ("periodEnd", scenario.period_end)]


def skip_unless_async(kick: ap.Kickoff) -> None:
    """The asynchronous pattern is optional (REQ-069): a synchronous answer, or a 4xx OperationOutcome refusing the
    kick-off, skips the tests relying on it."""
    if kick.synchronous:
        pytest.skip(checks.SYNCHRONOUS_SKIP)
    status = kick.response.status or 0
    if 400 <= status < 500 and kick.response.resource and kick.response.resource.get("resourceType") == "OperationOutcome":
        pytest.skip(f"the target refused the asynchronous kick-off (HTTP {status}): the pattern is optional (REQ-069)")


def run_export(client: FhirClient, path: str, scenario: Scenario, *, poll_limit: float, validator: Any) -> Export:
    """Kick off an export of the scenario (skipping unless the target goes asynchronous), poll it to the end and
    download every file of its manifest, judging each line as it streams."""
    result = Export(ap.kickoff(client, path, params=scenario_params(scenario)))
    skip_unless_async(result.kick)
    if result.kick.status_url is None or not result.kick.accepted:
        return result
    result.poll = ap.poll(client, result.kick.status_url, limit=poll_limit)
    for kind in ("output", "error"):
        for item in checks.items(result.manifest, kind):
            audit = checks.FileAudit(item, validator=validator, keep=True)
            result.files.append((kind, audit, ap.download(client, item["url"], audit)))
            audit.finish()  # the file's validations ran on every core while it streamed
    return result
