"""Transport variations: gzip-encoded answers (when the client accepts gzip) and chunked answers."""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .base import Behaviour, Variant

CHUNK = 512  # bytes per chunk of a chunked answer


class Gzip(Behaviour):
    def asgi(self, app: ASGIApp) -> ASGIApp:
        return GZipMiddleware(app, minimum_size=0)


class Chunked(Behaviour):
    """Every answer without Content-Length, its body in CHUNK-byte pieces (HTTP/1.1 Transfer-Encoding: chunked)."""

    def asgi(self, app: ASGIApp) -> ASGIApp:
        async def chunked(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def send_chunks(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
                    await send({**message, "headers": headers})
                elif message["type"] == "http.response.body":
                    body, more = message.get("body", b""), message.get("more_body", False)
                    pieces = [body[i:i + CHUNK] for i in range(0, len(body), CHUNK)] or [b""]
                    for n, piece in enumerate(pieces):
                        await send({"type": "http.response.body", "body": piece, "more_body": more or n < len(pieces) - 1})
                else:
                    await send(message)

            await app(scope, receive, send_chunks)

        return chunked


GZIP = Variant(
    "gzip",
    "answers are gzip-encoded (Content-Encoding: gzip) whenever the request accepts gzip",
    "R4 http.html#compression (HTTP RFC 9110 content coding): servers may compress when the client accepts it",
    Gzip,
)
CHUNKED = Variant(
    "chunked",
    "answers carry no Content-Length and are sent with Transfer-Encoding: chunked, in small pieces",
    "HTTP/1.1 (RFC 9112 §7.1) chunked transfer coding; R4 puts no constraint on it",
    Chunked,
)
