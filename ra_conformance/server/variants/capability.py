"""A minimal CapabilityStatement: the interactions, search parameters and operations, no profile claims."""

from __future__ import annotations

from ..rest import Answer
from .base import Behaviour, Call, Variant

_DROPPED = ("instantiates", "implementationGuide", "text", "description", "implementation")
_DROPPED_PER_RESOURCE = ("profile", "supportedProfile", "documentation")


class MinimalCapability(Behaviour):
    def after(self, call: Call, answer: Answer) -> Answer:
        body = answer.body
        if not (call.path.endswith("/metadata") and isinstance(body, dict) and body.get("resourceType") == "CapabilityStatement"):
            return answer
        for key in _DROPPED:
            body.pop(key, None)
        for rest in body.get("rest", []):
            rest.pop("documentation", None)
            for res in rest.get("resource", []):
                for key in _DROPPED_PER_RESOURCE:
                    res.pop(key, None)
        return answer


MINIMAL_CAPABILITY = Variant(
    "minimal-capability",
    "the CapabilityStatement claims no IG and no profile (no instantiates, implementationGuide, supportedProfile)",
    "R4 CapabilityStatement: instantiates, implementationGuide, rest.resource.profile and supportedProfile are 0..*; "
    "the IG's server CapabilityStatement is SHOULD to claim",
    MinimalCapability,
)
