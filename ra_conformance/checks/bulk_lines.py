"""A batch of lines of an exported NDJSON file, judged in whichever process gets it (checks/bulk.py FileAudit).

Each line is parsed, classified (REQ-064: one FHIR resource per line; REQ-062: of the file's type) and validated
against the profiles; the verdict is compact — counts, the lines at fault, and issues only for lines with some —
so a worker process sends back little more than what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ..fhir.async_pattern import parse_line
from ..validation.engine import validator_for  # imported here so a forkserver preloading this module has it

Lines = tuple[str, tuple[tuple[int, bytes], ...]]  # (the file's type, ((line number, raw line), ...))


class LinesVerdict(NamedTuple):
    resources: int  # lines holding a resource
    carried: int  # resources those lines carry (a Bundle line counts its entries)
    broken: list[tuple[int, str]]  # (line, why it is not one FHIR resource)
    wrong_type: list[tuple[int, str]]  # (line, its resourceType) where it is not the file's type
    issues: list[tuple[int, list[Any]]]  # (line, its validation issues) for lines with issues


def carried(resource: dict[str, Any]) -> int:
    entries = resource.get("entry") if resource.get("resourceType") == "Bundle" else None
    return len(entries) if isinstance(entries, list) else 1


def judge_with(validator: Any | None, lines: Lines) -> LinesVerdict:
    """The verdict on ``lines`` (no profile validation when ``validator`` is None)."""
    file_type, batch = lines
    verdict = LinesVerdict(0, 0, [], [], [])
    count = carried_total = 0
    for number, raw in batch:
        line = parse_line(raw, number)
        resource = line.resource
        if resource is None:
            verdict.broken.append((number, line.error or "unreadable"))
            continue
        count += 1
        carried_total += carried(resource)
        rtype = resource["resourceType"]
        if rtype != file_type:
            verdict.wrong_type.append((number, str(rtype)))
        if validator is not None:
            issues = validator.validate_answer_bundle(resource) if rtype == "Bundle" else validator.validate(resource)
            if issues:
                verdict.issues.append((number, issues))
    return verdict._replace(resources=count, carried=carried_total)


# -- in a worker process -------------------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def prepare(version: str) -> None:
    """Set a worker process up: the validator of IG ``version``."""
    _STATE["validator"] = validator_for(version)


def judge(lines: Lines) -> LinesVerdict:
    """The verdict on ``lines`` with this process's validator (after :func:`prepare`)."""
    return judge_with(_STATE["validator"], lines)


def judge_here(validator: Any | None) -> Callable[[Lines], LinesVerdict]:
    return lambda lines: judge_with(validator, lines)
