"""Rule paths (``MeasureReport.group.extension(url=X).valueCodeableConcept``) over plain dicts."""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple


class Segment(NamedTuple):
    name: str
    key: str | None  # filter: only list items whose child `key` equals `value`
    value: str | None


@cache
def compile_path(path: str) -> tuple[Segment, ...]:
    """Segments after the leading type name; filters are ``name(key=value)`` (value may hold dots)."""
    segments: list[Segment] = []
    i, n = 0, len(path)
    parts: list[str] = []
    depth, start = 0, 0
    while i < n:
        ch = path[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "." and depth == 0:
            parts.append(path[start:i])
            start = i + 1
        i += 1
    parts.append(path[start:])
    for part in parts[1:]:
        if "(" in part:
            name, _, rest = part.partition("(")
            key, _, value = rest[:-1].partition("=")
            segments.append(Segment(name, key, value))
        else:
            segments.append(Segment(part, None, None))
    return tuple(segments)


def children(node: dict[str, Any], seg: Segment, loc: str) -> list[tuple[Any, str]]:
    """The values of one segment under ``node`` with their locations (filter applied)."""
    value = node.get(seg.name)
    if value is None:
        return []
    key = seg.key
    if isinstance(value, list):
        return [(item, f"{loc}.{seg.name}[{i}]") for i, item in enumerate(value)
                if item is not None and (key is None or (isinstance(item, dict) and item.get(key) == seg.value))]
    if key is not None and not (isinstance(value, dict) and value.get(key) == seg.value):
        return []
    return [(value, f"{loc}.{seg.name}")]


def matches(node: dict[str, Any], seg: Segment) -> list[tuple[int | None, Any]]:
    """Like children() without building locations: (index or None, value)."""
    value = node.get(seg.name)
    if value is None:
        return []
    key = seg.key
    if value.__class__ is list:
        if key is None:
            return [(i, item) for i, item in enumerate(value) if item is not None]
        return [(i, item) for i, item in enumerate(value)
                if item.__class__ is dict and item.get(key) == seg.value]
    if key is not None and not (value.__class__ is dict and value.get(key) == seg.value):
        return []
    return [(None, value)]


def location(parent: str, seg: Segment, index: int | None) -> str:
    return f"{parent}.{seg.name}" if index is None else f"{parent}.{seg.name}[{index}]"


def select(node: Any, segments: tuple[Segment, ...], loc: str) -> list[tuple[Any, str]]:
    """Every node a path reaches from ``node`` (located at ``loc``)."""
    current = [(node, loc)]
    for seg in segments:
        nxt: list[tuple[Any, str]] = []
        for item, where in current:
            if isinstance(item, dict):
                nxt.extend(children(item, seg, where))
        if not nxt:
            return nxt
        current = nxt
    return current
