"""The click commands of the client side (`client-test`, `client-demo`, `selftest --clients`), kept here so
cli.py only registers them. Thin: options become ClientTestOptions, the library does the work."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console

from ..ig import DEFAULT_IG_VERSION, versions
from ..results import EXIT_FAILURES, EXIT_UNREACHABLE, EXIT_USAGE
from .faults import CLIENT_FAULTS, UnknownClientFault
from .recorder import AsyncHold
from .scenarios import REMARK_FORMS, SCENARIOS, ScenarioError

# Heavy modules (the judge, the reference server, the reference client) are imported inside the commands, so
# `ra-conform --help` and the other commands do not pay for them.


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"ra-conform: {message}", err=True)
    sys.exit(code)


def _list() -> None:
    from .judging import reqs_of

    click.echo(f"{'scenario':16} {'IG versions':28} REQ ids")
    for s in SCENARIOS:
        click.echo(f"{s.name:16} {', '.join(s.versions):28} {' '.join(reqs_of(s.name))}")
        click.echo(f"{'':16} {s.title}")


@click.command("client-test")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface the reference server listens on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port).")
@click.option("--ig-version", type=click.Choice(versions.ids()), default=DEFAULT_IG_VERSION, show_default=True,
              help="IG version the reference server follows and the client is judged against.")
@click.option("--scenario", "scenarios", multiple=True, help="Only these scenarios (repeatable; see --list).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=120.0, show_default=True,
              help="Seconds to wait for the client in each scenario.")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True,
              help="Where the client-test reports go (summary.json, report.html, junit.xml).")
@click.option("--auth-token", help="Bearer token the client must send (async jobs require it; redacted in reports).")
@click.option("--smart-client", "smart_clients", multiple=True, metavar="ID=JWKS_FILE",
              help="SMART Backend Services: register the client's public JWKS (repeatable); every FHIR request then needs "
                   "a token from the server's token endpoint. Excludes --auth-token.")
@click.option("--smart-client-secret", "smart_secrets", multiple=True, metavar="ID=SECRET",
              help="Register a client that gets its tokens with a client secret, basic or post (repeatable).")
@click.option("--retry-after", type=click.IntRange(1, 60), default=2, show_default=True,
              help="Retry-After seconds of the async job's in-progress answers (the first two polls).")
@click.option("--list", "list_only", is_flag=True, help="List the scenarios with their REQ ids and exit.")
def client_test(host: str, port: int, ig_version: str, scenarios: tuple[str, ...], timeout: float, report_dir: Path,
                auth_token: str | None, smart_clients: tuple[str, ...], smart_secrets: tuple[str, ...], retry_after: int,
                list_only: bool) -> None:
    """Certify a client: serve the reference server, tell the client what to do, judge its requests.

    Each scenario prints one instruction line on stdout; GET [base]/$client-test-status says the same as JSON.
    Exit 0 conformant, 1 a client failure (also a scenario never performed), 2 usage.

    A fixed bearer token: --auth-token. SMART Backend Services: --smart-client ID=JWKS_FILE (the server publishes
    /.well-known/smart-configuration and its token endpoint, and refuses requests without a token it issued)."""
    from .runner import ClientTestError, ClientTestOptions, run_client_test

    if list_only:
        _list()
        return
    opts = ClientTestOptions(ig_version=ig_version, scenarios=scenarios, host=host, port=port, timeout=timeout,
                             report_dir=report_dir, auth_token=auth_token, hold=AsyncHold(polls=2, seconds=retry_after),
                             smart=_smart_config(auth_token, smart_clients, smart_secrets))
    try:
        results = run_client_test(opts)
    except ScenarioError as exc:
        _fail(str(exc), EXIT_USAGE)
    except ClientTestError as exc:
        _fail(str(exc), exc.exit_code)
    sys.exit(results.exit_code())


def _smart_config(auth_token: str | None, clients: tuple[str, ...], secrets: tuple[str, ...]) -> Any:
    """The SmartConfig of --smart-client / --smart-client-secret (parsed as `serve` does); exit 2 when unusable."""
    if not clients and not secrets:
        return None
    if auth_token:
        _fail("--auth-token and --smart-client/--smart-client-secret exclude each other", EXIT_USAGE)
    from ..server.auth import ClientSpecError, SmartConfig, parse_client, parse_secret

    try:
        return SmartConfig(dict(parse_client(spec) for spec in clients), secrets=dict(parse_secret(spec) for spec in secrets))
    except ClientSpecError as exc:
        _fail(str(exc), EXIT_USAGE)


@click.command("client-demo")
@click.option("--target", required=True, help="Base URL: a running `ra-conform client-test`, or any RA server.")
@click.option("--ig-version", type=click.Choice(versions.ids()), default=DEFAULT_IG_VERSION, show_default=True,
              help="Against a plain server: the version whose scenarios to perform (client-test tells its own).")
@click.option("--auth-token", help="Bearer token to send.")
@click.option("--smart-client-id", help="Client id for SMART Backend Services (with --smart-key) or a client secret.")
@click.option("--smart-key", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="SMART Backend Services private key: PEM or JWKS with private keys (RS384 or ES384).")
@click.option("--client-secret", help="OAuth 2.0 client secret instead of a key (sent basic; never echoed).")
@click.option("--token-url", help="Token endpoint (default: from [target]/.well-known/smart-configuration).")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="HTTP timeout in seconds.")
@click.option("--remark-by", type=click.Choice(REMARK_FORMS), default="patch", show_default=True,
              help="How the remark travels: FHIRPath PATCH, PUT of the whole report, or a transaction Bundle.")
@click.option("--operation-by", type=click.Choice(["mixed", "GET", "POST"]), default="mixed", show_default=True,
              help="The coding-gap operation by GET, by POST, or mixed (the patient by GET, the Group by POST).")
def client_demo(target: str, ig_version: str, auth_token: str | None, smart_client_id: str | None, smart_key: Path | None,
                client_secret: str | None, token_url: str | None, timeout: float, remark_by: str, operation_by: str) -> None:
    """The reference RA client: perform every scenario correctly and print each request it sends.

    Against `ra-conform client-test` it follows $client-test-status scenario by scenario; against any other
    server it performs the scenarios of --ig-version once."""
    from ..fhir.auth import AuthError
    from ..fhir.keys import KeyFileError
    from .reference import ReferenceClient

    if not target.startswith(("http://", "https://")):
        _fail(f"--target must be an http(s) URL, not {target!r}", EXIT_USAGE)
    credentials = _credentials(auth_token, smart_client_id, smart_key, client_secret, token_url)

    def echo(line: str) -> None:
        if "$client-test-" not in line:  # the follow-along plumbing is not part of the demo
            click.echo(line)

    try:
        client = ReferenceClient(target, ig_version, auth_token=auth_token, log=echo, timeout=timeout, remark_by=remark_by,
                                 operation_by=operation_by, credentials=credentials)
    except KeyFileError as exc:
        _fail(f"--smart-key: {exc}", EXIT_USAGE)
    with client:
        probe = client.http.get("metadata")
        if probe.error is not None:
            _fail(f"target unreachable: {target} ({probe.error})", EXIT_UNREACHABLE)
        if client.http.auth is not None:
            try:  # a wrong key or secret stops the demo with one line, not a run of refused requests
                client.http.auth.authorization(client.http.send)
            except AuthError as exc:
                _fail(f"authentication failed ({client.http.auth.kind}, client {smart_client_id}): {exc}",
                      EXIT_UNREACHABLE if exc.unreachable else EXIT_USAGE)
        if not client.follow():
            echo(f"{target} is no client-test server: performing the IG {ig_version} scenarios once")
            for name in client.perform_all():
                echo(f"done: {name}")


def _credentials(auth_token: str | None, client_id: str | None, key: Path | None, secret: str | None,
                 token_url: str | None) -> Any:
    if not client_id:
        if key or secret:
            _fail("--smart-key / --client-secret need --smart-client-id", EXIT_USAGE)
        return None
    if not key and not secret:
        _fail("--smart-client-id needs --smart-key (SMART Backend Services) or --client-secret", EXIT_USAGE)
    if auth_token:
        _fail("--auth-token and --smart-client-id exclude each other", EXIT_USAGE)
    from .reference import ClientCredentials

    return ClientCredentials(client_id, key=key, secret=secret, token_url=token_url)


def client_selftest(only: list[str], report_dir: Path) -> int:
    from rich.table import Table

    from .selftest import run_client_selftest

    try:
        unknown = sorted(set(only) - set(CLIENT_FAULTS))
        if unknown:
            raise UnknownClientFault(f"unknown client fault(s): {', '.join(unknown)}")
    except UnknownClientFault as exc:
        _fail(str(exc), EXIT_USAGE)
    console = Console()
    table = Table(title="ra-conform self-test: each client fault and the check that caught it")
    for col in ("client fault", "scenario", "expected", "REQ", "caught by", "exit"):
        table.add_column(col, overflow="fold")
    outcomes = run_client_selftest(report_dir / "clients", only or None)
    for o in outcomes:
        caught = "\n".join(n.split("::", 1)[-1] for n in o.caught_by)
        table.add_row(o.fault, CLIENT_FAULTS[o.fault].scenario, o.expected, " ".join(o.catches),
                      caught if o.caught else f"[red]NOT CAUGHT[/] {caught}", str(o.exit_code))
    console.print(table)
    missed = [o.fault for o in outcomes if not o.caught]
    console.print(f"{len(outcomes) - len(missed)} of {len(outcomes)} client faults caught" + (f"; missed: {', '.join(missed)}" if missed else ""))
    return EXIT_FAILURES if missed else 0
