"""`$risk-gap` of the STU3 ballot (RA-SPEC §1.5) as a coding-gap retrieval: request form and answer normalisation.

POST `[base]/MeasureReport/$risk-gap` with a Parameters body (periodStart, periodEnd, subject and coverage as
References, ccType / evidenceStatus codes, the `data` Bundle carrying the referenced resources) and an optional
`contextId` header. The answer is a Bundle; ``invoke`` normalises it into an OperationAnswer whose ``returns``
hold one group per patient, like every other version's flow.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..kit import RiskGapCase
from . import resources as fr
from .client import FhirClient, FhirResponse
from .operation import OperationAnswer, group_by_patient

PATH = "MeasureReport/$risk-gap"
CONTEXT_ID_HEADER = "contextId"
CONTEXT_ID_EXT = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/ra-contextId"


def data_bundle(resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The `data` parameter: a collection Bundle of the resources the references point to (each once)."""
    seen: dict[str, dict[str, Any]] = {}
    for r in resources:
        k = fr.key(r)
        if k and k not in seen:
            seen[k] = r
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"urn:ra-conform:{k}", "resource": r} for k, r in seen.items()]}


def request_body(case: RiskGapCase, kit_resources: dict[str, dict[str, Any]], *,
                 omit: tuple[str, ...] = ()) -> dict[str, Any]:
    """The Parameters of a kit case; ``omit`` leaves named parameters out (to test the required ones)."""
    s = case.scenario
    carried = [kit_resources[ref] for ref in (s.subject, case.coverage) if ref in kit_resources] + list(case.data)
    params: list[dict[str, Any]] = [
        {"name": "periodStart", "valueDate": s.period_start},
        {"name": "periodEnd", "valueDate": s.period_end},
        {"name": "subject", "valueReference": {"reference": s.subject}},
        {"name": "coverage", "valueReference": {"reference": case.coverage}},
        *({"name": "ccType", "valueCode": c} for c in case.cc_type),
        *({"name": "evidenceStatus", "valueCode": c} for c in case.evidence_status),
        {"name": "data", "resource": data_bundle(carried)},
    ]
    return {"resourceType": "Parameters", "parameter": [p for p in params if p["name"] not in omit]}


def parse_answer(response: FhirResponse, patients: tuple[str, ...] | list[str] = ()) -> OperationAnswer:
    """The returned Bundle grouped per patient; anything else is described in ``problems``."""
    answer = OperationAnswer(response=response)
    body = response.resource
    if response.error:
        answer.problems.append(response.describe())
    elif body is None:
        answer.problems.append(response.json_error or "the response body is not a FHIR resource")
    elif body.get("resourceType") != "Bundle":
        answer.problems.append(f"the response is a {body.get('resourceType')} (HTTP {response.status}), not a Bundle")
    else:
        answer.returns = group_by_patient(fr.entries(body), patients=patients, origin="$risk-gap Bundle entries")
    return answer


class RiskGapOperation:
    """`POST [base]/MeasureReport/$risk-gap` (REQ-220)."""

    def __init__(self, client: FhirClient) -> None:
        self.client = client

    def post(self, body: Any, *, context_id: str | None = None) -> FhirResponse:
        headers = {CONTEXT_ID_HEADER: context_id} if context_id is not None else None
        return self.client.post(PATH, json=body, headers=headers)

    def invoke(self, case: RiskGapCase, kit_resources: dict[str, dict[str, Any]], *,
               context_id: str | None = None) -> OperationAnswer:
        response = self.post(request_body(case, kit_resources), context_id=context_id)
        return parse_answer(response, patients=list(case.scenario.returns))


def context_ids(report: Any) -> list[str]:
    """The ra-contextId values a returned report carries."""
    if not isinstance(report, dict):
        return []
    return [v for e in fr.as_list(report.get("extension"))
            if isinstance(e, dict) and e.get("url") == CONTEXT_ID_EXT and isinstance(v := e.get("valueId"), str)]
