"""`ra-conform run`: settings -> (embedded server) -> pytest.main(testsuites, plugin) -> results -> reports."""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from rich.console import Console

from .. import bundled, interrupts
from .. import kit as kitmod
from ..reporting.console import print_results
from ..results import EXIT_INTERNAL, EXIT_UNREACHABLE, EXIT_USAGE, RunResults
from ..settings import Settings
from .plan import PlanEntry
from .progress import ProgressPlugin
from .session import RESULTS_KEY, RaPlugin, plan_of, results_of

if TYPE_CHECKING:
    from ..server.auth import SmartConfig


from ..reporting.writer import PARTIAL_SUFFIX, REPORT_FILES, clear_reports, write_reports

JUNIT_PARTIAL = ".junit.xml" + PARTIAL_SUFFIX  # pytest writes here; renamed to junit.xml once complete


class RunError(Exception):
    """The run could not be made; carries the exit code (2 usage, 3 unreachable, 4 internal)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def suites_dir() -> Path:
    return bundled.suites_dir()


def check_reachable(settings: Settings) -> None:
    """Exit code 3 when nothing answers at the target (any HTTP status counts as reachable). Under the transport
    policy like every request, with a short deadline and cap: only the status line matters here."""
    from ..fhir.redact import redact_text
    from ..fhir.transport import Transport

    assert settings.target
    policy = replace(settings.transport_policy(), deadline=min(settings.request_deadline, 15.0),
                     read_timeout=min(settings.timeout, 10.0), max_bytes=min(settings.max_response_bytes, 1024 * 1024))
    transport = Transport(policy, headers={"Accept": "application/fhir+json", "User-Agent": "ra-conform"})
    try:
        answer = transport.request("GET", settings.target.rstrip("/") + "/metadata")
    finally:
        transport.close()
    if answer.status is None:
        raise RunError(f"target unreachable: {settings.target} ({redact_text(answer.error or 'no answer')})", EXIT_UNREACHABLE)


@contextlib.contextmanager
def target_for(settings: Settings) -> Iterator[Settings]:
    """The settings with a target: the given one, or the embedded reference server loaded with the kit."""
    if settings.target:
        check_reachable(settings)
        authenticate(settings, settings.target)
        if settings.load_fixtures:
            load_fixtures(settings)
        yield settings
        return
    from ..server import (
        EmbeddedServer,
        FaultSet,
        LoadError,
        ServerStartError,
        UnknownFaultError,
        UnknownVariantError,
        VariantSet,
    )

    try:
        FaultSet(settings.fault)
        VariantSet(settings.variant)
    except (UnknownFaultError, UnknownVariantError) as exc:
        raise RunError(str(exc), EXIT_USAGE) from None
    smart = embedded_smart(settings)
    try:
        kit_dir = kitmod.server_kit_dir(settings.kit_dir)
    except kitmod.KitError as exc:
        raise RunError(str(exc), EXIT_USAGE) from None
    try:
        # the run's IG version reaches the server: its CapabilityStatement, kit variant and incoming checks
        server = EmbeddedServer(load=[kit_dir], faults=list(settings.fault), ig_version=settings.ig_version,
                                variants=settings.variant, smart=smart).start()
    except LoadError as exc:
        raise RunError(f"the fixture kit could not be loaded: {exc}", EXIT_USAGE) from None
    except ServerStartError as exc:
        raise RunError(f"the embedded reference server did not start: {exc}", EXIT_INTERNAL) from None
    try:
        if smart is not None:
            authenticate(settings, server.base_url)
        yield replace(settings, target=server.base_url)
    finally:
        server.stop()


def authenticate(settings: Settings, base_url: str) -> None:
    """Obtain a token first (with client credentials) and try one protected read: a wrong key, secret or token, or
    none for a server that needs one, stops the run here with one line (exit 2; 3 when nothing answered)."""
    from ..connect import ConnectError, check_credentials

    try:
        check_credentials(settings, base_url)
    except ConnectError as exc:
        raise RunError(str(exc), EXIT_UNREACHABLE if exc.unreachable else EXIT_USAGE) from None


def embedded_smart(settings: Settings) -> SmartConfig | None:
    """`run --smart-client-id ID --smart-key KEY` (or `--client-secret S`) without a target: the embedded server
    requires SMART Backend Services and registers that client (how the self-test proves the auth suite)."""
    from ..fhir.keys import KeyFileError
    from ..server.auth import config_for_client

    try:
        return config_for_client(settings.smart_client_id, key_path=settings.smart_key, secret=settings.client_secret)
    except KeyFileError as exc:
        raise RunError(f"--smart-key: {exc}", EXIT_USAGE) from None


def load_fixtures(settings: Settings) -> None:
    from ..connect import client_for
    from ..fhir.upload import load_kit

    assert settings.target
    try:
        with client_for(settings, settings.target, write=True) as client:
            report = load_kit(client, settings.kit_dir, ig_version=settings.ig_version)
    except kitmod.KitError as exc:
        raise RunError(str(exc), EXIT_USAGE) from None
    if report.unreachable:
        raise RunError(f"--load-fixtures: target unreachable: {report.unreachable}", EXIT_UNREACHABLE)
    if not report.loaded:
        reasons = "; ".join(f"{ref}: {why}" for ref, why in report.failed[:3])
        raise RunError(f"--load-fixtures: the target accepted none of the kit ({reasons})", EXIT_USAGE)


def pytest_args(settings: Settings) -> list[str]:
    """pytest's own options for a run; the run's Settings reach the plugin as an object (RaPlugin), not as argv."""
    report_dir = settings.report_dir
    args = [
        str(suites_dir()),
        "-c", str(suites_dir() / "pytest.ini"),
        "--rootdir", str(suites_dir()),
        "-p", "no:terminal",
        "-p", "no:benchmark",  # nothing written outside the report dir (pytest-benchmark's .benchmarks/)
        "-p", "no:cacheprovider",
        "--junitxml", str(report_dir / JUNIT_PARTIAL),
        "-o", "junit_family=xunit2",
    ]
    if settings.allure:
        args += ["--alluredir", str(report_dir / "allure-results"), "--clean-alluredir"]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "ra_conformance.harness.plugin", "-p", "allure_pytest.plugin"]
    for flag, value in (("-k", settings.keyword), ("-m", settings.markers)):
        if value:
            args += [flag, value]
    return args + list(settings.extra_pytest_args)


def rerun_command(settings: Settings) -> str:
    """`ra-conform run` with the options that define this run's set-up (never a secret: the token is a placeholder)."""
    parts = ["ra-conform run"]
    if settings.target:
        parts += ["--target", shlex.quote(settings.target)]
    for flag, value in (("--ig-version", settings.ig_version), ("--operation", settings.operation)):
        if value:
            parts += [flag, shlex.quote(value)]
    parts += [f"--fault {shlex.quote(f)}" for f in settings.fault]
    if settings.auth_token:
        parts.append('--auth-token "$TOKEN"')
    if settings.strict:
        parts.append("--strict")
    return " ".join(parts)


