"""Client checks of the async scenario (RA-SPEC §2, REQ-050..REQ-052, REQ-058, REQ-064): kick-off headers,
polling that honours Retry-After, every manifest file downloaded (with the token when the manifest says so)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from ..checks.findings import Finding, error, warning
from .judge_base import ACCEPTABLE, Check, Observed, describe, media, operation_requests
from .recorder import Recorded
from .tokens import bearer_of

EARLY_TOLERANCE = 0.05  # seconds: clock granularity between the answer leaving and the next request arriving


def status_polls(obs: Observed) -> list[Recorded]:
    return [r for r in obs.records if r.method == "GET" and r.path.startswith("/$async/") and "/file/" not in r.path]


def _kickoff_prefer(obs: Observed) -> list[Finding]:
    """REQ-051: every kick-off carries `Prefer: respond-async`."""
    return [error("the kick-off does not carry Prefer: respond-async (the server answers synchronously)", reqs="REQ-051",
                  expected="Prefer: respond-async", actual=r.header("prefer") or "no Prefer header", where=describe(r))
            for r in operation_requests(obs)
            if "respond-async" not in [p.strip().lower() for p in (r.header("prefer") or "").split(",")]]


def _kickoff_accept(obs: Observed) -> list[Finding]:
    """REQ-052: the kick-off carries an Accept header (the format of the optional kick-off OperationOutcome)."""
    out = []
    for r in operation_requests(obs):
        accept = r.header("accept")
        if accept is None:
            out.append(error("the kick-off carries no Accept header", reqs="REQ-052", expected="Accept: application/fhir+json",
                             where=describe(r)))
        elif not any(media(a) in ACCEPTABLE for a in accept.split(",")):
            out.append(error("the kick-off's Accept names no FHIR JSON format", reqs="REQ-052", actual=accept, where=describe(r)))
    return out


OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")


def _output_format(obs: Observed) -> list[Finding]:
    """REQ-053 (MAY): `_outputFormat`, when sent, names NDJSON (the only format the IG supports)."""
    return [error("_outputFormat names a format other than NDJSON", reqs="REQ-053", expected=" | ".join(OUTPUT_FORMATS),
                  actual=v, where=describe(r))
            for r in operation_requests(obs) for v in r.params("_outputFormat") if v.strip() not in OUTPUT_FORMATS]


def _retry_after(r: Recorded) -> float | None:
    value = (r.response_header("retry-after") or "").strip()
    return float(value) if value.isdigit() else None


def _polling(obs: Observed) -> list[Finding]:
    """REQ-058 (SHOULD): no status poll before the time the previous answer's Retry-After gave."""
    out: list[Finding] = []
    by_url: dict[str, list[Recorded]] = {}
    for r in status_polls(obs):
        by_url.setdefault(r.path, []).append(r)
    for polls in by_url.values():
        for prev, nxt in pairwise(polls):
            wait = _retry_after(prev)
            if prev.status not in (202, 429) or wait is None or prev.responded is None:
                continue
            waited = nxt.received - prev.responded
            if waited < wait - EARLY_TOLERANCE:
                out.append(warning("the client polled before the time Retry-After gave", reqs="REQ-058",
                                   expected=f"≥ {wait:.0f} s after {describe(prev)}", actual=f"{waited:.2f} s",
                                   where=describe(nxt)))
    return out


def manifest_of(obs: Observed) -> dict[str, Any] | None:
    for r in status_polls(obs):
        body = r.response_json if r.status == 200 else None
        if isinstance(body, dict) and isinstance(body.get("output"), list):
            return body
    return None


def file_findings(obs: Observed) -> list[Finding]:
    """REQ-050/REQ-064: the job is polled to completion and every output and error file is downloaded, with the
    bearer token when the manifest's requiresAccessToken is true."""
    manifest = manifest_of(obs)
    if manifest is None:
        answered = [r for r in operation_requests(obs) if r.status == 202]
        return [error("the client never polled the job to its completion manifest", reqs=("REQ-050",),
                      actual=f"{len(status_polls(obs))} status poll(s) after {len(answered)} accepted kick-off(s)")]
    items = [i for key in ("output", "error") for i in manifest.get(key) or [] if isinstance(i, dict)]
    needs_token = manifest.get("requiresAccessToken") is True
    fetches = [r for r in obs.records if r.method == "GET" and "/file/" in r.path]
    out: list[Finding] = []
    for item in items:
        path = urlsplit(str(item.get("url", ""))).path.rstrip("/")
        got = [r for r in fetches if r.path == path and r.status is not None and r.status < 300]
        if not got:
            tried = [r for r in fetches if r.path == path]
            out.append(error(f"the manifest file of type {item.get('type')} was never downloaded", reqs=("REQ-050", "REQ-064"),
                             expected=f"GET {item.get('url')}",
                             actual=(f"HTTP {tried[-1].status}" if tried else "not requested")))
        elif needs_token and not any(_with_token(obs, r) for r in got):
            out.append(error("requiresAccessToken is true but the file was fetched without a valid bearer token", reqs=("REQ-064",),
                             where=describe(got[0])))
    return out


def _with_token(obs: Observed, r: Recorded) -> bool:
    """The file request carried a bearer token the server accepts (any bearer token when client-test is open)."""
    token = bearer_of(r)
    return token is not None and (obs.tokens is None or obs.tokens.valid(token))


def _kicked_off(obs: Observed) -> bool:
    return bool(operation_requests(obs))


ASYNC_CHECKS = (
    Check("test_req_051_kickoff_prefers_respond_async", "the kick-off carries Prefer: respond-async", ("REQ-051",),
          _kickoff_prefer, _kicked_off),
    Check("test_req_052_kickoff_carries_accept", "the kick-off carries an Accept header for FHIR JSON", ("REQ-052",),
          _kickoff_accept, _kicked_off),
    Check("test_req_053_output_format_is_ndjson", "an _outputFormat, when sent, is NDJSON", ("REQ-053",),
          _output_format, _kicked_off),
    Check("test_req_058_polling_honours_retry_after", "no status poll comes before the time Retry-After gave",
          ("REQ-058",), _polling, _kicked_off),
    Check("test_req_050_064_every_manifest_file_downloaded",
          "the job is polled to completion and every manifest file downloaded (with the token when required)",
          ("REQ-050", "REQ-064"), file_findings, _kicked_off),
)
