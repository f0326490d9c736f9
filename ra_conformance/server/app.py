"""The reference server's ASGI app (Starlette): routes, body handling and FHIR-shaped responses only.

Semantics live in rest.py / search.py / transaction.py / cc_gaps.py; every answer is application/fhir+json
and every error an OperationOutcome (bad input gets a 4xx, never a 5xx).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import jsonio
from ..ig import DEFAULT_IG_VERSION, REPORT_STYLE_OPERATIONS
from . import bulk, bulk_routes, cc_gaps, interactions, rest, risk_gap, search, submit_data, transaction
from .auth import Rules as SmartRules
from .auth import SmartAuth, SmartConfig, SmartMiddleware
from .auth import routes as smart_routes
from .bulk import BulkService, wants_async
from .capability import capability_statement
from .errors import FhirError, issue, operation_outcome
from .faults import FaultSet
from .incoming import IncomingCheck, basic_checks
from .layer import LayerMiddleware, Switchboard
from .rest import Answer
from .store import Store
from .transaction import process_bundle
from .variants import VariantSet

log = logging.getLogger("ra_conformance.server")

R = TypeVar("R")
FHIR_JSON = "application/fhir+json"
BODY_MEDIA_TYPES = (FHIR_JSON, "application/json")
MAX_BODY_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class _Rules:
    """Each module's rules as the variants and faults switched on set them (server/layer.py), read once."""

    cc_gaps: cc_gaps.Rules
    search: search.Rules
    risk_gap: risk_gap.Rules
    interactions: interactions.Rules
    transaction: transaction.Rules
    bulk: bulk.Rules
    smart: SmartRules

    @classmethod
    def of(cls, variants: Switchboard, fault_set: Switchboard) -> _Rules:
        def rules(kind: type[R], default: R | None = None) -> R:
            return fault_set.rules(kind, variants.rules(kind, default))

        def bundle(b: dict[str, Any]) -> dict[str, Any]:  # async files get the synchronous answer's rewrites
            return fault_set.bundle(variants.bundle(b))

        operation = rules(cc_gaps.Rules)
        return cls(operation, rules(search.Rules), rules(risk_gap.Rules), rules(interactions.Rules),
                   rules(transaction.Rules), rules(bulk.Rules, bulk.Rules(cc_gaps=operation, bundle=bundle)),
                   rules(SmartRules))


@dataclass(frozen=True)
class _Context:
    store: Store
    faults: FaultSet  # deliberate defects: a layer over the correct answers plus the rules they swap (server/faults/)
    rules: _Rules
    base_url_override: str | None
    check: IncomingCheck
    max_body: int
    ig_version: str = DEFAULT_IG_VERSION  # the IG version the served CapabilityStatement follows
    group_expansion: bool = True  # MeasureReport?subject=Group/<id> returns the members' reports (REQ-086 ⚑)
    variants: VariantSet = field(default_factory=VariantSet)  # legal variations: a layer over the correct answers (server/variants/)
    smart: SmartAuth | None = None  # `serve --smart`: SMART Backend Services protect every FHIR route (auth.py)

    def base(self, request: Request) -> str:
        return (self.base_url_override or str(request.base_url)).rstrip("/")


Handler = Callable[[_Context, Request], Awaitable[Answer]]


def create_app(store: Store, *, faults: FaultSet | Iterable[str] = (), base_url_override: str | None = None,
               check_incoming: IncomingCheck = basic_checks, max_body: int = MAX_BODY_BYTES, auth_tokens: Iterable[str] = (),
               ig_version: str = DEFAULT_IG_VERSION, group_expansion: bool = True, variants: VariantSet | Iterable[str] = (),
               smart: SmartConfig | None = None) -> Starlette:
    """The server app over ``store``. ``check_incoming`` vets every created/updated resource (422 on errors).
    ``variants``: legal variations of the answers (``ra-conform variants``); ``smart``: SMART Backend Services."""
    fault_set = faults if isinstance(faults, FaultSet) else FaultSet(faults)
    variant_set = variants if isinstance(variants, VariantSet) else VariantSet(variants)
    routes = [Route("/metadata", _endpoint(_metadata), methods=["GET"]),
              Route("/", _endpoint(_bundle), methods=["POST"])]
    for name in REPORT_STYLE_OPERATIONS:
        routes.append(Route(f"/MeasureReport/${name}", _endpoint(_operation), methods=["GET", "POST"]))
    routes.append(Route("/MeasureReport/$risk-gap", _endpoint(_risk_gap), methods=["POST"]))  # STU3 ballot
    routes += [Route(p, _endpoint(_submit_data), methods=["POST"])  # base $submit-data (REQ-208)
               for p in ("/Measure/$submit-data", "/Measure/{id}/$submit-data")]
    routes += bulk_routes.routes()  # $async/<job> status, cancel and files (RA-SPEC §2.2)
    routes += [
        Route("/{type}", _endpoint(_type_level), methods=["GET", "POST"]),
        Route("/{type}/{id}", _endpoint(_instance), methods=["GET", "PUT", "DELETE", "PATCH"]),
    ]
    rules = _Rules.of(variant_set, fault_set)
    smart_auth = SmartAuth(smart, rules.smart) if smart is not None else None
    middleware = [Middleware(LayerMiddleware, switchboard=variant_set), Middleware(LayerMiddleware, switchboard=fault_set),
                  Middleware(_StripTrailingSlash)]
    if smart_auth is not None:  # discovery + token routes; every other route needs a token covering it
        routes[:0] = smart_routes(smart_auth)
        middleware.append(Middleware(SmartMiddleware, auth=smart_auth))
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_exception}, middleware=middleware)
    app.state.bulk = BulkService(store, rules=rules.bulk, auth_tokens=tuple(auth_tokens))  # close with bulk.shutdown(app)
    app.state.bulk.files_need_token = smart_auth is not None
    app.state.ctx = _Context(store, fault_set, rules, base_url_override, check_incoming, max_body, ig_version,
                             group_expansion, variant_set, smart_auth)
    return app


