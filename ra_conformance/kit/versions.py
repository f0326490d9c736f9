"""Per-IG-version variants of the one fixture kit (written in the 2.1.0 shape, which the STU3 ballot shares).

A version whose resources differ derives them by its record's ``kit_transform`` (STU1: ig/stu1/kit_shape.py).
The embedded server and ``serve`` load the variant of their IG version (``adapt_store``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from .. import kit
from ..ig import versions as ig_versions


def _transform(ig_version: str | None) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    record = ig_versions.find(ig_version)
    return record.kit_transform if record else None


def variant(resources: Iterable[dict[str, Any]], ig_version: str | None) -> list[dict[str, Any]]:
    """The kit's resources as ``ig_version`` shapes them (2.1.0 and the STU3 ballot: unchanged)."""
    transform = _transform(ig_version)
    return [transform(r) if transform else r for r in resources]


def variant_resources(ig_version: str | None, kit_dir: Path | None = None) -> list[dict[str, Any]]:
    return variant(kit.iter_resources(kit_dir), ig_version)


class _Store(Protocol):
    def all(self, rtype: str, ids: Any = None) -> list[dict[str, Any]]: ...
    def put(self, resource: dict[str, Any]) -> Any: ...
    def atomic(self) -> Any: ...


def adapt_store(store: _Store, ig_version: str | None) -> int:
    """Rewrite a store's resources into the variant of ``ig_version``; returns how many changed."""
    transform = _transform(ig_version)
    if transform is None:
        return 0
    changed = 0
    with store.atomic():
        for resource in store.all("MeasureReport"):
            shaped = transform(resource)
            if shaped != resource:
                store.put(shaped)
                changed += 1
    return changed
