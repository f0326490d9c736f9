"""Whole-resource verdicts remembered by the resource's skeleton: its JSON less its id and the reference
strings of its top-level References (engine.Validator.validate). The reports of a bulk export differ from
one another in exactly these (each patient's report has its own id, subject and evidence references), so
a report whose skeleton was judged before gets that verdict once its own id and references pass the checks
that read them.

What reads the masked strings, and how this memo keeps each finding:

- the id: its primitive check (base R4) and the issues' resource label. The id must pass its check here;
  the label is the new one.
- a top-level reference string: its primitive check, its form (struct-reference), its target type against
  the base R4 targets (struct-ref-target) and the profiles' targets at that element. Each must pass here.
  A local reference (``#id``), a resource with ``contained`` and a Bundle (whose fullUrls resolve
  references) are never served.
- anything else that could see them: a profile check at or below a top-level Reference other than its
  cardinality and its target types at the element itself; an invariant whose context is the resource or
  such an element, or that reads %resource (profile or extension invariant), unless its Python twin is
  known to read neither (``_BLIND_TWINS``); a base invariant of the resource type other than
  ``_BLIND_BASE``, or of one of its backbone elements that reads %resource. A verdict met through any of
  these is not remembered.

A verdict is remembered when its skeleton is met a second time, and only when none of its issues sits at the id or inside a top-level Reference, and
none names the id or a masked reference string; none holding null is (jsonkey.py). After a long run of
misses (every report is another shape) only one call in ``_GATE.every`` looks, until one hits again. Memory is
bounded (total key bytes).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

import orjson

from ra_conformance.ig.rules import RuleSet
from ra_conformance.ig.versions import ruleset
from ra_conformance.issues import Issue
from ra_conformance.jsonio import kept
from ra_conformance.validation import structure
from ra_conformance.validation.constraints import by_type
from ra_conformance.validation.jsonkey import storable
from ra_conformance.validation.paths import compile_path
from ra_conformance.validation.probing import Probing
from ra_conformance.validation.references import parse_reference

_LIMIT_BYTES = 4_000_000  # the keys (right-sized copies, jsonio.kept) and a rough count of each entry's overhead
_ENTRY_BYTES = 400
_ISSUE_BYTES = 150  # an Issue record (its strings are shared with the validation's own)
_LARGEST = 256_000
_MOST_ISSUES = 200
_GATE = Probing(misses=32, every=64)  # (masking a report costs about a third of its validation)
# Python twins (invariants.py) of invariants over the whole resource that read neither its id nor the
# reference strings of its top-level References (tests/validation prove each twin equal to its FHIRPath).
_BLIND_TWINS = frozenset({"group_references_resolve"})  # REQ-120: group ids and groupReference values
_BLIND_BASE = frozenset({"mrp-1", "mrp-2"})  # MeasureReport: type and group.stratifier.stratum only


class Masked(NamedTuple):
    """A resource's skeleton key and what was masked out of it."""

    key: tuple[str, str | None, bytes]
    rtype: str
    rid: str
    refs: tuple[tuple[str, str], ...]  # (top-level element, reference string)


class Entry(NamedTuple):
    issues: tuple[Issue, ...]  # resource label blanked
    targets: dict[str, tuple[frozenset[str] | None, ...]]  # element -> allowed types (base R4, then profiles)


_SEEN: dict[tuple[str, str | None, bytes], Entry] = {}
_ONCE: set[int] = set()  # hashes of the skeletons met once: a verdict is kept when its skeleton is met again
_ONCE_LIMIT = 20_000  # (~1 MB)
_size = 0


def mask(version: str, profile: str | None, resource: Any) -> Masked | None:
    """The skeleton key of a validation, or None when this memo does not serve it (this time)."""
    if not _GATE.looks():
        return None
    if resource.__class__ is not dict or "contained" in resource:
        return None
    rtype, rid = resource.get("resourceType"), resource.get("id")
    if rtype.__class__ is not str or rtype == "Bundle" or rid.__class__ is not str or not rid:
        return None
    info = structure.type_info(rtype)
    if info is None:
        return None
    specs = info.specs
    masked = dict(resource)
    masked["id"] = ""
    refs: list[tuple[str, str]] = []
    for name, value in resource.items():
        spec = specs.get(name)
        if spec is None or spec.code != "Reference":
            continue
        if value.__class__ is dict:
            ref = value.get("reference")
            if ref.__class__ is str:
                if ref[:1] == "#":
                    return None
                refs.append((name, ref))
                masked[name] = {**value, "reference": ""}
        elif value.__class__ is list:
            items = []
            for item in value:
                ref = item.get("reference") if item.__class__ is dict else None
                if ref.__class__ is str:
                    if ref[:1] == "#":
                        return None
                    refs.append((name, ref))
                    item = {**item, "reference": ""}
                items.append(item)
            masked[name] = items
    try:
        data = orjson.dumps(masked)
    except TypeError:
        return None
    return Masked((version, profile, data), rtype, rid, tuple(refs)) if len(data) <= _LARGEST else None


