"""Running the reference server: ``EmbeddedServer`` (background thread, free port) and the blocking ``serve``."""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette

from .. import kit
from ..ig import DEFAULT_IG_VERSION
from ..kit.versions import adapt_store
from .app import create_app
from .auth import SmartConfig
from .bulk import shutdown as shutdown_bulk
from .faults import FaultSet
from .incoming import IncomingCheck, basic_checks, validator_check
from .ingest import load_paths
from .store import Store
from .variants import VariantSet
from .write_validation import DEFAULT_MODE, write_policy

DEFAULT_DATA_DIR = Path(".ra-conform/server")
log = logging.getLogger("ra_conformance.server")


class ServerStartError(RuntimeError):
    """The server could not start (port in use, thread died)."""


def _open_store(data_dir: Path, load: Sequence[Path], ig_version: str | None = None) -> Store:
    store = Store(data_dir)
    try:
        if load:
            load_paths(store, list(load))
        adapt_store(store, ig_version)  # the kit variant of the IG version (STU1: transformed reports)
    except BaseException:
        store.close()
        raise
    return store


class EmbeddedServer:
    """The reference server in a background thread; ``with EmbeddedServer() as srv: srv.base_url``."""

    def __init__(self, *, data_dir: Path | None = None, load: list[Path] | None = None, faults: Iterable[str] = (),
                 host: str = "127.0.0.1", port: int = 0, check_incoming: IncomingCheck = basic_checks,
                 ig_version: str | None = None, group_expansion: bool = True, auth_tokens: Sequence[str] = (),
                 variants: Iterable[str] = (), write_validation: str = DEFAULT_MODE, smart: SmartConfig | None = None,
                 wrap: Callable[[Any], Any] | None = None) -> None:
        self.faults = FaultSet(faults)  # unknown names fail here, before anything starts
        self.variants = tuple(variants)
        VariantSet(self.variants)  # likewise
        self._given_dir = data_dir
        self._load = [Path(p) for p in (load or [])]
        self._host, self._port = host, port
        # ig_version: vet incoming resources with the reference validator for that IG version (422 on errors)
        # write_validation: strict (422), warn (stored, issues returned with the 2xx) or off (server/write_validation.py)
        self._check = write_policy(check_incoming if ig_version is None else validator_check(ig_version), write_validation)
        # the served CapabilityStatement and the loaded kit variant follow the IG version too (default 2.1.0)
        self.ig_version = ig_version
        self.group_expansion = group_expansion
        self._auth_tokens = tuple(auth_tokens)  # bearer tokens for the asynchronous pattern (none: open)
        self._wrap = wrap  # an ASGI middleware around the app (client-test records every request with it)
        self.smart = smart  # SMART Backend Services protect every FHIR route (server/auth.py)
        self._tmp: Path | None = None
        self._thread: threading.Thread | None = None
        self._server: uvicorn.Server | None = None
        self._sock: socket.socket | None = None
        self._app: Starlette | None = None
        self.store: Store | None = None
        self.base_url = ""

    def start(self) -> EmbeddedServer:
        if self._given_dir is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="ra-conform-server-"))
        data_dir = self._given_dir or self._tmp
        assert data_dir is not None
        try:
            self.store = _open_store(data_dir, self._load, self.ig_version)
            sock = socket.socket(socket.AF_INET6 if ":" in self._host else socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # Accepted connections inherit TCP_NODELAY. asyncio only sets it itself on sockets created with
            # proto=IPPROTO_TCP; without it every answer waits ~40 ms for a delayed ACK (Nagle).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.bind((self._host, self._port))
        except BaseException:
            self._cleanup()
            raise
        self._sock = sock  # uvicorn serves on this very socket; closed after the server stops
        port = sock.getsockname()[1]
        host = f"[{self._host}]" if ":" in self._host else self._host
        self.base_url = f"http://{host}:{port}"
        app = create_app(self.store, faults=self.faults, check_incoming=self._check,
                         ig_version=self.ig_version or DEFAULT_IG_VERSION, group_expansion=self.group_expansion,
                         auth_tokens=self._auth_tokens, variants=self.variants, smart=self.smart)
        self._app = app
        config = uvicorn.Config(self._wrap(app) if self._wrap else app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True,
                                        name=f"ra-conform-server-{port}")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(f"the embedded server did not start on {self.base_url}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None
        if self._app is not None:
            shutdown_bulk(self._app)  # bulk workers stop before the store closes
            self._app = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve(*, host: str = "127.0.0.1", port: int = 8080, data_dir: Path | None = None, load: Sequence[Path] = (),
          faults: Iterable[str] = (), load_default_kit: bool = True, log_level: str = "info",
          base_url_override: str | None = None, ig_version: str | None = None, group_expansion: bool = True,
          auth_tokens: Sequence[str] = (), variants: Iterable[str] = (), write_validation: str = DEFAULT_MODE,
          smart: SmartConfig | None = None) -> None:
    """Run the server in the foreground until interrupted (``ra-conform serve``).

    Loads the default fixture kit (if present and ``load_default_kit``) and then ``load`` into the store at
    ``data_dir`` (default ./.ra-conform/server). ``ig_version`` switches on validation of incoming resources,
    and chooses the served CapabilityStatement and the kit variant; ``group_expansion`` makes
    ``MeasureReport?subject=Group/<id>`` return the members' reports (declared in /metadata, REQ-086).
    ``auth_tokens``: bearer tokens the asynchronous pattern requires (none: open).
    ``variants``: legal variations of the answers (server/variants/). ``write_validation``: strict | warn | off
    (server/write_validation.py). ``smart``: SMART Backend Services (discovery, token endpoint, a token covering
    every FHIR request).
    """
    fault_set = FaultSet(faults)
    variant_set = VariantSet(variants)
    check = write_policy(basic_checks if ig_version is None else validator_check(ig_version), write_validation)
    paths = [Path(p) for p in load]
    if load_default_kit:
        why = ""
        try:
            default_kit: Path | None = kit.default_kit_dir()
        except kit.KitError as exc:
            default_kit, why = None, str(exc)
        if default_kit is not None and (default_kit / "resources").is_dir():
            paths.insert(0, default_kit)
        else:  # say why the server starts without the kit (it would otherwise just answer with no data)
            log.warning("starting without the fixture kit: %s", why if default_kit is None else f"no resources/ in {default_kit}")
    store = _open_store(Path(data_dir or DEFAULT_DATA_DIR), paths, ig_version)
    try:
        logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
        log.info("data in %s (%d resources); faults: %s; variants: %s", store.path, store.count(),
                 ", ".join(sorted(fault_set.names)) or "none", ", ".join(sorted(variant_set.names)) or "none")
        app = create_app(store, faults=fault_set, base_url_override=base_url_override, check_incoming=check,
                         ig_version=ig_version or DEFAULT_IG_VERSION, group_expansion=group_expansion,
                         auth_tokens=auth_tokens, variants=variant_set, smart=smart)
        try:
            uvicorn.run(app, host=host, port=port, log_level=log_level, lifespan="off")
        except KeyboardInterrupt:  # uvicorn re-raises the captured Ctrl+C after a graceful shutdown
            log.info("stopped")
        finally:
            shutdown_bulk(app)
    finally:
        store.close()
