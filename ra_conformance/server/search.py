"""RESTful search: MeasureReport by subject/patient, period (R4 date prefixes), measure, status, category,
_id and _include=MeasureReport:evaluated-resource; other types by _id. Unknown parameters are ignored (R4
lenient handling) unless the client asks ``Prefer: handling=strict``; the self link lists what was applied.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ..dates import DateFormatError, day_range
from .cc_gaps import cited_refs, group_members
from .errors import bad_request
from .faults import FaultSet
from .refs import local_ref, valid_id
from .store import Store, now_instant

MEASUREREPORT_PARAMS = ("_id", "subject", "patient", "period", "measure", "status", "category",
                        "measurereport-category")
COMMON_PARAMS = ("_id",)
INCLUDES = ("MeasureReport:evaluated-resource",)
_RESULT_PARAMS = ("_count", "_format", "_pretty", "_summary", "_elements", "_total", "_sort")
_PREFIX_RE = re.compile(r"^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.*)$")
# R4 date search against a Period [period_start, period_end] (index columns, ISO days); see RA-SPEC §7
_DATE_SQL = {  # prefix -> (condition, which ends of the value's day range it binds: f=first, l=last)
    "eq": ("period_start >= ? AND period_end <= ?", "fl"),
    "ne": ("NOT (period_start >= ? AND period_end <= ?)", "fl"),
    "gt": ("period_end > ?", "l"),
    "lt": ("period_start < ?", "f"),
    "ge": ("period_end >= ?", "f"),
    "le": ("period_start <= ?", "l"),
    "sa": ("period_start > ?", "l"),
    "eb": ("period_end < ?", "f"),
    "ap": ("period_start <= ? AND period_end >= ?", "lf"),
}


def supported_params(rtype: str) -> tuple[str, ...]:
    return MEASUREREPORT_PARAMS if rtype == "MeasureReport" else COMMON_PARAMS


@dataclass
class _Query:
    where: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)
    applied: list[tuple[str, str]] = field(default_factory=list)

    def add(self, sql_options: list[tuple[str, list[Any]]]) -> None:
        """AND one condition made of OR-ed alternatives."""
        self.where.append(" OR ".join(f"({sql})" for sql, _ in sql_options) or "0")
        for _, args in sql_options:
            self.args.extend(args)


def search(store: Store, rtype: str, items: Sequence[tuple[str, str]], *, base: str, faults: FaultSet,
           strict: bool = False) -> dict[str, Any]:
    """A searchset Bundle with total and self link (REQ-070..REQ-087 for MeasureReport)."""
    q = _Query()
    includes: list[str] = []
    known = supported_params(rtype)
    for raw_name, value in items:
        name, _, modifier = raw_name.partition(":")
        if raw_name == "_include":
            if rtype == "MeasureReport" and value in INCLUDES:
                includes.append(value)
                q.applied.append((raw_name, value))
            elif strict:
                raise bad_request(f"_include={value} is not supported")
            continue
        if name in _RESULT_PARAMS:
            continue
        if name not in known:
            if strict:
                raise bad_request(f"search parameter {raw_name} is not supported for {rtype}")
            continue
        if modifier:
            raise bad_request(f"modifier :{modifier} of search parameter {name} is not supported")
        if name == "period" and faults.on("search-ignores-period"):  # FAULT: search-ignores-period
            continue
        _condition(store, q, name, value, base)
        q.applied.append((raw_name, value))
    matches = store.query(rtype, q.where, q.args)
    included = _included(store, matches, base) if includes else []
    return _bundle(rtype, matches, included, q.applied, base)


def _condition(store: Store, q: _Query, name: str, value: str, base: str) -> None:
    values = value.split(",")
    if name == "_id":
        for v in values:
            if not valid_id(v):
                raise bad_request(f"_id {v!r} is not a valid id")
        q.add([("id = ?", [v]) for v in values])
    elif name in ("subject", "patient"):
        q.add([opt for v in values for opt in _reference_options(store, name, v, base)])
    elif name == "period":
        q.add([_date_option(v) for v in values])
    elif name == "measure":
        q.add([("measure = ? OR measure LIKE ? || '|%'", [v, v]) for v in values])
    elif name == "status":
        q.add([("status = ?", [v]) for v in values])
    else:  # category / measurereport-category: token on the category extension's code (RA-SPEC §7 ⚑ quotes)
        codes = [v.strip('"').rsplit("|", 1)[-1] for v in values]
        q.add([("(' ' || category || ' ') LIKE ?", [f"% {c} %"]) for c in codes])


def _reference_options(store: Store, name: str, value: str, base: str) -> list[tuple[str, list[Any]]]:
    ref = local_ref(value, base)
    if ref is None:
        if not valid_id(value):
            raise bad_request(f"{name}={value!r} is not a reference (Type/id or id)")
        if name == "patient":
            return [("subject = ?", [f"Patient/{value}"])]
        return [("subject LIKE ?", [f"%/{value}"])]
    rtype = ref.split("/", 1)[0]
    if name == "patient" and rtype != "Patient":
        return [("0", [])]
    if rtype == "Group":  # REQ-086 ⚑: subject=Group/<id> means the reports of the group's members
        group = store.get_ref(ref)
        members = group_members(group, base) if group else []
        return [("subject = ?", [m]) for m in members] or [("0", [])]
    return [("subject = ?", [ref])]


def _date_option(value: str) -> tuple[str, list[Any]]:
    prefix, date_text = _PREFIX_RE.match(value).groups()  # type: ignore[union-attr]
    try:
        rng = day_range(date_text)
    except DateFormatError as exc:
        raise bad_request(f"period={value}: {exc}", expression="period") from None
    sql, ends = _DATE_SQL[prefix or "eq"]
    bound = {"f": rng.first.isoformat(), "l": rng.last.isoformat()}
    return sql, [bound[e] for e in ends]


def _included(store: Store, matches: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    seen = {f"{r['resourceType']}/{r['id']}" for r in matches}
    out = []
    for report in matches:
        for ref in cited_refs(report, base):
            if ref not in seen:
                seen.add(ref)
                target = store.get_ref(ref)
                if target is not None:
                    out.append(target)
    return out


def _bundle(rtype: str, matches: list[dict], included: list[dict], applied: list[tuple[str, str]],
            base: str) -> dict[str, Any]:
    query = urlencode(applied)
    entries = [_entry(r, "match", base) for r in matches] + [_entry(r, "include", base) for r in included]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": now_instant()},
        "type": "searchset",
        "total": len(matches),
        "link": [{"relation": "self", "url": f"{base}/{rtype}" + (f"?{query}" if query else "")}],
    }
    if entries:
        bundle["entry"] = entries
    return bundle


def _entry(resource: dict[str, Any], mode: str, base: str) -> dict[str, Any]:
    return {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": resource,
            "search": {"mode": mode}}