def recall(masked: Masked, label: str) -> list[Issue] | None:
    """The remembered verdict, when the resource's id and references pass their own checks."""
    entry = _SEEN.get(masked.key)
    if entry is None or not _passes(masked, entry.targets):
        _GATE.miss()
        return None
    _GATE.hit()
    return [Issue(i.severity, i.location, i.rule, i.message, label) for i in entry.issues]


def _passes(masked: Masked, targets: dict[str, tuple[frozenset[str] | None, ...]]) -> bool:
    """Would the id and every masked reference give no issue where they sit? (structure.py, profiles.py)"""
    if not _id_passes(masked.rtype, masked.rid):
        return False
    for name, ref in masked.refs:
        well_formed, literal_type = parse_reference(ref)  # the empty string is not well formed
        if not well_formed:
            return False
        if literal_type is not None:
            for allowed in targets[name]:
                if allowed is not None and literal_type not in allowed:
                    return False
    return True


def remember(masked: Masked, issues: list[Issue], rloc: str, applied: list[str], rules: RuleSet) -> None:
    """Keep a verdict (see the module's docstring for when)."""
    global _size
    marker = hash(masked.key)  # (its bytes' hash is cached: the look-up computed it)
    if marker not in _ONCE:  # a skeleton met once is not worth keeping (most reports of other shapes)
        if len(_ONCE) >= _ONCE_LIMIT:
            _ONCE.clear()
        _ONCE.add(marker)
        return
    rtype = masked.rtype
    if len(issues) > _MOST_ISSUES or not storable(masked.key[2]) or not _id_passes(rtype, masked.rid):
        return
    names = {name for name, _ in masked.refs}
    inside = (f"{rloc}.id",) + tuple(f"{rloc}.{name}" for name in names)
    strings = (masked.rid, *(ref for _, ref in masked.refs))
    for issue in issues:
        if issue.location.startswith(inside) or any(s in issue.message for s in strings):
            return
    targets = _targets(rtype, tuple(sorted(names)), tuple(applied), rules.version)
    if targets is None:
        return
    cost = len(masked.key[2]) + _ENTRY_BYTES + _ISSUE_BYTES * len(issues)
    if _size + cost > _LIMIT_BYTES:
        forget()
    version, profile, data = masked.key
    _SEEN[(version, profile, kept(data))] = Entry(
        tuple(Issue(i.severity, i.location, i.rule, i.message, "") for i in issues), targets)
    _size += cost


def _id_passes(rtype: str, rid: str) -> bool:
    info = structure.type_info(rtype)
    spec = info.specs.get("id") if info is not None else None
    return spec is not None and spec.prim is not None and spec.prim(rid) is None and (
        spec.enum is None or rid in spec.enum)


@lru_cache(maxsize=256)  # a function of the tables and rules alone (not a memo of verdicts)
def _targets(rtype: str, names: tuple[str, ...], applied: tuple[str, ...],
             version: str) -> dict[str, tuple[frozenset[str] | None, ...]] | None:
    """Element -> the allowed target types of its references (base R4, then each profile's), or None when
    something else may read the masked strings (see the module's docstring)."""
    rules = ruleset(version)
    info = structure.type_info(rtype)
    if info is None or any(c.key not in _BLIND_BASE for c in by_type().get(rtype, ())):
        return None
    if any("%" in c.expression for tname, found in by_type().items() if tname.startswith(rtype + ".")
           for c in found):  # a backbone element's invariant reading %resource (datatypes' do not, but ref-1
        return None  # and dom-3, judged natively elsewhere: no local reference, no contained resources here)
    out: dict[str, list[frozenset[str] | None]] = {name: [info.specs[name].refs] for name in names}
    for ext in rules.extensions.values():
        if any("%" in inv.expression and inv.native not in _BLIND_TWINS for inv in ext.invariants):
            return None
    masked = {*names, "id"}
    for url in applied:
        profile = rules.profiles[url]
        for inv in profile.invariants:
            segs = compile_path(inv.context)
            if ("%" in inv.expression or not segs or segs[0].name in masked) and inv.native not in _BLIND_TWINS:
                return None
        for element in profile.elements:
            segs = compile_path(element.path)
            if not segs or segs[0].name not in masked:
                continue
            at_element = len(segs) == 1 and segs[0].key is None
            if element.fixed is not None or element.binding is not None or (element.targets and not at_element):
                return None
            if element.targets:  # at a top-level Reference (the id has none)
                out[segs[0].name].append(frozenset(element.targets))
    return {name: tuple(allowed) for name, allowed in out.items()}


def forget() -> None:
    """Drop every remembered verdict (tests and benchmarks compare cold and warm verdicts)."""
    global _size
    _SEEN.clear()
    _ONCE.clear()
    _size = 0
    _GATE.forget()
