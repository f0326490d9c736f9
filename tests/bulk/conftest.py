"""Fixtures for the bulk tests: a small synthetic world in a store, TestClients over it, an async helper."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from ra_conformance.server import bulk
from ra_conformance.server.app import create_app
from ra_conformance.server.store import Store
from ra_conformance.synth import generate, patient_id

WINDOW = {"periodStart": "2024-01-01", "periodEnd": "2024-12-31"}
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}
MIXED = "Group/mixed"  # two synthetic patients and one unknown member


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`"))


def mixed_group() -> dict[str, Any]:
    members = [f"Patient/{patient_id(0)}", f"Patient/{patient_id(1)}", "Patient/missing"]
    return {"resourceType": "Group", "id": "mixed", "type": "person", "actual": True,
            "member": [{"entity": {"reference": m}} for m in members]}


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    generate(3, out)
    return out


@pytest.fixture
def store(tmp_path: Path, synthetic: Path) -> Iterator[Store]:
    with Store(tmp_path / "data") as s:
        s.load_paths([synthetic])
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


def kickoff(c: Any, subject: str = MIXED, *, headers: dict[str, str] | None = None, **params: str) -> Any:
    return c.get("/MeasureReport/$cc-gaps", params={"subject": subject, **WINDOW, **params}, headers=headers or ASYNC)


def wait_done(c: Any, status_url: str, *, limit: float = 10.0, **kw: Any) -> Any:
    """Poll until the status is no longer 202 (a safety limit only: jobs here take milliseconds)."""
    deadline = time.monotonic() + limit
    resp = c.get(status_url, **kw)
    while resp.status_code == 202 and time.monotonic() < deadline:
        time.sleep(0.02)
        resp = c.get(status_url, **kw)
    return resp
