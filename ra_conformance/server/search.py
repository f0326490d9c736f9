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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ..dates import DateFormatError, DayRange, day_range
from .cc_gaps import cited_refs, group_members
from .errors import bad_request
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


SqlOption = tuple[str, list[Any]]


@dataclass
class _Query:
    store: Store
    base: str
    rules: Rules
    group_expansion: bool = True
    where: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)
    applied: list[tuple[str, str]] = field(default_factory=list)

    def add(self, sql_options: list[SqlOption]) -> None:
        """AND one condition made of OR-ed alternatives."""
        self.where.append(" OR ".join(f"({sql})" for sql, _ in sql_options) or "0")
        for _, args in sql_options:
            self.args.extend(args)


def search(store: Store, rtype: str, items: Sequence[tuple[str, str]], *, base: str, rules: Rules | None = None,
           strict: bool = False, group_expansion: bool = True) -> dict[str, Any]:
    """A searchset Bundle with total, self and paging links (REQ-070..REQ-087 for MeasureReport).
    ``rules``: how parameters are read (default: R4's and the IG's; a variant or a fault may swap one)."""
    q = _Query(store, base, rules or RULES, group_expansion)
    includes: list[str] = []
    known = supported_params(rtype)
    unsupported = q.rules.unsupported.get(rtype, ())
    count, offset = _paging(items)
    ignored: list[str] = []
    for raw_name, value in items:
        if raw_name in _PAGING_PARAMS:
            continue
        name, _, modifier = raw_name.partition(":")
        if name in unsupported:  # R4 lenient handling: left out of the self link, said in an outcome entry
            ignored.append(raw_name)
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
        options = q.rules.conditions[name](q, name, value.split(","))
        if options is not None:  # None: the parameter is not applied (nor listed in the self link)
            q.add(options)
            q.applied.append((raw_name, value))
    matches = store.query(rtype, q.where, q.args)
    page = matches[offset:offset + count]
    included = _included(store, page, base) if includes else []
    bundle = _bundle(rtype, page, included, q.applied, base)
    if ignored:
        bundle.setdefault("entry", []).append(_ignored_outcome(ignored))
    bundle["total"] = len(matches)
    bundle["link"] += _page_links(rtype, q.applied, base, count, offset, len(matches))
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


def _page_links(rtype: str, applied: list[tuple[str, str]], base: str, count: int, offset: int,
                total: int) -> list[dict[str, str]]:
    def url(at: int) -> str:
        return f"{base}/{rtype}?" + urlencode([*applied, ("_count", str(count)), ("_offset", str(at))])

    links = []
    if offset + count < total:
        links.append({"relation": "next", "url": url(offset + count)})
    if offset > 0:
        links.append({"relation": "previous", "url": url(max(0, offset - count))})
    return links


# -- conditions: one per parameter, each a list of OR-ed SQL options ---------------------------------------

Condition = Callable[[_Query, str, list[str]], "list[SqlOption] | None"]


def _ids(q: _Query, name: str, values: list[str]) -> list[SqlOption]:
    for v in values:
        if not valid_id(v):
            raise bad_request(f"_id {v!r} is not a valid id")
    return [("id = ?", [v]) for v in values]


def _references(q: _Query, name: str, values: list[str]) -> list[SqlOption]:
    return [opt for v in values for opt in _reference_options(q.store, name, v, q.base, q.group_expansion)]


def _dates(q: _Query, name: str, values: list[str]) -> list[SqlOption]:
    return [_date_option(v, name, q.rules) for v in values]


def _profiles(q: _Query, name: str, values: list[str]) -> list[SqlOption]:
    """The IG's V2-ballot example form (RA-SPEC §7); versioned canonicals match too."""
    return [("EXISTS (SELECT 1 FROM json_each(resources.json, '$.meta.profile') AS p"
             " WHERE p.value = ? OR p.value LIKE ? || '|%')", [v, v]) for v in values]


def _measures(q: _Query, name: str, values: list[str]) -> list[SqlOption]:
    return [("measure = ? OR measure LIKE ? || '|%'", [v, v]) for v in values]


def _statuses(q: _Query, name: str, values: list[str]) -> list[SqlOption]:
    return [("status = ?", [v]) for v in values]


def _categories(q: _Query, name: str, values: list[str]) -> list[SqlOption]:
    """A token on the category extension's code (RA-SPEC §7 ⚑ quotes)."""
    codes = [v.strip('"').rsplit("|", 1)[-1] for v in values]
    return [("(' ' || category || ' ') LIKE ?", [f"% {c} %"]) for c in codes]


CONDITIONS: dict[str, Condition] = {
    "_id": _ids, "subject": _references, "patient": _references, "period": _dates, "date": _dates,
    "_profile": _profiles, "measure": _measures, "status": _statuses, "category": _categories,
    "measurereport-category": _categories,
}


def read_date(value: str) -> tuple[str, DayRange]:
    """An R4 date search value: its prefix (``eq`` when none) and the days it denotes; DateFormatError if unreadable."""
    prefix, date_text = _PREFIX_RE.match(value).groups()  # type: ignore[union-attr]
    return prefix or "eq", day_range(date_text)


@dataclass(frozen=True)
class Rules:
    """How search reads its parameters; the defaults are R4's and the IG's. A legal variant (server/variants/) or
    a fault (server/faults/search.py) swaps one; the server reads them once, when it starts."""

    date_targets: Mapping[str, tuple[str, str]] = field(default_factory=lambda: dict(_DATE_TARGETS))
    conditions: Mapping[str, Condition] = field(default_factory=lambda: dict(CONDITIONS))
    read_date: Callable[[str], tuple[str, DayRange]] = read_date
    unsupported: Mapping[str, frozenset[str]] = field(default_factory=dict)  # type -> parameters not supported


RULES = Rules()


def _reference_options(store: Store, name: str, value: str, base: str, group_expansion: bool = True) -> list[SqlOption]:
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


def _date_option(value: str, param: str, rules: Rules) -> SqlOption:
    try:
        prefix, rng = rules.read_date(value)
    except DateFormatError as exc:
        raise bad_request(f"{param}={value}: {exc}", expression=param) from None
    first_col, last_col = rules.date_targets[param]
    sql, ends = _DATE_SQL[prefix]
    bound = {"f": rng.first.isoformat(), "l": rng.last.isoformat()}
    return sql.format(s=first_col, e=last_col), [bound[e] for e in ends]


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


def _ignored_outcome(names: list[str]) -> dict[str, Any]:
    """An OperationOutcome entry about the search (search.mode=outcome), as lenient R4 servers add."""
    issues = [{"severity": "warning", "code": "not-supported",
               "diagnostics": f"Unknown search parameter '{n}' for resource type 'MeasureReport': ignored"}
              for n in dict.fromkeys(names)]
    return {"resource": {"resourceType": "OperationOutcome", "issue": issues}, "search": {"mode": "outcome"}}


def _entry(resource: dict[str, Any], mode: str, base: str) -> dict[str, Any]:
    return {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": resource,
            "search": {"mode": mode}}
