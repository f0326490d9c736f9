"""One record per IG version: the registry, its use everywhere, and "a new version is one folder".

A synthetic STU3 (final) folder, put beside the real ones on ``ra_conformance.ig.__path__``, is picked up by the CLI's
choices, the plan, the reference server's CapabilityStatement, version inference, settings and the kit; and no module
outside ``ig/`` spells a version id or package version.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import ra_conformance.ig as ig
from ra_conformance.declarations import discover_operation, infer_ig_version, read_declarations
from ra_conformance.harness.plan import decide
from ra_conformance.ig import DEFAULT_IG_VERSION, OPERATION_DEFINITIONS, versions
from ra_conformance.ig.capabilities import expectation
from ra_conformance.ig.version import RISK_GAP, SEARCH
from ra_conformance.kit.versions import variant
from ra_conformance.server.capability import capability_statement
from ra_conformance.server.search import MEASUREREPORT_PARAMS
from ra_conformance.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

# A new version folder: STU3 final, here the ballot's record under new names (a real one brings its own rule table).
STU3_FOLDER = '''
from dataclasses import replace

from ra_conformance.ig.stu3_ballot import VERSION as BALLOT

VERSION = replace(BALLOT, id="stu3", label="STU3", package_version="3.0.0", preset=None)
'''


def test_the_registry_lists_the_version_folders_in_release_order():
    assert versions.ids() == ("stu1", "2.1.0", "stu3-ballot")
    assert DEFAULT_IG_VERSION in versions.ids()
    assert [v.package_version for v in versions.all_versions()] == ["1.0.0", "2.1.0", "3.0.0-ballot"]
    assert versions.since("2.1.0") == ("2.1.0", "stu3-ballot") and versions.with_flow(RISK_GAP) == ("stu3-ballot",)
    assert versions.by_package_version("2.1.1").id == "2.1.0" and versions.by_package_version("9.0") is None
    with pytest.raises(versions.UnknownVersion, match=r"choose from stu1, 2\.1\.0, stu3-ballot"):
        versions.get("9.9")


@pytest.mark.parametrize("version", versions.ids())
def test_a_record_declares_only_what_the_reference_server_implements(version):
    record = versions.get(version)
    assert set(record.search_params) <= set(MEASUREREPORT_PARAMS)  # REQ-198: declared means implemented
    assert set(record.operations) <= set(OPERATION_DEFINITIONS)
    assert record.coding_gap_operation in record.operations
    assert record.server_statement in record.statements
    assert record.ruleset().version == version == versions.ruleset(version).version
    assert (record.category_param is None) == (record.flow(SEARCH) is None or not record.flow(SEARCH).filter_params)


def test_statements_come_from_the_record():
    assert expectation("stu1", "MeasureReport:operation:coding-gap").level == "SHALL"
    assert expectation("stu3-ballot", "MeasureReport:operation:risk-gap").statement == "ra-reporting-server"
    assert "MeasureReport:operation:risk-gap" not in versions.get("2.1.0").statements["ra-reporting-server"]


@pytest.fixture
def stu3_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder ``stu3/`` on the ig package's path, for the duration of one test."""
    (tmp_path / "stu3").mkdir()
    (tmp_path / "stu3" / "__init__.py").write_text(STU3_FOLDER, encoding="utf-8")
    ig.__path__.append(str(tmp_path))
    versions.clear()
    try:
        yield tmp_path
    finally:
        ig.__path__.remove(str(tmp_path))
        sys.modules.pop("ra_conformance.ig.stu3", None)
        versions.clear()


def test_a_new_version_folder_is_picked_up_everywhere(stu3_folder):
    assert versions.ids() == ("stu1", "2.1.0", "stu3-ballot", "stu3")
    cs = capability_statement(base="http://x", ig_version="stu3")
    assert cs["implementationGuide"][0].endswith("|3.0.0")
    decl = read_declarations(cs)
    assert infer_ig_version(decl) == "stu3" and discover_operation(decl, "stu3") == "cc-gaps"
    assert infer_ig_version(read_declarations({**cs, "implementationGuide": []})) == "stu3"  # newest own flow first
    assert decide("MeasureReport:search:period", "stu3", decl).reason.startswith("IG STU3 ")
    assert Settings(ig_version="stu3").validate().ig_version == "stu3"
    report = {"resourceType": "MeasureReport", "id": "r"}
    assert variant([report], "stu3") == [report]


def test_the_cli_offers_a_new_version_folder_and_plans_it(stu3_folder):
    code = textwrap.dedent(f"""
        import sys
        import ra_conformance.ig as ig
        ig.__path__.append({str(stu3_folder)!r})
        from ra_conformance.cli import main
        sys.argv = ["ra-conform", *sys.argv[1:]]
        main()
    """)
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=stu3_folder,
                              env=env, timeout=120)

    assert "[stu1|2.1.0|stu3-ballot|stu3]" in cli("validate", "--help").stdout
    plan = cli("plan", "--ig-version", "stu3", "-k", "risk_gap or capability")
    assert plan.returncode == 0, plan.stderr
    assert "IG stu3" in plan.stdout and "$risk-gap" in plan.stdout


# -- no version string outside ig/ ------------------------------------------------------------------------------------

# Data rows, not branches: which versions a profile rule applies to (moving into ig/requirements.json).
ALLOWED = {"testsuites/profile_rules.py"}


def version_literals(source: str) -> list[int]:
    """Lines of string constants that are an IG version id or package version (docstrings and prose never equal one)."""
    spelled = {s for v in versions.all_versions() for s in (v.id, v.package_version)}
    return [n.lineno for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in spelled]


def test_no_module_outside_ig_spells_a_version():
    files = [p for room in ("ra_conformance", "testsuites") for p in sorted((ROOT / room).rglob("*.py"))]
    outside = [p for p in files if not p.is_relative_to(ROOT / "ra_conformance" / "ig")]
    bad = [f"{p.relative_to(ROOT)}:{line}" for p in outside if str(p.relative_to(ROOT)) not in ALLOWED
           for line in version_literals(p.read_text(encoding="utf-8"))]
    assert bad == [], "ask ra_conformance.ig.versions instead"


def test_the_literal_check_can_fail():
    assert version_literals('if ig_version == "stu1":\n    pass\nx = f(version="3.0.0-ballot")\n') == [1, 3]
    assert version_literals('"""Prose about 2.1.0 and stu1."""\nHELP = "default 2.1.0"\n') == []
