"""JSON in and out, fast (orjson) and never raising anything but JsonError on bad input."""

from __future__ import annotations

from typing import Any

import orjson


class JsonError(ValueError):
    """Input is not well-formed JSON; the message says where."""


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise JsonError(str(exc)) from None


def dumps(obj: Any, *, pretty: bool = False) -> bytes:
    option = orjson.OPT_INDENT_2 if pretty else 0
    return orjson.dumps(obj, option=option)


def dumps_str(obj: Any, *, pretty: bool = False) -> str:
    return dumps(obj, pretty=pretty).decode("utf-8")
