"""The catalogue of legal variations: one line per variant, its record and behaviour live in its module."""

from __future__ import annotations

from . import capability, entries, instants, minimal_return, outcomes, paging, patching, transactions, transport
from .base import Variant

_CATALOGUE: tuple[Variant, ...] = (
    paging.GETPAGES_LINKS,
    paging.SHORT_PAGES,
    paging.NO_TOTAL,
    entries.NO_MATCH_MODE,
    entries.REVERSED_ENTRIES,
    outcomes.SEARCH_OUTCOME_NOTE,
    patching.JSON_PATCH_ONLY,
    instants.INSTANT_PERIOD_SEARCH,
    transactions.TRANSACTIONS_CAPPED,
    capability.MINIMAL_CAPABILITY,
    minimal_return.MINIMAL_RETURN,
    transport.GZIP,
    transport.CHUNKED,
)

VARIANTS: dict[str, Variant] = {v.name: v for v in _CATALOGUE}
