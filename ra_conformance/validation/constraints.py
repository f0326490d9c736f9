"""The error-severity invariants of base R4 (every one the definitions give a FHIRPath expression for).

Each constraint is attached to the type that defines it (a datatype, a resource or a backbone element) and
evaluated wherever a value of that type exists: natively for the hot or unimplementable ones (ele-1,
ext-1 and ref-1 in structure.py; dom-2..5 in dom.py; txt-1/2 in narrative.py; bdl-*, con-4/5, obs-6/7,
mrp-1/2, per-1, qty-3 in base_native.py; tests prove each twin equal to its FHIRPath), through fhirpathpy
(compiled once, with the node's type as base) for the rest and for shapes a twin leaves to it. An expression that raises is reported as its own warning (``invariant-unevaluable``), never as satisfied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from ra_conformance.jsonio import kept
from ra_conformance.validation import tables
from ra_conformance.validation.base_native import NATIVE, Native
from ra_conformance.validation.jsonkey import json_key


@cache
def _fhirpathpy() -> tuple[Any, Any, Any, Any]:
    """(apply_parsed_path, ResourceNode, the r4 model, parse), imported when first needed: the native
    twins judge the common resources without it, and a process (a --jobs worker) starts ~0.1 s sooner."""
    from fhirpathpy import apply_parsed_path
    from fhirpathpy.engine.nodes import ResourceNode
    from fhirpathpy.models import models
    from fhirpathpy.parser import parse

    return apply_parsed_path, ResourceNode, models["r4"], parse



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
            if node.__class__ is not dict:
                return True
            verdict = self.native(node, resource)
            if verdict is not None:
                return verdict
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
        data = json_key(node)
        key = (c.key + c.base, data) if data is not None else None
        found = _MEMO.get(key) if key is not None else None
        if found is not None:
            return found
    try:
        apply_parsed_path, resource_node, r4, _ = _fhirpathpy()
        result = apply_parsed_path(resource_node.create_node(node, c.base), _parsed(c.expression),
                                   {"resource": resource, "rootResource": resource}, r4, _OPTIONS)
        verdict: bool | str = not (len(result) == 1 and result[0] is False)
    except Exception as exc:  # noqa: BLE001 - fhirpathpy raises assorted errors; reported, not swallowed
        verdict = f"{type(exc).__name__}: {exc}"[:200]
    if key is not None:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[(key[0], kept(key[1]))] = verdict
    return verdict


@cache
def _parsed(expression: str) -> Any:
    return _fhirpathpy()[3](expression)


@lru_cache(maxsize=1)
def by_type() -> dict[str, tuple[Constraint, ...]]:
    """Type name -> its own constraints (those checked elsewhere left out); each expression is parsed once,
    when first evaluated (parsing all ~200 costs a quarter second at start-up)."""
    out: dict[str, tuple[Constraint, ...]] = {}
    for tname, rows in tables.load()["constraints"].items():
        items = []
        for child, key, _severity, human, expression in rows:
            if key in ELSEWHERE:
                continue
            base = tname.split(":", 1)[0]
            items.append(Constraint(child, key, human, expression, base + ("." + child if child else ""),
                                    _guard(expression), NATIVE.get(key)))
        if items:
            out[tname] = tuple(items)
    return out


def evaluated_keys() -> list[str]:
    """Every base invariant the validator evaluates (here, natively elsewhere, or by narrative.py)."""
    return sorted({row[1] for rows in tables.load()["constraints"].values() for row in rows})

