"""Base FHIR R4 structure over plain dicts: element names, types, cardinality, primitive forms, bindings
(required: error; extensible: warning; preferred: information — on code, Coding and CodeableConcept),
reference target types, the narrative, and every error-severity base invariant (constraints.py).

The tables come from tables.py (generated from the official R4 definitions). ext-1, ele-1 and ref-1 are
checked natively here for speed; tests/validation prove them equal to their FHIRPath expressions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from ra_conformance.issues import ERROR, WARNING, Issue, Severity
from ra_conformance.jsonio import kept
from ra_conformance.validation import subtrees, tables
from ra_conformance.validation.base_bindings import Binding, check_coded, compile_binding
from ra_conformance.validation.constraints import Constraint, by_type
from ra_conformance.validation.dom import dom_checks
from ra_conformance.validation.issue import resource_label
from ra_conformance.validation.jsonkey import json_key
from ra_conformance.validation.narrative import check_div
from ra_conformance.validation.primitives import CHECKS
from ra_conformance.validation.references import is_local_unresolved, parse_reference


class Spec(NamedTuple):
    code: str  # complex type name, "Resource", or the primitive kind when prim is set
    is_list: bool
    required: bool
    enum: frozenset[str] | None
    refs: frozenset[str] | None
    group: str | None
    prim: Any  # primitive check function, or None for complex types
    binding: Binding | None = None  # Coding / CodeableConcept bindings that can be checked here
    # strings already found valid for this primitive kind and value set (memo); None for the kinds whose only
    # lexical rule is non-emptiness (string, markdown, xhtml: any non-empty string, _UNPATTERNED)
    good: set[str] | None = None


class TypeInfo(NamedTuple):
    """Everything the walker needs about one type, looked up once per object."""

    specs: dict[str, Spec]
    required: tuple[str, ...]
    choices: dict[str, bool] | None  # choice group -> required
    constraints: tuple[Constraint, ...] | None
    is_extension: bool
    is_narrative: bool


@dataclass
class WalkContext:
    """State of one validation walk: issues found and every resource met (root first)."""

    issues: list[Issue] = field(default_factory=list)
    resources: list[tuple[dict[str, Any], str, str]] = field(default_factory=list)  # (resource, path, label)
    label: str = "?"
    ordinal: int = 0
    contained: dict[str, str | None] = field(default_factory=dict)  # id -> resourceType (None: not given)
    full_urls: dict[str, str] = field(default_factory=dict)
    # the resource being walked: (resource, its type, its location)
    current: tuple[dict[str, Any], str, str] = ({}, "?", "")
    # every extension met outside an Extension:
    # (extension, its location, host location, host element path, the resource, the resource's label)
    extensions: list[tuple[dict[str, Any], str, str, str, dict[str, Any], str]] = field(default_factory=list)
    ext_json: dict[int, bytes] = field(default_factory=dict)  # id(extension) -> its JSON (shared with extensions.py)
    # id(top-level item) -> its JSON, for the items subtrees.py remembers (profile_memo.py)
    node_json: dict[int, bytes] = field(default_factory=dict)
    tainted: int = 0  # checks met that read more than the node (references, resources, %resource): subtrees.py
    version: str | None = None  # the IG version whose extension checks follow the walk (None: none follow)
    # remembered subtrees whose extensions are ctx.extensions[start:end]: (entry, its element path, start, end)
    replayed: list[tuple[subtrees.Entry, str, int, int]] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)  # urls of the profiles applied to the root (skeletons.py)

    def add(self, rule: str, location: str, message: str, severity: Severity = ERROR) -> None:
        self.issues.append(Issue(severity, location, rule, message, self.label))


@lru_cache(maxsize=1)
def _compiled() -> tuple[dict[str, dict[str, Spec]], dict[str, tuple[str, ...]], dict[str, dict[str, bool]],
                        frozenset[str]]:
    raw = tables.load()
    types: dict[str, dict[str, Spec]] = {}
    required: dict[str, tuple[str, ...]] = {}
    good: dict[tuple[str, frozenset[str] | None], set[str]] = {}
    for tname, elements in raw["types"].items():
        specs = {}
        for name, (code, is_list, req, refs, group, binding) in elements.items():
            prim = CHECKS[code[2:]] if code.startswith("p:") else None
            compiled = compile_binding(binding) if binding else None
            enum = compiled.codes if prim is not None and compiled is not None and compiled.strength == "required" \
                else None
            # kinds checked for non-emptiness only: a memo would cost more than the check (see _walk_object)
            memo = good.setdefault((code, enum), set()) if prim is not None and (
                enum is not None or code[2:] not in _UNPATTERNED) else None
            specs[name] = Spec(code[2:] if prim else code, is_list, req, enum, frozenset(refs) if refs else None,
                               group, prim, compiled if prim is None else None, memo)
        types[tname] = specs
        required[tname] = tuple(n for n, s in specs.items() if s.required)
    return types, required, raw["choices"], frozenset(raw["resources"])


def element_spec(type_name: str, element: str) -> Spec | None:
    """The base definition of ``type_name.element`` (None if unknown)."""
    return _compiled()[0].get(type_name, {}).get(element)


def type_info(type_name: str) -> TypeInfo | None:
    """The walker's tables of one type (None if unknown)."""
    if not _INFO:
        _bind_tables()
    return _INFO.get(type_name)


