"""Checks on the asynchronous pattern (RA-SPEC §2, REQ-050..REQ-069): kick-off, polling, manifest, NDJSON files.

Functions take what fhir/async_pattern.py recorded and return findings. ``FileAudit`` judges a file line by line
while it streams (well-formed JSON, one resource type per file, profile validation), so an export of any size is
checked without being held in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

from ..fhir import resources as fr
from ..fhir.async_pattern import Download, Kickoff, NdjsonLine, PollResult, manifest_problems
from ..fhir.client import FhirResponse
from ..fhir.operation import OperationAnswer
from ..issues import Issue
from ..validation.parallel import OrderedWork, PoolStats, default_jobs
from . import bulk_lines
from .findings import Finding, error, warning
from .http import rejected_with_outcome
from .profiles import issue_finding
from .registry import check, registration

SYNCHRONOUS_SKIP = "the target answered synchronously: the asynchronous pattern is optional (REQ-069)"
MAX_LISTED = 5  # line numbers named in one finding
MAX_PROFILE_FINDINGS = 50
BATCH_BYTES = 256 * 1024  # lines judged together (one unit of work for a process)
POOL_AFTER = 4  # batches judged here before worker processes start (a small file never starts one)


@dataclass
class Listed:
    """The first MAX_LISTED lines at fault and how many there were: a file of a million broken lines costs no
    more memory than one of six (issue 10: memory flat in the size of the export)."""

    head: list[tuple[int, str]] = field(default_factory=list)
    total: int = 0

    def extend(self, lines: list[tuple[int, str]]) -> None:
        self.head.extend(lines[: MAX_LISTED - len(self.head)])
        self.total += len(lines)

    def __bool__(self) -> bool:
        return self.total > 0

    def text(self, name: Callable[[int, str], str]) -> str:
        head = ", ".join(name(n, what) for n, what in self.head)
        return head + (f" … ({self.total} in all)" if self.total > len(self.head) else "")


# -- kick-off ---------------------------------------------------------------------------------------


@check("REQ-054")
def kickoff_accepted(kick: Kickoff) -> list[Finding]:
    """202 Accepted with an absolute Content-Location status URL."""
    resp = kick.response
    if resp.error:
        return [error("the kick-off got no usable answer", actual=resp.describe())]
    if resp.status != 202:
        return [error("an accepted asynchronous kick-off answers 202", expected="202", actual=str(resp.status))]
    url = kick.status_url
    if url is None:
        return [error("the 202 answer has no Content-Location status URL", actual=resp.describe())]
    if not url.lower().startswith(("http://", "https://")):
        return [error("Content-Location must be an absolute URL", actual=url)]
    return []


@check()
def kickoff_refused(kick: Kickoff, reqs: tuple[str, ...]) -> list[Finding]:
    """REQ-055: a kick-off the server cannot run is refused with 4xx/5xx + OperationOutcome (a 202 is a failure)."""
    if kick.response.status == 202:
        return [error("the server accepted a kick-off it should refuse", reqs=reqs, expected="4xx + OperationOutcome",
                      actual=f"202 (Content-Location {kick.status_url})")]
    return rejected_with_outcome(kick.response, reqs)


@check("REQ-066")
def cancel_accepted(resp: FhirResponse) -> list[Finding]:
    """DELETE on the status URL of a running or finished job answers 202."""
    if resp.error or resp.status != 202:
        return [error("DELETE on the status URL should cancel the job with 202", expected="202",
                      actual=resp.describe())]
    return []


@check("REQ-066")
def gone_after_cancel(resp: FhirResponse) -> list[Finding]:
    """REQ-066 (⚑ §2.2): after cancellation the status URL answers 404 (no manifest, no progress)."""
    if resp.status == 404:
        return []
    return [error("the status URL still answers after the job was cancelled", expected="404",
                  actual=resp.describe())]


# -- polling ----------------------------------------------------------------------------------------


@check("REQ-061")
def polling_completed(result: PollResult) -> list[Finding]:
    """REQ-056/REQ-061: the job answers 202 while running and 200 when done, within the harness's limit."""
    last = result.final
    polls = len(result.steps)
    progress = next((s.x_progress for s in reversed(result.steps) if s.x_progress), None)
    if result.timed_out or (last is not None and last.status in (202, 429)):
        return [error(f"the job did not complete within the {result.limit:g} s polling limit "
                      "(RA_CONFORM_ASYNC_TIMEOUT)", actual=f"{polls} polls over {result.elapsed:.1f} s; last status "
                      f"{last.status if last else None}; last X-Progress {progress!r}")]
    if last is None or last.error:
        return [error("the status URL gave no usable answer", actual=last.describe() if last else None)]
    if last.status != 200:
        what = "the job failed" if (last.status or 0) >= 400 else "unexpected status while polling"
        body = last.resource
        detail = fr.outcome_text(body) if body and body.get("resourceType") == "OperationOutcome" else last.describe()
        return [error(what, reqs=("REQ-061", "REQ-060"), expected="202 while running, then 200 with the manifest",
                      actual=f"HTTP {last.status}: {detail}")]
    return []


