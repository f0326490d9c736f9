"""The coding-gap operation (``$cc-gaps`` = STU1 ``$report`` = draft ``$ra.cc-gaps``), RA-SPEC §1.2.

Pure functions over a read-only store: parse and validate the parameters, resolve the subject, choose the
reports whose period overlaps the window (inclusive, by calendar day; REQ-023/REQ-024), and assemble one
collection Bundle per valid patient plus one OperationOutcome per invalid subject or group member.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..dates import DateFormatError, DayRange, day_range, period_overlaps
from ..ig import PROFILE_BUNDLE
from .errors import FhirError, bad_request, not_found_outcome
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


# -- the rules a server could get wrong --------------------------------------------------------------


def subject_reference(value: str) -> str:
    """REQ-018: ``Patient/<id>`` or ``Group/<id>``; a bare id is refused (the type cannot be inferred)."""
    if _SUBJECT_RE.match(value):
        return value
    if valid_id(value):
        raise bad_request(
            f"subject {value!r} is a bare id; it must be Patient/<id> or Group/<id> (the type cannot be inferred)",
            expression="subject",
        )
    raise bad_request(f"subject {value!r} must be Patient/<id> or Group/<id>", expression="subject")


def parameter_days(name: str, value: str) -> DayRange:
    """REQ-017: the days of periodStart/periodEnd (a date, no time); an unreadable one is a 400."""
    try:
        return day_range(value, allow_time=False)
    except DateFormatError as exc:
        raise bad_request(f"parameter {name}: {exc}", expression=name) from None


def own_reports(store: ReadStore, patient_ref: str, matches: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """REQ-026: the patient's own coding-gap reports that ``matches`` (the window) keeps."""
    return [r for r in store.coding_gap_reports(patient_ref) if matches(r)]


@dataclass(frozen=True)
class Rules:
    """The operation's rules where a server can go wrong; the defaults are the IG's. A fault swaps one
    (server/faults/cc_gaps.py); the server reads them once, when it starts."""

    subject: Callable[[str], str] = subject_reference
    days: Callable[[str, str], DayRange] = parameter_days
    overlaps: Callable[[Any, DayRange], bool] = period_overlaps  # REQ-023/REQ-024: inclusive, by calendar day
    select: Callable[[ReadStore, str, Callable[[dict[str, Any]], bool]], list[dict[str, Any]]] = own_reports


RULES = Rules()


# -- parameters -------------------------------------------------------------------------------------


def parse_query(items: Sequence[tuple[str, str]], rules: Rules = RULES) -> CcGapsRequest:
    """GET form: each of periodStart, periodEnd and subject exactly once (other parameters are ignored)."""
    values: dict[str, str] = {}
    for name in PARAMS:
        given = [v for k, v in items if k == name]
        if len(given) > 1:
            raise bad_request(f"parameter {name} is given {len(given)} times; it is allowed once", expression=name)
        if given:
            values[name] = given[0]
    return _build(values, rules)


def parse_parameters(body: Any, rules: Rules = RULES) -> CcGapsRequest:
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
    return _build(values, rules)


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


def _build(values: dict[str, str], rules: Rules) -> CcGapsRequest:
    missing = [p for p in PARAMS if p not in values]
    if missing:
        raise FhirError(400, "required", f"missing required parameter(s): {', '.join(missing)}", expression=missing[0])
    start, end = (rules.days(name, values[name]) for name in ("periodStart", "periodEnd"))
    if end.last < start.first:
        raise bad_request(
            f"periodEnd {values['periodEnd']} is before periodStart {values['periodStart']}", expression="periodEnd"
        )
    return CcGapsRequest(rules.subject(values["subject"]), values["periodStart"], values["periodEnd"],
                         DayRange(start.first, end.last))


# -- evaluation ---------------------------------------------------------------------------------------


def evaluate(store: ReadStore, req: CcGapsRequest, *, base: str, rules: Rules = RULES) -> dict[str, Any]:
    """The operation's answer: a Parameters resource (REQ-019) with `return` and `outcome` parameters."""
    return CodingGaps(store, base, rules).answer(req)


