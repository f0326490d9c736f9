"""The IG versions: every ``ig/<version>/`` folder that exports ``VERSION``, in release order.

Adding a version is adding a folder (its ``__init__.py`` exports an ``IgVersion`` and its rule table); the CLI's
choices, the plan's labels, the reference server's CapabilityStatement and the kit's variants follow.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from functools import cache
from typing import TYPE_CHECKING

from ra_conformance.ig.version import IgVersion

if TYPE_CHECKING:
    from ra_conformance.ig.rules import RuleSet


class UnknownVersion(ValueError):
    """Not one of the IG versions."""


@cache
def all_versions() -> tuple[IgVersion, ...]:
    """Every version folder's record, oldest release first (discovered once; tests clear the cache)."""
    package = sys.modules[__package__ or "ra_conformance.ig"]  # ig/, imported before any module inside it
    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg:
            record = getattr(importlib.import_module(f"{package.__name__}.{info.name}"), "VERSION", None)
            if isinstance(record, IgVersion):
                found.append(record)
    return tuple(sorted(found, key=IgVersion.release_key))


def ids() -> tuple[str, ...]:
    """The --ig-version values, oldest first."""
    return tuple(v.id for v in all_versions())


def get(version: str) -> IgVersion:
    for v in all_versions():
        if v.id == version:
            return v
    raise UnknownVersion(f"unknown IG version {version!r} (choose from {', '.join(ids())})")


def find(version: str | None) -> IgVersion | None:
    """The record of ``version``, or None for None or an unknown id."""
    return next((v for v in all_versions() if v.id == version), None)


def by_package_version(canonical_version: str) -> IgVersion | None:
    """The version a versioned implementationGuide canonical names: its package version, else its prefix."""
    exact = next((v for v in all_versions() if v.package_version == canonical_version), None)
    return exact or next((v for v in all_versions() if canonical_version.startswith(v.canonical_prefix)), None)


def since(version: str) -> tuple[str, ...]:
    """The ids of ``version`` and every later release (a rule that appeared in ``version`` and stayed)."""
    first = get(version).release_key()
    return tuple(v.id for v in all_versions() if v.release_key() >= first)


def with_flow(flow: str) -> tuple[str, ...]:
    """The ids of the versions that have a retrieval flow ('risk-gap', 'search', 'operation')."""
    return tuple(v.id for v in all_versions() if v.flow(flow) is not None)


@cache
def ruleset(version: str) -> RuleSet:
    """The rule table of an IG version, built once: ``ruleset("2.1.0")``."""
    return get(version).ruleset()


def clear() -> None:
    """Forget the discovered versions and built rule tables (a test that adds a version folder calls it)."""
    all_versions.cache_clear()
    ruleset.cache_clear()
