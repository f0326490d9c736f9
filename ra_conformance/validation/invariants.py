"""FHIRPath constraints through fhirpathpy (model r4), each expression compiled once.

Holds the base R4 invariants the validator applies to every resource of a type (RA-SPEC §3.12:
mrp-1, mrp-2, bdl-*); profile invariants (ra-1, ra-2, ra-3, ...) come from the ig/ rule tables.
ext-1, ele-1 and ref-1 are checked natively in structure.py (hot paths).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import orjson
from fhirpathpy import compile as fhirpath_compile
from fhirpathpy.models import models

from ra_conformance.ig.rules import Invariant

_R4 = models["r4"]

# Base R4 invariants (http://hl7.org/fhir/R4/measurereport.html, bundle.html), by resource type.
BASE_INVARIANTS: dict[str, tuple[Invariant, ...]] = {
    "MeasureReport": (
        Invariant("mrp-1", "MeasureReport", "(type != 'data-collection') or group.exists().not()",
                  "a data-collection report has no group (base R4; the IG's datax page suggests groups, "
                  "RA-SPEC §3.7)", req="mrp-1", only_if=("type", "data-collection")),
        Invariant("mrp-2", "MeasureReport.group.stratifier.stratum", "value.exists() xor component.exists()",
                  "a stratum has either a value or components", req="mrp-2"),
    ),
    "Bundle": (
        Invariant("bdl-1", "Bundle", "total.empty() or (type = 'searchset') or (type = 'history')",
                  "total only when a search or history", req="bdl-1"),
        Invariant("bdl-2", "Bundle", "entry.search.empty() or (type = 'searchset')",
                  "entry.search only when a search", req="bdl-2"),
        Invariant("bdl-3", "Bundle", "entry.all(request.exists() = (%resource.type = 'batch' or "
                  "%resource.type = 'transaction' or %resource.type = 'history'))",
                  "entry.request mandatory for batch/transaction/history, otherwise prohibited", req="bdl-3"),
        Invariant("bdl-4", "Bundle", "entry.all(response.exists() = (%resource.type = 'batch-response' or "
                  "%resource.type = 'transaction-response' or %resource.type = 'history'))",
                  "entry.response mandatory for batch-response/transaction-response/history, otherwise "
                  "prohibited", req="bdl-4"),
        Invariant("bdl-5", "Bundle.entry", "resource.exists() or request.exists() or response.exists()",
                  "an entry has a resource or a request or a response", req="bdl-5"),
        Invariant("bdl-7", "Bundle", "(type = 'history') or entry.where(fullUrl.exists())"
                  ".select(fullUrl&resource.meta.versionId).isDistinct()",
                  "fullUrl is unique in a Bundle (unless a history)", req="bdl-7"),
        Invariant("bdl-8", "Bundle.entry", "fullUrl.contains('/_history/').not()",
                  "fullUrl cannot be a version-specific reference", req="bdl-8"),
        Invariant("bdl-9", "Bundle", "type = 'document' implies (identifier.system.exists() and "
                  "identifier.value.exists())", "a document has an identifier", req="bdl-9"),
        Invariant("bdl-10", "Bundle", "type = 'document' implies (timestamp.exists())",
                  "a document has a timestamp", req="bdl-10"),
        Invariant("bdl-11", "Bundle", "type = 'document' implies entry.first().resource.is(Composition)",
                  "a document starts with a Composition", req="bdl-11"),
        Invariant("bdl-12", "Bundle", "type = 'message' implies entry.first().resource.is(MessageHeader)",
                  "a message starts with a MessageHeader", req="bdl-12"),
    ),
}


@lru_cache(maxsize=None)
def compiled(expression: str) -> Callable[..., list[Any]]:
    return fhirpath_compile(expression, _R4)


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
    try:
        key = (expression, orjson.dumps(node))
    except TypeError:  # past orjson's limits (a hostile server's 255+ levels, huge integers): not memoised
        return _evaluate(expression, node, resource)
    verdict = _MEMO.get(key)
    if verdict is None:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        verdict = _MEMO[key] = _evaluate(expression, node, resource)
    return verdict


def check(inv: Invariant, node: Any, resource: dict[str, Any]) -> bool:
    """Does the node satisfy the invariant? (guard, native twin, or fhirpathpy)."""
    if inv.only_if is not None and not (isinstance(node, dict) and node.get(inv.only_if[0]) == inv.only_if[1]):
        return True
    if inv.native:
        from ra_conformance.validation.native import NATIVE

        return NATIVE[inv.native](node, resource)
    return holds(inv.expression, node, resource)


def message(inv: Invariant) -> str:
    """Human text of a failed invariant, naming its key and REQ id."""
    extra = f", {inv.req}" if inv.req and inv.req != inv.key else ""
    return f"{inv.human} ({inv.key}{extra})"
