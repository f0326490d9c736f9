"""The final summary table and the plan on the terminal (rich); the live progress is harness/progress.py.

Results go to stdout, progress and diagnostics to stderr (`console_for`). Test ids are printed as text,
never as rich markup (a parametrized id's `[...]` would otherwise vanish).
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
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
