"""Asynchronous `$cc-gaps` for many patients (RA-SPEC §2).

Runs if the target accepts the async kick-off: the module's first kick-off (a kit Group) is the probe. A target
that answers it synchronously does not offer the optional pattern (REQ-069) and every test here skips.
The polling limit is the `async_timeout` setting (RA_CONFORM_ASYNC_TIMEOUT, default 120 s).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ra_conformance.checks import answer as answer_checks
from ra_conformance.checks import bulk as checks
from ra_conformance.checks.findings import error
from ra_conformance.fhir import async_pattern as ap
from ra_conformance.fhir.client import Exchange, FhirClient
from ra_conformance.fhir.operation import parameters_body
from ra_conformance.harness.context import RaContext
from ra_conformance.kit import Scenario

from .scenarios import GROUPS_WITH_MEMBERS, NEEDS_KIT, OPERATION

pytestmark = [OPERATION, NEEDS_KIT]
EXPORTED = "group-with-unknown-member"  # a Group with valid members and one unknown: output and error files
CANCELLED = "group-all-members-valid"
NO_STATUS_URL = "no status URL to poll: the kick-off was not accepted with a Content-Location (see its test)"
NO_FILES = "the export lists no file to download (see the polling and manifest tests)"


@dataclass
class Export:
    kick: ap.Kickoff
    poll: ap.PollResult | None = None
    files: list[tuple[str, checks.FileAudit, ap.Download]] = field(default_factory=list)  # (output|error, …)

    @property
    def manifest(self) -> dict | None:
        return self.poll.manifest if self.poll else None

    def exchanges(self) -> list[Exchange]:
        found = [self.kick.response.exchange]
        if self.poll and self.poll.final:
            found.append(self.poll.final.exchange)
        return found + [d.exchange for _, _, d in self.files if d.exchange]

    def lines(self, kind: str) -> list[dict]:
        return [r for k, audit, _ in self.files if k == kind for r in audit.kept]


def _params(scenario: Scenario) -> list[tuple[str, str]]:
    return [("subject", scenario.subject), ("periodStart", scenario.period_start), ("periodEnd", scenario.period_end)]


def _attach(ra: RaContext, *exchanges: Exchange | None) -> None:
    for exchange in exchanges:
        if exchange is not None:
            ra.attach(exchange)


def _skip_unless_async(kick: ap.Kickoff) -> None:
    if kick.synchronous:
        pytest.skip(checks.SYNCHRONOUS_SKIP)
    status = kick.response.status or 0
    if 400 <= status < 500 and kick.response.resource and kick.response.resource.get("resourceType") == "OperationOutcome":
        pytest.skip(f"the target refused the asynchronous kick-off (HTTP {status}): the pattern is optional (REQ-069)")


@pytest.fixture(scope="module")
def export(ra: RaContext) -> Export:
    """The probe and the export every file test reads: kick-off, poll, download and audit every file."""
    scenario = ra.kit.scenario(EXPORTED)
    result = Export(ap.kickoff(ra.client, ra.operation.path, params=_params(scenario)))
    _skip_unless_async(result.kick)
    if result.kick.status_url is None or not result.kick.accepted:
        return result
    result.poll = ap.poll(ra.client, result.kick.status_url, limit=ra.settings.async_timeout)
    for kind in ("output", "error"):
        for item in checks.items(result.manifest, kind):
            audit = checks.FileAudit(item, validator=ra.validator, keep=True)
            result.files.append((kind, audit, ap.download(ra.client, item["url"], audit)))
            audit.finish()  # the file's validations ran on every core while it streamed
    return result


@pytest.fixture(scope="module")
def posted(ra: RaContext, export: Export) -> ap.Kickoff:
    """A second job, kicked off with the POST form (cancelled by the cancel test)."""
    scenario = ra.kit.scenario(CANCELLED)
    return ap.kickoff(ra.client, ra.operation.path, method="POST", body=parameters_body(_params(scenario)))


def _cancel_quietly(client: FhirClient, kick: ap.Kickoff) -> None:
    if kick.accepted and kick.status_url:
        ap.cancel(client, kick.status_url)


@pytest.mark.req("REQ-054", "REQ-051", "REQ-052", "REQ-012")
def test_req_054_kickoff_answers_202_with_status_url(ra, verdict, export):
    """A GET kick-off with `Prefer: respond-async` and `Accept` is answered 202 with an absolute Content-Location."""
    _attach(ra, export.kick.response.exchange)
    verdict.add(checks.kickoff_accepted(export.kick))


@pytest.mark.req("REQ-054", "REQ-013")
def test_req_054_post_kickoff_answers_202_with_status_url(ra, verdict, posted):
    """The POST (Parameters) form of the kick-off is accepted the same way."""
    _attach(ra, posted.response.exchange)
    verdict.add(checks.kickoff_accepted(posted))


@pytest.mark.req("REQ-060")
def test_req_060_a_failed_job_is_reported_with_an_operation_outcome(ra, verdict, export):
    """Should the job fail, the status URL says so with 5xx/4xx and an OperationOutcome (nothing to judge when it completes)."""
    _attach(ra, *export.exchanges()[:2])
    if export.poll is None:
        verdict.add(error(NO_STATUS_URL, reqs="REQ-060"))
        return
    verdict.add(checks.failure_reported_with_outcome(export.poll))


@pytest.mark.req("REQ-061", "REQ-056", "REQ-057", "REQ-058")
def test_req_061_job_completes_within_the_polling_limit(ra, verdict, export):
    """Polling (honouring Retry-After) sees 202 while the job runs and 200 once it is done, within the limit."""
    _attach(ra, *export.exchanges()[:2])
    if export.poll is None:
        verdict.add(error(NO_STATUS_URL, reqs="REQ-061"))
        return
    verdict.add(checks.polling_completed(export.poll))
    verdict.add(checks.progress_headers(export.poll))


@pytest.mark.req("REQ-061", "REQ-062", "REQ-063")
def test_req_061_manifest_has_every_required_element(ra, verdict, export):
    """The completion manifest is application/json with transactionTime, request, requiresAccessToken, output, error."""
    _attach(ra, *export.exchanges()[:2])
    if export.poll is None:
        verdict.add(error(NO_STATUS_URL, reqs="REQ-061"))
        return
    verdict.add(checks.manifest_conforms(export.poll, export.kick, ra.operation.name))
    verdict.add(checks.error_file_types(export.manifest))


@pytest.mark.req("REQ-064", "REQ-062")
def test_req_064_every_file_is_ndjson_with_the_counted_lines(ra, verdict, export):
    """Every manifest file downloads as application/fhir+ndjson; each line is one resource of the item's type,
    as many as the item's count says."""
    _attach(ra, *export.exchanges())
    if not export.files:
        verdict.add(error(NO_FILES, reqs="REQ-064"))
        return
    for _, audit, download in export.files:
        verdict.add(audit.file_findings(download))


