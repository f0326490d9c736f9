"""The error-severity invariants of base R4 (every one the definitions give a FHIRPath expression for).

Each constraint is attached to the type that defines it (a datatype, a resource or a backbone element) and
evaluated wherever a value of that type exists: natively for the hot or unimplementable ones (ele-1,
ext-1 and ref-1 in structure.py; dom-2..5, per-1, txt-1/2, mrp-1/2, qty-3 here; tests prove each twin equal
to its FHIRPath), through fhirpathpy (compiled once, with the node's type as base) for the rest. An
expression that raises is reported as its own warning (``invariant-unevaluable``), never as satisfied.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import orjson
from fhirpathpy import apply_parsed_path
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models
from fhirpathpy.parser import parse

from ra_conformance.validation import tables
from ra_conformance.validation.period import start_not_after_end

_R4 = models["r4"]
Native = Callable[[dict[str, Any], dict[str, Any]], bool]


def _has_value(inputs: list[Any]) -> list[bool]:
    """FHIRPath hasValue() (not in fhirpathpy): one primitive with a value."""
    return [len(inputs) == 1 and inputs[0] is not None and not isinstance(inputs[0], (dict, list))]


def _resolve(_: list[Any]) -> list[Any]:
    """FHIRPath resolve() (not in fhirpathpy): references are not followed offline; an empty result is what
    the one base invariant using it (ctm-1: ``member.resolve().iif(empty(), true, ...)``) expects then."""
    return []


_USER = {"hasValue": {"fn": _has_value, "arity": {0: []}}, "resolve": {"fn": _resolve, "arity": {0: []}}}
# trace() (in several R4 expressions) prints to stdout unless given a function: never in our output
_OPTIONS = {"userInvocationTable": _USER, "traceFn": lambda label, value: None}


def _present(node: dict[str, Any], name: str) -> bool:
    return name in node or "_" + name in node


def _period_ok(node: dict[str, Any], _: dict[str, Any]) -> bool:
    """per-1: start.hasValue().not() or end.hasValue().not() or (start <= end)."""
    return start_not_after_end(node.get("start"), node.get("end"))


def _quantity_ok(node: dict[str, Any], _: dict[str, Any]) -> bool:
    """qty-3: code.empty() or system.exists()."""
    return not _present(node, "code") or _present(node, "system")


def _mrp_1(node: dict[str, Any], _: dict[str, Any]) -> bool:
    """mrp-1: (type != 'data-collection') or group.exists().not()."""
    return node.get("type") != "data-collection" or "group" not in node


def _items(node: Any, name: str) -> list[Any]:
    value = node.get(name) if isinstance(node, dict) else None
    return value if isinstance(value, list) else [value] if value is not None else []


def _mrp_2(node: dict[str, Any], _: dict[str, Any]) -> bool:
    """mrp-2: group.stratifier.stratum.all(value.exists() xor component.exists())."""
    return all(_present(stratum, "value") != _present(stratum, "component")
               for group in _items(node, "group") for stratifier in _items(group, "stratifier")
               for stratum in _items(stratifier, "stratum") if isinstance(stratum, dict))


NATIVE: dict[str, Native] = {"per-1": _period_ok, "qty-3": _quantity_ok, "mrp-1": _mrp_1, "mrp-2": _mrp_2}
# Checked elsewhere: ele-1, ext-1, ref-1 (structure.py), dom-2..5 (dom.py), txt-1/2 (narrative.py).
ELSEWHERE = frozenset({"ele-1", "ext-1", "ref-1", "dom-2", "dom-3", "dom-4", "dom-5", "txt-1", "txt-2"})
_GUARD = re.compile(r"^([a-zA-Z]+)\.(empty\(\) or |exists\(\) implies )")


def _guard(expression: str) -> str | None:
    """``X.empty() or REST`` / ``X.exists() implies REST`` hold whenever X is absent — unless REST has an
    operator of lower or equal precedence that would regroup the expression (implies, xor)."""
    match = _GUARD.match(expression)
    rest = expression[match.end():] if match else ""
    if match is None or " implies " in rest or " xor " in rest:
        return None
    return match.group(1)


@dataclass(frozen=True)
class Constraint:
    child: str  # "" = the object itself, else the child element evaluated (each item)
    key: str
    human: str
    expression: str
    base: str  # the FHIR type / path of the evaluated node (fhirpathpy's type context)
    guard: str | None  # an element whose absence satisfies the expression (skip evaluation)
    native: Native | None

    def holds(self, node: Any, resource: dict[str, Any]) -> bool | str:
        """True, False, or the error text of an expression fhirpathpy cannot evaluate."""
        if self.native is not None:
            return self.native(node, resource) if isinstance(node, dict) else True
        if self.guard is not None and isinstance(node, dict) and not any(
                k.startswith((self.guard, "_" + self.guard)) for k in node):
            return True
        return _evaluate(self, node, resource)


_MEMO: dict[tuple[str, bytes], bool | str] = {}
_MEMO_LIMIT = 20_000


def _evaluate(c: Constraint, node: Any, resource: dict[str, Any]) -> bool | str:
    """Expressions that do not read %resource are memoised on the node's JSON (bounded)."""
    key = None
    if "%resource" not in c.expression and "%rootResource" not in c.expression:
        try:
            key = (c.key + c.base, orjson.dumps(node))
        except TypeError:  # not JSON (e.g. non-string keys from a hostile caller): no memo
            key = None
        found = _MEMO.get(key) if key is not None else None
        if found is not None:
            return found
    try:
        result = apply_parsed_path(ResourceNode.create_node(node, c.base), _parsed(c.expression),
                                   {"resource": resource, "rootResource": resource}, _R4,
                                   _OPTIONS)
        verdict: bool | str = not (len(result) == 1 and result[0] is False)
    except Exception as exc:  # noqa: BLE001 - fhirpathpy raises assorted errors; reported, not swallowed
        verdict = f"{type(exc).__name__}: {exc}"[:200]
    if key is not None:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[key] = verdict
    return verdict


@cache
def _parsed(expression: str) -> Any:
    return parse(expression)


@lru_cache(maxsize=1)
def by_type() -> dict[str, tuple[Constraint, ...]]:
    """Type name -> its own constraints (those checked elsewhere left out), expressions parsed once."""
    out: dict[str, tuple[Constraint, ...]] = {}
    for tname, rows in tables.load()["constraints"].items():
        items = []
        for child, key, _severity, human, expression in rows:
            if key in ELSEWHERE:
                continue
            base = tname.split(":", 1)[0]
            items.append(Constraint(child, key, human, expression, base + ("." + child if child else ""),
                                    _guard(expression), NATIVE.get(key)))
            _parsed(expression)
        if items:
            out[tname] = tuple(items)
    return out


def evaluated_keys() -> list[str]:
    """Every base invariant the validator evaluates (here, natively elsewhere, or by narrative.py)."""
    return sorted({row[1] for rows in tables.load()["constraints"].values() for row in rows})

