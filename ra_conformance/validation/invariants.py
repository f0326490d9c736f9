"""FHIRPath constraints through fhirpathpy (model r4), each expression compiled once.

Profile invariants (ra-1, ra-2, ra-3, ...) from the ig/ rule tables; the base R4 invariants (mrp-*,
bdl-*, dom-*, per-1, ...) are evaluated by constraints.py from the generated R4 tables.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from ra_conformance.ig.rules import Invariant
from ra_conformance.jsonio import kept
from ra_conformance.validation.jsonkey import json_key


@cache
def compiled(expression: str) -> Callable[..., list[Any]]:
    from fhirpathpy import compile as fhirpath_compile  # imported when first needed (constraints._fhirpathpy)
    from fhirpathpy.models import models

    return fhirpath_compile(expression, models["r4"])


_MEMO: dict[tuple[str, bytes], bool] = {}
_MEMO_LIMIT = 20_000


def _evaluate(expression: str, node: Any, resource: dict[str, Any]) -> bool:
    try:
        result = compiled(expression)(node, {"resource": resource, "rootResource": resource})
    except Exception:  # noqa: BLE001 - fhirpathpy raises assorted errors on odd input; structure judges it
        return True
    return not (len(result) == 1 and result[0] is False)


def holds(expression: str, node: Any, resource: dict[str, Any]) -> bool:
    """True unless the expression evaluates to false (an empty result counts as satisfied).

    Expressions that do not read %resource are memoised on the node's JSON (bounded), so repeated
    small nodes (periods, remarks, names) cost one evaluation."""
    if "%" in expression:
        return _evaluate(expression, node, resource)
    data = json_key(node)
    if data is None:  # no key (jsonkey.py): not memoised
        return _evaluate(expression, node, resource)
    key = (expression, data)
    verdict = _MEMO.get(key)
    if verdict is None:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        verdict = _MEMO[(key[0], kept(key[1]))] = _evaluate(expression, node, resource)
    return verdict


@cache
def _native() -> dict[str, Callable[[Any, dict[str, Any]], bool | None]]:
    from ra_conformance.validation.native import NATIVE  # imported late: native.py imports the ig package

    return NATIVE


def check(inv: Invariant, node: Any, resource: dict[str, Any]) -> bool:
    """Does the node satisfy the invariant? (guard, native twin, or fhirpathpy)."""
    if inv.only_if is not None and not (isinstance(node, dict) and node.get(inv.only_if[0]) == inv.only_if[1]):
        return True
    if inv.native:
        verdict = _native()[inv.native](node, resource)
        if verdict is not None:
            return verdict
    return holds(inv.expression, node, resource)


def message(inv: Invariant) -> str:
    """Human text of a failed invariant, naming its key and REQ id."""
    extra = f", {inv.req}" if inv.req and inv.req != inv.key else ""
    return f"{inv.human} ({inv.key}{extra})"
