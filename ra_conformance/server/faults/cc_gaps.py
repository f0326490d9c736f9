"""Defects of the coding-gap operation (server/cc_gaps.py): rewrites of its answer and of each patient Bundle,
and the rules (strategies) a wrong server reads differently. Pure functions over dicts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ...dates import DateFormatError, DayRange, day_range
from ...ig import REPORT_STYLE_OPERATIONS
from ..cc_gaps import ReadStore, cited_refs, collection_bundle, own_reports, subject_reference
from ..errors import FhirError, not_found_outcome
from ..layer import Call
from ..refs import local_ref, valid_id
from ..rest import Answer
from ..shape import as_dict, as_list
from .base import Body, is_operation

EVIDENCE_STATUS_DATE = "/ra-evidenceStatusDate"

# -- rules read differently (strategies for cc_gaps.Rules) ------------------------------------------------


def any_period(period: Any, win: DayRange) -> bool:
    """ignore-period: every report matches, whatever its period."""
    return True


def open_window(period: Any, win: DayRange) -> bool:
    """exclusive-boundaries: a report touching the window's first or last day does not match."""
    rng = DayRange(day_range(period["start"]).first, day_range(period["end"]).last)
    return rng.first < win.last and rng.last > win.first


def utc_days(period: Any, win: DayRange) -> bool:
    """utc-date-normalisation: period instants converted to UTC before taking their date."""
    return DayRange(_utc_day(period["start"]), _utc_day(period["end"])).overlaps(win)


def _utc_day(value: str) -> Any:
    if "T" not in value:
        return day_range(value).first
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc).date()


def bare_id_is_a_patient(value: str) -> str:
    """accept-bare-id: a bare id is taken for a Patient."""
    return f"Patient/{value}" if valid_id(value) else subject_reference(value)


def crash_on_bad_date(name: str, value: str) -> DayRange:
    """server-error-on-bad-date: an unreadable date ends in an internal error (500), not a 400."""
    try:
        return day_range(value, allow_time=False)
    except DateFormatError:
        raise RuntimeError(f"cannot parse {value!r}") from None


def with_another_patients_report(store: ReadStore, patient_ref: str,
                                 matches: Callable[[Body], bool]) -> list[Body]:
    """leak-other-patient-report: the patient's reports plus one of another patient (a matching one if any)."""
    others = [r for r in store.coding_gap_reports() if local_ref(as_dict(r.get("subject")).get("reference")) != patient_ref]
    return own_reports(store, patient_ref, matches) + ([r for r in others if matches(r)][:1] or others[:1])


# -- patient Bundle rewrites (synchronous answers and asynchronous files) ----------------------------------


def _entries(bundle: Body) -> list[Body]:
    return as_list(bundle.get("entry"))


def _rtype(entry: Body) -> str:
    return as_dict(entry.get("resource")).get("resourceType", "")


def _with_entries(bundle: Body, entries: list[Body]) -> Body:
    out = {k: v for k, v in bundle.items() if k != "entry"}
    if entries:
        out["entry"] = entries
    return out


def _split(bundle: Body) -> tuple[list[Body], list[Body], list[Body]]:
    """(the Patient entry, the report entries, the evidence entries) of a patient Bundle."""
    entries = _entries(bundle)
    head = entries[:1] if entries and _rtype(entries[0]) == "Patient" else []
    rest = entries[len(head):]
    reports = [e for e in rest if _rtype(e) == "MeasureReport"]
    return head, reports, [e for e in rest if _rtype(e) != "MeasureReport"]


def omit_patient_entry(bundle: Body) -> Body:
    _, reports, evidence = _split(bundle)
    return _with_entries(bundle, reports + evidence)


def searchset_type(bundle: Body) -> Body:
    return {**bundle, "type": "searchset"}


def omit_cited_resources(bundle: Body) -> Body:
    head, reports, _ = _split(bundle)
    return _with_entries(bundle, head + reports)


def duplicate_first_report(bundle: Body) -> Body:
    head, reports, evidence = _split(bundle)
    return _with_entries(bundle, head + reports + reports[:1] + evidence) if reports else bundle


def evidence_per_report(bundle: Body) -> Body:
    """duplicate-shared-evidence: each report's cited resources again, even those an earlier report cited."""
    head, reports, evidence = _split(bundle)
    if not reports:
        return bundle
    by_ref = {_key(e): e for e in evidence}
    base = _base_of(reports[0])
    listed = {_key(e) for e in head + reports}
    repeated = []
    for report in reports:
        for ref in dict.fromkeys(cited_refs(report["resource"], base)):
            if ref not in listed and ref in by_ref:
                repeated.append(by_ref[ref])
    return _with_entries(bundle, head + reports + repeated)


def _key(entry: Body) -> str:
    resource = as_dict(entry.get("resource"))
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def _base_of(entry: Body) -> str:
    return str(entry.get("fullUrl", "")).removesuffix("/" + _key(entry))


