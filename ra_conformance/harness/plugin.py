"""pytest plugin: options, markers, the run's set-up, the `ra`, `verdict` and `validator` fixtures, the test plan
and the reports at session end. Test states live in outcomes.py, the xdist hand-over in xdist.py, the exchange
capture in capture.py (the pytest integration as a package, as schemathesis splits its own).

`ra-conform run` hands the Settings over as an object (`pytest.main(args, plugins=[RaPlugin(settings)])`); the
--ra-* options serve plain `pytest --pyargs ra_conformance.suites --ra-target URL` (with -k, -m and xdist), loaded
through the `pytest11` entry point. Passive unless a test uses its fixtures or markers.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from .. import interrupts
from .. import kit as kitmod
from ..checks.findings import Verdict
from ..results import RunResults
from ..settings import Settings, SettingsError, build
from . import xdist
from .capture import Capture
from .context import RaContext
from .outcomes import VERDICT_KEY
from .plan import needed_capabilities, plan_entry
from .session import (
    CONTEXT_KEY,
    PLAN_KEY,
    RESULTS_KEY,
    SETUP_KEY,
    RaPlugin,
    plan_of,
    results_of,
    settings_of,
    setup_of,
)

pytest_plugins = ["ra_conformance.harness.outcomes", "ra_conformance.harness.xdist"]
__all__ = ["RaPlugin", "context_of", "plan_of", "results_of", "settings_of"]

MARKERS = (
    "req(*ids): the RA-SPEC §9 requirement ids a test checks",
    "ra_needs(capability=ITEM, kit=False): what a test depends on — an IG CapabilityStatement item "
    "(ra_conformance.ig.capabilities) and/or the fixture kit loaded on the target",
    "smart(needs=None): runs when the target uses SMART (REQ-006); needs='client': the run's client credentials, 'key': its SMART key",
    "ig_versions(*versions): the IG versions a test applies to (skipped in the plan for others)",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ra-conform", "Da Vinci RA conformance (ra-conform; plain pytest — `ra-conform run` hands its settings over directly)")
    group.addoption("--ra-target", default=None, help="base URL of the FHIR server under test")
    group.addoption("--ra-operation", default=None, help="coding-gap operation name (default: discovered from /metadata)")
    group.addoption("--ra-ig-version", default=None, help="IG version: stu1 | 2.1.0 | stu3-ballot (default: inferred)")
    group.addoption("--ra-kit", default=None, help="fixture kit directory (default: the bundled fixtures/)")
    group.addoption("--ra-strict", action="store_true", default=None, help="warnings fail the run")
    group.addoption("--ra-timeout", default=None, type=float, help="HTTP timeout in seconds")
    group.addoption("--ra-auth-token", default=None, help="bearer token sent to the target (redacted in reports)")
    group.addoption("--ra-report-dir", default=None, help="write summary.json and report.html here")
    group.addoption("--ra-search-handling", default=None, choices=("strict", "lenient"),
                    help="send `Prefer: handling=strict|lenient` on every search (default: none, the server's choice)")
    group.addoption("--ra-async-timeout", default=None, type=float, help="total seconds to poll an asynchronous job (default 120)")
    group.addoption("--ra-request-deadline", default=None, type=float, help="whole-request limit in seconds (default 120)")
    group.addoption("--ra-max-response-bytes", default=None, type=int, help="largest answer held in memory (default 64 MiB)")
    group.addoption("--ra-full-exchanges", action="store_true", default=None,
                    help="summary.json keeps every exchange body whole (default: bodies of passed tests cut to 1 KB)")
    for name, what in _AUTH_OPTIONS.items():  # protected targets (ra_conformance.fhir.auth)
        group.addoption(f"--ra-{name.replace('_', '-')}", default=None, help=what)


_AUTH_OPTIONS = {
    "smart_client_id": "client id registered with the target's authorization server",
    "smart_key": "SMART Backend Services private key (PEM or JWKS; RS384/ES384)",
    "smart_scope": "scopes to request (default: what the selected suites need)",
    "token_url": "token endpoint (default: from [base]/.well-known/smart-configuration)",
    "client_secret": "OAuth 2.0 client secret (redacted in reports)",
    "client_auth": "how the client secret is sent: basic | post",
}


# -- the run's set-up: handed over (ra-conform run), from the controller (xdist worker), or from options --------
def _setup(config: pytest.Config) -> RaPlugin:
    handed = next((p for p in config.pluginmanager.get_plugins() if isinstance(p, RaPlugin)), None)
    return xdist.worker_setup(config) or handed or _setup_from_options(config)


def _setup_from_options(config: pytest.Config) -> RaPlugin:
    """Plain pytest: Settings from the --ra-* options (plus RA_CONFORM_* and ra-conform.toml, as `build` reads)."""
    opt = config.option
    flags = {
        "target": opt.ra_target, "operation": opt.ra_operation, "ig_version": opt.ra_ig_version, "kit_dir": opt.ra_kit,
        "strict": opt.ra_strict, "timeout": opt.ra_timeout, "auth_token": opt.ra_auth_token, "report_dir": opt.ra_report_dir,
        "async_timeout": opt.ra_async_timeout, "request_deadline": opt.ra_request_deadline, "full_exchanges": opt.ra_full_exchanges,
        "max_response_bytes": opt.ra_max_response_bytes, "search_handling": opt.ra_search_handling,
        **{name: getattr(opt, f"ra_{name}") for name in _AUTH_OPTIONS},
    }
    try:
        settings = build(flags)
    except SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None
    return RaPlugin(settings, rerun=_pytest_rerun(settings), write_reports=bool(opt.ra_report_dir))


def _pytest_rerun(settings: Settings) -> str:
    """The plain-pytest command for this set-up (what `ra-conform run` replaces with its own)."""
    if not settings.target:
        return ""
    extra = f" --ra-ig-version {settings.ig_version}" if settings.ig_version else ""
    return f"pytest --pyargs ra_conformance.suites --ra-target {settings.target}{extra}"


def context_of(config: pytest.Config) -> RaContext | None:
    """The run's context, made on first use when there is a target."""
    ctx = config.stash.get(CONTEXT_KEY, None)
    settings = settings_of(config)
    if ctx is None and settings.target:
        from ..connect import ConnectError

        try:
            ctx = RaContext(settings, Capture())
        except ConnectError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.stash[CONTEXT_KEY] = ctx
    return ctx


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    setup = _setup(config)
    config.stash[SETUP_KEY] = setup
    settings = setup.settings
    if settings.auth_token:
        from ..fhir.redact import register_secret

        register_secret(settings.auth_token)
    config.stash[CONTEXT_KEY] = None
    config.stash[RESULTS_KEY] = RunResults(target=settings.target or "", ig_version=settings.ig_version or "",
                                           strict=settings.strict, rerun=setup.rerun)
    recorder = xdist.Recorder(config)
    config.stash[xdist.RECORDER_KEY] = recorder
    config.pluginmanager.register(recorder, f"ra-conform-recorder-{id(config)}")


