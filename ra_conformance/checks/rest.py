"""Checks on the RESTful interactions the RA CapabilityStatements require (REQ-180..REQ-191, REQ-205)."""

from __future__ import annotations

from typing import Any

from ..fhir import resources as fr
from ..fhir.client import FhirResponse
from ..fhir.rest import Scratch, created_id
from .findings import Finding, error, warning
from .registry import check


@check()
def create_outcome(resp: FhirResponse, rtype: str, req: str) -> list[Finding]:
    """201 Created with the new id (body or Location)."""
    if resp.status != 201:
        return [error(f"create of a {rtype} was not answered 201 Created", reqs=req, actual=resp.describe())]
    if created_id(resp, rtype) is None:
        return [error("the created resource's id is neither in the body nor in Location", reqs=req, actual=resp.headers.get("location", "(no Location)"))]
    if "location" not in resp.headers:
        return [warning("201 Created without a Location header", reqs=req)]
    return []


@check("REQ-183")
def scratch_created(scratch: Scratch) -> list[Finding]:
    """The scratch Patient and its coding-gap report were created (201, with their new ids)."""
    findings = [] if scratch.patient_id else [error("the target did not create the scratch Patient", actual=scratch.patient.describe())]
    return findings + create_outcome(scratch.report, "MeasureReport", "REQ-183")


@check()
def read_back(resp: FhirResponse, ref: str, req: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The answer to GET ``ref`` is that resource."""
    if resp.status == 200 and fr.key(resp.resource) == ref:
        return resp.resource, []
    return None, [error(f"{ref} cannot be read back", reqs=req, actual=resp.describe())]


@check()
def succeeded(resp: FhirResponse, req: str, what: str, statuses: tuple[int, ...] = (200, 201, 204)) -> list[Finding]:
    if resp.status in statuses:
        return []
    return [error(f"{what} failed", reqs=req, expected=" or ".join(map(str, statuses)), actual=resp.describe())]


@check()
def gone(resp: FhirResponse, ref: str, req: str) -> list[Finding]:
    """The answer to GET ``ref`` after its DELETE."""
    if resp.status in (404, 410):
        return []
    return [error(f"{ref} can still be read after DELETE", reqs=req, expected="404 or 410", actual=resp.describe())]


@check()
def same_except_meta(a: dict[str, Any] | None, b: dict[str, Any] | None, req: str, what: str) -> list[Finding]:
    strip = lambda r: {k: v for k, v in (r or {}).items() if k not in ("meta", "text")}  # noqa: E731
    if strip(a) == strip(b):
        return []
    changed = sorted(k for k in set(strip(a)) | set(strip(b)) if strip(a).get(k) != strip(b).get(k))
    return [error(f"{what} changed elements it should not have", reqs=req, actual=", ".join(changed))]


@check()
def batch_answered(resp: FhirResponse, kind: str, entries: int, req: str) -> list[Finding]:
    """REQ-180/REQ-181: a batch/transaction is answered with a <kind>-response Bundle, one entry per request."""
    body = resp.resource
    if resp.status != 200 or body is None or body.get("type") != f"{kind}-response":
        return [error(f"the {kind} was not answered with a {kind}-response Bundle", reqs=req, actual=resp.describe())]
    got = fr.entries(body)
    if len(got) != entries or not all(isinstance(e.get("response"), dict) and str(e["response"].get("status", "")).startswith("2") for e in got):
        return [error(f"the {kind}-response does not answer every entry with a 2xx", reqs=req, expected=str(entries), actual=str([e.get("response") for e in got]))]
    return []


def first_group_id(report: Any) -> str:
    """The id of a report's first group ('' when the server's report has no usable group)."""
    groups = report.get("group") if isinstance(report, dict) else None
    first = groups[0] if isinstance(groups, list) and groups else None
    gid = first.get("id") if isinstance(first, dict) else None
    return gid if isinstance(gid, str) else ""


@check()
def with_group_extension(report: Any, extension: dict[str, Any], req: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The report as it should read after adding ``extension`` to its first group (REQ-205), or a finding when
    the server's report has no group object to add it to."""
    groups = report.get("group") if isinstance(report, dict) else None
    if not isinstance(groups, list) or not groups or not all(isinstance(g, dict) for g in groups):
        return None, [error("the report read back has no group objects to patch", reqs=req, actual=f"group: {str(groups)[:200]}")]
    assert isinstance(report, dict)
    first = groups[0]
    extensions = first.get("extension") if isinstance(first.get("extension"), list) else []
    return {**report, "group": [{**first, "extension": [*extensions, extension]}, *(dict(g) for g in groups[1:])]}, []


@check()
def update_created(resp: FhirResponse, req: str) -> list[Finding]:
    """R4 update: a PUT to an id the server does not hold, where update-as-create is allowed, answers 201 Created."""
    if resp.status == 201:
        return []
    if resp.status == 200:
        return [error("an update that created the resource was answered 200 OK (R4: 201 Created)", reqs=req, expected="201", actual="200")]
    return [error("the update-as-create failed", reqs=req, expected="201", actual=resp.describe())]


@check()
def transaction_refused(resp: FhirResponse, req: str) -> list[Finding]:
    """R4 transaction: when one entry fails, the whole transaction fails (an error status, no transaction-response)."""
    body = resp.resource or {}
    if resp.status is not None and 200 <= resp.status < 300:
        return [error("a transaction with a failing entry was answered as a success (R4: all entries succeed or "
                           "the transaction fails)", reqs=req, expected="4xx + OperationOutcome", actual=f"HTTP {resp.status} {body.get('type') or body.get('resourceType')}")]
    if resp.status is not None and resp.status >= 500:
        return [warning("a failing entry should fail the transaction with a 4xx, not a server error", reqs=req, actual=resp.describe())]
    return []


@check()
def nothing_kept(resp: FhirResponse, ref: str, req: str) -> list[Finding]:
    """After a failed transaction, the resource its successful entry wrote does not exist (atomicity): the answer
    to GET ``ref``."""
    if resp.status in (404, 410):
        return []
    return [error(f"the transaction failed but its other entry's change was kept: {ref} exists", reqs=req, expected="404 or 410", actual=resp.describe())]
