"""3.0.0-ballot, label S3: the record. Its rule table is ruleset.py (2.1.0's plus contextId, qualifyingDxCode and
the remark profiles)."""

from __future__ import annotations

from ra_conformance.ig import REPORT_STYLE_OPERATIONS
from ra_conformance.ig.capabilities import MAY, RISK_GAP_OPERATION, V21_STATEMENTS, with_items
from ra_conformance.ig.v2_1_0 import SEARCH_PARAMS
from ra_conformance.ig.version import CORE_REST, REPORT_FLOW, RISK_GAP, SEARCH_FLOW, IgVersion, Retrieval, lazy_ruleset

_RISK_GAP = Retrieval(RISK_GAP, "POST MeasureReport/$risk-gap: Parameters{periodStart, periodEnd, subject, coverage, "
                      "ccType*, evidenceStatus*, data} + contextId header", "Bundle (collection)",
                      "4xx + OperationOutcome ⚑")

VERSION = IgVersion(
    id="stu3-ballot",
    label="STU3 ballot",
    package_version="3.0.0-ballot",
    canonical_prefix="3.",
    retrieval=(_RISK_GAP, SEARCH_FLOW, REPORT_FLOW),
    operations=(*REPORT_STYLE_OPERATIONS, "risk-gap"),
    coding_gap_operation="cc-gaps",
    search_params=SEARCH_PARAMS,
    evidence_submission=CORE_REST,  # core REST create / transaction (REQ-209)
    cc_remark=True,
    # $risk-gap is listed in no CapabilityStatement (RA-SPEC §5.2): MAY, run when declared.
    statements=with_items(V21_STATEMENTS, "ra-reporting-server", {RISK_GAP_OPERATION: MAY}),
    server_statement="ra-reporting-server",
    ruleset=lazy_ruleset(__name__),
    preset={},
)
