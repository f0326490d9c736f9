"""Checks of a SMART Backend Services server: discovery, refusals at the FHIR API and the token endpoint,
token responses, scope enforcement (REQ-006, REQ-240…REQ-248; SMART App Launch v2, RFC 6749/6750)."""

from __future__ import annotations

from typing import Any

from ..fhir.client import FhirResponse
from .findings import Finding, error, warning
from .http import answered
from .registry import check

CLIENT_CREDENTIALS = "client_credentials"
PRIVATE_KEY_JWT = "private_key_jwt"
SMART_ALGORITHMS = ("RS384", "ES384")


def _list_of_strings(doc: dict[str, Any], key: str) -> list[str]:
    value = doc.get(key)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


@check("REQ-240")
def discovery_document(resp: FhirResponse) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The discovery document as an object, or the finding that there is none (REQ-240)."""
    if resp.error or resp.status != 200:
        return None, [error("[base]/.well-known/smart-configuration is not served", expected="HTTP 200 + JSON",
                            actual=resp.describe())]
    if not isinstance(resp.json, dict):
        return None, [error("the discovery document is not a JSON object", actual=resp.json_error or type(resp.json).__name__)]
    return resp.json, []


@check("REQ-240")
def discovery_backend_services(doc: dict[str, Any]) -> list[Finding]:
    """What a backend client needs to find and use the token endpoint."""
    out: list[Finding] = []
    token = doc.get("token_endpoint")
    if not isinstance(token, str) or not token.startswith(("http://", "https://")):
        out.append(error("the discovery document has no token_endpoint URL", actual=repr(token)[:200]))
    for key, needed in (("grant_types_supported", CLIENT_CREDENTIALS), ("token_endpoint_auth_methods_supported", PRIVATE_KEY_JWT)):
        values = _list_of_strings(doc, key)
        if needed not in values:
            out.append(error(f"{key} does not list {needed}", expected=f"[…, {needed!r}, …]", actual=str(values)[:200]))
    algs = _list_of_strings(doc, "token_endpoint_auth_signing_alg_values_supported")
    if not set(algs) & set(SMART_ALGORITHMS):
        out.append(error("token_endpoint_auth_signing_alg_values_supported names neither RS384 nor ES384",
                         expected="RS384 and/or ES384", actual=str(algs)[:200]))
    return out


@check("REQ-241")
def discovery_scopes(doc: dict[str, Any]) -> list[Finding]:
    """Scopes_supported lists the system scopes the server grants (SHOULD)."""
    scopes = _list_of_strings(doc, "scopes_supported")
    if not any(s.startswith("system/") for s in scopes):
        return [warning("scopes_supported lists no system/ scope", actual=str(scopes)[:200])]
    return []


@check("REQ-242")
def refused_unauthenticated(resp: FhirResponse, what: str) -> list[Finding]:
    """A FHIR request without a valid access token is refused with 401 (RFC 6750 §3.1)."""
    if resp.error:
        return answered(resp, "REQ-242")
    if resp.status == 401:
        return []
    if resp.status is not None and 200 <= resp.status < 300:
        return [error(f"a request {what} was served", expected="HTTP 401", actual=resp.describe())]
    return [error(f"a request {what} was not refused with 401", expected="HTTP 401", actual=resp.describe())]


@check("REQ-243")
def bearer_challenge(resp: FhirResponse) -> list[Finding]:
    """A 401 names the Bearer scheme in WWW-Authenticate (RFC 6750 §3)."""
    if resp.error or resp.status != 401:
        return []
    challenge = resp.headers.get("www-authenticate", "")
    if not challenge.lower().startswith("bearer"):
        return [error("the 401 has no WWW-Authenticate: Bearer challenge", actual=challenge or "(no header)")]
    return []


@check()
def token_refused(resp: FhirResponse, req: str, what: str) -> list[Finding]:
    """The token endpoint refuses a bad client assertion: 4xx and OAuth error invalid_client (SMART: "Client
    Authentication: Asymmetric", signature verification; RFC 6749 §5.2), never an access token."""
    if resp.error:
        return answered(resp, req)
    body = resp.json if isinstance(resp.json, dict) else {}
    if (resp.status is not None and 200 <= resp.status < 300) or "access_token" in body:
        return [error(f"the token endpoint issued a token for {what}", reqs=req, expected="HTTP 400/401 invalid_client",
                      actual=f"HTTP {resp.status}")]
    if resp.status not in (400, 401):
        return [error(f"the token endpoint did not refuse {what} as a client error", reqs=req, expected="HTTP 400 or 401",
                      actual=resp.describe())]
    if body.get("error") != "invalid_client":
        return [error(f"refusing {what}, the token endpoint names another OAuth error", reqs=req, expected="invalid_client",
                      actual=repr(body.get("error"))[:100])]
    return []


@check("REQ-247")
def token_response(resp: FhirResponse) -> list[Finding]:
    """Access_token, token_type bearer, expires_in (seconds) and scope (SMART Backend Services "Response")."""
    if resp.error or resp.status != 200 or not isinstance(resp.json, dict):
        return [error("no successful token response to judge", actual=resp.describe())]
    body = resp.json
    out: list[Finding] = []
    if not isinstance(body.get("access_token"), str) or not body["access_token"]:
        out.append(error("the token response has no access_token"))
    if not isinstance(body.get("token_type"), str) or body["token_type"].lower() != "bearer":
        out.append(error("token_type is not bearer", actual=repr(body.get("token_type"))[:60]))
    lifetime = body.get("expires_in")
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
        out.append(error("the token response has no expires_in (a positive number of seconds)",
                         actual=repr(lifetime)[:60]))
    if not isinstance(body.get("scope"), str) or not body["scope"].strip():
        out.append(error("the token response does not say which scope it granted", actual=repr(body.get("scope"))[:100]))
    return out


@check("REQ-248")
def scope_enforced(resp: FhirResponse, scope: str) -> list[Finding]:
    """A token grants no more than its scopes; RFC 6750 §3.1: insufficient_scope SHOULD be 403."""
    if resp.error:
        return answered(resp, "REQ-248")
    if resp.status is not None and 200 <= resp.status < 300:
        return [error(f"a token scoped to {scope!r} read a MeasureReport search", expected="HTTP 403",
                      actual=resp.describe())]
    if resp.status != 403:
        return [warning("refused, but not with 403 (insufficient_scope, RFC 6750 §3.1: SHOULD)",
                        expected="HTTP 403", actual=resp.describe())]
    return []
