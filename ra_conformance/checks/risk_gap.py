"""Checks specific to the STU3 ballot's `$risk-gap` (RA-SPEC §1.5, REQ-220..REQ-230).

The reports and evidence of an answer are judged by checks/answer.py over the normalised answer
(fhir.risk_gap.parse_answer); here: the answer's envelope, the CC filters and the contextId echo.
"""

from __future__ import annotations

from ..fhir import resources as fr
from ..fhir.operation import OperationAnswer
from ..fhir.risk_gap import context_ids
from ..kit import RiskGapCase
from .findings import Finding, error, warning
from .registry import check

RA_SD = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/"
_FILTERS = (("ccType", RA_SD + "ra-ccType"), ("evidenceStatus", RA_SD + "ra-evidenceStatus"))


@check("REQ-228")
def returns_bundle(answer: OperationAnswer) -> list[Finding]:
    """A successful `$risk-gap` answers HTTP 200 with the `return` Bundle itself."""
    resp = answer.response
    if resp.error:
        return [error("the server did not give a usable answer", actual=resp.describe())]
    if resp.status != 200 or answer.problems:
        return [error("the answer is not a Bundle with HTTP 200", expected="200 + Bundle",
                      actual=f"HTTP {resp.status}: {'; '.join(answer.problems) or (resp.resource or {}).get('resourceType')}")]
    return []


def _codes(group: dict, url: str) -> set[str]:
    return {code for e in fr.as_list(group.get("extension")) if isinstance(e, dict) and e.get("url") == url
            for c in fr.as_list(fr.as_dict(e.get("valueCodeableConcept")).get("coding"))
            if isinstance(c, dict) and isinstance(code := c.get("code"), str)}


@check("REQ-227", "REQ-225")
def groups_satisfy_filters(answer: OperationAnswer, case: RiskGapCase) -> list[Finding]:
    """REQ-227 ⚑: every returned CC (MeasureReport.group) has one of the requested ccType codes and one of the
    requested evidenceStatus codes (OR within a parameter, AND across)."""
    wanted = {"ccType": set(case.cc_type), "evidenceStatus": set(case.evidence_status)}
    wrong = []
    for b in answer.returns:
        for report in b.reports:
            for n, group in enumerate(fr.as_list(report.get("group"))):
                if not isinstance(group, dict):
                    continue
                for name, url in _FILTERS:
                    if wanted[name] and not _codes(group, url) & wanted[name]:
                        wrong.append(f"{fr.key(report)} group[{n}] ({group.get('id')}): {name} {_fmt(_codes(group, url))}")
    if wrong:
        asked = "; ".join(f"{k}={','.join(sorted(v))}" for k, v in wanted.items() if v)
        return [error("returned CCs do not satisfy the filters", expected=asked, actual="; ".join(wrong[:10]))]
    return []


@check("REQ-230")
def context_id_echoed(answer: OperationAnswer, context_id: str) -> list[Finding]:
    """A valid-id contextId header is propagated into each returned report's ra-contextId (SHOULD)."""
    missing = [str(fr.key(r)) for b in answer.returns for r in b.reports if context_id not in context_ids(r)]
    if missing:
        return [warning("the contextId sent in the request header is not echoed in ra-contextId",
                        expected=context_id, actual=f"absent from {_fmt(set(missing))}")]
    return []


def _fmt(items: set) -> str:
    return ", ".join(sorted(str(i) for i in items)) if items else "(none)"
