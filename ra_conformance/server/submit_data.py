"""Base FHIR `Measure/$submit-data` (RA-SPEC §6.1, REQ-197/REQ-208): the data-submission server's receiving end.

IN ``measureReport`` 1..1 (an ``ra-datax-measurereport``) and ``resource`` 0..* (the evidence). Each resource is
vetted like a create (write validation: strict refuses with 422 + OperationOutcome, warn stores and lists the
issues) and stored (the report under a new id, evidence under its own); the answer is 200 with an OperationOutcome
naming what was stored (the operation has no OUT parameter).
"""

from __future__ import annotations

from typing import Any

from .errors import FhirError, bad_request, issue, operation_outcome
from .incoming import IncomingCheck, run_check
from .rest import Answer
from .store import Store


def _parts(body: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise bad_request("$submit-data takes a Parameters body")
    params = [p for p in body.get("parameter") or [] if isinstance(p, dict)]
    reports = [p.get("resource") for p in params if p.get("name") == "measureReport"]
    if len(reports) != 1 or not isinstance(reports[0], dict) or reports[0].get("resourceType") != "MeasureReport":
        raise bad_request("$submit-data needs exactly one `measureReport` parameter holding a MeasureReport",
                          expression="Parameters.parameter")
    given = [p.get("resource") for p in params if p.get("name") == "resource"]
    evidence = [r for r in given if isinstance(r, dict) and isinstance(r.get("resourceType"), str)]
    if len(evidence) != len(given):
        raise bad_request("every `resource` parameter holds a resource", expression="Parameters.parameter")
    return reports[0], evidence


def submit(store: Store, body: Any, check: IncomingCheck) -> Answer:
    report, evidence = _parts(body)
    reported = [i for resource in (report, *evidence) for i in run_check(check, {k: v for k, v in resource.items() if k != "id"})]
    stored: list[str] = []
    with store.atomic():
        for resource in (*evidence, report):
            if isinstance(resource.get("id"), str):  # evidence keeps its id so evaluatedResource references resolve
                saved, _ = store.put(resource)
            else:
                saved = store.create(resource)
            stored.append(f"{saved['resourceType']}/{saved['id']}")
    if not stored:  # pragma: no cover - _parts guarantees the report
        raise FhirError(400, "required", "nothing to store")
    return Answer(200, operation_outcome(issue("information", "informational", "stored " + ", ".join(stored)), *reported))
