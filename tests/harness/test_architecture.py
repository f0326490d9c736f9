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
    ("ra_conformance/server", ("ra_conformance.harness", "testsuites", "ra_conformance.suites", "ra_conformance.cli", "ra_conformance.reporting")),
    ("ra_conformance/validation", ("ra_conformance.fhir", "ra_conformance.server", "ra_conformance.harness", "ra_conformance.cli")),
    ("ra_conformance/checks", ("ra_conformance.server", "ra_conformance.harness", "ra_conformance.cli", "ra_conformance.reporting")),
    ("ra_conformance/fhir", ("ra_conformance.server", "ra_conformance.harness", "ra_conformance.cli", "ra_conformance.reporting")),
    ("ra_conformance/client", ("ra_conformance.harness", "testsuites", "ra_conformance.cli")),
    ("ra_conformance/ig", ("ra_conformance.fhir", "ra_conformance.server", "ra_conformance.validation", "ra_conformance.harness")),
    # the reports are written from results and the plan as data: nothing in reporting/ reaches up into the run machinery
    ("ra_conformance/reporting", ("ra_conformance.harness", "ra_conformance.cli", "testsuites")),
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


def test_nothing_imports_cli_and_only_the_run_machinery_imports_reporting():
    """Reports are written by the runs (harness/, client-test's client/) and the CLI; nothing else reaches them."""
    for path in PKG.rglob("*.py"):
        mods = imported_modules(path)
        assert not any(within(m, ("ra_conformance.cli",)) for m in mods) or path.name == "__main__.py", path
        if any(within(m, ("ra_conformance.reporting",)) for m in mods):
            assert path.name == "cli.py" or {"reporting", "harness", "client"} & set(path.relative_to(PKG).parts), path


def test_the_arrow_check_itself_can_fail(tmp_path):
    probe = tmp_path / "ra_conformance" / "checks" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("from ..server import EmbeddedServer\nfrom ra_conformance.harness.plugin import ra\n")
    assert imported_modules(probe, tmp_path) >= {"ra_conformance.server", "ra_conformance.harness.plugin"}


# -- the import graph: no circle between modules, none between rooms ------------------------------------------------
# Every import that runs counts, at module level or inside a function (a lazy import still closes a circle at run
# time); imports under `if TYPE_CHECKING:` never run and are left out (fhir/auth.py and fhir/client.py name each
# other's types that way).


def package_modules(pkg: Path = PKG, root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name, not `…__init__`)."""
    out = {}
    for path in pkg.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _runtime_import_nodes(node: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            found += [n for stmt in child.orelse for n in _runtime_import_nodes(stmt)]
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            found.append(child)
        found += _runtime_import_nodes(child)
    return found


def import_graph(pkg: Path = PKG, root: Path = ROOT) -> dict[str, set[str]]:
    """module -> the package modules it imports when it runs (`from . import x` names module x when x is one)."""
    modules = package_modules(pkg, root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        named: set[str] = set()
        for node in _runtime_import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                named.update(a.name for a in node.names)
                continue
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            named.update(f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names)
        graph[name] = set()
        for target in named:
            while target and target not in modules:  # a name inside a module -> the module
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def room_of(module: str) -> str:
    """A room: a subpackage of ra_conformance (fhir, checks, server, …) or one of its top-level modules."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def room_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    rooms: dict[str, set[str]] = {}
    for module, targets in graph.items():
        here = room_of(module)
        rooms.setdefault(here, set()).update(room_of(t) for t in targets if room_of(t) not in (here, "ra_conformance"))
    return rooms


def test_no_import_circle_between_modules():
    graph = import_graph()
    assert len(graph) > 100 and sum(map(len, graph.values())) > 300  # the walk saw the package
    assert cycles(graph) == []


# Arrows that still run back up, each with the change that removes it (issue 13 step 4, the harness wing): delete a
# line once its arrow is gone (tolerated while branches that remove them are merged one by one).
PENDING_BACK_ARROWS: dict[tuple[str, str], str] = {
}


def test_no_import_runs_back_up_between_rooms():
    """The rooms form layers: no room imports, directly or through others, a room that imports it (the package's
    own __init__, which only names the version, is below every room)."""
    rooms = room_graph(import_graph())
    for source, target in PENDING_BACK_ARROWS:
        rooms.get(source, set()).discard(target)
    assert cycles(rooms) == [], {r: sorted(t) for r, t in rooms.items()}


def test_the_cycle_check_itself_can_fail(tmp_path):
    pkg = tmp_path / "ra_conformance"
    (pkg / "server").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "server" / "__init__.py").write_text("")
    (pkg / "server" / "store.py").write_text("def load():\n    from .ingest import load_paths\n")
    (pkg / "server" / "ingest.py").write_text("from .rest import basic_checks\n")
    (pkg / "server" / "rest.py").write_text("from typing import TYPE_CHECKING\nfrom .store import Store\n")
    (pkg / "fhir.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .server import store\n")
    graph = import_graph(pkg, tmp_path)
    assert cycles(graph) == [["ra_conformance.server.ingest", "ra_conformance.server.rest", "ra_conformance.server.store"]]
    assert graph["ra_conformance.fhir"] == set()  # type-only imports do not count
    (pkg / "server" / "rest.py").write_text("from .. import fhir\n")
    (pkg / "fhir.py").write_text("from .server import store\n")
    assert cycles(room_graph(import_graph(pkg, tmp_path))) == [["fhir", "server"]]
