"""The catalogue of named, switchable defects of the reference server, for self-testing the suites.

Each fault names the RA-SPEC §9 requirements it violates (``catches``), whether a correct suite should report it
as a conformance failure (``expected="fail"``) or only a warning (``"warn"``), its defect (a mutation of the
correct answer or a strategy the server reads once; base.py) and the settings its self-test run needs. The
correct server never consults a fault. Adding one: an entry here, its mutation in the module of its concern, and
its probe in tests/server/test_faults.py.
"""

from __future__ import annotations

from collections.abc import Callable

from ...ig import versions
from ...ig.version import OPERATION, RISK_GAP
from .. import auth, bulk, cc_gaps, interactions, risk_gap, search, transaction
from . import auth as smart
from . import bulk as export
from . import cc_gaps as gaps
from . import rest
from . import risk_gap as risk
from . import search as searches
from .base import Body, BundleRewrite, Defects, Fault, Refusal, Rewrite, Strategy

# No operation in /metadata: the suites need the operation only where the IG's own flow is the operation (STU1).
STU1 = {"ig_version": next(v.id for v in versions.all_versions() if v.own_retrieval.flow == OPERATION)}
# $risk-gap exists only from the STU3 ballot (the server declares it there).
STU3 = {"ig_version": versions.with_flow(RISK_GAP)[0]}


def _reports(rewrite: Callable[[Body], Body]) -> Defects:
    """A report rewrite, in coding-gap Bundles and in MeasureReport searchsets (matches)."""
    return Defects(BundleRewrite(gaps.in_reports(rewrite)), Rewrite(searches.in_entries("match", rewrite, "MeasureReport")))


def _search_ignores(*names: str) -> Strategy:
    return Strategy(search.Rules, conditions=searches.conditions_without(dict.fromkeys(names, searches.not_applied)))


