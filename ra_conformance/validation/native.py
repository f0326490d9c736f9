"""Python twins of our own (non-IG) FHIRPath rules, for speed; tests/validation prove each equal to the
FHIRPath text kept in the ig/ tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ra_conformance.ig import SD


def _ext_codes(node: dict[str, Any], url: str) -> set[Any]:
    codes = set()
    exts = node.get("extension")
    for ext in exts if isinstance(exts, list) else ():
        if isinstance(ext, dict) and ext.get("url") == url:
            value = ext.get("valueCodeableConcept")
            codings = value.get("coding") if isinstance(value, dict) else None
            for coding in codings if isinstance(codings, list) else ():
                if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                    codes.add(coding["code"])
    return codes


def _net_new_not_open(cc_url: str) -> Callable[[Any, dict[str, Any]], bool]:
    """REQ-121: a net-new CC is never open-gap."""
    def check(group: Any, _: dict[str, Any]) -> bool:
        if not isinstance(group, dict) or "net-new" not in _ext_codes(group, cc_url):
            return True
        return "open-gap" not in _ext_codes(group, SD + "ra-evidenceStatus")
    return check


def group_references_resolve(report: Any, resource: dict[str, Any]) -> bool:
    """REQ-120: every groupReference value is the id of a group of the same report."""
    if not isinstance(report, dict):
        return True
    groups = g if isinstance(g := report.get("group"), list) else []
    ids = {g.get("id") for g in groups if isinstance(g, dict) and isinstance(g.get("id"), str)}
    url = SD + "ra-groupReference"
    refs = r if isinstance(r := report.get("evaluatedResource"), list) else []
    for ref in refs:
        exts = ref.get("extension") if isinstance(ref, dict) else None
        for ext in exts if isinstance(exts, list) else ():
            if (isinstance(ext, dict) and ext.get("url") == url and isinstance(ext.get("valueString"), str)
                    and ext["valueString"] not in ids):
                return False
    return True


NATIVE: dict[str, Callable[[Any, dict[str, Any]], bool]] = {
    "group_references_resolve": group_references_resolve,
    "net_new_not_open_ccType": _net_new_not_open(SD + "ra-ccType"),
    "net_new_not_open_suspectType": _net_new_not_open(SD + "ra-suspectType"),
}
