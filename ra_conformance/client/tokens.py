"""Which bearer token a client under test must send, and whether each recorded request carried one (REQ-006).

Two ways client-test protects its reference server: a fixed `--auth-token`, or SMART Backend Services
(`--smart-client ID=JWKS_FILE`, `--smart-client-secret ID=SECRET`): the server publishes its discovery document
and token endpoint and refuses every FHIR request without a token it issued. Under SMART, any access token the
token endpoint issued during the run is valid; the judge reads them from the recorded token answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..server.auth import DISCOVERY_PATH, TOKEN_PATH
from .recorder import Recorded

OPEN_PATHS = frozenset({"/metadata", DISCOVERY_PATH, TOKEN_PATH})  # no token needed (SMART: the way to get one)
SMART = "SMART Backend Services"


@dataclass(frozen=True)
class TokenRule:
    """A fixed token (`fixed`), or SMART: the tokens the server issued (`issued`) at `token_url`."""

    fixed: str | None = None
    issued: frozenset[str] = frozenset()
    token_url: str | None = None

    @property
    def smart(self) -> bool:
        return self.fixed is None

    def valid(self, token: str) -> bool:
        return token == self.fixed if self.fixed is not None else token in self.issued

    def how(self) -> str:
        """How the client gets a valid token (the finding's `expected`)."""
        if self.fixed is not None:
            return "Authorization: Bearer <the token given to client-test with --auth-token>"
        return f"Authorization: Bearer <an access token from {self.token_url or TOKEN_PATH} ({SMART})>"


def bearer_of(r: Recorded) -> str | None:
    scheme, _, value = (r.header("authorization") or "").strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def issued_tokens(records: Iterable[Recorded]) -> frozenset[str]:
    """The access tokens in the token endpoint's successful answers (the server's issued tokens)."""
    out = set()
    for r in records:
        if r.method == "POST" and r.path == TOKEN_PATH and r.status == 200:
            body = r.response_json
            if isinstance(body, dict) and isinstance(body.get("access_token"), str):
                out.add(body["access_token"])
    return frozenset(out)


def protected(records: Iterable[Recorded]) -> list[Recorded]:
    """The requests that need a token (everything but /metadata, discovery and the token endpoint)."""
    return [r for r in records if r.path not in OPEN_PATHS]


def refusal(r: Recorded) -> str | None:
    """The server's reason when it refused the request's token (SMART: 401/403 with a Bearer challenge)."""
    challenge = r.response_header("www-authenticate") or ""
    if r.status not in (401, 403) or not challenge.lower().startswith("bearer"):
        return None
    return f"HTTP {r.status} ({challenge})"
