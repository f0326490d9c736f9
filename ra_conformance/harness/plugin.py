"""pytest plugin: options, the `ra` and `verdict` fixtures, markers, selection, exchange capture, result states.

Loaded through the `pytest11` entry point, so `pytest --ra-target URL testsuites` works in plain
pytest (with -k, -m and xdist). Passive unless a test uses its fixtures or markers.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from pluggy import Result

from .. import interrupts
from .. import kit as kitmod
from ..checks.findings import ConformanceFailure, Verdict
from ..failure_text import findings_repr
from ..rerun import rerun_one
from ..results import ERROR, FAIL, PASS, SKIP, WARN, RunResults, TestResult
from ..settings import Settings, SettingsError, build
from .context import RaContext
from .plan import PlanEntry, needed_capabilities, plan_entry

RESULTS_KEY = pytest.StashKey[RunResults]()
CONTEXT_KEY = pytest.StashKey["RaContext | None"]()
PLAN_KEY = pytest.StashKey["list[PlanEntry]"]()
STATE_KEY = pytest.StashKey[TestResult]()
VERDICT_KEY = pytest.StashKey[Verdict]()
RECORDED_KEY = pytest.StashKey[bool]()
MARKERS = (
    "req(*ids): the RA-SPEC §9 requirement ids a test checks",
    "ra_needs(capability=ITEM, kit=False): what a test depends on — an IG CapabilityStatement item "
    "(ra_conformance.ig.capabilities) and/or the fixture kit loaded on the target",
    "smart(needs=None): runs when the target uses SMART (REQ-006); needs='client': the run's client credentials, 'key': its SMART key",
    "ig_versions(*versions): the IG versions a test applies to (skipped in the plan for others)",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ra-conform", "Da Vinci RA conformance (ra-conform)")
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
    group.addoption("--ra-rerun-command", default=None, help="command shown in reports to rerun one test (ra-conform run sets it)")
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


def _settings(config: pytest.Config) -> Settings:
    opt = config.option
    flags = {
        "target": opt.ra_target, "operation": opt.ra_operation, "ig_version": opt.ra_ig_version, "kit_dir": opt.ra_kit,
        "strict": opt.ra_strict, "timeout": opt.ra_timeout, "auth_token": opt.ra_auth_token, "report_dir": opt.ra_report_dir,
        "async_timeout": opt.ra_async_timeout, "request_deadline": opt.ra_request_deadline, "full_exchanges": opt.ra_full_exchanges,
        "max_response_bytes": opt.ra_max_response_bytes, "search_handling": opt.ra_search_handling,
        **{name: getattr(opt, f"ra_{name}") for name in _AUTH_OPTIONS},
    }
    return build(flags)


def _pytest_rerun(settings: Settings) -> str:
    """The plain-pytest command for this set-up (what `ra-conform run` replaces with its own)."""
    if not settings.target:
        return ""
    extra = f" --ra-ig-version {settings.ig_version}" if settings.ig_version else ""
    return f"pytest --pyargs ra_conformance.suites --ra-target {settings.target}{extra}"


def settings_of(config: pytest.Config) -> Settings:
    return config._ra_settings  # type: ignore[attr-defined]  # set by pytest_configure; pytest.Config has no such field


def results_of(config: pytest.Config) -> RunResults:
    return config.stash[RESULTS_KEY]


def plan_of(config: pytest.Config) -> list[PlanEntry]:
    return config.stash.get(PLAN_KEY, [])


def context_of(config: pytest.Config) -> RaContext | None:
    ctx = config.stash.get(CONTEXT_KEY, None)
    settings = settings_of(config)
    if ctx is None and settings.target:
        from ..connect import ConnectError

        try:
            ctx = RaContext(settings)
        except ConnectError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.stash[CONTEXT_KEY] = ctx
    return ctx


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    try:
        settings = _settings(config)
    except SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None
    config._ra_settings = settings  # type: ignore[attr-defined]
    if settings.auth_token:
        from ..fhir.redact import register_secret

        register_secret(settings.auth_token)
    config.stash[CONTEXT_KEY] = None
    config.stash[RESULTS_KEY] = RunResults(target=settings.target or "", ig_version=settings.ig_version or "", strict=settings.strict,
                                           rerun=config.option.ra_rerun_command or _pytest_rerun(settings))
    recorder = _Recorder(config)
    config.stash[RECORDER_KEY] = recorder
    config.pluginmanager.register(recorder, f"ra-conform-recorder-{id(config)}")


def pytest_unconfigure(config: pytest.Config) -> None:
    recorder = config.stash.get(RECORDER_KEY, None)
    if recorder is not None:
        config.pluginmanager.unregister(recorder)
    ctx = config.stash.get(CONTEXT_KEY, None)
    if ctx is not None:
        ctx.close()
    _scrub_reports(config)


def _scrub_reports(config: pytest.Config) -> None:
    """JUnit and Allure files are written by their own plugins: scrub every known secret out of them (by value)."""
    from ..fhir.redact import scrub_report_dir

    for path in (getattr(config.option, "xmlpath", None), getattr(config.option, "allure_report_dir", None), config.option.ra_report_dir):
        if path:
            scrub_report_dir(Path(path))


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def ra(pytestconfig: pytest.Config) -> RaContext:
    """The run's context: settings, client, operation, fixture kit, cached answers."""
    ctx = context_of(pytestconfig)
    if ctx is None:
        pytest.skip("no target: pass --ra-target URL (or use `ra-conform run`, which starts the reference server)")
    return ctx


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
    if not hasattr(session.config, "workerinput"):  # what an interrupted run reports as not run
        results_of(session.config).planned = [item.nodeid for item in session.items]


