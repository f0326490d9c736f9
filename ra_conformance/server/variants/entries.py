"""Variations in how entries are laid out: search.mode on matches, and the order of entries and parameters."""

from __future__ import annotations

from ..rest import Answer
from .base import Behaviour, Call, Variant, bundles_in, is_searchset


class NoMatchMode(Behaviour):
    """Match entries without ``search`` (included entries keep ``search.mode = include``)."""

    def after(self, call: Call, answer: Answer) -> Answer:
        if is_searchset(answer.body):
            for entry in answer.body.get("entry", []):
                if entry.get("search", {}).get("mode") == "match":
                    del entry["search"]
        return answer


class ReversedEntries(Behaviour):
    """Every Bundle's entries and every Parameters' parameters in reverse order (includes before matches, the
    Patient last in a coding-gap Bundle)."""

    def after(self, call: Call, answer: Answer) -> Answer:
        body = answer.body
        if isinstance(body, dict) and body.get("resourceType") == "Parameters" and isinstance(body.get("parameter"), list):
            body["parameter"].reverse()
        for bundle in bundles_in(body):
            if isinstance(bundle.get("entry"), list) and bundle.get("type") in ("searchset", "collection"):
                bundle["entry"].reverse()
        return answer


NO_MATCH_MODE = Variant(
    "no-match-mode",
    "matched entries of a searchset carry no search.mode (included ones still say include)",
    "R4 Bundle.entry.search 0..1 (search.mode 0..1); only an included resource must say include (search.html#include)",
    NoMatchMode,
)
REVERSED_ENTRIES = Variant(
    "reversed-entries",
    "entries of every searchset and collection Bundle, and the parameters of every Parameters, in reverse order",
    "R4 search.html#sort: without _sort the order is the server's; no order is defined for collection entries or parameters",
    ReversedEntries,
)
