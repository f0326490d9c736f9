"""Paging variations of a searchset (R4 http.html#paging, search.html#count, bundle.html#Bundle.total)."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from ..rest import Answer
from .base import Behaviour, Call, Variant, is_searchset

SHORT_PAGE = 2  # entries per page the short-pages variant serves, whatever _count asks
MAX_TOKENS = 10_000  # paging tokens the getpages-links variant remembers (the oldest are forgotten)


class GetpagesLinks(Behaviour):
    """Next/previous links of the form ``[base]?_getpages=ID&_getpagesoffset=N&_count=M`` (as a widely used Java
    server writes them); the ASGI side turns such a request back into the search it stands for."""

    def __init__(self) -> None:
        self._queries: OrderedDict[str, tuple[str, str]] = OrderedDict()  # token -> (path, query without paging)

    def after(self, call: Call, answer: Answer) -> Answer:
        if not is_searchset(answer.body):
            return answer
        for link in answer.body.get("link", []):
            if link.get("relation") in ("next", "previous"):
                link["url"] = self._opaque(link["url"])
        return answer

    def _opaque(self, url: str) -> str:
        parts = urlsplit(url)
        items = parse_qsl(parts.query, keep_blank_values=True)
        paging = {k: v for k, v in items if k in ("_count", "_offset")}
        query = urlencode([(k, v) for k, v in items if k not in ("_count", "_offset")])
        base, _, rtype = parts.path.rpartition("/")
        token = uuid.uuid5(uuid.NAMESPACE_URL, f"{rtype}?{query}").hex
        self._queries[token] = (f"/{rtype}", query)
        self._queries.move_to_end(token)
        while len(self._queries) > MAX_TOKENS:
            self._queries.popitem(last=False)
        origin = f"{parts.scheme}://{parts.netloc}{base}"
        return f"{origin}?" + urlencode([("_getpages", token), ("_getpagesoffset", paging.get("_offset", "0")),
                                         ("_count", paging.get("_count", "")), ("_bundletype", "searchset")])

    def asgi(self, app: ASGIApp) -> ASGIApp:
        async def rewritten(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope.get("path") in ("", "/") and scope.get("method") == "GET":
                items = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
                if "_getpages" in items:
                    path, query = self._queries.get(items["_getpages"], ("/_getpages-unknown", ""))
                    paging = urlencode([("_count", items.get("_count", "")), ("_offset", items.get("_getpagesoffset", "0"))])
                    qs = f"{query}&{paging}" if query else paging
                    scope = dict(scope, path=path, raw_path=path.encode(), query_string=qs.encode("latin-1"))
            await app(scope, receive, send)

        return rewritten


class ShortPages(Behaviour):
    """Pages of at most SHORT_PAGE matches, whatever ``_count`` asks (a server may return fewer, never more)."""

    def asgi(self, app: ASGIApp) -> ASGIApp:
        async def capped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope.get("method") == "GET" and scope.get("path", "").count("/") == 1:
                items = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
                         if k != "_count"]
                scope = dict(scope, query_string=urlencode([*items, ("_count", str(SHORT_PAGE))]).encode("latin-1"))
            await app(scope, receive, send)

        return capped


class NoTotal(Behaviour):
    """Searchsets without ``total`` (optional in R4)."""

    def after(self, call: Call, answer: Answer) -> Answer:
        if is_searchset(answer.body):
            answer.body.pop("total", None)
        return answer


GETPAGES_LINKS = Variant(
    "getpages-links",
    "next/previous links in the [base]?_getpages=ID&_getpagesoffset=N&_count=M style, served at the base",
    "R4 http.html#paging: paging links are opaque to the client, any URL the server chooses (same server)",
    GetpagesLinks,
)
SHORT_PAGES = Variant(
    "short-pages",
    f"every searchset page holds at most {SHORT_PAGE} matches, whatever _count asks",
    "R4 search.html#count: _count is a hint; the server may return fewer matches per page, never more",
    ShortPages,
)
NO_TOTAL = Variant(
    "no-total",
    "searchset Bundles carry no total",
    "R4 Bundle.total 0..1; search.html#total: the server may leave it out (_total=none is its default choice)",
    NoTotal,
)
