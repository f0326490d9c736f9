"""Requests the auth suite makes on purpose: FHIR reads with a chosen (missing, forged, narrow) token, and
token requests with assertions a correct server refuses (unknown key, expired, replayed)."""

from __future__ import annotations

import secrets
import time

import httpx
from joserfc import jwt

from .auth import AuthError, SmartBackendProvider, TokenProvider, parse_token_answer, sign_assertion
from .client import FHIR_JSON, FhirClient, FhirResponse
from .keys import generate
from .redact import register_secret

PROBE_PATH = "MeasureReport?_count=1"  # any protected FHIR read; the RA reporting server's own resource
NARROW_SCOPE = "system/Patient.read system/Patient.rs"  # one other resource type, SMART v1 and v2 forms


def read_with(client: FhirClient, path: str, authorization: str | None) -> FhirResponse:
    """GET with exactly this Authorization header (None: none), bypassing the client's own token."""
    headers = {"Accept": FHIR_JSON, "User-Agent": "ra-conform"}
    if authorization is not None:
        headers["Authorization"] = authorization
    return client.send(httpx.Request("GET", client.url(path), headers=headers))


def forged_token(audience: str) -> str:
    """A bearer token no server issued: a JWT that expired an hour ago, signed by a key nobody registered."""
    now = int(time.time())
    stranger = generate("ES384")
    claims = {"iss": audience, "sub": "ra-conform-forged", "aud": audience, "exp": now - 3600, "iat": now - 3900,
              "scope": "system/*.read system/*.rs", "jti": secrets.token_hex(16)}
    token = jwt.encode({"alg": stranger.alg, "kid": stranger.kid, "typ": "JWT"}, claims, stranger.key, algorithms=[stranger.alg])
    register_secret(token)
    return token


def unknown_key_assertion(provider: SmartBackendProvider, client: FhirClient) -> str:
    """The run's client id, signed by a freshly generated key the server cannot know (same algorithm)."""
    stranger = generate(provider.key.alg)
    return sign_assertion(stranger, provider.client_id, provider.resolve_token_url(client.send))


def expired_assertion(provider: SmartBackendProvider, client: FhirClient) -> str:
    """Signed by the run's registered key, but its exp passed two minutes ago."""
    issued = time.time() - 420
    return sign_assertion(provider.key, provider.client_id, provider.resolve_token_url(client.send), lifetime=300, now=issued)


def narrow_token(provider: TokenProvider, client: FhirClient) -> tuple[FhirResponse, str | None, str]:
    """A token for Patient only: (the token answer, the token or None when refused, the granted scope)."""
    resp = provider.token_request(client.send, scope=NARROW_SCOPE)
    try:
        token = parse_token_answer(resp, requested_scope=NARROW_SCOPE, started=time.monotonic())
    except AuthError:  # refused or an odd answer: the caller skips with the answer shown
        return resp, None, ""
    return resp, token.value, token.scope