# -- result states -------------------------------------------------------------------------------
def _suite(item: pytest.Item) -> str:
    module = Path(str(item.fspath)).stem
    return module[5:] if module.startswith("test_") else module


def _title(item: pytest.Item) -> str:
    doc = (getattr(getattr(item, "function", None), "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else item.name


def reqs_of(item: pytest.Item) -> list[str]:
    out: list[str] = []
    for mark in item.iter_markers("req"):
        out.extend(a for a in mark.args if a not in out)
    return out


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    result = TestResult(nodeid=item.nodeid, suite=_suite(item), name=item.name, title=_title(item), reqs=reqs_of(item))
    item.stash[STATE_KEY] = result
    for req in result.reqs:
        item.user_properties.append(("requirement", req))
    ctx = item.config.stash.get(CONTEXT_KEY, None)
    if ctx is not None:
        ctx.begin_test(result.exchanges)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Result[None], None]:
    outcome = yield
    result = item.stash.get(STATE_KEY, None)
    if result is not None:
        _allure_annotate(result)
    v = item.stash.get(VERDICT_KEY, None)
    ctx = item.config.stash.get(CONTEXT_KEY, None)
    if v is not None and ctx is not None:  # what the test's searches said about themselves comes first (issue 16)
        v.findings[:0] = ctx.search_notes()
    if v is None or outcome.excinfo is not None:
        return
    failing = v.errors + (v.warnings if settings_of(item.config).strict else [])
    if failing:
        outcome.force_exception(ConformanceFailure(failing))


def _allure_annotate(result: TestResult) -> None:
    """Requirement labels and every HTTP exchange as attachments (no-ops unless allure is recording)."""
    try:
        import allure
    except ImportError:  # pragma: no cover - allure-pytest is a dependency
        return
    from .. import jsonio

    allure.dynamic.title(result.title)
    for req in result.reqs:
        allure.dynamic.label("requirement", req)
        allure.dynamic.tag(req)
    for ex in result.exchanges:
        name = f"{ex['method']} {ex['url']} -> {ex['status'] if ex['status'] is not None else ex['error']}"
        allure.attach(jsonio.dumps_str(ex, pretty=True), name=name, attachment_type=allure.attachment_type.JSON)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Result[pytest.TestReport], None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    result = item.stash.get(STATE_KEY, None)
    if result is None:
        if report.when == "setup" and report.skipped:  # skipped before our setup hook ran (skip marker)
            result = TestResult(nodeid=item.nodeid, suite=_suite(item), name=item.name, title=_title(item), reqs=reqs_of(item))
            item.stash[STATE_KEY] = result
        else:
            return
    _record_phase(item, call, report, result)
    exc = call.excinfo.value if call.excinfo is not None else None
    if report.failed and exc is not None and result.state == FAIL and (isinstance(exc, ConformanceFailure) or result.reqs):  # JUnit: findings, no traceback
        path, lineno, _ = report.location
        longrepr = findings_repr(exc, title=result.title, reqs=result.reqs, path=path, lineno=(lineno or 0) + 1,
                                 rerun=rerun_one(results_of(item.config).rerun, item.nodeid, item.name))
        # FindingsRepr is a TerminalRepr by duck typing (toterminal, __str__); pytest's annotation lists only its own classes
        report.longrepr = longrepr  # type: ignore[assignment]
    if (report.when == "teardown" or (report.when == "setup" and report.skipped)) and not item.stash.get(RECORDED_KEY, False):
        item.stash[RECORDED_KEY] = True
        ctx = item.config.stash.get(CONTEXT_KEY, None)
        if ctx is not None:
            ctx.end_test()
        report.user_properties.append(("ra_state", result.state))
        report.ra_result = result.to_dict()  # type: ignore[attr-defined]  # travels to the xdist controller


def _record_phase(item: pytest.Item, call: pytest.CallInfo[Any], report: pytest.TestReport, result: TestResult) -> None:
    result.duration_s = round(result.duration_s + report.duration, 4)
    v = item.stash.get(VERDICT_KEY, None)
    if report.skipped:
        result.state = SKIP
        longrepr = report.longrepr
        message = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        result.message = message[len("Skipped: "):] if message.startswith("Skipped: ") else message
    elif report.failed:
        exc = call.excinfo.value if call.excinfo else None
        # A server's fault may surface in a fixture (e.g. a scratch resource it would not create): ConformanceFailure.
        conformance = isinstance(exc, ConformanceFailure) or (isinstance(exc, AssertionError) and report.when == "call")
        if result.state != ERROR:
            result.state = FAIL if conformance else ERROR
        result.message = str(exc) if conformance else f"harness error in {report.when}: {call.excinfo.exconly() if call.excinfo else report.longreprtext}"
    elif report.when == "call":
        result.state = WARN if v is not None and v.warnings else PASS
        if v is not None and v.warnings:
            result.message = v.render(v.warnings)
    if v is not None and report.when == "call":
        result.findings = [f.to_dict() for f in v.findings]


class _Recorder:
    """Per-session (not module-global: pytest may run nested in pytest) collector of results on the controller."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.worker_resources: list[dict[str, Any]] = []
        self.worker_flows: set[str] = set()
        self.worker_ignored: dict[str, list[str]] = {}
        self.worker_outcomes: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "ra_result", None)
        if data is not None:
            results_of(self.config).tests.append(TestResult(**data))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:  # xdist controller hook
        output = getattr(node, "workeroutput", {})
        self.worker_resources.extend(output.get("ra_resources", []))
        results = results_of(self.config)
        for key in ("ig_version", "operation"):
            if output.get(f"ra_{key}") and not getattr(results, key):
                setattr(results, key, output[f"ra_{key}"])
        self.worker_flows.update(output.get("ra_flows", []))
        for name, reqs in output.get("ra_ignored", {}).items():
            self.worker_ignored.setdefault(name, list(reqs))
        self.worker_outcomes.extend(t for t in output.get("ra_outcomes", []) if t not in self.worker_outcomes)


RECORDER_KEY = pytest.StashKey[_Recorder]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    ctx = config.stash.get(CONTEXT_KEY, None)
    if hasattr(config, "workerinput"):  # xdist worker: hand must-support data to the controller
        if ctx is not None:
            out = config.workeroutput  # type: ignore[attr-defined]
            out["ra_resources"] = ctx.answered_resources()
            out["ra_ig_version"], out["ra_operation"] = ctx.ig_version, ctx.operation_name
            out["ra_flows"] = sorted(ctx.exercised)
            out["ra_ignored"] = {k: list(v) for k, v in ctx.ignored.items()}
            out["ra_outcomes"] = list(ctx.outcome_texts)
        return
    results = results_of(config)
    results.finished = time.time()
    if exitstatus == pytest.ExitCode.INTERRUPTED:  # Ctrl-C / SIGTERM: never a verdict on what did not run
        results.interrupted = interrupts.signal_name() or "SIGINT"
    recorder = config.stash[RECORDER_KEY]
    if results.tests:  # a run (not `plan`): name what was exercised and what the target's searches said
        _note_run(results, ctx, recorder)
    resources = ctx.answered_resources() if ctx is not None else []
    resources.extend(config.stash[RECORDER_KEY].worker_resources)
    report_dir = settings_of(config).report_dir if config.option.ra_report_dir else None
    if report_dir is not None and (results.tests or results.interrupted):
        from ..reporting.writer import write_reports

        write_reports(results, report_dir, resources=resources, validator=_validator(results.ig_version),
                      full_exchanges=settings_of(config).full_exchanges)


def _note_run(results: RunResults, ctx: RaContext | None, recorder: _Recorder) -> None:
    from ..flows import ordered

    exercised = set(recorder.worker_flows) | (ctx.exercised if ctx is not None else set())
    results.retrieval = ordered(exercised)
    name = ctx.operation_name if ctx is not None else results.operation
    results.operation = name if f"${name}" in exercised else ""
    ignored = dict(recorder.worker_ignored)
    outcomes = list(recorder.worker_outcomes)
    if ctx is not None:
        for k, v in ctx.ignored.items():
            ignored.setdefault(k, list(v))
        outcomes += [t for t in ctx.outcome_texts if t not in outcomes]
    results.ignored_parameters = {k: list(v) for k, v in ignored.items()}
    results.search_outcomes = outcomes


def _validator(version: str) -> Any | None:
    try:
        from ..validation import validator_for
    except ImportError:
        return None
    return validator_for(version) if version else None
