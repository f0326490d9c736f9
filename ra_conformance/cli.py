"""The `ra-conform` command: thin — options become Settings, the library does the work.

Exit codes: 0 all passed, 1 conformance failures, 2 usage or configuration error,
3 target unreachable, 4 internal error of the harness.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from . import __version__, interrupts

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
from .ig import DEFAULT_IG_VERSION, versions
from .results import EXIT_FAILURES, EXIT_INTERNAL, EXIT_UNREACHABLE, EXIT_USAGE
from .settings import PRESETS, SettingsError, build

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int) -> NoReturn:
    from .reporting.sanitize import plain  # a message may quote what a server sent

    click.echo(f"ra-conform: {plain(message)}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ra-conform")
def cli() -> None:
    """Conformance harness, validator and reference server for the Da Vinci Risk Adjustment FHIR IG."""


def run_options(func: F) -> F:  # the options `run` and `plan` share
    for option in reversed(_RUN_OPTIONS):
        func = option(func)
    return func


# Protected targets (ra_conformance.fhir.auth): SMART Backend Services or OAuth 2.0 client credentials.
AUTH_OPTIONS = [
    click.option("--smart-client-id", help="Client id registered with the target's authorization server."),
    click.option("--smart-key", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                 help="SMART Backend Services private key: PEM or JWKS with private keys (RS384 or ES384)."),
    click.option("--smart-scope", help="Scopes to request (default: the read scopes the chosen suites need, SMART v1 and v2 forms, plus write scopes when a chosen test writes)."),
    click.option("--token-url", help="Token endpoint (default: from [base]/.well-known/smart-configuration)."),
    click.option("--client-secret", help="OAuth 2.0 client secret instead of a key (prefer RA_CONFORM_CLIENT_SECRET; never echoed)."),
    click.option("--client-auth", type=click.Choice(["basic", "post"]), help="How the client secret is sent (default basic)."),
]


def auth_options(func: F) -> F:
    for option in reversed(AUTH_OPTIONS):
        func = option(func)
    return func


_RUN_OPTIONS = [
    click.option("--target", help="Base URL of the server under test (default: the embedded reference server)."),
    click.option("--operation", help="Coding-gap operation name (cc-gaps, report, ra.cc-gaps); default: from /metadata."),
    click.option("--ig-version", type=click.Choice(versions.ids()), help=f"IG version to certify against (default: inferred, else {DEFAULT_IG_VERSION})."),
    click.option("--preset", help="A named preset of settings (built-in: " + ", ".join(sorted(PRESETS)) + "; or your own [ra-conform.presets.NAME] table in ra-conform.toml)."),
    click.option("--kit", "kit_dir", type=click.Path(file_okay=False, exists=True, path_type=Path), help="Fixture kit directory."),
    click.option("-k", "keyword", help="Only tests matching this pytest -k expression."),
    click.option("-m", "markers", help="Only tests matching this pytest -m expression."),
    click.option("--timeout", type=float, help="HTTP timeout in seconds (default 30)."),
    click.option("--async-timeout", type=float, help="Seconds to poll an asynchronous job before giving up (default 120)."),
    click.option("--auth-token", help="Bearer token for the target (redacted in every report)."),
    *AUTH_OPTIONS,
    click.option("--fault", multiple=True, help="Embedded server only: switch on a named defect (self-testing)."),
    click.option("--variant", multiple=True, help="Embedded server only: switch on a legal variation (see `ra-conform variants`)."),
    click.option("--search-handling", type=click.Choice(("strict", "lenient")),
                 help="Send `Prefer: handling=strict|lenient` on every search (R4), so a server that supports it refuses "
                      "(strict) what it would otherwise ignore; default: none sent."),
    click.option("--config", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Settings file (default ./ra-conform.toml)."),
]


@cli.command()
@run_options
def plan(config: Path | None, **flags: object) -> None:
    """Print the test plan (what runs, what is skipped and why, per REQ id) without running a test."""
    from .harness.runner import RunError, plan_suites
    from .reporting.console import console_for, print_plan

    console = console_for(stderr=False)
    try:
        entries, results = plan_suites(build(dict(flags), config=config))
    except SettingsError as exc:
        _fail(str(exc), EXIT_USAGE)
    except RunError as exc:
        _fail(str(exc), exc.exit_code)
    print_plan(console, entries, results)


@cli.command()
@run_options
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), help="Where reports go (default reports/).")
@click.option("--strict", is_flag=True, default=None, help="Warnings fail the run.")
@click.option("--load-fixtures", is_flag=True, default=None, help="Load the fixture kit into the target first.")
@click.option("--allure/--no-allure", default=None, help="Also write allure-results/ (default off: one file per test and exchange, tens of MB).")
@click.option("--full-exchanges", is_flag=True, default=None,
              help="summary.json keeps every HTTP exchange body whole (default: failures and warnings whole, other bodies cut to 1 KB).")
@click.option("-v", "--verbose", is_flag=True, default=None, help="Also list skipped tests with their reasons.")
def run(config: Path | None, **flags: object) -> None:
    """Run the conformance suites against a server and write reports."""
    from .harness.runner import RunError, run_and_report
    from .reporting.console import console_for

    try:
        settings = build(dict(flags), config=config)
        code = run_and_report(settings, console_for(stderr=False), console_for(stderr=True))
    except SettingsError as exc:
        _fail(str(exc), EXIT_USAGE)
    except RunError as exc:
        _fail(str(exc), exc.exit_code)
    sys.exit(code)


@cli.command()
@click.option("--ig-version", type=click.Choice(versions.ids()), default=DEFAULT_IG_VERSION, show_default=True, help="IG version whose rules apply.")
@click.option("--profile", help="Validate against this profile URL instead of each resource's meta.profile.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: issues grouped by resource; json: one line per resource naming file, NDJSON line, "
                   "resourceType and id, with its OperationOutcome.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Processes that validate, this one included (default: every core; a small input uses one).")
@click.argument("paths", nargs=-1, required=True)
def validate(ig_version: str, profile: str | None, fmt: str, jobs: int | None, paths: tuple[str, ...]) -> None:
    """Validate FHIR JSON files, Bundles, directories and NDJSON against base R4 and the RA profiles."""
    from .validation import run_validate

    sys.exit(run_validate(list(paths), version=ig_version, profile=profile, fmt=fmt, out=sys.stdout, err=sys.stderr,
                          jobs=jobs))


@cli.command()
@click.argument("summary", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.html"), show_default=True,
              help="Where to write the page.")
def report(summary: Path, output: Path) -> None:
    """Re-render report.html from a run's summary.json."""
    from .reporting.html import ReportError, render_from_file

    try:
        written = render_from_file(summary, output)
    except ReportError as exc:
        _fail(str(exc), EXIT_USAGE)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc}", EXIT_USAGE)
    click.echo(f"wrote {written}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="TCP port; the FHIR base URL is http://HOST:PORT (the root, no /fhir).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="SQLite data directory (default ./.ra-conform/server).")
@click.option("--load", multiple=True, type=click.Path(exists=True, path_type=Path), help="Extra resources to load (kit dir, JSON, Bundle, NDJSON).")
@click.option("--no-fixtures", is_flag=True, help="Do not load the bundled fixture kit.")
@click.option("--fault", multiple=True, help="Switch on a named defect (see `ra-conform faults`).")
@click.option("--variant", multiple=True, help="Switch on a legal variation of the answers (see `ra-conform variants`).")
@click.option("--write-validation", type=click.Choice(["strict", "warn", "off"]), default="warn", show_default=True,
              help="Invalid incoming resources: strict = 422 + OperationOutcome; warn = stored, the issues returned in an "
                   "OperationOutcome with the 2xx; off = shape checks only.")
@click.option("--ig-version", type=click.Choice(versions.ids()), default=DEFAULT_IG_VERSION, show_default=True,
              help="IG version the server follows: its CapabilityStatement, the kit variant it loads, and the profiles that vet incoming resources (see --write-validation).")
@click.option("--group-expansion/--no-group-expansion", default=True, show_default=True,
              help="MeasureReport?subject=Group/<id> returns the members' reports (declared in /metadata; REQ-086, not base FHIR).")
@click.option("--base-url", help="Public base URL to use in fullUrls and links (behind a proxy).")
@click.option("--auth-token", "auth_tokens", multiple=True, help="Bearer token the asynchronous pattern requires (repeatable; none: open).")
@click.option("--smart", is_flag=True, help="Require SMART Backend Services: discovery, token endpoint, a token on every FHIR request.")
@click.option("--smart-client", "smart_clients", multiple=True, metavar="ID=JWKS_FILE",
              help="Register a client and its public JWKS (repeatable; with --smart).")
@click.option("--smart-client-secret", "smart_secrets", multiple=True, metavar="ID=SECRET",
              help="Register a client that authenticates with a client secret, basic or post (repeatable; with --smart).")
@click.option("--smart-token-lifetime", type=click.IntRange(min=1), default=300, show_default=True, help="Access token lifetime in seconds.")
@click.option("--log-level", default="info", show_default=True, type=click.Choice(["critical", "error", "warning", "info", "debug"], case_sensitive=False),
              help="Server log verbosity (stderr).")
def serve(host: str, port: int, data_dir: Path | None, load: tuple[Path, ...], no_fixtures: bool, fault: tuple[str, ...],
          variant: tuple[str, ...], write_validation: str, ig_version: str, group_expansion: bool, base_url: str | None,
          auth_tokens: tuple[str, ...], smart: bool, smart_clients: tuple[str, ...], smart_secrets: tuple[str, ...],
          smart_token_lifetime: int, log_level: str) -> None:
    """Run the reference server (the embedded default target) over HTTP."""
    from .server import LoadError, UnknownFaultError, UnknownVariantError
    from .server import serve as serve_forever
    from .server.auth import ClientSpecError, SmartConfig, parse_client, parse_secret

    smart_config = None
    if (smart_clients or smart_secrets) and not smart:
        _fail("--smart-client / --smart-client-secret need --smart", EXIT_USAGE)
    if smart:
        try:
            smart_config = SmartConfig(dict(parse_client(spec) for spec in smart_clients), token_lifetime=smart_token_lifetime,
                                       secrets=dict(parse_secret(spec) for spec in smart_secrets))
        except ClientSpecError as exc:
            _fail(str(exc), EXIT_USAGE)
    try:
        serve_forever(
            host=host, port=port, data_dir=data_dir, load=list(load), faults=list(fault), load_default_kit=not no_fixtures,
            log_level=log_level, ig_version=ig_version, group_expansion=group_expansion, base_url_override=base_url,
            auth_tokens=list(auth_tokens), variants=list(variant), write_validation=write_validation, smart=smart_config,
        )
    except (UnknownFaultError, UnknownVariantError, LoadError) as exc:
        _fail(str(exc), EXIT_USAGE)
    except OSError as exc:
        _fail(f"cannot serve on {host}:{port}: {exc}", EXIT_USAGE)


@cli.command()
def faults() -> None:
    """List the reference server's switchable defects and what each should be caught by."""
    from .server.faults import FAULTS

    for name, fault in sorted(FAULTS.items()):
        click.echo(f"{name:32} {fault.expected:4} {', '.join(fault.catches):24} {fault.description}")


@cli.command()
def variants() -> None:
    """List the reference server's legal variations (what R4 leaves to a server): every one must pass."""
    from .server.variants import VARIANTS

    for name, variant in VARIANTS.items():
        click.echo(f"{name:24} {variant.description}\n{'':24} legal by: {variant.r4_rule}")


@cli.command()
@click.option("--fault", "only", multiple=True, help="Only these faults (default: the whole catalogue).")
@click.option("--variant", "only_variants", multiple=True, help="Only these legal variants (default: the whole catalogue).")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports/selftest"), show_default=True,
              help="Each fault's and variant's reports go to a subfolder named after it: junit.xml only once it proved its point "
                   "(fault caught, variant passed), every report otherwise.")
