"""Switchable behaviours applied as one layer around the correct server: the mechanism that legal variants
(server/variants/) and deliberate faults (server/faults/) share.

A behaviour never lives inside the correct handlers. Its hooks, all optional (the base class does nothing):

* ``asgi(app)``           wraps the whole ASGI app (transport: gzip, chunking; request rewriting before routing);
* ``before(call)``        may answer a request itself instead of the handler (a refusal);
* ``after(call, answer)`` rewrites the handler's answer (dicts, headers, status) before it is rendered;
* ``bundle(bundle)``      rewrites each coding-gap patient Bundle of an asynchronous export (the synchronous
                          answer goes through ``after``);
* ``rules``               strategies for what a rewrite cannot do: values for fields of a module's ``Rules``
                          record (e.g. ``cc_gaps.Rules.overlaps``), which the server reads once, at start.

A behaviour instance lives as long as one server app (it may keep state, e.g. paging tokens).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from .rest import Answer

R = TypeVar("R")


@dataclass(frozen=True)
class Call:
    """The request a behaviour sees: method, path below the base, query, headers (lower-case names)."""

    request: Request

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def path(self) -> str:
        return self.request.url.path

    def header(self, name: str) -> str:
        return self.request.headers.get(name, "")

    def query(self, name: str) -> list[str]:
        return self.request.query_params.getlist(name)

    async def json(self) -> Any:
        """The request body as JSON, or None; the handler can still read it afterwards (Starlette caches it)."""
        from .. import jsonio

        try:
            return jsonio.loads(await self.request.body())
        except jsonio.JsonError:
            return None


class Behaviour:
    """No-op hooks; a variant or a fault overrides the ones it needs."""

    rules: Mapping[type, Mapping[str, Any]] = {}  # Rules class -> {field: the strategy replacing the server's own}

    def asgi(self, app: ASGIApp) -> ASGIApp:
        return app

    async def before(self, call: Call) -> Answer | None:
        return None

    def after(self, call: Call, answer: Answer) -> Answer:
        return answer

    def bundle(self, bundle: dict[str, Any]) -> dict[str, Any]:
        return bundle


class Chain(Behaviour):
    """Several behaviours as one: hooks applied in order (the first sees the request first and the answer first),
    strategies merged field by field (a later one wins a field both set)."""

    def __init__(self, behaviours: Iterable[Behaviour]) -> None:
        self.parts = tuple(behaviours)
        merged: dict[type, dict[str, Any]] = {}
        for b in self.parts:
            for cls, strategies in b.rules.items():
                merged.setdefault(cls, {}).update(strategies)
        self.rules = merged

    def asgi(self, app: ASGIApp) -> ASGIApp:
        for b in reversed(self.parts):  # the outermost wrapper is the first part's
            app = b.asgi(app)
        return app

    async def before(self, call: Call) -> Answer | None:
        for b in self.parts:
            answer = await b.before(call)
            if answer is not None:
                return answer
        return None

    def after(self, call: Call, answer: Answer) -> Answer:
        for b in self.parts:
            answer = b.after(call, answer)
        return answer

    def bundle(self, bundle: dict[str, Any]) -> dict[str, Any]:
        for b in self.parts:
            bundle = b.bundle(bundle)
        return bundle


def known(names: Iterable[str], catalogue: Mapping[str, object], error: type[ValueError], kind: str) -> tuple[str, ...]:
    """``names`` once each, in the order given; ``error`` names the unknown ones and the valid choices."""
    names = tuple(dict.fromkeys(names))
    unknown = [n for n in names if n not in catalogue]
    if unknown:
        raise error(f"unknown {kind}(s): {', '.join(unknown)}; valid names: {', '.join(sorted(catalogue))}")
    return names


class Switchboard:
    """The behaviours switched on for one server app, their hooks applied in catalogue order."""

    def __init__(self, names: Iterable[str], behaviours: Iterable[Behaviour]) -> None:
        self.names = frozenset(names)
        self.chain = Chain(behaviours)

    def wrap(self, app: ASGIApp) -> ASGIApp:
        return self.chain.asgi(app)

    async def before(self, request: Request) -> Answer | None:
        return await self.chain.before(Call(request))

    def after(self, request: Request, answer: Answer) -> Answer:
        return self.chain.after(Call(request), answer)

    def bundle(self, bundle: dict[str, Any]) -> dict[str, Any]:
        return self.chain.bundle(bundle)

    def rules(self, cls: type[R], default: R | None = None) -> R:
        """``cls``'s rules (a frozen dataclass; ``default`` or its defaults) with the strategies switched on."""
        changes = self.chain.rules.get(cls, {})
        return dataclasses.replace(default if default is not None else cls(), **changes)  # type: ignore[type-var]

    def __bool__(self) -> bool:
        return bool(self.names)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({sorted(self.names)!r})"


class LayerMiddleware:
    """Starlette middleware: a switchboard's ASGI wrappers (transport, request rewriting) around the app."""

    def __init__(self, app: ASGIApp, switchboard: Switchboard) -> None:
        self.app = switchboard.wrap(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
