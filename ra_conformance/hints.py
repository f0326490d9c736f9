"""Hints that tell the user what most likely went wrong, from what the target answered (never guesses past it)."""

from __future__ import annotations

from urllib.parse import urlsplit


def base_url_hint(target: str, metadata_status: int | None) -> str | None:
    """A 404 on [base]/metadata means the base URL is not a FHIR base: suggest the root or /fhir."""
    if metadata_status != 404:
        return None
    parts = urlsplit(target)
    root = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    if path:
        other = f"{root} (the server root; `ra-conform serve` answers there)"
    else:
        other = f"{root}/fhir (many servers use /fhir)"
    return f"{target.rstrip('/')}/metadata answered 404: the base URL looks wrong — try {other}"