def walk_resource(resource: Any, path: str, ctx: WalkContext) -> None:
    """Check one resource (and everything inside it) against base R4; ``path`` is its location."""
    if not isinstance(resource, dict):
        ctx.add("struct-type", path, "a resource must be a JSON object")
        return
    rtype = resource.get("resourceType")
    ctx.tainted += 1
    saved = (ctx.label, ctx.contained, ctx.current)
    ctx.label = resource_label(resource, ctx.ordinal)
    if not path:
        path = rtype if isinstance(rtype, str) and rtype else "?"
    ctx.current = (resource, rtype if isinstance(rtype, str) else "?", path)
    ctx.resources.append((resource, path, ctx.label))
    resources = _compiled()[3]
    if not _INFO:
        _bind_tables()
    if not isinstance(rtype, str) or not rtype:
        ctx.add("struct-resourcetype", path, "resourceType is missing")
    elif rtype not in resources:
        ctx.add("struct-resourcetype", path, f"{rtype!r} is not an R4 resource type")
    else:
        contained = resource.get("contained")
        ctx.contained = {c["id"]: c.get("resourceType") for c in contained
                         if isinstance(c, dict) and isinstance(c.get("id"), str)} if isinstance(contained, list) else {}
        if rtype == "Bundle":
            _index_full_urls(resource, ctx)
        _walk_object(resource, rtype, path, rtype, ctx, True)
        if "contained" in resource and rtype not in _PLAIN:
            for key, i, text in dom_checks(resource):
                ctx.add(key, f"{path}.contained[{i}]", text)
    ctx.label, ctx.contained, ctx.current = saved


def _bind_tables() -> None:
    """Bind the compiled tables as module globals for the hot loop (once)."""
    types, required, choices, _ = _compiled()
    constraints = by_type()
    _PLAIN.update(tables.load()["plain_resources"])
    global _REMEMBERED
    _REMEMBERED = frozenset(types) - frozenset(_NOT_REMEMBERED)
    for tname, specs in types.items():
        _INFO[tname] = TypeInfo(specs, required[tname], choices.get(tname) or None, constraints.get(tname),
                                tname == "Extension", tname == "Narrative")


def _index_full_urls(bundle: dict[str, Any], ctx: WalkContext) -> None:
    entries = bundle.get("entry")
    if isinstance(entries, list):
        for entry in entries:
            if (isinstance(entry, dict) and isinstance(entry.get("fullUrl"), str)
                    and isinstance(entry.get("resource"), dict)):
                ctx.full_urls[entry["fullUrl"]] = entry["resource"].get("resourceType")


