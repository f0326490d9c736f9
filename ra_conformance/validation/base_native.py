"""Python twins of the hot base R4 invariants (Bundle, Condition, Observation, MeasureReport, Period, ...).

Each twin answers as fhirpathpy would on the same node: True (the invariant holds, an empty FHIRPath
result included), False (it fails), or None when the node has a shape the twin does not judge (a
primitive's ``_name`` companion, an empty array, a scalar where an array belongs, ...): constraints.py
then asks fhirpathpy. tests/validation/test_base_native.py proves every twin equal to its expression on
valid and invalid probes and on every node of the IG examples and the kit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ra_conformance.validation.period import start_not_after_end

Native = Callable[[dict[str, Any], dict[str, Any]], "bool | None"]
_ODD = object()  # a shape the twins leave to fhirpathpy


def _exists(node: dict[str, Any], name: str) -> Any:
    """name.exists() for an element given without a ``_name`` companion: True/False, or _ODD."""
    if "_" + name in node:
        return _ODD
    value = node.get(name)
    if value is None:
        return False if name not in node else _ODD
    if value.__class__ is list and (not value or None in value):
        return _ODD
    return True


def _any_exists(node: dict[str, Any], names: tuple[str, ...]) -> Any:
    found = False
    for name in names:
        present = _exists(node, name)
        if present is _ODD:
            return _ODD
        found = found or present
    return found


def _string(node: dict[str, Any], name: str) -> Any:
    """The value of a single string primitive (None when absent), or _ODD."""
    if "_" + name in node:
        return _ODD
    value = node.get(name)
    if value is None:
        return None if name not in node else _ODD
    return value if value.__class__ is str else _ODD


def _dicts(node: dict[str, Any], name: str) -> Any:
    """The items of a repeating complex element ([] when absent), or _ODD."""
    value = node.get(name)
    if value is None:
        return [] if name not in node else _ODD
    if value.__class__ is not list or not value or any(item.__class__ is not dict for item in value):
        return _ODD
    return value


def _dict(node: dict[str, Any], name: str) -> Any:
    """A single complex element (None when absent), or _ODD."""
    value = node.get(name)
    if value is None:
        return None if name not in node else _ODD
    return value if value.__class__ is dict else _ODD


def _choice_exists(node: dict[str, Any], prefix: str, names: frozenset[str]) -> Any:
    """prefix[x].exists(): one of the choice's element names present; an unknown ``prefix...`` key or a
    ``_prefix...`` companion is left to fhirpathpy."""
    found = False
    for key in node:
        if key.startswith((prefix, "_" + prefix)):
            if key not in names:
                return _ODD
            value = node[key]
            if value is None or (value.__class__ is list and (not value or None in value)):
                return _ODD
            found = True
    return found


def _codings_match(concept: Any, system: str, codes: frozenset[str]) -> Any:
    """concept.coding.where(system = S and code in codes).exists() for a CodeableConcept (or None)."""
    if concept is None:
        return False
    codings = _dicts(concept, "coding")
    if codings is _ODD:
        return _ODD
    found = False
    for coding in codings:
        s, c = _string(coding, "system"), _string(coding, "code")
        if s is _ODD or c is _ODD:
            return _ODD
        found = found or (s == system and c in codes)
    return found


def _verdict(value: Any) -> bool | None:
    return None if value is _ODD else bool(value)


# -- datatypes and MeasureReport (only where the node is a dict: constraints.py) ----------------------------
def per_1(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """start.hasValue().not() or end.hasValue().not() or (start <= end)."""
    return start_not_after_end(node.get("start"), node.get("end"))


def qty_3(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """code.empty() or system.exists()."""
    return not ("code" in node or "_code" in node) or "system" in node or "_system" in node


def mrp_1(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """(type != 'data-collection') or group.exists().not()."""
    return node.get("type") != "data-collection" or "group" not in node


def _items(node: Any, name: str) -> list[Any]:
    value = node.get(name) if isinstance(node, dict) else None
    return value if isinstance(value, list) else [value] if value is not None else []


def _present(node: dict[str, Any], name: str) -> bool:
    return name in node or "_" + name in node


def mrp_2(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """group.stratifier.stratum.all(value.exists() xor component.exists())."""
    return all(_present(stratum, "value") != _present(stratum, "component")
               for group in _items(node, "group") for stratifier in _items(group, "stratifier")
               for stratum in _items(stratifier, "stratum") if isinstance(stratum, dict))


# -- Bundle -----------------------------------------------------------------------------------------------
_REQUEST_TYPES = frozenset({"batch", "transaction", "history"})
_RESPONSE_TYPES = frozenset({"batch-response", "transaction-response", "history"})


def _entries_exist(child: str, types: frozenset[str]) -> Native:
    """bdl-3 / bdl-4: entry.all(child.exists() = (%resource.type = ... or ...))."""
    def check(node: dict[str, Any], resource: dict[str, Any]) -> bool | None:
        rtype = _string(resource, "type")
        entries = _dicts(node, "entry")
        if rtype is _ODD or entries is _ODD:
            return None
        if not entries:
            return True  # all() of nothing
        if rtype is None:
            return None  # exists() = {}: left to fhirpathpy
        wanted = rtype in types
        for entry in entries:
            present = _exists(entry, child)
            if present is _ODD:
                return None
            if present != wanted:
                return False
        return True
    return check


def bdl_1(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """total.empty() or (type = 'searchset') or (type = 'history')."""
    total, btype = _exists(node, "total"), _string(node, "type")
    if total is _ODD or btype is _ODD:
        return None
    return not total or btype is None or btype in ("searchset", "history")


def bdl_2(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """entry.search.empty() or (type = 'searchset')."""
    entries, btype = _dicts(node, "entry"), _string(node, "type")
    if entries is _ODD or btype is _ODD:
        return None
    searched = False
    for entry in entries:
        present = _exists(entry, "search")
        if present is _ODD:
            return None
        searched = searched or present
    return not searched or btype is None or btype == "searchset"


def bdl_7(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """(type = 'history') or entry.where(fullUrl.exists()).select(fullUrl&resource.meta.versionId).isDistinct()."""
    entries, btype = _dicts(node, "entry"), _string(node, "type")
    if entries is _ODD or btype is _ODD:
        return None
    if btype is None or btype == "history":
        return True  # empty or X never fails; true or X holds
    keys = []
    for entry in entries:
        full_url = _string(entry, "fullUrl")
        if full_url is _ODD:
            return None
        if full_url is None:
            continue
        version = ""
        resource = _dict(entry, "resource")
        meta = _dict(resource, "meta") if isinstance(resource, dict) else resource
        if resource is _ODD or meta is _ODD:
            return None
        if meta is not None:
            found = _string(meta, "versionId")
            if found is _ODD:
                return None
            version = found or ""
        keys.append(full_url + version)
    return len(set(keys)) == len(keys)


def bdl_9(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """type = 'document' implies (identifier.system.exists() and identifier.value.exists())."""
    btype = _string(node, "type")
    if btype is _ODD:
        return None
    if btype != "document":
        return True
    identifier = _dict(node, "identifier")
    if identifier is _ODD:
        return None
    if identifier is None:
        return False
    system, value = _exists(identifier, "system"), _exists(identifier, "value")
    return None if system is _ODD or value is _ODD else bool(system and value)


def bdl_10(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """type = 'document' implies (timestamp.hasValue())."""
    btype, stamp = _string(node, "type"), _string(node, "timestamp")
    if btype is _ODD or stamp is _ODD:
        return None
    return btype != "document" or stamp is not None


def _first_entry_is(bundle_type: str, resource_type: str) -> Native:
    """bdl-11 / bdl-12: type = T implies entry.first().resource.is(R)."""
    def check(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
        btype, entries = _string(node, "type"), _dicts(node, "entry")
        if btype is _ODD or entries is _ODD:
            return None
        if btype != bundle_type or not entries:
            return True
        first = _dict(entries[0], "resource")
        if first is _ODD:
            return None
        if first is None:
            return True
        kind = first.get("resourceType")
        return None if kind.__class__ is not str else kind == resource_type
    return check


def bdl_5(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """(Bundle.entry) resource.exists() or request.exists() or response.exists()."""
    return _verdict(_any_exists(node, ("resource", "request", "response")))


def bdl_8(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """(Bundle.entry) fullUrl.exists() implies fullUrl.contains('/_history/').not()."""
    full_url = _string(node, "fullUrl")
    return None if full_url is _ODD else full_url is None or "/_history/" not in full_url


# -- clinical resources ------------------------------------------------------------------------------------
_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_ABATEMENT = frozenset({"abatementDateTime", "abatementAge", "abatementPeriod", "abatementRange", "abatementString"})
_OBSERVATION_VALUE = frozenset({"valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueInteger",
                                "valueRange", "valueRatio", "valueSampledData", "valueTime", "valueDateTime",
                                "valuePeriod"})


def con_4(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """abatement.empty() or clinicalStatus.coding.where(system=... and (code='resolved' or 'remission' or
    'inactive')).exists()."""
    abated = _choice_exists(node, "abatement", _ABATEMENT)
    if abated is _ODD:
        return None
    if not abated:
        return True
    status = _dict(node, "clinicalStatus")
    return None if status is _ODD else _verdict(
        _codings_match(status, _CLINICAL, frozenset({"resolved", "remission", "inactive"})))


def con_5(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """verificationStatus.coding.where(system=... and code='entered-in-error').empty() or clinicalStatus.empty()."""
    verification = _dict(node, "verificationStatus")
    if verification is _ODD:
        return None
    erroneous = _codings_match(verification, _VERIFICATION, frozenset({"entered-in-error"}))
    if erroneous is _ODD:
        return None
    if not erroneous:
        return True
    present = _exists(node, "clinicalStatus")
    return None if present is _ODD else not present


def obs_6(node: dict[str, Any], _: dict[str, Any]) -> bool | None:
    """dataAbsentReason.empty() or value.empty()."""
    absent, value = _exists(node, "dataAbsentReason"), _choice_exists(node, "value", _OBSERVATION_VALUE)
    if absent is _ODD or value is _ODD:
        return None
    return not (absent and value)


def obs_7(node: dict[str, Any], resource: dict[str, Any]) -> bool | None:
    """value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()."""
    value = _choice_exists(node, "value", _OBSERVATION_VALUE)
    if value is _ODD:
        return None
    if not value:
        return True
    components = _dicts(node, "component")
    code = _dict(resource, "code")
    codings = _dicts(code, "coding") if isinstance(code, dict) else code
    if components is _ODD or codings is _ODD:
        return None
    for component in components:
        ccode = _dict(component, "code")
        theirs = _dicts(ccode, "coding") if isinstance(ccode, dict) else ccode
        if theirs is _ODD:
            return None
        if theirs and codings and any(coding in codings for coding in theirs):
            return False
    return True


NATIVE: dict[str, Native] = {
    "per-1": per_1, "qty-3": qty_3, "mrp-1": mrp_1, "mrp-2": mrp_2,
    "bdl-1": bdl_1, "bdl-2": bdl_2, "bdl-3": _entries_exist("request", _REQUEST_TYPES),
    "bdl-4": _entries_exist("response", _RESPONSE_TYPES), "bdl-5": bdl_5, "bdl-7": bdl_7, "bdl-8": bdl_8,
    "bdl-9": bdl_9, "bdl-10": bdl_10, "bdl-11": _first_entry_is("document", "Composition"),
    "bdl-12": _first_entry_is("message", "MessageHeader"),
    "con-4": con_4, "con-5": con_5, "obs-6": obs_6, "obs-7": obs_7,
}
