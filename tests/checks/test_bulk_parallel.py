"""A bulk file's lines judged on every core (FileAudit through worker processes, lines sent unparsed) give the same
findings, in the same order, as in one process."""

from __future__ import annotations

import httpx
import orjson
import pytest

from ra_conformance.checks import bulk as checks
from ra_conformance.fhir import async_pattern as ap
from ra_conformance.fhir.client import FhirClient
from ra_conformance.validation import parallel, validator_for
from ra_conformance.validation.parallel import PoolStats

from ..validation.validation_samples import patient, report_v21

URL = "http://srv/f/1"


@pytest.fixture
def workers_first(monkeypatch):
    """Tiny batches, workers from the second batch on, and every batch waits until they are up (else this
    process may judge a small file alone)."""
    wait = parallel._Pool.has_room

    def has_room(self, busy):
        self._ready.wait(120)
        return wait(self, busy)

    monkeypatch.setattr(parallel._Pool, "has_room", has_room)
    monkeypatch.setattr(checks, "BATCH_BYTES", 4000)
    monkeypatch.setattr(checks, "POOL_AFTER", 1)


def _body() -> bytes:
    lines = [orjson.dumps(dict(report_v21(), id=f"mr-{i}", status="final" if i % 9 == 0 else "complete"))
             for i in range(60)]
    lines[5] = b'{"resourceType": "MeasureRep'
    lines[17] = b"[1, 2]"
    lines[23] = orjson.dumps(patient())
    lines[40] = b"   "
    return b"\n".join(lines) + b"\n"


def _audit(jobs: int, parse: bool, stats: PoolStats) -> tuple[list[str], int, int]:
    item = {"type": "MeasureReport", "url": URL, "count": 59}
    client = FhirClient("http://srv", transport=httpx.MockTransport(lambda r: httpx.Response(
        200, headers={"Content-Type": "application/fhir+ndjson"}, content=_body())))
    with checks.FileAudit(item, validator=validator_for("2.1.0"), jobs=jobs, stats=stats) as audit:
        download = ap.download(client, URL, audit, parse=parse)
        findings = audit.file_findings(download) + audit.profile_findings()
    return [repr(f) for f in findings], audit.resources, audit.carried


def test_every_core_gives_the_findings_of_one(workers_first):
    one, many = PoolStats(), PoolStats()
    serial = _audit(1, True, one)
    parallel_run = _audit(2, False, many)
    assert parallel_run == serial
    assert one.units_workers == 0 and many.units_workers > 0
    findings, resources, carried = serial
    assert (resources, carried) == (57, 57)
    text = "\n".join(findings)
    assert "line 6: not JSON" in text and "line 18: not a FHIR resource" in text and "line 24: Patient" in text
    assert sum("'final' is not in the required value set" in f for f in findings) == 7  # mr-0, mr-9, … mr-54


def test_a_small_file_starts_no_worker():
    stats = PoolStats()
    findings, resources, _ = _audit(4, False, stats)
    assert stats.worker_ready == [] and stats.units_workers == 0 and resources == 57 and findings
