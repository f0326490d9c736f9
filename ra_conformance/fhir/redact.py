"""Secrets never leave the process: redaction by name (headers, parameters) and by value.

Every secret the harness knows (bearer tokens, client secrets and assertions, cookies a server set) is
registered with ``register_secret``; ``scrub`` replaces each one — and its URL-, JSON- and XML-escaped forms —
wherever it appears. Exchanges are scrubbed at capture, and every writer (summary.json, report.html, JUnit,
Allure, the console) scrubs again when it writes (``scrub_obj``, ``scrub_report_dir``).
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

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
_KEYS = "|".join(sorted(SECRET_KEYS))
_JSON_SECRET = re.compile(rf'("(?:{_KEYS})"\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)
_FORM_SECRET = re.compile(rf"(\b(?:{_KEYS})=)[^&\s]+", re.IGNORECASE)
_BEARER = re.compile(r"(\bBearer\s+)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
MIN_SECRET_LENGTH = 4  # a shorter value ("1", "yes") would blank ordinary text of every report

_lock = threading.Lock()
_secrets: set[str] = set()
_forms: list[str] = []  # every registered secret in every escaped form, longest first


def _escaped_forms(value: str) -> set[str]:
    forms = {value, quote(value, safe=""), quote_plus(value, safe=""), json.dumps(value)[1:-1], html.escape(value),
             html.escape(value, quote=False), quote(value, safe="/:=")}
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


def register_secret(value: object) -> None:  # any JSON value: only a long enough string is kept
    """Remember a secret: from now on it is replaced by REDACTED wherever it is captured or written."""
    if not isinstance(value, str) or len(value.strip()) < MIN_SECRET_LENGTH:
        return
    global _forms
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        forms = set(_forms) | _escaped_forms(value) | _escaped_forms(value.strip())
        _forms = sorted(forms, key=len, reverse=True)


def registered_secrets() -> tuple[str, ...]:
    return tuple(_secrets)


def forget_secrets() -> None:
    """Tests only: start from an empty registry."""
    global _forms
    with _lock:
        _secrets.clear()
        _forms = []


def scrub(text: str) -> str:
    """``text`` with every registered secret (in any escaped form) replaced."""
    for form in _forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def scrub_obj(value: Any) -> Any:
    """A JSON-like value with every string (and key) scrubbed; the same object back when nothing is secret."""
    if not _forms:
        return value
    # iterative (no recursion limit on a hostile server's nesting): containers are scrubbed in place
    root = [value]
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k in list(node):
                v = node[k]
                nk = scrub(k) if isinstance(k, str) else k
                if isinstance(v, str):
                    v = scrub(v)
                elif isinstance(v, (dict, list)):
                    stack.append(v)
                if nk != k:
                    del node[k]
                node[nk] = v
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, str):
                    node[i] = scrub(v)
                elif isinstance(v, (dict, list)):
                    stack.append(v)
    return root[0]


def scrub_bytes(data: bytes) -> bytes:
    for form in _forms:
        raw = form.encode("utf-8")
        if raw in data:
            data = data.replace(raw, REDACTED.encode())
    return data


def scrub_report_dir(report_dir: Path) -> list[Path]:
    """Scrub a report file, or every file under a report directory (JUnit and Allure files are written by their own plugins);
    returns the files rewritten."""
    changed: list[Path] = []
    if not _forms or not (report_dir.is_dir() or report_dir.is_file()):
        return changed
    for path in report_dir.rglob("*") if report_dir.is_dir() else [report_dir]:
        if not path.is_file() or path.is_symlink():
            continue
        try:
            data = path.read_bytes()
            clean = scrub_bytes(data)
            if clean != data:
                path.write_bytes(clean)
                changed.append(path)
        except OSError:
            continue
    return changed


def redact_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        out[scrub(name)] = REDACTED if name.lower() in SECRET_HEADERS else scrub(value)
    return out


def redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL (a hostile server's link): scrubbed as text
        return redact_text(url)
    if not parts.query:
        return scrub(url)
    query = [(k, REDACTED if k.lower() in SECRET_KEYS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return scrub(urlunsplit(parts._replace(query=urlencode(query, safe="/:$,"))))


def redact_text(text: str, extra_secrets: Iterable[str] = ()) -> str:
    text = _JSON_SECRET.sub(lambda m: m.group(1) + '"' + REDACTED + '"', text)
    text = _FORM_SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    for secret in extra_secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return scrub(text)
