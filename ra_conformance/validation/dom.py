"""DomainResource invariants on contained resources (R4 dom-2, dom-3, dom-4, dom-5), natively."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def dom_checks(resource: dict[str, Any]) -> list[tuple[str, int, str]]:
    """[(key, index of the contained resource, message)] for a DomainResource with ``contained``."""
    contained = resource.get("contained")
    if not isinstance(contained, list):
        return []
    problems = []
    outside = None
    for i, item in enumerate(contained):
        if not isinstance(item, dict):
            continue
        if "contained" in item:
            problems.append(("dom-2", i, "a contained resource must not contain resources (dom-2)"))
        meta = item.get("meta")
        if isinstance(meta, dict):
            if "versionId" in meta or "lastUpdated" in meta:
                problems.append(("dom-4", i, "a contained resource must not have meta.versionId or "
                                             "meta.lastUpdated (dom-4)"))
            if "security" in meta:
                problems.append(("dom-5", i, "a contained resource must not have security labels (dom-5)"))
        rid = item.get("id")
        if isinstance(rid, str):
            if outside is None:
                # every string of the resource: references, canonicals, uris and urls among them (a
                # superset of what dom-3 reads, so no reference is missed)
                outside = set(_strings({k: v for k, v in resource.items() if k != "contained"}))
                outside |= {s for other in contained for s in _strings(other)}
            if "#" + rid not in outside and "#" not in set(_strings(item)):
                problems.append(("dom-3", i, f"contained resource #{rid} is not referenced from elsewhere in "
                                             "the resource, nor does it reference its container (dom-3)"))
    return problems
