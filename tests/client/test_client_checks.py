"""The client checks, each proven both ways: able to fail on the defect it names, unable to fail on what FHIR
lets clients vary (GET or POST, application/json, absolute references, subject or patient, PUT or PATCH …)."""

from __future__ import annotations

import pytest

from ra_conformance.client.async_checks import ASYNC_CHECKS
from ra_conformance.client.judge import OPERATION_CHECKS, READ_CHECKS, SEARCH_CHECKS
from ra_conformance.client.judging import CHECKS, TOKEN_CHECK, complete, judge
from ra_conformance.client.remark_checks import CC_REMARK, REMARK_CHECKS
from ra_conformance.client.scenarios import IDS, ScenarioError, applicable
from ra_conformance.client.submit_checks import RISK_GAP_CHECKS, SUBMIT_CHECKS
from ra_conformance.client.tokens import TokenRule, issued_tokens

from .records import BASE, kit_report, observed, req

OP = "/MeasureReport/$cc-gaps"
READ_PATH = f"/MeasureReport/{IDS.report}"
GOOD_QUERY = [("subject", IDS.patient), ("periodStart", IDS.period_start), ("periodEnd", IDS.period_end)]


def by_name(checks, name):
    return next(c for c in checks if c.name.startswith(name))


def errors(check, obs):
    found = check.run(obs)
    return None if found is None else [f for f in found if f.severity == "error"]


def parameters(*pairs):
    return {"resourceType": "Parameters", "parameter": [{"name": n, k: v} for n, k, v in pairs]}


# -- the operation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("record", [
    req("GET", OP, query=GOOD_QUERY),
    req("GET", OP, query=[("subject", "https://payer.example/fhir/Patient/rac-p01"), *GOOD_QUERY[1:]]),
    req("POST", OP, body=parameters(("subject", "valueString", IDS.patient), ("periodStart", "valueDate", IDS.period_start),
                                    ("periodEnd", "valueDate", IDS.period_end)), headers={"content-type": "application/json"}),
    req("GET", OP, query=GOOD_QUERY, headers={"accept": "application/fhir+json;q=0.9, */*;q=0.1"}),
], ids=["get", "absolute-subject", "post-application-json", "accept-with-q"])
def test_operation_checks_accept_legal_variation(record):
    obs = observed("cc-gaps-patient", record)
    assert {c.name: errors(c, obs) for c in OPERATION_CHECKS} == {c.name: [] for c in OPERATION_CHECKS}


@pytest.mark.parametrize("query,check", [
    ([("subject", "rac-p01"), *GOOD_QUERY[1:]], "test_req_016"),
    ([("subject", "Practitioner/rac-prac-01"), *GOOD_QUERY[1:]], "test_req_016"),
    ([("subject", IDS.patient), ("subject", IDS.patient), *GOOD_QUERY[1:]], "test_req_016"),
    ([GOOD_QUERY[0], GOOD_QUERY[2]], "test_req_014"),
    ([GOOD_QUERY[0], ("periodStart", "2024-13-01"), GOOD_QUERY[2]], "test_req_014"),
    (GOOD_QUERY[:2], "test_req_015"),
    ([*GOOD_QUERY[:2], ("periodEnd", "31/12/2024")], "test_req_015"),
], ids=["bare-id", "wrong-type", "twice", "no-start", "bad-start", "no-end", "bad-end"])
def test_operation_checks_catch_bad_parameters(query, check):
    assert errors(by_name(OPERATION_CHECKS, check), observed("cc-gaps-patient", req("GET", OP, query=query)))


def test_post_parameters_must_be_typed_and_declared_as_json():
    untyped = parameters(("subject", "valueString", IDS.patient), ("periodStart", "valueString", IDS.period_start),
                         ("periodEnd", "valueDate", IDS.period_end))
    assert errors(by_name(OPERATION_CHECKS, "test_req_014"), observed("cc-gaps-patient", req("POST", OP, body=untyped)))
    no_ctype = req("POST", OP, body=parameters(*[(k, "valueDate" if k != "subject" else "valueString", v) for k, v in GOOD_QUERY]),
                   headers={"content-type": None})
    assert errors(by_name(OPERATION_CHECKS, "test_req_009"), observed("cc-gaps-patient", no_ctype))
    xml_only = req("GET", OP, query=GOOD_QUERY, headers={"accept": "application/fhir+xml"})
    assert errors(by_name(OPERATION_CHECKS, "test_req_009"), observed("cc-gaps-patient", xml_only))


