"""Client checks of the retrieval scenarios: the coding-gap operation (cc-gaps-patient, cc-gaps-group, and the
parameters of the async kick-off), search and read. Each check names its REQ ids and returns findings."""

from __future__ import annotations

from collections.abc import Callable

from ..checks.findings import Finding, error, warning
from .judge_base import (
    TYPED_REF,
    Check,
    Observed,
    describe,
    headers_findings,
    is_date,
    op_params,
    operation_requests,
)
from .recorder import Recorded

PERIOD_LOWER, PERIOD_UPPER = ("ge", "gt", "sa"), ("le", "lt", "eb")
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")


def _subject_of(obs: Observed) -> str:
    return obs.ids.patient if obs.scenario.name == "cc-gaps-patient" else obs.ids.group


def _date_param(name: str, req: str, wanted: str) -> Callable[[Observed], list[Finding]]:
    def check(obs: Observed) -> list[Finding]:
        out: list[Finding] = []
        for r in operation_requests(obs):
            params, problems = op_params(r)
            out += [error(p, reqs=req, where=describe(r)) for p in problems]
            values = params.get(name, [])
            if len(values) != 1:
                out.append(error(f"{name} is sent {len(values)} times; the operation needs it exactly once (1..1)", reqs=req,
                                 where=describe(r)))
                continue
            kind, value = values[0]
            if kind not in ("query", "valueDate"):
                out.append(error(f"{name} is a date: send valueDate", reqs=req, actual=kind, where=describe(r)))
            if not is_date(value):
                out.append(error(f"{name} is not a FHIR date", reqs=req, expected="YYYY, YYYY-MM or YYYY-MM-DD",
                                 actual=repr(value), where=describe(r)))
            elif value != wanted:
                out.append(error(f"{name} is not the scenario's date", reqs=req, expected=wanted, actual=value, where=describe(r)))
        return out
    return check


def _subject(obs: Observed) -> list[Finding]:
    """REQ-016: subject 1..1, a string `Patient/<id>` or `Group/<id>`, never a bare id."""
    out: list[Finding] = []
    wanted = _subject_of(obs)
    for r in operation_requests(obs):
        values = op_params(r)[0].get("subject", [])
        if len(values) != 1:
            out.append(error(f"subject is sent {len(values)} times; the operation needs it exactly once", reqs="REQ-016",
                             where=describe(r)))
            continue
        kind, value = values[0]
        if kind not in ("query", "valueString"):
            out.append(error("subject is a string parameter: send valueString", reqs="REQ-016", actual=kind, where=describe(r)))
        if not isinstance(value, str) or not TYPED_REF.match(value):
            out.append(error("subject is not `Patient/<id>` or `Group/<id>` (a bare id leaves the type unknown)", reqs="REQ-016",
                             expected=wanted, actual=repr(value), where=describe(r)))
        elif not value.endswith(wanted):
            out.append(error("subject is not the scenario's subject", reqs="REQ-016", expected=wanted, actual=value, where=describe(r)))
    return out


def _op_headers(obs: Observed) -> list[Finding]:
    out: list[Finding] = []
    for r in operation_requests(obs):
        out += headers_findings(r, body_expected=r.method == "POST")
    return out


def _did_operation(obs: Observed) -> bool:
    return bool(operation_requests(obs))


OPERATION_CHECKS = (
    Check("test_req_014_period_start_is_one_date", "periodStart is sent once, as a FHIR date", ("REQ-014",),
          lambda o: _date_param("periodStart", "REQ-014", o.ids.period_start)(o), _did_operation),
    Check("test_req_015_period_end_is_one_date", "periodEnd is sent once, as a FHIR date", ("REQ-015",),
          lambda o: _date_param("periodEnd", "REQ-015", o.ids.period_end)(o), _did_operation),
    Check("test_req_016_subject_is_a_typed_reference", "subject is Patient/<id> or Group/<id>, never a bare id",
          ("REQ-016",), _subject, _did_operation),
    Check("test_req_009_json_accept_and_content_type", "the request asks for FHIR JSON and declares a JSON body",
          ("REQ-009",), _op_headers, _did_operation),
)


# -- search -----------------------------------------------------------------------------------------

def search_requests(obs: Observed) -> list[Recorded]:
    return [r for r in obs.records if (r.method == "GET" and r.path == "/MeasureReport")
            or (r.method == "POST" and r.path == "/MeasureReport/_search")]


