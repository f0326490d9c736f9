"""Self-test of the client checks: the reference client performs each catalogued fault's scenario with the fault
switched on, and the check meant for it must end in the expected state (`ra-conform selftest --clients`)."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from ..results import FAIL, WARN, RunResults
from .faults import CLIENT_FAULTS
from .recorder import AsyncHold
from .reference import ReferenceClient
from .runner import ClientTestOptions, run_client_test

SELFTEST_TIMEOUT = 10.0  # seconds per scenario: the faulty client says done, so this is only a safety net


@dataclass
class ClientFaultOutcome:
    fault: str
    expected: str
    catches: tuple[str, ...]
    exit_code: int
    caught_by: list[str] = field(default_factory=list)

    @property
    def caught(self) -> bool:
        return bool(self.caught_by) and self.exit_code == (1 if self.expected == "fail" else 0)


def with_reference_client(ig_version: str, faults: tuple[str, ...] = (), auth_token: str | None = None,
                          **client_kw: Any) -> tuple[Callable[[str], None], list[threading.Thread]]:
    """An ``on_ready`` that runs the reference client (following $client-test-status) in a thread;
    ``client_kw`` chooses among the legal forms (remark_by, operation_by)."""
    threads: list[threading.Thread] = []

    def start(base: str) -> None:
        def follow() -> None:
            with ReferenceClient(base, ig_version, faults=faults, auth_token=auth_token, **client_kw) as client:
                client.follow()
        thread = threading.Thread(target=follow, name="ra-conform-reference-client", daemon=True)
        thread.start()
        threads.append(thread)

    return start, threads


def run_reference(opts: ClientTestOptions, faults: tuple[str, ...] = (), **client_kw: Any) -> RunResults:
    """client-test with the reference client (in this process) as the client under test."""
    start, threads = with_reference_client(opts.ig_version, faults, opts.auth_token, **client_kw)
    quiet = Console(file=io.StringIO())
    results = run_client_test(opts, out=io.StringIO(), console=quiet, on_ready=start)
    for t in threads:
        t.join(timeout=5)
    return results


def judge_fault(name: str, results: RunResults) -> ClientFaultOutcome:
    spec = CLIENT_FAULTS[name]
    state = FAIL if spec.expected == "fail" else WARN
    outcome = ClientFaultOutcome(name, spec.expected, spec.catches, results.exit_code())
    outcome.caught_by = [t.nodeid for t in results.tests if t.state == state and set(t.reqs) & set(spec.catches)]
    return outcome


def run_client_fault(name: str, report_root: Path, *, timeout: float = SELFTEST_TIMEOUT) -> ClientFaultOutcome:
    spec = CLIENT_FAULTS[name]
    opts = ClientTestOptions(ig_version=spec.ig_version, scenarios=(spec.scenario,), timeout=timeout,
                             report_dir=report_root / name, settle=0.2, hold=AsyncHold(polls=2, seconds=1))
    return judge_fault(name, run_reference(opts, (name,)))


def run_client_selftest(report_root: Path, names: list[str] | None = None) -> list[ClientFaultOutcome]:
    return [run_client_fault(n, report_root) for n in (names or sorted(CLIENT_FAULTS))]
