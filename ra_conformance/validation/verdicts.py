"""Whole-resource verdicts remembered by the resource's JSON (engine.Validator.validate): a run meets the
same resource again and again (read, search, the $report answer, a file validated twice), and its verdict
is a function of its JSON, the IG version and the profile asked for.

The issues of a resource without an id name it by its place in the input (``Type[#n]``): such a verdict
only serves the same place. A resource whose walk met one resource object twice (a Python caller sharing
a dict; JSON never does) is not remembered, since the profile assignment follows objects. Keys are the
resource's JSON; none holding null is kept (jsonkey.py). Serialising and hashing the resource costs a few
percent of a validation: after a long run of misses (every report of a bulk export is another patient's)
only one call in ``_GATE.every`` looks, until one hits again; a verdict is kept when its resource is validated a
second time. Memory is bounded (total JSON bytes).
"""

from __future__ import annotations

from typing import Any

import orjson

from ra_conformance.issues import Issue
from ra_conformance.jsonio import kept
from ra_conformance.validation.probing import Probing

_LIMIT_BYTES = 4_000_000
_ONCE_BYTES = 130  # a resource validated once, beyond its JSON: key tuple, bytes header, set slot
_LARGEST = 256_000  # larger resources (whole Bundles) are not remembered
_MOST_ISSUES = 200  # nor verdicts with more issues
_GATE = Probing(misses=32, every=16)

Key = tuple[str, str | None, bytes]
_SEEN: dict[Key, tuple[int | None, tuple[Issue, ...]]] = {}  # key -> (ordinal it serves or None: any, issues)
_ONCE: set[Key] = set()  # validated once: remembered when validated again
_size = 0


def key_of(version: str, profile: str | None, resource: Any) -> Key | None:
    """The memo key of a validation, or None when the memo is not consulted this time."""
    if resource.__class__ is not dict or not _GATE.looks():
        return None
    try:
        data = orjson.dumps(resource)
    except TypeError:  # past orjson's limits
        return None
    return (version, profile, data) if len(data) <= _LARGEST else None


def recall(key: Key, ordinal: int) -> list[Issue] | None:
    found = _SEEN.get(key)
    if found is None or (found[0] is not None and found[0] != ordinal):
        _GATE.miss()
        return None
    _GATE.hit()
    return list(found[1])


def remember(key: Key, ordinal: int, issues: list[Issue]) -> None:
    """Keep a verdict (the second time its key is met: a resource validated once is not worth more)."""
    global _size
    if _size + len(key[2]) + _ONCE_BYTES > _LIMIT_BYTES:
        forget()
    if key not in _ONCE:
        _ONCE.add((key[0], key[1], kept(key[2])))  # right-sized (jsonio.kept)
        _size += len(key[2]) + _ONCE_BYTES
        return
    if b"null" in key[2] or len(issues) > _MOST_ISSUES:  # null: NaN and Infinity are written so too (jsonkey.py)
        return
    placed = f"[#{ordinal}]"
    serves = ordinal if any(i.resource.endswith(placed) for i in issues) else None
    _SEEN[(key[0], key[1], kept(key[2]))] = (serves, tuple(issues))
    _size += len(key[2]) + _ONCE_BYTES


def forget() -> None:
    """Drop every remembered verdict (tests and benchmarks compare cold and warm verdicts)."""
    global _size
    _SEEN.clear()
    _ONCE.clear()
    _size = 0
    _GATE.forget()