def _walk_object(node: dict[str, Any], tname: str, path: str, epath: str, ctx: WalkContext,
                 is_resource: bool = False) -> None:
    """Check the children of one object; ``path`` is its location, ``epath`` its element path (no indices).
    Child locations are only built when needed (an issue, or a complex child to descend into)."""
    info = _INFO[tname]
    specs = info.specs
    groups: dict[str, int] | None = None
    for key, value in node.items():
        spec = specs.get(key)
        if spec is None:
            if key[:1] == "_":
                base = specs.get(key[1:])
                if base is not None and base.prim is not None:
                    _walk_primitive_ext(value, base, f"{path}.{key}", f"{epath}.{key}", node.get(key[1:]), ctx)
                    continue
            if not (is_resource and key == "resourceType"):
                ctx.add("struct-unknown-element", f"{path}.{key}", f"unknown element {key!r} in {tname}")
            continue
        code, is_list, _, enum, _, group, prim, binding, good = spec
        if group is not None:
            if groups is None:
                groups = {}
            groups[group] = groups.get(group, 0) + 1
        if value is None:
            ctx.add("struct-null", f"{path}.{key}", "null is not allowed (omit the element instead)")
        elif prim is not None:
            if is_list:
                if value.__class__ is not list or not value:
                    _bad_list(value, f"{path}.{key}", key, ctx)
                    continue
                ext = node.get("_" + key)
                for i, item in enumerate(value):
                    if item is None:
                        if not (isinstance(ext, list) and i < len(ext) and ext[i] is not None):
                            ctx.add("struct-null", f"{path}.{key}[{i}]", "null is not allowed in an array here")
                    elif item.__class__ is str and (item in good if good is not None else item != ""):
                        continue
                    elif prim(item) is not None or (enum is not None and item not in enum):
                        _primitive_issue(item, spec, f"{path}.{key}[{i}]", ctx)
                    elif item.__class__ is str:
                        _remember(good, item)  # type: ignore[arg-type]
            elif value.__class__ is str and (value in good if good is not None else value != ""):
                continue
            elif value.__class__ is list:
                ctx.add("struct-max", f"{path}.{key}", f"{key} has max 1: a JSON array is not allowed")
            elif prim(value) is not None or (enum is not None and value not in enum):
                _primitive_issue(value, spec, f"{path}.{key}", ctx)
            elif value.__class__ is str:
                _remember(good, value)  # type: ignore[arg-type]
        elif is_list:
            if value.__class__ is not list or not value:
                _bad_list(value, f"{path}.{key}", key, ctx)
                continue
            sub = f"{epath}.{key}"
            for i, item in enumerate(value):
                if item is None:
                    ctx.add("struct-null", f"{path}.{key}[{i}]", "null is not allowed in an array here")
                elif is_resource and code in _REMEMBERED:
                    _walk_remembered(item, spec, f"{path}.{key}[{i}]", sub, ctx)
                else:
                    _walk_complex(item, spec, f"{path}.{key}[{i}]", sub, ctx)
                    if is_resource and code == "Extension" and (data := ctx.ext_json.get(id(item))) is not None:
                        ctx.node_json[id(item)] = data  # a resource's own extension: profile_memo.py may skip it
        elif value.__class__ is list:
            ctx.add("struct-max", f"{path}.{key}", f"{key} has max 1: a JSON array is not allowed")
        elif is_resource and code in _REMEMBERED:
            _walk_remembered(value, spec, f"{path}.{key}", f"{epath}.{key}", ctx)
        elif value.__class__ is dict and value and code != "Resource" and code != "Extension":
            loc = f"{path}.{key}"  # _walk_complex inlined for the commonest case
            _walk_object(value, code, loc, f"{epath}.{key}", ctx)
            if code == "Reference":
                _check_reference(value, spec.refs, loc, ctx)
            elif binding is not None:
                check_coded(value, code, binding, loc, ctx.add)
        else:
            _walk_complex(value, spec, f"{path}.{key}", f"{epath}.{key}", ctx)
    for name in info.required:
        if name not in node and "_" + name not in node:
            ctx.add("struct-cardinality", f"{path}.{name}", f"{tname}.{name} is required (min 1)")
    if info.choices is not None:
        for group, req in info.choices.items():
            count = groups.get(group, 0) if groups else 0
            if count > 1:
                ctx.add("struct-choice", f"{path}.{group}[x]", f"{group}[x] has {count} types present; max 1")
            elif req and count == 0:
                ctx.add("struct-cardinality", f"{path}.{group}[x]", f"{tname}.{group}[x] is required (min 1)")
    if not info.is_extension:
        exts = node.get("extension")
        if exts.__class__ is list:
            res = ctx.current[0]
            for i, ext in enumerate(exts):
                if ext.__class__ is dict:
                    ctx.extensions.append((ext, f"{path}.extension[{i}]", path, epath, res, ctx.label))
        if not is_resource and len(node) == 1 and "id" in node:
            ctx.add("ele-1", path, "an element must have a value or children besides id (ele-1)")
    else:
        has_value = bool(groups and groups.get("value"))
        if has_value == ("extension" in node):
            ctx.add("ext-1", path, "an extension must have either a value or sub-extensions, not both (ext-1)")
    if info.constraints is not None:
        _check_constraints(node, info.constraints, path, ctx)
    if info.is_narrative and isinstance(node.get("div"), str):
        for key, text in _div_problems(node["div"]):
            ctx.add(key, f"{path}.div", f"{text} ({key})")


