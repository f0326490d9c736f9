"""SMART Backend Services for the reference server (`serve --smart`): discovery, token endpoint, enforcement.

- `GET /.well-known/smart-configuration`: the discovery document (SMART App Launch v2, Backend Services,
  "Advertising server conformance"); /metadata declares SMART in `rest.security` with the oauth-uris extension.
- `POST /auth/token`: client_credentials with a client assertion (private_key_jwt) verified against the client's
  registered JWKS — signature (RS384/ES384, by `kid`), iss = sub = a registered client id, aud = this endpoint,
  exp in the future and at most five minutes ahead, a jti not seen before ("Client Authentication: Asymmetric").
  It issues an opaque access token for the granted system scopes, valid `token_lifetime` seconds.
- `SmartMiddleware`: every other route (FHIR and the async status/files) needs a valid, unexpired token (401 +
  OperationOutcome + `WWW-Authenticate: Bearer`) whose scopes cover the request (403, `insufficient_scope`).

Scopes are SMART v1 (`system/Type.read|write|*`) or v2 (`system/Type.cruds` subsets); a batch/transaction
(`POST [base]`) needs read and write scopes on every type (`system/*.…`). Faults of this module: `smart-…`.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import jsonio
from ..fhir.keys import ALGORITHMS, KeyFileError, load_public_jwks, load_signing_key, public_jwks
from .errors import issue, operation_outcome

DISCOVERY_PATH = "/.well-known/smart-configuration"
TOKEN_PATH = "/auth/token"
OPEN_PATHS = frozenset({"/metadata", DISCOVERY_PATH, TOKEN_PATH})
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
SECURITY_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"
MAX_ASSERTION_AHEAD = 300 + 60  # seconds: five minutes (SMART) plus a minute of clock skew
V1_PERMS = {"read": "rs", "write": "cud", "*": "cruds"}
_SCOPE = re.compile(r"^system/(\*|[A-Z][A-Za-z]+)\.([a-z*]+)(\?.*)?$")
_METHOD_PERM = {"GET": "r", "HEAD": "r", "POST": "c", "PUT": "u", "PATCH": "u", "DELETE": "d"}


class ClientSpecError(ValueError):
    """A `--smart-client ID=JWKS_FILE` we cannot use (exit code 2)."""


@dataclass(frozen=True)
class SmartConfig:
    clients: Mapping[str, KeySet]  # client id -> registered public keys
    token_lifetime: int = 300  # seconds (SMART's recommended five minutes)
    secrets: Mapping[str, str] = field(default_factory=dict)  # client id -> client secret (OAuth 2.0, basic or post)


def config_for_client(client_id: str | None, *, key_path: Path | None = None, secret: str | None = None) -> SmartConfig | None:
    """One registered client: the public part of its private key, or its secret (None without a client id)."""
    if not client_id or not (key_path or secret):
        return None
    if key_path is None:
        return SmartConfig({}, secrets={client_id: str(secret)})
    return SmartConfig({client_id: KeySet.import_key_set(public_jwks(load_signing_key(key_path)))})


def parse_client(spec: str) -> tuple[str, KeySet]:
    client_id, sep, path = spec.partition("=")
    if not sep or not client_id.strip() or not path.strip():
        raise ClientSpecError(f"--smart-client {spec!r}: expected ID=JWKS_FILE")
    try:
        return client_id.strip(), load_public_jwks(Path(path.strip()))
    except KeyFileError as exc:
        raise ClientSpecError(f"--smart-client {client_id}: {exc}") from None


def parse_secret(spec: str) -> tuple[str, str]:
    client_id, sep, secret = spec.partition("=")
    if not sep or not client_id.strip() or not secret:
        raise ClientSpecError("--smart-client-secret: expected ID=SECRET")
    return client_id.strip(), secret


def parse_scopes(scope: str) -> set[tuple[str, str]]:
    """Granted (resource type or '*', permission letter of c/r/u/d/s) pairs of the system scopes in `scope`."""
    grants: set[tuple[str, str]] = set()
    for item in scope.split():
        m = _SCOPE.match(item)
        if not m:
            continue  # not a system scope (launch, openid, patient/…): not for a backend service
        rtype, perms = m.group(1), m.group(2)
        letters = V1_PERMS.get(perms) or (perms if re.fullmatch(r"c?r?u?d?s?", perms) else "")
        grants.update((rtype, letter) for letter in letters)
    return grants


def covers(grants: set[tuple[str, str]], rtype: str, letters: str) -> bool:
    """Do the grants allow any of `letters` on `rtype`?"""
    return any((t, letter) in grants for t in (rtype, "*") for letter in letters)


def required_access(method: str, path: str) -> list[tuple[str, str]]:
    """(type, letters any of which suffices) a request needs; every pair must be granted."""
    parts = [p for p in path.split("/") if p]
    if not parts:  # POST [base]: batch/transaction touches any type
        return [("*", "rs"), ("*", "cud")]
    if parts[0].startswith("$"):  # $async/<job>… status, cancel and files of $cc-gaps jobs
        return [("MeasureReport", "rs")]
    rtype = parts[0]
    if (len(parts) > 1 and parts[-1].startswith("$")) or (len(parts) > 1 and parts[1] == "_search"):
        return [(rtype, "rs")]  # operations that only read ($cc-gaps, $risk-gap), POST _search
    if method == "GET" and len(parts) == 1:
        return [(rtype, "s")]
    return [(rtype, _METHOD_PERM.get(method, "cruds"))]


def expired(exp: float, now: float) -> bool:
    """An assertion whose exp has passed is refused (SMART "Client Authentication: Asymmetric")."""
    return exp <= now


def verify_signature(assertion: str, keys: KeySet) -> None:
    """The assertion's signature verifies with one of the client's registered keys (else a JoseError etc.)."""
    jwt.decode(assertion, keys, algorithms=list(ALGORITHMS))


def seen_before(replayed: bool) -> bool:
    """A jti seen before is a replayed assertion, refused."""
    return replayed


def lifetime(configured: int) -> int | None:
    """The access tokens' lifetime in seconds (None: they never expire)."""
    return configured


