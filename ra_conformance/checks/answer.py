"""Checks on a coding-gap answer ($cc-gaps / $report): one function per requirement of RA-SPEC §9.2.

Each takes the parsed answer (and, where the correct answer matters, the kit's Scenario) and returns
findings. Nothing here raises on odd server output: shapes are tested before use.
"""

from __future__ import annotations

from collections import Counter

from .. import dates
from ..fhir import resources as fr
from ..fhir.operation import OperationAnswer, PatientBundle
from ..kit import Scenario
from .findings import Finding, error, warning
from .registry import check


def _where(b: PatientBundle) -> str:
    """Where a finding points: the `return` parameter of an operation answer, or the entries of a grouped
    answer (search: 'searchset entries for Patient/x')."""
    if b.origin is not None:
        return f"{b.origin} for {b.patient_ref or 'unidentified patient'}"
    return f"Parameters.parameter[{b.position}] (return for {b.patient_ref or 'unidentified patient'})"


def _fmt(items: list[str] | set[str]) -> str:
    return ", ".join(sorted(items)) if items else "(none)"


@check("REQ-019")
def is_parameters(answer: OperationAnswer) -> list[Finding]:
    """The answer is a single Parameters resource, whatever the subject."""
    if answer.response.error:
        return [error("the server did not give a usable answer", actual=answer.response.describe())]
    if not answer.is_parameters:
        return [error("the answer is not a Parameters resource", actual="; ".join(answer.problems) or None)]
    return []


@check("REQ-041")
def parameter_shapes(answer: OperationAnswer) -> list[Finding]:
    """Parameters are only `return` (a Bundle) and `outcome` (an OperationOutcome)."""
    if not answer.is_parameters:
        return []
    return [error(problem) for problem in answer.problems]


@check("REQ-042")
def http_200(answer: OperationAnswer) -> list[Finding]:
    """Parameters answers, including those carrying outcomes, come with HTTP 200 (SHOULD)."""
    status = answer.response.status
    if answer.is_parameters and status != 200:
        return [warning("a Parameters answer should come with HTTP 200", actual=str(status))]
    return []


@check("REQ-020", "REQ-036")
def returns_match_patients(answer: OperationAnswer, scenario: Scenario) -> list[Finding]:
    """Exactly one `return` Bundle per valid patient, one distinct patient each."""
    expected = set(scenario.returns)
    got = Counter(b.patient_ref for b in answer.returns)
    findings: list[Finding] = []
    missing = expected - set(got)
    if missing:
        findings.append(error("valid patients without a `return` Bundle", expected=_fmt(expected), actual=_fmt({str(p) for p in got})))
    doubled = {str(p) for p, n in got.items() if n > 1}
    if doubled:
        findings.append(error("more than one `return` Bundle for the same patient", actual=_fmt(doubled)))
    extra = {str(p) for p in got} - expected
    if extra:
        findings.append(error("`return` Bundles for patients that should get none", expected=_fmt(expected), actual=_fmt(extra)))
    return findings


@check("REQ-130", "REQ-021")
def bundle_is_collection(answer: OperationAnswer) -> list[Finding]:
    """Every `return` Bundle has type collection."""
    return [
        error("Bundle.type is not collection", where=_where(b), actual=str((b.bundle or {}).get("type")))
        for b in answer.returns
        if (b.bundle or {}).get("type") != "collection"
    ]


@check("REQ-132", "REQ-021")
def bundle_has_one_patient(answer: OperationAnswer) -> list[Finding]:
    """REQ-132/REQ-131: exactly one Patient entry in every `return` Bundle (so at least one entry)."""
    return [
        error("a `return` Bundle must hold exactly one Patient entry", where=_where(b), actual=f"{len(b.patients)} Patient entries")
        for b in answer.returns
        if len(b.patients) != 1
    ]


@check("REQ-022")
def patient_is_subject(answer: OperationAnswer, scenario: Scenario) -> list[Finding]:
    """The Patient entry is the subject patient (or the group member) the Bundle is for."""
    allowed = set(scenario.returns)
    return [
        error("the Bundle's Patient is not the requested subject or one of the group's valid members", where=_where(b), expected=_fmt(allowed), actual=b.patient_ref)
        for b in answer.returns
        if b.patient_ref is not None and b.patient_ref not in allowed
    ]


