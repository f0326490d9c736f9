"""Profile rules from ig/: cardinality tightenings, fixed values, bindings, reference targets, Bundle entry
slices, closed extension slicing, profile invariants, and must-support coverage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from ra_conformance.ig.rules import Element, Profile, RuleSet
from ra_conformance.validation.bindings import Report, check_binding
from ra_conformance.validation.invariants import check, message
from ra_conformance.validation.issue import ERROR, WARNING
from ra_conformance.validation.paths import Segment, compile_path, location, matches, select
from ra_conformance.validation.references import target_type

# (resource, its location, profile url) still to check; the engine drives the work list.
Assignment = tuple[dict[str, Any], str, str]


def _fixed_ok(value: Any, fixed: Any) -> bool:
    if isinstance(fixed, bool):
        return value is fixed
    return value == fixed


def _what(element: Element) -> str:
    seg = compile_path(element.path)[-1]
    return f"{seg.name}({seg.key}={seg.value})" if seg.key else seg.name


def _checkable(element: Element) -> bool:
    return bool(element.min or element.max is not None or element.fixed is not None or element.binding
                or element.targets)


@cache
def _plan(elements: tuple[Element, ...]) -> tuple[tuple[tuple[Segment, ...], tuple[tuple[Element, Segment], ...]], ...]:
    """Checkable elements grouped by parent path, so each parent is selected once."""
    groups: dict[tuple[Segment, ...], list[tuple[Element, Segment]]] = {}
    for element in elements:
        if _checkable(element):
            segs = compile_path(element.path)
            groups.setdefault(segs[:-1], []).append((element, segs[-1]))
    return tuple((parent, tuple(items)) for parent, items in groups.items())


def check_elements(resource: dict[str, Any], rloc: str, elements: tuple[Element, ...], rules: RuleSet,
                   report: Report, full_urls: dict[str, str]) -> None:
    for parent_segs, items in _plan(elements):
        parents = [(resource, rloc)] if not parent_segs else select(resource, parent_segs, rloc)
        for parent, ploc in parents:
            if parent.__class__ is not dict:
                continue
            for element, last in items:
                _check_one(resource, parent, ploc, element, last, rules, report, full_urls)


def _check_one(resource: dict[str, Any], parent: dict[str, Any], ploc: str, element: Element, last: Segment,
               rules: RuleSet, report: Report, full_urls: dict[str, str]) -> None:
    rule = element.req or "profile"
    found = matches(parent, last)
    count = len(found) or (1 if last.key is None and "_" + last.name in parent else 0)
    if count < element.min:
        report(ERROR, rule, f"{ploc}.{last.name}", f"{_what(element)} is required (min {element.min}, found {count})")
    if element.max is not None and count > element.max:
        report(ERROR, rule, f"{ploc}.{last.name}", f"{_what(element)} appears {count} times (max {element.max})")
    for index, value in found:
        if element.fixed is not None and not _fixed_ok(value, element.fixed):
            report(ERROR, rule, location(ploc, last, index),
                   f"must be {element.fixed!r} (fixed value), found {value!r}")
        if element.binding is not None:
            check_binding(value, element.binding, rules, location(ploc, last, index), report)
        if element.targets and isinstance(value, dict) and isinstance(value.get("reference"), str):
            _check_target(resource, value["reference"], element, location(ploc, last, index), report, full_urls)


def _check_target(resource: dict[str, Any], reference: str, element: Element, loc: str, report: Report,
                  full_urls: dict[str, str]) -> None:
    contained = resource.get("contained")
    ids = {c["id"]: c.get("resourceType") for c in contained if isinstance(c, dict) and isinstance(c.get("id"), str)} \
        if isinstance(contained, list) else {}
    rtype = target_type(reference, ids, full_urls)
    if rtype is not None and rtype not in element.targets:
        report(ERROR, element.req or "profile", f"{loc}.reference",
               f"reference to {rtype}; the profile allows {', '.join(element.targets)}")


def check_profile(resource: dict[str, Any], rloc: str, profile: Profile, rules: RuleSet, report: Report,
                  full_urls: dict[str, str]) -> list[Assignment]:
    """Apply one profile (not its base); returns the entry resources the profile assigns profiles to."""
    check_elements(resource, rloc, profile.elements, rules, report, full_urls)
    for path, allowed in profile.closed_extensions.items():
        for host, hloc in select(resource, compile_path(path), rloc):
            exts = host.get("extension") if isinstance(host, dict) else None
            for i, ext in enumerate(exts if isinstance(exts, list) else []):
                url = ext.get("url") if isinstance(ext, dict) else None
                if url not in allowed:
                    report(ERROR, profile.closed_req, f"{hloc}.extension[{i}]",
                           f"extension {url!r} not allowed here (closed: only {', '.join(allowed)})")
    _unprofiled_extensions(resource, rloc, profile, rules, report)
    for inv in profile.invariants:
        for node, loc in select(resource, compile_path(inv.context), rloc):
            if not check(inv, node, resource):
                report(inv.severity, inv.key, loc, message(inv))
    return _entry_slices(resource, rloc, profile, report)


@cache
def _sliced_hosts(elements: tuple[Element, ...]) -> tuple[tuple[tuple[Segment, ...], frozenset[str]], ...]:
    """Host paths whose extensions the profile slices by url, with the urls it names there."""
    hosts: dict[tuple[Segment, ...], set[str]] = {}
    for element in elements:
        segs = compile_path(element.path)
        if segs and segs[-1].name == "extension" and segs[-1].key == "url":
            hosts.setdefault(segs[:-1], set()).add(segs[-1].value or "")
    return tuple((host, frozenset(urls)) for host, urls in hosts.items())


def _unprofiled_extensions(resource: dict[str, Any], rloc: str, profile: Profile, rules: RuleSet,
                           report: Report) -> None:
    """REQ-125 ⚑: an extension the profile does not name where it slices extensions is a warning
    (open slicing allows it); closed slicing (S1 MeasureReport.extension) is an error elsewhere."""
    for host_segs, urls in _sliced_hosts(profile.elements):
        path = profile.type + "".join(f".{s.name}" for s in host_segs)
        if path in profile.closed_extensions:
            continue
        hosts = [(resource, rloc)] if not host_segs else select(resource, host_segs, rloc)
        for host, hloc in hosts:
            exts = host.get("extension") if isinstance(host, dict) else None
            for i, ext in enumerate(exts if isinstance(exts, list) else ()):
                url = ext.get("url") if isinstance(ext, dict) else None
                if isinstance(url, str) and url not in urls:
                    report(WARNING, "REQ-125", f"{hloc}.extension[{i}]", f"extension {url} is not profiled here")


def _entry_slices(bundle: dict[str, Any], rloc: str, profile: Profile, report: Report) -> list[Assignment]:
    if not profile.entries:
        return []
    entries = e if isinstance(e := bundle.get("entry"), list) else []
    assigned: list[Assignment] = []
    for entry_slice in profile.entries:
        if entry_slice.resource_type is None:
            continue
        count = 0
        for i, entry in enumerate(entries):
            res = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(res, dict) and res.get("resourceType") == entry_slice.resource_type:
                count += 1
                if entry_slice.profile:
                    assigned.append((res, f"{rloc}.entry[{i}].resource", entry_slice.profile))
        rule = entry_slice.req or "profile"
        if count < entry_slice.min:
            report(ERROR, rule, f"{rloc}.entry", f"{entry_slice.name}: needs at least {entry_slice.min} "
                   f"{entry_slice.resource_type} entr{'y' if entry_slice.min == 1 else 'ies'}, found {count}")
        if entry_slice.max is not None and count > entry_slice.max:
            report(ERROR, rule, f"{rloc}.entry", f"{entry_slice.name}: at most {entry_slice.max} "
                   f"{entry_slice.resource_type} entr{'y' if entry_slice.max == 1 else 'ies'}, found {count}")
    return assigned


def with_bases(url: str, rules: RuleSet) -> Iterator[Profile]:
    """The profile and the profiles it derives from (ours), base first."""
    chain = []
    profile = rules.profiles.get(url)
    while profile is not None:
        chain.append(profile)
        profile = rules.profiles.get(profile.base) if profile.base else None
    return reversed(chain)


def _populated(segs: tuple[Segment, ...]) -> Callable[[dict[str, Any]], bool]:
    return lambda res: bool(select(res, segs, ""))


def must_support_paths(profile: Profile) -> list[tuple[str, Callable[[dict[str, Any]], bool]]]:
    """(element path, populated?) for every must-support element and entry slice of a profile."""
    out: list[tuple[str, Callable[[dict[str, Any]], bool]]] = []
    for element in profile.elements:
        if element.must_support:
            out.append((element.path, _populated(compile_path(element.path))))
    for entry_slice in profile.entries:
        if entry_slice.must_support:
            rtype = entry_slice.resource_type

            def has_entry(res: dict[str, Any], rtype: str | None = rtype) -> bool:
                entries = e if isinstance(e := res.get("entry"), list) else []
                return any(isinstance(e, dict) and isinstance(e.get("resource"), dict)
                           and (rtype is None or e["resource"].get("resourceType") == rtype) for e in entries)

            out.append((f"{profile.type}.entry:{entry_slice.name}", has_entry))
    return out

