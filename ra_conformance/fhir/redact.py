"""Secrets never leave the process: redaction applied when an exchange is captured."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "***redacted***"
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "x-auth-token"}
)
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "client_assertion",
        "password",
        "token",
        "code_verifier",
        "assertion",
    }
)
# "access_token": "…"  in any JSON-ish or form text
_JSON_SECRET = re.compile(r'("(?:%s)"\s*:\s*)"(?:[^"\\]|\\.)*"' % "|".join(sorted(SECRET_KEYS)), re.IGNORECASE)
_FORM_SECRET = re.compile(r"(\b(?:%s)=)[^&\s]+" % "|".join(sorted(SECRET_KEYS)), re.IGNORECASE)
_BEARER = re.compile(r"(\bBearer\s+)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
# Secret values known to the process (tokens, client assertions, client secrets): replaced wherever they appear.
_SECRETS: set[str] = set()


def register_secret(value: str) -> None:
    """Redact this value by value from now on, in every captured exchange (URL, headers, bodies)."""
    if value and len(value) >= 4:  # a one-letter "secret" would shred every report
        _SECRETS.add(value)


def redact_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        out[name] = REDACTED if name.lower() in SECRET_HEADERS else _by_value(value)
    return out


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return _by_value(url)
    query = [(k, REDACTED if k.lower() in SECRET_KEYS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return _by_value(urlunsplit(parts._replace(query=urlencode(query, safe="/:$,"))))


def redact_text(text: str, extra_secrets: Iterable[str] = ()) -> str:
    text = _JSON_SECRET.sub(lambda m: m.group(1) + '"' + REDACTED + '"', text)
    text = _FORM_SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    for secret in extra_secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _by_value(text)


def _by_value(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text