# -- handlers -----------------------------------------------------------------------------------------


async def _metadata(ctx: _Context, request: Request) -> Answer:
    statement = capability_statement(base=ctx.base(request), stored_types=ctx.store.types(),
                                     ig_version=ctx.ig_version, group_expansion=ctx.group_expansion)
    if ctx.smart is not None:
        ctx.smart.declare(statement, ctx.base(request))
    return Answer(200, statement)


async def _bundle(ctx: _Context, request: Request) -> Answer:
    body = await _json_body(ctx, request)
    return process_bundle(ctx.store, body, base=ctx.base(request), check=ctx.check, rules=ctx.rules.transaction)


async def _operation(ctx: _Context, request: Request) -> Answer:
    """$cc-gaps / $report / $ra.cc-gaps: STU1 $report semantics (RA-SPEC §1.2)."""
    if request.method == "GET":
        req = cc_gaps.parse_query(list(request.query_params.multi_items()), ctx.rules.cc_gaps)
    else:
        req = cc_gaps.parse_parameters(await _json_body(ctx, request), ctx.rules.cc_gaps)
    if wants_async(request.headers.get("prefer")):  # Prefer: respond-async (RA-SPEC §2, REQ-051)
        return await bulk_routes.kickoff(request.app.state.bulk, request, req, ctx.base(request))
    return Answer(200, cc_gaps.evaluate(ctx.store, req, base=ctx.base(request), rules=ctx.rules.cc_gaps))


async def _risk_gap(ctx: _Context, request: Request) -> Answer:
    """$risk-gap (STU3 ballot, RA-SPEC §1.5): POST only; the answer is the Bundle itself."""
    body = await _json_body(ctx, request)
    req = risk_gap.parse(body, ctx.store, base=ctx.base(request), rules=ctx.rules.risk_gap,
                         context_id=request.headers.get(risk_gap.CONTEXT_ID_HEADER))
    return Answer(200, risk_gap.evaluate(ctx.store, req, base=ctx.base(request), rules=ctx.rules.risk_gap))


async def _submit_data(ctx: _Context, request: Request) -> Answer:
    return submit_data.submit(ctx.store, await _json_body(ctx, request), ctx.check)


async def _type_level(ctx: _Context, request: Request) -> Answer:
    rtype = request.path_params["type"]
    if request.method == "POST":
        return rest.create(ctx.store, rtype, await _json_body(ctx, request), ctx.base(request), ctx.check)
    rest.require_type(rtype)
    strict = "handling=strict" in request.headers.get("prefer", "").replace(" ", "")
    return Answer(200, search.search(ctx.store, rtype, list(request.query_params.multi_items()), base=ctx.base(request),
                                     rules=ctx.rules.search, strict=strict, group_expansion=ctx.group_expansion))


