"""How the server treats invalid incoming resources (``serve --write-validation strict|warn|off``).

* ``strict``: 422 + OperationOutcome, nothing stored (the validator's errors refuse the write);
* ``warn`` (the sandbox default): the resource is stored and the answer is the 2xx with an OperationOutcome that
  lists what is wrong with it (in a transaction: the entry's ``response.outcome``), so participants' real data —
  e.g. the IG's STU1 connectathon Bundles with several ``ra-groupReference`` per evaluatedResource — is kept;
* ``off``: only the shape checks the store needs (resource type, id, meta).

Shape errors (basic_checks) refuse the write in every mode: such a resource cannot be stored at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..issues import WARNING, Issue
from .incoming import IncomingCheck, basic_checks

MODES = ("strict", "warn", "off")
DEFAULT_MODE = "warn"


class WriteValidationError(ValueError):
    """An unknown mode."""


def write_policy(check: IncomingCheck, mode: str) -> IncomingCheck:
    """The incoming check under a mode: its errors only (strict), its errors turned into warnings that are
    reported with the 2xx (warn), or the shape checks only (off). The check's own warnings pass silently."""
    if mode not in MODES:
        raise WriteValidationError(f"unknown write-validation mode {mode!r}; choose one of {', '.join(MODES)}")
    if mode == "off":
        return basic_checks

    def strict(resource: dict[str, Any]) -> Sequence[Issue]:
        return [p for p in check(resource) if p.failing]

    def warn(resource: dict[str, Any]) -> Sequence[Issue]:
        shape = basic_checks(resource)
        if shape:
            return shape
        return [replace(p, severity=WARNING) for p in check(resource) if p.failing]

    return strict if mode == "strict" else warn
