"""Small, total helpers over FHIR JSON (plain dicts): never raise on odd shapes."""

from __future__ import annotations

import re
from typing import Any

ID_RE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_REF_RE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$")


def key(resource: Any) -> str | None:
    """'Type/id' of a resource, or None when it has no usable type and id."""
    if not isinstance(resource, dict):
        return None
    rtype, rid = resource.get("resourceType"), resource.get("id")
    if isinstance(rtype, str) and isinstance(rid, str) and rid:
        return f"{rtype}/{rid}"
    return None


def normalise_reference(ref: Any) -> str | None:
    """'Type/id' from a relative or absolute literal reference (with or without _history)."""
    if not isinstance(ref, str) or not ref or ref.startswith(("#", "urn:")):
        return None
    match = _REF_RE.search(ref.split("?", 1)[0])
    return f"{match.group(1)}/{match.group(2)}" if match else None


def reference_of(value: Any) -> str | None:
    """Normalised target of a Reference datatype."""
    return normalise_reference(value.get("reference")) if isinstance(value, dict) else None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def entries(bundle: Any) -> list[dict[str, Any]]:
    return [e for e in as_list(bundle.get("entry") if isinstance(bundle, dict) else None) if isinstance(e, dict)]


def entry_key(entry: dict[str, Any]) -> str | None:
    """'Type/id' of an entry: from its resource, else from its fullUrl."""
    return key(entry.get("resource")) or normalise_reference(entry.get("fullUrl"))


def evaluated_references(report: Any) -> list[str]:
    """Targets of MeasureReport.evaluatedResource, normalised, in order (duplicates kept)."""
    if not isinstance(report, dict):
        return []
    out = []
    for item in as_list(report.get("evaluatedResource")):
        ref = reference_of(item)
        if ref:
            out.append(ref)
    return out


def outcome_text(outcome: Any) -> str:
    """Everything an OperationOutcome says (diagnostics, details, expression, location), for 'names X' checks."""
    parts: list[str] = []
    for issue in as_list(outcome.get("issue") if isinstance(outcome, dict) else None):
        if not isinstance(issue, dict):
            continue
        for field_name in ("diagnostics",):
            if isinstance(issue.get(field_name), str):
                parts.append(issue[field_name])
        details = issue.get("details")
        if isinstance(details, dict):
            if isinstance(details.get("text"), str):
                parts.append(details["text"])
            for coding in as_list(details.get("coding")):
                if isinstance(coding, dict) and isinstance(coding.get("display"), str):
                    parts.append(coding["display"])
        for field_name in ("expression", "location"):
            parts.extend(v for v in as_list(issue.get(field_name)) if isinstance(v, str))
    return "\n".join(parts)


def names_reference(outcome: Any, ref: str) -> bool:
    """⚑ RA-SPEC §1.2: an OperationOutcome 'mentions' a subject when its reference string appears in it."""
    return ref in outcome_text(outcome)
