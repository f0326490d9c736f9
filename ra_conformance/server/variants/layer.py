"""The variants switched on for one server, applied as one layer around the correct server (server/layer.py)."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request

from ..layer import Call, Switchboard
from ..rest import Answer
from .catalogue import VARIANTS


class UnknownVariantError(ValueError):
    """A variant name that is not in the catalogue."""


class VariantSet(Switchboard):
    """The variants of one server app: each behaviour instantiated once, its hooks applied in catalogue order."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        names = tuple(dict.fromkeys(names))
        unknown = [n for n in names if n not in VARIANTS]
        if unknown:
            raise UnknownVariantError(f"unknown variant(s): {', '.join(unknown)}; valid names: {', '.join(sorted(VARIANTS))}")
        super().__init__(names, [v.behaviour() for v in VARIANTS.values() if v.name in names])

    def after(self, request: Request, answer: Answer) -> Answer:
        call = Call(request)
        for b in self._behaviours:
            if answer.body is not None:  # a variant rewrites bodies; a bodiless answer (minimal return) stays
                answer = b.after(call, answer)
        return answer