@pytest.mark.req("REQ-029", "REQ-021", "REQ-064")
def test_req_029_every_line_conforms_to_its_profile(ra, verdict, export):
    """Every downloaded line passes the RA validator (Bundle lines as ra-measurereport-bundle answers)."""
    _attach(ra, *export.exchanges())
    if ra.validator is None:
        pytest.skip("the RA validator is not available")
    if not export.files:
        verdict.add(error(NO_FILES, reqs="REQ-029"))
        return
    for _, audit, _ in export.files:
        verdict.add(audit.profile_findings())


@pytest.mark.req("REQ-068", "REQ-036", "REQ-023", "REQ-027", "REQ-028")
def test_req_068_bundle_file_carries_the_synchronous_content(ra, verdict, export):
    """The Bundle file holds, per group member, the same Bundle the synchronous call returns."""
    _attach(ra, *export.exchanges())
    scenario = ra.kit.scenario(EXPORTED)
    answer = ap.as_operation_answer(export.lines("output"), export.lines("error"), export.kick.response)
    for check in (answer_checks.returns_match_patients, answer_checks.patient_is_subject,
                  answer_checks.expected_reports_present, answer_checks.no_unexpected_reports):
        verdict.add(check(answer, scenario))
    verdict.add(answer_checks.cited_resources_present(answer))
    verdict.add(answer_checks.entries_unique(answer))
    verdict.add(answer_checks.reports_belong_to_patient(answer))
    verdict.add(checks.same_as_sync(answer, ra.answer(scenario)))


