"""Create, update and patch answered without a body (Location / ETag only), unless the client asks for one."""

from __future__ import annotations

from ..rest import Answer
from .base import Behaviour, Call, Variant


class MinimalReturn(Behaviour):
    def after(self, call: Call, answer: Answer) -> Answer:
        writes = call.method in ("PUT", "PATCH") or (call.method == "POST" and call.path.strip("/").count("/") == 0
                                                     and call.path.strip("/") != "")
        asked = "return=representation" in call.header("prefer").replace(" ", "")
        if writes and not asked and answer.status in (200, 201) and answer.body is not None \
                and answer.body.get("resourceType") != "OperationOutcome":
            answer.body = None
        return answer


MINIMAL_RETURN = Variant(
    "minimal-return",
    "create, update and patch answer with no body (Location, ETag, Last-Modified only) unless Prefer: return=representation",
    "R4 http.html#ops: the server may return no body; Prefer: return=minimal is the client's choice, the server's default is open",
    MinimalReturn,
)
