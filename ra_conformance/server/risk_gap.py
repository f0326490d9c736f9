"""`$risk-gap` of the STU3 ballot (RA-SPEC §1.5): POST `MeasureReport/$risk-gap` with a Parameters body.

IN periodStart, periodEnd (date, 1..1), subject (Reference Patient, 1..1), coverage (Reference Coverage, 1..1),
organization / practitionerRole / encounter (Reference, 0..1), ccType / evidenceStatus (code, 0..*), data
(Bundle, 1..1). OUT: the Bundle itself (collection: the Patient, the reports, their evaluated resources).
⚑ decisions of the digest: references resolve against the `data` Bundle first (fullUrl or Type/id), then the
store; filters keep the groups whose ccType is one of the given codes AND whose evidenceStatus is one of the
given codes (OR within a parameter); a report without a remaining group is left out, and evaluatedResource
entries of removed groups go with them; a valid-id `contextId` header is echoed in `ra-contextId` (REQ-230).
A missing required parameter is a 400, an unresolvable subject or coverage a 422, each with an OperationOutcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..dates import DateFormatError, DayRange, day_range, period_overlaps
from .cc_gaps import ReadStore, cited_refs
from .errors import FhirError, bad_request
from .refs import local_ref, valid_id
from .shape import as_dict, as_list, as_str
from .store import now_instant

RA_SD = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/"
CC_TYPE_EXT = RA_SD + "ra-ccType"
EVIDENCE_STATUS_EXT = RA_SD + "ra-evidenceStatus"
GROUP_REFERENCE_EXT = RA_SD + "ra-groupReference"
CONTEXT_ID_EXT = RA_SD + "ra-contextId"
CONTEXT_ID_HEADER = "contextId"

_ONE = ("periodStart", "periodEnd", "subject", "coverage", "organization", "practitionerRole", "encounter", "data")
_MANY = ("ccType", "evidenceStatus")
_REQUIRED = ("periodStart", "periodEnd", "subject", "coverage", "data")


@dataclass(frozen=True)
class RiskGapRequest:
    patient: dict[str, Any]
    window: DayRange
    cc_types: frozenset[str]
    evidence_statuses: frozenset[str]
    context_id: str | None


def requested_filters(req: RiskGapRequest) -> tuple[frozenset[str], frozenset[str]]:
    """REQ-225/REQ-227: the ccType and evidenceStatus codes the request filters by."""
    return req.cc_types, req.evidence_statuses


@dataclass(frozen=True)
class Rules:
    """The operation's rules where a server can go wrong; the defaults are the ballot's (a fault swaps one:
    server/faults/risk_gap.py)."""

    required: tuple[str, ...] = _REQUIRED  # REQ-223
    filters: Callable[[RiskGapRequest], tuple[frozenset[str], frozenset[str]]] = requested_filters


RULES = Rules()


def parse(body: Any, store: ReadStore, *, base: str, context_id: str | None, rules: Rules = RULES) -> RiskGapRequest:
    """The request, or a FhirError (400 malformed/missing, 422 unresolvable subject or coverage)."""
    values = _parameters(body)
    required = [p for p in rules.required if p not in values]
    if required:
        raise FhirError(400, "required", f"missing required parameter(s): {', '.join(required)}",
                        expression=required[0])
    start, end = (_date(values, name) for name in ("periodStart", "periodEnd"))
    if end.last < start.first:
        raise bad_request("periodEnd is before periodStart", expression="periodEnd")
    resolve = _resolver(values.get("data"), store, base)
    patient = _resolve(resolve, values, "subject", "Patient")
    coverage = _resolve(resolve, values, "coverage", "Coverage") if "coverage" in values else None
    if coverage is not None:
        beneficiary = local_ref(as_dict(coverage.get("beneficiary")).get("reference"), base)
        if beneficiary != f"Patient/{patient['id']}":
            raise FhirError(422, "business-rule", f"the coverage's beneficiary ({beneficiary}) is not the subject",
                            expression="coverage")
    for name in ("organization", "practitionerRole", "encounter"):
        if name in values:
            _resolve(resolve, values, name, name[0].upper() + name[1:])
    return RiskGapRequest(
        patient=patient,
        window=DayRange(start.first, end.last),
        cc_types=frozenset(values.get("ccType", [])),
        evidence_statuses=frozenset(values.get("evidenceStatus", [])),
        context_id=context_id if valid_id(context_id) else None,
    )


def _parameters(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise bad_request("the request body must be a Parameters resource")
    values: dict[str, Any] = {}
    for n, param in enumerate(as_list(body.get("parameter"))):
        where = f"Parameters.parameter[{n}]"
        name = as_dict(param).get("name")
        if not isinstance(name, str):
            raise bad_request(f"{where} has no name", expression=where)
        if name in _MANY:
            code = param.get("valueCode", as_dict(param.get("valueCoding")).get("code"))
            if not isinstance(code, str):
                raise bad_request(f"{where} ({name}) must carry a valueCode", expression=where)
            values.setdefault(name, []).append(code)
        elif name in _ONE:
            if name in values:
                raise bad_request(f"parameter {name} is given more than once; it is allowed once", expression=name)
            values[name] = _value(name, param, where)
    return values


def _value(name: str, param: dict[str, Any], where: str) -> Any:
    if name in ("periodStart", "periodEnd"):
        value = param.get("valueDate")
        kind = "valueDate"
    elif name == "data":
        value = param.get("resource")
        if not (isinstance(value, dict) and value.get("resourceType") == "Bundle"):
            value = None
        kind = "resource (a Bundle)"
    else:
        value = as_dict(param.get("valueReference")).get("reference")
        kind = "valueReference with a reference"
    if not isinstance(value, dict if name == "data" else str):
        raise bad_request(f"{where} ({name}) must carry a {kind}", expression=where)
    return value


def _date(values: dict[str, Any], name: str) -> DayRange:
    try:
        return day_range(values[name], allow_time=False)
    except DateFormatError as exc:
        raise bad_request(f"parameter {name}: {exc}", expression=name) from None


Resolver = Callable[[str], "dict[str, Any] | None"]


def _resolver(data: Any, store: ReadStore, base: str) -> Resolver:
    """Look a reference up in the `data` Bundle (by fullUrl, then Type/id), then in the store."""
    by_url: dict[str, dict[str, Any]] = {}
    by_key: dict[str, dict[str, Any]] = {}
    for entry in as_list(as_dict(data).get("entry")):
        resource = as_dict(as_dict(entry).get("resource"))
        if not (isinstance(resource.get("resourceType"), str) and valid_id(resource.get("id"))):
            continue
        by_key[f"{resource['resourceType']}/{resource['id']}"] = resource
        if as_str(entry.get("fullUrl")):
            by_url[entry["fullUrl"]] = resource

    def resolve(reference: str) -> dict[str, Any] | None:
        if reference in by_url:
            return by_url[reference]
        key = local_ref(reference, base) or local_ref(reference)
        if key is None:
            return None
        return by_key.get(key) or store.get_ref(key)

    return resolve


def _resolve(resolve: Resolver, values: dict[str, Any], name: str, rtype: str) -> dict[str, Any]:
    reference = values[name]
    found = resolve(reference)
    if found is None or found.get("resourceType") != rtype:
        raise FhirError(422, "not-found", f"{name} {reference}: no {rtype} with this reference in the data Bundle "
                        "or on this server", expression=name)
    return found


# -- evaluation ---------------------------------------------------------------------------------------


def evaluate(store: ReadStore, req: RiskGapRequest, *, base: str, rules: Rules = RULES) -> dict[str, Any]:
    """REQ-227/REQ-228: the member's overlapping reports, filtered by CC, with their evidence, in one Bundle."""
    patient_ref = f"Patient/{req.patient['id']}"
    cc_types, statuses = rules.filters(req)
    reports = []
    for report in store.coding_gap_reports(patient_ref):
        if _overlaps(report, req.window):
            kept = filter_groups(report, cc_types, statuses)
            if kept is not None:
                reports.append(_with_context_id(kept, req.context_id))
    entries = [req.patient, *reports]
    seen = {patient_ref, *(f"MeasureReport/{r['id']}" for r in reports)}
    for report in reports:
        for ref in cited_refs(report, base):
            target = None if ref in seen else store.get_ref(ref)
            seen.add(ref)
            if target is not None:
                entries.append(target)
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": now_instant(),
        "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r} for r in entries],
    }


