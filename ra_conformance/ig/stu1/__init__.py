"""STU1 (1.0.0), label S1: the record. Its rule table is ruleset.py, the kit's STU1 shape kit_shape.py."""

from __future__ import annotations

from ra_conformance.ig.capabilities import S1_STATEMENTS
from ra_conformance.ig.stu1.kit_shape import to_stu1
from ra_conformance.ig.version import REPORT_FLOW, SEARCH, IgVersion, Retrieval, lazy_ruleset

# STU1 may also be searched (MAY): no category there, the `_profile` filter picks RA reports.
_SEARCH_S1 = Retrieval(SEARCH, "GET MeasureReport?subject=Patient/x&period=geA&period=leB&_profile=<ra-measurereport>"
                       "&_include=MeasureReport:evaluated-resource (MAY in STU1)", "searchset Bundle(s)", "empty searchset")

VERSION = IgVersion(
    id="stu1",
    label="STU1",
    package_version="1.0.0",
    canonical_prefix="1.",
    retrieval=(REPORT_FLOW, _SEARCH_S1),  # $report is the IG's own (SHALL)
    operations=("report", "cc-gaps", "ra.cc-gaps"),
    coding_gap_operation="report",
    search_params=("_id", "subject", "patient", "period", "measure", "status", "_profile"),
    evidence_submission=None,
    cc_remark=False,
    statements=S1_STATEMENTS,
    server_statement="ra-server",
    ruleset=lazy_ruleset(__name__),
    kit_transform=to_stu1,
    preset={"operation": "report"},
)
