"""The README stays inside the repository and shows what a user types (issue 11, item 7)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_links_stay_inside_the_repository() -> None:
    local = [t for t in LINK.findall(README) if not t.startswith(("http://", "https://", "#", "mailto:"))]
    outside = [t for t in local if not (ROOT / t.split("#")[0]).resolve().is_relative_to(ROOT)]
    missing = [t for t in local if not (ROOT / t.split("#")[0]).exists()]
    assert outside == [] and missing == []
    assert "../shared" not in README and "/work/" not in README


def test_shows_the_servers_base_url_a_cc_gaps_request_and_completion() -> None:
    assert "MeasureReport/$cc-gaps?subject=Patient/rac-p01" in README and "curl -X POST" in README
    assert "no `/fhir`" in README
    assert "_RA_CONFORM_COMPLETE=bash_source ra-conform" in README
    assert "pytest --pyargs ra_conformance.suites" in README
