"""Self-test: run the suites against the reference server with each catalogued fault, then each legal variant.

Proof both ways. Every check can fail: for each fault, a test carrying one of the fault's REQ ids must end
in the expected state (fail, or warn for warning-only faults), and the run's exit code must follow. No check
fails on legal variation: with each variant of server/variants/ switched on, the run ends with exit 0 (warnings
allowed, no test failed or errored).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from rich.console import Console

from .. import interrupts
from ..results import ERROR, FAIL, WARN, RunResults
from ..server.faults import FAULTS, SMART_FAULTS
from ..server.variants import VARIANTS
from ..settings import Settings
from .runner import run_suites

# The SMART faults (server/auth.py) are in force only when the embedded server requires SMART Backend Services:
# their runs hold a generated key, which the embedded server registers for SELFTEST_CLIENT (runner.embedded_smart).
SELFTEST_CLIENT = "ra-conform-selftest"


@dataclass
class FaultOutcome:
    fault: str
    expected: str
    catches: tuple[str, ...]
    exit_code: int
    caught_by: list[str] = field(default_factory=list)  # tests in the expected state carrying a catching REQ
    other_failures: list[str] = field(default_factory=list)

    @property
    def caught(self) -> bool:
        expected_exit = 1 if self.expected == "fail" else 0
        return bool(self.caught_by) and self.exit_code == expected_exit

    @property
    def summary(self) -> str:
        return (f"{'caught' if self.caught else 'NOT CAUGHT'} "
                f"({len(self.caught_by)} catching tests, exit {self.exit_code})")


def judge(fault: str, results: RunResults) -> FaultOutcome:
    spec = FAULTS[fault]
    state = FAIL if spec.expected == "fail" else WARN
    outcome = FaultOutcome(fault, spec.expected, spec.catches, results.exit_code())
    for t in results.tests:
        if t.state == state and set(t.reqs) & set(spec.catches):
            outcome.caught_by.append(t.nodeid)
        elif t.state == FAIL:
            outcome.other_failures.append(t.nodeid)
    return outcome


def run_fault(fault: str, settings: Settings, report_root: Path) -> FaultOutcome:
    faulty = replace(settings, target=None, fault=(fault,), report_dir=report_root / fault, allure=False,
                     **FAULTS[fault].settings)
    if fault in SMART_FAULTS:
        faulty = replace(faulty, smart_client_id=SELFTEST_CLIENT, smart_key=_selftest_key(report_root), auth_token=None,
                         client_secret=None, smart_scope=None, token_url=None)
    outcome = judge(fault, _run(faulty))
    if outcome.caught:
        prune_reports(faulty.report_dir)
    return outcome


def _run(settings: Settings) -> RunResults:
    """The suites against the embedded server, quietly; an interrupt stops the whole self-test (exit 130/143)."""
    results = run_suites(settings, console=Console(file=io.StringIO(), force_terminal=False))
    if results.interrupted:
        raise interrupts.Terminated() if results.interrupted == "SIGTERM" else KeyboardInterrupt()
    return results


def prune_reports(report_dir: Path) -> None:
    """A caught fault (or passed variant) keeps only its junit.xml (~100 KB): a full self-test stays a few MB on
    disk, while a fault NOT caught (a variant that failed) keeps every report to debug it."""
    for name in ("summary.json", "report.html"):
        (report_dir / name).unlink(missing_ok=True)


def _selftest_key(report_root: Path) -> Path:
    from ..fhir.keys import generate, write_pair

    private = report_root / "selftest-key" / "private-key.pem"
    if not private.is_file():
        write_pair(generate("ES384"), private.parent)
    return private


def run_selftest(settings: Settings, report_root: Path, faults: list[str] | None = None,
                 on_outcome: Callable[[str], None] | None = None) -> list[FaultOutcome]:
    """Each fault's run; `on_outcome` gets one progress line per fault as it ends (the CLI prints it on stderr)."""
    return _each("fault", faults or sorted(FAULTS), lambda name: run_fault(name, settings, report_root), on_outcome)


@dataclass
class VariantOutcome:
    variant: str
    exit_code: int
    failures: list[str] = field(default_factory=list)  # tests that failed or errored: the harness is wrong
    warnings: list[str] = field(default_factory=list)
    passed_tests: int = 0

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not self.failures

    @property
    def summary(self) -> str:
        return (f"{'passed' if self.passed else 'FAILED'} "
                f"({self.passed_tests} pass, {len(self.warnings)} warn, exit {self.exit_code})")


def judge_variant(variant: str, results: RunResults) -> VariantOutcome:
    outcome = VariantOutcome(variant, results.exit_code())
    for t in results.tests:
        if t.state in (FAIL, ERROR):
            outcome.failures.append(t.nodeid)
        elif t.state == WARN:
            outcome.warnings.append(t.nodeid)
        elif t.state == "pass":
            outcome.passed_tests += 1
    return outcome


def run_variant(variant: str, settings: Settings, report_root: Path) -> VariantOutcome:
    varied = replace(settings, target=None, fault=(), variant=(variant,), strict=False,
                     report_dir=report_root / f"variant-{variant}", allure=False)
    outcome = judge_variant(variant, _run(varied))
    if outcome.passed:
        prune_reports(varied.report_dir)
    return outcome


def run_variant_selftest(settings: Settings, report_root: Path, variants: list[str] | None = None,
                         on_outcome: Callable[[str], None] | None = None) -> list[VariantOutcome]:
    """Each legal variant's run; `on_outcome` gets one progress line per variant as it ends."""
    return _each("variant", variants or list(VARIANTS), lambda name: run_variant(name, settings, report_root), on_outcome)


Outcome = TypeVar("Outcome", FaultOutcome, VariantOutcome)


def _each(kind: str, names: Sequence[str], run_one: Callable[[str], Outcome],
          on_outcome: Callable[[str], None] | None) -> list[Outcome]:
    """Run each name in turn; one progress line per run as it ends (``fault 3/59 name: caught (…) · 12.0 s``)."""
    outcomes: list[Outcome] = []
    started = time.monotonic()
    for i, name in enumerate(names, 1):
        outcome = run_one(name)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(f"{kind} {i}/{len(names)} {name}: {outcome.summary} · {time.monotonic() - started:.1f} s")
    return outcomes
