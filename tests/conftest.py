"""Fixtures every room uses: the committed kit, and a store holding it (per IG version variant)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ra_conformance import kit
from ra_conformance.kit.versions import adapt_store
from ra_conformance.server.ingest import load_paths
from ra_conformance.server.store import Store

KIT_DIR = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def expectations() -> kit.Expectations:
    return kit.load_expectations(KIT_DIR)


@pytest.fixture(scope="session")
def kit_resources() -> list[dict[str, Any]]:
    return list(kit.iter_resources(KIT_DIR))


@pytest.fixture(scope="module")
def kit_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Store]]:
    """kit_store(version) -> a store holding the kit variant of that IG version (built once per module)."""
    stores: dict[str, Store] = {}

    def make(version: str) -> Store:
        if version not in stores:
            store = Store(tmp_path_factory.mktemp(f"kit-{version}"))
            load_paths(store, [KIT_DIR])
            adapt_store(store, version)
            stores[version] = store
        return stores[version]

    yield make
    for store in stores.values():
        store.close()