class _Grab:
    """Takes the plugin's RunResults and test plan out of the pytest session."""

    results: RunResults | None = None
    plan: list[PlanEntry] | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.results = config.stash.get(RESULTS_KEY, None)  # live: what ran so far, if the run is cut short

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.results = results_of(config)
        self.plan = plan_of(config)


def plan_suites(settings: Settings) -> tuple[list[PlanEntry], RunResults]:
    """`ra-conform plan`: collect the suites and decide what runs — only /metadata (and the kit preflight) is asked."""
    with target_for(replace(settings, load_fixtures=False)) as effective:
        grab, progress = _Grab(), ProgressPlugin(Console(file=io.StringIO()))
        setup = RaPlugin(effective, rerun=rerun_command(effective), write_reports=False)
        code = pytest.main(pytest_args(effective) + ["--collect-only"], plugins=[setup, grab, progress])
    if progress.collect_errors:
        raise RunError("the suites could not be collected:\n" + "\n".join(progress.collect_errors), EXIT_INTERNAL)
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        raise RunError("no test selected (check -k / -m)", EXIT_USAGE)
    if code not in (pytest.ExitCode.OK,) or grab.plan is None or grab.results is None:
        raise RunError(f"the suites could not be planned (pytest exit code {int(code)})", EXIT_USAGE if code == pytest.ExitCode.USAGE_ERROR else EXIT_INTERNAL)
    return grab.plan, grab.results


