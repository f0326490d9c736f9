"""What a legal variation is: a catalogue record (``Variant``) and its behaviour (``Behaviour``, server/layer.py).

A behaviour mutates the reference server's *correct* answers (or supplies a strategy the server reads once); the
correct handlers never consult it. Deliberate faults (server/faults/) use the same mechanism.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeGuard

from ..layer import Behaviour, Call

__all__ = ["Behaviour", "Call", "Variant", "bundles_in", "is_searchset"]


@dataclass(frozen=True)
class Variant:
    """One legal variation: what it does and the FHIR R4 rule (or IG text) that makes it legal."""

    name: str
    description: str
    r4_rule: str
    behaviour: type[Behaviour]


# -- helpers the behaviours share ---------------------------------------------------------------------


def bundles_in(body: Any) -> Iterator[dict[str, Any]]:
    """The Bundle itself, or the Bundles a Parameters answer carries (``return`` parameters)."""
    if not isinstance(body, dict):
        return
    if body.get("resourceType") == "Bundle":
        yield body
    elif body.get("resourceType") == "Parameters":
        for p in body.get("parameter") or []:
            res = p.get("resource") if isinstance(p, dict) else None
            if isinstance(res, dict) and res.get("resourceType") == "Bundle":
                yield res


def is_searchset(body: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(body, dict) and body.get("resourceType") == "Bundle" and body.get("type") == "searchset"