def pytest_sessionstart(session: pytest.Session) -> None:
    interrupts.guard_unraisable()  # around pytest's own unraisable-exception hook, installed at configure


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    interrupts.raise_swallowed()  # Ctrl-C lost in a weakref callback during the test: the session stops here


def pytest_unconfigure(config: pytest.Config) -> None:
    recorder = config.stash.get(xdist.RECORDER_KEY, None)
    if recorder is not None:
        config.pluginmanager.unregister(recorder)
    ctx = config.stash.get(CONTEXT_KEY, None)
    if ctx is not None:
        ctx.close()
    _scrub_reports(config)


def _scrub_reports(config: pytest.Config) -> None:
    """JUnit and Allure files are written by their own plugins: scrub every known secret out of them (by value)."""
    from ..fhir.redact import scrub_report_dir

    setup = config.stash.get(SETUP_KEY, None)
    ours = setup.settings.report_dir if setup is not None and setup.write_reports else None
    for path in (getattr(config.option, "xmlpath", None), getattr(config.option, "allure_report_dir", None), ours):
        if path:
            scrub_report_dir(Path(path))


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def ra(pytestconfig: pytest.Config) -> RaContext:
    """The run's context: the target (settings, client, declarations, kit) and its memoised answers."""
    ctx = context_of(pytestconfig)
    if ctx is None:
        pytest.skip("no target: pass --ra-target URL (or use `ra-conform run`, which starts the reference server)")
    return ctx