@click.option("--clients", is_flag=True, help="Prove the client checks instead: the reference client with each client fault.")
def selftest(only: tuple[str, ...], only_variants: tuple[str, ...], report_dir: Path, clients: bool) -> None:
    """Prove the suites both ways: each catalogued fault is caught, and each legal variant passes (exit 0).

    With --fault only, just those faults run; with --variant only, just those variants; with neither, both
    catalogues in full. With --clients: each client fault (--fault names one) is caught by its client check.
    Results on stdout; one progress line per fault or variant on stderr."""
    if clients:
        from .client.commands import client_selftest
        sys.exit(client_selftest(list(only), report_dir))
    from .harness.runner import RunError
    from .harness.selftest import run_selftest, run_variant_selftest
    from .reporting.console import console_for
    from .server import FAULTS, VARIANTS

    unknown = sorted(set(only) - set(FAULTS)) + sorted(set(only_variants) - set(VARIANTS))
    if unknown:
        _fail(f"unknown fault(s) or variant(s): {', '.join(unknown)}", EXIT_USAGE)
    console, err = console_for(stderr=False), console_for(stderr=True)

    def progress(line: str) -> None:
        err.print(line, markup=False, highlight=False)

    missed: list[str] = []
    try:
        if only or not only_variants:
            missed += _selftest_faults(console, run_selftest(build({}), report_dir, list(only) or None, on_outcome=progress))
        if only_variants or not only:
            missed += _selftest_variants(console, run_variant_selftest(build({}), report_dir, list(only_variants) or None,
                                                                       on_outcome=progress))
    except SettingsError as exc:
        _fail(str(exc), EXIT_USAGE)
    except RunError as exc:
        _fail(str(exc), exc.exit_code)
    sys.exit(EXIT_FAILURES if missed else 0)


