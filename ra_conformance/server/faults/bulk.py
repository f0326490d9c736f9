"""Defects of the asynchronous pattern (server/bulk.py, bulk_routes.py): rewrites of the kick-off and status
answers, and the export's rules (strategies) a wrong server follows differently."""

from __future__ import annotations

from typing import Any

from ...jsonio import dumps
from ..bulk_routes import in_progress
from ..layer import Call
from ..rest import Answer
from ..shape import as_dict, as_list


def _is_status(call: Call) -> bool:
    parts = call.path.strip("/").split("/")
    return call.method == "GET" and len(parts) >= 2 and parts[-2] == "$async"


def _manifest(call: Call, answer: Answer) -> dict[str, Any] | None:
    return answer.body if _is_status(call) and answer.status == 200 and isinstance(answer.body, dict) else None


def no_content_location(call: Call, answer: Answer) -> Answer:
    """no-content-location: the kick-off's 202 without its status URL (REQ-054)."""
    if answer.status == 202:
        answer.headers.pop("Content-Location", None)
    return answer


def job_fails_bare(call: Call, answer: Answer) -> Answer:
    """job-fails-bare: every job's status a bare 500, no OperationOutcome (REQ-060)."""
    if _is_status(call) and answer.status not in (401, 404):
        return Answer(500, None)
    return answer


def never_completes(call: Call, answer: Answer) -> Answer:
    """status-never-completes: a completed job's status still 202 in progress (REQ-061)."""
    return in_progress("done") if _manifest(call, answer) is not None else answer


def manifest_without_output(call: Call, answer: Answer) -> Answer:
    manifest = _manifest(call, answer)
    if manifest is not None:
        manifest.pop("output", None)
    return answer


def count_plus_one(call: Call, answer: Answer) -> Answer:
    """count-mismatch: each output file's count one more than its lines (REQ-062)."""
    manifest = _manifest(call, answer)
    for item in as_list(manifest.get("output")) if manifest is not None else []:
        as_dict(item)["count"] = as_dict(item).get("count", 0) + 1
    return answer


def first_line_cut(resource: dict[str, Any], n: int) -> bytes:
    """ndjson-broken-line: the first line of the Bundle file cut in half (REQ-064)."""
    line = dumps(resource)
    return line[: len(line) // 2] if n == 0 else line


def any_format(fmt: str) -> bool:
    """output-format-ignored: every _outputFormat accepted (REQ-053/REQ-055)."""
    return True


def no_error_line(member: str) -> dict[str, Any] | None:
    """bulk-omits-error-file: nothing written for an unknown group member (REQ-063/REQ-068)."""
    return None


def cancel_nothing(service: Any, job_id: str) -> None:
    """cancel-ignored: DELETE answered 202, the job and its status stay (REQ-066)."""
    return