def _form_query(r: Recorded) -> list[tuple[str, str]]:
    if r.method == "GET":
        return r.query
    from urllib.parse import parse_qsl
    return r.query + parse_qsl(r.body.decode("utf-8", "replace"), keep_blank_values=True)


def _search_params(obs: Observed) -> list[Finding]:
    """REQ-081: the reporting client searches by patient (or subject), period bounds and the RA category."""
    out: list[Finding] = []
    pid = obs.ids.patient.split("/", 1)[1]
    for r in search_requests(obs):
        q = _form_query(r)
        who = [v for k, v in q if k in ("patient", "subject", "patient:Patient", "subject:Patient")]
        if not any(v == pid or v.endswith(obs.ids.patient) for v in who):
            out.append(error("the search does not name the scenario's patient (patient or subject)", reqs="REQ-081",
                             expected=f"patient={obs.ids.patient}", actual=", ".join(who) or "none", where=describe(r)))
        periods = [v for k, v in q if k == "period"]
        bad = [v for v in periods if not is_date(v[2:] if v[:2] in PREFIXES else v)]
        if bad:
            out.append(error("a period value is not a (prefixed) FHIR date", reqs="REQ-081", actual=", ".join(bad), where=describe(r)))
        if not any(v[:2] in PERIOD_LOWER for v in periods) or not any(v[:2] in PERIOD_UPPER for v in periods):
            out.append(error("the search does not bound the period on both sides (period=ge…&period=le…)", reqs="REQ-081",
                             expected=f"period=ge{obs.ids.period_start}&period=le{obs.ids.period_end}",
                             actual=", ".join(f"period={v}" for v in periods) or "no period", where=describe(r)))
        category = [v.strip('"').split("|")[-1] for k, v in q if k in ("category", "measurereport-category")]
        if "ra" not in category:
            out.append(error("the search does not select RA reports by category", reqs="REQ-081",
                             expected="category=ra", actual=", ".join(category) or "no category", where=describe(r)))
    return out


def _search_form(obs: Observed) -> list[Finding]:
    out: list[Finding] = []
    for r in search_requests(obs):
        if r.method == "POST" and (r.header("content-type") or "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            out.append(error("a POST _search carries its parameters form-encoded", reqs="REQ-192",
                             expected="application/x-www-form-urlencoded", actual=r.header("content-type") or "none", where=describe(r)))
        out += headers_findings(r, ("REQ-192", "REQ-009"), body_expected=False)
    return out


SEARCH_CHECKS = (
    Check("test_req_081_search_by_patient_period_and_category",
          "the search names the patient, bounds the period with ge/le and selects category ra", ("REQ-081",),
          _search_params, lambda o: bool(search_requests(o))),
    Check("test_req_192_search_type_interaction", "MeasureReport search-type by GET (or POST _search), asking for JSON",
          ("REQ-192", "REQ-009"), _search_form, lambda o: bool(search_requests(o))),
)


# -- read -------------------------------------------------------------------------------------------

def read_requests(obs: Observed) -> list[Recorded]:
    return [r for r in obs.records if r.method == "GET" and r.path.startswith("/MeasureReport/")
            and r.path.count("/") == 2 and not r.path.split("/")[2].startswith(("$", "_"))]


def _read(obs: Observed) -> list[Finding]:
    out: list[Finding] = []
    wanted = f"/MeasureReport/{obs.ids.report}"
    if not any(r.path == wanted for r in read_requests(obs)):
        out.append(error("the scenario's report was not read", reqs="REQ-192", expected=f"GET [base]{wanted}",
                         actual=", ".join(describe(r) for r in read_requests(obs))))
    for r in read_requests(obs):
        if r.query and any(k not in ("_format", "_pretty", "_summary", "_elements") for k, _ in r.query):
            out.append(warning("a read carries search parameters", reqs="REQ-192", where=describe(r)))
        out += headers_findings(r, ("REQ-192", "REQ-009"), body_expected=False)
    return out


READ_CHECKS = (
    Check("test_req_192_read_report_by_id", "GET [base]/MeasureReport/<id> reads the report, asking for JSON",
          ("REQ-192", "REQ-009"), _read, lambda o: bool(read_requests(o))),
)
