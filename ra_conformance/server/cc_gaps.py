"""The coding-gap operation (``$cc-gaps`` = STU1 ``$report`` = draft ``$ra.cc-gaps``), RA-SPEC §1.2.

Pure functions over a read-only store: parse and validate the parameters, resolve the subject, choose the
reports whose period overlaps the window (inclusive, by calendar day; REQ-023/REQ-024), and assemble one
collection Bundle per valid patient plus one OperationOutcome per invalid subject or group member.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Protocol

from ..dates import DateFormatError, DayRange, day_range, period_overlaps
from ..ig import PROFILE_BUNDLE
from .errors import FhirError, bad_request, not_found_outcome
from .faults import FaultSet
from .refs import ID_RE, local_ref, valid_id
from .shape import as_dict, as_list, as_str
from .store import now_instant

PARAMS = ("periodStart", "periodEnd", "subject")
_SUBJECT_RE = re.compile(r"^(Patient|Group)/(" + ID_RE.pattern.strip("^$") + ")$")


class ReadStore(Protocol):
    def get(self, rtype: str, rid: str) -> dict[str, Any] | None: ...
    def get_ref(self, ref: str) -> dict[str, Any] | None: ...
    def coding_gap_reports(self, subject: str | None = None) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class CcGapsRequest:
    subject: str  # "Patient/<id>" or "Group/<id>"
    period_start: str
    period_end: str
    window: DayRange


# -- parameters -------------------------------------------------------------------------------------


def parse_query(items: Sequence[tuple[str, str]], faults: FaultSet) -> CcGapsRequest:
    """GET form: each of periodStart, periodEnd and subject exactly once (other parameters are ignored)."""
    values: dict[str, str] = {}
    for name in PARAMS:
        given = [v for k, v in items if k == name]
        if len(given) > 1:
            raise bad_request(f"parameter {name} is given {len(given)} times; it is allowed once", expression=name)
        if given:
            values[name] = given[0]
    return _build(values, faults)


def parse_parameters(body: Any, faults: FaultSet) -> CcGapsRequest:
    """POST form: a Parameters resource; dates as valueDate (or valueString), subject as valueString."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise bad_request("the request body must be a Parameters resource")
    params = body.get("parameter", [])
    if not isinstance(params, list):
        raise bad_request("Parameters.parameter must be an array", expression="Parameters.parameter")
    values: dict[str, str] = {}
    for n, param in enumerate(params):
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            raise bad_request(f"Parameters.parameter[{n}] has no name", expression=f"Parameters.parameter[{n}]")
        name = param["name"]
        if name not in PARAMS:
            continue
        if name in values:
            raise bad_request(f"parameter {name} is given more than once; it is allowed once", expression=name)
        values[name] = _param_value(param, n)
    return _build(values, faults)


def _param_value(param: dict[str, Any], n: int) -> str:
    name = param["name"]
    if name == "subject":
        ref = param.get("valueReference")
        value = ref.get("reference") if isinstance(ref, dict) else param.get("valueString")
    else:
        value = param.get("valueDate", param.get("valueString"))
    if not isinstance(value, str):
        kind = "valueString" if name == "subject" else "valueDate"
        raise bad_request(f"parameter {name} must carry a {kind}", expression=f"Parameters.parameter[{n}]")
    return value


def _build(values: dict[str, str], faults: FaultSet) -> CcGapsRequest:
    missing = [p for p in PARAMS if p not in values]
    if missing:
        raise FhirError(400, "required", f"missing required parameter(s): {', '.join(missing)}", expression=missing[0])
    ranges = {}
    for name in ("periodStart", "periodEnd"):
        try:
            ranges[name] = day_range(values[name], allow_time=False)
        except DateFormatError as exc:
            if faults.on("server-error-on-bad-date"):  # FAULT: server-error-on-bad-date
                raise RuntimeError(f"cannot parse {values[name]!r}") from None
            raise bad_request(f"parameter {name}: {exc}", expression=name) from None
    start, end = ranges["periodStart"], ranges["periodEnd"]
    if end.last < start.first:
        raise bad_request(
            f"periodEnd {values['periodEnd']} is before periodStart {values['periodStart']}", expression="periodEnd"
        )
    return CcGapsRequest(_subject(values["subject"], faults), values["periodStart"], values["periodEnd"],
                         DayRange(start.first, end.last))