def test_a_token_given_to_client_test_must_be_sent():
    obs = observed("cc-gaps-patient", req("GET", OP, query=GOOD_QUERY), auth_token="t0k")
    assert [f.reqs for f in errors(TOKEN_CHECK, obs)] == [("REQ-006",)]
    assert errors(by_name(OPERATION_CHECKS, "test_req_009"), obs) == []  # the token has its own check
    sent = observed("cc-gaps-patient", req("GET", OP, query=GOOD_QUERY, headers={"authorization": "Bearer t0k"}), auth_token="t0k")
    assert errors(TOKEN_CHECK, sent) == []
    assert "test_req_006_requests_carry_a_valid_token" in [t.name for t in judge(obs)]
    assert "test_req_006_requests_carry_a_valid_token" not in [t.name for t in judge(observed("read", req("GET", OP)))]


def _smart(*records, issued=("issued-1",)):
    return observed("read", *records, tokens=TokenRule(issued=frozenset(issued), token_url=BASE + "/auth/token"))


def test_smart_any_issued_token_is_valid_and_the_token_flow_needs_none():
    token_flow = [req("GET", "/.well-known/smart-configuration", headers={}), req("POST", "/auth/token", headers={}),
                  req("GET", "/metadata", headers={})]
    good = [req("GET", READ_PATH, headers={"authorization": f"Bearer {t}"}) for t in ("issued-1", "issued-2")]
    assert errors(TOKEN_CHECK, _smart(*token_flow, *good, issued=("issued-1", "issued-2"))) == []
    assert TOKEN_CHECK.run(_smart(*token_flow)) is None  # nothing that needs a token: the scenario's checks say so


@pytest.mark.parametrize("headers,status,response_headers,says", [
    ({}, 401, {"www-authenticate": 'Bearer realm="ra-conform"'}, "carries no bearer token"),
    ({"authorization": "Bearer forged"}, 401, {"www-authenticate": 'Bearer error="invalid_token"'}, "not a token this server"),
    ({"authorization": "Basic issued-1"}, 401, {}, "carries no bearer token"),
    ({"authorization": "Bearer issued-1"}, 401, {"www-authenticate": 'Bearer error="invalid_token"'}, "refused the request's access token"),
    ({"authorization": "Bearer issued-1"}, 403, {"www-authenticate": 'Bearer error="insufficient_scope"'}, "refused the request's access token"),
], ids=["none", "forged", "basic", "expired", "scope"])
def test_smart_a_request_without_a_valid_token_is_a_client_failure(headers, status, response_headers, says):
    obs = _smart(req("GET", READ_PATH, headers=headers, status=status, response_headers=response_headers))
    found = errors(TOKEN_CHECK, obs)
    assert len(found) == 1 and says in found[0].message and found[0].reqs == ("REQ-006",)
    if not headers:
        assert "/auth/token" in (found[0].expected or "")


def test_smart_issued_tokens_are_read_from_the_token_answers():
    answers = [req("POST", "/auth/token", response={"access_token": "a1", "token_type": "bearer"}),
               req("POST", "/auth/token", status=400, response={"access_token": "never"}),
               req("GET", "/auth/token", response={"access_token": "no"})]
    assert issued_tokens(answers) == {"a1"}


# -- search and read -------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    [("patient", IDS.patient), ("period", "ge2024-01-01"), ("period", "le2024-12-31"), ("category", "ra")],
    [("subject", IDS.patient), ("period", "gt2023-12-31"), ("period", "lt2025-01-01"), ("measurereport-category", '"ra"')],
    [("patient", "rac-p01"), ("period", "ge2024"), ("period", "le2024"), ("category", "http://hl7.org/fhir/CodeSystem/measurereport-category|ra"),
     ("_include", "MeasureReport:evaluated-resource"), ("_count", "2")],
], ids=["ig-example", "subject-gt-lt-quoted", "bare-id-token-system"])
def test_search_checks_accept_legal_variation(query):
    obs = observed("search", req("GET", "/MeasureReport", query=query))
    assert {c.name: errors(c, obs) for c in SEARCH_CHECKS} == {c.name: [] for c in SEARCH_CHECKS}


