"""Every check, every normaliser and the validator accept arbitrary JSON: findings, never exceptions.

Property-based (Hypothesis): generated JSON (wrong types, empty keys, FHIR-looking keys in the wrong places),
real answers built from the fixture kit with one node replaced by generated JSON, nesting past orjson's
254-level serialisation limit, and huge arrays — fed to every public function of ``ra_conformance/checks/``
(arguments supplied by parameter name), to the answer normalisers (``$report``, search, ``$risk-gap``, async)
and to the validator. Example counts stay modest (derandomized) so CI stays fast.
"""

from __future__ import annotations

import inspect
import json
from functools import lru_cache
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ra_conformance import jsonio
from ra_conformance.checks import answer as c_answer
from ra_conformance.checks import bulk as c_bulk
from ra_conformance.checks import capability as c_capability
from ra_conformance.checks import forms as c_forms
from ra_conformance.checks import http as c_http
from ra_conformance.checks import profiles as c_profiles
from ra_conformance.checks import resources as c_resources
from ra_conformance.checks import rest as c_rest
from ra_conformance.checks import risk_gap as c_risk_gap
from ra_conformance.checks import search as c_search
from ra_conformance.checks.findings import Finding
from ra_conformance.declarations import discover_operation, infer_ig_version, read_declarations
from ra_conformance.fhir import async_pattern as ap
from ra_conformance.fhir import operation, risk_gap, search
from ra_conformance.fhir.client import Exchange, FhirClient, FhirResponse
from ra_conformance.fhir.rest import Scratch
from ra_conformance.kit import load_expectations
from ra_conformance.validation import validator_for

# helpers judged on the kit's own data (the expected side), never on what a server sent
KIT_ONLY = {"prefix_matches"}
CHECK_MODULES = (c_answer, c_bulk, c_capability, c_forms, c_http, c_profiles, c_resources, c_rest, c_risk_gap, c_search)
PROPERTY = settings(max_examples=50, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
FHIR_KEYS = ["resourceType", "id", "entry", "resource", "parameter", "name", "subject", "reference", "period", "start",
             "end", "group", "code", "coding", "extension", "modifierExtension", "url", "evaluatedResource", "issue",
             "diagnostics", "link", "relation", "search", "mode", "total", "type", "status", "output", "error",
             "meta", "profile", "rest", "operation", "", "_id", "valueString", "fullUrl", "member", "contained"]
FHIR_STRINGS = ["Bundle", "Parameters", "MeasureReport", "Patient", "OperationOutcome", "CapabilityStatement",
                "return", "outcome", "Patient/rac-p01", "Group/rac-group-b", "collection", "searchset", "next", "match",
                "2024-01-01", "2024-13-45T99:99", "", "http://[::1/x", "\x1b[2J[/]", "rac-p01", "ra", "final"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from(FHIR_STRINGS), st.text(max_size=8))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(FHIR_KEYS), st.text(max_size=4)), inner, max_size=5)), max_leaves=30)


@lru_cache(maxsize=1)
def kit():
    return load_expectations()


