"""The variants switched on for one server, applied as one layer around the correct server."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ..rest import Answer
from .base import Behaviour, Call
from .catalogue import VARIANTS


class UnknownVariantError(ValueError):
    """A variant name that is not in the catalogue."""


class VariantSet:
    """The variants of one server app: each behaviour instantiated once, its hooks applied in catalogue order."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        names = tuple(dict.fromkeys(names))
        unknown = [n for n in names if n not in VARIANTS]
        if unknown:
            raise UnknownVariantError(f"unknown variant(s): {', '.join(unknown)}; valid names: {', '.join(sorted(VARIANTS))}")
        self.names = frozenset(names)
        self._behaviours: list[Behaviour] = [v.behaviour() for v in VARIANTS.values() if v.name in self.names]

    def wrap(self, app: ASGIApp) -> ASGIApp:
        for b in reversed(self._behaviours):  # the first variant sees the request first
            app = b.asgi(app)
        return app

    async def before(self, request: Request) -> Answer | None:
        call = Call(request)
        for b in self._behaviours:
            answer = await b.before(call)
            if answer is not None:
                return answer
        return None

    def after(self, request: Request, answer: Answer) -> Answer:
        call = Call(request)
        for b in self._behaviours:
            if answer.body is not None:
                answer = b.after(call, answer)
        return answer

    def strategy(self, name: str, default: Any) -> Any:
        """A strategy a behaviour supplies in place of the server's own (the first one set wins)."""
        for b in self._behaviours:
            value = getattr(b, name, None)
            if value is not None:
                return value
        return default

    def __bool__(self) -> bool:
        return bool(self.names)

    def __repr__(self) -> str:
        return f"VariantSet({sorted(self.names)!r})"


class VariantMiddleware:
    """Starlette middleware: the variants' ASGI wrappers (transport, request rewriting) around the app."""

    def __init__(self, app: ASGIApp, variants: VariantSet) -> None:
        self.app = variants.wrap(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
