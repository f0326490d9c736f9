"""Fixtures for the bulk tests: a small synthetic world in a store, TestClients over it, an async helper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from ra_conformance.kit.synth import generate
from ra_conformance.server import bulk
from ra_conformance.server.app import create_app
from ra_conformance.server.ingest import load_paths
from ra_conformance.server.store import Store

from .bulk_world import mixed_group


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    generate(3, out)
    return out


@pytest.fixture
def store(tmp_path: Path, synthetic: Path) -> Iterator[Store]:
    with Store(tmp_path / "data") as s:
        load_paths(s, [synthetic])
        s.put(mixed_group())
        yield s


@pytest.fixture
def client_for(store: Store) -> Iterator[Callable[..., Any]]:
    """client_for(*faults, **create_app options) -> an entered TestClient; its app's workers stop at the end."""
    from starlette.testclient import TestClient

    with ExitStack() as stack:

        def make(*faults: str, **kwargs: Any) -> TestClient:
            app = create_app(store, faults=faults, **kwargs)
            stack.callback(bulk.shutdown, app)
            return stack.enter_context(TestClient(app, raise_server_exceptions=False))

        yield make
