"""What a conformance failure says in JUnit and on pytest's terminal: the findings, never a Python traceback.

pytest puts a failed report's `longrepr` into JUnit's `<failure>` (its `reprcrash.message` becomes the
`message` attribute); a server's non-conformance is not a crash of the harness, so its longrepr is the
findings (where / expected / actual, with the REQ ids) and the command that reruns the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .checks.findings import ConformanceFailure


@dataclass(frozen=True)
class Crash:
    """The one-line summary pytest reads as `longrepr.reprcrash` (the JUnit failure message)."""

    path: str
    lineno: int
    message: str


@dataclass(frozen=True)
class FindingsRepr:
    """A longrepr made of text: pytest (terminal, JUnit, xdist) renders it with `toterminal` / `str`."""

    text: str
    reprcrash: Crash

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return self.text


def findings_repr(exc: BaseException, *, title: str, reqs: list[str], path: str, lineno: int, rerun: str = "") -> FindingsRepr:
    """The failure text of a conformance failure (a ConformanceFailure's findings, or an assertion's message)."""
    if isinstance(exc, ConformanceFailure):
        body = "\n".join(f.render() for f in exc.findings)
        count = len(exc.findings)
        first = exc.findings[0].message if exc.findings else str(exc)
    else:
        body = str(exc) or type(exc).__name__
        count, first = 1, body.splitlines()[0] if body else type(exc).__name__
    head = f"{', '.join(reqs)}: " if reqs else ""
    summary = f"{head}{first}" + (f" (+{count - 1} more finding{'s' if count > 2 else ''})" if count > 1 else "")
    lines = [f"{title}", f"requirements: {', '.join(reqs) or '(none)'}", "", body]
    if rerun:
        lines += ["", f"rerun: {rerun}"]
    return FindingsRepr("\n".join(lines), Crash(path, lineno, summary))
