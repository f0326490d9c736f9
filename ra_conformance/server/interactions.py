"""The instance interactions that change a resource (R4 http.html#delete, #patch) as a ``Rules`` record: the app
dispatches to them; a fault may swap one (server/faults/rest.py), read once when the app starts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import rest
from .rest import Answer


@dataclass(frozen=True)
class Rules:
    delete: Callable[..., Answer] = rest.delete  # (store, type, id) -> Answer (REQ-186)
    patch: Callable[..., Any] = rest.patch  # (store, type, id, body, media, base, check, *, if_match) (REQ-185)


RULES = Rules()