def _subject(value: str, faults: FaultSet) -> str:
    if _SUBJECT_RE.match(value):
        return value
    if valid_id(value):
        if faults.on("accept-bare-id"):  # FAULT: accept-bare-id
            return f"Patient/{value}"
        raise bad_request(
            f"subject {value!r} is a bare id; it must be Patient/<id> or Group/<id> (the type cannot be inferred)",
            expression="subject",
        )
    raise bad_request(f"subject {value!r} must be Patient/<id> or Group/<id>", expression="subject")


# -- evaluation ---------------------------------------------------------------------------------------


def evaluate(store: ReadStore, req: CcGapsRequest, *, base: str, faults: FaultSet) -> dict[str, Any]:
    """The operation's answer: a Parameters resource (REQ-019) with `return` and `outcome` parameters."""
    rtype, rid = req.subject.split("/", 1)
    if rtype == "Patient":
        params = _patient_subject(store, rid, req, base=base, faults=faults)
    else:
        params = _group_subject(store, rid, req, base=base, faults=faults)
    return {"resourceType": "Parameters", "parameter": params}


def _patient_subject(store: ReadStore, pid: str, req: CcGapsRequest, *, base: str, faults: FaultSet) -> list[dict]:
    patient = store.get("Patient", pid)
    if patient is not None:
        return _returns(store, patient, req, base=base, faults=faults)
    ref = f"Patient/{pid}"
    if faults.on("unknown-patient-bare-404"):  # FAULT: unknown-patient-bare-404
        raise FhirError(404, "not-found", f"{ref}: patient not found on this server")
    if faults.on("unknown-patient-empty-bundle"):  # FAULT: unknown-patient-empty-bundle
        return [_param("return", _bundle([], base=base, faults=faults), faults)]
    return [_param("outcome", not_found_outcome(ref, "patient"), faults)]  # REQ-032


def _group_subject(store: ReadStore, gid: str, req: CcGapsRequest, *, base: str, faults: FaultSet) -> list[dict]:
    ref = f"Group/{gid}"
    group = store.get("Group", gid)
    if group is None:
        return [_param("outcome", not_found_outcome(ref, "group"), faults)]  # REQ-033
    members = group_members(group, base)
    patients = {m: store.get_ref(m) for m in members if m.startswith("Patient/")}
    if not any(patients.values()):
        return [_param("outcome", not_found_outcome(ref, "group with no member found"), faults)]  # REQ-034
    params: list[dict[str, Any]] = []
    for member in members:  # REQ-035/REQ-036: one return per known member, one outcome per unknown member
        patient = patients.get(member)
        if patient is not None:
            params += _returns(store, patient, req, base=base, faults=faults)
        elif not faults.on("drop-unknown-members"):  # FAULT: drop-unknown-members
            params.append(_param("outcome", not_found_outcome(member, "group member"), faults))
    return params


def group_members(group: dict[str, Any], base: str) -> list[str]:
    """The group's member references, normalised where local, each once, in group order."""
    seen: dict[str, None] = {}
    for n, member in enumerate(as_list(group.get("member"))):
        raw = as_str(as_dict(as_dict(member).get("entity")).get("reference"))
        key = local_ref(raw, base) or raw or f"Group/{group.get('id')}#member[{n}]"
        seen.setdefault(key, None)
    return list(seen)


def _returns(store: ReadStore, patient: dict[str, Any], req: CcGapsRequest, *, base: str,
             faults: FaultSet) -> list[dict[str, Any]]:
    reports = matching_reports(store, patient, req.window, faults)
    params = [_param("return", patient_bundle(store, patient, reports, base=base, faults=faults), faults)]
    if not reports and faults.on("outcome-on-no-match"):  # FAULT: outcome-on-no-match
        ref = f"Patient/{patient['id']}"
        params.append(_param("outcome", {"resourceType": "OperationOutcome", "issue": [
            {"severity": "information", "code": "informational", "diagnostics": f"{ref}: no matching report"}]},
            faults))
    return params


def matching_reports(store: ReadStore, patient: dict[str, Any], win: DayRange, faults: FaultSet) -> list[dict]:
    """The patient's coding-gap reports whose period overlaps the window (REQ-023..REQ-026)."""
    ref = f"Patient/{patient['id']}"
    reports = [r for r in store.coding_gap_reports(ref) if report_matches(r, win, faults)]
    if faults.on("leak-other-patient-report"):  # FAULT: leak-other-patient-report
        others = [r for r in store.coding_gap_reports() if local_ref(as_dict(r.get("subject")).get("reference")) != ref]
        reports += [r for r in others if report_matches(r, win, faults)][:1] or others[:1]
    if reports and faults.on("duplicate-report"):  # FAULT: duplicate-report
        reports.append(reports[0])
    return reports


