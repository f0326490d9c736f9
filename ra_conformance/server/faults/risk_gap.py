"""Defects of `$risk-gap` (server/risk_gap.py): the rules a wrong server reads differently and a rewrite."""

from __future__ import annotations

from ..layer import Call
from ..rest import Answer
from ..risk_gap import _REQUIRED, CONTEXT_ID_EXT, RiskGapRequest
from ..shape import as_dict, as_list

WITHOUT_COVERAGE = tuple(p for p in _REQUIRED if p != "coverage")


def no_cc_type_filter(req: RiskGapRequest) -> tuple[frozenset[str], frozenset[str]]:
    """risk-gap-ignores-filter: only the evidenceStatus filter applies."""
    return frozenset(), req.evidence_statuses


def drop_context_id(call: Call, answer: Answer) -> Answer:
    """risk-gap-drops-contextid: no ra-contextId on the returned reports."""
    body = answer.body
    if not (call.path.rstrip("/").endswith("/MeasureReport/$risk-gap") and isinstance(body, dict)):
        return answer
    for entry in as_list(body.get("entry")):
        resource = as_dict(as_dict(entry).get("resource"))
        if resource.get("resourceType") == "MeasureReport" and "extension" in resource:
            kept = [e for e in as_list(resource["extension"]) if as_dict(e).get("url") != CONTEXT_ID_EXT]
            entry["resource"] = {k: v for k, v in resource.items() if k != "extension"} | ({"extension": kept} if kept else {})
    return answer