def _selftest_faults(console: Console, outcomes: list) -> list[str]:
    table = _selftest_table("ra-conform self-test: each fault of the reference server and the tests that caught it",
                            "fault", "expected", "REQ", "caught by", "exit")
    for o in outcomes:
        caught = _test_names(o.caught_by)
        table.add_row(o.fault, o.expected, " ".join(o.catches), caught if o.caught else f"[red]NOT CAUGHT[/] {caught}", str(o.exit_code))
    missed = [o.fault for o in outcomes if not o.caught]
    return _print_tally(console, table, len(outcomes), missed, "faults caught", "missed")


def _selftest_variants(console: Console, outcomes: list) -> list[str]:
    table = _selftest_table("ra-conform self-test: each legal variant of the reference server must pass",
                            "variant", "pass", "warn", "failed (harness wrong)", "exit")
    for o in outcomes:
        failed = _test_names(o.failures)
        table.add_row(o.variant, str(o.passed_tests), str(len(o.warnings)), f"[red]{failed}[/]" if failed else "", str(o.exit_code))
    wrong = [o.variant for o in outcomes if not o.passed]
    return _print_tally(console, table, len(outcomes), wrong, "variants passed", "failed")


def _selftest_table(title: str, *columns: str) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for col in columns:
        table.add_column(col, overflow="fold")
    return table


