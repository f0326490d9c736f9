"""The check registry: every shared assertion of `checks/` is registered once, with the requirements it judges.

    @check("REQ-023")
    def expected_reports_present(answer, scenario) -> list[Finding]:
        ...
        findings.append(error("overlapping reports are missing from the Bundle", where=...))

A finding made while a registered check runs takes the check's REQ ids and its name (``check=``) from the
registration, so the REQ id is written once, on the decorator. Generic checks that judge whatever requirement
their caller names (``http.*``, ``rest.*``, …) register without REQ ids and take ``reqs=`` from the caller.
``registered()`` lists every check, for the traceability test (tests/checks/test_check_registry.py).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Check:
    name: str  # "<module>.<function>", e.g. "answer.expected_reports_present"
    reqs: tuple[str, ...]  # the requirements its findings judge; () = the caller names them (reqs=)
    title: str  # the first line of its docstring


class RegistryError(RuntimeError):
    """A check registered twice under one name (a programming error, found at import)."""


_REGISTRY: dict[str, Check] = {}
_RUNNING: ContextVar[Check | None] = ContextVar("ra_conform_running_check", default=None)


def check(*reqs: str) -> Callable[[F], F]:
    """Register a check judging ``reqs`` (none: a generic check whose caller passes ``reqs=``)."""

    def register(func: F) -> F:
        entry = Check(f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}", reqs, _title(func))
        if entry.name in _REGISTRY:
            raise RegistryError(f"check {entry.name} is registered twice")
        _REGISTRY[entry.name] = entry

        @functools.wraps(func)
        def judged(*args: Any, **kwargs: Any) -> Any:
            token = _RUNNING.set(entry)
            try:
                return func(*args, **kwargs)
            finally:
                _RUNNING.reset(token)

        judged.check = entry  # type: ignore[attr-defined]
        return judged  # type: ignore[return-value]

    return register


def registration(func: Callable[..., Any]) -> Check:
    """The registration of a registered check (its name and REQ ids)."""
    entry = getattr(func, "check", None)
    if not isinstance(entry, Check):
        raise RegistryError(f"{func!r} is not a registered check")
    return entry


def running() -> Check | None:
    """The registered check being evaluated now (the innermost one), if any."""
    return _RUNNING.get()


def registered() -> dict[str, Check]:
    """Every check of the `checks` package, by name (imports each of its modules once)."""
    package = importlib.import_module(__package__ or "ra_conformance.checks")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return dict(_REGISTRY)


def _title(func: Callable[..., Any]) -> str:
    return (func.__doc__ or func.__name__).strip().splitlines()[0]