@pytest.mark.parametrize("query", [
    [("patient", "Patient/rac-p02"), ("period", "ge2024-01-01"), ("period", "le2024-12-31"), ("category", "ra")],
    [("patient", IDS.patient), ("period", "ge2024-01-01"), ("category", "ra")],
    [("patient", IDS.patient), ("period", "ge2024-01-01"), ("period", "le2024-12-31")],
], ids=["other-patient", "one-sided-period", "no-category"])
def test_search_checks_catch_incomplete_searches(query):
    assert errors(SEARCH_CHECKS[0], observed("search", req("GET", "/MeasureReport", query=query)))


def test_post_search_must_be_form_encoded():
    good = req("POST", "/MeasureReport/_search", body=b"patient=Patient/rac-p01&period=ge2024-01-01&period=le2024-12-31&category=ra",
               headers={"content-type": "application/x-www-form-urlencoded"})
    assert [errors(c, observed("search", good)) for c in SEARCH_CHECKS] == [[], []]
    bad = req("POST", "/MeasureReport/_search", body=parameters(("patient", "valueString", IDS.patient)))
    assert errors(SEARCH_CHECKS[1], observed("search", bad))


def test_read_of_another_report_fails_the_read_check():
    assert errors(READ_CHECKS[0], observed("read", req("GET", f"/MeasureReport/{IDS.report}"))) == []
    assert errors(READ_CHECKS[0], observed("read", req("GET", "/MeasureReport/rac-mr-p02-after")))


# -- async -----------------------------------------------------------------------------------------

def _async_run(*, poll_gap: float = 1.2, token: str | None = None, fetch: bool = True, prefer: str | None = "respond-async",
               accept: str | None = "application/fhir+json", output_format: str | None = None):
    status = "/$async/job1"
    manifest = {"transactionTime": "2024-01-01T00:00:00Z", "request": "x", "requiresAccessToken": token is not None,
                "output": [{"type": "Bundle", "url": f"http://127.0.0.1:9{status}/file/1"}], "error": []}
    auth = {"authorization": f"Bearer {token}"} if token else {}
    records = [
        req("GET", OP, query=[("subject", IDS.group), *GOOD_QUERY[1:], *([("_outputFormat", output_format)] if output_format else [])],
            headers={"prefer": prefer, "accept": accept, **auth},
            status=202, seq=1),
        req("GET", status, status=202, response_headers={"retry-after": "1"}, received=1.0, responded=1.0, seq=2, headers=auth),
        req("GET", status, status=200, response=manifest, received=1.0 + poll_gap, seq=3, headers=auth),
    ]
    if fetch:
        records.append(req("GET", status + "/file/1", received=3.0, seq=4, headers=auth))
    return observed("async", *records, auth_token=token)


def test_async_checks_pass_a_correct_exchange_and_see_it_complete():
    obs = _async_run()
    assert [errors(c, obs) for c in ASYNC_CHECKS] == [[]] * len(ASYNC_CHECKS)
    assert by_name(ASYNC_CHECKS, "test_req_058").run(obs) == []  # not even a warning
    assert complete(obs)
    assert [errors(c, _async_run(token="tk")) for c in ASYNC_CHECKS] == [[]] * len(ASYNC_CHECKS)
    assert [errors(c, _async_run(output_format="application/ndjson")) for c in ASYNC_CHECKS] == [[]] * len(ASYNC_CHECKS)


def test_async_checks_catch_each_defect():
    assert errors(by_name(ASYNC_CHECKS, "test_req_051"), _async_run(prefer=None))
    assert errors(by_name(ASYNC_CHECKS, "test_req_052"), _async_run(accept=None))
    assert errors(by_name(ASYNC_CHECKS, "test_req_053"), _async_run(output_format="application/fhir+json"))
    early = by_name(ASYNC_CHECKS, "test_req_058").run(_async_run(poll_gap=0.3))
    assert [f.severity for f in early] == ["warning"] and "Retry-After" in early[0].message
    files = by_name(ASYNC_CHECKS, "test_req_050_064")
    assert errors(files, _async_run(fetch=False))
    assert not complete(_async_run(fetch=False))
    no_token = _async_run(token="tk")
    no_token.records[-1] = req("GET", "/$async/job1/file/1", received=3.0, seq=4)
    assert any("without a valid bearer token" in f.message for f in errors(files, no_token))


