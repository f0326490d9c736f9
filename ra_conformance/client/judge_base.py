"""What the client-test judge works with: the Observed requests of one scenario, the Check record, and the
request readers every check shares (operation parameters, media types, dates, references)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..checks.findings import Finding, error, warning
from ..dates import DATE_RE
from ..ig import REPORT_STYLE_OPERATIONS
from .recorder import Recorded
from .scenarios import IDS, Ids, Scenario
from .tokens import TokenRule, bearer_of, protected, refusal

FHIR_JSON_TYPES = ("application/fhir+json", "application/json")
ACCEPTABLE = (*FHIR_JSON_TYPES, "*/*", "application/*")
TYPED_REF = re.compile(r"^(?:https?://\S+/)?(Patient|Group)/[A-Za-z0-9\-.]{1,64}$")


@dataclass
class Observed:
    """One scenario's recorded requests and what the judge needs to read them."""

    scenario: Scenario
    ig_version: str
    records: list[Recorded]
    base: str
    ids: Ids = IDS
    auth_token: str | None = None  # --auth-token (shorthand for tokens=TokenRule(fixed=…))
    snapshot: dict[str, Any] | None = None  # the remark scenario's report as it was before the client acted
    tokens: TokenRule | None = None  # which bearer tokens are valid (None: the server is open)

    def __post_init__(self) -> None:
        if self.tokens is None and self.auth_token:
            self.tokens = TokenRule(fixed=self.auth_token)


# A check returns findings (empty: pass), or None when it does not apply to what the client did (skip).
CheckFn = Callable[[Observed], "list[Finding] | None"]


@dataclass(frozen=True)
class Check:
    name: str  # test_req_NNN_… (the test name in reports)
    title: str  # a sentence stating the expected behaviour
    reqs: tuple[str, ...]
    run: CheckFn
    performed: Callable[[Observed], bool]  # did the client do this scenario's request at all?


# -- request readers ------------------------------------------------------------------------------------

def media(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def is_operation(r: Recorded, names: tuple[str, ...] = REPORT_STYLE_OPERATIONS) -> bool:
    return r.method in ("GET", "POST") and r.path in {f"/MeasureReport/${n}" for n in names}


def operation_requests(obs: Observed) -> list[Recorded]:
    return [r for r in obs.records if is_operation(r)]


def op_params(r: Recorded) -> tuple[dict[str, list[tuple[str, Any]]], list[str]]:
    """name -> [(value[x] type, value)] of a GET query or POST Parameters body, and problems with the body."""
    out: dict[str, list[tuple[str, Any]]] = {}
    if r.method == "GET":
        for k, v in r.query:
            out.setdefault(k, []).append(("query", v))
        return out, []
    body = r.json
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        return out, ["the POST body is not a Parameters resource"]
    problems = []
    raw = body.get("parameter")
    if raw is not None and not isinstance(raw, list):
        return out, ["Parameters.parameter is not a list"]
    for n, p in enumerate(raw or []):
        if not isinstance(p, dict) or not isinstance(p.get("name"), str):
            problems.append(f"parameter[{n}] has no name")
            continue
        values = [(k, v) for k, v in p.items() if k.startswith("value") or k == "resource"]
        if len(values) != 1:
            problems.append(f"parameter[{n}] ({p['name']}) carries {len(values)} values, not one")
            continue
        out.setdefault(p["name"], []).append(values[0])
    return out, problems


def describe(r: Recorded) -> str:
    query = "&".join(f"{k}={v}" for k, v in r.query)
    return f"#{r.seq} {r.method} {r.path}{'?' + query if query else ''}"


def is_date(value: Any) -> bool:
    return isinstance(value, str) and bool(DATE_RE.match(value))


def headers_findings(r: Recorded, reqs: tuple[str, ...] = ("REQ-009",), *, body_expected: bool | None = None) -> list[Finding]:
    """REQ-009 (JSON): Accept asks for FHIR JSON (absent: warning); a request with a body says it is FHIR JSON."""
    out: list[Finding] = []
    accept = r.header("accept")
    where = describe(r)
    if accept is None:
        out.append(warning("no Accept header: the client should ask for application/fhir+json", reqs=reqs, where=where))
    elif not any(media(a) in ACCEPTABLE for a in accept.split(",")):
        out.append(error("the Accept header asks for no JSON format", reqs=reqs, expected="application/fhir+json", actual=accept, where=where))
    sends_body = bool(r.body.strip()) if body_expected is None else body_expected
    if sends_body:
        ctype = r.header("content-type")
        if ctype is None:
            out.append(error("a request with a body carries no Content-Type", reqs=reqs, expected="application/fhir+json", where=where))
        elif media(ctype) not in FHIR_JSON_TYPES:
            out.append(error("the body is not declared as FHIR JSON", reqs=reqs, expected="application/fhir+json", actual=ctype, where=where))
    return out


def token_findings(obs: Observed, records: list[Recorded], reqs: tuple[str, ...] = ("REQ-006",)) -> list[Finding]:
    """With --auth-token or SMART: every request that needs one carries a valid bearer token (the given token, or
    one the server's token endpoint issued), and the server did not refuse it (expired, scopes too narrow)."""
    rule = obs.tokens
    if rule is None:
        return []
    out: list[Finding] = []
    for r in protected(records):
        token = bearer_of(r)
        if token is None:
            out.append(error("the request carries no bearer token (the server requires one)", reqs=reqs, expected=rule.how(),
                             actual=f"HTTP {r.status}" if r.status is not None else None, where=describe(r)))
        elif not rule.valid(token):
            what = "the token given to client-test" if not rule.smart else "a token this server's token endpoint issued"
            out.append(error(f"the bearer token is not {what}", reqs=reqs, expected=rule.how(), where=describe(r)))
        elif rule.smart and (why := refusal(r)):
            out.append(error("the server refused the request's access token (expired, or its scopes do not cover "
                             "the request)", reqs=reqs, actual=why, where=describe(r)))
    return out


def never_performed(obs: Observed, reqs: tuple[str, ...]) -> list[Finding]:
    return [error(f"the client never performed the scenario {obs.scenario.name!r}", reqs=reqs,
                  expected=obs.scenario.instruction(obs.base, obs.ig_version),
                  actual=f"{len(obs.records)} other request(s)" if obs.records else "no request")]
