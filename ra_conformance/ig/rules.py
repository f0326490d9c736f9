"""The shape of our per-version IG rule tables (data only; the validator interprets them).

Paths are dot paths of JSON element names from the resource root, e.g. ``MeasureReport.period.start``;
a segment may filter a repeating element by one child's value: ``extension(url=<canonical>)`` or
``part(name=type)`` — that is how slices (by url / by name) are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ra_conformance.issues import ERROR, Severity


@dataclass(frozen=True)
class ValueSet:
    url: str
    codes: frozenset[tuple[str, str]]  # (system, code)

    @property
    def systems(self) -> frozenset[str]:
        return frozenset(system for system, _ in self.codes)


@dataclass(frozen=True)
class Binding:
    valueset: str
    strength: str  # required | extensible | preferred | example
    req: str = ""


@dataclass(frozen=True)
class Element:
    """One constrained element of a profile (cardinality tightening, fixed value, binding, targets)."""

    path: str
    min: int = 0
    max: int | None = None  # None: as the base ("*" or 1)
    fixed: object = None
    binding: Binding | None = None
    targets: tuple[str, ...] = ()  # allowed Reference target resource types
    target_profiles: tuple[str, ...] = ()  # the SD's targetProfile / canonical target, for the record
    must_support: bool = False
    req: str = ""


@dataclass(frozen=True)
class Invariant:
    key: str
    context: str  # path of the nodes the expression is evaluated on ("" = the extension itself)
    expression: str  # FHIRPath, evaluated with fhirpathpy (r4 model)
    human: str
    severity: Severity = ERROR
    req: str = ""
    # evaluate only where the context node's child equals a value (the expression is trivially true elsewhere)
    only_if: tuple[str, object] | None = None
    # name of an equivalent Python check in validation/native.py (used for speed; tests prove equivalence)
    native: str = ""


@dataclass(frozen=True)
class EntrySlice:
    """Bundle.entry slice discriminated by the type of entry.resource."""

    name: str
    resource_type: str | None  # None: any resource
    profile: str | None
    min: int = 0
    max: int | None = None
    must_support: bool = True
    req: str = ""


@dataclass(frozen=True)
class Profile:
    url: str
    type: str
    title: str
    base: str | None = None  # URL of another of our profiles this one constrains further
    elements: tuple[Element, ...] = ()
    invariants: tuple[Invariant, ...] = ()
    entries: tuple[EntrySlice, ...] = ()
    # path -> the only extension urls allowed there (closed slicing, e.g. S1 MeasureReport.extension)
    closed_extensions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    closed_req: str = ""


@dataclass(frozen=True)
class SubExtension:
    url: str
    types: tuple[str, ...]  # allowed value[x] types (FHIR type names)
    min: int = 0
    max: int | None = 1
    binding: Binding | None = None
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExtensionDef:
    url: str
    contexts: tuple[str, ...]  # element paths where it may appear (REQ-176)
    types: tuple[str, ...] = ()  # value[x] types; () = complex (value[x] 0..0)
    max: int | None = None  # root max per host element
    binding: Binding | None = None
    targets: tuple[str, ...] = ()
    sub: tuple[SubExtension, ...] = ()
    elements: tuple[Element, ...] = ()  # rules on the value, relative paths from "Extension"
    invariants: tuple[Invariant, ...] = ()
    req: str = ""
    max_req: str = ""


@dataclass(frozen=True)
class RuleSet:
    version: str
    profiles: dict[str, Profile]
    extensions: dict[str, ExtensionDef]
    valuesets: dict[str, ValueSet]
    code_systems: dict[str, frozenset[str]]  # RA code systems: url -> defined codes (REQ-177)
