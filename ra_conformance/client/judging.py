"""The judge: every scenario's checks run over its Observed requests, each ending as one TestResult (the same
records the server suites produce, so the reports, the matrix and the exit code work unchanged)."""

from __future__ import annotations

from ..checks.findings import Finding, Verdict
from ..fhir.redact import redact_headers, redact_text, redact_url
from ..results import ERROR, FAIL, PASS, SKIP, WARN, TestResult
from .async_checks import ASYNC_CHECKS, file_findings, manifest_of
from .judge import OPERATION_CHECKS, READ_CHECKS, SEARCH_CHECKS
from .judge_base import Check, Observed, never_performed, token_findings
from .recorder import Recorded
from .remark_checks import REMARK_CHECKS, remark_requests
from .submit_checks import RISK_GAP_CHECKS, SUBMIT_CHECKS
from .tokens import protected

BODY_KEPT = 64 * 1024

CHECKS: dict[str, tuple[Check, ...]] = {
    "cc-gaps-patient": OPERATION_CHECKS,
    "cc-gaps-group": OPERATION_CHECKS,
    "search": SEARCH_CHECKS,
    "read": READ_CHECKS,
    # the kick-off's parameters are judged like any request's (its headers by the async checks)
    "async": ASYNC_CHECKS + tuple(c for c in OPERATION_CHECKS if set(c.reqs) & {"REQ-014", "REQ-015", "REQ-016"}),
    "remark": REMARK_CHECKS,
    "submit-data": SUBMIT_CHECKS,
    "risk-gap": RISK_GAP_CHECKS,
}


def _tokens(obs: Observed) -> list[Finding] | None:
    """REQ-006: a protected client-test (--auth-token, SMART) refuses requests without a valid token; not applicable
    when the client sent no request that needs one (the scenario's own checks report that)."""
    return token_findings(obs, obs.records) if protected(obs.records) else None


# Judged in every scenario when client-test requires a token (--auth-token or SMART Backend Services).
TOKEN_CHECK = Check("test_req_006_requests_carry_a_valid_token",
                    "every request carries a bearer token the server issued (or the one given), and none is refused",
                    ("REQ-006",), _tokens, lambda o: True)


def checks_for(obs: Observed) -> tuple[Check, ...]:
    return CHECKS[obs.scenario.name] + ((TOKEN_CHECK,) if obs.tokens is not None else ())


def reqs_of(scenario: str) -> list[str]:
    out: list[str] = []
    for check in CHECKS[scenario]:
        out += [r for r in check.reqs if r not in out]
    return out


def complete(obs: Observed) -> bool:
    """The client has done what the scenario asks (the runner then judges without waiting for --timeout)."""
    checks = CHECKS[obs.scenario.name]
    if not all(c.performed(obs) for c in checks) or any(r.status is None for r in obs.records):
        return False
    if obs.scenario.name == "async":
        manifest = manifest_of(obs)
        if manifest is None:
            return False
        return not [f for f in file_findings(obs) if "never downloaded" in f.message]
    if obs.scenario.name == "remark":
        return any(r.status is not None for r in remark_requests(obs))
    return True


def judge(obs: Observed, secrets: tuple[str, ...] = ()) -> list[TestResult]:
    exchanges = [exchange(r, obs.base, secrets) for r in obs.records]
    return [_result(obs, check, exchanges) for check in checks_for(obs)]


def _result(obs: Observed, check: Check, exchanges: list[dict]) -> TestResult:
    result = TestResult(nodeid=f"client/{obs.scenario.name}::{check.name}", suite=f"client/{obs.scenario.name}",
                        name=check.name, title=check.title, reqs=list(check.reqs), exchanges=exchanges)
    if not check.performed(obs):
        findings: list[Finding] | None = never_performed(obs, check.reqs)
    else:
        try:
            findings = check.run(obs)
        except Exception as exc:  # noqa: BLE001 - a bug of the judge (tests prove arbitrary client JSON never gets here): state error
            result.state, result.message = ERROR, f"harness error: the check broke ({type(exc).__name__}: {exc})"
            return result
    if findings is None:
        result.state, result.message = SKIP, "not applicable to the way the client performed the scenario"
        return result
    verdict = Verdict().add(findings)
    result.findings = [f.to_dict() for f in verdict.findings]
    result.state = FAIL if verdict.errors else WARN if verdict.warnings else PASS
    result.message = verdict.render() if verdict.findings else ""
    return result


def exchange(r: Recorded, base: str, secrets: tuple[str, ...] = ()) -> dict:
    """A recorded request as a report exchange (the shape FhirClient records), secrets redacted."""
    query = "&".join(f"{k}={v}" for k, v in r.query)
    elapsed = round(((r.responded or r.received) - r.received) * 1000, 2)

    def text(body: bytes) -> str | None:
        if not body:
            return None
        kept = body[:BODY_KEPT].decode("utf-8", errors="replace")
        return redact_text(kept + (f"\n… ({len(body) - BODY_KEPT} more bytes not kept)" if len(body) > BODY_KEPT else ""), secrets)

    return {"id": r.seq, "method": r.method, "url": redact_url(f"{base.rstrip('/')}{r.path}{'?' + query if query else ''}"),
            "request_headers": redact_headers(r.headers), "request_body": text(r.body), "status": r.status,
            "response_headers": redact_headers(r.response_headers), "response_body": text(r.response_body),
            "elapsed_ms": elapsed, "error": None if r.status is not None else "no answer recorded"}
