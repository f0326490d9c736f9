"""Client checks of the remark scenario (RA-SPEC §6.2, REQ-200..REQ-204, REQ-148..REQ-150, REQ-170): the report
after the client's PATCH, PUT or transaction differs from the payer's report only by added ccRemarks."""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from ..checks.findings import Finding, error, warning
from ..ig import SD
from ..server.errors import FhirError
from ..server.patch import JSON_PATCH, apply_fhirpath_patch, apply_json_patch
from ..validation import Validator
from .judge_base import Check, Observed, describe, headers_findings, media
from .recorder import Recorded

CC_REMARK = SD + "ra-ccRemark"
PATCH_PROFILE = SD + "ra-parameters-cc-remark-patch"
MAX_DIFFS = 8
MAX_DEPTH = 32  # FHIR resources are far shallower; deeper hostile nesting is compared whole


@lru_cache(maxsize=4)
def validator(version: str) -> Validator:
    return Validator(version)


def remark_requests(obs: Observed) -> list[Recorded]:
    rid = obs.ids.report
    out = [r for r in obs.records if r.method in ("PUT", "PATCH") and r.path == f"/MeasureReport/{rid}"]
    out += [r for r in obs.records if r.method == "POST" and r.path == "/" and _report_in_bundle(r, rid) is not None]
    return out


def _report_in_bundle(r: Recorded, rid: str) -> dict[str, Any] | None:
    body = r.json
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        return None
    for e in _list(body.get("entry")):
        res = e.get("resource") if isinstance(e, dict) else None
        if isinstance(res, dict) and res.get("resourceType") == "MeasureReport" and res.get("id") == rid:
            return res
    return None


def result_of(obs: Observed, r: Recorded) -> tuple[dict[str, Any] | None, str | None]:
    """The report as the client's request leaves it (a PATCH applied to the snapshot), or why it cannot be had."""
    if obs.snapshot is None:
        return None, "the report to remark was not found on the server"
    if r.method == "PATCH":
        try:
            if media(r.header("content-type")) == JSON_PATCH:
                return apply_json_patch(copy.deepcopy(obs.snapshot), r.json), None
            return apply_fhirpath_patch(obs.snapshot, r.json), None
        except FhirError as exc:
            return None, f"the patch cannot be applied to the report: {exc}"
    body = r.json if r.method == "PUT" else _report_in_bundle(r, obs.ids.report)
    if not isinstance(body, dict) or body.get("resourceType") != "MeasureReport":
        return None, "the body is not a MeasureReport"
    return body, None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _remarks(group: Any) -> list[Any]:
    exts = _list(group.get("extension")) if isinstance(group, dict) else []
    return [e for e in exts if isinstance(e, dict) and e.get("url") == CC_REMARK]