@check("REQ-060")
def failure_reported_with_outcome(result: PollResult) -> list[Finding]:
    """A job that fails is reported on the status URL with 5xx (or 4xx) and an OperationOutcome.
    (A job that completes has nothing to report here; a failure without an OperationOutcome is the defect.)"""
    last = result.final
    if last is None or last.status is None or last.status < 400:
        return []
    body = last.resource
    if body is None or body.get("resourceType") != "OperationOutcome":
        return [error("the status URL reports a failed job without an OperationOutcome", actual=last.describe())]
    return []


@check("REQ-056")
def progress_headers(result: PollResult) -> list[Finding]:
    """REQ-056 (X-Progress under 100 characters) and REQ-057 (Retry-After SHOULD be sent) on in-progress answers."""
    findings: list[Finding] = []
    long = [s.x_progress for s in result.in_progress if s.x_progress and len(s.x_progress) >= 100]
    if long:
        findings.append(warning("X-Progress should be under 100 characters", actual=long[0][:120]))
    if any(s.status == 202 and s.retry_after is None for s in result.in_progress):
        findings.append(warning("an in-progress status answer should carry Retry-After", reqs="REQ-057"))
    return findings


# -- manifest ---------------------------------------------------------------------------------------


@check("REQ-061")
def manifest_conforms(result: PollResult, kick: Kickoff, operation: str) -> list[Finding]:
    """REQ-061/REQ-062/REQ-063: 200 + application/json + a manifest with every required element."""
    final = result.final
    if not result.completed or final is None:
        return [error("no completion manifest (the job did not complete)")]
    findings: list[Finding] = []
    media = final.content_type.split(";", 1)[0].strip().lower()
    if media == "application/fhir+json":
        findings.append(warning("the manifest is served as application/fhir+json; it is plain JSON",
                                expected="application/json", actual=final.content_type))
    elif media != "application/json":
        findings.append(error("the manifest must be served as application/json", actual=final.content_type or "(none)"))
    manifest = final.json
    if manifest is None:
        return findings + [error("the completion answer is not JSON", actual=final.json_error)]
    for problem in manifest_problems(manifest):
        reqs = ("REQ-061", "REQ-062") if problem.startswith(("output", "error")) or "'output'" in problem else ("REQ-061",)
        if "'error'" in problem or problem.startswith("error"):
            reqs = ("REQ-061", "REQ-063")
        findings.append(error(f"manifest: {problem}", reqs=reqs))
    request = manifest.get("request") if isinstance(manifest, dict) else None
    if isinstance(request, str) and f"${operation}" not in unquote(request):
        findings.append(warning("the manifest's `request` does not look like the kick-off request",
                                expected=kick.url, actual=request))
    return findings


