"""The client side of ra-conform: the reference RA client, the client-test scenarios, the judge of what a client
under test sends, and the client-test runner (`ra-conform client-test`, `client-demo`).

Names are imported lazily (PEP 562): the CLI registers the client commands without loading the judge, the
reference server or the reference client until a client command runs.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "CLIENT_FAULTS": "faults", "ClientFault": "faults", "ReferenceClient": "reference", "ClientTestError": "runner",
    "ClientTestOptions": "runner", "run_client_test": "runner", "IDS": "scenarios", "SCENARIOS": "scenarios",
    "ScenarioError": "scenarios", "applicable": "scenarios",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
