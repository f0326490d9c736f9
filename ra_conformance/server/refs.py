"""FHIR ids and references: validation and normalisation to the local ``Type/id`` form."""

from __future__ import annotations

import re

ID_RE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
TYPE_RE = re.compile(r"^[A-Z][A-Za-z]{1,63}$")
_REL_RE = re.compile(r"^([A-Z][A-Za-z]{1,63})/([A-Za-z0-9\-.]{1,64})(/_history/[A-Za-z0-9\-.]{1,64})?$")
_ABS_RE = re.compile(r"^https?://.+?/([A-Z][A-Za-z]{1,63})/([A-Za-z0-9\-.]{1,64})(/_history/[A-Za-z0-9\-.]{1,64})?$")


def valid_id(value: object) -> bool:
    return isinstance(value, str) and bool(ID_RE.match(value))


def valid_type(value: object) -> bool:
    return isinstance(value, str) and bool(TYPE_RE.match(value))


def local_ref(reference: object, base: str | None = None) -> str | None:
    """``Type/id`` for a relative reference, or an absolute one to this server (``base``), ``_history`` dropped.

    With ``base=None`` any absolute http(s) reference ending in ``Type/id`` is accepted (used when indexing,
    where the server's public base is not known). Anything else (urn:, contained ``#x``, other servers) → None.
    """
    if not isinstance(reference, str):
        return None
    m = _REL_RE.match(reference)
    if m:
        return f"{m.group(1)}/{m.group(2)}"
    m = _ABS_RE.match(reference)
    if m and (base is None or reference.startswith(base.rstrip("/") + "/")):
        return f"{m.group(1)}/{m.group(2)}"
    return None