def _test_names(nodeids: list[str], most: int = 3) -> str:
    """The first few test names (without their file), one a line, and how many more."""
    from rich.markup import escape

    shown = escape("\n".join(n.split("::", 1)[-1] for n in nodeids[:most]))
    return shown + (f"\n… +{len(nodeids) - most}" if len(nodeids) > most else "")


def _print_tally(console: Console, table: Table, total: int, bad: list[str], good_text: str, bad_text: str) -> list[str]:
    console.print(table)
    console.print(f"{total - len(bad)} of {total} {good_text}" + (f"; {bad_text}: {', '.join(bad)}" if bad else ""))
    return bad


from .client.commands import client_demo, client_test  # noqa: E402  (client-test / client-demo, issue 15)

cli.add_command(client_test)
cli.add_command(client_demo)


@cli.group()
def keys() -> None:
    """Signing keys for SMART Backend Services."""


@keys.command("generate")
@click.option("--alg", type=click.Choice(["ES384", "RS384"]), default="ES384", show_default=True,
              help="Signing algorithm of the key (SMART Backend Services: ES384 or RS384).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder for private-key.pem and public-jwks.json.")
def keys_generate(alg: str, out: Path) -> None:
    """Write a private key (private-key.pem, mode 0600) and its public JWKS (public-jwks.json) to register with a server."""
    from .fhir.keys import generate, write_pair

    try:
        private, public = write_pair(generate(alg), out)
    except OSError as exc:
        _fail(f"cannot write keys to {out}: {exc.strerror or exc}", EXIT_USAGE)
    click.echo(f"wrote {private} (keep it secret) and {public} (register it with the server)")


@cli.group()
def fixtures() -> None:
    """The fixture kit a target preloads."""


@fixtures.command("generate")
@click.option("--patients", type=click.IntRange(min=1), required=True, help="How many synthetic patients.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output folder (NDJSON per resource type).")
@click.option("--reports-per-patient", type=click.IntRange(1, 20), default=3, show_default=True, help="Coding-gap reports per patient.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (the same seed writes the same data).")
def fixtures_generate(patients: int, out: Path, reports_per_patient: int, seed: int) -> None:
    """Write a large synthetic data set (patients, a Group of all, reports, cited resources) for scale tests."""
    from .kit.synth import GenerateError, generate

    try:
        report = generate(patients, out, reports_per_patient=reports_per_patient, seed=seed)
    except GenerateError as exc:
        _fail(str(exc), EXIT_USAGE)
    click.echo(report.summary())