class CodingGaps:
    """The operation over one store, as seen at one base URL."""

    def __init__(self, store: ReadStore, base: str, rules: Rules = RULES) -> None:
        self.store, self.base, self.rules = store, base, rules

    def answer(self, req: CcGapsRequest) -> dict[str, Any]:
        rtype, rid = req.subject.split("/", 1)
        params = self._patient_subject(rid, req) if rtype == "Patient" else self._group_subject(rid, req)
        return {"resourceType": "Parameters", "parameter": params}

    def _patient_subject(self, pid: str, req: CcGapsRequest) -> list[dict[str, Any]]:
        patient = self.store.get("Patient", pid)
        if patient is None:
            return [_param("outcome", not_found_outcome(f"Patient/{pid}", "patient"))]  # REQ-032
        return [_param("return", self.patient_bundle(patient, self.matching_reports(patient, req.window)))]

    def _group_subject(self, gid: str, req: CcGapsRequest) -> list[dict[str, Any]]:
        ref = f"Group/{gid}"
        group = self.store.get("Group", gid)
        if group is None:
            return [_param("outcome", not_found_outcome(ref, "group"))]  # REQ-033
        members = group_members(group, self.base)
        patients = {m: self.store.get_ref(m) for m in members if m.startswith("Patient/")}
        if not any(patients.values()):
            return [_param("outcome", not_found_outcome(ref, "group with no member found"))]  # REQ-034
        params: list[dict[str, Any]] = []
        for member in members:  # REQ-035/REQ-036: one return per known member, one outcome per unknown member
            patient = patients.get(member)
            if patient is None:
                params.append(_param("outcome", not_found_outcome(member, "group member")))
            else:
                params.append(_param("return", self.patient_bundle(patient, self.matching_reports(patient, req.window))))
        return params

    def matching_reports(self, patient: dict[str, Any], win: DayRange) -> list[dict[str, Any]]:
        """The patient's coding-gap reports whose period overlaps the window (REQ-023..REQ-026)."""
        return self.rules.select(self.store, f"Patient/{patient['id']}", lambda r: self.report_matches(r, win))

    def report_matches(self, report: dict[str, Any], win: DayRange) -> bool:
        """REQ-024: report.start <= window.end and report.end >= window.start, by calendar day, inclusive."""
        try:
            return self.rules.overlaps(as_dict(report.get("period")), win)
        except (DateFormatError, KeyError, TypeError, ValueError):
            return False  # a report without a readable period cannot be said to overlap

    def patient_bundle(self, patient: dict[str, Any], reports: list[dict[str, Any]]) -> dict[str, Any]:
        """Patient first, then the reports, then every cited resource, each exactly once (REQ-021/027/028)."""
        entries = [patient, *reports]
        seen = {f"Patient/{patient['id']}", *(f"MeasureReport/{r['id']}" for r in reports)}
        for report in reports:
            for ref in cited_refs(report, self.base):
                if ref in seen:
                    continue
                seen.add(ref)
                target = self.store.get_ref(ref)
                if target is not None:  # a dangling citation cannot be returned
                    entries.append(target)
        return collection_bundle(entries, base=self.base)


def group_members(group: dict[str, Any], base: str) -> list[str]:
    """The group's member references, normalised where local, each once, in group order."""
    seen: dict[str, None] = {}
    for n, member in enumerate(as_list(group.get("member"))):
        raw = as_str(as_dict(as_dict(member).get("entity")).get("reference"))
        key = local_ref(raw, base) or raw or f"Group/{group.get('id')}#member[{n}]"
        seen.setdefault(key, None)
    return list(seen)


def cited_refs(report: dict[str, Any], base: str) -> list[str]:
    """Local ``Type/id`` targets of the report's evaluatedResource, in order (duplicates kept)."""
    out = []
    for item in as_list(report.get("evaluatedResource")):
        ref = local_ref(as_dict(item).get("reference"), base)
        if ref:
            out.append(ref)
    return out


def collection_bundle(resources: list[dict[str, Any]], *, base: str) -> dict[str, Any]:
    """A coding-gap Bundle (ra-coding-gap-bundle, type collection) of ``resources``."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [PROFILE_BUNDLE]},
        "type": "collection",
        "timestamp": now_instant(),
    }
    if resources:  # FHIR forbids empty arrays
        bundle["entry"] = [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources]
    return bundle


def _param(name: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "resource": resource}
