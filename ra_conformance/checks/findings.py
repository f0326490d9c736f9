"""Findings: what a check concludes. Each is an error (fails the test) or a warning (fails only under --strict).

A finding names the requirements it judges and the check that made it: made inside a registered check
(checks/registry.py) it takes both from the registration; elsewhere (client-test, a suite's own judgement, a
generic check's caller) it is given ``reqs=`` explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..issues import ERROR, WARNING, Severity
from .registry import running


@dataclass(frozen=True)
class Finding:
    severity: Severity  # ERROR | WARNING
    reqs: tuple[str, ...]
    message: str
    expected: str | None = None
    actual: str | None = None
    where: str | None = None
    check: str | None = None  # the registered check that made it (checks/registry.py), e.g. "answer.http_200"

    def render(self) -> str:
        head = f"[{self.severity.upper()}] {', '.join(self.reqs)}: {self.message}" if self.reqs else f"[{self.severity.upper()}] {self.message}"
        lines = [head]
        if self.where:
            lines.append(f"    where:    {self.where}")
        if self.expected is not None:
            lines.append(f"    expected: {self.expected}")
        if self.actual is not None:
            lines.append(f"    actual:   {self.actual}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items() if v is not None}


Reqs = str | tuple[str, ...]


def error(message: str, *, reqs: Reqs | None = None, expected: str | None = None, actual: str | None = None,
          where: str | None = None) -> Finding:
    return _finding(ERROR, message, reqs, expected=expected, actual=actual, where=where)


def warning(message: str, *, reqs: Reqs | None = None, expected: str | None = None, actual: str | None = None,
            where: str | None = None) -> Finding:
    return _finding(WARNING, message, reqs, expected=expected, actual=actual, where=where)


def _finding(severity: Severity, message: str, reqs: Reqs | None, **kw: str | None) -> Finding:
    check = running()
    ids = ((reqs,) if isinstance(reqs, str) else tuple(reqs)) if reqs is not None else (check.reqs if check else ())
    if reqs is None and not ids:
        raise TypeError(f"the finding {message!r} names no requirement: pass reqs=, or make it in a @check that has them")
    return Finding(severity, ids, message, check=check.name if check else None, **kw)


@dataclass
class Verdict:
    """Collects every finding of one test; every check is evaluated even after one fails (Touchstone lesson)."""

    findings: list[Finding] = field(default_factory=list)

    def add(self, findings: list[Finding] | Finding | None) -> Verdict:
        if isinstance(findings, Finding):
            self.findings.append(findings)
        elif findings:
            self.findings.extend(findings)
        return self

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def render(self, findings: list[Finding] | None = None) -> str:
        return "\n".join(f.render() for f in (self.findings if findings is None else findings))


class ConformanceFailure(AssertionError):
    """The server under test did not conform. Raised by the plugin from a test's errors; never a harness bug."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__("\n".join(f.render() for f in findings))
