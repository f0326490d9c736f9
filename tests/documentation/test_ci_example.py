"""docs/github-actions-certify.yml works in a user's own repository: valid workflow syntax (offline schema check),
installs ra-conform as a package (a wheel or a git URL, never an editable clone) and may publish JUnit checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML is a dev dependency (pip install -e '.[dev]')")

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "docs" / "github-actions-certify.yml"
SCHEMA = json.loads((Path(__file__).parent / "actions_workflow.schema.json").read_text(encoding="utf-8"))


def _load(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    if True in data:  # YAML 1.1 reads the bare key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def _problems(data: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(data)]


def _steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in data["jobs"].values() for s in job["steps"]]


def test_workflow_matches_the_actions_schema() -> None:
    assert _problems(_load(WORKFLOW.read_text(encoding="utf-8"))) == []


def test_schema_check_can_fail() -> None:
    data = _load(WORKFLOW.read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(data))
    broken["jobs"]["certify"]["steps"][0]["run"] = "echo both uses and run"
    broken["permissions"]["checks"] = "yes"
    del broken["jobs"]["certify"]["runs-on"]
    assert len(_problems(broken)) >= 3


def test_installs_a_package_never_an_editable_clone() -> None:
    runs = "\n".join(s.get("run", "") for s in _steps(_load(WORKFLOW.read_text(encoding="utf-8"))))
    assert "git clone" not in runs and " -e " not in runs and "--editable" not in runs
    assert "pipx install" in runs or "pip install" in runs


def test_junit_publishing_has_its_permission() -> None:
    data = _load(WORKFLOW.read_text(encoding="utf-8"))
    assert any("junit" in s.get("uses", "") for s in _steps(data))
    assert data["permissions"].get("checks") == "write"