_GOOD_LIMIT = 4_096  # valid strings remembered per primitive kind (codes, systems, urls, dates repeat)


def _remember(good: set[str], value: str) -> None:
    if len(good) >= _GOOD_LIMIT:
        good.clear()
    good.add(value)


def _check_constraints(node: dict[str, Any], constraints: tuple[Constraint, ...], path: str,
                       ctx: WalkContext) -> None:
    resource = ctx.current[0]
    for c in constraints:
        if not c.child:
            _judge(c, node, path, resource, ctx)
            continue
        name = c.child[:-3] if c.child.endswith("[x]") else c.child
        for key, value in node.items():
            if key == name or (c.child.endswith("[x]") and key.startswith(name) and key[len(name):][:1].isupper()):
                items = value if isinstance(value, list) else [value]
                for i, item in enumerate(items):
                    _judge(c, item, f"{path}.{key}" + (f"[{i}]" if isinstance(value, list) else ""), resource, ctx)


def _judge(c: Constraint, node: Any, loc: str, resource: dict[str, Any], ctx: WalkContext) -> None:
    if "%" in c.expression:
        ctx.tainted += 1
    verdict = c.holds(node, resource)
    if verdict is False:
        ctx.add(c.key, loc, f"{c.human} ({c.key})")
    elif verdict is not True:
        ctx.add("invariant-unevaluable", loc, f"{c.key} could not be evaluated ({verdict}); not judged", WARNING)


_DIVS: dict[str, list[tuple[str, str]]] = {}  # narratives repeat across resources: memo (bounded)


def _div_problems(div: str) -> list[tuple[str, str]]:
    found = _DIVS.get(div)
    if found is None:
        if len(_DIVS) >= 2_000:
            _DIVS.clear()
        found = _DIVS[div] = check_div(div)
    return found


def _bad_list(value: Any, loc: str, key: str, ctx: WalkContext) -> None:
    if value.__class__ is not list:
        ctx.add("struct-type", loc, f"{key} repeats: expected a JSON array")
    else:
        ctx.add("struct-empty", loc, "empty array (omit the element instead)")


