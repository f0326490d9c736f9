"""Token providers for protected targets: SMART Backend Services (private_key_jwt) and OAuth 2.0 client credentials.

A provider hands FhirClient the `Authorization` value for each request, fetching a token when it has none,
renewing it shortly before it expires and, once, after a 401 (`invalidate`). Every request of the token flow
(discovery, token requests) is sent through `send_auth_request`, i.e. through FhirClient.send, so it is
captured and redacted like any other exchange; every secret value (assertion, client secret, tokens) is also
registered for redaction by value.

SMART App Launch v2, "Backend Services": the client authenticates with a JWT it signs (RS384 or ES384; `kid`
header; iss = sub = client_id, aud = token URL, exp at most five minutes ahead, a unique jti) sent as
`client_assertion` in a client_credentials token request.
"""

from __future__ import annotations

import abc
import base64
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import httpx
from joserfc import jwt

from .keys import SigningKey, load_signing_key
from .redact import register_secret

if TYPE_CHECKING:
    from .client import FhirResponse

Send = Callable[[httpx.Request], "FhirResponse"]

DISCOVERY_PATH = ".well-known/smart-configuration"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
MAX_ASSERTION_LIFETIME = 300  # seconds: SMART Backend Services, exp "no more than five minutes in the future"
RENEW_MARGIN = 30.0  # seconds before expiry a token is renewed (at most a tenth of its lifetime)
FORM = "application/x-www-form-urlencoded"

# SMART scopes the suites need: v1 (`.read`/`.write`) and v2 (`.rs`/`.cud`) forms side by side, so a server
# knowing either grants them (servers grant the subset they understand).
READ_SCOPES = ("system/*.read", "system/*.rs")
WRITE_SCOPES = ("system/*.write", "system/*.cud")
WRITE_CAPABILITIES = re.compile(r":(create|update|patch|delete)$|^system:(batch|transaction)$")


