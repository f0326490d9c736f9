"""EmbeddedServer: a real uvicorn server on a free port; temp data removed; data dir survives restart."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ra_conformance import jsonio
from ra_conformance.server import EmbeddedServer, UnknownFaultError

from .server_world import patient, report


def test_embedded_server_serves_and_cleans_up_its_temporary_data() -> None:
    with EmbeddedServer() as srv:
        assert srv.base_url.startswith("http://127.0.0.1:")
        r = httpx.get(f"{srv.base_url}/metadata")
        assert r.status_code == 200 and r.headers["content-type"] == "application/fhir+json; charset=utf-8"
        data_dir = srv.store.data_dir  # type: ignore[union-attr]
        assert data_dir.is_dir()
    assert not data_dir.exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{srv.base_url}/metadata")


def test_data_written_over_http_survives_a_restart(tmp_path: Path) -> None:
    with EmbeddedServer(data_dir=tmp_path) as srv:
        assert httpx.put(f"{srv.base_url}/Patient/keep", json=patient("keep")).status_code == 201
    with EmbeddedServer(data_dir=tmp_path) as srv:
        assert httpx.get(f"{srv.base_url}/Patient/keep").json()["id"] == "keep"
    assert (tmp_path / "store.sqlite").is_file()


def test_loads_paths_before_serving_and_applies_faults(tmp_path: Path) -> None:
    f = tmp_path / "r.ndjson"
    f.write_bytes(b"\n".join(jsonio.dumps(r) for r in (patient("p1"), report("r1", "p1", "2024-01-01", "2024-12-31"))))
    with EmbeddedServer(load=[f], faults=["omit-patient-entry"]) as srv:
        r = httpx.get(f"{srv.base_url}/MeasureReport/$cc-gaps",
                      params={"subject": "Patient/p1", "periodStart": "2024", "periodEnd": "2024"})
        entries = r.json()["parameter"][0]["resource"]["entry"]
        assert [e["resource"]["resourceType"] for e in entries] == ["MeasureReport"]
        assert entries[0]["fullUrl"] == f"{srv.base_url}/MeasureReport/r1"


def test_unknown_fault_fails_before_starting() -> None:
    with pytest.raises(UnknownFaultError, match="valid names"):
        EmbeddedServer(faults=["nope"])
