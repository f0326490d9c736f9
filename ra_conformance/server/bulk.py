"""Asynchronous `$cc-gaps` (RA-SPEC §2): kick-off, background jobs writing NDJSON, the completion manifest.

Kick-off (``Prefer: respond-async``) stores a job and answers 202 with ``Content-Location: <base>/$async/<id>``.
Worker threads evaluate the operation member by member with the synchronous code (cc_gaps.py), writing one
NDJSON line per patient Bundle (``<data-dir>/jobs/<id>/1.ndjson``) and one OperationOutcome per unknown subject
or member (``2.ndjson``) as they go (⚑ §2.1: the same content as the synchronous answer, REQ-068). Nothing of an
export is held in memory. A job that was queued or running when the server stopped is run again from the start
when it restarts (its parameters are stored; transactionTime is set anew). HTTP routes: bulk_routes.py.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .. import jsonio
from . import cc_gaps
from .errors import FhirError, issue, not_found_outcome, operation_outcome
from .jobs import COMPLETED, FAILED, PENDING, QUEUED, RUNNING, Job, JobTable, new_job_id, token_hash
from .rest import Answer
from .store import Store, now_instant

log = logging.getLogger("ra_conformance.server.bulk")

NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")  # REQ-067
KICKOFF_ACCEPT = ("application/fhir+json", "application/json", "json", "*/*", "application/*")
BUNDLE_FILE, ERROR_FILE = 1, 2
KICKOFF_GRACE = 0.25  # seconds the kick-off waits for a small job, so a first poll usually finds it done
PROGRESS_EVERY = 0.5  # seconds between progress writes


class _Cancelled(Exception):
    pass


def wants_async(prefer: str | None) -> bool:
    """``Prefer: respond-async`` (among other preferences, case-insensitive)."""
    return any(p.split("=", 1)[0].strip().lower() == "respond-async" for p in (prefer or "").split(","))


def bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def known_format(fmt: str) -> bool:
    """REQ-053/REQ-067: an _outputFormat this server writes."""
    return fmt.lower() in OUTPUT_FORMATS


def member_not_found(member: str) -> dict[str, Any] | None:
    """REQ-035/REQ-063: the error-file line for an unknown group member."""
    return not_found_outcome(member, "group member")


def ndjson_line(resource: dict[str, Any], n: int) -> bytes:
    """The n-th line (from 0) of an NDJSON file, without its newline (REQ-064)."""
    return jsonio.dumps(resource)


def stop_and_forget(service: BulkService, job_id: str) -> None:
    """REQ-066: a cancelled job stops and is forgotten with its files."""
    service.cancel(job_id)


def same_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    return bundle


@dataclass(frozen=True)
class Rules:
    """The export's rules where a server can go wrong; the defaults are the IG's (a fault swaps one:
    server/faults/bulk.py). ``cc_gaps``: the operation's own rules; ``bundle``: the rewrites of each patient
    Bundle the answer layer applies to synchronous answers (server/layer.py), so both stay the same (REQ-068)."""

    accepts_format: Callable[[str], bool] = known_format
    unknown_member: Callable[[str], dict[str, Any] | None] = member_not_found
    line: Callable[[dict[str, Any], int], bytes] = ndjson_line
    cancel: Callable[[BulkService, str], None] = stop_and_forget
    cc_gaps: cc_gaps.Rules = field(default_factory=cc_gaps.Rules)
    bundle: Callable[[dict[str, Any]], dict[str, Any]] = same_bundle


class BulkService:
    """The server's asynchronous jobs: kick-off, worker threads, status/manifest/cancel data."""

    def __init__(self, store: Store, *, rules: Rules | None = None, auth_tokens: Sequence[str] = (),
                 workers: int = 2) -> None:
        self.store, self.rules = store, rules or Rules()
        self.auth_tokens = frozenset(t for t in auth_tokens if t)
        self.files_need_token = False  # `serve --smart`: every file needs an access token (server/auth.py)
        self.jobs = JobTable(store)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._cancel: dict[str, threading.Event] = {}
        self._done: dict[str, threading.Event] = {}
        self._last_progress: dict[str, float] = {}
        self._closed = False
        self._workers = workers
        self._threads: list[threading.Thread] = []  # started at the first job
        for job in self.jobs.pending():  # resumed from the start after a restart (see module doc)
            self._submit(job.id)

    def close(self) -> None:
        """Stop the workers (running jobs stay pending and resume at the next start)."""
        if self._closed:
            return
        self._closed = True
        for event in list(self._cancel.values()):
            event.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
        self.jobs.close()

    # -- kick-off -----------------------------------------------------------------------------------

    def check_kickoff(self, *, accept: str | None, output_formats: list[str], authorization: str | None) -> str | None:
        """Refuse what cannot be exported (4xx + OperationOutcome, REQ-055); returns the requester's token."""
        token = bearer(authorization) if self.auth_tokens else None  # auth off: jobs are open, tokens ignored
        if self.auth_tokens and token not in self.auth_tokens:
            raise FhirError(401, "login", "an asynchronous request needs a valid bearer token",
                            headers={"WWW-Authenticate": 'Bearer realm="ra-conform"'})
        if len(output_formats) > 1:
            raise FhirError(400, "invalid", "_outputFormat is given more than once", expression="_outputFormat")
        fmt = output_formats[0].strip() if output_formats else OUTPUT_FORMATS[0]
        if not self.rules.accepts_format(fmt):
            raise FhirError(400, "not-supported", f"_outputFormat {fmt!r} is not supported; use one of "
                            f"{', '.join(OUTPUT_FORMATS)}", expression="_outputFormat")  # REQ-053/REQ-067
        # ⚑ Accept is the client's duty (REQ-052); a missing one is tolerated, a non-FHIR-JSON one refused.
        types = [a.split(";", 1)[0].strip().lower() for a in (accept or "").split(",") if a.strip()]
        if types and not any(t in KICKOFF_ACCEPT for t in types):
            raise FhirError(406, "not-supported", f"Accept {accept!r}: the kick-off answers in application/fhir+json")
        return token

    def kickoff(self, req: cc_gaps.CcGapsRequest, *, request_url: str, base: str, token: str | None) -> tuple[Job, Answer]:
        """Store and queue the job; the 202 answer with its status URL (REQ-054)."""
        params = [("subject", req.subject), ("periodStart", req.period_start), ("periodEnd", req.period_end)]
        job = Job(id=new_job_id(), state=QUEUED, request_url=request_url, base=base, params=params,
                  kickoff_time=now_instant(), transaction_time=None, token_hash=token_hash(token), progress=None,
                  manifest=None, error=None)
        self.jobs.create(job)
        self._submit(job.id)
        status_url = status_url_of(job)
        headers = {"Content-Location": status_url}
        body = operation_outcome(issue("information", "informational", f"accepted; poll {status_url} for the result"))
        return job, Answer(202, body, headers)

    def wait(self, job_id: str, seconds: float) -> bool:
        """Block up to ``seconds`` for a job to finish (run in a thread, never on the event loop)."""
        event = self._done.get(job_id)
        return event.wait(seconds) if event is not None else True

    def cancel(self, job_id: str) -> None:
        """REQ-066: stop the job and forget it with its files (its status URL answers 404 afterwards)."""
        event = self._cancel.get(job_id)
        if event is not None:
            event.set()
        self.jobs.delete(job_id)

    # -- workers --------------------------------------------------------------------------------------

    def _submit(self, job_id: str) -> None:
        if not self._threads:
            self._threads = [threading.Thread(target=self._work, daemon=True, name=f"ra-conform-bulk-{n}")
                             for n in range(self._workers)]
            for thread in self._threads:
                thread.start()
        self._cancel.setdefault(job_id, threading.Event())
        self._done.setdefault(job_id, threading.Event())
        self._queue.put(job_id)

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None or self._closed:
                return
            try:
                self._run(job_id)
            except Exception:  # the store was closed under us (shutdown): the job resumes at the next start
                log.debug("job %s interrupted", job_id, exc_info=True)
            finally:
                self._cancel.pop(job_id, None)
                done = self._done.pop(job_id, None)
                if done is not None:
                    done.set()

    def _run(self, job_id: str) -> None:
        job = self.jobs.get(job_id)
        if job is None or job.state not in PENDING:
            return
        cancel = self._cancel.setdefault(job_id, threading.Event())
        job_tt = now_instant()  # nothing changed after this instant is exported (the store is read afterwards)
        if not self.jobs.update(job_id, state=RUNNING, transaction_time=job_tt, progress="starting"):
            return  # cancelled before it started
        try:
            req = cc_gaps.parse_query(job.params, self.rules.cc_gaps)
            manifest = self._export(job, req, cancel, job_tt)
        except _Cancelled:
            if self._closed:
                self.jobs.update(job_id, state=QUEUED, progress=None)  # resumed at the next start
            else:
                shutil.rmtree(self.jobs.folder(job_id), ignore_errors=True)
            return
        except FhirError as exc:
            self.jobs.update(job_id, state=FAILED, error=exc.outcome)
            return
        except Exception as exc:
            if self._closed:
                raise
            log.exception("job %s failed", job_id)
            self.jobs.update(job_id, state=FAILED, error=operation_outcome(
                issue("fatal", "exception", f"the export failed: {type(exc).__name__}")))
            return
        if not self.jobs.update(job_id, state=COMPLETED, manifest=manifest, progress="done"):
            shutil.rmtree(self.jobs.folder(job_id), ignore_errors=True)  # cancelled while finishing

    def _export(self, job: Job, req: cc_gaps.CcGapsRequest, cancel: threading.Event, job_tt: str) -> dict[str, Any]:
        folder = self.jobs.folder(job.id)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        with _NdjsonFile(folder / f"{BUNDLE_FILE}.ndjson", self.rules.line) as bundles, \
                _NdjsonFile(folder / f"{ERROR_FILE}.ndjson") as errors:
            for n, total, bundle, outcome in self._lines(req, job.base, cancel):
                if bundle is not None:
                    bundles.write(bundle)
                if outcome is not None:
                    errors.write(outcome)
                self._progress(job.id, n, total)
        return self._manifest(job, job_tt, bundles.count, errors.count)

    def _lines(self, req: cc_gaps.CcGapsRequest, base: str,
               cancel: threading.Event) -> Iterator[tuple[int, int, dict[str, Any] | None, dict[str, Any] | None]]:
        """(done, total, patient Bundle or None, OperationOutcome or None) per subject or group member."""
        rtype, rid = req.subject.split("/", 1)
        if rtype == "Patient":
            patient = self.store.get("Patient", rid)
            yield (1, 1, *self._member(req.subject, patient, req, base))
            return
        group = self.store.get("Group", rid)
        if group is None:
            yield 1, 1, None, not_found_outcome(req.subject, "group")  # REQ-033
            return
        members = cc_gaps.group_members(group, base)
        if not any(m.startswith("Patient/") and self.store.exists("Patient", m[8:]) for m in members):
            yield 1, 1, None, not_found_outcome(req.subject, "group with no member found")  # REQ-034
            return
        for n, member in enumerate(members, 1):
            if cancel.is_set():
                raise _Cancelled
            patient = self.store.get_ref(member) if member.startswith("Patient/") else None
            if patient is None:
                yield n, len(members), None, self.rules.unknown_member(member)  # REQ-035
            else:
                yield n, len(members), *self._member(member, patient, req, base)

    def _member(self, ref: str, patient: dict[str, Any] | None, req: cc_gaps.CcGapsRequest,
                base: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        if patient is None:
            return None, not_found_outcome(ref, "patient")  # REQ-032
        gaps = cc_gaps.CodingGaps(self.store, base, self.rules.cc_gaps)
        return self.rules.bundle(gaps.patient_bundle(patient, gaps.matching_reports(patient, req.window))), None

    def _progress(self, job_id: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last_progress.get(job_id, 0.0) < PROGRESS_EVERY:
            return
        self._last_progress[job_id] = now
        self.jobs.update(job_id, progress=f"{done} of {total} subjects ({100 * done // max(total, 1)}%)")
        if done == total:
            self._last_progress.pop(job_id, None)

    def _manifest(self, job: Job, job_tt: str, bundles: int, errors: int) -> dict[str, Any]:
        """REQ-061..REQ-063: the completion manifest (absolute file URLs, error array always present)."""
        output = [{"type": "Bundle", "url": file_url(job, BUNDLE_FILE), "count": bundles}] if bundles else []
        error = [{"type": "OperationOutcome", "url": file_url(job, ERROR_FILE), "count": errors}] if errors else []
        return {"transactionTime": job_tt, "request": job.request_url, "requiresAccessToken": job.token_hash is not None or self.files_need_token,
                "output": output, "error": error}


def status_url_of(job: Job) -> str:
    return f"{job.base}/$async/{job.id}"


def file_url(job: Job, n: int) -> str:
    return f"{status_url_of(job)}/file/{n}"


def file_numbers(manifest: dict[str, Any], job: Job) -> set[int]:
    """The files a completed job's manifest lists (only these can be downloaded)."""
    urls = {item.get("url") for key in ("output", "error") for item in manifest.get(key, []) if isinstance(item, dict)}
    return {n for n in (BUNDLE_FILE, ERROR_FILE) if file_url(job, n) in urls}


class _NdjsonFile:
    """One NDJSON output file, written line by line (a file with no line is removed at the end)."""

    def __init__(self, path: Path, line: Callable[[dict[str, Any], int], bytes] = ndjson_line) -> None:
        self.path, self.count, self._line = path, 0, line
        self._fh: IO[bytes] | None = None

    def __enter__(self) -> _NdjsonFile:
        return self

    def write(self, resource: dict[str, Any]) -> None:
        if self._fh is None:
            self._fh = open(self.path, "wb")  # noqa: SIM115 - closed in __exit__
        self._fh.write(self._line(resource, self.count) + b"\n")
        self.count += 1

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()


def shutdown(app: Any) -> None:
    """Stop an app's bulk workers (before its store is closed); a no-op for an app without them."""
    service = getattr(getattr(app, "state", None), "bulk", None)
    if isinstance(service, BulkService):
        service.close()
