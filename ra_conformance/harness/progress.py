"""Live progress on the terminal while the suites run: a pytest plugin object (rich progress bar; plain lines
per suite when not a terminal). Test ids are printed as text, never as rich markup."""

from __future__ import annotations

import time
from typing import Any

import pytest
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..reporting.console import print_plan_brief
from ..reporting.sanitize import markup_safe as safe
from ..results import STATES
from .session import plan_of


class ProgressPlugin:
    """A pytest plugin object: one progress bar over the collected tests."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None
        self.task: Any = None
        self.collect_errors: list[str] = []
        self.lines = PlainProgress(console)  # when not a terminal: one line per suite with its counts

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {report.longreprtext}")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        plan = plan_of(session.config)
        if plan and not session.config.option.collectonly:
            print_plan_brief(self.console, plan)
        if session.config.option.collectonly:
            return
        if not self.console.is_terminal:
            self.lines.start(len(session.items))
            return
        self.progress = Progress(
            TextColumn("[bold]ra-conform[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
            TimeElapsedColumn(), console=self.console, transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task("", total=len(session.items))

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description=safe(nodeid.split("::", 1)[-1][:60]))

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        if self.progress is not None:
            self.progress.advance(self.task)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "ra_result", None)  # set by the plugin once a test has its final state
        if data is not None:
            self.lines.record(str(data.get("suite", "")), str(data.get("state", "")))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.lines.flush()
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


class PlainProgress:
    """`suite single_patient: 18 tests (18 pass) · 40/320 · 1.2 s` as each suite ends (CI logs, pipes)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.total: int | None = None
        self.done = 0
        self.suite: str | None = None
        self.counts: dict[str, int] = {}
        self.started = time.monotonic()

    def start(self, total: int) -> None:
        self.total, self.started = total, time.monotonic()

    def record(self, suite: str, state: str) -> None:
        if self.total is None:
            return
        if suite != self.suite:
            self.flush()
            self.suite = suite
        self.counts[state] = self.counts.get(state, 0) + 1
        self.done += 1

    def flush(self) -> None:
        if self.suite is None or not self.counts:
            return
        n = sum(self.counts.values())
        states = ", ".join(f"{self.counts[s]} {s}" for s in STATES if self.counts.get(s))
        self.console.print(f"suite {self.suite}: {n} tests ({states}) · {self.done}/{self.total} · "
                           f"{time.monotonic() - self.started:.1f} s", markup=False, highlight=False)
        self.suite, self.counts = None, {}
