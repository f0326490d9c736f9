"""JSON in and out, fast (orjson) and never raising anything but JsonError on bad input."""

from __future__ import annotations

import json
from typing import Any

import orjson


class JsonError(ValueError):
    """Input is not well-formed JSON (or too big to hold once parsed); the message says where."""


# Memory bound of one parsed document, whatever a server sends (issue 12): parsed JSON costs far more than its
# text (a 48 MB Bundle of 1,000,000 tiny entries ~570 MB as Python objects). Counted on the raw text before
# parsing (an upper bound: braces and commas inside strings count too). Far above any real FHIR answer.
MAX_CONTAINERS = 500_000  # objects and arrays ('{' + '[')
MAX_SEPARATORS = 3_000_000  # ',' — elements and members


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    _check_size(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise JsonError(str(exc)) from None


def _check_size(data: bytes | bytearray | memoryview | str) -> None:
    if len(data) < 1_000_000:  # below this, nothing can exceed the limits' memory
        return
    raw = data.encode("utf-8", errors="surrogatepass") if isinstance(data, str) else bytes(data) if isinstance(data, memoryview) else data
    containers = raw.count(b"{") + raw.count(b"[")
    if containers > MAX_CONTAINERS:
        raise JsonError(f"too many JSON objects and arrays to hold ({containers:,} > {MAX_CONTAINERS:,})")
    separators = raw.count(b",")
    if separators > MAX_SEPARATORS:
        raise JsonError(f"too many JSON values to hold ({separators:,} > {MAX_SEPARATORS:,})")


def dumps(obj: Any, *, pretty: bool = False) -> bytes:
    """orjson; what it refuses (nesting past 254 levels, integers past 64 bits — a hostile server's JSON) goes
    through the standard library; JsonError when neither can (e.g. nesting past Python's recursion limit)."""
    option = orjson.OPT_INDENT_2 if pretty else 0
    try:
        return orjson.dumps(obj, option=option)
    except orjson.JSONEncodeError:
        pass
    try:
        return json.dumps(obj, ensure_ascii=False, indent=2 if pretty else None, allow_nan=False,
                          separators=None if pretty else (",", ":")).encode("utf-8", errors="surrogatepass")
    except (RecursionError, TypeError, ValueError) as exc:
        raise JsonError(f"not serialisable as JSON ({type(exc).__name__}: {exc})") from None


def kept(data: bytes) -> bytes:
    """A right-sized copy of serialised JSON, for a cache that keeps it: orjson (3.12+) returns bytes whose
    allocation is rounded up (at least 4 KiB, even for ``{"a":1}``), so each kept result would hold that much —
    a memo of 50,000 keys ~200 MB (issue 10, flat memory). A lookup key need not be copied: it dies at once."""
    return b"".join((data, b""))  # a new object of exactly len(data) (`bytes(data)` returns data itself)


def dumps_str(obj: Any, *, pretty: bool = False) -> str:
    return dumps(obj, pretty=pretty).decode("utf-8")
