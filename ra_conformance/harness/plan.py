"""The test plan: for each collected test, whether it runs and why — decided before any test request.

Selection: SHALL items always run (absent -> the test fails, never skips). SHOULD/MAY items run when the target
declares them, else skip with the reason. A forced `--operation` counts as a declaration of the coding-gap
operation (the user says the server has it).

Inputs: the test's markers (req, capability, ig_versions, kit), the IG's expectations (ra_conformance.ig.capabilities),
the target's /metadata declarations, and whether the fixture kit is loaded on the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from ..declarations import Declarations
from ..hints import base_url_hint
from ..ig import versions
from ..ig.capabilities import CODING_GAP_OPERATION, GROUP_EXPANSION, MAY, SHALL, expectation

if TYPE_CHECKING:
    from .target import Target


@dataclass(frozen=True)
class Decision:
    run: bool
    reason: str  # why it runs or why it is skipped


def decide(item: str, version: str, decl: Declarations, *, forced: frozenset[str] = frozenset()) -> Decision:
    exp = expectation(version, item)
    label = versions.get(version).label
    declared = item in forced or decl.declares(item)
    if exp.conditional_on and not decl.declares(f"{exp.conditional_on}:resource"):
        return Decision(False, f"target does not support {exp.conditional_on}; IG {label}: MAY (then {item} is {exp.level})")
    if exp.level == SHALL:
        return Decision(True, f"IG {label} {exp.statement}: SHALL")
    if declared:
        return Decision(True, f"declared by the target; IG {label}: {exp.level}")
    note = " (2.1.0 and later retrieve reports by search)" if item == CODING_GAP_OPERATION and exp.level == MAY else ""
    if item == GROUP_EXPANSION:
        note = " (not base FHIR: declared by the search-subject-group-expansion extension on `subject`)"
    return Decision(False, f"target does not declare {item}; IG {label}: {exp.level}{note}")


KIT_SUITE_HINT = "run `ra-conform fixtures load --target URL` or `ra-conform run --load-fixtures`"


@dataclass(frozen=True)
class PlanEntry:
    nodeid: str
    reqs: tuple[str, ...]
    run: bool
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"nodeid": self.nodeid, "reqs": list(self.reqs), "run": self.run, "reason": self.reason}


def needed_capabilities(item: pytest.Item) -> list[str]:
    """The IG CapabilityStatement items a test depends on: `ra_needs(capability=...)` (and the older `capability(...)`)."""
    out: list[str] = []
    for mark in item.iter_markers("ra_needs"):
        value = mark.kwargs.get("capability")
        out.extend([value] if isinstance(value, str) else list(value or ()))
    for mark in item.iter_markers("capability"):
        out.extend(mark.args)
    return out


def needs_kit(item: pytest.Item) -> bool:
    """The test needs the fixture kit on the target: `ra_needs(kit=True)` (or the older `kit` marker)."""
    return any(m.kwargs.get("kit") for m in item.iter_markers("ra_needs")) or item.get_closest_marker("kit") is not None


def plan_entry(item: pytest.Item, ctx: Target) -> PlanEntry:
    reqs = tuple(a for m in item.iter_markers("req") for a in m.args)
    existing = next(iter(item.iter_markers("skip")), None)
    if existing is not None:
        return PlanEntry(item.nodeid, reqs, False, str(existing.kwargs.get("reason", existing.args[0] if existing.args else "skipped")))
    versions = next(iter(item.iter_markers("ig_versions")), None)
    if versions is not None and ctx.ig_version not in versions.args:
        return PlanEntry(item.nodeid, reqs, False, f"applies to IG {', '.join(versions.args)} only (this run: {ctx.ig_version})")
    forced = frozenset({CODING_GAP_OPERATION}) if ctx.settings.operation else frozenset()
    reasons = []
    for capability in needed_capabilities(item):
        decision = decide(capability, ctx.ig_version, ctx.declarations, forced=forced)
        if not decision.run:
            return PlanEntry(item.nodeid, reqs, False, decision.reason)
        reasons.append(decision.reason)
    smart = item.get_closest_marker("smart")
    if smart is not None:
        skipped = smart_skip(ctx, needs=smart.kwargs.get("needs"))
        if skipped:
            return PlanEntry(item.nodeid, reqs, False, skipped)
        reasons.append(str(ctx.smart_declared))
    if needs_kit(item) and ctx.missing_kit_patients:
        hint = base_url_hint(ctx.settings.target or "", ctx.metadata_response.status)
        if hint:  # nothing answers there: not a missing kit, a wrong base URL
            return PlanEntry(item.nodeid, reqs, False, hint)
        shown = ", ".join(ctx.missing_kit_patients[:3]) + (" …" if len(ctx.missing_kit_patients) > 3 else "")
        return PlanEntry(item.nodeid, reqs, False, f"the fixture kit is not loaded on the target ({shown} not found): {KIT_SUITE_HINT}")
    return PlanEntry(item.nodeid, reqs, True, "; ".join(reasons) or "always")


def smart_skip(ctx: Target, *, needs: str | None) -> str | None:
    """Why a SMART test cannot run (None: it runs): the target uses no SMART, or the run lacks the client
    credentials the test needs (`needs="client"`: any, `"key"`: a SMART Backend Services key)."""
    if ctx.smart_declared is None:
        return ("the target declares no SMART security in /metadata and serves no .well-known/smart-configuration "
                "(REQ-006: SMART Backend Services are recommended, SHOULD)")
    if needs == "key" and ctx.settings.smart_key is None:
        return "needs the run's SMART Backend Services client: pass --smart-client-id and --smart-key"
    if needs == "client" and ctx.auth is None:
        return "needs the run's client credentials: pass --smart-client-id with --smart-key or --client-secret"
    return None