@fixtures.command("load")
@click.option("--target", required=True, help="Base URL of the server to load.")
@click.option("--kit", "kit_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Fixture kit directory (default: the kit bundled with ra-conform).")
@click.option("--method", type=click.Choice(["transaction", "put"]), default="transaction", show_default=True,
              help="One transaction Bundle (falls back to PUTs when refused), or one PUT per resource.")
@click.option("--ig-version", type=click.Choice(versions.ids()),
              help=f"Load the kit in this IG version's shape (default {DEFAULT_IG_VERSION}; stu1 gives the STU1 variant).")
@click.option("--auth-token", help="Bearer token for the target (sent only to the target's origin).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True, help="HTTP timeout in seconds per request.")
@auth_options
def fixtures_load(target: str, kit_dir: Path | None, method: str, ig_version: str | None, timeout: float, **auth: str | None) -> None:
    """Load the kit into a server (transaction Bundles, checked entry by entry; else one PUT per resource)."""
    from .connect import ConnectError, check_credentials, client_for
    from .fhir.upload import load_kit
    from .kit import KitError

    try:
        settings = build({"target": target, "timeout": timeout, **auth})
        check_credentials(settings, target)
    except SettingsError as exc:
        _fail(str(exc), EXIT_USAGE)
    except ConnectError as exc:
        _fail(str(exc), EXIT_UNREACHABLE if exc.unreachable else EXIT_USAGE)
    try:
        with client_for(settings, target, write=True) as client:
            report = load_kit(client, kit_dir, prefer=method, ig_version=ig_version)
    except KitError as exc:
        _fail(str(exc), EXIT_USAGE)
    from .reporting.sanitize import plain

    if report.unreachable and not report.loaded:
        _fail(f"target unreachable: {report.unreachable}", EXIT_UNREACHABLE)
    for note in report.notes:
        click.echo(plain(note), err=True)
    click.echo(f"loaded {len(report.loaded)} resources by {report.method}")
    for ref, why in report.failed[:10]:
        click.echo(plain(f"  not loaded: {ref}: {why}"), err=True)
    if len(report.failed) > 10:
        click.echo(f"  … and {len(report.failed) - 10} more not loaded", err=True)
    if report.unreachable:
        _fail(f"target unreachable after {len(report.loaded)} resources: {report.unreachable}", EXIT_UNREACHABLE)
    sys.exit(EXIT_FAILURES if report.failed else 0)


def main() -> None:
    interrupts.install()  # SIGTERM behaves like Ctrl-C: reports marked interrupted, exit 143 (Ctrl-C: 130)
    try:
        _main()
    except KeyboardInterrupt as exc:  # it came after the command's own handling, before the process ends
        _fail("interrupted", interrupts.exit_code(exc))
    except SystemExit as exc:
        late = interrupts.swallowed()  # a signal whose interrupt a weakref callback or __del__ swallowed
        if late is not None and exc.code not in (interrupts.EXIT_SIGINT, interrupts.EXIT_SIGTERM):
            _fail(f"interrupted ({late}) as the command ended; what it wrote is whole", interrupts.code_for(late))
        raise
    finally:
        interrupts.ending()


def _main() -> NoReturn:
    try:
        code = cli(standalone_mode=False)
    except click.ClickException as exc:  # usage errors: one line on stderr, exit 2
        if type(exc).__name__ == "NoArgsIsHelpError" and isinstance(exc, click.UsageError) and exc.ctx:
            click.echo(exc.ctx.get_help(), err=True)  # bare `ra-conform` / `ra-conform fixtures`: the help
            sys.exit(EXIT_USAGE)
        where = exc.ctx.command_path if isinstance(exc, click.UsageError) and exc.ctx else "ra-conform"
        click.echo(f"{where}: {exc.format_message()} (see --help)", err=True)
        sys.exit(EXIT_USAGE)
    except (KeyboardInterrupt, click.Abort) as exc:
        cause = exc if isinstance(exc, KeyboardInterrupt) else exc.__cause__
        _fail("interrupted", interrupts.exit_code(cause if isinstance(cause, KeyboardInterrupt) else None))
    except Exception as exc:  # noqa: BLE001 - last resort: a harness bug, never a traceback for the user
        _fail(f"internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
