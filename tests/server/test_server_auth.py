"""`serve --smart` (server/auth.py): discovery, the token endpoint's checks, enforcement on every FHIR route."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ra_conformance.fhir.keys import generate
from ra_conformance.server.auth import ClientSpecError, covers, parse_client, parse_scopes, required_access

from .smart_probes import CLIENT, READ, assertion, bearer, smart_twin, token


@pytest.fixture
def sc(client_for: Any) -> Any:
    return smart_twin(client_for())


def test_metadata_and_discovery_are_open_and_declare_smart(sc: Any) -> None:
    meta = sc.get("/metadata")
    assert meta.status_code == 200
    security = meta.json()["rest"][0]["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    assert security["extension"][0]["extension"][0]["valueUri"] == "http://testserver/auth/token"
    doc = sc.get("/.well-known/smart-configuration").json()
    assert doc["token_endpoint"] == "http://testserver/auth/token"
    assert "private_key_jwt" in doc["token_endpoint_auth_methods_supported"] and "client_credentials" in doc["grant_types_supported"]


def test_a_good_assertion_gets_an_expiring_token_with_the_granted_scopes(sc: Any) -> None:
    body = token(sc, scope="system/*.read launch openid").json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 300
    assert body["scope"] == "system/*.read"  # only the system scopes are granted


@pytest.mark.parametrize("why,make", [
    ("unknown key", lambda: assertion(generate("ES384"))),
    ("expired", lambda: assertion(now=time.time() - 400)),
    ("too long", lambda: assertion(now=time.time() + 3600)),
    ("not a JWT", lambda: "not.a.jwt"),
])
def test_bad_assertions_are_refused_as_invalid_client(sc: Any, why: str, make: Any) -> None:
    resp = token(sc, make())
    assert resp.status_code in (400, 401) and resp.json()["error"] == "invalid_client", why
    assert "access_token" not in resp.json()


def test_wrong_audience_and_replay_are_refused(sc: Any) -> None:
    from ra_conformance.fhir.auth import sign_assertion

    from .smart_probes import KEY

    assert token(sc, sign_assertion(KEY, CLIENT, "http://elsewhere/token")).json()["error"] == "invalid_client"
    once = assertion()
    assert token(sc, once).status_code == 200
    assert token(sc, once).json()["error_description"].startswith("this jti was already used")


def test_other_grant_types_and_missing_scopes_are_refused(sc: Any) -> None:
    assert sc.post("/auth/token", data={"grant_type": "password"}).json()["error"] == "unsupported_grant_type"
    assert token(sc, scope="openid").json()["error"] == "invalid_scope"


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic Zm9vOmJhcg=="])
def test_fhir_routes_need_a_valid_token(sc: Any, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    resp = sc.get("/MeasureReport?_count=1", headers=headers)
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].startswith("Bearer")
    assert resp.json()["resourceType"] == "OperationOutcome"


def test_an_expired_access_token_is_refused(client_for: Any) -> None:
    from starlette.testclient import TestClient

    from ra_conformance.server.app import create_app

    from .smart_probes import smart_config

    ctx = client_for().app.state.ctx
    short = TestClient(create_app(ctx.store, smart=smart_config(lifetime=1)), raise_server_exceptions=False)
    headers = bearer(short)
    assert short.get("/Patient/p1", headers=headers).status_code == 200
    time.sleep(1.1)
    resp = short.get("/Patient/p1", headers=headers)
    assert resp.status_code == 401 and 'error="invalid_token"' in resp.headers["www-authenticate"]


def test_scopes_decide_what_a_token_may_do(sc: Any) -> None:
    patient_only = bearer(sc, "system/Patient.rs")
    assert sc.get("/Patient/p1", headers=patient_only).status_code == 200
    refused = sc.get("/MeasureReport?_count=1", headers=patient_only)
    assert refused.status_code == 403 and "insufficient_scope" in refused.headers["www-authenticate"]
    read_only = bearer(sc, READ)
    assert sc.delete("/Patient/p1", headers=read_only).status_code == 403
    assert sc.post("/", json={"resourceType": "Bundle", "type": "batch", "entry": []}, headers=read_only).status_code == 403
    assert sc.get("/MeasureReport/$cc-gaps?subject=Patient/p1&periodStart=2024-01-01&periodEnd=2024-12-31",
                  headers=read_only).status_code == 200


def test_async_status_and_files_need_a_token(sc: Any) -> None:
    headers = {**bearer(sc), "Prefer": "respond-async", "Accept": "application/fhir+json"}
    kick = sc.get("/MeasureReport/$cc-gaps?subject=Patient/p1&periodStart=2024-01-01&periodEnd=2024-12-31", headers=headers)
    status_url = kick.headers["content-location"]
    assert sc.get(status_url).status_code == 401
    assert sc.get(status_url, headers=bearer(sc)).status_code in (200, 202)


def test_scope_grammar_v1_and_v2() -> None:
    grants = parse_scopes("system/*.read system/Patient.cud system/Observation.rs?category=x patient/*.read nonsense")
    assert covers(grants, "MeasureReport", "r") and covers(grants, "Patient", "d") and not covers(grants, "MeasureReport", "c")
    assert covers(grants, "Observation", "s") and not parse_scopes("system/*.sr")  # v2 letters keep their order
    assert required_access("GET", "/MeasureReport") == [("MeasureReport", "s")]
    assert required_access("PUT", "/Patient/p1") == [("Patient", "u")]
    assert required_access("POST", "/MeasureReport/$cc-gaps") == [("MeasureReport", "rs")]


def test_client_registration_spec_errors_are_clear(tmp_path: Any) -> None:
    with pytest.raises(ClientSpecError, match="ID=JWKS_FILE"):
        parse_client("no-equals-sign")
    with pytest.raises(ClientSpecError, match="cannot read"):
        parse_client(f"c1={tmp_path / 'missing.json'}")


@pytest.mark.parametrize("how", ["basic", "post"])
def test_client_secrets_basic_or_post(client_for: Any, how: str) -> None:
    from starlette.testclient import TestClient

    from ra_conformance.server.app import create_app
    from ra_conformance.server.auth import SmartConfig, parse_secret

    config = SmartConfig({}, secrets=dict([parse_secret("gw=pa ss:wörd")]))
    sc = TestClient(create_app(client_for().app.state.ctx.store, smart=config), raise_server_exceptions=False)
    form = {"grant_type": "client_credentials", "scope": READ}
    if how == "basic":
        good = sc.post("/auth/token", data=form, auth=("gw", "pa ss:wörd"))
        bad = sc.post("/auth/token", data=form, auth=("gw", "nope"))
    else:
        good = sc.post("/auth/token", data={**form, "client_id": "gw", "client_secret": "pa ss:wörd"})
        bad = sc.post("/auth/token", data={**form, "client_id": "gw", "client_secret": "nope"})
    assert good.status_code == 200 and "access_token" in good.json()
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert "client_secret_basic" in sc.get("/.well-known/smart-configuration").json()["token_endpoint_auth_methods_supported"]
