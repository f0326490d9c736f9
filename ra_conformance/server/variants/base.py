"""What a legal variation is: a catalogue record (``Variant``) and its behaviour (``Behaviour``).

A behaviour mutates the reference server's *correct* answers; the correct handlers never consult it. Its hooks,
all optional (the base class does nothing):

* ``asgi(app)``      wraps the whole ASGI app (transport: gzip, chunking; request rewriting before routing);
* ``before(call)``   may answer a request itself instead of the handler (a refusal, e.g. 415 for FHIRPath Patch);
* ``after(call, answer)`` rewrites the handler's answer (dicts and headers) before it is rendered;
* strategy attributes (``search_date_targets``) for what a rewrite cannot do: read once by the server.

A behaviour instance lives as long as one server app (it may keep state, e.g. paging tokens).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, TypeGuard

from starlette.requests import Request
from starlette.types import ASGIApp

from ..rest import Answer


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

    async def json(self) -> Any:
        """The request body as JSON, or None; the handler can still read it afterwards (Starlette caches it)."""
        from ... import jsonio

        try:
            return jsonio.loads(await self.request.body())
        except jsonio.JsonError:
            return None


class Behaviour:
    """No-op hooks; a variant overrides the ones it needs."""

    search_date_targets: ClassVar[dict[str, tuple[str, str]] | None] = None  # strategy: server/search.py _DATE_TARGETS

    def asgi(self, app: ASGIApp) -> ASGIApp:
        return app

    async def before(self, call: Call) -> Answer | None:
        return None

    def after(self, call: Call, answer: Answer) -> Answer:
        return answer


@dataclass(frozen=True)
class Variant:
    """One legal variation: what it does and the FHIR R4 rule (or IG text) that makes it legal."""

    name: str
    description: str
    r4_rule: str
    behaviour: type[Behaviour]


# -- helpers the behaviours share ---------------------------------------------------------------------


def bundles_in(body: Any) -> Iterator[dict[str, Any]]:
    """The Bundle itself, or the Bundles a Parameters answer carries (``return`` parameters)."""
    if not isinstance(body, dict):
        return
    if body.get("resourceType") == "Bundle":
        yield body
    elif body.get("resourceType") == "Parameters":
        for p in body.get("parameter") or []:
            res = p.get("resource") if isinstance(p, dict) else None
            if isinstance(res, dict) and res.get("resourceType") == "Bundle":
                yield res


def is_searchset(body: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(body, dict) and body.get("resourceType") == "Bundle" and body.get("type") == "searchset"
