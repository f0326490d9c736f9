"""Test-state bookkeeping: each test's TestResult (pass, fail, warn, skip, error), its findings and the exchanges it
shows (capture.py), the JUnit text of a conformance failure, and the Allure labels. Hooks of the ra-conform plugin."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from pluggy import Result

from ..checks.findings import ConformanceFailure, Verdict
from ..failure_text import findings_repr
from ..rerun import rerun_one
from ..results import ERROR, FAIL, PASS, SKIP, WARN, TestResult
from .session import current_context, results_of, settings_of

STATE_KEY = pytest.StashKey[TestResult]()
VERDICT_KEY = pytest.StashKey[Verdict]()
RECORDED_KEY = pytest.StashKey[bool]()
SET_UP_KEY = pytest.StashKey[bool]()  # the setup phase passed: the test received every fixture it requests


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


def _new_result(item: pytest.Item) -> TestResult:
    return TestResult(nodeid=item.nodeid, suite=_suite(item), name=item.name, title=_title(item), reqs=reqs_of(item))


def _exchanges(item: pytest.Item) -> list[dict[str, Any]]:
    ctx = current_context(item.config)
    if ctx is None:
        return []
    names = getattr(item, "fixturenames", ()) if item.stash.get(SET_UP_KEY, False) else ()  # pytest.Function's
    return ctx.capture.test_exchanges(names)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    result = _new_result(item)
    item.stash[STATE_KEY] = result
    for req in result.reqs:
        item.user_properties.append(("requirement", req))
    ctx = current_context(item.config)
    if ctx is not None:
        ctx.capture.begin_test()
        ctx.answers.begin_test()


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Generator[None, Result[Any], None]:
    """The exchanges made while a fixture is set up belong to it: every test requesting it shows them."""
    ctx = current_context(request.config)
    if ctx is None:
        yield
        return
    with ctx.capture.frame() as frame:
        outcome = yield
    if outcome.excinfo is None:
        ctx.capture.fixture_done(fixturedef.argname, frame)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Result[None], None]:
    outcome = yield
    result = item.stash.get(STATE_KEY, None)
    if result is not None:
        _allure_annotate(result, _exchanges(item))
    v = item.stash.get(VERDICT_KEY, None)
    ctx = current_context(item.config)
    if v is not None and ctx is not None:  # what the test's searches said about themselves comes first (issue 16)
        v.findings[:0] = ctx.answers.search_notes()
    if v is None or outcome.excinfo is not None:
        return
    failing = v.errors + (v.warnings if settings_of(item.config).strict else [])
    if failing:
        outcome.force_exception(ConformanceFailure(failing))


def _allure_annotate(result: TestResult, exchanges: list[dict[str, Any]]) -> None:
    """Requirement labels and every HTTP exchange as attachments (no-ops unless allure is recording)."""
    import allure

    from .. import jsonio

    allure.dynamic.title(result.title)
    for req in result.reqs:
        allure.dynamic.label("requirement", req)
        allure.dynamic.tag(req)
    for ex in exchanges:
        name = f"{ex['method']} {ex['url']} -> {ex['status'] if ex['status'] is not None else ex['error']}"
        allure.attach(jsonio.dumps_str(ex, pretty=True), name=name, attachment_type=allure.attachment_type.JSON)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Result[pytest.TestReport], None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    result = item.stash.get(STATE_KEY, None)
    began = result is not None
    if result is None:
        if report.when == "setup" and report.skipped:  # skipped before our setup hook ran (skip marker)
            result = item.stash[STATE_KEY] = _new_result(item)
        else:
            return
    if report.when == "setup" and report.passed:
        item.stash[SET_UP_KEY] = True
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
        ctx = current_context(item.config)
        if ctx is not None:
            result.exchanges = _exchanges(item) if began else []
            ctx.capture.end_test()
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
