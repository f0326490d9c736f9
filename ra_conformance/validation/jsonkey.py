"""The memo key of a JSON value (every memo of the validator is keyed by the JSON of what it judged).

orjson writes NaN and ±Infinity (which Python's json module reads from non-JSON text) as ``null``, so a
value holding ``null`` could share its key with a different one: such values get no key and are never
remembered. So does a value past orjson's limits (255+ levels, integers past 64 bits, lone surrogates).
"""

from __future__ import annotations

from typing import Any

import orjson


def json_key(value: Any) -> bytes | None:
    """The value's JSON, or None when it cannot serve as a memo key."""
    try:
        data = orjson.dumps(value)
    except TypeError:
        return None
    return None if b"null" in data else data


def lookup_key(value: Any) -> bytes | None:
    """The value's JSON for looking a memo up (None: past orjson's limits). It may hold ``null``: a memo
    that stores only keys passing ``storable`` never finds such a key, so the search for ``null`` is paid
    when storing (rare) rather than on every look-up."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return None


def storable(data: bytes) -> bool:
    """May a key from ``lookup_key`` be stored? (not when it holds ``null``, see above)"""
    return b"null" not in data