_CATALOGUE = (
    # the coding-gap operation (server/cc_gaps.py): faults/cc_gaps.py
    Fault("ignore-period", "returns every coding-gap report of the patient, whatever its period", ("REQ-025",),
          Strategy(cc_gaps.Rules, overlaps=gaps.any_period)),
    Fault("exclusive-boundaries",
          "treats the window as open: a report touching periodStart or periodEnd on the same day is not returned",
          ("REQ-024", "REQ-023"), Strategy(cc_gaps.Rules, overlaps=gaps.open_window)),
    Fault("omit-patient-entry", "leaves the Patient entry out of every returned Bundle", ("REQ-021", "REQ-132", "REQ-030"),
          BundleRewrite(gaps.omit_patient_entry)),
    Fault("wrong-bundle-type", "returns Bundles of type searchset instead of collection", ("REQ-130", "REQ-021"),
          BundleRewrite(gaps.searchset_type)),
    Fault("unknown-patient-empty-bundle",
          "answers an unknown Patient subject with an empty return Bundle instead of an OperationOutcome", ("REQ-032",),
          Rewrite(gaps.unknown_patient_empty_bundle)),
    Fault("drop-unknown-members", "silently drops unknown members of a group (no outcome for them)", ("REQ-035",),
          Rewrite(gaps.drop_member_outcomes)),
    Fault("leak-other-patient-report", "adds a coding-gap report of another patient to each patient's Bundle",
          ("REQ-026", "REQ-134"), Strategy(cc_gaps.Rules, select=gaps.with_another_patients_report)),
    Fault("omit-cited-resources", "leaves out the resources the reports cite in evaluatedResource", ("REQ-027",),
          BundleRewrite(gaps.omit_cited_resources)),
    Fault("duplicate-report", "puts the first matching report into the Bundle twice", ("REQ-028",),
          BundleRewrite(gaps.duplicate_first_report)),
    Fault("duplicate-shared-evidence",
          "repeats an evaluated resource once per citing report (no de-duplication across reports)", ("REQ-028",),
          BundleRewrite(gaps.evidence_per_report)),
    Fault("accept-bare-id", "accepts a bare id subject (no type prefix) as a Patient", ("REQ-018",),
          Strategy(cc_gaps.Rules, subject=gaps.bare_id_is_a_patient)),
    Fault("server-error-on-bad-date", "answers 500 to an unparseable periodStart/periodEnd", ("REQ-017",),
          Strategy(cc_gaps.Rules, days=gaps.crash_on_bad_date)),
    Fault("get-not-supported", "answers 405 to the GET form of the operation", ("REQ-012",),
          Refusal(gaps.refuse_operation("GET", allow="POST"))),
    Fault("post-not-supported", "answers 405 to the POST (Parameters) form of the operation", ("REQ-013",),
          Refusal(gaps.refuse_operation("POST", allow="GET"))),
    Fault("unknown-patient-bare-404",
          "answers an unknown Patient subject with HTTP 404 + OperationOutcome instead of 200 + Parameters",
          ("REQ-032", "REQ-042"), Rewrite(gaps.unknown_patient_404), expected="warn"),
    Fault("utc-date-normalisation", "compares report period instants converted to UTC instead of their own date part",
          ("REQ-023", "REQ-024", "REQ-025"), Strategy(cc_gaps.Rules, overlaps=gaps.utc_days)),
    Fault("outcome-on-no-match", "adds an OperationOutcome beside the Patient-only Bundle when no report matches",
          ("REQ-031",), Rewrite(gaps.outcome_on_no_match)),
    Fault("wrong-parameter-name", "names the per-patient Bundle parameter 'result' instead of 'return'",
          ("REQ-041", "REQ-020"), Rewrite(gaps.result_not_return)),
    Fault("malformed-evidence", "returns cited evidence carrying an element R4 does not define", ("REQ-119",),
          Defects(BundleRewrite(gaps.in_evidence(gaps.with_undefined_element)),
                  Rewrite(searches.in_entries("include", gaps.with_undefined_element)))),
    Fault("drop-evidence-status-date", "leaves the must-support evidenceStatusDate out of the reports it returns",
          ("REQ-003",), _reports(gaps.without_evidence_status_date)),
    Fault("report-type-summary", "returns coding-gap reports of type summary (ra-measurereport fixes individual)",
          ("REQ-101",), _reports(gaps.summary_type)),
    # the REST interface (server/app.py, rest.py, capability.py, transaction.py): faults/rest.py
    Fault("wrong-content-type", "answers with Content-Type text/plain instead of application/fhir+json", ("REQ-009",),
          Rewrite(rest.content_type("text/plain; charset=utf-8"))),
    Fault("missing-charset", "answers Content-Type application/fhir+json without a charset parameter", ("REQ-009",),
          Rewrite(rest.content_type(rest.FHIR_JSON)), expected="warn"),
    Fault("no-operation-in-metadata", "the CapabilityStatement declares no operation", ("REQ-010", "REQ-198"),
          Rewrite(rest.no_operation_declared), settings=STU1),
    Fault("delete-ignored", "answers DELETE with success but keeps the resource", ("REQ-186",),
          Strategy(interactions.Rules, delete=rest.delete_nothing)),
    Fault("patch-ignored", "answers PATCH with the unchanged resource", ("REQ-185", "REQ-205"),
          Strategy(interactions.Rules, patch=rest.patch_nothing)),
    Fault("update-create-200", "an update (PUT) that creates a new resource is answered 200 instead of 201 Created",
          ("REQ-184",), Rewrite(rest.created_as_200)),
    Fault("transaction-not-atomic", "a transaction whose later entry fails keeps the changes of the entries before it",
          ("REQ-181",), Strategy(transaction.Rules, unit_of_work=rest.entry_by_entry)),
    # RESTful search (server/search.py): faults/search.py
    Fault("search-ignores-date", "MeasureReport search ignores the date parameter (report generation date)", ("REQ-071",),
          Strategy(search.Rules, conditions=searches.conditions_without({"date": searches.always_true}))),
    Fault("search-ignores-period", "MeasureReport search ignores the period parameter", ("REQ-074", "REQ-084"),
          _search_ignores("period")),
    Fault("search-ignores-ge-prefix", "MeasureReport search reads period=geX as period=eqX (the prefix is dropped)",
          ("REQ-074", "REQ-084"), Strategy(search.Rules, read_date=searches.ge_read_as_eq)),
    Fault("include-misses-evidence", "_include=MeasureReport:evaluated-resource leaves out one cited resource per page",
          ("REQ-080",), Rewrite(searches.include_misses_one)),
    Fault("next-link-loops", "the searchset's next link points back at the same page", ("REQ-070", "REQ-087"),
          Rewrite(searches.next_link_loops)),
    Fault("next-link-drops-page", "the searchset's next link skips a page of matches", ("REQ-070", "REQ-087"),
          Rewrite(searches.next_link_drops_page)),
    Fault("search-ignores-category", "MeasureReport search ignores category / measurereport-category",
          ("REQ-077", "REQ-085"), _search_ignores("category", "measurereport-category")),
    Fault("search-ignores-leniently",
          "MeasureReport search ignores subject, period, category and _include as unknown (R4 lenient handling): "
          "every report returned, the self link without them, an OperationOutcome entry with search.mode=outcome",
          ("REQ-076", "REQ-074", "REQ-077", "REQ-080", "REQ-084", "REQ-085"),
          Strategy(search.Rules, unsupported={"MeasureReport": searches.LENIENTLY_IGNORED})),
    Fault("search-month-end-rolls-over", "MeasureReport search reads a month-precision period value up to the first "
          "day of the next month (period=le2024-02 matches a report starting 2024-03-01)", ("REQ-074", "REQ-084"),
          Strategy(search.Rules, read_date=searches.month_end_rolls_over)),
    Fault("search-february-28-days", "MeasureReport search ends a month-precision February on the 28th even in a "
          "leap year (period=le2024-02 misses a report starting 2024-02-29)", ("REQ-074", "REQ-084"),
          Strategy(search.Rules, read_date=searches.february_of_28_days)),
    Fault("search-no-self-link", "the searchset Bundle carries no `self` link (R4: SHALL)", ("REQ-087",),
          Rewrite(searches.no_self_link)),
    # $risk-gap of the STU3 ballot (server/risk_gap.py): faults/risk_gap.py
    Fault("risk-gap-ignores-filter", "$risk-gap ignores the ccType filter", ("REQ-225", "REQ-227"),
          Strategy(risk_gap.Rules, filters=risk.no_cc_type_filter), settings=STU3),
    Fault("risk-gap-accepts-missing-coverage", "$risk-gap answers a request without `coverage` as if it were complete",
          ("REQ-223",), Strategy(risk_gap.Rules, required=risk.WITHOUT_COVERAGE), settings=STU3),
    Fault("risk-gap-drops-contextid", "$risk-gap does not echo a valid contextId header into ra-contextId",
          ("REQ-230",), Rewrite(risk.drop_context_id), expected="warn", settings=STU3),
    # asynchronous pattern (RA-SPEC §2; server/bulk.py, server/bulk_routes.py): faults/bulk.py
    Fault("no-content-location", "answers an async kick-off 202 without the Content-Location status URL", ("REQ-054",),
          Rewrite(export.no_content_location)),
    Fault("status-never-completes", "the async status URL answers 202 (in progress) forever", ("REQ-061",),
          Rewrite(export.never_completes), settings={"async_timeout": 2.0}),  # a short polling limit keeps it fast
    Fault("manifest-without-output", "the completion manifest has no `output` array", ("REQ-061", "REQ-062"),
          Rewrite(export.manifest_without_output)),
    Fault("ndjson-broken-line", "the first line of the async Bundle file is cut in half (not JSON)", ("REQ-064",),
          Strategy(bulk.Rules, line=export.first_line_cut)),
    Fault("count-mismatch", "the manifest's `count` of the Bundle file is one more than its lines", ("REQ-062",),
          Rewrite(export.count_plus_one)),
    Fault("cancel-ignored", "DELETE on the status URL answers 202 but the job and its status stay", ("REQ-066",),
          Strategy(bulk.Rules, cancel=export.cancel_nothing)),
    Fault("output-format-ignored", "accepts any _outputFormat at async kick-off (e.g. text/csv)", ("REQ-053", "REQ-055"),
          Strategy(bulk.Rules, accepts_format=export.any_format)),
    Fault("bulk-omits-error-file", "the async export leaves unknown group members out (no error file)",
          ("REQ-063", "REQ-068"), Strategy(bulk.Rules, unknown_member=export.no_error_line)),
    Fault("job-fails-bare", "reports every async job as failed with a bare 500 and no OperationOutcome", ("REQ-060",),
          Rewrite(export.job_fails_bare)),
    # SMART Backend Services (server/auth.py; in force under `serve --smart`; self-test: a registered generated key)
    Fault("smart-no-token-check", "serves FHIR requests without checking the bearer token (none or forged)",
          ("REQ-242",), Strategy(auth.Rules, guarded=smart.unguarded)),
    Fault("smart-expired-assertion-accepted", "the token endpoint accepts a client assertion whose exp has passed",
          ("REQ-246",), Strategy(auth.Rules, expired=smart.never_expired)),
    Fault("smart-unknown-key-accepted",
          "the token endpoint accepts a client assertion signed by a key the client never registered", ("REQ-244",),
          Strategy(auth.Rules, verify_signature=smart.any_signature)),
    Fault("smart-jti-replay-accepted", "the token endpoint accepts the same client assertion (jti) twice", ("REQ-245",),
          Strategy(auth.Rules, refuses_replay=smart.replay_allowed)),
    Fault("smart-scopes-ignored", "any valid token reads everything, whatever its scopes", ("REQ-248",),
          Strategy(auth.Rules, covers=smart.any_scope)),
    Fault("smart-tokens-never-expire", "access tokens never expire and the token response has no expires_in",
          ("REQ-247",), Strategy(auth.Rules, lifetime=smart.forever)),
    Fault("smart-discovery-no-token-endpoint", "the SMART discovery document has no token_endpoint", ("REQ-240",),
          Strategy(auth.Rules, discovery=smart.without_token_endpoint)),
    Fault("smart-401-without-challenge", "refuses requests with 401 but no WWW-Authenticate header", ("REQ-243",),
          Strategy(auth.Rules, challenge=smart.no_challenge)),
)

FAULTS: dict[str, Fault] = {f.name: f for f in _CATALOGUE}
SMART_FAULTS = frozenset(f.name for f in _CATALOGUE if f.name.startswith("smart-"))  # need `--smart` to show
