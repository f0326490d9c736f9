"""Base R4 bindings on code, Coding and CodeableConcept (http://hl7.org/fhir/R4/terminologies.html).

- required: a code outside the value set is an error (struct-binding); a CodeableConcept needs at least
  one coding from it (text alone does not satisfy a required binding);
- extensible: codings present but none from the value set is information (struct-binding-extensible); text
  alone is allowed. FHIR makes another code conformant when the value set has no suitable concept, which
  no validator can judge (a member-number identifier type, v2-0203#MB, is such a code): reported, but
  never as a warning that would turn legal variation into a WARN verdict of the harness;
- preferred: the same, information (struct-binding-preferred); example bindings are not checked.
Only value sets the definitions expand completely are judged (tables.valueset_codes); the others
(SNOMED CT, LOINC, MIME types, languages, UCUM, ...) are not checked here rather than judged wrongly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

from ra_conformance.issues import ERROR, INFORMATION, Severity
from ra_conformance.validation import tables

SEVERITY = {"required": ERROR, "extensible": INFORMATION, "preferred": INFORMATION}
RULE = {"required": "struct-binding", "extensible": "struct-binding-extensible",
        "preferred": "struct-binding-preferred"}


class Binding(NamedTuple):
    strength: str
    url: str
    pairs: frozenset[tuple[str, str]]  # (system, code)
    codes: frozenset[str]  # the codes alone (for `code` elements, whose system is implied)


@cache
def _compile(strength: str, url: str) -> Binding | None:
    if strength not in SEVERITY:
        return None
    pairs = tables.valueset_codes().get(url)
    if pairs is None:
        return None
    return Binding(strength, url, pairs, frozenset(code for _, code in pairs))


def compile_binding(row: list[str]) -> Binding | None:
    """A table binding row [strength, url] -> a checkable Binding, or None (example, or not expandable)."""
    return _compile(row[0], row[1])


def check_coded(value: dict[str, Any], type_name: str, binding: Binding, loc: str,
                add: Callable[[str, str, str, Severity], None]) -> None:
    """Judge one Coding or CodeableConcept (already structure-checked) against its base binding."""
    if type_name == "Coding":
        codings, is_cc = [value], False
    else:
        raw = value.get("coding")
        codings, is_cc = ([c for c in raw if isinstance(c, dict)] if isinstance(raw, list) else []), True
    if not codings:
        if binding.strength == "required" and is_cc:
            add("struct-binding", loc, f"no coding from the required value set {binding.url} (text only)", ERROR)
        return
    for coding in codings:
        system, code = coding.get("system"), coding.get("code")
        if isinstance(system, str) and isinstance(code, str) and (system, code) in binding.pairs:
            return
    if binding.strength != "required" and not any("code" in c for c in codings):
        return
    shown = ", ".join(f"{c.get('system')}#{c.get('code')}" for c in codings[:3])
    kind = "the required" if binding.strength == "required" else f"the {binding.strength}"
    add(RULE[binding.strength], loc, f"{shown} is not in {kind} value set {binding.url}",
        SEVERITY[binding.strength])
