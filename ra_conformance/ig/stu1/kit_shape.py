"""The STU1 shape of the fixture kit, which is written in the 2.1.0 shape (RA-SPEC §3.11).

No measurereport-category extension (REQ-111 is 2.1.0+), ccType becomes ra-suspectType with the same codes
(historic / suspected / net-new, code system suspect-type), ra-dxCode / ra-confidenceScale / ra-ccRemark go, and
each evaluatedResource keeps one groupReference (0..1 in STU1, REQ-168). Everything else — ids, periods, evidence —
is the same, so the kit's expectations hold for every version.
"""

from __future__ import annotations

import copy
from typing import Any

from ra_conformance.ig import MEASUREREPORT_CATEGORY_EXT, SD

CS = "http://hl7.org/fhir/us/davinci-ra/CodeSystem/"
_STU1_DROPPED_GROUP_EXTS = {SD + "ra-dxCode", SD + "ra-confidenceScale", SD + "ra-ccRemark"}
_CC_TYPE, _SUSPECT_TYPE = SD + "ra-ccType", SD + "ra-suspectType"
_GROUP_REFERENCE = SD + "ra-groupReference"


def to_stu1(resource: dict[str, Any]) -> dict[str, Any]:
    """The STU1 shape of a kit resource (only MeasureReports change); the input is not modified."""
    if resource.get("resourceType") != "MeasureReport":
        return resource
    mr = copy.deepcopy(resource)
    _set_extensions(mr, [e for e in _exts(mr) if e.get("url") != MEASUREREPORT_CATEGORY_EXT])
    for group in _list(mr.get("group")):
        if isinstance(group, dict):
            _set_extensions(group, [_suspect_type(e) for e in _exts(group) if e.get("url") not in _STU1_DROPPED_GROUP_EXTS])
    for item in _list(mr.get("evaluatedResource")):
        if isinstance(item, dict):
            refs = [e for e in _exts(item) if e.get("url") == _GROUP_REFERENCE]
            _set_extensions(item, [e for e in _exts(item) if e.get("url") != _GROUP_REFERENCE] + refs[:1])
    return mr


def _suspect_type(ext: dict[str, Any]) -> dict[str, Any]:
    if ext.get("url") != _CC_TYPE:
        return ext
    concept = copy.deepcopy(ext.get("valueCodeableConcept") or {})
    for coding in _list(concept.get("coding")):
        if isinstance(coding, dict) and coding.get("system") == CS + "cc-type":
            coding["system"] = CS + "suspect-type"
    return {"url": _SUSPECT_TYPE, "valueCodeableConcept": concept}


def _exts(element: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in _list(element.get("extension")) if isinstance(e, dict)]


def _set_extensions(element: dict[str, Any], extensions: list[dict[str, Any]]) -> None:
    if extensions:
        element["extension"] = extensions
    else:
        element.pop("extension", None)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
