"""Python twins of our own (non-IG) FHIRPath rules, for speed; tests/validation prove each equal to the
FHIRPath text kept in the ig/ tables. A twin returning None leaves that node to fhirpathpy."""

from __future__ import annotations

import re
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
        exts = group.get("extension") if isinstance(group, dict) else None
        if not isinstance(exts, list) or not any(
                isinstance(ext, dict) and ext.get("url") == cc_url and isinstance(v := ext.get("valueCodeableConcept"), dict)
                and isinstance(c := v.get("coding"), list) and any(isinstance(x, dict) and x.get("code") == "net-new"
                                                                   for x in c) for ext in exts):
            return True  # not a net-new CC (one pass over the extensions)
        return "open-gap" not in _ext_codes(group, SD + "ra-evidenceStatus")
    return check


def group_references_resolve(report: Any, resource: dict[str, Any]) -> bool:
    """REQ-120: every groupReference value is the id of a group of the same report."""
    if not isinstance(report, dict):
        return True
    refs = r if isinstance(r := report.get("evaluatedResource"), list) else []
    if not refs:
        return True
    groups = g if isinstance(g := report.get("group"), list) else []
    ids = {gid for g in groups if isinstance(g, dict) and isinstance(gid := g.get("id"), str)}
    url = _GROUP_REFERENCE
    for ref in refs:
        exts = ref.get("extension") if isinstance(ref, dict) else None
        for ext in exts if isinstance(exts, list) else ():
            if (isinstance(ext, dict) and ext.get("url") == url and isinstance(value := ext.get("valueString"), str)
                    and value not in ids):
                return False
    return True


_GROUP_REFERENCE = SD + "ra-groupReference"


def _of_type(entries: list[Any], rtype: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(entry, resource) of the entries whose resource is a ``rtype``."""
    return [(e, e["resource"]) for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == rtype]


def reports_for_the_patient(bundle: Any, resource: dict[str, Any]) -> bool | None:
    """REQ-134: every report's subject.reference ends with 'Patient/' + the first Patient's id, or is the
    fullUrl of the first Patient entry that has one. None (left to fhirpathpy) for shapes it does not judge:
    a Patient without an id, a reference that matches neither while no Patient entry has a fullUrl, a
    ``_reference``, or a non-array entry."""
    if not isinstance(bundle, dict) or bundle is not resource:
        return None
    entries = bundle.get("entry")
    if entries is None:
        return True
    if not isinstance(entries, list):
        return None
    patients = _of_type(entries, "Patient")
    if not patients:
        return True
    pid = patients[0][1].get("id")
    if not isinstance(pid, str):
        return None
    urls = [e["fullUrl"] for e, _ in patients if "fullUrl" in e or "_fullUrl" in e]
    if (urls and not isinstance(urls[0], str)) or any("_fullUrl" in e for e, _ in patients):
        return None
    full_url = urls[0] if urls else None
    suffix = "Patient/" + pid
    for _, report in _of_type(entries, "MeasureReport"):
        subject = report.get("subject")
        if subject is None:
            continue
        if not isinstance(subject, dict) or "_reference" in subject:
            return None
        ref = subject.get("reference")
        if ref is None:
            continue
        if not isinstance(ref, str):
            return None
        if not ref.endswith(suffix):
            if full_url is None:
                return None
            if ref != full_url:
                return False
    return True


_DAY = re.compile(r"^([0-9]{4})(-)(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9]).*")


def _period_parts(period: Any) -> tuple[Any, Any] | None:
    """(start, end) of a Period as plain strings or None when absent; None for shapes left to fhirpathpy."""
    if not isinstance(period, dict) or "_start" in period or "_end" in period:
        return None
    start, end = period.get("start"), period.get("end")
    if not all(v is None or isinstance(v, str) for v in (start, end)):
        return None
    return start, end


def _both(first: bool | None, second: bool | None) -> bool:
    """FHIRPath ``and`` of two results (None: empty), as an invariant verdict (only false fails)."""
    return not (first is False or second is False)


def ra1_length(period: Any, _: dict[str, Any]) -> bool | None:
    """ra-1 (2.1.0, STU3): start.toString().length()>9 and end.toString().length()>9 (day precision)."""
    parts = _period_parts(period)
    if parts is None:
        return None
    start, end = parts
    return _both(None if start is None else len(start) > 9, None if end is None else len(end) > 9)


def ra1_pattern(period: Any, _: dict[str, Any]) -> bool | None:
    """ra-1 (STU1): start.matches(YYYY-MM-DD...) and end.matches(YYYY-MM-DD...)."""
    parts = _period_parts(period)
    if parts is None:
        return None
    start, end = parts
    return _both(None if start is None else bool(_DAY.search(start)),
                 None if end is None else bool(_DAY.search(end)))


NATIVE: dict[str, Callable[[Any, dict[str, Any]], bool | None]] = {
    "ra1_length": ra1_length,
    "ra1_pattern": ra1_pattern,
    "group_references_resolve": group_references_resolve,
    "reports_for_the_patient": reports_for_the_patient,
    "net_new_not_open_ccType": _net_new_not_open(SD + "ra-ccType"),
    "net_new_not_open_suspectType": _net_new_not_open(SD + "ra-suspectType"),
}
