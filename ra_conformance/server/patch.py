"""PATCH for the reference server: JSON Patch (RFC 6902, the CapabilityStatements' patchFormat) and the
FHIRPath Patch subset the RA IG uses to add ccRemarks (REQ-185, REQ-204/REQ-205, ra-parameters-cc-remark-patch).

FHIRPath Patch paths supported: `Type.elem(.elem)*` where a step may be followed by `.where(field='literal')`
or `.first()`, and an element may carry an index `elem[n]` — enough for `MeasureReport.group.where(id='g1')`.
Operations: add, replace, delete. Anything else is refused with 422, never guessed.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import jsonpatch

from .errors import FhirError

JSON_PATCH = "application/json-patch+json"
LIST_ELEMENTS = {"extension", "modifierExtension", "coding", "identifier", "group", "evaluatedResource", "entry", "part"}
_STEP = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_]*)(\[(?P<index>\d+)\])?$")
_WHERE = re.compile(r"^where\((?P<field>[A-Za-z][A-Za-z0-9_]*)\s*=\s*'(?P<value>(?:[^'\\]|\\.)*)'\)$")


def _unprocessable(message: str) -> FhirError:
    return FhirError(422, "processing", message)


def apply_json_patch(resource: dict[str, Any], patch: Any) -> dict[str, Any]:
    if not isinstance(patch, list):
        raise FhirError(400, "structure", "a JSON Patch body is an array of operations")
    try:
        return jsonpatch.apply_patch(resource, patch)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, ValueError) as exc:
        raise _unprocessable(f"the JSON Patch cannot be applied: {exc}") from None


def _steps(path: str, rtype: str) -> list[str]:
    parts, depth, quoted, current = [], 0, False, ""
    for ch in path:
        if ch == "'" and depth:
            quoted = not quoted
        if ch == "(" and not quoted:
            depth += 1
        if ch == ")" and not quoted:
            depth -= 1
        if ch == "." and not depth and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    if not parts or parts[0] != rtype:
        raise _unprocessable(f"the path {path!r} must start with {rtype}")
    return parts[1:]


def _select(resource: dict[str, Any], path: str) -> list[tuple[Any, Any]]:
    """(container, key) pairs the path denotes; container[key] is the node."""
    current: list[tuple[Any, Any]] = [({"_": resource}, "_")]
    for step in _steps(path, resource.get("resourceType", "")):
        nodes = [c[k] for c, k in current]
        where = _WHERE.match(step)
        if where:
            current = [(c, k) for (c, k), n in zip(current, nodes, strict=True) if isinstance(n, dict) and n.get(where["field"]) == where["value"]]
            continue
        if step == "first()":
            current = current[:1]
            continue
        match = _STEP.match(step)
        if not match:
            raise _unprocessable(f"the path step {step!r} is not supported by this server")
        name, index = match["name"], match["index"]
        nxt: list[tuple[Any, Any]] = []
        for node in nodes:
            if not isinstance(node, dict) or name not in node:
                continue
            value = node[name]
            if isinstance(value, list):
                nxt.extend((value, i) for i in range(len(value)))
            else:
                nxt.append((node, name))
        current = [nxt[int(index)]] if index is not None and int(index) < len(nxt) else ([] if index is not None else nxt)
    return current


def _part_value(part: dict[str, Any]) -> Any:
    """A Parameters part as a FHIR JSON value: value[x], or an object built from its sub-parts."""
    for key, value in part.items():
        if key.startswith("value"):
            return value
    if "part" in part:
        obj: dict[str, Any] = {}
        for sub in part["part"]:
            if not isinstance(sub, dict) or not isinstance(sub.get("name"), str):
                raise _unprocessable("a value part has no name")
            value = _part_value(sub)
            if sub["name"] in LIST_ELEMENTS:
                obj.setdefault(sub["name"], []).append(value)
            else:
                obj[sub["name"]] = value
        return obj
    raise _unprocessable("an operation value has neither value[x] nor parts")


def _operation(param: dict[str, Any]) -> dict[str, Any]:
    if param.get("name") != "operation" or not isinstance(param.get("part"), list):
        raise FhirError(400, "structure", "every FHIRPath Patch parameter is an `operation` with parts")
    out: dict[str, Any] = {}
    for part in param["part"]:
        if not isinstance(part, dict) or not isinstance(part.get("name"), str):
            raise FhirError(400, "structure", "an operation part has no name")
        out[part["name"]] = part if part["name"] == "value" else next((v for k, v in part.items() if k.startswith("value")), None)
    return out


def apply_fhirpath_patch(resource: dict[str, Any], body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters" or not isinstance(body.get("parameter"), list):
        raise FhirError(400, "structure", "a FHIRPath Patch body is a Parameters resource with `operation` parameters")
    result = copy.deepcopy(resource)
    for param in body["parameter"]:
        op = _operation(param if isinstance(param, dict) else {})
        kind, path = op.get("type"), op.get("path")
        if not isinstance(path, str):
            raise FhirError(400, "required", "an operation has no path")
        targets = _select(result, path)
        if kind == "add":
            if len(targets) != 1 or not isinstance(op.get("name"), str) or not isinstance(op.get("value"), dict):
                raise _unprocessable(f"add needs exactly one element at {path!r} (found {len(targets)}), a name and a value")
            node = targets[0][0][targets[0][1]]
            value = _part_value(op["value"])
            if op["name"] in LIST_ELEMENTS:
                node.setdefault(op["name"], []).append(value)
            else:
                node[op["name"]] = value
        elif kind == "replace":
            if len(targets) != 1:
                raise _unprocessable(f"replace needs exactly one element at {path!r} (found {len(targets)})")
            container, key = targets[0]
            container[key] = _part_value(op["value"]) if isinstance(op.get("value"), dict) else op.get("value")
        elif kind == "delete":
            for container, key in sorted(targets, key=lambda t: t[1] if isinstance(t[1], int) else 0, reverse=True):
                del container[key]
        else:
            raise _unprocessable(f"FHIRPath Patch operation type {kind!r} is not supported by this server")
    return result