@check("REQ-023")
def expected_reports_present(answer: OperationAnswer, scenario: Scenario) -> list[Finding]:
    """Every coding-gap report of the patient overlapping the window is in its Bundle."""
    findings = []
    for patient, reports in scenario.returns.items():
        for b in answer.bundles_for(patient):
            missing = set(reports) - set(b.report_keys())
            if missing:
                findings.append(error("overlapping reports are missing from the Bundle", where=_where(b), expected=_fmt(set(reports)), actual=_fmt(set(b.report_keys()))))
    return findings


@check("REQ-025")
def no_unexpected_reports(answer: OperationAnswer, scenario: Scenario) -> list[Finding]:
    """Reports that do not overlap the window (or are not the patient's) are not returned."""
    findings = []
    for patient, reports in scenario.returns.items():
        for b in answer.bundles_for(patient):
            extra = set(b.report_keys()) - set(reports)
            if extra:
                findings.append(error("the Bundle holds reports that must not be returned for this window", where=_where(b), expected=_fmt(set(reports)), actual=_fmt(extra)))
    return findings


@check("REQ-025")
def reports_overlap_window(answer: OperationAnswer, scenario: Scenario, *, utc: bool = False) -> list[Finding]:
    """REQ-025/REQ-024: judged from the answer itself, each report's period overlaps [periodStart, periodEnd]
    (``utc``: dateTime periods read as UTC instants, a reading legal for search only — checks/zones.py)."""
    win = dates.window(scenario.period_start, scenario.period_end)
    days_of = dates.utc_period_range if utc else dates.period_range
    findings = []
    for b in answer.returns:
        for report in b.reports:
            period = report.get("period")
            try:
                overlaps = days_of(period).overlaps(win)
            except dates.DateFormatError as exc:
                findings.append(error(f"report period cannot be compared: {exc}", reqs=("REQ-106", "REQ-025"), where=f"{fr.key(report)}.period"))
                continue
            if not overlaps:
                findings.append(error("a returned report's period does not overlap the requested window", where=str(fr.key(report)), expected=f"overlap with {win.first}..{win.last}", actual=str(period)))
    return findings


@check("REQ-026", "REQ-134")
def reports_belong_to_patient(answer: OperationAnswer) -> list[Finding]:
    """Every report in a Bundle is for that Bundle's Patient."""
    findings = []
    for b in answer.returns:
        for report in b.reports:
            subject = fr.reference_of(report.get("subject"))
            if b.patient_ref is not None and subject != b.patient_ref:
                findings.append(error("a report for another patient is in this Bundle", where=_where(b), expected=b.patient_ref, actual=f"{fr.key(report)} with subject {subject}"))
    return findings


@check("REQ-027")
def cited_resources_present(answer: OperationAnswer) -> list[Finding]:
    """Every resource cited by evaluatedResource of an included report is an entry of the Bundle."""
    findings = []
    for b in answer.returns:
        present = set(b.entry_keys())
        missing: dict[str, None] = {}
        for report in b.reports:
            for ref in fr.evaluated_references(report):
                if ref not in present:
                    missing.setdefault(ref, None)
        if missing:
            findings.append(error("resources cited in evaluatedResource are not in the Bundle", where=_where(b), actual=_fmt(set(missing))))
    return findings


@check("REQ-028")
def entries_unique(answer: OperationAnswer) -> list[Finding]:
    """REQ-028 (bdl-7): no two entries with the same fullUrl or the same resource; shared evidence appears once."""
    findings = []
    for b in answer.returns:
        keys = Counter(b.entry_keys())
        urls = Counter(u for e in b.entries if isinstance(u := e.get("fullUrl"), str))
        doubled = {k for k, n in keys.items() if n > 1} | {u for u, n in urls.items() if n > 1}
        if doubled:
            findings.append(error("entries appear more than once in the Bundle", where=_where(b), actual=_fmt(doubled)))
    return findings