def _primitive_issue(value: Any, spec: Spec, loc: str, ctx: WalkContext) -> None:
    problem = spec.prim(value)
    if problem is not None:
        ctx.add("struct-empty" if value == "" else "struct-format", loc, problem)
    else:
        allowed = ", ".join(sorted(spec.enum or ()))
        ctx.add("struct-binding", loc, f"{value!r} is not in the required value set ({allowed})")


def _walk_remembered(value: Any, spec: Spec, loc: str, epath: str, ctx: WalkContext) -> None:
    """A resource's top-level element: skipped (its extensions replayed) when the same JSON walked clean
    before (subtrees.py). The element's binding depends on where it is, so it is always checked."""
    if value.__class__ is not dict or not value:
        _walk_complex(value, spec, loc, epath, ctx)
        return
    ref = None
    if spec.code == "Reference":
        ref = value.get("reference")
        if ref.__class__ is not str or len(value) == 1:  # {"reference": "..."} alone is cheaper to walk
            _walk_complex(value, spec, loc, epath, ctx)
            return
        key = subtrees.reference_key(value)
    else:
        key = subtrees.key_of(spec.code, value)
    found = subtrees.recall(key) if key is not None else None
    start = len(ctx.extensions)
    if found is not None:
        if ref is None:
            ctx.node_json[id(value)] = found.key
        if found.occurrences and (ctx.version, epath) not in found.clean:
            subtrees.replay(value, found.occurrences, loc, epath, ctx.current[0], ctx.label, ctx.extensions,
                            ctx.ext_json)
            if ctx.version is not None:
                ctx.replayed.append((found, epath, start, len(ctx.extensions)))
        if ref is not None:
            rspec = _INFO["Reference"].specs["reference"]
            if rspec.good is not None or not ref:  # a string kind: any non-empty string passes (Spec.good)
                _check_string(ref, rspec, f"{loc}.reference", ctx)
    else:
        issues, tainted = len(ctx.issues), ctx.tainted
        _walk_object(value, spec.code, loc, epath, ctx)
        if key is not None and len(ctx.issues) == issues and ctx.tainted == tainted and subtrees.again(key):
            entry = subtrees.remember(key, loc, epath, ctx.extensions[start:], ctx.ext_json)
            if ref is None:
                ctx.node_json[id(value)] = entry.key  # the memo's right-sized copy (profile_memo.py keeps it)
            if ctx.version is not None and entry.occurrences:
                ctx.replayed.append((entry, epath, start, len(ctx.extensions)))
    if ref is not None:
        _check_reference(value, spec.refs, loc, ctx)
    elif spec.binding is not None:
        check_coded(value, spec.code, spec.binding, loc, ctx.add)


def _check_string(value: str, spec: Spec, loc: str, ctx: WalkContext) -> None:
    """One string primitive, as _walk_object checks it."""
    if (value not in spec.good) if spec.good is not None else value == "":
        if spec.prim(value) is not None or (spec.enum is not None and value not in spec.enum):
            _primitive_issue(value, spec, loc, ctx)
        else:
            _remember(spec.good, value)  # type: ignore[arg-type]


def _walk_complex(value: Any, spec: Spec, loc: str, epath: str, ctx: WalkContext) -> None:
    if spec.code == "Resource":
        walk_resource(value, loc, ctx)
        return
    if value.__class__ is not dict:
        ctx.add("struct-type", loc, f"expected a JSON object ({spec.code}), got {type(value).__name__}")
        return
    if not value:
        ctx.add("ele-1", loc, "empty object: an element must have a value or children (ele-1)")
        return
    if spec.code == "Extension":
        _walk_extension(value, loc, epath, ctx)
        return
    _walk_object(value, spec.code, loc, epath, ctx)
    if spec.code == "Reference":
        _check_reference(value, spec.refs, loc, ctx)
    elif spec.binding is not None:
        check_coded(value, spec.code, spec.binding, loc, ctx.add)


