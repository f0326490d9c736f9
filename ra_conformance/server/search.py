"""RESTful search: MeasureReport by subject/patient, period (R4 date prefixes), measure, status, category,
_profile, _id and _include=MeasureReport:evaluated-resource; other types by _id. Unknown parameters are ignored
(R4 lenient handling) unless the client asks ``Prefer: handling=strict``; the self link lists what was applied.
Paging: ``_count`` (default DEFAULT_COUNT, at most MAX_COUNT) with ``next``/``previous`` links carrying
``_offset``; each page includes the evidence of its own matches (REQ-080). ``subject=Group/<id>`` means the
reports of the group's members when ``group_expansion`` is on (REQ-086 ⚑), else base semantics (none).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from ..dates import DateFormatError, day_range
from .cc_gaps import cited_refs, evidence_faults, group_members, profile_faults
from .errors import bad_request
from .faults import FaultSet
from .refs import local_ref, valid_id
from .store import Store, now_instant

MEASUREREPORT_PARAMS = ("_id", "subject", "patient", "period", "date", "measure", "status", "category",
                        "measurereport-category", "_profile")
DEFAULT_COUNT = 50
MAX_COUNT = 500
COMMON_PARAMS = ("_id",)
INCLUDES = ("MeasureReport:evaluated-resource",)
_RESULT_PARAMS = ("_format", "_pretty", "_summary", "_elements", "_total", "_sort")
_PAGING_PARAMS = ("_count", "_offset")
_PREFIX_RE = re.compile(r"^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.*)$")
# R4 date search against a Period [period_start, period_end] (index columns, ISO days); see RA-SPEC §7
_DATE_SQL = {  # prefix -> (condition over the target's first/last day {s}/{e}, which ends of the value bind: f/l)
    "eq": ("{s} >= ? AND {e} <= ?", "fl"),
    "ne": ("NOT ({s} >= ? AND {e} <= ?)", "fl"),
    "gt": ("{e} > ?", "l"),
    "lt": ("{s} < ?", "f"),
    "ge": ("{e} >= ?", "f"),
    "le": ("{s} <= ?", "l"),
    "sa": ("{s} > ?", "l"),
    "eb": ("{e} < ?", "f"),
    "ap": ("{s} <= ? AND {e} >= ?", "lf"),
}
# Date-valued search parameters: the columns (or expressions) holding the target's first and last day.
_DATE_TARGETS = {
    "period": ("period_start", "period_end"),
    "date": ("substr(json_extract(resources.json, '$.date'), 1, 10)",) * 2,  # MeasureReport.date, by its date part
}


def supported_params(rtype: str) -> tuple[str, ...]:
    return MEASUREREPORT_PARAMS if rtype == "MeasureReport" else COMMON_PARAMS


@dataclass
class _Query:
    where: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)
    applied: list[tuple[str, str]] = field(default_factory=list)
    date_targets: Mapping[str, tuple[str, str]] = field(default_factory=lambda: _DATE_TARGETS)

    def add(self, sql_options: list[tuple[str, list[Any]]]) -> None:
        """AND one condition made of OR-ed alternatives."""
        self.where.append(" OR ".join(f"({sql})" for sql, _ in sql_options) or "0")
        for _, args in sql_options:
            self.args.extend(args)


def search(store: Store, rtype: str, items: Sequence[tuple[str, str]], *, base: str, faults: FaultSet,
           strict: bool = False, group_expansion: bool = True,
           date_targets: Mapping[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    """A searchset Bundle with total, self and paging links (REQ-070..REQ-087 for MeasureReport).
    ``date_targets``: where date parameters read the target's first/last day (default: the period's date part)."""
    q = _Query(date_targets=date_targets or _DATE_TARGETS)
    includes: list[str] = []
    known = supported_params(rtype)
    count, offset = _paging(items)
    ignored: list[str] = []
    for raw_name, value in items:
        if raw_name in _PAGING_PARAMS:
            continue
        name, _, modifier = raw_name.partition(":")
        if name in _LENIENT_FAULT_PARAMS and rtype == "MeasureReport" and faults.on("search-ignores-leniently"):
            ignored.append(raw_name)  # FAULT: search-ignores-leniently (left out of the self link, said in an outcome)
            continue
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
        if name in ("category", "measurereport-category") and faults.on("search-ignores-category"):
            continue  # FAULT: search-ignores-category
        _condition(store, q, name, value, base, faults, group_expansion)
        q.applied.append((raw_name, value))
    matches = store.query(rtype, q.where, q.args)
    page = matches[offset:offset + count]
    if rtype == "MeasureReport":
        page = [profile_faults(r, faults) for r in page]
    included = _included(store, page, base, faults) if includes else []
    bundle = _bundle(rtype, page, included, q.applied, base)
    if ignored:
        bundle.setdefault("entry", []).append(_ignored_outcome(ignored))
    bundle["total"] = len(matches)
    bundle["link"] += _page_links(rtype, q.applied, base, count, offset, len(matches), faults)
    if faults.on("search-no-self-link"):  # FAULT: search-no-self-link
        bundle["link"] = [link for link in bundle["link"] if link["relation"] != "self"]
    return bundle


def _paging(items: Sequence[tuple[str, str]]) -> tuple[int, int]:
    """``_count`` (1..MAX_COUNT; 0 is read as 1) and ``_offset`` (>= 0); 400 when not a number."""
    values = {"_count": DEFAULT_COUNT, "_offset": 0}
    for name, value in items:
        if name in values:
            if not value.isdigit():
                raise bad_request(f"{name}={value!r} is not a non-negative integer", expression=name)
            values[name] = int(value)
    return max(1, min(values["_count"], MAX_COUNT)), values["_offset"]


def _page_links(rtype: str, applied: list[tuple[str, str]], base: str, count: int, offset: int, total: int,
                faults: FaultSet) -> list[dict[str, str]]:
    def url(at: int) -> str:
        return f"{base}/{rtype}?" + urlencode([*applied, ("_count", str(count)), ("_offset", str(at))])

    links = []
    if offset + count < total:
        step = count
        if faults.on("next-link-loops"):  # FAULT: next-link-loops
            step = 0
        elif faults.on("next-link-drops-page"):  # FAULT: next-link-drops-page
            step = 2 * count
        links.append({"relation": "next", "url": url(offset + step)})
    if offset > 0:
        links.append({"relation": "previous", "url": url(max(0, offset - count))})
    return links


def _condition(store: Store, q: _Query, name: str, value: str, base: str, faults: FaultSet,
               group_expansion: bool) -> None:
    values = value.split(",")
    if name == "_id":
        for v in values:
            if not valid_id(v):
                raise bad_request(f"_id {v!r} is not a valid id")
        q.add([("id = ?", [v]) for v in values])
    elif name in ("subject", "patient"):
        q.add([opt for v in values for opt in _reference_options(store, name, v, base, group_expansion)])
    elif name in _DATE_TARGETS:
        if name == "date" and faults.on("search-ignores-date"):  # FAULT: search-ignores-date
            return
        q.add([_date_option(v, faults, name, q.date_targets) for v in values])
    elif name == "_profile":  # the IG's V2-ballot example form (RA-SPEC §7); versioned canonicals match too
        q.add([("EXISTS (SELECT 1 FROM json_each(resources.json, '$.meta.profile') AS p"
                " WHERE p.value = ? OR p.value LIKE ? || '|%')", [v, v]) for v in values])
    elif name == "measure":
        q.add([("measure = ? OR measure LIKE ? || '|%'", [v, v]) for v in values])
    elif name == "status":
        q.add([("status = ?", [v]) for v in values])
    else:  # category / measurereport-category: token on the category extension's code (RA-SPEC §7 ⚑ quotes)
        codes = [v.strip('"').rsplit("|", 1)[-1] for v in values]
        q.add([("(' ' || category || ' ') LIKE ?", [f"% {c} %"]) for c in codes])


def _reference_options(store: Store, name: str, value: str, base: str,
                       group_expansion: bool = True) -> list[tuple[str, list[Any]]]:
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
    if rtype == "Group" and group_expansion:  # REQ-086 ⚑: subject=Group/<id> = the members' reports
        group = store.get_ref(ref)
        members = group_members(group, base) if group else []
        return [("subject = ?", [m]) for m in members] or [("0", [])]
    return [("subject = ?", [ref])]


def _date_option(value: str, faults: FaultSet, param: str = "period",
                 targets: Mapping[str, tuple[str, str]] = _DATE_TARGETS) -> tuple[str, list[Any]]:
    prefix, date_text = _PREFIX_RE.match(value).groups()  # type: ignore[union-attr]
    if prefix == "ge" and faults.on("search-ignores-ge-prefix"):  # FAULT: search-ignores-ge-prefix
        prefix = None  # read as eq
    try:
        rng = day_range(date_text)
    except DateFormatError as exc:
        raise bad_request(f"{param}={value}: {exc}", expression=param) from None
    first_col, last_col = targets[param]
    sql, ends = _DATE_SQL[prefix or "eq"]
    sql = sql.format(s=first_col, e=last_col)
    last = rng.last
    if len(date_text) == 7:  # month precision: the faults of engines that get "the end of the month" wrong
        if faults.on("search-month-end-rolls-over"):  # FAULT: search-month-end-rolls-over
            last = last + timedelta(days=1)
        elif faults.on("search-february-28-days") and last.month == 2 and last.day == 29:
            last = last - timedelta(days=1)  # FAULT: search-february-28-days
    bound = {"f": rng.first.isoformat(), "l": last.isoformat()}
    return sql, [bound[e] for e in ends]


def _included(store: Store, matches: list[dict[str, Any]], base: str, faults: FaultSet) -> list[dict[str, Any]]:
    seen = {f"{r['resourceType']}/{r['id']}" for r in matches}
    out = []
    for report in matches:
        for ref in cited_refs(report, base):
            if ref not in seen:
                seen.add(ref)
                target = evidence_faults(store.get_ref(ref), faults)
                if target is not None:
                    out.append(target)
    if out and faults.on("include-misses-evidence"):  # FAULT: include-misses-evidence
        out.pop()
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


_LENIENT_FAULT_PARAMS = ("subject", "period", "category", "measurereport-category", "_include")


def _ignored_outcome(names: list[str]) -> dict[str, Any]:
    """An OperationOutcome entry about the search (search.mode=outcome), as lenient R4 servers add."""
    issues = [{"severity": "warning", "code": "not-supported",
               "diagnostics": f"Unknown search parameter '{n}' for resource type 'MeasureReport': ignored"}
              for n in dict.fromkeys(names)]
    return {"resource": {"resourceType": "OperationOutcome", "issue": issues}, "search": {"mode": "outcome"}}


def _entry(resource: dict[str, Any], mode: str, base: str) -> dict[str, Any]:
    return {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": resource,
            "search": {"mode": mode}}