def _overlaps(report: dict[str, Any], win: DayRange) -> bool:
    try:
        return period_overlaps(report.get("period"), win)
    except (DateFormatError, KeyError, TypeError, ValueError):
        return False


def _codes(group: dict[str, Any], url: str) -> set[str]:
    return {as_str(as_dict(c).get("code")) or "" for e in as_list(group.get("extension"))
            if as_dict(e).get("url") == url for c in as_list(as_dict(as_dict(e).get("valueCodeableConcept")).get("coding"))}


def filter_groups(report: dict[str, Any], cc_types: frozenset[str], statuses: frozenset[str]) -> dict[str, Any] | None:
    """A copy of the report holding only the groups passing both filters (None when none passes)."""
    if not cc_types and not statuses:
        return report
    groups = [g for g in as_list(report.get("group")) if isinstance(g, dict)
              and (not cc_types or _codes(g, CC_TYPE_EXT) & cc_types)
              and (not statuses or _codes(g, EVIDENCE_STATUS_EXT) & statuses)]
    if not groups:
        return None
    kept_ids = {g.get("id") for g in groups}
    evaluated = [e for e in as_list(report.get("evaluatedResource"))
                 if not (refs := [as_str(x.get("valueString")) for x in as_list(as_dict(e).get("extension"))
                                  if as_dict(x).get("url") == GROUP_REFERENCE_EXT])
                 or set(refs) & kept_ids]
    out = {**report, "group": groups}
    if evaluated:
        out["evaluatedResource"] = evaluated
    else:
        out.pop("evaluatedResource", None)
    return out


def _with_context_id(report: dict[str, Any], context_id: str | None) -> dict[str, Any]:
    if context_id is None:  # REQ-230
        return report
    return {**report, "extension": [*as_list(report.get("extension")), {"url": CONTEXT_ID_EXT, "valueId": context_id}]}
