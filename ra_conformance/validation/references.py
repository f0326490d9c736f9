"""Reading the target type out of a Reference (R4 references.html) without resolving it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from ra_conformance.validation import tables

# [base/]Type/id[/_history/vid] — the R4 literal-reference form.
_LITERAL = re.compile(
    r"^(?:(?:https?://\S*/)?)([A-Z][A-Za-z]+)/([A-Za-z0-9\-\.]{1,64})(?:/_history/[A-Za-z0-9\-\.]{1,64})?$"
)


def target_type(reference: str, contained: Mapping[str, str | None] | None = None,
                full_urls: dict[str, str] | None = None) -> str | None:
    """Resource type a literal reference points at, or None when it cannot be told offline.

    ``contained`` maps contained ids to types (for ``#id``); ``full_urls`` maps Bundle fullUrls to
    the types of their resources (for ``urn:uuid:`` and absolute references inside a Bundle).
    """
    if reference.startswith("#"):
        return (contained or {}).get(reference[1:])
    if full_urls and reference in full_urls:
        return full_urls[reference]
    return parse_reference(reference)[1]


# relative literal, absolute URL, urn:uuid / urn:oid, or local '#id' (R4 references.html#literal)
_WELL_FORMED = re.compile(
    r"^(#\S*|urn:(uuid|oid):\S+|[A-Za-z][A-Za-z0-9+.\-]*://\S+|"
    r"[A-Z][A-Za-z]+/[A-Za-z0-9\-\.]{1,64}(/_history/[A-Za-z0-9\-\.]{1,64})?)$"
)


_TYPES = frozenset(tables.load()["resources"])  # R4 resource types: each matches _LITERAL's [A-Z][A-Za-z]+


def parse_reference(reference: str) -> tuple[bool, str | None]:
    """parsed() without its memo (nor a regular expression) for the commonest shape, a relative ``Type/id``
    naming an R4 type: each patient's evidence references are met once in a bulk run, where the memo only
    churns. The id test is _LITERAL's [A-Za-z0-9\\-\\.]{1,64} (any other string goes to parsed())."""
    rtype, _, rid = reference.partition("/")  # no slash: rid is empty
    if (rtype in _TYPES and 0 < len(rid) <= 64 and rid.isascii()
            and rid.replace("-", "").replace(".", "").isalnum()):
        return True, rtype
    return parsed(reference)


@lru_cache(maxsize=8_192)
def parsed(reference: str) -> tuple[bool, str | None]:
    """(well formed, type of a [base/]Type/id literal) of a reference string; memoised (bounded), as the same
    references recur across the resources of a run."""
    match = _LITERAL.match(reference)
    if match:  # a [http(s)://base/]Type/id literal is one of the well-formed shapes
        return True, match.group(1)
    return bool(_WELL_FORMED.match(reference)), None


def is_well_formed(reference: str) -> bool:
    """A literal reference in one of the R4 forms (relative, absolute, urn, local)."""
    return parsed(reference)[0]


def is_local_unresolved(reference: str, contained: Mapping[str, str | None]) -> bool:
    """ref-1: a local reference ('#id') must name a contained resource ('#' alone: the container)."""
    return reference.startswith("#") and reference != "#" and reference[1:] not in contained