def prepare_report_dir(report_dir: Path) -> None:
    """Prove the report folder writable (a usage error otherwise) and clear a previous run's reports.

    Folders made for the probe are removed again: a run that stops before its first report leaves none."""
    made = [p for p in (report_dir, *report_dir.parents) if not p.exists()]
    probe = report_dir / f".write-probe-{os.getpid()}{PARTIAL_SUFFIX}"
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RunError(f"cannot write reports to {report_dir}: {exc.strerror or exc}", EXIT_USAGE) from None
    finally:
        for folder in made:  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
    clear_reports(report_dir)


def run_suites(settings: Settings, *, console: Console | None = None) -> RunResults:
    """Run the suites; an interrupt (Ctrl-C, SIGTERM) at any moment ends in results marked interrupted, with reports."""
    console = console or Console(stderr=True)
    interrupts.reset()
    prepare_report_dir(settings.report_dir)
    grab, progress = _Grab(), ProgressPlugin(console)
    try:
        with target_for(settings) as effective:
            setup = RaPlugin(effective, rerun=rerun_command(settings))
            code = pytest.main(pytest_args(effective), plugins=[setup, grab, progress])
        _publish_junit(settings.report_dir)
    except KeyboardInterrupt as exc:  # outside pytest's own handling (start-up, server start, report writing)
        signal_name = "SIGTERM" if isinstance(exc, interrupts.Terminated) else interrupts.signal_name() or "SIGINT"
        return _interrupted(settings, grab.results, signal_name)
    if code == pytest.ExitCode.INTERRUPTED:
        if grab.results is not None and grab.results.interrupted:
            return grab.results  # the plugin wrote the reports, marked interrupted
        return _interrupted(settings, grab.results, interrupts.signal_name() or "SIGINT")
    if progress.collect_errors:
        raise RunError("the suites could not be collected:\n" + "\n".join(progress.collect_errors), EXIT_INTERNAL)
    if code == pytest.ExitCode.USAGE_ERROR:
        raise RunError("pytest rejected the options (see above)", EXIT_USAGE)
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        raise RunError("no test selected (check -k / -m)", EXIT_USAGE)
    if code == pytest.ExitCode.INTERNAL_ERROR or grab.results is None:
        raise RunError(f"the test run broke (pytest exit code {int(code)})", EXIT_INTERNAL)
    return grab.results


def _publish_junit(report_dir: Path) -> None:
    partial = report_dir / JUNIT_PARTIAL
    if partial.exists():
        os.replace(partial, report_dir / "junit.xml")


def _interrupted(settings: Settings, results: RunResults | None, signal_name: str) -> RunResults:
    """Results of a run stopped outside pytest's handling: marked interrupted, its reports rewritten as such."""
    results = results or RunResults(target=settings.target or "", ig_version=settings.ig_version or "", strict=settings.strict)
    results.interrupted = signal_name
    results.finished = results.finished or time.time()
    (settings.report_dir / JUNIT_PARTIAL).unlink(missing_ok=True)
    (settings.report_dir / "junit.xml").unlink(missing_ok=True)  # it may say more passed than the run's verdict allows
    write_reports(results, settings.report_dir, full_exchanges=settings.full_exchanges)
    return results


def run_and_report(settings: Settings, console: Console, err: Console | None = None) -> int:
    """Progress and diagnostics on `err` (default: `console`), the results and the reports' location on `console`."""
    results = run_suites(settings, console=err or console)
    print_results(console, results, verbose=settings.verbose)
    written = sorted(p.name + ("/" if p.is_dir() else "") for p in settings.report_dir.iterdir() if p.name in REPORT_FILES)
    console.print(f"reports: {settings.report_dir}/ ({', '.join(written)})", markup=False, highlight=False)
    return results.exit_code()
