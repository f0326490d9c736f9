"""Terminology bindings of our rule tables (RA-SPEC §4 ⚑ policy for extensible RA bindings).

- required: a code outside the value set is an error;
- extensible, value set known: a code of an RA code system that the system does not define is an error
  (REQ-177), a code from another system is a warning, a CodeableConcept with text only is a warning;
- preferred / example, or a value set we do not hold (e.g. US Core condition codes): not checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ra_conformance.ig.rules import Binding, RuleSet
from ra_conformance.issues import ERROR, WARNING, Severity

Report = Callable[[Severity, str, str, str], None]  # (severity, rule, location, message)


def _codings(value: Any) -> tuple[list[dict[str, Any]], bool]:
    """(codings, is_codeable_concept) of a CodeableConcept or Coding value."""
    if not isinstance(value, dict):
        return [], False
    if "coding" in value or "text" in value:
        codings = value.get("coding")
        return [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else [], True
    return [value], False


def check_binding(value: Any, binding: Binding, rules: RuleSet, loc: str, report: Report) -> None:
    if binding.strength not in ("required", "extensible"):
        return
    vs = rules.valuesets.get(binding.valueset)
    if vs is None:
        return
    rule = binding.req or "binding"
    codings, is_cc = _codings(value)
    if not codings:
        if is_cc:
            sev = ERROR if binding.strength == "required" else WARNING
            report(sev, rule, loc, f"no coding from {binding.valueset} (text only)")
        return
    pairs = [(c.get("system"), c.get("code")) for c in codings]
    pairs = [(s, c) if isinstance(s, str) and isinstance(c, str) else (None, None) for s, c in pairs]
    if any(pair in vs.codes for pair in pairs):
        return
    for i, (system, code) in enumerate(pairs):
        defined = rules.code_systems.get(system) if system is not None else None
        where = f"{loc}.coding[{i}]" if is_cc else loc
        if defined is not None and code not in defined:
            report(ERROR, "REQ-177", f"{where}.code", f"{code!r} is not a code of {system}")
            return
    if binding.strength == "required":
        report(ERROR, rule, loc, f"no coding from the required value set {binding.valueset}")
    else:
        report(WARNING, rule, loc, f"no coding from {binding.valueset} (extensible binding)")