def in_reports(rewrite: Callable[[Body], Body]) -> Callable[[Body], Body]:
    """A patient Bundle rewrite changing each report with ``rewrite``."""
    def bundle_rewrite(bundle: Body) -> Body:
        head, reports, evidence = _split(bundle)
        return _with_entries(bundle, head + [{**e, "resource": rewrite(e["resource"])} for e in reports] + evidence)

    return bundle_rewrite


def in_evidence(rewrite: Callable[[Body], Body]) -> Callable[[Body], Body]:
    """A patient Bundle rewrite changing each cited resource with ``rewrite``."""
    def bundle_rewrite(bundle: Body) -> Body:
        head, reports, evidence = _split(bundle)
        return _with_entries(bundle, head + reports + [{**e, "resource": rewrite(e["resource"])} for e in evidence])

    return bundle_rewrite


def summary_type(report: Body) -> Body:
    """report-type-summary: ra-measurereport fixes type = individual."""
    return {**report, "type": "summary"}


def without_evidence_status_date(report: Body) -> Body:
    """drop-evidence-status-date: the must-support group extension left out."""
    groups = [{**g, "extension": [e for e in as_list(g.get("extension"))
                                  if not str(as_dict(e).get("url")).endswith(EVIDENCE_STATUS_DATE)]}
              for g in (as_dict(g) for g in as_list(report.get("group")))]
    return {**report, "group": groups}


def with_undefined_element(resource: Body) -> Body:
    """malformed-evidence: an element R4 does not define."""
    return {**resource, "recordedWhen": "yesterday"}


# -- operation answer rewrites (synchronous only) ---------------------------------------------------------


def _unknown_patient(call: Call, answer: Answer) -> Body | None:
    """The OperationOutcome of an answer about an unknown Patient subject (REQ-032), else None."""
    if not is_operation(call, answer):
        return None
    params = as_list(answer.body.get("parameter")) if answer.body else []
    if len(params) != 1 or params[0].get("name") != "outcome":
        return None
    outcome = as_dict(params[0].get("resource"))
    issues = as_list(outcome.get("issue"))
    ref = str(as_dict(issues[0]).get("diagnostics", "")).split(":", 1)[0] if issues else ""
    return outcome if ref.startswith("Patient/") and outcome == not_found_outcome(ref, "patient") else None


def unknown_patient_404(call: Call, answer: Answer) -> Answer:
    outcome = _unknown_patient(call, answer)
    return Answer(404, outcome) if outcome is not None else answer


def unknown_patient_empty_bundle(call: Call, answer: Answer) -> Answer:
    if _unknown_patient(call, answer) is None:
        return answer
    return Answer(200, {"resourceType": "Parameters", "parameter": [
        {"name": "return", "resource": collection_bundle([], base="")}]}, answer.headers)


def drop_member_outcomes(call: Call, answer: Answer) -> Answer:
    """drop-unknown-members: no outcome for the unknown members of a group (REQ-035)."""
    if is_operation(call, answer):
        assert answer.body is not None
        answer.body["parameter"] = [p for p in as_list(answer.body.get("parameter")) if not _is_member_outcome(p)]
    return answer


def _is_member_outcome(param: Body) -> bool:
    issues = as_list(as_dict(param.get("resource")).get("issue"))
    text = str(as_dict(issues[0]).get("diagnostics", "")) if issues else ""
    return param.get("name") == "outcome" and text.endswith(": group member not found on this server")


def outcome_on_no_match(call: Call, answer: Answer) -> Answer:
    """An informational OperationOutcome after each return Bundle holding no report."""
    if not is_operation(call, answer):
        return answer
    assert answer.body is not None
    params: list[Body] = []
    for param in as_list(answer.body.get("parameter")):
        params.append(param)
        head, reports, _ = _split(as_dict(param.get("resource")))
        if param.get("name") == "return" and head and not reports:
            ref = _key(head[0])
            params.append({"name": "outcome", "resource": {"resourceType": "OperationOutcome", "issue": [
                {"severity": "information", "code": "informational", "diagnostics": f"{ref}: no matching report"}]}})
    answer.body["parameter"] = params
    return answer


def result_not_return(call: Call, answer: Answer) -> Answer:
    """wrong-parameter-name: the per-patient Bundle parameter named 'result'."""
    if is_operation(call, answer):
        assert answer.body is not None
        for param in as_list(answer.body.get("parameter")):
            if param.get("name") == "return":
                param["name"] = "result"
    return answer


def refuse_operation(method: str, allow: str) -> Callable[[Call], Answer | None]:
    """get-not-supported / post-not-supported: 405 to one form of the operation (REQ-012/REQ-013)."""
    def refuse(call: Call) -> Answer | None:
        name = call.path.rstrip("/").rsplit("/", 1)[-1]
        if call.method != method or not call.path.rstrip("/").endswith(f"/MeasureReport/{name}") \
                or not _is_report_operation(name):
            return None
        exc = FhirError(405, "not-supported", f"{method} is not supported for this operation", headers={"Allow": allow})
        return Answer(exc.status, exc.outcome, exc.headers)

    return refuse


def _is_report_operation(name: str) -> bool:
    return name.startswith("$") and name[1:] in REPORT_STYLE_OPERATIONS
