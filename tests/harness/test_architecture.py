"""The arrows of DESIGN.md hold: imports run one way between the rooms."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "ra_conformance"


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Absolute names of the ra_conformance modules a file imports (relative imports resolved)."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            out.add(module)
            out.update(f"{module}.{a.name}" for a in node.names)
    return {m for m in out if m.startswith(("ra_conformance", "testsuites"))}


def within(module: str, prefixes: tuple[str, ...]) -> bool:
    """`module` is one of `prefixes` or inside one (ra_conformance.client is not inside ra_conformance.cli)."""
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def room_files(room: str) -> list[Path]:
    target = ROOT / room
    return sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]


FORBIDDEN = [
    # (room, forbidden prefixes) — DESIGN.md "Arrows (must hold)"
    ("testsuites", ("ra_conformance.server", "ra_conformance.cli")),
    ("ra_conformance/server", ("ra_conformance.harness.plugin", "testsuites", "ra_conformance.suites", "ra_conformance.cli", "ra_conformance.reporting")),
    ("ra_conformance/validation", ("ra_conformance.fhir", "ra_conformance.server", "ra_conformance.harness.plugin", "ra_conformance.cli")),
    ("ra_conformance/checks", ("ra_conformance.server", "ra_conformance.harness.plugin", "ra_conformance.cli", "ra_conformance.reporting")),
    ("ra_conformance/fhir", ("ra_conformance.server", "ra_conformance.harness.plugin", "ra_conformance.cli", "ra_conformance.reporting")),
    ("ra_conformance/client", ("ra_conformance.harness.plugin", "testsuites", "ra_conformance.cli", "ra_conformance.harness.runner")),
    ("ra_conformance/ig", ("ra_conformance.fhir", "ra_conformance.server", "ra_conformance.validation", "ra_conformance.harness.plugin")),
]


@pytest.mark.parametrize("room,forbidden", FORBIDDEN, ids=[r for r, _ in FORBIDDEN])
def test_room_does_not_import_against_the_arrows(room, forbidden):
    bad = [f"{p.relative_to(ROOT)} imports {m}" for p in room_files(room) for m in imported_modules(p) if within(m, forbidden)]
    assert bad == []


def test_server_never_imports_the_client_side():
    """client-test wraps the reference server (client/ -> server/); the server knows nothing of it."""
    bad = [f"{p.relative_to(ROOT)} imports {m}" for p in room_files("ra_conformance/server")
           for m in imported_modules(p) if within(m, ("ra_conformance.client",))]
    assert bad == []


def test_nothing_imports_cli_and_only_plugin_cli_and_runner_import_reporting():
    for path in PKG.rglob("*.py"):
        mods = imported_modules(path)
        assert not any(within(m, ("ra_conformance.cli",)) for m in mods) or path.name == "__main__.py", path
        if any(within(m, ("ra_conformance.reporting",)) for m in mods):
            assert path.name in ("plugin.py", "cli.py", "runner.py") or "reporting" in path.parts, path


def test_the_arrow_check_itself_can_fail(tmp_path):
    probe = tmp_path / "ra_conformance" / "checks" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("from ..server import EmbeddedServer\nfrom ra_conformance.harness.plugin import ra\n")
    assert imported_modules(probe, tmp_path) >= {"ra_conformance.server", "ra_conformance.harness.plugin"}
