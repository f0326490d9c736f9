"""Issues -> R4 OperationOutcome JSON, and the text rendering of a validation run."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TextIO, cast

from ra_conformance.issues import ERROR, WARNING, Issue, Severity

RULE_SYSTEM = "urn:ra-conform:rule"


def _issue_code(rule: str) -> str:
    if rule in ("struct-cardinality",):
        return "required"
    if rule in ("struct-format", "struct-empty", "struct-null", "struct-json"):
        return "value"
    if rule.startswith("struct-"):
        return "structure"
    if rule == "REQ-177" or "binding" in rule:
        return "code-invalid"
    if rule.startswith(("REQ-", "profile")):
        return "invalid"
    return "invariant"


def to_operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    """An R4 OperationOutcome with one issue per Issue (rule id in details.coding); "all OK" if none."""
    if not issues:
        return {"resourceType": "OperationOutcome",
                "issue": [{"severity": "information", "code": "informational", "diagnostics": "no issues"}]}
    return {"resourceType": "OperationOutcome", "issue": [
        {"severity": i.severity, "code": _issue_code(i.rule),
         "details": {"coding": [{"system": RULE_SYSTEM, "code": i.rule}], "text": i.message},
         "diagnostics": f"{i.resource}: {i.message}", "expression": [i.location]}
        for i in issues]}


def count(issues: Iterable[Issue]) -> tuple[int, int]:
    errors = warnings = 0
    for issue in issues:
        errors += issue.severity == ERROR
        warnings += issue.severity == WARNING
    return errors, warnings


def write_text(source: str, issues: list[Issue], out: TextIO) -> None:
    """Issues grouped by resource, one line each: severity, location, [rule], message."""
    if not issues:
        return
    groups: dict[str, list[Issue]] = {}
    for issue in issues:
        groups.setdefault(issue.resource, []).append(issue)
    for resource, items in groups.items():
        errors, warnings = count(items)
        out.write(f"{source}: {resource}: {errors} error(s), {warnings} warning(s)\n")
        for i in items:
            out.write(f"  {i.severity:<11} {i.location}  [{i.rule}]  {i.message}\n")


def from_operation_outcome(outcome: Any, resource: str = "") -> list[Issue]:
    """Issues back from an OperationOutcome (ours, or a server's: rule from details.coding when present)."""
    issues = []
    for item in outcome.get("issue", []) if isinstance(outcome, dict) else []:
        if not isinstance(item, dict):
            continue
        details = d if isinstance(d := item.get("details"), dict) else {}
        codings = c if isinstance(c := details.get("coding"), list) else []
        rule = next((c.get("code") for c in codings if isinstance(c, dict) and c.get("system") == RULE_SYSTEM),
                    item.get("code", ""))
        expression = item.get("expression") or item.get("location")
        where = expression[0] if isinstance(expression, list) and expression else ""  # a server may send any JSON
        severity = cast(Severity, str(item.get("severity", "")))  # kept as the server sent it, known code or not
        issues.append(Issue(severity, str(where), str(rule),
                            str(details.get("text") or item.get("diagnostics") or ""), resource))
    return issues


def describe(issues: Iterable[Issue]) -> str:
    """One line per issue naming resource, location and rule — for test failure messages."""
    return "\n".join(f"{i.severity}: {i.resource} {i.location} [{i.rule}] {i.message}" for i in issues)
