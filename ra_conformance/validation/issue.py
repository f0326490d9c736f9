"""Labels for the resources a validation issue names (the Issue record itself: ra_conformance.issues)."""

from __future__ import annotations


def resource_label(resource: object, ordinal: int = 0) -> str:
    """'Type/id', or 'Type[#n]' when the resource has no id (n = its place in the input)."""
    if not isinstance(resource, dict):
        return f"?[#{ordinal}]"
    rtype = resource.get("resourceType")
    rtype = rtype if isinstance(rtype, str) and rtype else "?"
    rid = resource.get("id")
    return f"{rtype}/{rid}" if isinstance(rid, str) and rid else f"{rtype}[#{ordinal}]"
