"""Defects of SMART Backend Services (server/auth.py; in force under `serve --smart`): the rules a wrong server
follows instead of SMART's (strategies for auth.Rules)."""

from __future__ import annotations

from typing import Any


def any_signature(assertion: str, keys: Any) -> None:
    """smart-unknown-key-accepted: the signature is not checked against the client's registered keys."""
    return


def never_expired(exp: float, now: float) -> bool:
    return False


def replay_allowed(replayed: bool) -> bool:
    return False


def forever(configured: int) -> int | None:
    """smart-tokens-never-expire: tokens without expiry (and no expires_in)."""
    return None


def unguarded(method: str, path: str) -> bool:
    """smart-no-token-check: no request needs a token."""
    return False


def any_scope(grants: set[tuple[str, str]], rtype: str, letters: str) -> bool:
    return True


def no_challenge(header: str) -> dict[str, str]:
    return {}


def without_token_endpoint(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "token_endpoint"}
