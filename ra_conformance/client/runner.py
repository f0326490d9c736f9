"""`ra-conform client-test`: start the reference server with a recorder, walk the scenarios (one instruction
line each on stdout), judge what the client sent, write summary.json / report.html / junit.xml, exit 0/1/2."""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console

from .. import kit as kitmod
from ..ig import DEFAULT_IG_VERSION
from ..reporting.console import print_results
from ..reporting.junit_results import write_junit
from ..reporting.writer import write_reports
from ..results import EXIT_INTERNAL, EXIT_USAGE, RunResults
from .judge_base import Observed
from .judging import complete, judge
from .recorder import DONE_PATH, STATUS_PATH, AsyncHold, Recorder
from .scenarios import IDS, Scenario, applicable, operation_name
from .tokens import SMART, TokenRule, issued_tokens

if TYPE_CHECKING:
    from ..server.auth import SmartConfig

DEFAULT_TIMEOUT = 120.0
SETTLE = 0.5  # seconds of quiet after a scenario looks complete, for stragglers (skipped when the client says done)


class ClientTestError(Exception):
    """The client test could not be run; carries the exit code (2 usage, 4 internal)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class ClientTestOptions:
    ig_version: str = DEFAULT_IG_VERSION
    scenarios: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 0
    timeout: float = DEFAULT_TIMEOUT
    report_dir: Path = Path("reports")
    auth_token: str | None = None
    smart: SmartConfig | None = None  # SMART Backend Services on the reference server (exclusive with auth_token)
    kit_dir: Path | None = None
    settle: float = SETTLE
    hold: AsyncHold = field(default_factory=AsyncHold)


def auth_of(base: str, opts: ClientTestOptions) -> dict[str, Any] | None:
    """How the client authenticates (the status document's `auth`; None: the server is open)."""
    from ..server.auth import DISCOVERY_PATH, TOKEN_PATH

    if opts.smart is not None:
        return {"type": SMART, "tokenUrl": base + TOKEN_PATH, "discovery": base + DISCOVERY_PATH,
                "scope": "system/*.read system/*.write (SMART v1) or system/*.rs system/*.cud (v2)"}
    return {"type": "bearer", "token": "the token given to client-test (--auth-token)"} if opts.auth_token else None


def instruction_of(scenario: Scenario, base: str, opts: ClientTestOptions) -> str:
    auth = auth_of(base, opts)
    note = f" (send a bearer token from {auth['tokenUrl']}, {SMART})" if auth and "tokenUrl" in auth else ""
    return scenario.instruction(base, opts.ig_version) + note


def status_of(base: str, opts: ClientTestOptions, scenarios: list[Scenario], current: Scenario | None) -> dict[str, Any]:
    return {"base": base, "igVersion": opts.ig_version, "operation": operation_name(opts.ig_version),
            "scenario": current.name if current else None,
            "instruction": instruction_of(current, base, opts) if current else None, "auth": auth_of(base, opts),
            "index": scenarios.index(current) + 1 if current else None, "total": len(scenarios),
            "scenarios": [s.name for s in scenarios], "ids": IDS.__dict__,
            "done": f"POST {base}{DONE_PATH}?scenario=<name> when a scenario is finished"}


def run_client_test(opts: ClientTestOptions, *, out: IO[str] | None = None, console: Console | None = None,
                    on_ready: Callable[[str], None] | None = None) -> RunResults:
    """The whole client test; ``on_ready(base)`` is called once the server listens (tests start a client there)."""
    from ..server import EmbeddedServer, LoadError, ServerStartError

    out = out or sys.stdout
    console = console or Console(stderr=True)
    if opts.auth_token and opts.smart is not None:
        raise ClientTestError("--auth-token and --smart-client/--smart-client-secret exclude each other", EXIT_USAGE)
    scenarios = applicable(opts.ig_version, list(opts.scenarios))
    try:
        kit_dir = kitmod.server_kit_dir(opts.kit_dir)
    except kitmod.KitError as exc:
        raise ClientTestError(str(exc), EXIT_USAGE) from None
    recorder = Recorder(hold=opts.hold)
    server = EmbeddedServer(load=[kit_dir], ig_version=opts.ig_version, host=opts.host, port=opts.port,
                            auth_tokens=(opts.auth_token,) if opts.auth_token else (), smart=opts.smart,
                            wrap=recorder.middleware)
    try:
        server.start()
    except LoadError as exc:
        raise ClientTestError(f"the fixture kit could not be loaded: {exc}", EXIT_USAGE) from None
    except (ServerStartError, OSError) as exc:
        raise ClientTestError(f"the reference server did not start on {opts.host}:{opts.port}: {exc}", EXIT_USAGE) from None
    results = RunResults(target=f"client under test (reference server {server.base_url})", ig_version=opts.ig_version,
                         operation=operation_name(opts.ig_version))
    try:
        base = server.base_url
        console.print(f"client-test: reference server at {base} (IG {opts.ig_version}); {len(scenarios)} scenario(s); "
                      f"follow along with GET {base}{STATUS_PATH}")
        auth = auth_of(base, opts)
        if auth is not None and "tokenUrl" in auth:
            console.print(f"client-test: {SMART}: token endpoint {auth['tokenUrl']} (discovery {auth['discovery']})")
        if on_ready is not None:
            on_ready(base)
        for scenario in scenarios:
            assert server.store is not None
            snapshot = copy.deepcopy(server.store.get("MeasureReport", IDS.report))
            recorder.begin(scenario.name, status_of(base, opts, scenarios, scenario), hold_async=scenario.name == "async")
            print(instruction_of(scenario, base, opts), file=out, flush=True)
            started = time.monotonic()
            obs = _wait(recorder, scenario, opts, base, snapshot)
            tests = judge(obs, _secrets(obs, opts))
            for t in tests:
                t.duration_s = round(time.monotonic() - started, 3)
            results.tests += tests
        recorder.finish(status_of(base, opts, scenarios, None))
        _linger(recorder)
    finally:
        server.stop()
    results.finished = time.time()
    _report(results, opts.report_dir, console)
    return results


def _observed(recorder: Recorder, scenario: Scenario, opts: ClientTestOptions, base: str, snapshot: Any) -> Observed:
    tokens = None
    if opts.smart is not None:  # any token the server issued so far is valid (the server enforces expiry and scopes)
        from ..server.auth import TOKEN_PATH

        tokens = TokenRule(issued=issued_tokens(recorder.records()), token_url=base + TOKEN_PATH)
    return Observed(scenario, opts.ig_version, recorder.records(scenario.name), base, auth_token=opts.auth_token,
                    snapshot=snapshot, tokens=tokens)


def _secrets(obs: Observed, opts: ClientTestOptions) -> tuple[str, ...]:
    """Values redacted from the reports: the fixed token, the issued access tokens, the registered client secrets."""
    issued = tuple(obs.tokens.issued) if obs.tokens is not None else ()
    client_secrets = tuple(opts.smart.secrets.values()) if opts.smart is not None else ()
    return ((opts.auth_token,) if opts.auth_token else ()) + issued + client_secrets


def _wait(recorder: Recorder, scenario: Scenario, opts: ClientTestOptions, base: str, snapshot: Any) -> Observed:
    """Until the client says it is done, or the scenario looks complete and quiet for `settle` s, or --timeout."""
    deadline = time.monotonic() + opts.timeout
    while time.monotonic() < deadline and not recorder.done(scenario.name):
        obs = _observed(recorder, scenario, opts, base, snapshot)
        last = max((r.responded or r.received for r in obs.records), default=0.0)
        if obs.records and complete(obs) and time.monotonic() - last >= opts.settle:
            break
        recorder.wait_change(0.05)
    return _observed(recorder, scenario, opts, base, snapshot)


def _linger(recorder: Recorder, seconds: float = 0.5) -> None:
    """Give a client following $client-test-status a moment to read 'finished' before the server stops."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        recorder.wait_change(end - time.monotonic())


def _report(results: RunResults, report_dir: Path, console: Console) -> None:
    try:
        write_reports(results, report_dir, role="client")
        write_junit(results, report_dir / "junit.xml", name="ra-conform client-test")
    except OSError as exc:
        raise ClientTestError(f"cannot write reports to {report_dir}: {exc}", EXIT_INTERNAL) from None
    print_results(console, results)
    console.print(f"reports: {report_dir}/ (report.html, summary.json, junit.xml)")
