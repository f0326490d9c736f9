"""Defects of the REST interface (server/app.py, rest.py, capability.py, transaction.py): rewrites of headers,
status and the CapabilityStatement, and the interactions (strategies) a wrong server performs differently."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import nullcontext
from typing import Any

from ..errors import issue, operation_outcome
from ..layer import Call
from ..rest import Answer, read
from ..shape import as_dict, as_list

FHIR_JSON = "application/fhir+json"


def content_type(media: str) -> Callable[[Call, Answer], Answer]:
    """Every FHIR answer of the app with Content-Type ``media`` (answers that name their own type keep it)."""
    def rewrite(call: Call, answer: Answer) -> Answer:
        if answer.body is not None and not any(k.lower() == "content-type" for k in answer.headers):
            answer.headers["Content-Type"] = media
        return answer

    return rewrite


def no_operation_declared(call: Call, answer: Answer) -> Answer:
    """no-operation-in-metadata: the CapabilityStatement's MeasureReport declares no operation."""
    for resource in _capability_resources(call, answer):
        if resource.get("type") == "MeasureReport":
            resource.pop("operation", None)
    return answer


def _capability_resources(call: Call, answer: Answer) -> Iterator[dict[str, Any]]:
    body = answer.body
    if call.path.rstrip("/").endswith("/metadata") and isinstance(body, dict) \
            and body.get("resourceType") == "CapabilityStatement":
        for rest in as_list(body.get("rest")):
            yield from (as_dict(r) for r in as_list(as_dict(rest).get("resource")))


def created_as_200(call: Call, answer: Answer) -> Answer:
    """update-create-200: an update that creates a resource answered 200, not 201 Created."""
    if call.method == "PUT" and answer.status == 201:
        answer.status = 200
    return answer


def delete_nothing(store: Any, rtype: str, rid: str) -> Answer:
    """delete-ignored: success, and the resource stays."""
    return Answer(200, operation_outcome(issue("information", "informational", f"{rtype}/{rid} deleted")))


def patch_nothing(store: Any, rtype: str, rid: str, body: Any, media: str, base: str, check: Any, *,
                  if_match: str | None = None) -> Answer:
    """patch-ignored: the unchanged resource."""
    return read(store, rtype, rid, base)


def entry_by_entry(store: Any) -> nullcontext[None]:
    """transaction-not-atomic: no unit of work around the entries; each entry commits on its own."""
    return nullcontext()