@check("REQ-030")
def patient_only_bundle(answer: OperationAnswer, scenario: Scenario) -> list[Finding]:
    """A valid patient without matching reports gets a Bundle holding only the Patient."""
    findings = []
    for patient, reports in scenario.returns.items():
        if reports:
            continue
        for b in answer.bundles_for(patient):
            others = [k for k in b.entry_keys() if k != patient]
            if others or len(b.entries) != 1:
                findings.append(error("the Bundle should hold only the Patient", where=_where(b), actual=_fmt(set(others)) if others else f"{len(b.entries)} entries"))
    return findings


@check()
def outcomes_match(answer: OperationAnswer, scenario: Scenario) -> list[Finding]:
    """REQ-031..REQ-035: exactly one `outcome` per invalid subject/member, each naming it; none otherwise."""
    reqs = ("REQ-032", "REQ-033", "REQ-034", "REQ-035") if scenario.outcomes else ("REQ-031",)
    findings: list[Finding] = []
    if len(answer.outcomes) != len(scenario.outcomes):
        findings.append(error("wrong number of `outcome` OperationOutcomes", reqs=reqs, expected=str(len(scenario.outcomes)), actual=str(len(answer.outcomes))))
    for ref in scenario.outcomes:
        if not any(fr.names_reference(o.outcome, ref) for o in answer.outcomes):
            findings.append(error(f"no OperationOutcome names {ref}", reqs=reqs, expected=f"an `outcome` whose diagnostics, details, expression or location contain {ref!r}"))
    return findings


@check()
def unknown_subject_outcome(answer: OperationAnswer, scenario: Scenario) -> list[Finding]:
    """REQ-032/REQ-033: the IG's answer is Parameters + `outcome`; a bare 4xx + OperationOutcome naming
    the subject is tolerated as a warning (RA-SPEC §1.2 ⚑), anything else is an error."""
    if answer.is_parameters:
        return is_parameters(answer) + outcomes_match(answer, scenario)
    body = answer.resource
    status = answer.response.status or 0
    reqs = ("REQ-032", "REQ-033")
    if 400 <= status < 500 and body and body.get("resourceType") == "OperationOutcome":
        if all(fr.names_reference(body, ref) for ref in scenario.outcomes):
            return [warning("an unknown subject was answered with a bare HTTP error instead of the IG's Parameters + `outcome`", reqs=reqs, expected="HTTP 200 Parameters with an `outcome` parameter", actual=f"HTTP {status} OperationOutcome")]
        return [error("the error OperationOutcome does not name the subject", reqs=reqs, expected=_fmt(set(scenario.outcomes)))]
    return is_parameters(answer)


def exactly_the_overlapping_reports(answer: OperationAnswer, scenario: Scenario, *, utc: bool = False) -> list[Finding]:
    """REQ-023/REQ-025: every expected report, no other, each overlapping the window — for flows that answer
    the whole set in one test (search, `$risk-gap`)."""
    return (expected_reports_present(answer, scenario) + no_unexpected_reports(answer, scenario)
            + reports_overlap_window(answer, scenario, utc=utc))


@check("REQ-124")
def one_report_per_model(answer: OperationAnswer) -> list[Finding]:
    """One report per patient per version-specific risk model and evaluation period — no two reports
    of a Bundle share measure and period (reports of one model for different periods are legitimate)."""
    findings = []
    for b in answer.returns:
        by_model: dict[tuple[str, str, str], list[str]] = {}
        for report in b.reports:
            measure, period = report.get("measure"), report.get("period")
            if isinstance(measure, str) and isinstance(period, dict):
                slot = (measure, str(period.get("start")), str(period.get("end")))
                by_model.setdefault(slot, []).append(str(fr.key(report)))
        for (measure, start, end), reports in by_model.items():
            if len(set(reports)) > 1:
                findings.append(error("several reports of one patient for the same risk model and period", where=_where(b), actual=f"{measure} {start}..{end}: {_fmt(set(reports))}"))
    return findings