@pytest.mark.req("REQ-063", "REQ-068", "REQ-035")
def test_req_063_error_file_names_each_unknown_member(ra, verdict, export):
    """The error file holds one OperationOutcome per unknown group member, naming it."""
    _attach(ra, *export.exchanges())
    scenario = ra.kit.scenario(EXPORTED)
    answer = ap.as_operation_answer(export.lines("output"), export.lines("error"), export.kick.response)
    verdict.add(answer_checks.outcomes_match(answer, scenario))


@pytest.mark.req("REQ-064")
def test_req_064_files_need_the_access_token_when_the_manifest_says_so(ra, verdict, export):
    """With requiresAccessToken true, a file download without the bearer token is refused."""
    manifest = export.manifest or {}
    if manifest.get("requiresAccessToken") is not True:
        pytest.skip("the manifest says the files need no access token (requiresAccessToken is not true)")
    urls = [i["url"] for i in checks.items(manifest, "output") + checks.items(manifest, "error")]
    with FhirClient(ra.settings.target, timeout=ra.settings.timeout, log=ra.client.log) as anonymous:
        for url in urls[:1]:
            resp = anonymous.get(url)
            if resp.status == 200:
                verdict.add(error("a file was served without the access token", reqs="REQ-064", where=url))


@pytest.mark.req("REQ-066")
def test_req_066_delete_cancels_and_status_answers_404(ra, verdict, posted):
    """DELETE on the status URL answers 202; the status URL then answers 404."""
    if not posted.accepted or posted.status_url is None:
        verdict.add(error("no job to cancel: the POST kick-off was not accepted with a status URL", reqs="REQ-066"))
        return
    deleted = ap.cancel(ra.client, posted.status_url)
    verdict.add(checks.cancel_accepted(deleted))
    after = ra.client.get(posted.status_url, headers={"Accept": "application/json"})
    verdict.add(checks.gone_after_cancel(after))


@pytest.mark.req("REQ-067", "REQ-053")
@pytest.mark.parametrize("output_format", ap.OUTPUT_FORMATS)
def test_req_067_ndjson_output_formats_are_accepted(ra, verdict, export, output_format):
    """`_outputFormat` application/fhir+ndjson, application/ndjson and ndjson are all accepted."""
    scenario = ra.kit.scenario(EXPORTED)
    kick = ap.kickoff(ra.client, ra.operation.path, params=_params(scenario), output_format=output_format)
    verdict.add(checks.kickoff_accepted(kick))
    _cancel_quietly(ra.client, kick)


@pytest.mark.req("REQ-053", "REQ-055")
def test_req_053_unsupported_output_format_is_refused(ra, verdict, export):
    """`_outputFormat=text/csv` is refused at kick-off with 4xx + OperationOutcome."""
    scenario = ra.kit.scenario(EXPORTED)
    kick = ap.kickoff(ra.client, ra.operation.path, params=_params(scenario), output_format="text/csv")
    verdict.add(checks.kickoff_refused(kick, ("REQ-053", "REQ-055")))
    _cancel_quietly(ra.client, kick)


@pytest.mark.req("REQ-055", "REQ-017")
@pytest.mark.parametrize("dropped", ["periodStart", "subject"])
def test_req_055_kickoff_with_bad_parameters_is_refused(ra, verdict, export, dropped):
    """A kick-off missing a required parameter is refused with 4xx + OperationOutcome, not accepted as a job."""
    scenario = ra.kit.scenario(GROUPS_WITH_MEMBERS[0])
    params = [(n, v) for n, v in _params(scenario) if n != dropped]
    kick = ap.kickoff(ra.client, ra.operation.path, params=params)
    verdict.add(checks.kickoff_refused(kick, ("REQ-055", "REQ-017")))
    _cancel_quietly(ra.client, kick)
