"""JSON Patch only: FHIRPath Patch refused (415 + OperationOutcome) and not declared in patchFormat."""

from __future__ import annotations

from ..errors import issue, operation_outcome
from ..rest import Answer
from .base import Behaviour, Call, Variant

FHIRPATH_PATCH = "application/fhir+json"


class JsonPatchOnly(Behaviour):
    async def before(self, call: Call) -> Answer | None:
        media = call.header("content-type").split(";", 1)[0].strip().lower()
        if call.method == "PATCH" and media != "application/json-patch+json":
            text = f"PATCH with Content-Type {media or '(none)'} is not supported: this server applies JSON Patch only"
            return Answer(415, operation_outcome(issue("error", "not-supported", text)))
        return None

    def after(self, call: Call, answer: Answer) -> Answer:
        body = answer.body
        if call.path.endswith("/metadata") and isinstance(body, dict) and isinstance(body.get("patchFormat"), list):
            body["patchFormat"] = [f for f in body["patchFormat"] if f != FHIRPATH_PATCH]
        return answer


JSON_PATCH_ONLY = Variant(
    "json-patch-only",
    "PATCH accepts JSON Patch only: FHIRPath Patch is refused with 415 + OperationOutcome and not in patchFormat",
    "R4 http.html#patch: servers may support any patch format and declare them in CapabilityStatement.patchFormat; "
    "the IG's CapabilityStatements list JSON Patch",
    JsonPatchOnly,
)