# -- remark ----------------------------------------------------------------------------------------

AUTHOR = {"url": "author", "valueString": "Dr. Ada"}


def _patch(*ops):
    return {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": list(p)} for p in ops]}


def _add_remark(group=IDS.remark_group, sub=AUTHOR):
    return [{"name": "type", "valueCode": "add"}, {"name": "path", "valueString": f"MeasureReport.group.where(id='{group}')"},
            {"name": "name", "valueString": "extension"},
            {"name": "value", "part": [{"name": "url", "valueUri": CC_REMARK},
                                       {"name": "extension", "part": [{"name": "url", "valueUri": sub["url"]},
                                                                      {"name": "valueString", "valueString": sub["valueString"]}]}]}]


def _with_remark(report, *, group=IDS.remark_group, subs=(AUTHOR,)):
    for g in report["group"]:
        if g["id"] == group:
            g.setdefault("extension", []).append({"url": CC_REMARK, "extension": list(subs)})
    return report


def _remark_obs(record):
    return observed("remark", record, snapshot=kit_report())


def _transaction(report):
    return {"resourceType": "Bundle", "type": "transaction",
            "entry": [{"resource": report, "request": {"method": "PUT", "url": f"MeasureReport/{IDS.report}"}}]}


@pytest.mark.parametrize("record", [
    req("PATCH", f"/MeasureReport/{IDS.report}", body=_patch(_add_remark())),
    req("PUT", f"/MeasureReport/{IDS.report}", body=_with_remark(kit_report(), subs=(AUTHOR, {"url": "text", "valueString": "seen"}))),
    req("PUT", f"/MeasureReport/{IDS.report}", body={**_with_remark(kit_report()), "meta": {**kit_report()["meta"], "versionId": "7"}}),
    req("POST", "/", body=_transaction(_with_remark(kit_report(), group="g3"))),
], ids=["fhirpath-patch", "put-with-text", "put-with-version-meta", "transaction-other-group"])
def test_remark_checks_accept_each_way_the_ig_allows(record):
    obs = _remark_obs(record)
    results = {c.name: errors(c, obs) for c in REMARK_CHECKS}
    expected_patch = [] if record.method == "PATCH" else None  # the patch profile check only judges a PATCH
    assert results == {REMARK_CHECKS[0].name: [], REMARK_CHECKS[1].name: expected_patch, REMARK_CHECKS[2].name: []}


def test_remark_checks_catch_changes_and_bad_patches():
    status = req("PUT", f"/MeasureReport/{IDS.report}", body={**_with_remark(kit_report()), "status": "pending"})
    found = errors(REMARK_CHECKS[0], _remark_obs(status))
    assert found and "REQ-200" in found[0].reqs and "MeasureReport.status" in found[0].actual
    dropped = _with_remark(kit_report())
    dropped["group"] = dropped["group"][:-1]
    assert errors(REMARK_CHECKS[0], _remark_obs(req("PUT", f"/MeasureReport/{IDS.report}", body=dropped)))
    evidence = _with_remark(kit_report())
    evidence["group"][0]["extension"] = [e for e in evidence["group"][0]["extension"] if "evidenceStatus\"" not in str(e)][1:]
    assert errors(REMARK_CHECKS[0], _remark_obs(req("PUT", f"/MeasureReport/{IDS.report}", body=evidence)))
    replace = [{"name": "type", "valueCode": "replace"}, {"name": "path", "valueString": "MeasureReport.status"},
               {"name": "value", "valueCode": "pending"}]
    both = _remark_obs(req("PATCH", f"/MeasureReport/{IDS.report}", body=_patch(_add_remark(), replace)))
    assert errors(REMARK_CHECKS[0], both) and errors(REMARK_CHECKS[1], both)
    bad_path = _add_remark()
    bad_path[1] = {"name": "path", "valueString": "MeasureReport.group[0]"}
    assert any("REQ-149" in f.reqs for f in errors(REMARK_CHECKS[1], _remark_obs(req("PATCH", f"/MeasureReport/{IDS.report}", body=_patch(bad_path)))))
    ghost = _remark_obs(req("PATCH", f"/MeasureReport/{IDS.report}", body=_patch(_add_remark(group="g99"))))
    assert errors(REMARK_CHECKS[1], ghost)


def test_an_added_remark_must_name_an_author():
    no_author = req("PUT", f"/MeasureReport/{IDS.report}", body=_with_remark(kit_report(), subs=({"url": "text", "valueString": "x"},)))
    assert errors(REMARK_CHECKS[2], _remark_obs(no_author))
    nothing = req("PUT", f"/MeasureReport/{IDS.report}", body=kit_report())
    assert any("no ccRemark" in f.message for f in errors(REMARK_CHECKS[2], _remark_obs(nothing)))


# -- submit-data and $risk-gap ---------------------------------------------------------------------

def _datax(**changes):
    from ra_conformance.client.reference import ReferenceClient

    with ReferenceClient("http://127.0.0.1:9") as client:
        report = client.datax_report("DocumentReference/rac-doc-p01-note")
    report.update(changes)
    return report


def test_submission_checks_accept_both_forms_where_allowed():
    submit = req("POST", "/Measure/$submit-data", body={"resourceType": "Parameters", "parameter": [{"name": "measureReport", "resource": _datax()}]})
    create = req("POST", "/MeasureReport", body=_datax())
    for version, record in (("2.1.0", submit), ("stu3-ballot", submit), ("stu3-ballot", create)):
        obs = observed("submit-data", record, version=version)
        assert [errors(c, obs) for c in SUBMIT_CHECKS] == [[], [], []], (version, record.path)


def test_submission_checks_catch_wrong_form_and_invalid_reports():
    assert errors(SUBMIT_CHECKS[0], observed("submit-data", req("POST", "/MeasureReport", body=_datax())))  # 2.1.0: $submit-data
    misspelt = {"resourceType": "Parameters", "parameter": [{"name": "MeasureReport", "resource": _datax()}]}
    assert errors(SUBMIT_CHECKS[0], observed("submit-data", req("POST", "/Measure/$submit-data", body=misspelt)))
    grouped = _datax(group=[{"id": "g1"}])
    found = errors(SUBMIT_CHECKS[1], observed("submit-data", req("POST", "/MeasureReport", body=grouped), version="stu3-ballot"))
    assert any("REQ-143" in f.reqs for f in found)
    wrong_type = _datax(type="individual")
    assert errors(SUBMIT_CHECKS[1], observed("submit-data", req("POST", "/MeasureReport", body=wrong_type), version="stu3-ballot"))


def _risk_gap(*, drop=(), extra=(), data_entries=None, context_id="req-1"):
    entries = data_entries if data_entries is not None else [
        {"fullUrl": "urn:ra-conform:Patient/rac-p01", "resource": {"resourceType": "Patient", "id": "rac-p01"}},
        {"fullUrl": "http://payer.example/fhir/Coverage/rac-cov-p01", "resource": {"resourceType": "Coverage", "id": "rac-cov-p01"}}]
    params = [{"name": "periodStart", "valueDate": IDS.period_start}, {"name": "periodEnd", "valueDate": IDS.period_end},
              {"name": "subject", "valueReference": {"reference": IDS.patient}},
              {"name": "coverage", "valueReference": {"reference": IDS.coverage}},
              {"name": "data", "resource": {"resourceType": "Bundle", "type": "collection", "entry": entries}}, *extra]
    body = {"resourceType": "Parameters", "parameter": [p for p in params if p["name"] not in drop]}
    return observed("risk-gap", req("POST", "/MeasureReport/$risk-gap", body=body, headers={"contextid": context_id}),
                    version="stu3-ballot")


def test_risk_gap_checks_accept_a_full_request_with_filters():
    obs = _risk_gap(extra=[{"name": "ccType", "valueCode": "suspected"}, {"name": "evidenceStatus", "valueCode": "open-gap"},
                           {"name": "evidenceStatus", "valueCode": "pending"}])
    assert [errors(c, obs) for c in RISK_GAP_CHECKS] == [[]] * len(RISK_GAP_CHECKS)


@pytest.mark.parametrize("obs,check", [
    (_risk_gap(drop=("coverage",)), "test_req_222_223"),
    (_risk_gap(drop=("periodEnd",)), "test_req_221"),
    (_risk_gap(drop=("data",)), "test_req_226"),
    (_risk_gap(data_entries=[]), "test_req_226"),
    (_risk_gap(extra=[{"name": "ccType", "valueString": "suspected"}]), "test_req_224_225"),
    (_risk_gap(extra=[{"name": "encounter", "valueReference": {"reference": "Patient/rac-p01"}}]), "test_req_224_225"),
    (_risk_gap(context_id=" "), "test_req_229"),
], ids=["no-coverage", "no-period-end", "no-data", "data-without-references", "ccType-string", "encounter-wrong-type", "empty-context-id"])
def test_risk_gap_checks_catch_bad_inputs(obs, check):
    assert errors(by_name(RISK_GAP_CHECKS, check), obs)


def test_risk_gap_by_get_fails_the_invocation_check():
    obs = observed("risk-gap", req("GET", "/MeasureReport/$risk-gap", query=GOOD_QUERY, status=405), version="stu3-ballot")
    assert errors(RISK_GAP_CHECKS[0], obs)


# -- judging ---------------------------------------------------------------------------------------

def test_every_scenario_has_checks_and_a_never_performed_scenario_fails_each():
    for s in applicable("stu3-ballot"):
        results = judge(observed(s.name, version="stu3-ballot"))
        assert results and all(t.state == "fail" for t in results), s.name
        assert all(t.nodeid == f"client/{s.name}::{t.name}" for t in results)
    assert set(CHECKS) == {s.name for s in applicable("stu3-ballot")} | set()


def test_a_check_never_crashes_on_what_a_client_sends():
    junk = [req("POST", OP, body=b"\xff\x00 not json"), req("POST", OP, body=[1, 2]),
            req("POST", OP, body={"resourceType": "Parameters", "parameter": "x"}),
            req("PATCH", f"/MeasureReport/{IDS.report}", body={"resourceType": "Parameters", "parameter": [{"name": "operation", "part": 3}]}),
            req("POST", "/MeasureReport/$risk-gap", body={"resourceType": "Parameters", "parameter": [{"name": "data", "resource": 7}]}),
            req("PUT", f"/MeasureReport/{IDS.report}", body={"resourceType": "MeasureReport", "id": IDS.report, "group": 5, "meta": 3}),
            req("PUT", f"/MeasureReport/{IDS.report}", body={"resourceType": "MeasureReport", "group": [{"id": "g1", "extension": 4}]}),
            req("POST", "/", body={"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "MeasureReport", "id": IDS.report, "group": [[]]}}]}),
            req("POST", "/Measure/$submit-data", body={"resourceType": "Parameters", "parameter": [{"name": "measureReport", "resource": {"resourceType": "MeasureReport", "extension": 1}}]}),
            req("POST", "/Measure/$submit-data", body={"resourceType": "Parameters", "parameter": 9}),
            req("POST", "/", body={"resourceType": "Bundle", "entry": 2}),
            req("POST", "/MeasureReport/$risk-gap", body={"resourceType": "Parameters", "parameter": [{"name": "data", "resource": {"resourceType": "Bundle", "entry": 1}},
                                                                                                    {"name": "subject", "valueReference": 5}]})]
    for scenario in ("cc-gaps-patient", "remark", "risk-gap", "submit-data", "async"):
        for t in judge(observed(scenario, *junk, version="stu3-ballot", snapshot=kit_report())):
            assert t.state in ("pass", "fail", "warn", "skip"), (scenario, t.name, t.message)


def test_scenarios_follow_the_ig_version():
    assert [s.name for s in applicable("stu1")] == ["cc-gaps-patient", "cc-gaps-group", "read", "async"]
    assert "risk-gap" not in [s.name for s in applicable("2.1.0")]
    with pytest.raises(ScenarioError):
        applicable("stu1", ["remark"])
    with pytest.raises(ScenarioError):
        applicable("2.1.0", ["no-such"])


def test_deeply_nested_bodies_are_judged_not_crashed():
    deep: list = []
    node = deep
    for _ in range(900):
        node.append([])
        node = node[0]
    report = kit_report()
    report["contained"] = deep
    for t in judge(_remark_obs(req("PUT", f"/MeasureReport/{IDS.report}", body=report))):
        assert t.state in ("pass", "fail", "warn", "skip"), (t.name, t.message)
