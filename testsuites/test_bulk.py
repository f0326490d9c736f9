"""Asynchronous `$cc-gaps` for many patients (RA-SPEC §2).

Runs if the target accepts the async kick-off: the module's first kick-off (a kit Group) is the probe. A target
that answers it synchronously does not offer the optional pattern (REQ-069) and every test here skips.
The polling limit is the `async_timeout` setting (RA_CONFORM_ASYNC_TIMEOUT, default 120 s).
"""

from __future__ import annotations

import pytest

from ra_conformance.checks import answer as answer_checks
from ra_conformance.checks import bulk as checks
from ra_conformance.checks.findings import error
from ra_conformance.fhir import async_pattern as ap
from ra_conformance.fhir.client import FhirClient
from ra_conformance.harness.export import scenario_params

from .scenarios import EXPORTED, GROUPS_WITH_MEMBERS, NEEDS_KIT, OPERATION

pytestmark = [OPERATION, NEEDS_KIT]
NO_STATUS_URL = "no status URL to poll: the kick-off was not accepted with a Content-Location (see its test)"
NO_FILES = "the export lists no file to download (see the polling and manifest tests)"


@pytest.mark.req("REQ-054", "REQ-051", "REQ-052", "REQ-012")
def test_req_054_kickoff_answers_202_with_status_url(ra, verdict, export):
    """A GET kick-off with `Prefer: respond-async` and `Accept` is answered 202 with an absolute Content-Location."""
    verdict.add(checks.kickoff_accepted(export.kick))


@pytest.mark.req("REQ-054", "REQ-013")
def test_req_054_post_kickoff_answers_202_with_status_url(ra, verdict, posted):
    """The POST (Parameters) form of the kick-off is accepted the same way."""
    verdict.add(checks.kickoff_accepted(posted))


@pytest.mark.req("REQ-060")
def test_req_060_a_failed_job_is_reported_with_an_operation_outcome(ra, verdict, export):
    """Should the job fail, the status URL says so with 5xx/4xx and an OperationOutcome (nothing to judge when it completes)."""
    if export.poll is None:
        verdict.add(error(NO_STATUS_URL, reqs="REQ-060"))
        return
    verdict.add(checks.failure_reported_with_outcome(export.poll))


@pytest.mark.req("REQ-061", "REQ-056", "REQ-057", "REQ-058")
def test_req_061_job_completes_within_the_polling_limit(ra, verdict, export):
    """Polling (honouring Retry-After) sees 202 while the job runs and 200 once it is done, within the limit."""
    if export.poll is None:
        verdict.add(error(NO_STATUS_URL, reqs="REQ-061"))
        return
    verdict.add(checks.polling_completed(export.poll))
    verdict.add(checks.progress_headers(export.poll))


@pytest.mark.req("REQ-061", "REQ-062", "REQ-063")
def test_req_061_manifest_has_every_required_element(ra, verdict, export):
    """The completion manifest is application/json with transactionTime, request, requiresAccessToken, output, error."""
    if export.poll is None:
        verdict.add(error(NO_STATUS_URL, reqs="REQ-061"))
        return
    verdict.add(checks.manifest_conforms(export.poll, export.kick, ra.operation.name))
    verdict.add(checks.error_file_types(export.manifest))


@pytest.mark.req("REQ-064", "REQ-062")
def test_req_064_every_file_is_ndjson_with_the_counted_lines(ra, verdict, export):
    """Every manifest file downloads as application/fhir+ndjson; each line is one resource of the item's type,
    as many as the item's count says."""
    if not export.files:
        verdict.add(error(NO_FILES, reqs="REQ-064"))
        return
    for _, audit, download in export.files:
        verdict.add(audit.file_findings(download))


@pytest.mark.req("REQ-029", "REQ-021", "REQ-064")
def test_req_029_every_line_conforms_to_its_profile(ra, verdict, export):
    """Every downloaded line passes the RA validator (Bundle lines as ra-measurereport-bundle answers)."""
    if not export.files:
        verdict.add(error(NO_FILES, reqs="REQ-029"))
        return
    for _, audit, _ in export.files:
        verdict.add(audit.profile_findings())


@pytest.mark.req("REQ-068", "REQ-036", "REQ-023", "REQ-027", "REQ-028")
def test_req_068_bundle_file_carries_the_synchronous_content(ra, verdict, export):
    """The Bundle file holds, per group member, the same Bundle the synchronous call returns."""
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
    kick = ap.kickoff(ra.client, ra.operation.path, params=scenario_params(scenario), output_format=output_format)
    verdict.add(checks.kickoff_accepted(kick))
    ap.cancel_quietly(ra.client, kick)


@pytest.mark.req("REQ-053", "REQ-055")
def test_req_053_unsupported_output_format_is_refused(ra, verdict, export):
    """`_outputFormat=text/csv` is refused at kick-off with 4xx + OperationOutcome."""
    scenario = ra.kit.scenario(EXPORTED)
    kick = ap.kickoff(ra.client, ra.operation.path, params=scenario_params(scenario), output_format="text/csv")
    verdict.add(checks.kickoff_refused(kick, ("REQ-053", "REQ-055")))
    ap.cancel_quietly(ra.client, kick)


@pytest.mark.req("REQ-055", "REQ-017")
@pytest.mark.parametrize("dropped", ["periodStart", "subject"])
def test_req_055_kickoff_with_bad_parameters_is_refused(ra, verdict, export, dropped):
    """A kick-off missing a required parameter is refused with 4xx + OperationOutcome, not accepted as a job."""
    scenario = ra.kit.scenario(GROUPS_WITH_MEMBERS[0])
    params = [(n, v) for n, v in scenario_params(scenario) if n != dropped]
    kick = ap.kickoff(ra.client, ra.operation.path, params=params)
    verdict.add(checks.kickoff_refused(kick, ("REQ-055", "REQ-017")))
    ap.cancel_quietly(ra.client, kick)
