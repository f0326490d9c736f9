"""Top-level items a profile's checks found clean, remembered by their JSON (profiles.py): a report's groups
recur verbatim across the reports of a run and across validations of the same report.

A profile check is local to a top-level element (``MeasureReport.group``) when everything it judges under
that element depends on nothing but the item's own JSON: cardinalities, fixed values and bindings below it,
closed or open extension slicing below it, and invariants below it that do not read ``%resource``. A
reference target check below it reads the contained resources and the Bundle's fullUrls, so such an
element is never local. An item (one ``group`` entry) whose local checks gave no issue is clean again
wherever it appears under the same profile of the same IG version: its checks are skipped. Only items
the structure memo holds (subtrees.py: clean, met more than once) and a resource's own extensions
(whose JSON the walk has: structure.py) are considered. Memory is bounded
(total JSON bytes kept).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ra_conformance.jsonio import kept

_LIMIT_BYTES = 4_000_000
_CLEAN: set[tuple[int, str, str, bytes]] = set()  # (plan id, IG version, top-level element, item JSON)
_size = 0


class Pending(NamedTuple):
    """An item checked this time: remembered afterwards if no issue was reported inside it."""

    key: tuple[int, str, str, bytes]
    loc: str  # the item's location


def split(plan_id: int, version: str, resource: dict[str, Any], rloc: str, local: tuple[str, ...],
          known: dict[int, bytes]) -> tuple[set[int], list[Pending]]:
    """(ids of the items known clean: skip them, the items to check and then settle)."""
    skip: set[int] = set()
    pending: list[Pending] = []
    for name in local:
        value = resource.get(name)
        if value.__class__ is list:
            items = enumerate(value)
        elif value.__class__ is dict:
            items = enumerate((value,))
        else:
            continue
        for i, item in items:
            if item.__class__ is not dict:
                continue
            data = known.get(id(item))
            if data is None:  # items the structure memo does not hold (met once, or not clean) are not either
                continue
            key = (plan_id, version, name, data)
            if key in _CLEAN:
                skip.add(id(item))
            else:
                pending.append(Pending(key, f"{rloc}.{name}[{i}]" if value.__class__ is list else f"{rloc}.{name}"))
    return skip, pending


def settle(pending: list[Pending], reported: list[str]) -> None:
    """Remember the pending items no reported location falls inside."""
    global _size
    for key, loc in pending:
        if any(r == loc or r.startswith((loc + ".", loc + "[")) for r in reported):
            continue
        if _size + len(key[3]) > _LIMIT_BYTES:
            forget()
        _CLEAN.add((*key[:3], kept(key[3])))  # a resource's extension comes as the walk serialised it
        _size += len(key[3])


def forget() -> None:
    """Drop every remembered item (tests and benchmarks compare cold and warm verdicts)."""
    global _size
    _CLEAN.clear()
    _size = 0
