"""Persisted asynchronous jobs (RA-SPEC §2.2): a ``jobs`` table in the server's SQLite file, files under
``<data-dir>/jobs/<id>/``.

The table lives in the same database file as the resources (``store.sqlite``) but uses its own connection
(WAL lets the two write in turn), so the worker threads never wait on the resource lock to record progress.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import jsonio
from .store import Store

QUEUED, RUNNING, COMPLETED, FAILED = "queued", "running", "completed", "failed"
PENDING = (QUEUED, RUNNING)
_ID_CHARS = frozenset("0123456789abcdef")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    request_url TEXT NOT NULL,
    base TEXT NOT NULL,
    params BLOB NOT NULL,
    kickoff_time TEXT NOT NULL,
    transaction_time TEXT,
    token_hash TEXT,
    progress TEXT,
    manifest BLOB,
    error BLOB
);
"""
_COLUMNS = ("id", "state", "request_url", "base", "params", "kickoff_time", "transaction_time", "token_hash",
            "progress", "manifest", "error")


@dataclass(frozen=True)
class Job:
    id: str
    state: str
    request_url: str  # the kick-off request as the client sent it (the manifest's `request`)
    base: str  # the server base the kick-off was addressed to (for absolute file URLs)
    params: list[tuple[str, str]]  # the operation's parameters (subject, periodStart, periodEnd)
    kickoff_time: str
    transaction_time: str | None
    token_hash: str | None
    progress: str | None
    manifest: dict[str, Any] | None
    error: dict[str, Any] | None  # an OperationOutcome when the job failed


def new_job_id() -> str:
    """128 random bits, hex: the status URL is unguessable."""
    return secrets.token_hex(16)


def valid_job_id(value: str) -> bool:
    return len(value) == 32 and set(value) <= _ID_CHARS


def token_hash(token: str | None) -> str | None:
    return hashlib.sha256(token.encode("utf-8")).hexdigest() if token else None


class JobTable:
    """Thread-safe access to the jobs table and each job's file folder."""

    def __init__(self, store: Store) -> None:
        self.root = store.data_dir / "jobs"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(store.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def folder(self, job_id: str) -> Path:
        assert valid_job_id(job_id)  # never a path built from unchecked input
        return self.root / job_id

    def create(self, job: Job) -> None:
        row = (job.id, job.state, job.request_url, job.base, jsonio.dumps(job.params), job.kickoff_time,
               job.transaction_time, job.token_hash, job.progress, None, None)
        with self._lock:
            self._db.execute(f"INSERT INTO jobs ({','.join(_COLUMNS)}) VALUES ({','.join('?' * len(_COLUMNS))})", row)

    def get(self, job_id: str) -> Job | None:
        if not valid_job_id(job_id):
            return None
        with self._lock:
            row = self._db.execute(f"SELECT {','.join(_COLUMNS)} FROM jobs WHERE id=?", (job_id,)).fetchone()
        return _job(row) if row else None

    def pending(self) -> list[Job]:
        with self._lock:
            rows = self._db.execute(f"SELECT {','.join(_COLUMNS)} FROM jobs WHERE state IN (?, ?) ORDER BY kickoff_time",
                                    PENDING).fetchall()
        return [_job(r) for r in rows]

    def update(self, job_id: str, **values: Any) -> bool:
        """Set columns of a job; False when the job is gone (cancelled meanwhile)."""
        cols = [c for c in values if c in _COLUMNS and c != "id"]
        args = [jsonio.dumps(values[c]) if c in ("manifest", "error") and values[c] is not None else values[c]
                for c in cols]
        with self._lock:
            cur = self._db.execute(f"UPDATE jobs SET {','.join(c + '=?' for c in cols)} WHERE id=?", [*args, job_id])
        return cur.rowcount > 0

    def delete(self, job_id: str) -> bool:
        """Forget a job and remove its files (cancel, REQ-066)."""
        with self._lock:
            cur = self._db.execute("DELETE FROM jobs WHERE id=?", (job_id,))
        shutil.rmtree(self.folder(job_id), ignore_errors=True)
        return cur.rowcount > 0


def _job(row: tuple[Any, ...]) -> Job:
    data = dict(zip(_COLUMNS, row, strict=True))
    return Job(
        id=data["id"], state=data["state"], request_url=data["request_url"], base=data["base"],
        params=[(str(k), str(v)) for k, v in jsonio.loads(data["params"])], kickoff_time=data["kickoff_time"],
        transaction_time=data["transaction_time"], token_hash=data["token_hash"], progress=data["progress"],
        manifest=jsonio.loads(data["manifest"]) if data["manifest"] else None,
        error=jsonio.loads(data["error"]) if data["error"] else None,
    )