_CLEAN_EXTENSIONS: set[bytes] = set()  # simple extensions already walked without issue (bounded)
_CLEAN_LIMIT = 50_000


def _walk_extension(value: dict[str, Any], loc: str, epath: str, ctx: WalkContext) -> None:
    """Extensions repeat verbatim across resources (codes, statuses): a simple one (no nested extension,
    no Reference, whose check depends on context) that was clean once is clean again."""
    key = json_key(value)  # None: never remembered (jsonkey.py)
    if key is not None:
        ctx.ext_json[id(value)] = key
        if key in _CLEAN_EXTENSIONS:
            return
    before = len(ctx.issues)
    _walk_object(value, "Extension", loc, epath, ctx)
    if key is not None and len(ctx.issues) == before and b'"extension"' not in key and b'"reference"' not in key:
        if len(_CLEAN_EXTENSIONS) >= _CLEAN_LIMIT:
            _CLEAN_EXTENSIONS.clear()
        _CLEAN_EXTENSIONS.add(kept(key))


def _check_reference(value: dict[str, Any], refs: frozenset[str] | None, loc: str, ctx: WalkContext) -> None:
    ref = value.get("reference")
    if not isinstance(ref, str) or not ref:
        return
    ctx.tainted += 1
    well_formed, literal_type = parse_reference(ref)  # references.py's is_well_formed, target_type, in one look-up
    if not well_formed:
        ctx.add("struct-reference", f"{loc}.reference", f"{ref!r} is not a relative, absolute, urn or local reference",
                WARNING)
        return
    if ref[0] == "#":
        if is_local_unresolved(ref, ctx.contained):
            ctx.add("ref-1", f"{loc}.reference", f"local reference {ref!r} names no contained resource (ref-1)")
            return
        rtype = ctx.contained.get(ref[1:])
    else:
        rtype = ctx.full_urls.get(ref, literal_type) if ctx.full_urls else literal_type
    if refs is not None and rtype is not None and rtype not in refs:
        ctx.add("struct-ref-target", f"{loc}.reference",
                f"reference to {rtype} not allowed here (allowed: {', '.join(sorted(refs))})")


def _walk_primitive_ext(value: Any, spec: Spec, loc: str, epath: str, sibling: Any, ctx: WalkContext) -> None:
    """``_name`` companions of primitives: an Element (id, extension), or an array aligned with the values."""
    if spec.is_list:
        if not isinstance(value, list) or not value:
            ctx.add("struct-type", loc, "expected a non-empty JSON array of Element objects")
            return
        if sibling is not None and (not isinstance(sibling, list) or len(sibling) != len(value)):
            ctx.add("struct-type", loc, "array length differs from the primitive array it extends")
        for i, item in enumerate(value):
            if item is not None:
                _walk_complex(item, _ELEMENT_SPEC, f"{loc}[{i}]", epath, ctx)
            elif not (isinstance(sibling, list) and i < len(sibling) and sibling[i] is not None):
                ctx.add("struct-null", f"{loc}[{i}]", "value and extension are both null")
    elif isinstance(value, list):
        ctx.add("struct-max", loc, "expected a JSON object, not an array")
    elif value is None:
        ctx.add("struct-null", loc, "null is not allowed")
    else:
        _walk_complex(value, _ELEMENT_SPEC, loc, epath, ctx)


_INFO: dict[str, TypeInfo] = {}  # _compiled() tables bound as globals for the hot loop
_REMEMBERED: frozenset[str] = frozenset()  # complex types whose clean top-level values subtrees.py remembers (all but these:)
_NOT_REMEMBERED = ("Resource", "Extension")
_PLAIN: set[str] = set()  # resource types that are not DomainResources
_ELEMENT_SPEC = Spec("Element", False, False, None, None, None, None)
_UNPATTERNED = frozenset({"string", "markdown", "xhtml"})  # primitives.py: non-empty is their only lexical rule