def guarded(method: str, path: str) -> bool:
    """Every FHIR request (open paths aside: SmartMiddleware) needs a valid token."""
    return True


def challenge(header: str) -> dict[str, str]:
    """A 401/403 names the scheme (RFC 6750 §3)."""
    return {"WWW-Authenticate": header}


def same_document(doc: dict[str, Any]) -> dict[str, Any]:
    return doc


@dataclass(frozen=True)
class Rules:
    """SMART Backend Services where a server can go wrong; the defaults are SMART's (a fault swaps one:
    server/faults/auth.py), read once when the app starts."""

    verify_signature: Callable[[str, KeySet], None] = verify_signature
    expired: Callable[[float, float], bool] = expired
    refuses_replay: Callable[[bool], bool] = seen_before
    lifetime: Callable[[int], int | None] = lifetime
    guarded: Callable[[str, str], bool] = guarded
    covers: Callable[[set[tuple[str, str]], str, str], bool] = covers
    challenge: Callable[[str], dict[str, str]] = challenge
    discovery: Callable[[dict[str, Any]], dict[str, Any]] = same_document


@dataclass(frozen=True)
class Grant:
    client_id: str
    scope: str
    grants: frozenset[tuple[str, str]]
    expires_at: float | None


class SmartAuth:
    """The token endpoint's state: registered clients, issued tokens, used jti values."""

    def __init__(self, config: SmartConfig, rules: Rules | None = None) -> None:
        self.config = config
        self.rules = rules or Rules()
        self.tokens: dict[str, Grant] = {}
        self._jtis: dict[tuple[str, str], float] = {}  # (client id, jti) -> until when it is remembered
        self._lock = threading.Lock()

    # -- discovery -------------------------------------------------------------------------------------
    def discovery(self, base: str) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "issuer": base,
            "token_endpoint": base + TOKEN_PATH,
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"] + (
                ["client_secret_basic", "client_secret_post"] if self.config.secrets else []),
            "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
            "scopes_supported": ["system/*.read", "system/*.write", "system/*.rs", "system/*.cruds"],
            "capabilities": ["client-confidential-asymmetric", "permission-v1", "permission-v2"],
        }
        return self.rules.discovery(doc)

    def declare(self, capability_statement: dict[str, Any], base: str) -> None:
        """rest.security: the SMART service and its oauth-uris (where SMART v1 clients find the token URL)."""
        for rest in capability_statement.get("rest", []):
            rest["security"] = {
                "extension": [{"url": OAUTH_URIS, "extension": [{"url": "token", "valueUri": base + TOKEN_PATH}]}],
                "service": [{"coding": [{"system": SECURITY_SERVICE, "code": "SMART-on-FHIR"}],
                             "text": "SMART Backend Services (client_credentials, private_key_jwt)"}],
                "description": f"OAuth 2.0 bearer tokens from {base}{TOKEN_PATH} (SMART Backend Services).",
            }

    # -- token endpoint --------------------------------------------------------------------------------
    async def token_endpoint(self, request: Request) -> Response:
        base = request.app.state.ctx.base(request)
        body = (await request.body())[:64 * 1024].decode("utf-8", errors="replace")
        form = dict(parse_qsl(body, keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic ") or "client_secret" in form:
            client_id, problem = self.verify_secret(basic, form)
        elif form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            return _oauth_error(400, "invalid_request", f"client_assertion_type {ASSERTION_TYPE} and a client_assertion are required")
        else:
            client_id, problem = self.verify_assertion(form["client_assertion"], audience=base + TOKEN_PATH)
        if problem:
            return _oauth_error(400 if client_id else 401, "invalid_client", problem)
        grants = parse_scopes(form.get("scope", ""))
        if not grants:
            return _oauth_error(400, "invalid_scope", "request at least one system scope (e.g. system/*.read or system/*.rs)")
        granted = " ".join(s for s in form.get("scope", "").split() if parse_scopes(s))
        return self._issue(client_id or "", granted, grants)

    def verify_secret(self, authorization: str, form: dict[str, str]) -> tuple[str | None, str | None]:
        """client_secret_basic (RFC 6749 §2.3.1: both parts form-urlencoded) or client_secret_post."""
        if authorization.lower().startswith("basic "):
            try:
                pair = base64.b64decode(authorization.split(None, 1)[1], validate=True).decode("utf-8")
            except (ValueError, IndexError):
                return None, "the Basic credentials are not base64"
            raw_id, _, raw_secret = pair.partition(":")
            client_id, candidates = unquote_plus(raw_id), {unquote_plus(raw_secret), raw_secret}  # encoded or not
        else:
            client_id, candidates = form.get("client_id", ""), {form.get("client_secret", "")}
        expected = self.config.secrets.get(client_id)
        if expected is None or not any(secrets.compare_digest(expected.encode(), c.encode()) for c in candidates):
            return None, "unknown client or wrong client secret"
        return client_id, None

    def verify_assertion(self, assertion: str, *, audience: str) -> tuple[str | None, str | None]:
        """(client id, None) when the assertion is good, else (client id if known, why it is refused)."""
        try:
            header, claims = _peek(assertion)
        except ValueError as exc:
            return None, f"the client assertion is not a JWT: {exc}"
        client_id = claims.get("iss")
        if not isinstance(client_id, str) or client_id not in self.config.clients:
            return None, "unknown client (iss)"
        if claims.get("sub") != client_id:
            return client_id, "sub must equal iss (the client id)"
        if header.get("alg") not in ALGORITHMS:
            return client_id, f"alg must be one of {', '.join(ALGORITHMS)}"
        try:
            self.rules.verify_signature(assertion, self.config.clients[client_id])
        except (JoseError, ValueError, KeyError, TypeError):  # bad signature, no key with that kid, odd JWS
            return client_id, "the signature does not verify with the client's registered keys"
        aud = claims.get("aud")
        if aud != audience and not (isinstance(aud, list) and audience in aud):
            return client_id, f"aud must be the token endpoint {audience}"
        now = time.time()
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            return client_id, "exp is required"
        if self.rules.expired(exp, now):
            return client_id, "the client assertion has expired"
        if exp > now + MAX_ASSERTION_AHEAD:
            return client_id, "exp must be at most five minutes in the future"
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            return client_id, "jti is required"
        with self._lock:
            self._jtis = {j: e for j, e in self._jtis.items() if e > now - 60}
            replayed = (client_id, jti) in self._jtis
            if self.rules.refuses_replay(replayed):
                return client_id, "this jti was already used (replayed assertion)"
            self._jtis[(client_id, jti)] = max(float(exp), now)
        return client_id, None

    def _issue(self, client_id: str, scope: str, grants: set[tuple[str, str]]) -> Response:
        token = secrets.token_urlsafe(32)
        seconds = self.rules.lifetime(self.config.token_lifetime)
        with self._lock:
            now = time.time()
            self.tokens = {t: g for t, g in self.tokens.items() if g.expires_at is None or g.expires_at > now}
            self.tokens[token] = Grant(client_id, scope, frozenset(grants), None if seconds is None else now + seconds)
        body: dict[str, Any] = {"access_token": token, "token_type": "bearer", "scope": scope}
        if seconds is not None:
            body["expires_in"] = seconds
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    # -- enforcement -----------------------------------------------------------------------------------
    def refusal(self, method: str, path: str, authorization: str | None) -> tuple[int, str, str] | None:
        """(status, OAuth error, text) when the request may not proceed, else None."""
        if not self.rules.guarded(method, path):
            return None
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return 401, "", "this server needs a bearer access token (SMART Backend Services)"
        grant = self.tokens.get(token.strip())
        if grant is None:
            return 401, "invalid_token", "the access token is not valid"
        if grant.expires_at is not None and grant.expires_at <= time.time():
            return 401, "invalid_token", "the access token has expired"
        for rtype, letters in required_access(method, path):
            if not self.rules.covers(set(grant.grants), rtype, letters):
                return 403, "insufficient_scope", f"the token's scopes ({grant.scope}) do not allow {method} {path}"
        return None


def _peek(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a compact JWS, unverified (to find the client whose keys verify it)."""
    parts = assertion.split(".")
    if len(parts) != 3:
        raise ValueError("expected three dot-separated parts")
    try:
        decoded = [jsonio.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2]]
    except (ValueError, jsonio.JsonError) as exc:
        raise ValueError(f"undecodable header or claims ({type(exc).__name__})") from None
    if not all(isinstance(d, dict) for d in decoded):
        raise ValueError("header and claims must be JSON objects")
    return decoded[0], decoded[1]


def _oauth_error(status: int, error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status,
                        headers={"Cache-Control": "no-store"})


def routes(auth: SmartAuth) -> list[Route]:
    async def discovery(request: Request) -> Response:
        return JSONResponse(auth.discovery(request.app.state.ctx.base(request)))

    return [Route(DISCOVERY_PATH, discovery, methods=["GET"]), Route(TOKEN_PATH, auth.token_endpoint, methods=["POST"])]


class SmartMiddleware:
    """Refuses FHIR requests (every path but /metadata, discovery and token) without a token that covers them."""

    def __init__(self, app: ASGIApp, auth: SmartAuth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = (scope.get("path") or "/").rstrip("/") or "/"
        if scope["type"] != "http" or path in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        refused = self.auth.refusal(scope.get("method", "GET"), path, headers.get("authorization"))
        if refused is None:
            await self.app(scope, receive, send)
            return
        status, error, text = refused
        challenge = 'Bearer realm="ra-conform"' + (f', error="{error}"' if error else "")
        code = "forbidden" if status == 403 else "login"
        body = jsonio.dumps(operation_outcome(issue("error", code, text)))
        headers = self.auth.rules.challenge(challenge)
        response = Response(body, status_code=status, media_type="application/fhir+json; charset=utf-8", headers=headers)
        await response(scope, receive, send)
