"""pytest plugin: options, the `ra` context and `verdict` fixtures, REQ markers, exchange capture, result states.

Loaded through the `pytest11` entry point, so `pytest --ra-target URL testsuites` works in plain pytest.
Passive unless a test uses its fixtures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from . import kit as kitmod
from .checks.findings import ConformanceFailure, Verdict
from .context import RaContext
from .results import ERROR, FAIL, PASS, SKIP, WARN, RunResults, TestResult
from .settings import Settings, SettingsError, build

RESULTS_KEY = pytest.StashKey[RunResults]()
CONTEXT_KEY = pytest.StashKey["RaContext | None"]()
STATE_KEY = pytest.StashKey[TestResult]()
VERDICT_KEY = pytest.StashKey[Verdict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ra-conform", "Da Vinci RA conformance (ra-conform)")
    group.addoption("--ra-target", default=None, help="base URL of the FHIR server under test")
    group.addoption("--ra-operation", default=None, help="coding-gap operation name (default: discovered from /metadata)")
    group.addoption("--ra-ig-version", default=None, help="IG version: stu1 | 2.1.0 | stu3-ballot")
    group.addoption("--ra-kit", default=None, help="fixture kit directory (default: the bundled fixtures/)")
    group.addoption("--ra-strict", action="store_true", default=None, help="warnings fail the run")
    group.addoption("--ra-timeout", default=None, type=float, help="HTTP timeout in seconds")
    group.addoption("--ra-auth-token", default=None, help="bearer token sent to the target (redacted in reports)")


def _settings(config: pytest.Config) -> Settings:
    opt = config.option
    flags = {
        "target": opt.ra_target,
        "operation": opt.ra_operation,
        "ig_version": opt.ra_ig_version,
        "kit_dir": opt.ra_kit,
        "strict": opt.ra_strict,
        "timeout": opt.ra_timeout,
        "auth_token": opt.ra_auth_token,
    }
    return build(flags)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "req(*ids): the RA-SPEC §9 requirement ids a test checks")
    config.stash[CONTEXT_KEY] = None
    try:
        settings = _settings(config)
    except SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[RESULTS_KEY] = RunResults(
        target=settings.target or "", ig_version=settings.ig_version, operation=settings.operation or "", strict=settings.strict
    )
    config._ra_settings = settings  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    ctx = config.stash.get(CONTEXT_KEY, None)
    if ctx is not None:
        ctx.close()


def results_of(config: pytest.Config) -> RunResults:
    return config.stash[RESULTS_KEY]


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def ra(pytestconfig: pytest.Config) -> RaContext:
    """The run's context: settings, client, operation, fixture kit, cached answers."""
    ctx = pytestconfig.stash.get(CONTEXT_KEY, None)
    if ctx is None:
        settings: Settings = pytestconfig._ra_settings  # type: ignore[attr-defined]
        if not settings.target:
            pytest.skip("no target: pass --ra-target URL (or use `ra-conform run`, which starts the reference server)")
        ctx = RaContext(settings)
        pytestconfig.stash[CONTEXT_KEY] = ctx
        results_of(pytestconfig).operation = ctx.operation_name
    return ctx


@pytest.fixture
def verdict(request: pytest.FixtureRequest) -> Verdict:
    """Collects the test's findings; errors fail the test after it ran every check."""
    v = Verdict()
    request.node.stash[VERDICT_KEY] = v
    return v


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "overlap_case" in metafunc.fixturenames:
        kit_dir = getattr(metafunc.config, "_ra_settings").kit_dir
        try:
            cases = kitmod.load_expectations(kit_dir).overlap_cases
        except kitmod.KitError as exc:
            raise pytest.UsageError(f"fixture kit: {exc}") from None
        metafunc.parametrize("overlap_case", cases, ids=[c.id for c in cases])


# -- result states -------------------------------------------------------------------------------
def _suite(item: pytest.Item) -> str:
    module = Path(str(item.fspath)).stem
    return module[5:] if module.startswith("test_") else module


def _title(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    first = doc.strip().splitlines()[0] if doc.strip() else item.name
    return first


def _reqs(item: pytest.Item) -> list[str]:
    out: list[str] = []
    for mark in item.iter_markers("req"):
        out.extend(a for a in mark.args if a not in out)
    return out


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    result = TestResult(nodeid=item.nodeid, suite=_suite(item), name=item.name, title=_title(item), reqs=_reqs(item))
    item.stash[STATE_KEY] = result
    for req in result.reqs:
        item.user_properties.append(("requirement", req))
    ctx = item.config.stash.get(CONTEXT_KEY, None)
    if ctx is not None:
        ctx.begin_test(result.exchanges)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    outcome = yield
    v = item.stash.get(VERDICT_KEY, None)
    if v is None or outcome.excinfo is not None:
        return
    strict = item.config._ra_settings.strict  # type: ignore[attr-defined]
    failing = v.errors + (v.warnings if strict else [])
    if failing:
        outcome.force_exception(ConformanceFailure(failing))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    result = item.stash.get(STATE_KEY, None)
    if result is None:
        return
    result.duration_s = round(result.duration_s + report.duration, 4)
    if report.skipped:
        result.state = SKIP
        longrepr = report.longrepr
        result.message = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        if result.message.startswith("Skipped: "):
            result.message = result.message[len("Skipped: "):]
    elif report.failed:
        exc = call.excinfo.value if call.excinfo else None
        conformance = isinstance(exc, AssertionError)
        if result.state != ERROR:
            result.state = FAIL if conformance and report.when == "call" else ERROR
        result.message = str(exc) if conformance else f"harness error in {report.when}: {call.excinfo.exconly() if call.excinfo else report.longreprtext}"
    elif report.when == "call":
        v = item.stash.get(VERDICT_KEY, None)
        result.state = WARN if v is not None and v.warnings else PASS
        if v is not None and v.warnings:
            result.message = v.render(v.warnings)
    v = item.stash.get(VERDICT_KEY, None)
    if v is not None and report.when == "call":
        result.findings = [f.to_dict() for f in v.findings]
    if report.when == "teardown":
        ctx = item.config.stash.get(CONTEXT_KEY, None)
        if ctx is not None:
            ctx.end_test()
        item.user_properties.append(("ra_state", result.state))
        report.user_properties.append(("ra_state", result.state))
        results_of(item.config).tests.append(result)


def pytest_sessionfinish(session: pytest.Session) -> None:
    import time

    results_of(session.config).finished = time.time()
