"""Transaction and batch Bundles posted at the base (REQ-180/REQ-181): PUT, POST, GET and DELETE entries.

A transaction is all-or-nothing (one SQLite transaction; the first failing entry's error is the answer) and
rewrites references to ``urn:uuid:``/``urn:oid:`` fullUrls of its entries to the ids the server assigns.
A batch processes every entry on its own and reports each entry's status.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .errors import FhirError, bad_request
from .incoming import IncomingCheck
from .refs import valid_id, valid_type
from .rest import Answer, delete, read, require_type, update
from .search import search
from .shape import as_dict
from .store import Store

_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "GET": 3}  # R4 transaction processing order
UnitOfWork = Callable[[Store], AbstractContextManager[None]]


def all_or_nothing(store: Store) -> AbstractContextManager[None]:
    """REQ-181: a transaction's entries are one unit of work."""
    return store.atomic()


@dataclass(frozen=True)
class Rules:
    """The rule a server can get wrong; the default is R4's (a fault swaps it: server/faults/rest.py)."""

    unit_of_work: UnitOfWork = all_or_nothing


RULES = Rules()


def process_bundle(store: Store, bundle: Any, *, base: str, check: IncomingCheck, rules: Rules = RULES) -> Answer:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise bad_request("POST to the base expects a Bundle of type transaction or batch")
    btype = bundle.get("type")
    if btype not in ("transaction", "batch"):
        raise bad_request(f"Bundle.type {btype!r} cannot be processed; send a transaction or batch Bundle")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise bad_request("Bundle.entry must be an array")
    if btype == "batch":
        results = [_batch_entry(store, e, n, base=base, check=check) for n, e in enumerate(entries)]
    else:
        results = _transaction(store, entries, base=base, check=check, unit_of_work=rules.unit_of_work)
    return Answer(200, {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": f"{btype}-response",
                        "entry": [_response_entry(a) for a in results]})


def _transaction(store: Store, entries: list[Any], *, base: str, check: IncomingCheck,
                 unit_of_work: UnitOfWork) -> list[Answer]:
    parsed = [_parse_entry(e, n) for n, e in enumerate(entries)]
    _assign_ids(parsed)
    results: list[Answer | None] = [None] * len(parsed)
    with unit_of_work(store):
        for n in sorted(range(len(parsed)), key=lambda i: _ORDER[parsed[i]["method"]]):
            try:
                with store.atomic():  # joins the unit of work
                    results[n] = _execute(store, parsed[n], base=base, check=check)
            except FhirError as exc:
                for item in exc.outcome.get("issue", []):
                    item["diagnostics"] = f"Bundle.entry[{n}]: {item.get('diagnostics', '')}"
                    item.setdefault("details", {})["text"] = item["diagnostics"]
                raise  # store.atomic() rolls every write back
    return [r for r in results if r is not None]


def _batch_entry(store: Store, entry: Any, n: int, *, base: str, check: IncomingCheck) -> Answer:
    try:
        with store.atomic():
            parsed = _parse_entry(entry, n)
            _assign_ids([parsed])
            return _execute(store, parsed, base=base, check=check)
    except FhirError as exc:
        return Answer(exc.status, exc.outcome)


def _parse_entry(entry: Any, n: int) -> dict[str, Any]:
    where = f"Bundle.entry[{n}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
        raise bad_request(f"{where} has no request", expression=where)
    method, url = entry["request"].get("method"), entry["request"].get("url")
    if method not in _ORDER:
        raise bad_request(f"{where}.request.method {method!r} is not supported (PUT, POST, GET, DELETE)")
    if not isinstance(url, str) or not url:
        raise bad_request(f"{where}.request.url is missing", expression=where)
    parts = urlsplit(url)
    path = parts.path.strip("/").split("/")
    if not valid_type(path[0]) or len(path) > 2:
        raise bad_request(f"{where}.request.url {url!r} is not [Type] or [Type]/[id]")
    resource = entry.get("resource")
    if method in ("PUT", "POST") and not isinstance(resource, dict):
        raise bad_request(f"{where}: a {method} entry needs a resource", expression=where)
    if method in ("PUT", "DELETE") and len(path) != 2:
        raise bad_request(f"{where}: {method} needs [Type]/[id], got {url!r}")
    return {"method": method, "type": path[0], "id": path[1] if len(path) == 2 else None,
            "query": parse_qsl(parts.query, keep_blank_values=True), "resource": resource,
            "fullUrl": entry.get("fullUrl"), "ifMatch": _str_or_none(entry["request"].get("ifMatch"))}


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _assign_ids(parsed: list[dict[str, Any]]) -> None:
    """Give POSTed resources their ids up front and point urn: references at them."""
    mapping: dict[str, str] = {}
    for p in parsed:
        if p["method"] == "POST":
            p["id"] = str(uuid.uuid4())
            p["resource"] = {**p["resource"], "id": p["id"]}
        full = p["fullUrl"]
        if isinstance(full, str) and full.startswith("urn:") and p["method"] in ("POST", "PUT") and p["id"]:
            mapping[full] = f"{p['type']}/{p['id']}"
    if mapping:
        for p in parsed:
            if p["resource"] is not None:
                p["resource"] = _rewrite(p["resource"], mapping)


def _rewrite(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: (mapping.get(v, v) if k == "reference" and isinstance(v, str) else _rewrite(v, mapping))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, mapping) for v in value]
    return value


def _execute(store: Store, p: dict[str, Any], *, base: str, check: IncomingCheck) -> Answer:
    method, rtype, rid = p["method"], p["type"], p["id"]
    if method == "PUT":
        return update(store, rtype, rid, p["resource"], base, check, if_match=p["ifMatch"])
    if method == "POST":
        if p["resource"].get("resourceType") != rtype:
            raise bad_request(f"resourceType {p['resource'].get('resourceType')!r} does not match {rtype}")
        answer = update(store, rtype, rid, p["resource"], base, check)  # id assigned in _assign_ids
        answer.status = 201
        return answer
    if method == "DELETE":
        return delete(store, rtype, rid)
    if rid is not None:
        if not valid_id(rid):
            raise bad_request(f"{rid!r} is not a valid id")
        return read(store, rtype, rid, base)
    require_type(rtype)
    return Answer(200, search(store, rtype, p["query"], base=base))


def _response_entry(answer: Answer) -> dict[str, Any]:
    status = f"{answer.status} {HTTPStatus(answer.status).phrase}"
    response: dict[str, Any] = {"status": status}
    if "Location" in answer.headers:
        response["location"] = answer.headers["Location"]
    if "ETag" in answer.headers:
        response["etag"] = answer.headers["ETag"]
    body = answer.body or {}
    meta = as_dict(body.get("meta"))
    if body.get("resourceType") not in ("OperationOutcome", "Bundle") and "lastUpdated" in meta:
        response["lastModified"] = meta["lastUpdated"]
    entry: dict[str, Any] = {"response": response}
    if answer.status >= 400 or body.get("resourceType") == "OperationOutcome":
        response["outcome"] = answer.body  # an error, or the issues of a resource stored anyway (write validation)
    elif answer.body is not None:
        entry["resource"] = answer.body
    return entry

