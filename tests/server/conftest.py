"""Fixtures for the reference-server tests: a store holding the small world, TestClients over it, and TestClients
over the kit variant of an IG version (`server`; the kit store is tests/conftest.py's `kit_store`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from ra_conformance.server.app import create_app
from ra_conformance.server.store import Store

from .server_world import world


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "data") as s:
        with s.atomic():
            for r in world():
                s.put(r)
        yield s


@pytest.fixture
def client_for(store: Store) -> Iterator[Callable[..., Any]]:
    """client_for(*faults) -> a Starlette TestClient over the world store with those faults on."""
    from starlette.testclient import TestClient

    with ExitStack() as stack:  # an entered TestClient keeps one event-loop thread for all its requests

        def make(*faults: str, **kwargs: Any) -> TestClient:
            client = TestClient(create_app(store, faults=faults, **kwargs), raise_server_exceptions=False)
            return stack.enter_context(client)

        yield make


@pytest.fixture
def server(kit_store: Callable[[str], Store]) -> Iterator[Callable[..., Any]]:
    """server(version="2.1.0", *faults, **create_app kwargs) -> a TestClient over the kit variant."""
    from starlette.testclient import TestClient

    with ExitStack() as stack:

        def make(version: str = "2.1.0", *faults: str, **kwargs: Any) -> TestClient:
            app = create_app(kit_store(version), faults=faults, ig_version=version, **kwargs)
            return stack.enter_context(TestClient(app, raise_server_exceptions=False))

        yield make