async def _instance(ctx: _Context, request: Request) -> Answer:
    rtype, rid = request.path_params["type"], request.path_params["id"]
    if rtype == "MeasureReport" and rid == "$risk-gap":  # POST only (Reference and Bundle parameters)
        raise FhirError(405, "not-supported", f"{request.method} is not allowed for {rid}", headers={"Allow": "POST"})
    if rtype == "MeasureReport" and rid[1:] in REPORT_STYLE_OPERATIONS and rid.startswith("$"):
        raise FhirError(405, "not-supported", f"{request.method} is not allowed for {rid}", headers={"Allow": "GET, POST"})
    rest.require_type(rtype)
    rest.require_id(rid)
    if request.method == "GET":
        return rest.read(ctx.store, rtype, rid, ctx.base(request))
    if request.method == "DELETE":
        return ctx.rules.interactions.delete(ctx.store, rtype, rid)
    if request.method == "PATCH":
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        body = await _json_body(ctx, request, allowed=(*BODY_MEDIA_TYPES, "application/json-patch+json"))
        return ctx.rules.interactions.patch(ctx.store, rtype, rid, body, media, ctx.base(request), ctx.check,
                                            if_match=request.headers.get("if-match"))
    return rest.update(ctx.store, rtype, rid, await _json_body(ctx, request), ctx.base(request), ctx.check,
                       if_match=request.headers.get("if-match"))


# -- plumbing ------------------------------------------------------------------------------------------


class _StripTrailingSlash:
    """Serve ``[base]/MeasureReport/?…`` (an IG example form) as ``[base]/MeasureReport?…``, not a redirect."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            scope = dict(scope, path=path.rstrip("/") or "/")
            if isinstance(scope.get("raw_path"), bytes):
                scope["raw_path"] = scope["raw_path"].rstrip(b"/") or b"/"
        await self.app(scope, receive, send)


async def _json_body(ctx: _Context, request: Request, allowed: tuple[str, ...] = BODY_MEDIA_TYPES) -> Any:
    """The request body as JSON: 415 for other media types, 413 when too large, 400 when not JSON."""
    ctype = request.headers.get("content-type")
    if ctype is not None and ctype.split(";", 1)[0].strip().lower() not in allowed:
        raise FhirError(415, "not-supported", f"Content-Type {ctype!r} is not supported; send {FHIR_JSON}")
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit():
        raise FhirError(400, "invalid", "Content-Length is not a number")
    too_large = FhirError(413, "too-costly", f"request body larger than {ctx.max_body} bytes")
    if int(declared) > ctx.max_body:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > ctx.max_body:
            raise too_large
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        raise FhirError(400, "required", "the request body is empty")
    try:
        return jsonio.loads(data)
    except jsonio.JsonError as exc:
        raise FhirError(400, "structure", f"the request body is not valid JSON: {exc}") from None


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        ctx: _Context = request.app.state.ctx
        try:
            _negotiate(request)
            answer = await ctx.variants.before(request) or await ctx.faults.before(request) or await handler(ctx, request)
        except FhirError as exc:
            answer = Answer(exc.status, exc.outcome, exc.headers)
        except Exception as exc:  # a bug, not bad input: still answer FHIR-shaped
            log.exception("unexpected error on %s %s", request.method, request.url.path)
            answer = Answer(500, operation_outcome(issue("fatal", "exception", f"internal error: {type(exc).__name__}")))
        answer = ctx.faults.after(request, ctx.variants.after(request, answer))
        return render(answer, pretty=request.query_params.get("_pretty") == "true")

    return endpoint


_XML_TYPES = ("xml", "text/xml", "application/xml", "application/fhir+xml")


def _negotiate(request: Request) -> None:
    """406 when the client asks only for XML (``_format`` or ``Accept``); anything else gets JSON."""
    fmt = request.query_params.get("_format", "").split(";", 1)[0].strip().lower()
    accept = [a.split(";", 1)[0].strip().lower() for a in request.headers.get("accept", "").split(",") if a.strip()]
    if fmt in _XML_TYPES or (accept and all(a in _XML_TYPES for a in accept)):
        raise FhirError(406, "not-supported", f"this server answers in {FHIR_JSON} only")


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Unknown route (404) or wrong method (405) from the router, as an OperationOutcome."""
    assert isinstance(exc, HTTPException)
    code = "not-found" if exc.status_code == 404 else "not-supported"
    text = f"{request.method} {request.url.path}: {exc.detail}"
    answer = Answer(exc.status_code, operation_outcome(issue("error", code, text)), dict(exc.headers or {}))
    ctx: _Context = request.app.state.ctx
    return render(ctx.faults.after(request, ctx.variants.after(request, answer)))


def render(answer: Answer, *, pretty: bool = False) -> Response:
    """The answer as FHIR JSON (its own Content-Type header, if it carries one, wins)."""
    media = f"{FHIR_JSON}; charset=utf-8"
    if answer.body is None:  # no body (a variant's Prefer: return=minimal answer)
        return Response(status_code=answer.status, headers=answer.headers)
    return Response(jsonio.dumps(answer.body, pretty=pretty), status_code=answer.status, headers=answer.headers, media_type=media)
