"""The RESTful interactions (read, create, update, delete) as plain functions returning an Answer.

Every write passes the incoming-resource check first (incoming.py): errors → 422 + OperationOutcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from .errors import FhirError, issue, operation_outcome
from .incoming import IncomingCheck, run_check
from .refs import valid_id, valid_type
from .store import Store


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | None  # None: no body (only a variant leaves it out)
    headers: dict[str, str] = field(default_factory=dict)


def require_type(rtype: str) -> None:
    if not valid_type(rtype):
        raise FhirError(404, "not-supported", f"{rtype!r} is not a resource type")


def require_id(rid: str) -> None:
    if rid.startswith("$"):
        raise FhirError(404, "not-supported", f"operation {rid} is not supported here")
    if not valid_id(rid):
        raise FhirError(400, "invalid", f"{rid!r} is not a valid FHIR id")


def _stored(status: int, stored: dict[str, Any], headers: dict[str, str], reported: list[dict[str, Any]]) -> Answer:
    """The write's answer: the stored resource, or (issues reported) an OperationOutcome saying it was stored."""
    if not reported:
        return Answer(status, stored, headers)
    ref = f"{stored['resourceType']}/{stored['id']}"
    note = issue("information", "informational", f"{ref} was stored with {len(reported)} validation issue(s)")
    return Answer(status, operation_outcome(note, *reported), headers)


def _require_body(rtype: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise FhirError(400, "structure", "the request body must be a JSON object (a FHIR resource)")
    if body.get("resourceType") != rtype:
        raise FhirError(400, "invalid", f"resourceType {body.get('resourceType')!r} does not match the URL type {rtype}")
    return body


def version_headers(resource: dict[str, Any], base: str, *, location: bool) -> dict[str, str]:
    meta = resource["meta"]
    headers = {"ETag": f'W/"{meta["versionId"]}"',
               "Last-Modified": format_datetime(datetime.fromisoformat(meta["lastUpdated"].replace("Z", "+00:00")),
                                                usegmt=True)}
    if location:
        headers["Location"] = f"{base}/{resource['resourceType']}/{resource['id']}/_history/{meta['versionId']}"
    return headers


def read(store: Store, rtype: str, rid: str, base: str) -> Answer:
    require_type(rtype)
    require_id(rid)
    resource = store.get(rtype, rid)
    if resource is None:
        raise FhirError(404, "not-found", f"{rtype}/{rid} is not known")
    return Answer(200, resource, version_headers(resource, base, location=False))


def create(store: Store, rtype: str, body: Any, base: str, check: IncomingCheck) -> Answer:
    require_type(rtype)
    resource = _require_body(rtype, body)
    resource = {k: v for k, v in resource.items() if k != "id"}  # the server assigns the id on create
    reported = run_check(check, resource)
    stored = store.create(resource)
    return _stored(201, stored, version_headers(stored, base, location=True), reported)


def update(store: Store, rtype: str, rid: str, body: Any, base: str, check: IncomingCheck, *,
           if_match: str | None = None) -> Answer:
    require_type(rtype)
    require_id(rid)
    resource = _require_body(rtype, body)
    if resource.get("id") != rid:
        raise FhirError(400, "invalid", f"the body's id {resource.get('id')!r} does not match the URL id {rid!r}")
    reported = run_check(check, resource)
    with store.atomic():
        if if_match is not None:
            _check_version(store, rtype, rid, if_match)
        stored, created = store.put(resource)
    return _stored(201 if created else 200, stored, version_headers(stored, base, location=created), reported)


def _check_version(store: Store, rtype: str, rid: str, if_match: str) -> None:
    """Versioned update: If-Match must name the current version (412 otherwise)."""
    current = store.get(rtype, rid)
    wanted = if_match.strip().removeprefix("W/").strip('"')
    have = (current or {}).get("meta", {}).get("versionId")
    if have != wanted:
        raise FhirError(412, "conflict", f"If-Match {if_match} does not match the current version of {rtype}/{rid}"
                        f" ({'none' if have is None else have})")


def patch(store: Store, rtype: str, rid: str, body: Any, content_type: str, base: str, check: IncomingCheck, *,
          if_match: str | None = None) -> Answer:
    """REQ-185: JSON Patch or FHIRPath Patch; the patched resource is vetted like an update (422 when invalid)."""
    from .patch import JSON_PATCH, apply_fhirpath_patch, apply_json_patch

    require_type(rtype)
    require_id(rid)
    with store.atomic():
        if if_match is not None:
            _check_version(store, rtype, rid, if_match)
        current = store.get(rtype, rid)
        if current is None:
            raise FhirError(404, "not-found", f"{rtype}/{rid} is not known")
        patched = apply_json_patch(current, body) if content_type == JSON_PATCH else apply_fhirpath_patch(current, body)
        if patched.get("resourceType") != rtype or patched.get("id") != rid:
            raise FhirError(422, "processing", "a patch must not change the resource's type or id")
        reported = run_check(check, patched)
        stored, _ = store.put(patched)
    return _stored(200, stored, version_headers(stored, base, location=False), reported)


def delete(store: Store, rtype: str, rid: str) -> Answer:
    require_type(rtype)
    require_id(rid)
    existed = store.delete(rtype, rid)
    text = f"{rtype}/{rid} deleted" if existed else f"{rtype}/{rid} did not exist"
    return Answer(200, operation_outcome(issue("information", "informational", text)))
