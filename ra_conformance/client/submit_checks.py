"""Client checks of evidence submission (RA-SPEC §6.1, REQ-195, REQ-208/209, REQ-140..REQ-144) and of the STU3
ballot's `$risk-gap` inputs (§1.5, REQ-220..REQ-226, REQ-229)."""

from __future__ import annotations

import re
from typing import Any

from ..checks.findings import Finding, error, warning
from ..ig import SD, versions
from ..ig.version import SUBMIT_DATA
from .judge_base import Check, Observed, describe, headers_findings, is_date, op_params
from .recorder import Recorded
from .remark_checks import validator

DATAX = SD + "ra-datax-measurereport"
SUBMIT_PATHS = re.compile(r"^/Measure(/[A-Za-z0-9\-.]{1,64})?/\$submit-data$")
ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
CC_TYPES = ("historic", "suspected", "net-new")
EVIDENCE_STATUSES = ("open-gap", "closed-gap", "invalid-gap", "pending")


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def submissions(obs: Observed) -> list[Recorded]:
    out = []
    for r in obs.records:
        if r.method != "POST":
            continue
        body = r.json if isinstance(r.json, dict) else {}
        if SUBMIT_PATHS.match(r.path) or (r.path == "/MeasureReport" and body.get("resourceType") == "MeasureReport"):
            out.append(r)
        elif r.path == "/" and any(isinstance(e, dict) and isinstance(e.get("resource"), dict)
                                   and e["resource"].get("resourceType") == "MeasureReport" for e in _items(body.get("entry"))):
            out.append(r)
    return out


def submitted_reports(r: Recorded) -> list[dict[str, Any]]:
    body = r.json if isinstance(r.json, dict) else {}
    if SUBMIT_PATHS.match(r.path):
        found = [p.get("resource") for p in _items(body.get("parameter")) if isinstance(p, dict) and p.get("name") == "measureReport"]
    elif body.get("resourceType") == "MeasureReport":
        found = [body]
    else:
        found = [e.get("resource") for e in _items(body.get("entry")) if isinstance(e, dict)]
    return [x for x in found if isinstance(x, dict) and x.get("resourceType") == "MeasureReport"]


def _form(obs: Observed) -> list[Finding]:
    """REQ-208 (2.1.0: `$submit-data` with measureReport 1..1 + resource 0..*) / REQ-209 (STU3: core REST, or $submit-data)."""
    out: list[Finding] = []
    for r in submissions(obs):
        out += headers_findings(r, ("REQ-195",), body_expected=True)
        if SUBMIT_PATHS.match(r.path):
            params, problems = op_params(r)
            out += [error(p, reqs="REQ-208", where=describe(r)) for p in problems]
            names = sorted(params)
            if len(params.get("measureReport", [])) != 1:
                out.append(error("$submit-data needs exactly one `measureReport` parameter (R4 spelling)", reqs="REQ-208",
                                 actual=", ".join(names) or "no parameter", where=describe(r)))
            if any(n not in ("measureReport", "resource") for n in names):
                out.append(error("$submit-data takes only `measureReport` and `resource`", reqs="REQ-208", actual=", ".join(names),
                                 where=describe(r)))
        elif versions.get(obs.ig_version).evidence_submission == SUBMIT_DATA:
            out.append(error(f"IG {obs.ig_version} submits evidence with $submit-data, not a plain create", reqs="REQ-208",
                             expected="POST [base]/Measure/$submit-data", actual=describe(r)))
    return out


def _datax_valid(obs: Observed) -> list[Finding]:
    """REQ-195, REQ-140..REQ-143: every submitted report conforms to ra-datax-measurereport."""
    out: list[Finding] = []
    for r in submissions(obs):
        reports = submitted_reports(r)
        if not reports:
            out.append(error("the submission carries no MeasureReport", reqs="REQ-195", where=describe(r)))
        for report in reports:
            for issue in validator(obs.ig_version).validate(report, DATAX):
                if issue.failing:
                    req = issue.rule if issue.rule.startswith("REQ-") else ("REQ-143" if issue.rule == "mrp-1" else "REQ-141")
                    out.append(error(f"{issue.location}: {issue.message} [{issue.rule}]", reqs=(req, "REQ-195"), where=describe(r)))
    return out


