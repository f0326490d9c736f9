"""The retrieval flows of a run (RA-SPEC §1.6): which ones carry the content checks, and which were exercised.

A flow is how coding-gap reports are retrieved: MeasureReport ``search`` (SHALL in 2.1.0 and the STU3 ballot, MAY
in STU1), the `$report` family (``$report``/``$cc-gaps``/``$ra.cc-gaps``: SHALL in STU1, MAY later) and the STU3
ballot's ``$risk-gap``. The content and profile checks (REQ-029, REQ-1xx, REQ-003, REQ-119, REQ-124, REQ-189) judge
every flow the plan runs — as one of the flows is always SHALL, they always run. Reports name the flows the run
actually exercised, read from the HTTP exchanges it made.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..declarations import Declarations
from ..ig.capabilities import CODING_GAP_OPERATION, RISK_GAP_OPERATION
from .plan import decide

SEARCH_ITEM = "MeasureReport:search:period"  # the window search is the 2.1.0 retrieval (scenarios.SEARCH)
OPERATION, SEARCH, RISK_GAP = "operation", "search", "risk-gap"


def content_flows(version: str, decl: Declarations, *, operation_forced: bool = False) -> tuple[str, ...]:
    """The flows whose answers the content checks judge for a kit scenario (search first: the IG's own from
    2.1.0 on), as the plan decides them. `$risk-gap` answers kit cases of its own, judged by its suite."""
    forced = frozenset({CODING_GAP_OPERATION}) if operation_forced else frozenset()
    out = []
    if decide(SEARCH_ITEM, version, decl).run:
        out.append(SEARCH)
    if decide(CODING_GAP_OPERATION, version, decl, forced=forced).run:
        out.append(OPERATION)
    return tuple(out)


def planned_labels(version: str, decl: Declarations, operation_name: str, *, operation_forced: bool = False) -> list[str]:
    """The flows a run of this plan exercises, named as reports show them ('search', '$cc-gaps', '$risk-gap')."""
    labels = [SEARCH if k == SEARCH else f"${operation_name}"
              for k in content_flows(version, decl, operation_forced=operation_forced)]
    if decide(RISK_GAP_OPERATION, version, decl).run:
        labels.append("$risk-gap")
    return labels


def exercised_label(method: str, url: str, base_url: str) -> str | None:
    """The retrieval flow an HTTP exchange belongs to, if any: a GET on [base]/MeasureReport (search, and its
    next pages on the same path), or [base]/MeasureReport/$<operation>."""
    try:
        base_path = urlsplit(base_url).path.rstrip("/")
        path = urlsplit(url).path
    except ValueError:  # a URL a hostile server made up (e.g. an unclosed IPv6 bracket) belongs to no flow
        return None
    rel = path[len(base_path):] if path.startswith(base_path) else path
    rel = rel.strip("/")
    if rel == "MeasureReport" and method.upper() == "GET":
        return SEARCH
    if rel.startswith("MeasureReport/$"):
        name = rel.split("/", 1)[1]
        return name if "/" not in name else None
    return None


def ordered(labels: set[str] | list[str]) -> list[str]:
    """Search first, then operations in name order, `$risk-gap` last."""
    return sorted(set(labels), key=lambda x: (x != SEARCH, x == "$risk-gap", x))
