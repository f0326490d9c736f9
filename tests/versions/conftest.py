"""Fixtures of the per-version tests: the kit, a store holding it (per IG version variant), TestClients over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from ra_conformance import kit
from ra_conformance.kit.versions import adapt_store
from ra_conformance.server.app import create_app
from ra_conformance.server.store import Store

KIT_DIR = Path(__file__).resolve().parents[2] / "fixtures"


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
            store.load_paths([KIT_DIR])
            adapt_store(store, version)
            stores[version] = store
        return stores[version]

    yield make
    for store in stores.values():
        store.close()


@pytest.fixture
def server(kit_store: Callable[[str], Store]) -> Iterator[Callable[..., Any]]:
    """server(version="2.1.0", *faults, **create_app kwargs) -> a TestClient over the kit variant."""
    from starlette.testclient import TestClient

    with ExitStack() as stack:

        def make(version: str = "2.1.0", *faults: str, **kwargs: Any) -> TestClient:
            app = create_app(kit_store(version), faults=faults, ig_version=version, **kwargs)
            return stack.enter_context(TestClient(app, raise_server_exceptions=False))

        yield make
