"""The Issue record every check produces (one output shape, a rule id on every issue)."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"
INFORMATION = "information"


@dataclass(frozen=True)
class Issue:
    severity: str  # "error" | "warning" | "information"
    location: str  # FHIRPath-style, e.g. "Bundle.entry[3].resource.period.start"
    rule: str  # REQ id, constraint key ("ra-1", "bdl-7") or "struct-..."
    message: str
    resource: str  # "MeasureReport/abc", or "MeasureReport[#3]" when the resource has no id


def resource_label(resource: object, ordinal: int = 0) -> str:
    """'Type/id', or 'Type[#n]' when the resource has no id (n = its place in the input)."""
    if not isinstance(resource, dict):
        return f"?[#{ordinal}]"
    rtype = resource.get("resourceType")
    rtype = rtype if isinstance(rtype, str) and rtype else "?"
    rid = resource.get("id")
    return f"{rtype}/{rid}" if isinstance(rid, str) and rid else f"{rtype}[#{ordinal}]"
