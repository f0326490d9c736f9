"""2.1.0 (STU 2.1), label V21: the record. Its rule table is ruleset.py (which the STU3 ballot extends)."""

from __future__ import annotations

from ra_conformance.ig import REPORT_STYLE_OPERATIONS
from ra_conformance.ig.capabilities import V21_STATEMENTS
from ra_conformance.ig.version import REPORT_FLOW, SEARCH_FLOW, SUBMIT_DATA, IgVersion, lazy_ruleset

# MeasureReport search parameters of 2.1.0 servers (the STU3 ballot keeps them)
SEARCH_PARAMS = ("_id", "subject", "patient", "period", "date", "measure", "status", "category", "measurereport-category",
                 "_profile")

VERSION = IgVersion(
    id="2.1.0",
    label="2.1.0",
    package_version="2.1.0",
    canonical_prefix="2.",
    retrieval=(SEARCH_FLOW, REPORT_FLOW),  # $report is gone from 2.1.0; the product's $cc-gaps keeps its contract
    operations=REPORT_STYLE_OPERATIONS,
    coding_gap_operation="cc-gaps",
    search_params=SEARCH_PARAMS,
    evidence_submission=SUBMIT_DATA,  # base Measure/$submit-data (REQ-208)
    cc_remark=True,
    statements=V21_STATEMENTS,
    server_statement="ra-reporting-server",
    ruleset=lazy_ruleset(__name__),
)