def items(manifest: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    """The well-formed `output` or `error` items of a manifest (type and url strings)."""
    raw = manifest.get(key) if isinstance(manifest, dict) else None
    return [i for i in (raw if isinstance(raw, list) else [])
            if isinstance(i, dict) and isinstance(i.get("type"), str) and isinstance(i.get("url"), str)]


# -- files ------------------------------------------------------------------------------------------


class FileAudit:
    """The on_line callback of a download: judges the lines in batches as they stream — parsing, REQ-064/REQ-062
    and profile validation on every core (``jobs`` None), in this process for a small file — and gives the
    findings afterwards. Download with ``parse=audit.parse``: lines then reach the workers unparsed."""

    def __init__(self, item: dict[str, Any], *, validator: Any | None = None, keep: bool = False,
                 jobs: int | None = None, stats: PoolStats | None = None) -> None:
        self.item = item
        self.validator = validator
        self.keep = keep
        self.kept: list[dict[str, Any]] = []
        self.broken = Listed()  # (line, why it is not one FHIR resource)
        self.wrong_type = Listed()  # (line, its resourceType)
        self.profile: list[Finding] = []
        self.profile_total = 0
        self.resources = 0  # lines holding a resource
        self.carried = 0  # resources those lines carry (a Bundle line counts its entries)
        version = getattr(validator, "version", None)  # workers build their own validator of that version
        jobs = (jobs or default_jobs()) if isinstance(version, str) else 1
        self._work: OrderedWork[bulk_lines.Lines, bulk_lines.LinesVerdict] = OrderedWork(
            bulk_lines.judge, jobs, bulk_lines.prepare, (version,), here=bulk_lines.judge_here(validator),
            pool_after=POOL_AFTER, stats=stats)
        self._batch: list[tuple[int, bytes]] = []
        self._batched = 0

    @property
    def parse(self) -> bool:
        """Whether the lines must come parsed (the kept resources are needed here)."""
        return self.keep

    def __call__(self, line: NdjsonLine) -> None:
        if self.keep and line.resource is not None:
            self.kept.append(line.resource)
        self._batch.append((line.number, line.raw))
        self._batched += len(line.raw)
        if self._batched >= BATCH_BYTES:
            self._put()

    def _put(self) -> None:
        lines = (str(self.item.get("type")), tuple(self._batch))
        self._batch, self._batched = [], 0
        for verdict in self._work.put(lines):
            self._apply(verdict)

    def _apply(self, verdict: bulk_lines.LinesVerdict) -> None:
        self.resources += verdict.resources
        self.carried += verdict.carried
        self.broken.extend(verdict.broken)
        self.wrong_type.extend(verdict.wrong_type)
        for number, issues in verdict.issues:
            self._record(issues, f"{self.item.get('url')} line {number}")

    def _record(self, issues: list[Issue], where: str) -> None:
        """Profile findings of judged lines — judged while streaming or when the findings are asked for, so named
        after profile_findings, which reports them, whichever check is running."""
        name = registration(FileAudit.profile_findings).name
        for made in (issue_finding(i, where) for i in issues):
            if made is None:
                continue
            self.profile_total += 1
            if len(self.profile) < MAX_PROFILE_FINDINGS:
                self.profile.append(replace(made, check=name))

    @check("REQ-064")
    def file_findings(self, download: Download) -> list[Finding]:
        """REQ-064 (served as FHIR NDJSON, every line a resource) and REQ-062 (one type per file, count)."""
        self.finish()
        url = self.item.get("url")
        if not download.ok:
            return [error("a file listed in the manifest could not be downloaded", where=url,
                          actual=download.error)]
        findings: list[Finding] = []
        media = download.content_type.split(";", 1)[0].strip().lower()
        if media == "application/ndjson":
            findings.append(warning("files should be served as application/fhir+ndjson", where=url,
                                    actual=download.content_type))
        elif media != "application/fhir+ndjson":
            findings.append(error("files must be served as application/fhir+ndjson", where=url,
                                  actual=download.content_type or "(none)"))
        if self.broken:
            findings.append(error("lines that are not one FHIR resource in JSON", where=url,
                                  actual=self.broken.text(lambda n, why: f"line {n}: {why}")))
        if self.wrong_type:
            findings.append(error(f"a file of type {self.item.get('type')} holds other resources", reqs="REQ-062", where=url,
                                  actual=self.wrong_type.text(lambda n, t: f"line {n}: {t}")))
        count = self.item.get("count")
        if isinstance(count, int) and count != download.lines:
            findings.append(error("the manifest's count does not match the file's lines", reqs="REQ-062", where=url,
                                  expected=str(count), actual=f"{download.lines} lines"))
        return findings

    def finish(self) -> None:
        """Judge the lines still pending, wait for the workers, stop them."""
        if self._batch:
            self._put()
        for verdict in self._work.finish():
            self._apply(verdict)
        self._work.close()

    def __enter__(self) -> FileAudit:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """Leaving on an exception (an interrupt) stops the workers at once."""
        self._work.close(kill=kind is not None)

    @check("REQ-029")
    def profile_findings(self) -> list[Finding]:
        self.finish()
        out = list(self.profile)
        if self.profile_total > len(self.profile):
            out.append(error(f"… and {self.profile_total - len(self.profile)} more profile issues",
                             where=str(self.item.get("url"))))
        return out


@check("REQ-063")
def error_file_types(manifest: dict[str, Any] | None) -> list[Finding]:
    """Error files hold OperationOutcomes."""
    return [error("an `error` file must hold OperationOutcome resources", where=i["url"], actual=i["type"])
            for i in items(manifest, "error") if i["type"] != "OperationOutcome"]


@check("REQ-068")
def same_as_sync(async_answer: OperationAnswer, sync_answer: OperationAnswer) -> list[Finding]:
    """Per patient, the async Bundles hold the same entries as the synchronous answer's; the same
    subjects are reported as unknown."""
    findings: list[Finding] = []

    def by_patient(answer: OperationAnswer) -> dict[str, set[str]]:
        return {str(b.patient_ref): set(b.entry_keys()) for b in answer.returns}

    got, want = by_patient(async_answer), by_patient(sync_answer)
    if set(got) != set(want):
        findings.append(error("the async export covers other patients than the synchronous answer",
                              expected=", ".join(sorted(want)) or "(none)", actual=", ".join(sorted(got)) or "(none)"))
    for patient in sorted(set(got) & set(want)):
        if got[patient] != want[patient]:
            findings.append(error("the async Bundle's entries differ from the synchronous answer's",
                                  where=patient, expected=", ".join(sorted(want[patient])),
                                  actual=", ".join(sorted(got[patient]))))
    if len(async_answer.outcomes) != len(sync_answer.outcomes):
        findings.append(error("the async error file and the synchronous answer report different numbers"
                              " of unknown subjects", expected=str(len(sync_answer.outcomes)),
                              actual=str(len(async_answer.outcomes))))
    return findings
