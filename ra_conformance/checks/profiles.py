"""Profile conformance of what a server returns, judged by the RA validator."""

from __future__ import annotations

from typing import Any

from ..fhir.operation import OperationAnswer
from .findings import Finding, error, warning

MAX_FINDINGS_PER_BUNDLE = 50


def _finding(issue: Any, where: str) -> Finding | None:
    make = {"error": error, "fatal": error, "warning": warning}.get(getattr(issue, "severity", ""))
    if make is None:
        return None
    rule = getattr(issue, "rule", "") or "profile"
    reqs = (rule,) if rule.startswith("REQ-") else ("REQ-029",)
    text = f"{getattr(issue, 'resource', '')} at {getattr(issue, 'location', '')}: {getattr(issue, 'message', '')} [{rule}]"
    return make(reqs, text, where=where)


def answer_conforms(validator: Any, answer: OperationAnswer) -> list[Finding]:
    """REQ-029/REQ-021/REQ-133: validate each `return` Bundle in its context (the validator knows the profiles)."""
    findings: list[Finding] = []
    for b in answer.returns:
        if b.bundle is None:
            continue
        where = f"Parameters.parameter[{b.position}]"
        made = [f for f in (_finding(i, where) for i in validator.validate_answer_bundle(b.bundle)) if f]
        findings.extend(made[:MAX_FINDINGS_PER_BUNDLE])
        if len(made) > MAX_FINDINGS_PER_BUNDLE:
            findings.append(error("REQ-029", f"… and {len(made) - MAX_FINDINGS_PER_BUNDLE} more profile issues", where=where))
    return findings
