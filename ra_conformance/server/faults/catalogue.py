"""A catalogue of named, switchable defects of the reference server, for self-testing the suites.

Each fault names the RA-SPEC §9 requirements it violates (``catches``) and whether a correct suite should
report it as a conformance failure (``expected="fail"``) or only a warning (``"warn"``). The server consults
faults at single points marked ``# FAULT: <name>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    catches: tuple[str, ...]
    expected: str = "fail"


_CATALOGUE = (
    Fault("ignore-period", "returns every coding-gap report of the patient, whatever its period", ("REQ-025",)),
    Fault(
        "exclusive-boundaries",
        "treats the window as open: a report touching periodStart or periodEnd on the same day is not returned",
        ("REQ-024", "REQ-023"),
    ),
    Fault("omit-patient-entry", "leaves the Patient entry out of every returned Bundle", ("REQ-021", "REQ-132", "REQ-030")),
    Fault("wrong-bundle-type", "returns Bundles of type searchset instead of collection", ("REQ-130", "REQ-021")),
    Fault(
        "unknown-patient-empty-bundle",
        "answers an unknown Patient subject with an empty return Bundle instead of an OperationOutcome",
        ("REQ-032",),
    ),
    Fault("drop-unknown-members", "silently drops unknown members of a group (no outcome for them)", ("REQ-035",)),
    Fault(
        "leak-other-patient-report",
        "adds a coding-gap report of another patient to each patient's Bundle",
        ("REQ-026", "REQ-134"),
    ),
    Fault("omit-cited-resources", "leaves out the resources the reports cite in evaluatedResource", ("REQ-027",)),
    Fault("duplicate-report", "puts the first matching report into the Bundle twice", ("REQ-028",)),
    Fault(
        "duplicate-shared-evidence",
        "repeats an evaluated resource once per citing report (no de-duplication across reports)",
        ("REQ-028",),
    ),
    Fault("wrong-content-type", "answers with Content-Type text/plain instead of application/fhir+json", ("REQ-009",)),
    Fault("accept-bare-id", "accepts a bare id subject (no type prefix) as a Patient", ("REQ-018",)),
    Fault("server-error-on-bad-date", "answers 500 to an unparseable periodStart/periodEnd", ("REQ-017",)),
    Fault("get-not-supported", "answers 405 to the GET form of the operation", ("REQ-012",)),
    Fault("post-not-supported", "answers 405 to the POST (Parameters) form of the operation", ("REQ-013",)),
    Fault("no-operation-in-metadata", "the CapabilityStatement declares no operation", ("REQ-010", "REQ-198")),
    Fault(
        "missing-charset",
        "answers Content-Type application/fhir+json without a charset parameter",
        ("REQ-009",),
        expected="warn",
    ),
    Fault(
        "unknown-patient-bare-404",
        "answers an unknown Patient subject with HTTP 404 + OperationOutcome instead of 200 + Parameters",
        ("REQ-032", "REQ-042"),
        expected="warn",
    ),
    Fault(
        "utc-date-normalisation",
        "compares report period instants converted to UTC instead of their own date part",
        ("REQ-023", "REQ-024", "REQ-025"),
    ),
    Fault(
        "outcome-on-no-match",
        "adds an OperationOutcome beside the Patient-only Bundle when no report matches",
        ("REQ-031",),
    ),
    Fault("wrong-parameter-name", "names the per-patient Bundle parameter 'result' instead of 'return'", ("REQ-041", "REQ-020")),
    Fault("search-ignores-date", "MeasureReport search ignores the date parameter (report generation date)", ("REQ-071",)),
    Fault("malformed-evidence", "returns cited evidence carrying an element R4 does not define", ("REQ-119",)),
    Fault("job-fails-bare", "reports every async job as failed with a bare 500 and no OperationOutcome", ("REQ-060",)),
    Fault("delete-ignored", "answers DELETE with success but keeps the resource", ("REQ-186",)),
    Fault("patch-ignored", "answers PATCH with the unchanged resource", ("REQ-185", "REQ-205")),
    Fault("drop-evidence-status-date", "leaves the must-support evidenceStatusDate out of the reports it returns", ("REQ-003",)),
    Fault("report-type-summary", "returns coding-gap reports of type summary (ra-measurereport fixes individual)", ("REQ-101",)),
    Fault("search-ignores-period", "MeasureReport search ignores the period parameter", ("REQ-074", "REQ-084")),
    Fault("search-ignores-ge-prefix", "MeasureReport search reads period=geX as period=eqX (the prefix is dropped)",
          ("REQ-074", "REQ-084")),
    Fault("include-misses-evidence", "_include=MeasureReport:evaluated-resource leaves out one cited resource per page",
          ("REQ-080",)),
    Fault("next-link-loops", "the searchset's next link points back at the same page", ("REQ-070", "REQ-087")),
    Fault("next-link-drops-page", "the searchset's next link skips a page of matches", ("REQ-070", "REQ-087")),
    Fault("search-ignores-category", "MeasureReport search ignores category / measurereport-category",
          ("REQ-077", "REQ-085")),
    Fault("search-ignores-leniently",
          "MeasureReport search ignores subject, period, category and _include as unknown (R4 lenient handling): "
          "every report returned, the self link without them, an OperationOutcome entry with search.mode=outcome",
          ("REQ-076", "REQ-074", "REQ-077", "REQ-080", "REQ-084", "REQ-085")),
    Fault("search-month-end-rolls-over", "MeasureReport search reads a month-precision period value up to the first "
          "day of the next month (period=le2024-02 matches a report starting 2024-03-01)", ("REQ-074", "REQ-084")),
    Fault("search-february-28-days", "MeasureReport search ends a month-precision February on the 28th even in a "
          "leap year (period=le2024-02 misses a report starting 2024-02-29)", ("REQ-074", "REQ-084")),
    Fault("search-no-self-link", "the searchset Bundle carries no `self` link (R4: SHALL)", ("REQ-087",)),
    Fault("update-create-200", "an update (PUT) that creates a new resource is answered 200 instead of 201 Created",
          ("REQ-184",)),
    Fault("transaction-not-atomic", "a transaction whose later entry fails keeps the changes of the entries before it",
          ("REQ-181",)),
    Fault("risk-gap-ignores-filter", "$risk-gap ignores the ccType filter", ("REQ-225", "REQ-227")),
    Fault("risk-gap-accepts-missing-coverage", "$risk-gap answers a request without `coverage` as if it were complete",
          ("REQ-223",)),
    Fault("risk-gap-drops-contextid", "$risk-gap does not echo a valid contextId header into ra-contextId",
          ("REQ-230",), expected="warn"),
    # asynchronous pattern (RA-SPEC §2; server/bulk.py, server/bulk_routes.py)
    Fault("no-content-location", "answers an async kick-off 202 without the Content-Location status URL", ("REQ-054",)),
    Fault("status-never-completes", "the async status URL answers 202 (in progress) forever", ("REQ-061",)),
    Fault("manifest-without-output", "the completion manifest has no `output` array", ("REQ-061", "REQ-062")),
    Fault("ndjson-broken-line", "the first line of the async Bundle file is cut in half (not JSON)", ("REQ-064",)),
    Fault("count-mismatch", "the manifest's `count` of the Bundle file is one more than its lines", ("REQ-062",)),
    Fault("cancel-ignored", "DELETE on the status URL answers 202 but the job and its status stay", ("REQ-066",)),
    Fault("output-format-ignored", "accepts any _outputFormat at async kick-off (e.g. text/csv)", ("REQ-053", "REQ-055")),
    Fault("bulk-omits-error-file", "the async export leaves unknown group members out (no error file)",
          ("REQ-063", "REQ-068")),
    # SMART Backend Services (server/auth.py; in force under `serve --smart`; self-test: a registered generated key)
    Fault("smart-no-token-check", "serves FHIR requests without checking the bearer token (none or forged)",
          ("REQ-242",)),
    Fault("smart-expired-assertion-accepted", "the token endpoint accepts a client assertion whose exp has passed",
          ("REQ-246",)),
    Fault("smart-unknown-key-accepted", "the token endpoint accepts a client assertion signed by a key the client never registered",
          ("REQ-244",)),
    Fault("smart-jti-replay-accepted", "the token endpoint accepts the same client assertion (jti) twice", ("REQ-245",)),
    Fault("smart-scopes-ignored", "any valid token reads everything, whatever its scopes", ("REQ-248",)),
    Fault("smart-tokens-never-expire", "access tokens never expire and the token response has no expires_in",
          ("REQ-247",)),
    Fault("smart-discovery-no-token-endpoint", "the SMART discovery document has no token_endpoint", ("REQ-240",)),
    Fault("smart-401-without-challenge", "refuses requests with 401 but no WWW-Authenticate header", ("REQ-243",)),
)

FAULTS: dict[str, Fault] = {f.name: f for f in _CATALOGUE}


class UnknownFaultError(ValueError):
    """A fault name that is not in the catalogue."""


class FaultSet:
    """The faults switched on for one server."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        names = tuple(names)
        unknown = [n for n in names if n not in FAULTS]
        if unknown:
            raise UnknownFaultError(
                f"unknown fault(s): {', '.join(unknown)}; valid names: {', '.join(sorted(FAULTS))}"
            )
        self.names = frozenset(names)

    def on(self, name: str) -> bool:
        if name not in FAULTS:  # a typo at a consultation point is a bug, not a silent 'off'
            raise UnknownFaultError(f"fault {name!r} is not in the catalogue")
        return name in self.names

    def __repr__(self) -> str:
        return f"FaultSet({sorted(self.names)!r})"
