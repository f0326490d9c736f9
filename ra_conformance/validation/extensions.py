"""RA extension definitions: where each may appear, its value type and binding, its cardinality per host
element, sub-extensions of complex ones (ccRemark) and their invariants (RA-SPEC §3.9, §3.10)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import cache
from typing import Any

from ra_conformance.ig import SD
from ra_conformance.ig.rules import ExtensionDef, RuleSet, SubExtension
from ra_conformance.issues import ERROR, WARNING
from ra_conformance.jsonio import kept
from ra_conformance.validation.bindings import Report, check_binding
from ra_conformance.validation.invariants import check, message
from ra_conformance.validation.jsonkey import json_key
from ra_conformance.validation.paths import children, compile_path, select
from ra_conformance.validation.references import target_type

# (extension, its location, its host element's location, the host's element path, the resource, its label)
Occurrence = tuple[dict[str, Any], str, str, str, dict[str, Any], str]


def _value(ext: dict[str, Any]) -> tuple[str | None, Any]:
    for key, value in ext.items():
        if key.startswith("value") and len(key) > 5 and key[5].isupper():
            return key[5:], value
    return None, None


def _check_value(vtype: str | None, value: Any, types: tuple[str, ...], binding: Any, targets: tuple[str, ...],
                 loc: str, rules: RuleSet, report: Report, type_rule: str) -> None:
    if vtype not in types:
        report(ERROR, type_rule, f"{loc}.value{vtype}", f"value{vtype} not allowed here (allowed: "
               + ", ".join("value" + t[0].upper() + t[1:] for t in types) + ")")
        return
    vloc = f"{loc}.value{vtype}"
    if binding is not None:
        check_binding(value, binding, rules, vloc, report)
    if targets and vtype == "Reference" and isinstance(value, dict) and isinstance(value.get("reference"), str):
        rtype = target_type(value["reference"])
        if rtype is not None and rtype not in targets:
            report(ERROR, type_rule, f"{vloc}.reference", f"reference to {rtype}; expected {', '.join(targets)}")


@cache
def _norm(types: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t[0].upper() + t[1:] for t in types)


def check_extension(occ: Occurrence, definition: ExtensionDef, rules: RuleSet, report: Report) -> None:
    ext, loc, _, context, resource, _ = occ
    if context not in definition.contexts:
        report(ERROR, "REQ-176", loc, f"{definition.url} may not appear on {context} "
               f"(allowed: {', '.join(definition.contexts)})")
    vtype, value = _value(ext)
    if definition.types:
        if vtype is None:
            if "extension" in ext:  # neither-value-nor-extension is ext-1's (structure.py)
                report(ERROR, definition.req, loc, f"{definition.url} needs a value, not sub-extensions")
        else:
            _check_value(vtype, value, _norm(definition.types), definition.binding, definition.targets, loc, rules,
                         report, definition.req)
    else:
        if vtype is not None:
            report(ERROR, definition.req, f"{loc}.value{vtype}", "a complex extension has no value[x]")
        _check_subs(ext, loc, definition.sub, rules, report, definition.req)
    for element in definition.elements:
        segs = compile_path(element.path)
        for node, where in select(ext, segs[:-1], loc):
            if isinstance(node, dict):
                found = children(node, segs[-1], where)
                if element.max is not None and len(found) > element.max:
                    report(ERROR, element.req, f"{where}.{segs[-1].name}", f"more than {element.max} "
                           f"{segs[-1].value or segs[-1].name} (max {element.max})")
    for inv in definition.invariants:
        if not check(inv, ext, resource):
            report(inv.severity, inv.key, loc, message(inv))


def _check_subs(ext: dict[str, Any], loc: str, subs: tuple[SubExtension, ...], rules: RuleSet, report: Report,
                rule: str) -> None:
    by_url = {s.url: s for s in subs}
    counts: Counter[str] = Counter()
    items = ext.get("extension")
    for i, sub in enumerate(items if isinstance(items, list) else []):
        if not isinstance(sub, dict):
            continue
        url = sub.get("url")
        sloc = f"{loc}.extension[{i}]"
        spec = by_url.get(url) if isinstance(url, str) else None
        if spec is None:
            report(ERROR, rule, sloc, f"sub-extension {url!r} is not defined for this version (REQ-171)")
            continue
        counts[spec.url] += 1
        vtype, value = _value(sub)
        if vtype is not None:
            type_rule = "REQ-174" if spec.url.startswith("author") else "REQ-172"
            _check_value(vtype, value, _norm(spec.types), spec.binding, spec.targets, sloc, rules, report, type_rule)
    for spec in subs:
        if spec.max is not None and counts[spec.url] > spec.max:
            report(ERROR, "REQ-172", loc,
                   f"sub-extension {spec.url!r} appears {counts[spec.url]} times (max {spec.max})")


_CLEAN: set[tuple[str, str, bytes]] = set()  # (version, context, extension JSON) judged clean (bounded)
_CLEAN_LIMIT = 50_000


def check_all(occurrences: list[Occurrence], rules: RuleSet, reporter: Callable[[str], Report],
              known: dict[int, bytes] | None = None) -> set[int]:
    """Check every extension occurrence whose url this version defines, and root cardinalities; returns the
    indices of the occurrences that reported anything. Verdicts of extensions without references are
    memoised: their check depends on nothing else. ``known``: id(extension) -> its JSON, when the walk
    already serialised it."""
    per_host: Counter[tuple[str, str]] = Counter()
    known = known or {}
    bad: set[int] = set()
    for index, occ in enumerate(occurrences):
        url = occ[0].get("url")
        if not isinstance(url, str):
            continue
        definition = rules.extensions.get(url)
        if definition is None:
            if url.startswith(SD):
                bad.add(index)
                reporter(occ[5])(WARNING, "REQ-125", occ[1], f"{url} is not an extension of IG version {rules.version}")
            continue
        data = known.get(id(occ[0])) or json_key(occ[0])
        # no key (jsonkey.py): not memoised; b'"reference"' is never added to _CLEAN, never found there
        key = (rules.version, occ[3], data if data is not None else b'"reference"')
        if key not in _CLEAN:
            found: list[int] = []
            report = reporter(occ[5])

            def counting(*args: str, report: Any = report, found: list[int] = found) -> None:
                found.append(1)
                report(*args)

            check_extension(occ, definition, rules, counting)
            if found:
                bad.add(index)
            elif b'"reference"' not in key[2]:
                if len(_CLEAN) >= _CLEAN_LIMIT:
                    _CLEAN.clear()
                _CLEAN.add((key[0], key[1], kept(key[2])))
        if definition.max is not None:
            per_host[(occ[2], url)] += 1
            if per_host[(occ[2], url)] == definition.max + 1:
                bad.add(index)
                reporter(occ[5])(ERROR, definition.max_req or definition.req, occ[2] + ".extension",
                       f"more than {definition.max} {url} on this element (extension max {definition.max})")
    return bad
