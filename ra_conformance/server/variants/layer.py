"""The variants switched on for one server, applied as one layer around the correct server (server/layer.py)."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request

from ..layer import Call, Switchboard, known
from ..rest import Answer
from .catalogue import VARIANTS


class UnknownVariantError(ValueError):
    """A variant name that is not in the catalogue."""


class VariantSet(Switchboard):
    """The variants of one server app: each behaviour instantiated once, its hooks applied in catalogue order."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        names = known(names, VARIANTS, UnknownVariantError, "variant")
        super().__init__(names, [v.behaviour() for v in VARIANTS.values() if v.name in names])

    def after(self, request: Request, answer: Answer) -> Answer:
        call = Call(request)
        for b in self.chain.parts:
            if answer.body is not None:  # a variant rewrites bodies; a bodiless answer (minimal return) stays
                answer = b.after(call, answer)
        return answer
