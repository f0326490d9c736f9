"""Clean subtrees remembered by their JSON: a resource's top-level element that walked clean once is clean
again, wherever it appears (coded groups, periods, codes, names and identifiers recur across the reports
and resources of a run).

Only subtrees whose verdict depends on nothing but their own JSON are remembered: no issue at all, no
literal reference (its check reads the contained resources and the Bundle's fullUrls), no resource
inside, no invariant that reads %resource (structure.py counts these as ``ctx.tainted``); a Reference is
remembered less its reference string (reference_key), its reference checked each time. The extension
occurrences the walk collected inside a subtree are remembered relative to it and replayed, so the
extension checks (extensions.py) still see every extension — unless those checks already found every
extension of the subtree clean at the same element path under the same IG version (``Entry.clean``):
then the subtree's extensions are not replayed at all. A subtree is remembered when met clean a second
time (``again``): remembering costs more than one walk. Memory is bounded: the JSON kept (right-sized copies,
jsonio.kept) plus each entry's Python overhead, which is as large as the JSON of a typical subtree.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from ra_conformance.jsonio import kept
from ra_conformance.validation.jsonkey import lookup_key, storable

_LIMIT_BYTES = 8_000_000
# beyond the JSON (measured with tracemalloc, tests/validation/test_memo_memory.py):
_ONCE_BYTES = 120  # a subtree met once: key tuple, bytes header, set slot
_ENTRY_BYTES = 450  # a remembered one: key tuple, bytes header, dict slot, Entry and its empty set
_OCCURRENCE_BYTES = 300  # an extension occurrence in it: the tuple and its three location strings
_STEP = re.compile(r"\.([^.\[]+)(?:\[(\d+)\])?")


class Occurrence(NamedTuple):
    """One extension inside a remembered subtree, relative to the subtree's root."""

    steps: tuple[tuple[str, int | None], ...]  # keys (and array indices) from the root to the extension
    loc: str  # location suffix of the extension
    host: str  # location suffix of its host element
    epath: str  # element path suffix of its host element
    json: bytes | None  # the extension's JSON, when the walk serialised it


class Entry:
    """A remembered subtree: its extension occurrences, and where the extension checks found them all clean."""

    __slots__ = ("clean", "key", "occurrences")

    def __init__(self, key: bytes, occurrences: tuple[Occurrence, ...]) -> None:
        self.key = key  # the subtree's JSON
        self.occurrences = occurrences
        self.clean: set[tuple[str, str]] = set()  # (IG version, element path of the subtree)


_SEEN: dict[tuple[str, bytes], Entry] = {}
_ONCE: set[tuple[str, bytes]] = set()  # clean subtrees met once: remembered when met again
_size = 0


def key_of(code: str, value: dict[str, Any]) -> tuple[str, bytes] | None:
    """The memo key of a subtree (None: such a subtree is never remembered; one holding null is never
    found, see jsonkey.py)."""
    data = lookup_key(value)
    return (code, data) if data is not None else None


def reference_key(value: dict[str, Any]) -> tuple[str, bytes] | None:
    """The memo key of a Reference whose ``reference`` is a string, that string left out: a report's
    evidence references differ in their target only, which structure.py checks on its own every time."""
    masked = dict(value)
    masked["reference"] = ""
    data = lookup_key(masked)
    return ("Reference less its reference", data) if data is not None else None


def recall(key: tuple[str, bytes]) -> Entry | None:
    return _SEEN.get(key)


@lru_cache(maxsize=4_096)
def _steps(suffix: str) -> tuple[tuple[str, int | None], ...]:
    return tuple((m.group(1), int(m.group(2)) if m.group(2) is not None else None) for m in _STEP.finditer(suffix))


def again(key: tuple[str, bytes]) -> bool:
    """Is this clean subtree met for the second time? (Remembering costs more than one walk: a subtree
    that never recurs, such as a report's own group, is not worth it.)"""
    global _size
    if key in _ONCE:
        return True
    if not storable(key[1]):  # never remembered (jsonkey.py): never met again
        return False
    cost = len(key[1]) + _ONCE_BYTES
    if _size + cost > _LIMIT_BYTES:
        forget()
    _ONCE.add((key[0], kept(key[1])))
    _size += cost
    return False


def remember(key: tuple[str, bytes], loc: str, epath: str,
             found: list[tuple[dict[str, Any], str, str, str, dict[str, Any], str]],
             ext_json: dict[int, bytes]) -> Entry:
    """Keep a clean subtree with the extension occurrences its walk collected (absolute -> relative)."""
    global _size
    occurrences = tuple(Occurrence(_steps(occ_loc[len(loc):]), occ_loc[len(loc):], host[len(loc):],
                                   host_epath[len(epath):], kept(data) if (data := ext_json.get(id(ext))) else None)
                        for ext, occ_loc, host, host_epath, _, _ in found)
    cost = len(key[1]) + _ENTRY_BYTES + sum(_OCCURRENCE_BYTES + len(o.json or b"") for o in occurrences)
    if _size + cost > _LIMIT_BYTES:
        forget()
    data = kept(key[1])
    entry = _SEEN[(key[0], data)] = Entry(data, occurrences)
    _size += cost
    return entry


def replay(value: dict[str, Any], occurrences: tuple[Occurrence, ...], loc: str, epath: str,
           resource: dict[str, Any], label: str,
           out: list[tuple[dict[str, Any], str, str, str, dict[str, Any], str]], ext_json: dict[int, bytes]) -> None:
    """The extension occurrences of a remembered subtree, at its new place."""
    for occ in occurrences:
        node: Any = value
        for name, index in occ.steps:
            node = node[name] if index is None else node[name][index]
        out.append((node, loc + occ.loc, loc + occ.host, epath + occ.epath, resource, label))
        if occ.json is not None:
            ext_json[id(node)] = occ.json


def forget() -> None:
    """Drop every remembered subtree (tests compare cold and warm verdicts)."""
    global _size
    _SEEN.clear()
    _ONCE.clear()
    _size = 0
