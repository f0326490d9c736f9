"""render_from_file / load_summary: clear ReportErrors for every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ra_conformance.reporting.html import SCHEMA_PATH, ReportError, check_summary, load_summary, render_from_file

from .summaries import small_summary


def _write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_schema_is_found_in_the_repo() -> None:
    assert SCHEMA_PATH.is_file(), SCHEMA_PATH


def test_valid_file_renders(tmp_path: Path) -> None:
    src = _write(tmp_path / "summary.json", small_summary())
    out = render_from_file(src, tmp_path / "out" / "report.html")
    assert out == tmp_path / "out" / "report.html"
    assert 'id="verdict"' in out.read_text(encoding="utf-8")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"summary file not found: .*nope\.json"):
        render_from_file(tmp_path / "nope.json", tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="cannot read summary file"):
        load_summary(tmp_path)


@pytest.mark.parametrize("content", ["{not json", "", "\xff\xfe garbage"])
def test_not_json(tmp_path: Path, content: str) -> None:
    with pytest.raises(ReportError, match=r"summary\.json is not JSON"):
        load_summary(_write(tmp_path / "summary.json", content))


@pytest.mark.parametrize("mutate,where", [
    (lambda s: s.update(verdict="maybe"), "at verdict: 'maybe' is not one of"),
    (lambda s: s.pop("traceability"), "'traceability' is a required property"),
    (lambda s: s["tests"][1].pop("state"), "at tests/1: 'state' is a required property"),
    (lambda s: s["tests"][1]["exchanges"][0].update(status="200"), "at tests/1/exchanges/0/status"),
    (lambda s: s["mustSupport"].update({"p": {"x": "yes"}}), "at mustSupport/p/x"),
])
def test_schema_mismatch(tmp_path: Path, mutate: Any, where: str) -> None:
    s = small_summary()
    mutate(s)
    with pytest.raises(ReportError, match="is not a valid ra-conform run summary") as info:
        load_summary(_write(tmp_path / "summary.json", s))
    assert where in str(info.value)


def test_not_an_object(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="expected a JSON object, got list"):
        load_summary(_write(tmp_path / "summary.json", [1, 2]))


def test_fallback_without_schema_checks_required_keys(tmp_path: Path) -> None:
    absent = tmp_path / "no-schema.json"
    s = small_summary()
    assert check_summary(s, absent) is None
    s["verdict"] = "maybe"  # only the schema would notice this
    assert check_summary(s, absent) is None
    del s["mustSupport"], s["tests"]
    assert check_summary(s, absent) == "missing required key(s): tests, mustSupport"
    assert check_summary([], absent) == "expected a JSON object, got list"


def test_unwritable_output(tmp_path: Path) -> None:
    src = _write(tmp_path / "summary.json", small_summary())
    (tmp_path / "taken").mkdir()
    with pytest.raises(ReportError, match="cannot write"):
        render_from_file(src, tmp_path / "taken")
