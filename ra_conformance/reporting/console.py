"""Live progress and the final summary table on the terminal (rich); plain lines when not a terminal.

Results go to stdout, progress and diagnostics to stderr (`console_for`). Test ids are printed as text,
never as rich markup (a parametrized id's `[...]` would otherwise vanish).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..rerun import rerun_one
from ..results import ERROR, FAIL, PASS, SKIP, STATES, WARN, RunResults
from .sanitize import markup_safe as safe
from .sanitize import plain

STYLE = {PASS: "green", FAIL: "red", WARN: "yellow", SKIP: "dim", ERROR: "magenta"}
PIPE_WIDTH = 400  # not a terminal (a CI log, a file): wide enough that no identifier wraps


def console_for(*, stderr: bool) -> Console:
    """A console on stdout (results) or stderr (progress, diagnostics); no wrapping at 80 when not a terminal."""
    console = Console(stderr=stderr)
    if console.is_terminal:
        return console
    return Console(stderr=stderr, width=PIPE_WIDTH, soft_wrap=True)


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
        from ..harness.plugin import plan_of

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


def print_results(console: Console, results: RunResults, *, verbose: bool = False) -> None:
    from .summary import ignored_text, summary_dict

    search = summary_dict(results)["search"]
    ignored = ignored_text(search)
    if ignored:  # the root cause of many failures, said once before them (issue 16)
        console.print(f"[bold red]ROOT CAUSE[/] {ignored}", highlight=False)
    for state in (FAIL, ERROR, WARN):
        shown = [t for t in results.tests if t.state == state]
        if not shown:
            continue
        console.print(f"[bold {STYLE[state]}]── {state.upper()} ({len(shown)}) ──[/]")
        for t in shown:
            console.print(f"[{STYLE[state]}]{state.upper()}[/] {safe(t.suite)} › {safe(t.name)}  [dim]{safe(' '.join(t.reqs))}[/]")
            console.print(f"  {plain(t.title)}", style="italic", markup=False, highlight=False)
            console.print(_indent(plain(t.message)), markup=False, highlight=False)
            if results.rerun:
                console.print(f"  rerun: {plain(rerun_one(results.rerun, t.nodeid, t.name))}", markup=False, highlight=False)
    if verbose:
        for t in results.tests:
            if t.state == SKIP:
                console.print(f"[dim]SKIP {safe(t.suite)} › {safe(t.name)}: {safe(t.message)}[/]")
    table = Table(title=f"ra-conform · {safe(results.target)} · IG {safe(results.ig_version)} · {safe(_flows(results))}")
    table.add_column("suite")
    for state in STATES:
        table.add_column(state, justify="right", style=STYLE[state])
    for suite, counts in sorted(results.by_suite().items()):
        table.add_row(safe(suite), *(str(counts[s]) for s in STATES))
    totals = results.counts()
    table.add_row("[bold]total", *(f"[bold]{totals[s]}" for s in STATES))
    console.print(table)
    if results.search_handling:
        console.print(f"searches sent Prefer: handling={results.search_handling}")
    console.print(f"wall time {results.wall_s:.2f} s · exit code {results.exit_code()}")
    if results.interrupted:
        console.print(f"[bold]INTERRUPTED[/] ({results.interrupted}): {len(results.tests)} of {len(results.planned) or '?'} "
                      "selected tests ran; the results are incomplete (no verdict)")


def print_plan_brief(console: Console, plan: list[Any]) -> None:
    """The plan at the start of a run: how many tests run, and each distinct reason for skipping."""
    runs = sum(1 for e in plan if e.run)
    reasons: dict[str, int] = {}
    for e in plan:
        if not e.run:
            reasons[e.reason] = reasons.get(e.reason, 0) + 1
    console.print(f"[bold]plan:[/] {runs} tests run, {len(plan) - runs} skipped")
    for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        console.print(f"  [dim]skip ×{n}: {safe(reason)}[/]", markup=True, highlight=False)


def print_plan(console: Console, plan: list[Any], results: RunResults) -> None:
    """`ra-conform plan`: per REQ id, the tests that will run or be skipped, and why."""
    table = Table(title=f"ra-conform plan · {safe(results.target)} · IG {safe(results.ig_version)} · {safe(_flows(results))}")
    for col in ("REQ", "test", "decision", "why"):
        table.add_column(col, overflow="fold")
    rows = sorted(((req, e) for e in plan for req in (e.reqs or ("(none)",))), key=lambda r: (r[0], r[1].nodeid))
    for req, e in rows:
        table.add_row(safe(req), safe(e.nodeid.split("::", 1)[-1]), "[green]run[/]" if e.run else "[dim]skip[/]", safe(e.reason))
    console.print(table)
    runs = sum(1 for e in plan if e.run)
    console.print(f"{runs} tests will run, {len(plan) - runs} will be skipped")


def _flows(results: RunResults) -> str:
    from .summary import retrieval_text

    return "retrieval: " + retrieval_text(results.retrieval)


def _indent(text: str, limit: int = 4000) -> str:
    text = text if len(text) <= limit else text[:limit] + " …"
    return "\n".join("    " + line for line in text.splitlines())
