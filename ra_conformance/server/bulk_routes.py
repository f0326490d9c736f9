"""HTTP side of the asynchronous pattern (RA-SPEC §2.2): kick-off answer, status polling, cancel, file download.

``<base>/$async/<job-id>`` (GET status, DELETE cancel) and ``<base>/$async/<job-id>/file/<n>``. Files are
reachable only through the URLs of a completed job's manifest (no listing, no paths from the request). When
the job was started with a bearer token, status, cancel and files need that same token: no token → 401, another
token → 404 (as for an unknown job: nothing about the job is revealed).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .. import jsonio
from . import cc_gaps
from .bulk import KICKOFF_GRACE, NDJSON, BulkService, bearer, file_numbers
from .errors import FhirError, issue, operation_outcome
from .jobs import COMPLETED, FAILED, Job, token_hash
from .rest import Answer

FHIR_JSON_UTF8 = "application/fhir+json; charset=utf-8"
MANIFEST_JSON = "application/json"
RETRY_AFTER = "1"  # seconds (REQ-057); HTTP allows whole seconds only


def routes() -> list[Route]:
    """Register before the generic ``/{type}/{id}`` routes."""
    return [Route("/$async/{job_id}", _status_or_cancel, methods=["GET", "DELETE"]),
            Route("/$async/{job_id}/file/{n}", _file, methods=["GET"])]


async def kickoff(service: BulkService, request: Request, req: cc_gaps.CcGapsRequest, base: str) -> Answer:
    """The async branch of the operation routes: refuse (4xx) or queue the job and answer 202 (REQ-054/055)."""
    token = service.check_kickoff(accept=request.headers.get("accept"),
                                  output_formats=request.query_params.getlist("_outputFormat"),
                                  authorization=request.headers.get("authorization"))
    query = f"?{request.url.query}" if request.url.query else ""
    job, answer = service.kickoff(req, request_url=f"{base}{request.url.path}{query}", base=base, token=token)
    await anyio.to_thread.run_sync(service.wait, job.id, KICKOFF_GRACE)  # a small export is done by the first poll
    return answer


class _NdjsonFileResponse(FileResponse):
    chunk_size = 256 * 1024  # dependencies.md: ~256 KB batches stream fastest


def _fhir(status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None) -> Response:
    content = jsonio.dumps(body) if body is not None else b""
    return Response(content, status_code=status, headers=headers, media_type=FHIR_JSON_UTF8 if body else None)


def _error(exc: FhirError) -> Response:
    return _fhir(exc.status, exc.outcome, exc.headers)


def _job_for(request: Request) -> tuple[BulkService, Job]:
    service: BulkService = request.app.state.bulk
    job_id = request.path_params["job_id"]
    job = service.jobs.get(job_id)
    unknown = FhirError(404, "not-found", f"no asynchronous job {job_id!r} here (finished files may have been deleted)")
    if job is None:
        raise unknown
    if job.token_hash is not None:
        token = bearer(request.headers.get("authorization"))
        if token is None:
            raise FhirError(401, "login", "this job's results need the bearer token that started it",
                            headers={"WWW-Authenticate": 'Bearer realm="ra-conform"'})
        if token_hash(token) != job.token_hash:
            raise unknown
    return service, job


async def _status_or_cancel(request: Request) -> Response:
    try:
        service, job = _job_for(request)
        answer = _cancel(service, job) if request.method == "DELETE" else _status(job)
    except FhirError as exc:
        answer = Answer(exc.status, exc.outcome, {"Content-Type": FHIR_JSON_UTF8, **exc.headers})
    answer = request.app.state.ctx.faults.after(request, answer)  # the fault layer (server/faults/bulk.py)
    content = jsonio.dumps(answer.body) if answer.body is not None else b""
    return Response(content, status_code=answer.status, headers=answer.headers)


def _status(job: Job) -> Answer:
    if job.state == COMPLETED and job.manifest is not None:
        return Answer(200, dict(job.manifest), {"Content-Type": MANIFEST_JSON})  # REQ-061
    if job.state == FAILED:  # REQ-060
        return Answer(500, job.error or operation_outcome(issue("fatal", "exception", "the export failed")),
                      {"Content-Type": FHIR_JSON_UTF8})
    return in_progress(job.progress or job.state)


def in_progress(progress: str) -> Answer:
    """202 while the job runs: X-Progress under 100 characters (REQ-056), Retry-After (REQ-057)."""
    return Answer(202, None, {"X-Progress": progress[:99], "Retry-After": RETRY_AFTER})


def _cancel(service: BulkService, job: Job) -> Answer:
    service.rules.cancel(service, job.id)
    outcome = operation_outcome(issue("information", "informational", f"job {job.id} cancelled"))
    return Answer(202, outcome, {"Content-Type": FHIR_JSON_UTF8})  # REQ-066


async def _file(request: Request) -> Response:
    try:
        service, job = _job_for(request)
        raw = request.path_params["n"]
        n = int(raw) if raw.isdigit() and len(raw) < 4 else 0
        if job.state != COMPLETED or job.manifest is None or n not in file_numbers(job.manifest, job):
            raise FhirError(404, "not-found", f"job {job.id} has no file {raw!r}")
        path = service.jobs.folder(job.id) / f"{n}.ndjson"
        if not path.is_file():
            raise FhirError(404, "not-found", f"the file {n} of job {job.id} is gone")
    except FhirError as exc:
        return _error(exc)
    return _NdjsonFileResponse(path, media_type=NDJSON, headers={"Cache-Control": "no-store"})  # REQ-064

