"""Profile rules from ig/: cardinality tightenings, fixed values, bindings, reference targets, Bundle entry
slices, closed extension slicing, profile invariants, and must-support coverage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, NamedTuple

from ra_conformance.ig.rules import Element, Invariant, Profile, RuleSet
from ra_conformance.issues import ERROR, WARNING, Severity
from ra_conformance.validation import profile_memo
from ra_conformance.validation.bindings import Report, check_binding
from ra_conformance.validation.invariants import check, message
from ra_conformance.validation.paths import Segment, children, compile_path, location, matches, select
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


class _Check(NamedTuple):
    element: Element
    last: Segment  # the element's own segment under its parent
    count_only: bool  # cardinality only (no fixed value, binding or reference targets to judge)


class _Plan(NamedTuple):
    """One profile compiled for the hot loop (paths parsed, elements grouped by parent path)."""

    profile: Profile  # kept alive: plans are cached by id()
    elements: tuple[tuple[tuple[Segment, ...], tuple[_Check, ...]], ...]
    closed: tuple[tuple[tuple[Segment, ...], tuple[str, ...]], ...]
    open_hosts: tuple[tuple[tuple[Segment, ...], frozenset[str]], ...]  # REQ-125 hosts (not closed)
    invariants: tuple[tuple[Invariant, tuple[Segment, ...]], ...]
    local: tuple[str, ...]  # top-level elements whose checks below them are local (profile_memo.py)


_PLANS: dict[int, _Plan] = {}


def _plan(profile: Profile) -> _Plan:
    """The compiled plan of a profile (Profile holds a dict, so it is cached by identity, not hash)."""
    found = _PLANS.get(id(profile))
    if found is not None and found.profile is profile:
        return found
    groups: dict[tuple[Segment, ...], list[_Check]] = {}
    for element in profile.elements:
        if _checkable(element):
            segs = compile_path(element.path)
            count_only = element.fixed is None and element.binding is None and not element.targets
            groups.setdefault(segs[:-1], []).append(_Check(element, segs[-1], count_only))
    open_hosts = tuple((host, urls) for host, urls in _sliced_hosts(profile.elements)
                       if profile.type + "".join(f".{s.name}" for s in host) not in profile.closed_extensions)
    closed = tuple((compile_path(path), allowed) for path, allowed in profile.closed_extensions.items())
    invariants = tuple((inv, compile_path(inv.context)) for inv in profile.invariants)
    plan = _PLANS[id(profile)] = _Plan(
        profile, tuple((parent, tuple(items)) for parent, items in groups.items()), closed, open_hosts, invariants,
        _local(groups, invariants))
    return plan


def _local(groups: dict[tuple[Segment, ...], list[_Check]],
           invariants: tuple[tuple[Invariant, tuple[Segment, ...]], ...]) -> tuple[str, ...]:
    """Top-level elements every check below which reads only the item's own JSON (profile_memo.py): none
    below them judges reference targets (contained resources, fullUrls) or reads %resource. Elements with
    extension slicing alone below them (evaluatedResource) are left out: that check costs less than
    remembering items that are mostly unique (each patient's evidence references)."""
    below = {segs[0].name for segs in (*groups, *(i[1] for i in invariants)) if segs}
    wide = {parent[0].name for parent, items in groups.items() if parent and any(c.element.targets for c in items)}
    wide |= {segs[0].name for inv, segs in invariants if segs and "%" in inv.expression}
    return tuple(sorted(below - wide))


class _Selector:
    """select() from the resource root, each path selected once per profile check; top-level items whose
    id is in ``skip`` (known clean, profile_memo.py) and everything below them are left out."""

    __slots__ = ("memo", "resource", "rloc", "skip")

    def __init__(self, resource: dict[str, Any], rloc: str, skip: set[int] | None = None) -> None:
        self.resource, self.rloc, self.skip = resource, rloc, skip
        self.memo: dict[tuple[Segment, ...], list[tuple[Any, str]]] = {(): [(resource, rloc)]}

    def __call__(self, segs: tuple[Segment, ...]) -> list[tuple[Any, str]]:
        nodes = self.memo.get(segs)
        if nodes is None:  # one step from the parent path's nodes (memoised too: paths share prefixes)
            resource = self.resource
            if segs[0].name not in resource:
                nodes = []  # the commonest case: the element is absent
            elif len(segs) == 1:
                skip = self.skip
                nodes = _unskipped(resource, segs[0], self.rloc, skip) if skip else children(resource, segs[0],
                                                                                               self.rloc)
            else:
                last = segs[-1]
                nodes = [found for node, where in self(segs[:-1]) if isinstance(node, dict)
                         for found in children(node, last, where)]
            self.memo[segs] = nodes
        return nodes


def _unskipped(resource: dict[str, Any], seg: Segment, rloc: str, skip: set[int]) -> list[tuple[Any, str]]:
    """children() of the resource root for one segment, less the skipped items (no location built for them)."""
    value = resource.get(seg.name)
    if value.__class__ is not list:
        return [(node, where) for node, where in children(resource, seg, rloc) if id(node) not in skip]
    key = seg.key
    return [(item, f"{rloc}.{seg.name}[{i}]") for i, item in enumerate(value)
            if item is not None and id(item) not in skip
            and (key is None or (item.__class__ is dict and item.get(key) == seg.value))]


def _sliced(value: Any, key: str) -> dict[str, list[tuple[int | None, Any]]]:
    """The items of a repeating element by the string value of their child ``key`` (a slice index):
    one pass serves every slice of the element (what matches() gives for each filtered segment)."""
    out: dict[str, list[tuple[int | None, Any]]] = {}
    if value.__class__ is list:
        for i, item in enumerate(value):
            if item.__class__ is dict:
                disc = item.get(key)
                if isinstance(disc, str):
                    out.setdefault(disc, []).append((i, item))
    elif value.__class__ is dict:
        disc = value.get(key)
        if isinstance(disc, str):
            out[disc] = [(None, value)]
    return out


Slices = dict[tuple[str, str], dict[str, list[tuple[int | None, Any]]]]  # (element, key) -> _sliced() index


def check_elements(resource: dict[str, Any], rloc: str, plan: _Plan, rules: RuleSet, report: Report,
                   full_urls: dict[str, str],
                   selected: Callable[[tuple[Segment, ...]], list[tuple[Any, str]]],
                   indexes: dict[int, Slices] | None = None) -> None:
    """Cardinality, fixed values, bindings and targets of the profile's elements. ``indexes`` receives the
    slice indexes built per parent (by id), for the REQ-125 pass."""
    for parent_segs, items in plan.elements:
        for parent, ploc in selected(parent_segs):
            if parent.__class__ is not dict:
                continue
            slices: Slices | None = None
            for element, last, count_only in items:
                name, key = last.name, last.key
                if key is None:
                    value = parent.get(name)
                    if value is None:
                        found: list[tuple[int | None, Any]] = []
                    elif value.__class__ is list:
                        found = matches(parent, last)
                    else:
                        found = [(None, value)]
                    count = len(found) or (1 if "_" + name in parent else 0)
                else:
                    if slices is None:
                        slices = {}
                        if indexes is not None:
                            indexes[id(parent)] = slices
                    index = slices.get((name, key))
                    if index is None:
                        index = slices[(name, key)] = _sliced(parent.get(name), key)
                    found = index.get(last.value or "", [])
                    count = len(found)
                if count < element.min:
                    report(ERROR, element.req or "profile", f"{ploc}.{name}",
                           f"{_what(element)} is required (min {element.min}, found {count})")
                if element.max is not None and count > element.max:
                    report(ERROR, element.req or "profile", f"{ploc}.{name}",
                           f"{_what(element)} appears {count} times (max {element.max})")
                if not count_only:
                    _check_values(resource, found, ploc, element, last, rules, report, full_urls)


def _check_values(resource: dict[str, Any], found: list[tuple[int | None, Any]], ploc: str, element: Element,
                  last: Segment, rules: RuleSet, report: Report, full_urls: dict[str, str]) -> None:
    rule = element.req or "profile"
    for index, value in found:
        if element.fixed is not None and not _fixed_ok(value, element.fixed):
            report(ERROR, rule, location(ploc, last, index),
                   f"must be {element.fixed!r} (fixed value), found {value!r}")
        if element.binding is not None:
            check_binding(value, element.binding, rules, location(ploc, last, index), report)
        if element.targets and isinstance(value, dict) and isinstance(value.get("reference"), str):
            _check_target(resource, value["reference"], element, ploc, last, index, report, full_urls)


def _check_target(resource: dict[str, Any], reference: str, element: Element, ploc: str, last: Segment,
                  index: int | None, report: Report, full_urls: dict[str, str]) -> None:
    """The reference's target type against the element's (location built for an issue only)."""
    ids: dict[str, Any] | None = None
    if reference[:1] == "#":  # only a local reference reads the contained resources
        contained = resource.get("contained")
        ids = {c["id"]: c.get("resourceType") for c in contained
               if isinstance(c, dict) and isinstance(c.get("id"), str)} if isinstance(contained, list) else {}
    rtype = target_type(reference, ids, full_urls)
    if rtype is not None and rtype not in element.targets:
        report(ERROR, element.req or "profile", f"{location(ploc, last, index)}.reference",
               f"reference to {rtype}; the profile allows {', '.join(element.targets)}")


def check_profile(resource: dict[str, Any], rloc: str, profile: Profile, rules: RuleSet, report: Report,
                  full_urls: dict[str, str], known: dict[int, bytes] | None = None) -> list[Assignment]:
    """Apply one profile (not its base); returns the entry resources the profile assigns profiles to.
    ``known``: id(top-level item) -> its JSON, for the items the structure memo holds (profile_memo.py)."""
    plan = _plan(profile)
    if not plan.local:
        return _check_all(resource, rloc, plan, rules, report, full_urls, None)
    skip, pending = profile_memo.split(id(plan), rules.version, resource, rloc, plan.local, known or {})
    reported: list[str] = []

    def recording(severity: Severity, rule: str, loc: str, text: str) -> None:
        reported.append(loc)
        report(severity, rule, loc, text)

    assigned = _check_all(resource, rloc, plan, rules, recording, full_urls, skip)
    profile_memo.settle(pending, reported)
    return assigned


def _check_all(resource: dict[str, Any], rloc: str, plan: _Plan, rules: RuleSet, report: Report,
               full_urls: dict[str, str], skip: set[int] | None) -> list[Assignment]:
    profile = plan.profile
    selected = _Selector(resource, rloc, skip)
    indexes: dict[int, Slices] = {}
    check_elements(resource, rloc, plan, rules, report, full_urls, selected, indexes)
    for segs, allowed in plan.closed:
        for host, hloc in selected(segs):
            exts = host.get("extension") if isinstance(host, dict) else None
            for i, ext in enumerate(exts if isinstance(exts, list) else []):
                url = ext.get("url") if isinstance(ext, dict) else None
                if url not in allowed:
                    report(ERROR, profile.closed_req, f"{hloc}.extension[{i}]",
                           f"extension {url!r} not allowed here (closed: only {', '.join(allowed)})")
    _unprofiled_extensions(plan, report, selected, indexes)
    for inv, segs in plan.invariants:
        for node, loc in selected(segs):
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


def _unprofiled_extensions(plan: _Plan, report: Report, selected: _Selector, indexes: dict[int, Slices]) -> None:
    """REQ-125 ⚑: an extension the profile does not name where it slices extensions is a warning
    (open slicing allows it); closed slicing (S1 MeasureReport.extension) is an error elsewhere. A top-level
    host no other check selected (evaluatedResource: one per evidence item) is visited without building its
    items' locations, which only a warning needs."""
    for host_segs, urls in plan.open_hosts:
        if len(host_segs) == 1 and host_segs[0].key is None and host_segs not in selected.memo:
            skip = selected.skip
            for index, host in matches(selected.resource, host_segs[0]):
                if not (skip and id(host) in skip):
                    _unprofiled_at(host, urls, indexes, report, selected.rloc, host_segs[0].name, index)
            continue
        for host, hloc in selected(host_segs):
            _unprofiled_at(host, urls, indexes, report, hloc)


def _unprofiled_at(host: Any, urls: frozenset[str], indexes: dict[int, Slices], report: Report, hloc: str,
                   name: str | None = None, index: int | None = None) -> None:
    """REQ-125 at one host (located at ``hloc``, or at ``hloc``.``name``[``index``] when ``name`` is given)."""
    exts = host.get("extension") if host.__class__ is dict else None
    if exts.__class__ is not list:
        return
    found = indexes.get(id(host))
    sliced = found.get(("extension", "url")) if found is not None else None
    if sliced is not None and sliced.keys() <= urls:
        return  # every url of this host is profiled (the index check_elements built)
    for ext in exts:
        if ext.__class__ is not dict or (url := ext.get("url")).__class__ is not str or url not in urls:
            break
    else:
        return  # every url of this host is profiled
    if name is not None:
        hloc = f"{hloc}.{name}" if index is None else f"{hloc}.{name}[{index}]"
    for i, ext in enumerate(exts):
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

