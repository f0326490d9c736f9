"""SQLite persistence for the reference server: one row per resource (current version), MeasureReport index columns.

``<data-dir>/store.sqlite``; WAL journal; one connection guarded by a re-entrant lock (the server and the
embedded runner's thread share it). Data survives restart.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import jsonio
from ..dates import DateFormatError, day_range
from ..ig import MEASUREREPORT_CATEGORY_EXT, PROFILE_MEASUREREPORT
from .refs import local_ref
from .shape import as_dict, as_list, as_str

DB_NAME = "store.sqlite"
OPEN_START = "0001-01-01"  # a missing (or unreadable) period start is open towards the past (R4 search)
OPEN_END = "9999-12-31"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    last_updated TEXT NOT NULL,
    json BLOB NOT NULL,
    subject TEXT,
    period_start TEXT,
    period_end TEXT,
    measure TEXT,
    status TEXT,
    category TEXT,
    is_ra INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (type, id)
);
CREATE INDEX IF NOT EXISTS resources_subject ON resources (type, subject);
CREATE INDEX IF NOT EXISTS resources_measure ON resources (type, measure);
"""
# columns search.py may filter on (MeasureReport rows only)
INDEX_COLUMNS = ("id", "subject", "period_start", "period_end", "measure", "status", "category", "is_ra")
_VERSION_META = ("versionId", "lastUpdated")


def now_instant() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def is_coding_gap_report(resource: dict[str, Any]) -> bool:
    """An RA coding-gap report: claims ra-measurereport, or carries measurereport-category code ``ra``."""
    if resource.get("resourceType") != "MeasureReport":
        return False
    profiles = as_list(as_dict(resource.get("meta")).get("profile"))
    if any(isinstance(p, str) and p.split("|", 1)[0] == PROFILE_MEASUREREPORT for p in profiles):
        return True
    return "ra" in category_codes(resource)


def category_codes(resource: dict[str, Any]) -> list[str]:
    codes = []
    for ext in as_list(resource.get("extension")):
        if as_dict(ext).get("url") == MEASUREREPORT_CATEGORY_EXT:
            for coding in as_list(as_dict(ext.get("valueCodeableConcept")).get("coding")):
                code = as_str(as_dict(coding).get("code"))
                if code:
                    codes.append(code)
    return codes


def _day(value: object, *, first: bool) -> str:
    try:
        rng = day_range(value)
    except DateFormatError:
        return OPEN_START if first else OPEN_END
    return (rng.first if first else rng.last).isoformat()


def _index_columns(resource: dict[str, Any]) -> dict[str, Any]:
    if resource.get("resourceType") != "MeasureReport":
        return {"subject": None, "period_start": None, "period_end": None, "measure": None, "status": None,
                "category": None, "is_ra": 0}
    subject = as_str(as_dict(resource.get("subject")).get("reference"))
    period = as_dict(resource.get("period"))
    return {
        "subject": local_ref(subject) or subject,
        "period_start": _day(period.get("start"), first=True),
        "period_end": _day(period.get("end"), first=False),
        "measure": as_str(resource.get("measure")),
        "status": as_str(resource.get("status")),
        "category": " ".join(category_codes(resource)) or None,
        "is_ra": int(is_coding_gap_report(resource)),
    }


def _content(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without the server-managed meta (for 'nothing changed' comparisons)."""
    meta = {k: v for k, v in as_dict(resource.get("meta")).items() if k not in _VERSION_META}
    out = {k: v for k, v in resource.items() if k != "meta"}
    if meta:
        out["meta"] = meta
    return out


class Store:
    """The server's resources. Every method is thread-safe; returned dicts are fresh copies."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / DB_NAME
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """All writes inside happen together or not at all (nesting joins the outer transaction)."""
        with self._lock:
            if self._depth == 0:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if self._depth == 0:
                self._db.execute("COMMIT")

    # -- reads ---------------------------------------------------------------------------------------

    def get(self, rtype: str, rid: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT json FROM resources WHERE type=? AND id=?", (rtype, rid)).fetchone()
        return jsonio.loads(row[0]) if row else None

    def get_ref(self, ref: str) -> dict[str, Any] | None:
        rtype, _, rid = ref.partition("/")
        return self.get(rtype, rid)

    def exists(self, rtype: str, rid: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM resources WHERE type=? AND id=?", (rtype, rid)).fetchone() is not None

    def all(self, rtype: str, ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT json FROM resources WHERE type=?", [rtype]
        if ids is not None:
            sql += f" AND id IN ({','.join('?' * len(ids))})"
            args += list(ids)
        return self._select(sql + " ORDER BY id", args)

    def types(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT DISTINCT type FROM resources ORDER BY type")]

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM resources").fetchone()[0]

    def query(self, rtype: str, where: Sequence[str] = (), args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Resources of a type matching every SQL condition in ``where`` (over INDEX_COLUMNS; only ``id`` is
        meaningful for types other than MeasureReport), ordered by id."""
        sql = "SELECT json FROM resources WHERE type=?"
        for cond in where:
            sql += f" AND ({cond})"
        return self._select(sql + " ORDER BY id", [rtype, *args])

    def coding_gap_reports(self, subject: str | None = None) -> list[dict[str, Any]]:
        """RA coding-gap reports (of one ``Patient/<id>`` subject, or all), ordered by period start then id."""
        sql = "SELECT json FROM resources WHERE type='MeasureReport' AND is_ra=1"
        args: list[Any] = []
        if subject is not None:
            sql += " AND subject=?"
            args.append(subject)
        return self._select(sql + " ORDER BY period_start, id", args)

    def _select(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(sql, list(args)).fetchall()
        return [jsonio.loads(r[0]) for r in rows]

    # -- writes --------------------------------------------------------------------------------------

    def put(self, resource: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create or update at ``resource.id``; returns (stored resource, created?). Unchanged content is a no-op."""
        rtype, rid = resource["resourceType"], resource["id"]
        with self._lock:
            row = self._db.execute(
                "SELECT version, json FROM resources WHERE type=? AND id=?", (rtype, rid)
            ).fetchone()
            if row is not None:
                current = jsonio.loads(row[1])
                if _content(current) == _content(resource):
                    return current, False
            version = (row[0] + 1) if row else 1
            stored = self._stamp(resource, version)
            cols = _index_columns(stored)
            self._db.execute(
                "INSERT OR REPLACE INTO resources (type, id, version, last_updated, json, subject, period_start,"
                " period_end, measure, status, category, is_ra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (rtype, rid, version, stored["meta"]["lastUpdated"], jsonio.dumps(stored), cols["subject"],
                 cols["period_start"], cols["period_end"], cols["measure"], cols["status"], cols["category"],
                 cols["is_ra"]),
            )
        return stored, row is None

    def create(self, resource: dict[str, Any]) -> dict[str, Any]:
        """Store under a new server-assigned id."""
        resource = dict(resource, id=str(uuid.uuid4()))
        return self.put(resource)[0]

    def delete(self, rtype: str, rid: str) -> bool:
        with self._lock:
            cur = self._db.execute("DELETE FROM resources WHERE type=? AND id=?", (rtype, rid))
            return cur.rowcount > 0

    @staticmethod
    def _stamp(resource: dict[str, Any], version: int) -> dict[str, Any]:
        meta = dict(as_dict(resource.get("meta")))
        meta["versionId"] = str(version)
        meta["lastUpdated"] = now_instant()
        return {**resource, "meta": meta}
