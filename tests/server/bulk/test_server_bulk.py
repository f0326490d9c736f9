"""The reference server's asynchronous `$cc-gaps` (RA-SPEC §2): kick-off, status, manifest, files, cancel."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ra_conformance.kit.synth import GROUP_ID, patient_id
from ra_conformance.server.jobs import JobTable

from .bulk_world import ASYNC, MIXED, WINDOW, kickoff, wait_done


def lines(c: Any, url: str, **kw: Any) -> list[dict[str, Any]]:
    resp = c.get(url, **kw)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/fhir+ndjson")
    return [orjson.loads(line) for line in resp.content.splitlines() if line]


def keys(bundle: dict[str, Any]) -> set[str]:
    return {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", [])}


def sync_answer(c: Any, subject: str) -> dict[str, Any]:
    return c.get("/MeasureReport/$cc-gaps", params={"subject": subject, **WINDOW}).json()


def test_group_kickoff_202_then_manifest_and_files_carry_the_sync_content(client_for):
    c = client_for()
    kick = kickoff(c)
    assert kick.status_code == 202
    status_url = kick.headers["content-location"]
    assert status_url.startswith("http://testserver/$async/") and len(status_url.rsplit("/", 1)[1]) == 32
    done = wait_done(c, status_url)
    assert done.status_code == 200 and done.headers["content-type"] == "application/json"
    manifest = done.json()
    assert set(manifest) == {"transactionTime", "request", "requiresAccessToken", "output", "error"}
    assert manifest["requiresAccessToken"] is False and "$cc-gaps" in manifest["request"]
    [out], [err] = manifest["output"], manifest["error"]
    assert (out["type"], out["count"], err["type"], err["count"]) == ("Bundle", 2, "OperationOutcome", 1)
    bundles, outcomes = lines(c, out["url"]), lines(c, err["url"])
    sync = sync_answer(c, MIXED)["parameter"]
    assert [keys(b) for b in bundles] == [keys(p["resource"]) for p in sync if p["name"] == "return"]
    assert "Patient/missing" in outcomes[0]["issue"][0]["diagnostics"]


def test_post_kickoff_and_patient_subject(client_for):
    c = client_for()
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "subject", "valueString": f"Patient/{patient_id(2)}"},
        {"name": "periodStart", "valueDate": "2024-01-01"}, {"name": "periodEnd", "valueDate": "2024-12-31"}]}
    kick = c.post("/MeasureReport/$cc-gaps", json=body, headers=ASYNC)
    assert kick.status_code == 202
    manifest = wait_done(c, kick.headers["content-location"]).json()
    assert manifest["error"] == [] and manifest["output"][0]["count"] == 1
    [bundle] = lines(c, manifest["output"][0]["url"])
    assert keys(bundle) >= {f"Patient/{patient_id(2)}", f"MeasureReport/syn-mr-{patient_id(2)[5:]}-2024"}


@pytest.mark.parametrize("subject, text", [("Patient/nobody", "Patient/nobody"), ("Group/nothing", "Group/nothing")])
def test_unknown_subject_gives_only_an_error_file(client_for, subject, text):
    c = client_for()
    manifest = wait_done(c, kickoff(c, subject).headers["content-location"]).json()
    assert manifest["output"] == [] and len(manifest["error"]) == 1
    assert text in lines(c, manifest["error"][0]["url"])[0]["issue"][0]["diagnostics"]


def test_a_big_group_is_exported_member_by_member(client_for):
    c = client_for()
    manifest = wait_done(c, kickoff(c, f"Group/{GROUP_ID}").headers["content-location"]).json()
    assert manifest["output"][0]["count"] == 3 and manifest["error"] == []


@pytest.mark.parametrize("fmt", ["application/fhir+ndjson", "application/ndjson", "ndjson"])
def test_ndjson_output_formats_are_accepted(client_for, fmt):
    assert kickoff(client_for(), _outputFormat=fmt).status_code == 202


@pytest.mark.parametrize("params, headers, status", [
    ({"_outputFormat": "text/csv"}, ASYNC, 400),
    ({"_outputFormat": "application/fhir+json"}, ASYNC, 400),
    ({"periodStart": "2024-13-01"}, ASYNC, 400),
    ({}, {"Prefer": "respond-async", "Accept": "text/csv"}, 406),
])
def test_bad_kickoffs_are_refused_with_an_outcome(client_for, params, headers, status):
    resp = kickoff(client_for(), headers=headers, **params)
    assert resp.status_code == status and resp.json()["resourceType"] == "OperationOutcome"
    assert "content-location" not in resp.headers


def test_missing_accept_is_tolerated_and_missing_prefer_answers_synchronously(client_for):
    c = client_for()
    assert kickoff(c, headers={"Prefer": "respond-async"}).status_code == 202
    sync = kickoff(c, headers={"Accept": "application/fhir+json"})
    assert sync.status_code == 200 and sync.json()["resourceType"] == "Parameters"


def test_delete_cancels_and_the_status_then_answers_404(client_for):
    c = client_for()
    url = kickoff(c).headers["content-location"]
    manifest = wait_done(c, url).json()
    assert c.delete(url).status_code == 202
    assert c.get(url).status_code == 404
    assert c.get(manifest["output"][0]["url"]).status_code == 404
    assert c.delete(url).status_code == 404


def test_a_queued_job_answers_202_with_progress_and_retry_after(client_for, store):
    c = client_for()
    url = kickoff(c).headers["content-location"]
    job = JobTable(store).get(url.rsplit("/", 1)[1])
    assert job is not None
    jobs = JobTable(store)
    jobs.update(job.id, state="running", progress="1 of 3 subjects (33%)")  # as a worker would leave it
    resp = c.get(url)
    assert resp.status_code == 202 and resp.headers["x-progress"] == "1 of 3 subjects (33%)"
    assert resp.headers["retry-after"] == "1"
    jobs.close()


@pytest.mark.parametrize("path", ["/file/3", "/file/0", "/file/%2e%2e", "/file/1x", "/file/%2e%2e%2fstore.sqlite", ""])
def test_files_only_through_manifest_urls(client_for, path):
    c = client_for()
    url = kickoff(c, "Patient/nobody").headers["content-location"]  # an export with no Bundle file (1)
    wait_done(c, url)
    resp = c.get(url + path) if path else c.get(url.rsplit("/", 1)[0])
    assert resp.status_code in (404, 405) and not resp.content.startswith(b"SQLite format")
    assert "ndjson" not in resp.headers.get("content-type", "")


@pytest.mark.parametrize("job_id", ["0" * 32, "..%2f..%2fetc", "ABCDEF" * 6, "x"])
def test_unknown_or_malformed_job_ids_are_404(client_for, job_id):
    c = client_for()
    assert c.get(f"/$async/{job_id}").status_code == 404
    assert c.delete(f"/$async/{job_id}").status_code == 404


def test_failed_job_answers_500_with_an_outcome(client_for, store):
    c = client_for()
    url = kickoff(c).headers["content-location"]
    jobs = JobTable(store)
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "fatal", "code": "exception"}]}
    jobs.update(url.rsplit("/", 1)[1], state="failed", error=outcome)
    resp = c.get(url)
    assert resp.status_code == 500 and resp.json() == outcome
    jobs.close()
