"""The reference server under `--smart` (server/auth.py), for the SMART fault probes and the auth tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from joserfc.jwk import KeySet
from starlette.testclient import TestClient

from ra_conformance.fhir.auth import ASSERTION_TYPE, sign_assertion
from ra_conformance.fhir.keys import SigningKey, generate, public_jwks
from ra_conformance.server.app import create_app
from ra_conformance.server.auth import SmartConfig

KEY = generate("ES384")
CLIENT = "probe-client"
TOKEN_URL = "http://testserver/auth/token"
READ = "system/*.read system/*.rs"


def smart_config(key: SigningKey = KEY, *, lifetime: int = 300) -> SmartConfig:
    return SmartConfig({CLIENT: KeySet.import_key_set(public_jwks(key))}, token_lifetime=lifetime)


def smart_twin(c: Any) -> TestClient:
    """A TestClient over the same store and faults as `c`, with SMART Backend Services required."""
    ctx = c.app.state.ctx
    return TestClient(create_app(ctx.store, faults=ctx.faults, smart=smart_config()), raise_server_exceptions=False)


def assertion(key: SigningKey = KEY, **kw: Any) -> str:
    return sign_assertion(key, CLIENT, TOKEN_URL, **kw)


def token(sc: TestClient, the_assertion: str | None = None, scope: str = READ) -> Any:
    form = {"grant_type": "client_credentials", "scope": scope, "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": the_assertion or assertion()}
    return sc.post("/auth/token", data=form)


def bearer(sc: TestClient, scope: str = READ) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sc, scope=scope).json()['access_token']}"}


def _replayed(sc: TestClient) -> bool:
    again = assertion()
    return token(sc, again).status_code == 200 and token(sc, again).status_code == 200


def _narrow_reads_reports(sc: TestClient) -> bool:
    checked = sc.get("/MeasureReport?_count=1").status_code == 401  # tokens are checked at all
    return checked and sc.get("/MeasureReport?_count=1", headers=bearer(sc, "system/Patient.read")).status_code == 200


# fault -> probe(client) that is True exactly when the defect shows
SMART_PROBES: dict[str, Callable[[Any], bool]] = {
    "smart-no-token-check": lambda c: smart_twin(c).get("/MeasureReport?_count=1").status_code == 200,
    "smart-expired-assertion-accepted": lambda c: token(smart_twin(c), assertion(now=time.time() - 420)).status_code == 200,
    "smart-unknown-key-accepted": lambda c: token(smart_twin(c), assertion(generate("ES384"))).status_code == 200,
    "smart-jti-replay-accepted": lambda c: _replayed(smart_twin(c)),
    "smart-scopes-ignored": lambda c: _narrow_reads_reports(smart_twin(c)),
    "smart-tokens-never-expire": lambda c: "expires_in" not in token(smart_twin(c)).json(),
    "smart-discovery-no-token-endpoint": lambda c: "token_endpoint" not in smart_twin(c).get("/.well-known/smart-configuration").json(),
    "smart-401-without-challenge": lambda c: (lambda r: r.status_code == 401 and "www-authenticate" not in r.headers)(
        smart_twin(c).get("/MeasureReport?_count=1")),
}