class AuthError(Exception):
    """No token could be obtained; the message is one line for the user (nothing secret in it). `unreachable`:
    because nothing answered (no connection, timeout), not because a server refused."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def default_scope(capabilities: Iterable[str] = (), *, write: bool = False) -> str:
    """The read scopes, plus the write scopes when a capability item (or the caller) writes."""
    writes = write or any(WRITE_CAPABILITIES.search(c) for c in capabilities)
    return " ".join(READ_SCOPES + (WRITE_SCOPES if writes else ()))


# -- the one way the token flow talks to servers ---------------------------------------------------------------
def send_auth_request(send: Send, method: str, url: str, *, form: dict[str, str] | None = None,
                      headers: dict[str, str] | None = None) -> FhirResponse:
    """Discovery GETs and token POSTs: plain JSON requests, no bearer token, through FhirClient.send."""
    all_headers = {"Accept": "application/json", "User-Agent": "ra-conform", **(headers or {})}
    content = None
    if form is not None:
        content = urlencode(form).encode("ascii")
        all_headers["Content-Type"] = FORM
    try:
        request = httpx.Request(method, url, headers=all_headers, content=content)
    except (httpx.InvalidURL, ValueError, TypeError, UnicodeError) as exc:  # e.g. a hostile discovery document's URL
        raise AuthError(f"not a usable URL: {url!r} ({type(exc).__name__})") from None
    return send(request)


def discover_token_url(send: Send, base_url: str) -> tuple[str | None, str]:
    """The token endpoint from `[base]/.well-known/smart-configuration`, else from the CapabilityStatement's
    SMART `oauth-uris` extension (SMART v1); with a note saying where it came from or why none was found."""
    base = base_url.rstrip("/")
    resp = send_auth_request(send, "GET", f"{base}/{DISCOVERY_PATH}")
    doc = resp.json if resp.ok else None
    if isinstance(doc, dict) and isinstance(doc.get("token_endpoint"), str) and doc["token_endpoint"]:
        return doc["token_endpoint"], "from the SMART discovery document"
    meta = send_auth_request(send, "GET", f"{base}/metadata", headers={"Accept": "application/fhir+json"})
    found = oauth_uris(meta.json).get("token")
    if found:
        return found, "from /metadata rest.security (oauth-uris)"
    if resp.status is None and meta.status is None:
        raise AuthError(f"the target did not answer: GET {base}/{DISCOVERY_PATH} ({resp.error}), GET {base}/metadata "
                        f"({meta.error})", unreachable=True)
    return None, f"neither {base}/{DISCOVERY_PATH} ({resp.status or resp.error}) nor /metadata names a token endpoint"


def oauth_uris(capability_statement: Any) -> dict[str, str]:
    """`token`, `authorize`, … URLs of the SMART oauth-uris extension in rest.security (empty when absent)."""
    out: dict[str, str] = {}
    rests = capability_statement.get("rest") if isinstance(capability_statement, dict) else None
    for rest in rests if isinstance(rests, list) else []:
        security = rest.get("security") if isinstance(rest, dict) else None
        exts = security.get("extension") if isinstance(security, dict) else None
        for ext in exts if isinstance(exts, list) else []:
            if not isinstance(ext, dict) or ext.get("url") != OAUTH_URIS or not isinstance(ext.get("extension"), list):
                continue
            for sub in ext["extension"]:
                if isinstance(sub, dict) and isinstance(sub.get("url"), str) and isinstance(sub.get("valueUri"), str):
                    out[sub["url"]] = sub["valueUri"]
    return out


# -- client assertions -----------------------------------------------------------------------------------------
def sign_assertion(key: SigningKey, client_id: str, token_url: str, *, lifetime: int = MAX_ASSERTION_LIFETIME,
                   now: float | None = None, jti: str | None = None) -> str:
    """A SMART Backend Services client assertion (registered for redaction before it leaves this function)."""
    issued = int(now if now is not None else time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": token_url, "exp": issued + min(lifetime, MAX_ASSERTION_LIFETIME),
              "iat": issued, "jti": jti or uuid.uuid4().hex}
    header = {"alg": key.alg, "kid": key.kid, "typ": "JWT"}
    token = jwt.encode(header, claims, key.key, algorithms=[key.alg])
    register_secret(token)
    return token


# -- tokens ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    value: str
    scope: str
    expires_at: float | None  # time.monotonic(); None: the server gave no expires_in

    def fresh(self, now: float) -> bool:
        if self.expires_at is None:
            return True
        return now < self.expires_at


def parse_token_answer(resp: FhirResponse, *, requested_scope: str, started: float) -> Token:
    """The access token of a token endpoint's answer; AuthError (one line) for anything else."""
    if resp.error:
        raise AuthError(f"token endpoint {resp.exchange.url} did not answer: {resp.error}", unreachable=True)
    body = resp.json
    if resp.status != 200:
        raise AuthError(f"token endpoint {resp.exchange.url} refused the request: HTTP {resp.status}{_oauth_error(body)}")
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise AuthError(f"token endpoint {resp.exchange.url} answered HTTP 200 without an access_token")
    register_secret(body["access_token"])
    if isinstance(body.get("refresh_token"), str):
        register_secret(body["refresh_token"])
    lifetime = body.get("expires_in")
    expires_at = None
    if isinstance(lifetime, (int, float)) and not isinstance(lifetime, bool) and lifetime > 0:
        expires_at = started + float(lifetime) - min(RENEW_MARGIN, float(lifetime) / 10)
    scope = s if isinstance(s := body.get("scope"), str) else requested_scope
    return Token(body["access_token"], scope, expires_at)


def _oauth_error(body: Any) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return ""
    text = f" {_printable(body['error'], 60)}"
    if isinstance(body.get("error_description"), str):
        text += f" ({_printable(body['error_description'], 200)})"
    return text


def _printable(text: str, limit: int) -> str:
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return text[:limit] + ("…" if len(text) > limit else "")


