"""serve(): the blocking entry point the CLI calls, run in a subprocess and stopped with Ctrl+C (SIGINT)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ra_conformance import jsonio

from .server_world import patient


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_loads_the_default_kit_and_extra_paths_and_stops_cleanly(tmp_path: Path) -> None:
    kit_dir = tmp_path / "kit"
    (kit_dir / "resources").mkdir(parents=True)
    (kit_dir / "resources" / "Patient-from-kit.json").write_bytes(jsonio.dumps(patient("from-kit")))
    extra = tmp_path / "extra.json"
    extra.write_bytes(jsonio.dumps(patient("from-load")))
    port = _free_port()
    code = (f"from ra_conformance.server import serve; serve(host='127.0.0.1', port={port}, "
            f"data_dir={str(tmp_path / 'data')!r}, load=[{str(extra)!r}], log_level='warning')")
    env = {**os.environ, "RA_CONFORM_FIXTURES": str(kit_dir)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        r: httpx.Response | None = None
        while True:
            try:
                r = httpx.get(f"{base}/Patient?_id=from-kit,from-load")
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.05)
        assert r.json()["total"] == 2
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr.read()  # type: ignore[union-attr]
    assert (tmp_path / "data" / "store.sqlite").is_file()
