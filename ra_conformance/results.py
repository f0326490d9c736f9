"""The run's results, kept apart by state: pass, fail, warn, skip, error (the harness itself broke)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

PASS, FAIL, WARN, SKIP, ERROR = "pass", "fail", "warn", "skip", "error"
STATES = (PASS, FAIL, WARN, SKIP, ERROR)

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = {"SIGINT": 130, "SIGTERM": 143}  # 128 + signal number, as shells report it


@dataclass
class TestResult:
    nodeid: str
    suite: str
    name: str
    title: str
    reqs: list[str]
    state: str = PASS
    message: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class RunResults:
    target: str = ""
    ig_version: str = ""
    operation: str = ""  # the `$report`-family operation name when the run exercised it, else ""
    retrieval: list[str] = field(default_factory=list)  # flows exercised: 'search', '$cc-gaps', '$risk-gap' (ra_conformance.harness.flows)
    search_handling: str = ""  # `Prefer: handling=` sent on searches ("" = none sent: the server's default)
    ignored_parameters: dict[str, list[str]] = field(default_factory=dict)  # search parameter -> REQ ids (issue 16)
    search_outcomes: list[str] = field(default_factory=list)  # diagnostics of searchset `outcome` entries
    strict: bool = False
    started: float = field(default_factory=time.time)
    finished: float | None = None
    tests: list[TestResult] = field(default_factory=list)
    interrupted: str | None = None  # "SIGINT" / "SIGTERM": the run was stopped; its results are incomplete
    planned: list[str] = field(default_factory=list)  # nodeids selected to run (known once collection ended)
    rerun: str = ""  # the command that reruns this run's set-up (a report adds `-k 'one test'`)

    def not_run(self) -> list[str]:
        """Selected tests without a result (an interrupted run)."""
        ran = {t.nodeid for t in self.tests}
        return [n for n in self.planned if n not in ran]

    def verdict(self) -> str:
        if self.interrupted:
            return "incomplete"
        return {EXIT_OK: "pass", EXIT_FAILURES: "fail"}.get(self.exit_code(), "error")

    @property
    def wall_s(self) -> float:
        return round((self.finished or time.time()) - self.started, 3)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for t in self.tests:
            out[t.state] += 1
        return out

    def by_suite(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for t in self.tests:
            table.setdefault(t.suite, dict.fromkeys(STATES, 0))[t.state] += 1
        return table

    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED.get(self.interrupted, 130)
        counts = self.counts()
        if counts[ERROR]:
            return EXIT_INTERNAL
        if counts[FAIL]:
            return EXIT_FAILURES
        return EXIT_OK
