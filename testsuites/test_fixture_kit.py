"""Fixture kit: the target holds the kit's patients, so the data-driven suites can run.

When the kit is missing this is the one place that says so; the suites that need it are skipped
with the same reason instead of failing in a cascade.
"""

import pytest

from ra_conformance.checks.findings import error
from ra_conformance.harness.plan import KIT_SUITE_HINT
from ra_conformance.hints import base_url_hint


@pytest.mark.req("REQ-038", "REQ-039")
def test_req_038_fixture_kit_is_loaded(ra, verdict):
    """Every patient of the fixture kit can be read on the target."""
    missing = ra.missing_kit_patients
    if missing:
        # a 404 on /metadata too: the base URL is wrong, not the kit missing
        why = base_url_hint(ra.settings.target or "", ra.metadata_response.status) or f"the fixture kit is not loaded: {KIT_SUITE_HINT}"
        verdict.add(error(why, reqs=("REQ-038", "REQ-039"), actual=f"not found: {', '.join(missing)}"))