@pytest.fixture(scope="session")
def validator(ra: RaContext) -> Any:
    """The RA profile validator of the run's IG version; a test needing it skips, with the reason, without it."""
    from ..validation import validator_for

    try:
        return validator_for(ra.ig_version)
    except (OSError, ValueError) as exc:  # no rule set for the version, or its IG data unreadable here
        pytest.skip(f"the RA profile validator is not available for IG {ra.ig_version}: {exc}")


@pytest.fixture
def verdict(request: pytest.FixtureRequest) -> Verdict:
    """Collects the test's findings; errors fail the test after it ran every check."""
    v = Verdict()
    request.node.stash[VERDICT_KEY] = v
    return v


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "overlap_case" in metafunc.fixturenames:
        try:
            cases = kitmod.load_expectations(settings_of(metafunc.config).kit_dir).overlap_cases
        except kitmod.KitError as exc:
            raise pytest.UsageError(f"fixture kit: {exc}") from None
        metafunc.parametrize("overlap_case", cases, ids=[c.id for c in cases])


# -- selection: capability expectations and the kit preflight --------------------------------------
@pytest.hookimpl(trylast=True)  # after -k / -m deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ctx = context_of(config)
    if ctx is None:
        return
    ctx.configure_scope([c for item in items for c in needed_capabilities(item)])  # before any token
    results = results_of(config)
    results.ig_version = ctx.ig_version
    results.retrieval = list(ctx.planned_flows)  # what the plan will exercise; a run replaces it with what it did
    results.operation = ctx.operation_name if f"${ctx.operation_name}" in results.retrieval else ""
    results.search_handling = ctx.settings.search_handling or ""
    plan = [plan_entry(item, ctx) for item in items]
    for item, entry in zip(items, plan, strict=True):
        if not entry.run:
            item.add_marker(pytest.mark.skip(reason=entry.reason))
    config.stash[PLAN_KEY] = plan


def pytest_collection_finish(session: pytest.Session) -> None:
    if not xdist.is_worker(session.config):  # what an interrupted run reports as not run
        results_of(session.config).planned = [item.nodeid for item in session.items]


# -- the end of the session: the run's notes and its reports ---------------------------------------
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    ctx = config.stash.get(CONTEXT_KEY, None)
    if xdist.is_worker(config):  # hand must-support data and run notes to the controller
        xdist.hand_over(config)
        return
    results = results_of(config)
    results.finished = time.time()
    if exitstatus == pytest.ExitCode.INTERRUPTED:  # Ctrl-C / SIGTERM: never a verdict on what did not run
        results.interrupted = interrupts.signal_name() or "SIGINT"
    recorder = config.stash[xdist.RECORDER_KEY]
    if results.tests:  # a run (not `plan`): name what was exercised and what the target's searches said
        _note_run(results, ctx, recorder)
    resources = ctx.answers.answered_resources() if ctx is not None else []
    resources.extend(recorder.worker_resources)
    setup = setup_of(config)
    if setup.write_reports and (results.tests or results.interrupted):
        from ..reporting.writer import write_reports
        from ..validation import validator_for

        validator = validator_for(results.ig_version) if results.ig_version else None
        write_reports(results, setup.settings.report_dir, resources=resources, validator=validator,
                      full_exchanges=setup.settings.full_exchanges)


def _note_run(results: RunResults, ctx: RaContext | None, recorder: xdist.Recorder) -> None:
    from .flows import ordered

    exercised = set(recorder.worker_flows) | (ctx.exercised if ctx is not None else set())
    results.retrieval = ordered(exercised)
    name = ctx.operation_name if ctx is not None else results.operation
    results.operation = name if f"${name}" in exercised else ""
    ignored = dict(recorder.worker_ignored)
    outcomes = list(recorder.worker_outcomes)
    if ctx is not None:
        for k, v in ctx.answers.ignored.items():
            ignored.setdefault(k, list(v))
        outcomes += [t for t in ctx.answers.outcome_texts if t not in outcomes]
    results.ignored_parameters = {k: list(v) for k, v in ignored.items()}
    results.search_outcomes = outcomes


