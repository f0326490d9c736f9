"""Self-test: run the suites against the reference server with each catalogued fault, then each legal variant.

Proof both ways. Every check can fail: for each fault, a test carrying one of the fault's REQ ids must end
in the expected state (fail, or warn for warning-only faults), and the run's exit code must follow. No check
fails on legal variation: with each variant of server/variants/ switched on, the run ends with exit 0 (warnings
allowed, no test failed or errored).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console

from .. import interrupts
from ..results import ERROR, FAIL, WARN, RunResults
from ..server.faults import FAULTS
from ..server.variants import VARIANTS
from ..settings import Settings
from .runner import run_suites

# Settings a fault needs to be in scope: without the operation in /metadata, the coding-gap suites
# only apply where the IG requires the operation (STU1 `$report`: SHALL); in 2.1.0 they are skipped.
FAULT_SETTINGS: dict[str, dict[str, Any]] = {
    "no-operation-in-metadata": {"ig_version": "stu1"},
    "status-never-completes": {"async_timeout": 2.0},  # a short polling limit keeps that run fast
}
# $risk-gap exists only in the STU3 ballot: the server declares it (and the suite runs) under that version.
FAULT_SETTINGS.update({name: {"ig_version": "stu3-ballot"} for name in (
    "risk-gap-ignores-filter", "risk-gap-accepts-missing-coverage", "risk-gap-drops-contextid")})

# The SMART faults (server/auth.py) are in force only when the embedded server requires SMART Backend Services:
# their runs hold a generated key, which the embedded server registers for SELFTEST_CLIENT (runner.embedded_smart).
SMART_FAULTS = frozenset(n for n in FAULTS if n.startswith("smart-"))
SELFTEST_CLIENT = "ra-conform-selftest"

# Faults whose catching suite belongs to a flow not yet certified by ra-conform (with the reason).
NOT_YET_COVERED: dict[str, str] = {
}


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
    quiet = Console(file=io.StringIO(), force_terminal=False)
    faulty = replace(settings, target=None, fault=(fault,), report_dir=report_root / fault, allure=False, **FAULT_SETTINGS.get(fault, {}))
    if fault in SMART_FAULTS:
        faulty = replace(faulty, smart_client_id=SELFTEST_CLIENT, smart_key=_selftest_key(report_root), auth_token=None,
                         client_secret=None, smart_scope=None, token_url=None)
    results = run_suites(faulty, console=quiet)
    if results.interrupted:  # stop the whole self-test (exit 130/143), not just this fault's run
        raise interrupts.Terminated() if results.interrupted == "SIGTERM" else KeyboardInterrupt()
    outcome = judge(fault, results)
    if outcome.caught:
        prune_reports(faulty.report_dir)
    return outcome


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
    names = faults or sorted(n for n in FAULTS if n not in NOT_YET_COVERED)
    outcomes: list[FaultOutcome] = []
    started = time.monotonic()
    for i, name in enumerate(names, 1):
        outcome = run_fault(name, settings, report_root)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(f"fault {i}/{len(names)} {name}: {'caught' if outcome.caught else 'NOT CAUGHT'} "
                       f"({len(outcome.caught_by)} catching tests, exit {outcome.exit_code}) · {time.monotonic() - started:.1f} s")
    return outcomes


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
    quiet = Console(file=io.StringIO(), force_terminal=False)
    varied = replace(settings, target=None, fault=(), variant=(variant,), strict=False,
                     report_dir=report_root / f"variant-{variant}", allure=False)
    results = run_suites(varied, console=quiet)
    if results.interrupted:  # stop the whole self-test (exit 130/143)
        raise interrupts.Terminated() if results.interrupted == "SIGTERM" else KeyboardInterrupt()
    outcome = judge_variant(variant, results)
    if outcome.passed:
        prune_reports(varied.report_dir)
    return outcome


def run_variant_selftest(settings: Settings, report_root: Path, variants: list[str] | None = None,
                         on_outcome: Callable[[str], None] | None = None) -> list[VariantOutcome]:
    """Each legal variant's run; `on_outcome` gets one progress line per variant as it ends."""
    names = variants or list(VARIANTS)
    outcomes: list[VariantOutcome] = []
    started = time.monotonic()
    for i, name in enumerate(names, 1):
        outcome = run_variant(name, settings, report_root)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(f"variant {i}/{len(names)} {name}: {'passed' if outcome.passed else 'FAILED'} "
                       f"({outcome.passed_tests} pass, {len(outcome.warnings)} warn, exit {outcome.exit_code}) · "
                       f"{time.monotonic() - started:.1f} s")
    return outcomes