def real_answers() -> list[dict[str, Any]]:
    """A real `$report` Parameters, a searchset and a CapabilityStatement-ish body from the kit's own resources."""
    res = kit().resources
    patient = res["Patient/rac-p01"]
    reports = [r for r in res.values() if r.get("resourceType") == "MeasureReport"][:3]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": f"http://x/{r['resourceType']}/{r['id']}", "resource": r} for r in [patient, *reports]]}
    params = {"resourceType": "Parameters", "parameter": [{"name": "return", "resource": bundle},
                                                          {"name": "outcome", "resource": {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found", "diagnostics": "Patient/x"}]}}]}
    searchset = {"resourceType": "Bundle", "type": "searchset", "total": 3, "link": [{"relation": "next", "url": "http://fhir.test/MeasureReport?page=2"}],
                 "entry": [{"resource": r, "search": {"mode": "match"}} for r in reports]}
    manifest = {"transactionTime": "2024-01-01T00:00:00Z", "request": "http://fhir.test/x", "requiresAccessToken": False,
                "output": [{"type": "Bundle", "url": "http://fhir.test/file/1", "count": 1}], "error": []}
    return [params, searchset, manifest]


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, path + (i,))
    return out


@st.composite
def mutated_answers(draw: st.DrawFn) -> Any:
    """A real answer with one node (any depth) replaced by generated JSON."""
    body = json.loads(json.dumps(draw(st.sampled_from(real_answers()))))
    paths = _paths(body)
    path = draw(st.sampled_from(paths))
    value = draw(json_values)
    if not path:
        return value
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return body


def deep(levels: int, leaf: Any = None) -> Any:
    node: Any = {"url": "http://x", "valueString": "leaf"} if leaf is None else leaf
    for i in range(levels):
        node = {"url": "http://x", "modifierExtension": [node]} if i % 2 else [node]
    return node


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> FhirResponse:
    """A response as if the server sent ``body`` (already parsed: no serialisation limit on what a test feeds)."""
    exchange = Exchange(id=1, method="GET", url="http://fhir.test/x", request_headers={}, request_body=None, status=status)
    hdrs = httpx.Headers({"content-type": "application/fhir+json", **(headers or {})})
    return FhirResponse(exchange=exchange, status=status, headers=hdrs, content=b"{}", _parsed=body, _parsed_done=True)


def client_serving(body: Any) -> FhirClient:
    try:
        content = jsonio.dumps(body)
    except jsonio.JsonError:
        content = b"{"
    return FhirClient("http://fhir.test", transport=httpx.MockTransport(
        lambda r: httpx.Response(200, content=content, headers={"content-type": "application/fhir+json"})))


def argument_pool(body: Any, client: FhirClient) -> dict[str, Any]:
    """Arguments for the checks, by parameter name: everything derived from the hostile ``body``."""
    resp = respond(body)
    answer = operation.parse_answer(resp)
    found = search.SearchAnswer(pages=[resp])
    kick = ap.Kickoff(respond(body, 202, {"content-location": "http://[::1/x"}), "http://fhir.test/x")
    poll = ap.PollResult(steps=[ap.PollStep(202, "\x1b", "①", 0.0)], final=respond(body))
    scenario = kit().scenario("single-patient") if "single-patient" in kit().scenarios else next(iter(kit().scenarios.values()))
    case = kit().risk_gap_cases[0] if kit().risk_gap_cases else None
    issues = validator_for("2.1.0").validate(body)  # validator issues about the hostile body (not the body itself)
    return {
        "answer": answer, "scenario": scenario, "kick": kick, "resp": resp, "result": poll, "manifest": body,
        "async_answer": answer, "sync_answer": operation.parse_answer(respond(real_answers()[0])), "get": answer,
        "post": answer, "search": found, "validator": validator_for("2.1.0"), "answers": [answer], "req": "REQ-000",
        "reqs": ("REQ-000",), "aliases": (), "resources": [body], "where": "test", "issues": issues, "default_req": "REQ-000",
        "client": client, "ref": "MeasureReport/x", "rtype": "MeasureReport", "canonical": "http://x", "returned": body,
        "held": body, "kit_report": body if isinstance(body, dict) else {}, "kit_patient": body if isinstance(body, dict) else {},
        "a": body if isinstance(body, dict) else None, "b": {"resourceType": "MeasureReport"}, "kind": "batch", "entries": 1,
        "what": "x", "case": case, "context_id": "ctx", "expected": {"MeasureReport/x"}, "query": "q", "why": "x",
        "code": "ra", "prefix": "ge", "value": "2024-01-01", "period": body, "name": "cc-gaps", "issue": issues[0] if issues else None,
        "key": "output", "statuses": (200,), "severity": "error", "operation": "cc-gaps", "report": body,
        "extension": {"url": "http://x", "valueString": "y"},
        "rid": "x", "names": ["subject", "_include"], "excluded": {"MeasureReport/x"}, "diagnostics": ["x"],
        "outcome": body if isinstance(body, dict) else {}, "scratch": Scratch(resp, resp),
    }


def arguments(fn: Any, pool: dict[str, Any]) -> dict[str, Any] | None:
    params = inspect.signature(fn).parameters
    if any(p not in pool and params[p].default is inspect.Parameter.empty for p in params):
        return None
    if "case" in params and pool["case"] is None:
        return None
    return {p: pool[p] for p in params if p in pool}


def every_check() -> list[Any]:
    out = []
    for module in CHECK_MODULES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_") and name not in ("error", "warning", *KIT_ONLY):
                out.append(fn)
    return out


CHECKS = every_check()


def run_everything(body: Any) -> None:
    """Every normaliser, the validator, and every check on ``body``: only findings may come out."""
    resp = respond(body)
    operation.parse_answer(resp).all_resources()
    risk_gap.parse_answer(resp, patients=["Patient/rac-p01"])
    found = search.SearchAnswer(pages=[resp])
    found.matches, found.entries, found.total, found.match_keys()
    search.to_answer(found, patients=["Patient/rac-p01"])
    search.next_link(body) if isinstance(body, dict) else None
    search.declares_group_expansion(body)
    decl = read_declarations(body)
    discover_operation(decl), infer_ig_version(decl)
    ap.manifest_problems(body)
    ap.as_operation_answer([body] if isinstance(body, dict) else [], [], resp)
    validator = validator_for("2.1.0")
    validator.validate_answer_bundle(body)  # validate(body) runs in argument_pool
    validator.must_support([body] if isinstance(body, dict) else [])
    with client_serving(body) as client:
        pool = argument_pool(body, client)
        for fn in CHECKS:
            kwargs = arguments(fn, pool)
            if kwargs is None:
                continue
            result = fn(**kwargs)
            if inspect.isgenerator(result):
                result = list(result)
            if isinstance(result, list):
                assert all(isinstance(f, Finding) for f in result if isinstance(f, Finding)), fn.__name__


def test_every_check_is_exercised():
    """The property tests below reach every public check (a new check without arguments here is a gap)."""
    with client_serving({}) as client:
        pool = argument_pool({}, client)
        missing = [fn.__name__ for fn in CHECKS if arguments(fn, pool) is None]
    assert missing == [], missing
    assert len(CHECKS) > 60


@PROPERTY
@given(json_values)
def test_generated_json(body):
    run_everything(body)


@PROPERTY
@given(mutated_answers())
def test_mutated_real_answers(body):
    run_everything(body)


@settings(max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from([0, 1, 2]), st.integers(240, 420), st.sampled_from(["resource", "modifierExtension", "group", "entry"]))
def test_deep_nesting_past_the_serialiser_limit(which, levels, where):
    body = json.loads(json.dumps(real_answers()[which]))
    target = body["parameter"][0]["resource"]["entry"][1]["resource"] if which == 0 else body
    target[where] = deep(levels)
    run_everything(body)


def test_huge_arrays():
    body = json.loads(json.dumps(real_answers()[0]))
    bundle = body["parameter"][0]["resource"]
    bundle["entry"] = bundle["entry"] + [{"resource": {"resourceType": "Observation", "id": f"o{i}"}} for i in range(2000)]
    bundle["entry"][1]["resource"]["evaluatedResource"] = [{"reference": f"Observation/o{i}"} for i in range(2000)]
    run_everything(body)


def test_jsonio_round_trips_what_orjson_cannot():
    """Deep nesting past 254 levels serialises (report attachments, async answers), or fails as JsonError."""
    assert jsonio.loads(jsonio.dumps(deep(300))) == deep(300)
    with pytest.raises(jsonio.JsonError):
        jsonio.dumps(deep(5000))
    with pytest.raises(jsonio.JsonError):
        jsonio.loads(b'{"a": NaN}')
    with pytest.raises(jsonio.JsonError):
        jsonio.loads(b'{"a": "\xff"}')