def _without_remarks(report: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(report)
    meta = out.pop("meta", None)
    meta = {k: v for k, v in meta.items() if k not in ("versionId", "lastUpdated")} if isinstance(meta, dict) else meta
    if meta:
        out["meta"] = meta
    for g in _list(out.get("group")):
        if isinstance(g, dict) and isinstance(g.get("extension"), list):
            g["extension"] = [e for e in g["extension"] if not (isinstance(e, dict) and e.get("url") == CC_REMARK)]
            if not g["extension"]:
                del g["extension"]
    return out


def differences(before: Any, after: Any, path: str = "MeasureReport", depth: int = 0) -> list[str]:
    """Paths where two JSON values differ (below MAX_DEPTH a differing subtree is reported as one change)."""
    if depth < MAX_DEPTH and isinstance(before, dict) and isinstance(after, dict):
        out = []
        for k in sorted(set(before) | set(after)):
            if k not in after:
                out.append(f"{path}.{k} removed")
            elif k not in before:
                out.append(f"{path}.{k} added")
            else:
                out += differences(before[k], after[k], f"{path}.{k}", depth + 1)
        return out
    if depth < MAX_DEPTH and isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{path}: {len(before)} → {len(after)} items"]
        return [d for n, (b, a) in enumerate(zip(before, after, strict=True)) for d in differences(b, a, f"{path}[{n}]", depth + 1)]
    return [] if before == after else [f"{path}: {_short(before)} → {_short(after)}"]


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def added_remarks(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    old = {g.get("id"): _remarks(g) for g in _list(before.get("group")) if isinstance(g, dict)}
    out: dict[str, list[Any]] = {}
    for g in _list(after.get("group")):
        if isinstance(g, dict):
            new = [e for e in _remarks(g) if e not in old.get(g.get("id"), [])]
            if new:
                out[str(g.get("id"))] = new
    return out


def _only_remarks(obs: Observed) -> list[Finding]:
    """REQ-201 (and REQ-200 for a status): nothing but ccRemarks on groups changes."""
    out: list[Finding] = []
    for r in remark_requests(obs):
        after, why = result_of(obs, r)
        if after is None:
            out.append(error(why or "no resulting report", reqs="REQ-201", where=describe(r)))
            continue
        diffs = differences(_without_remarks(obs.snapshot or {}), _without_remarks(after))
        if diffs:
            status = any(d.startswith("MeasureReport.status") or "evidenceStatus" in d for d in diffs)
            out.append(error("the client changed the payer's report beyond adding ccRemarks", reqs=("REQ-201", "REQ-200") if status else ("REQ-201",),
                             expected="only ra-ccRemark extensions added to groups",
                             actual="; ".join(diffs[:MAX_DIFFS]) + (f"; … +{len(diffs) - MAX_DIFFS}" if len(diffs) > MAX_DIFFS else ""),
                             where=describe(r)))
    return out


def _patch_profile(obs: Observed) -> list[Finding] | None:
    """REQ-148..REQ-150, REQ-204: a remark PATCH is a FHIRPath Patch conforming to ra-parameters-cc-remark-patch."""
    patches = [r for r in remark_requests(obs) if r.method == "PATCH"]
    if not patches:
        return None  # the client used PUT or a transaction (REQ-202/REQ-203): nothing to judge here
    out: list[Finding] = []
    groups = {g.get("id") for g in _list((obs.snapshot or {}).get("group")) if isinstance(g, dict)}
    for r in patches:
        out += headers_findings(r, ("REQ-204",), body_expected=True)
        if media(r.header("content-type")) == JSON_PATCH:
            out.append(warning("a JSON Patch: the IG's remark PATCH is a FHIRPath Patch (ra-parameters-cc-remark-patch)", reqs="REQ-204",
                               where=describe(r)))
            continue
        for issue in validator(obs.ig_version).validate(r.json, PATCH_PROFILE):
            if issue.failing:
                req = issue.rule if issue.rule.startswith("REQ-") else ("REQ-149" if issue.rule == "ra-3" else "REQ-148")
                out.append(error(f"{issue.location}: {issue.message} [{issue.rule}]", reqs=req, where=describe(r)))
        for path in _patch_paths(r.json):
            if path.startswith(GROUP_PATH):
                gid = path[len(GROUP_PATH):].split("'", 1)[0]
                if gid not in groups:
                    out.append(error(f"the path addresses a group the report does not have ({gid!r})", reqs="REQ-149", where=describe(r)))
    return out


GROUP_PATH = "MeasureReport.group.where(id='"


def _patch_paths(body: Any) -> list[str]:
    """The `path` part of every operation of a FHIRPath Patch body (whatever shape the client sent)."""
    params = body.get("parameter") if isinstance(body, dict) else None
    out = []
    for p in params if isinstance(params, list) else []:
        parts = p.get("part") if isinstance(p, dict) else None
        for x in parts if isinstance(parts, list) else []:
            if isinstance(x, dict) and x.get("name") == "path" and isinstance(x.get("valueString"), str):
                out.append(x["valueString"])
    return out


def _remark_valid(obs: Observed) -> list[Finding]:
    """REQ-170..REQ-174: at least one ccRemark is added, and the added remarks are valid (ra-2: an author)."""
    out: list[Finding] = []
    for r in remark_requests(obs):
        after, _ = result_of(obs, r)
        if after is None or obs.snapshot is None:
            continue  # reported by the REQ-201 check
        if not added_remarks(obs.snapshot, after):
            out.append(error("no ccRemark was added to any group", reqs="REQ-170", where=describe(r)))
            continue
        v = validator(obs.ig_version)
        known = {(i.location, i.rule) for i in v.validate(obs.snapshot)}
        for issue in v.validate(after):
            if issue.failing and (issue.location, issue.rule) not in known:
                req = issue.rule if issue.rule.startswith("REQ-") else "REQ-170"
                out.append(error(f"{issue.location}: {issue.message} [{issue.rule}]", reqs=req, where=describe(r)))
    return out


def _remarked(obs: Observed) -> bool:
    return bool(remark_requests(obs))


REMARK_CHECKS = (
    Check("test_req_201_only_ccremarks_change", "the report changes only by ccRemarks added to groups (no status, no group lost)",
          ("REQ-201", "REQ-200"), _only_remarks, _remarked),
    Check("test_req_148_150_remark_patch_parameters", "a remark PATCH conforms to ra-parameters-cc-remark-patch (ra-3, url, parts)",
          ("REQ-148", "REQ-149", "REQ-150", "REQ-204"), _patch_profile, _remarked),
    Check("test_req_170_added_remark_is_valid", "at least one ccRemark is added and it names an author (ra-2)",
          ("REQ-170",), _remark_valid, _remarked),
)
