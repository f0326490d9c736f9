"""Findings: what a check concludes. Each is an error (fails the test) or a warning (fails only under --strict)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    severity: str  # ERROR | WARNING
    reqs: tuple[str, ...]
    message: str
    expected: str | None = None
    actual: str | None = None
    where: str | None = None

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


def error(reqs: str | tuple[str, ...], message: str, **kw: str | None) -> Finding:
    return Finding(ERROR, _reqs(reqs), message, **kw)


def warning(reqs: str | tuple[str, ...], message: str, **kw: str | None) -> Finding:
    return Finding(WARNING, _reqs(reqs), message, **kw)


def _reqs(reqs: str | tuple[str, ...]) -> tuple[str, ...]:
    return (reqs,) if isinstance(reqs, str) else tuple(reqs)


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