def report_matches(report: dict[str, Any], win: DayRange, faults: FaultSet) -> bool:
    """REQ-024: report.start <= window.end and report.end >= window.start, by calendar day, inclusive."""
    if faults.on("ignore-period"):  # FAULT: ignore-period
        return True
    period = as_dict(report.get("period"))
    try:
        if faults.on("utc-date-normalisation"):  # FAULT: utc-date-normalisation
            rng = DayRange(_utc_day(period["start"]), _utc_day(period["end"]))
        elif faults.on("exclusive-boundaries"):  # FAULT: exclusive-boundaries
            rng = DayRange(day_range(period["start"]).first, day_range(period["end"]).last)
            return rng.first < win.last and rng.last > win.first
        else:
            return period_overlaps(period, win)
    except (DateFormatError, KeyError, TypeError, ValueError):
        return False  # a report without a readable period cannot be said to overlap
    return rng.overlaps(win)


def _utc_day(value: str) -> date:  # only for the utc-date-normalisation fault
    if "T" not in value:
        return day_range(value).first
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc).date()


def patient_bundle(store: ReadStore, patient: dict[str, Any], reports: list[dict[str, Any]], *, base: str,
                   faults: FaultSet) -> dict[str, Any]:
    """Patient first, then the reports, then every cited resource, each exactly once (REQ-021/027/028)."""
    patient_ref = f"Patient/{patient['id']}"
    entries = [] if faults.on("omit-patient-entry") else [patient]  # FAULT: omit-patient-entry
    entries += [profile_faults(r, faults) for r in reports]
    if not faults.on("omit-cited-resources"):  # FAULT: omit-cited-resources
        base_seen = {patient_ref, *(f"MeasureReport/{r['id']}" for r in reports)}
        seen = set(base_seen)
        for report in reports:
            if faults.on("duplicate-shared-evidence"):  # FAULT: duplicate-shared-evidence
                seen = set(base_seen)
            for ref in cited_refs(report, base):
                if ref in seen:
                    continue
                seen.add(ref)
                target = store.get_ref(ref)
                target = evidence_faults(target, faults)
                if target is not None:  # a dangling citation cannot be returned
                    entries.append(target)
    return _bundle(entries, base=base, faults=faults)


def evidence_faults(target: dict[str, Any] | None, faults: FaultSet) -> dict[str, Any] | None:
    """A cited resource as returned (by `$cc-gaps` or search `_include`), broken when a fault says so."""
    if target is not None and faults.on("malformed-evidence"):  # FAULT: malformed-evidence
        return {**target, "recordedWhen": "yesterday"}
    return target


def profile_faults(report: dict[str, Any], faults: FaultSet) -> dict[str, Any]:
    """A copy of a report broken against its profile (self-testing the profile suite; `$cc-gaps` and search)."""
    if faults.on("report-type-summary"):  # FAULT: report-type-summary
        return {**report, "type": "summary"}
    if faults.on("drop-evidence-status-date"):  # FAULT: drop-evidence-status-date
        groups = [{**g, "extension": [e for e in as_list(g.get("extension")) if not str(as_dict(e).get("url")).endswith("/ra-evidenceStatusDate")]}
                  for g in (as_dict(g) for g in as_list(report.get("group")))]
        return {**report, "group": groups}
    return report


def cited_refs(report: dict[str, Any], base: str) -> list[str]:
    """Local ``Type/id`` targets of the report's evaluatedResource, in order (duplicates kept)."""
    out = []
    for item in as_list(report.get("evaluatedResource")):
        ref = local_ref(as_dict(item).get("reference"), base)
        if ref:
            out.append(ref)
    return out


def _bundle(resources: list[dict[str, Any]], *, base: str, faults: FaultSet) -> dict[str, Any]:
    btype = "searchset" if faults.on("wrong-bundle-type") else "collection"  # FAULT: wrong-bundle-type
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [PROFILE_BUNDLE]},
        "type": btype,
        "timestamp": now_instant(),
    }
    if resources:  # FHIR forbids empty arrays (only the unknown-patient-empty-bundle fault gets here empty)
        bundle["entry"] = [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources]
    return bundle


def _param(name: str, resource: dict[str, Any], faults: FaultSet) -> dict[str, Any]:
    if name == "return" and faults.on("wrong-parameter-name"):  # FAULT: wrong-parameter-name
        name = "result"
    return {"name": name, "resource": resource}