class TokenProvider(abc.ABC):
    """Fetches and renews one access token for a FhirClient; subclasses say how the client authenticates."""

    kind = "token"

    def __init__(self, *, client_id: str, base_url: str, token_url: str | None = None, scope: str | None = None) -> None:
        self.client_id = client_id
        self.base_url = base_url
        self.token_url = token_url
        self.scope = scope  # None: default_scope() unless configure_scope() is told more
        self.token_url_note = "given" if token_url else ""
        self._token: Token | None = None
        self._lock = threading.Lock()

    def configure_scope(self, scope: str) -> None:
        """The default scope for this run (what the chosen suites need); a scope the user gave wins."""
        if self.scope is None:
            self.scope = scope

    @property
    def effective_scope(self) -> str:
        return self.scope or default_scope()

    def authorization(self, send: Send) -> str:
        """`Bearer <token>`, fetching or renewing the token when needed (AuthError when impossible)."""
        with self._lock:
            if self._token is None or not self._token.fresh(time.monotonic()):
                self._token = self.fetch(send)
            return f"Bearer {self._token.value}"

    def invalidate(self) -> None:
        """Forget the token (after a 401): the next request gets a new one."""
        with self._lock:
            self._token = None

    def resolve_token_url(self, send: Send) -> str:
        if self.token_url is None:
            found, note = discover_token_url(send, self.base_url)
            if found is None:
                raise AuthError(f"no token endpoint: {note}; give --token-url")
            self.token_url, self.token_url_note = found, note
        return self.token_url

    def fetch(self, send: Send, *, scope: str | None = None) -> Token:
        scope = scope or self.effective_scope
        started = time.monotonic()
        resp = self.token_request(send, scope=scope)
        return parse_token_answer(resp, requested_scope=scope, started=started)

    @abc.abstractmethod
    def token_request(self, send: Send, *, scope: str | None = None, **kw: Any) -> FhirResponse:
        """POST the token request (the subclass authenticates the client its own way)."""


class SmartBackendProvider(TokenProvider):
    """SMART Backend Services: client_credentials with a signed client assertion (private_key_jwt)."""

    kind = "SMART Backend Services"

    def __init__(self, *, key: SigningKey, **kw: Any) -> None:
        super().__init__(**kw)
        self.key = key

    def assertion(self, send: Send, **kw: Any) -> str:
        return sign_assertion(kw.pop("key", self.key), self.client_id, self.resolve_token_url(send), **kw)

    def token_request(self, send: Send, *, scope: str | None = None, assertion: str | None = None,
                      **kw: Any) -> FhirResponse:
        """One token request; `assertion` replaces the freshly signed one (the auth suite replays and forges)."""
        url = self.resolve_token_url(send)
        form = {"grant_type": "client_credentials", "scope": scope or self.effective_scope,
                "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion or self.assertion(send)}
        return send_auth_request(send, "POST", url, form=form)


class ClientSecretProvider(TokenProvider):
    """OAuth 2.0 client credentials with a client secret, in a Basic header (`basic`) or the form (`post`)."""

    kind = "client secret"

    def __init__(self, *, secret: str, method: str = "basic", **kw: Any) -> None:
        super().__init__(**kw)
        if method not in ("basic", "post"):
            raise ValueError(f"client authentication {method!r}: choose basic or post")
        self.method = method
        self._secret = secret
        register_secret(secret)
        register_secret(quote(secret, safe=""))

    def token_request(self, send: Send, *, scope: str | None = None, **kw: Any) -> FhirResponse:
        form = {"grant_type": "client_credentials", "scope": scope or self.effective_scope}
        headers: dict[str, str] = {}
        if self.method == "post":
            form.update(client_id=self.client_id, client_secret=self._secret)
        else:  # RFC 6749 §2.3.1: both parts form-urlencoded, then Basic
            pair = f"{quote(self.client_id, safe='')}:{quote(self._secret, safe='')}"
            basic = base64.b64encode(pair.encode()).decode("ascii")
            register_secret(basic)
            headers["Authorization"] = f"Basic {basic}"
        return send_auth_request(send, "POST", self.resolve_token_url(send), form=form, headers=headers)


def provider_for(base_url: str, *, client_id: str | None, key_path: Path | None = None, client_secret: str | None = None,
                 client_auth: str = "basic", token_url: str | None = None, scope: str | None = None) -> TokenProvider | None:
    """The provider the settings ask for (None: no client credentials given). Raises KeyFileError for a bad key."""
    if not client_id:
        return None
    common: dict[str, Any] = {"client_id": client_id, "base_url": base_url, "token_url": token_url, "scope": scope}
    if key_path is not None:
        return SmartBackendProvider(key=load_signing_key(key_path), **common)
    if client_secret:
        return ClientSecretProvider(secret=client_secret, method=client_auth, **common)
    return None