def _evidence(obs: Observed) -> list[Finding]:
    """REQ-144 (SHOULD): the report references its evidence from evaluatedResource."""
    return [warning("the data-exchange report references no evidence (evaluatedResource)", reqs="REQ-144", where=describe(r))
            for r in submissions(obs) for rep in submitted_reports(r) if not rep.get("evaluatedResource")]


SUBMIT_CHECKS = (
    Check("test_req_208_209_submission_form", "evidence goes by $submit-data (2.1.0) or core REST (STU3 ballot), as FHIR JSON",
          ("REQ-208", "REQ-209", "REQ-195"), _form, lambda o: bool(submissions(o))),
    Check("test_req_140_143_datax_report_conforms", "the submitted report conforms to ra-datax-measurereport",
          ("REQ-140", "REQ-141", "REQ-142", "REQ-143", "REQ-195"), _datax_valid, lambda o: bool(submissions(o))),
    Check("test_req_144_evidence_referenced", "the submitted report references its evidence", ("REQ-144",),
          _evidence, lambda o: bool(submissions(o))),
)


# -- $risk-gap --------------------------------------------------------------------------------------

def risk_gap_requests(obs: Observed) -> list[Recorded]:
    return [r for r in obs.records if r.path == "/MeasureReport/$risk-gap" or
            (r.path.startswith("/MeasureReport/") and r.path.endswith("/$risk-gap"))]


def _rg_params(r: Recorded) -> dict[str, list[tuple[str, Any]]]:
    return op_params(r)[0] if r.method == "POST" else {}


def _invocation(obs: Observed) -> list[Finding]:
    """REQ-220: POST with a Parameters body, as FHIR JSON."""
    out: list[Finding] = []
    for r in risk_gap_requests(obs):
        if r.method != "POST":
            out.append(error("$risk-gap is invoked by POST (its inputs are References and a Bundle)", reqs="REQ-220",
                             actual=r.method, where=describe(r)))
            continue
        out += [error(p, reqs="REQ-220", where=describe(r)) for p in op_params(r)[1]]
        out += headers_findings(r, ("REQ-220",), body_expected=True)
    return out


def _one(r: Recorded, name: str, req: str, kind: str) -> tuple[Any, list[Finding]]:
    values = _rg_params(r).get(name, [])
    if len(values) != 1:
        return None, [error(f"{name} is sent {len(values)} times; $risk-gap needs it exactly once (1..1)", reqs=req, where=describe(r))]
    got, value = values[0]
    if got != kind:
        return None, [error(f"{name} is a {kind[5:] if kind.startswith('value') else kind} parameter", reqs=req, expected=kind,
                            actual=got, where=describe(r))]
    return value, []


def _periods(obs: Observed) -> list[Finding]:
    out: list[Finding] = []
    for r in risk_gap_requests(obs):
        for name in ("periodStart", "periodEnd"):
            value, found = _one(r, name, "REQ-221", "valueDate")
            out += found
            if value is not None and not is_date(value):
                out.append(error(f"{name} is not a FHIR date", reqs="REQ-221", actual=repr(value), where=describe(r)))
    return out


def _ref(value: Any) -> str:
    return value.get("reference", "") if isinstance(value, dict) and isinstance(value.get("reference"), str) else ""


def _subject_coverage(obs: Observed) -> list[Finding]:
    """REQ-222/REQ-223: subject Reference(Patient) 1..1 and coverage Reference(Coverage) 1..1."""
    out: list[Finding] = []
    for r in risk_gap_requests(obs):
        for name, req, rtype in (("subject", "REQ-222", "Patient"), ("coverage", "REQ-223", "Coverage")):
            value, found = _one(r, name, req, "valueReference")
            out += found
            if value is not None and not re.match(rf"^(?:\S+/)?{rtype}/[A-Za-z0-9\-.]{{1,64}}$", _ref(value)):
                out.append(error(f"{name} is not a reference to a {rtype}", reqs=req, expected=f"{rtype}/<id>",
                                 actual=repr(_ref(value) or value), where=describe(r)))
    return out


def _in_data(ref: str, data: dict[str, Any]) -> bool:
    """``ref`` ('Type/id') is an entry of the data Bundle, by fullUrl or by the resource's type and id."""
    for e in _items(data.get("entry")):
        if not isinstance(e, dict):
            continue
        res, full = e.get("resource"), e.get("fullUrl")
        if isinstance(res, dict) and f"{res.get('resourceType')}/{res.get('id')}" == ref:
            return True
        if isinstance(full, str) and (full == ref or full.endswith(("/" + ref, ":" + ref))):
            return True
    return False


