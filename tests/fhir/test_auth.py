"""The harness's token providers (fhir/auth.py) and keys (fhir/keys.py), against canned HTTP answers."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from ra_conformance.checks import auth as checks
from ra_conformance.fhir import auth
from ra_conformance.fhir.auth import (
    AuthError,
    ClientSecretProvider,
    SmartBackendProvider,
    default_scope,
    sign_assertion,
)
from ra_conformance.fhir.keys import KeyFileError, generate, load_signing_key, public_jwks, write_pair
from ra_conformance.settings import SettingsError, build

from .helpers import BASE, client_answering, response

TOKEN_URL = "https://auth.test/token"


class FakeAuthServer:
    """A token endpoint and a FHIR endpoint that wants `Bearer tok-N` of the latest token (MockTransport handler)."""

    def __init__(self, *, expires_in: int | None = 300, discovery: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None) -> None:
        self.expires_in, self.discovery, self.metadata = expires_in, discovery, metadata
        self.token_requests: list[httpx.Request] = []
        self.fhir_authorizations: list[str | None] = []
        self.reject_next_fhir = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url == TOKEN_URL:
            self.token_requests.append(request)
            body: dict[str, Any] = {"access_token": f"tok-secret-{len(self.token_requests)}", "token_type": "bearer", "scope": "system/*.rs"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return httpx.Response(200, json=body)
        if url.endswith("/.well-known/smart-configuration"):
            return httpx.Response(200, json=self.discovery) if self.discovery else httpx.Response(404)
        if url.endswith("/metadata") and self.metadata:
            return httpx.Response(200, json=self.metadata)
        self.fhir_authorizations.append(request.headers.get("authorization"))
        if self.reject_next_fhir:
            self.reject_next_fhir -= 1
            return httpx.Response(401)
        return httpx.Response(200, json={"resourceType": "Patient", "id": "p"})


def smart(server: FakeAuthServer, key: Any = None, token_url: str | None = TOKEN_URL, scope: str | None = None):
    provider = SmartBackendProvider(key=key or generate("ES384"), client_id="client-1", base_url=BASE, token_url=token_url, scope=scope)
    return provider, client_answering(server, auth=provider)


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_assertion_follows_smart_backend_services(alg: str) -> None:
    key = generate(alg)
    first = sign_assertion(key, "client-1", TOKEN_URL, now=1_000_000)
    second = sign_assertion(key, "client-1", TOKEN_URL, now=1_000_000, lifetime=3600)
    public = KeySet.import_key_set(public_jwks(key))
    a, b = jwt.decode(first, public, algorithms=[alg]), jwt.decode(second, public, algorithms=[alg])
    assert a.header["alg"] == alg and a.header["kid"] == key.kid
    assert a.claims["iss"] == a.claims["sub"] == "client-1" and a.claims["aud"] == TOKEN_URL
    assert a.claims["exp"] - 1_000_000 <= 300 and b.claims["exp"] - 1_000_000 <= 300  # never more than five minutes
    assert a.claims["jti"] != b.claims["jti"]


def test_token_request_carries_the_assertion_and_the_token_is_used() -> None:
    server = FakeAuthServer()
    _, client = smart(server, scope="system/Patient.rs")
    assert client.get("Patient/p").status == 200
    form = parse_qs(server.token_requests[0].content.decode())
    assert form["grant_type"] == ["client_credentials"] and form["scope"] == ["system/Patient.rs"]
    assert form["client_assertion_type"] == [auth.ASSERTION_TYPE] and form["client_assertion"][0].count(".") == 2
    assert server.fhir_authorizations == ["Bearer tok-secret-1"]
    client.get("Patient/p")
    assert len(server.token_requests) == 1  # reused while fresh


def test_token_is_renewed_before_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock[0])
    server = FakeAuthServer(expires_in=60)
    _, client = smart(server)
    client.get("Patient/p")
    clock[0] += 50  # within the last tenth of its lifetime (renewal margin 6 s)
    client.get("Patient/p")
    assert len(server.token_requests) == 1
    clock[0] += 5
    client.get("Patient/p")
    assert len(server.token_requests) == 2 and server.fhir_authorizations[-1] == "Bearer tok-secret-2"


def test_a_401_renews_the_token_once_and_asks_again() -> None:
    server = FakeAuthServer()
    _, client = smart(server)
    server.reject_next_fhir = 1
    assert client.get("Patient/p").status == 200
    assert server.fhir_authorizations == ["Bearer tok-secret-1", "Bearer tok-secret-2"]
    server.reject_next_fhir = 5
    assert client.get("Patient/p").status == 401  # once, not in a loop
    assert len(server.token_requests) == 3


def test_token_url_is_discovered_else_taken_from_metadata_else_a_clear_error() -> None:
    server = FakeAuthServer(discovery={"token_endpoint": TOKEN_URL})
    provider, client = smart(server, token_url=None)
    client.get("Patient/p")
    assert provider.token_url == TOKEN_URL and "discovery" in provider.token_url_note
    meta = {"resourceType": "CapabilityStatement", "rest": [{"security": {"extension": [
        {"url": auth.OAUTH_URIS, "extension": [{"url": "token", "valueUri": TOKEN_URL}]}]}}]}
    provider, client = smart(FakeAuthServer(metadata=meta), token_url=None)
    client.get("Patient/p")
    assert provider.token_url == TOKEN_URL and "oauth-uris" in provider.token_url_note
    provider, client = smart(FakeAuthServer(), token_url=None)
    with pytest.raises(AuthError, match="give --token-url"):
        provider.authorization(client.send)


@pytest.mark.parametrize("answer,message", [
    (httpx.Response(400, json={"error": "invalid_client", "error_description": "bad\nsignature"}), "HTTP 400 invalid_client (bad signature)"),
    (httpx.Response(200, json={"token_type": "bearer"}), "without an access_token"),
    (httpx.Response(200, content=b"<html>"), "without an access_token"),
])
def test_a_refused_or_odd_token_answer_is_one_clear_line(answer: httpx.Response, message: str) -> None:
    provider = SmartBackendProvider(key=generate("ES384"), client_id="c", base_url=BASE, token_url=TOKEN_URL)
    client = client_answering(lambda request: answer)
    with pytest.raises(AuthError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        provider.authorization(client.send)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("method", ["basic", "post"])
def test_client_secret_basic_or_post_and_nothing_secret_is_captured(method: str) -> None:
    secret = "s3cr3t/with+odd=chars"
    server = FakeAuthServer()
    provider = ClientSecretProvider(secret=secret, method=method, client_id="gw-client", base_url=BASE, token_url=TOKEN_URL)
    client = client_answering(server, auth=provider)
    client.get("Patient/p")
    request = server.token_requests[0]
    form = parse_qs(request.content.decode())
    if method == "basic":
        user, _, password = base64.b64decode(request.headers["authorization"].split()[1]).decode().partition(":")
        assert (user, password) == ("gw-client", "s3cr3t%2Fwith%2Bodd%3Dchars") and "client_secret" not in form
    else:
        assert form["client_id"] == ["gw-client"] and form["client_secret"] == [secret]
    captured = json.dumps([e.to_dict() for e in client.log.exchanges])
    assert len(client.log.exchanges) == 2
    basic = request.headers["authorization"].split()[1] if method == "basic" else secret
    for value in (secret, "tok-secret-1", basic):
        assert value not in captured


def test_assertion_and_token_are_redacted_in_every_exchange() -> None:
    server = FakeAuthServer()
    _, client = smart(server)
    client.get("Patient/p")
    assertion = parse_qs(server.token_requests[0].content.decode())["client_assertion"][0]
    captured = json.dumps([e.to_dict() for e in client.log.exchanges])
    assert assertion not in captured and "tok-secret-1" not in captured and "client_assertion=" in captured


def test_default_scope_adds_write_scopes_only_when_a_test_writes() -> None:
    assert default_scope(["MeasureReport:read", "MeasureReport:search-type"]) == "system/*.read system/*.rs"
    assert default_scope(["MeasureReport:update"]).endswith("system/*.write system/*.cud")
    assert "write" in default_scope(["system:transaction"]) and "write" in default_scope(write=True)


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_keys_load_from_pem_and_from_a_jwks_with_private_keys(tmp_path: Path, alg: str) -> None:
    key = generate(alg)
    private, public = write_pair(key, tmp_path)
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    assert load_signing_key(private).kid == key.kid  # the PEM gets its thumbprint as kid, as in the JWKS
    jwks = tmp_path / "private-jwks.json"
    jwks.write_text(json.dumps({"keys": [dict(key.key.as_dict(private=True), kid="k1")]}))
    loaded = load_signing_key(jwks)
    assert loaded.kid == "k1" and loaded.alg == alg
    with pytest.raises(KeyFileError, match="no private key"):
        load_signing_key(public)


def test_unusable_key_files_are_clear_errors(tmp_path: Path) -> None:
    p256 = tmp_path / "p256.pem"
    p256.write_bytes(ECKey.generate_key("P-256").as_pem(private=True))
    with pytest.raises(KeyFileError, match=r"RS384 .* or ES384"):
        load_signing_key(p256)
    junk = tmp_path / "junk.pem"
    junk.write_text("hello")
    with pytest.raises(KeyFileError, match="neither a PEM key nor a JWK"):
        load_signing_key(junk)
    with pytest.raises(KeyFileError, match="cannot read"):
        load_signing_key(tmp_path / "missing.pem")


@pytest.mark.parametrize("flags,message", [
    ({"smart_key": "k.pem"}, "need --smart-client-id"),
    ({"smart_client_id": "c"}, "needs --smart-key"),
    ({"smart_client_id": "c", "client_secret": "s", "auth_token": "t"}, "either --auth-token"),
    ({"smart_client_id": "c", "client_secret": "s", "client_auth": "jwt"}, "basic or post"),
    ({"smart_client_id": "c", "smart_key": "/no/such/key.pem"}, "no such file"),
])
def test_credential_settings_are_checked(flags: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        build(flags, env={})


def test_credentials_come_from_env_and_the_secret_is_never_echoed(tmp_path: Path) -> None:
    settings = build({}, env={"RA_CONFORM_SMART_CLIENT_ID": "c", "RA_CONFORM_CLIENT_SECRET": "hunter2-secret", "RA_CONFORM_CLIENT_AUTH": "post"})
    assert settings.client_secret == "hunter2-secret" and settings.client_auth == "post"
    assert "hunter2-secret" not in repr(settings)


# -- the auth suite's checks, both ways (checks/auth.py) -------------------------------------------------------

GOOD_DISCOVERY = {"token_endpoint": "https://a.test/token", "grant_types_supported": ["client_credentials"],
                  "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
                  "token_endpoint_auth_signing_alg_values_supported": ["ES384"], "scopes_supported": ["system/*.rs"]}


@pytest.mark.parametrize("change,errors", [
    ({}, 0),
    ({"token_endpoint_auth_signing_alg_values_supported": ["RS384", "RS256"]}, 0),  # either SMART algorithm will do
    ({"token_endpoint": None}, 1),
    ({"grant_types_supported": "client_credentials"}, 1),  # not an array
    ({"token_endpoint_auth_methods_supported": ["client_secret_basic"], "token_endpoint_auth_signing_alg_values_supported": ["RS256"]}, 2),
])
def test_discovery_check(change: dict[str, Any], errors: int) -> None:
    doc = {k: v for k, v in {**GOOD_DISCOVERY, **change}.items() if v is not None}
    assert len(checks.discovery_backend_services(doc)) == errors
    assert checks.discovery_scopes(doc) == [] and checks.discovery_scopes({})[0].severity == "warning"


@pytest.mark.parametrize("status,body,severity", [
    (400, {"error": "invalid_client"}, None),
    (401, {"error": "invalid_client", "error_description": "no"}, None),  # RFC 6749 §5.2: 400 or 401
    (400, {"error": "invalid_grant"}, "error"),
    (200, {"access_token": "t", "token_type": "bearer"}, "error"),
    (500, {}, "error"),
])
def test_token_refusal_check(status: int, body: dict[str, Any], severity: str | None) -> None:
    found = checks.token_refused(response(body, status, "application/json"), "REQ-244", "x")
    assert [f.severity for f in found] == ([severity] if severity else [])


@pytest.mark.parametrize("status,severity", [(403, None), (401, "warning"), (404, "warning"), (200, "error")])
def test_scope_check_wants_403_and_fails_only_when_served(status: int, severity: str | None) -> None:
    found = checks.scope_enforced(response({"resourceType": "Bundle"}, status), "system/Patient.rs")
    assert [f.severity for f in found] == ([severity] if severity else [])


@pytest.mark.parametrize("body,errors", [
    ({"access_token": "t", "token_type": "Bearer", "expires_in": 300, "scope": "system/*.rs"}, 0),
    ({"access_token": "t", "token_type": "bearer", "scope": "system/*.rs"}, 1),
    ({"access_token": "t", "token_type": "mac", "expires_in": "300"}, 3),
])
def test_token_response_check(body: dict[str, Any], errors: int) -> None:
    assert len(checks.token_response(response(body, 200, "application/json"))) == errors


def test_unauthenticated_and_challenge_checks() -> None:
    refused = response({"resourceType": "OperationOutcome"}, 401)
    assert checks.refused_unauthenticated(refused, "x") == []
    assert checks.bearer_challenge(refused)[0].reqs == ("REQ-243",)  # the canned 401 has no WWW-Authenticate
    assert checks.refused_unauthenticated(response({"resourceType": "Bundle"}, 200), "x")[0].severity == "error"
    assert checks.refused_unauthenticated(response({}, 403), "x")[0].severity == "error"
