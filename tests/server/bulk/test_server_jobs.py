"""Async jobs persist (SQLite + data dir), survive a restart, resume when interrupted, and honour bearer tokens."""

from __future__ import annotations

from pathlib import Path

from ra_conformance.kit.synth import patient_id
from ra_conformance.server import bulk
from ra_conformance.server.app import create_app
from ra_conformance.server.ingest import load_paths
from ra_conformance.server.jobs import QUEUED, Job, JobTable, new_job_id
from ra_conformance.server.store import Store, now_instant

from .bulk_world import ASYNC, kickoff, mixed_group, wait_done


def _app_client(store: Store, **kwargs):
    from starlette.testclient import TestClient

    app = create_app(store, **kwargs)
    return TestClient(app, raise_server_exceptions=False), app


def test_a_completed_job_and_its_files_survive_a_restart(tmp_path: Path, synthetic: Path):
    with Store(tmp_path) as store:
        load_paths(store, [synthetic])
        store.put(mixed_group())
        client, app = _app_client(store)
        with client:
            url = kickoff(client).headers["content-location"]
            manifest = wait_done(client, url).json()
        bulk.shutdown(app)
    with Store(tmp_path) as store:
        client, app = _app_client(store)
        with client:
            assert client.get(url).json() == manifest
            assert client.get(manifest["output"][0]["url"]).content.count(b"\n") == 2
        bulk.shutdown(app)


def test_a_job_pending_at_shutdown_is_run_again_at_the_next_start(tmp_path: Path, synthetic: Path):
    with Store(tmp_path) as store:
        load_paths(store, [synthetic])
        jobs = JobTable(store)
        job = Job(id=new_job_id(), state=QUEUED, request_url="http://testserver/MeasureReport/$cc-gaps",
                  base="http://testserver", params=[("subject", f"Patient/{patient_id(0)}"),
                                                    ("periodStart", "2024-01-01"), ("periodEnd", "2024-12-31")],
                  kickoff_time=now_instant(), transaction_time=None, token_hash=None, progress="5 of 9", manifest=None,
                  error=None)
        jobs.create(job)  # as if the server stopped while it ran
        jobs.close()
        client, app = _app_client(store)
        with client:
            done = wait_done(client, f"http://testserver/$async/{job.id}")
            assert done.status_code == 200 and done.json()["output"][0]["count"] == 1
        bulk.shutdown(app)


def test_with_auth_tokens_only_the_requester_reads_status_and_files(client_for):
    c = client_for(auth_tokens=["token-a", "token-b"])
    assert kickoff(c).status_code == 401  # no token at kick-off
    assert kickoff(c, headers={**ASYNC, "Authorization": "Bearer wrong"}).status_code == 401
    a = {"Authorization": "Bearer token-a"}
    kick = kickoff(c, headers={**ASYNC, **a})
    assert kick.status_code == 202
    url = kick.headers["content-location"]
    manifest = wait_done(c, url, headers=a).json()
    assert manifest["requiresAccessToken"] is True
    file_url = manifest["output"][0]["url"]
    assert c.get(file_url, headers=a).status_code == 200
    for headers, status in (({}, 401), ({"Authorization": "Bearer token-b"}, 404)):
        for resp in (c.get(url, headers=headers), c.get(file_url, headers=headers), c.delete(url, headers=headers)):
            assert resp.status_code == status and b"Bundle" not in resp.content
    assert c.get(url, headers=a).status_code == 200  # nobody else could cancel it


def test_without_auth_tokens_the_manifest_needs_no_token(client_for):
    c = client_for()
    manifest = wait_done(c, kickoff(c).headers["content-location"]).json()
    assert manifest["requiresAccessToken"] is False


def test_without_auth_tokens_a_sent_token_is_ignored(client_for):
    c = client_for()
    url = kickoff(c, headers={**ASYNC, "Authorization": "Bearer whatever"}).headers["content-location"]
    assert wait_done(c, url).json()["requiresAccessToken"] is False


def test_a_running_job_does_not_block_other_requests(client_for, monkeypatch):
    import threading

    release = threading.Event()
    original = bulk.BulkService._member

    def slow_member(self, *args, **kwargs):
        release.wait(10)  # held until the test has made its other requests
        return original(self, *args, **kwargs)

    monkeypatch.setattr(bulk.BulkService, "_member", slow_member)
    c = client_for()
    kick = kickoff(c)
    assert kick.status_code == 202  # answered although the job cannot finish yet
    url = kick.headers["content-location"]
    assert c.get("/metadata").status_code == 200
    running = c.get(url)
    assert running.status_code == 202 and running.headers["retry-after"] == "1" and running.headers["x-progress"]
    release.set()
    assert wait_done(c, url).status_code == 200