def _data(obs: Observed) -> list[Finding]:
    """REQ-226: data 1..1, a Bundle carrying the resources the reference parameters point to."""
    out: list[Finding] = []
    for r in risk_gap_requests(obs):
        data, found = _one(r, "data", "REQ-226", "resource")
        out += found
        if data is None:
            continue
        if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
            out.append(error("data is not a Bundle", reqs="REQ-226", where=describe(r)))
            continue
        params = _rg_params(r)
        for name in ("subject", "coverage", "organization", "practitionerRole", "encounter"):
            for _, value in params.get(name, []):
                ref = "/".join(_ref(value).split("/")[-2:])
                if ref and not _in_data(ref, data):
                    out.append(error(f"the data Bundle does not carry {name} {ref}", reqs="REQ-226", where=describe(r)))
    return out


def _optional(obs: Observed) -> list[Finding]:
    """REQ-224/REQ-225: organization, practitionerRole, encounter 0..1 References; ccType/evidenceStatus codes."""
    out: list[Finding] = []
    for r in risk_gap_requests(obs):
        params = _rg_params(r)
        for name, rtype in (("organization", "Organization"), ("practitionerRole", "PractitionerRole"), ("encounter", "Encounter")):
            values = params.get(name, [])
            if len(values) > 1:
                out.append(error(f"{name} is sent {len(values)} times (0..1)", reqs="REQ-224", where=describe(r)))
            for kind, value in values:
                if kind != "valueReference" or f"{rtype}/" not in _ref(value):
                    out.append(error(f"{name} is a Reference to a {rtype}", reqs="REQ-224", actual=f"{kind} {value!r}", where=describe(r)))
        for name, codes in (("ccType", CC_TYPES), ("evidenceStatus", EVIDENCE_STATUSES)):
            for kind, value in params.get(name, []):
                if kind != "valueCode":
                    out.append(error(f"{name} is a code parameter", reqs="REQ-225", expected="valueCode", actual=kind, where=describe(r)))
                elif value not in codes:
                    out.append(warning(f"{name} {value!r} is not in the IG's value set (extensible)", reqs="REQ-225",
                                       expected=", ".join(codes), where=describe(r)))
    return out


def _context_id(obs: Observed) -> list[Finding]:
    """REQ-229 (MAY): a contextId header, when sent, is not empty; one that is no FHIR id cannot be echoed in ra-contextId."""
    out: list[Finding] = []
    for r in risk_gap_requests(obs):
        value = r.header("contextid")
        if value is None:
            continue
        if not value.strip():
            out.append(error("the contextId header is empty", reqs="REQ-229", where=describe(r)))
        elif not ID.match(value.strip()):
            out.append(warning("the contextId is no FHIR id, so a server cannot echo it in ra-contextId", reqs="REQ-229",
                               actual=value, where=describe(r)))
    return out


def _asked(obs: Observed) -> bool:
    return bool(risk_gap_requests(obs))


RISK_GAP_CHECKS = (
    Check("test_req_220_risk_gap_is_a_post_of_parameters", "$risk-gap is a POST of a Parameters body, as FHIR JSON",
          ("REQ-220",), _invocation, _asked),
    Check("test_req_221_period_start_and_end_are_dates", "periodStart and periodEnd are sent once each, as valueDate",
          ("REQ-221",), _periods, _asked),
    Check("test_req_222_223_subject_and_coverage_references", "subject (Patient) and coverage (Coverage) are References, once each",
          ("REQ-222", "REQ-223"), _subject_coverage, _asked),
    Check("test_req_226_data_bundle_carries_the_references", "the data Bundle carries every resource the references point to",
          ("REQ-226",), _data, _asked),
    Check("test_req_224_225_optional_inputs_well_formed", "organization, practitionerRole, encounter, ccType, evidenceStatus are well-formed",
          ("REQ-224", "REQ-225"), _optional, _asked),
    Check("test_req_229_context_id_header", "a contextId header, when sent, is a usable identifier", ("REQ-229",),
          _context_id, _asked),
)
