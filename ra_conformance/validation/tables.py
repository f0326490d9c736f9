"""Base FHIR R4 structure tables, derived once from the fhir.resources R4B model metadata.

The tables are committed as data (r4_structure.json, shipped as package data) so the validator never touches pydantic at
run time (pydantic models validate ~210 reports/s; a plain-dict walk over these tables is ~10x faster).
Regenerate with ``python -m ra_conformance.validation.tables`` after upgrading fhir.resources; a test
checks the committed file equals a fresh derivation.

Table shape: ``{"types": {TypeName: {jsonName: [type, isList, min1, enumCodes|None, refTargets|None,
choiceGroup|None]}}, "choices": {TypeName: {group: required}}, "resources": [...]}``. ``type`` is a
complex type / backbone class name, ``"Resource"`` (any resource, dispatched by resourceType) or
``"p:<fhirPrimitive>"``.

R4B differs from R4 4.0.1 for the types used here only in Extension.value[x] (R4B adds
CodeableReference and RatioRange and drops Meta): fixed up below.
"""

from __future__ import annotations

import json
import typing
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).parent / "r4_structure.json"

# Resource types the RA flows carry (RA-SPEC §3, §8) plus the usual companions of US Core evidence.
RESOURCE_TYPES = (
    "MeasureReport", "Bundle", "Parameters", "Patient", "Group", "Measure", "Organization",
    "OperationOutcome", "Condition", "Encounter", "Observation", "DocumentReference", "Practitioner",
    "PractitionerRole", "Coverage", "Location", "Library", "Procedure", "MedicationRequest",
    "MedicationStatement", "MedicationDispense", "Medication", "AllergyIntolerance", "DiagnosticReport",
    "Immunization", "CarePlan", "CareTeam", "Goal", "ServiceRequest", "Claim", "ClaimResponse",
    "ExplanationOfBenefit", "Provenance", "Task", "RelatedPerson", "Device", "DetectedIssue", "Binary",
    "Composition", "MessageHeader", "CapabilityStatement", "OperationDefinition", "SearchParameter",
    "Questionnaire", "QuestionnaireResponse", "Specimen", "FamilyMemberHistory", "Consent",
    "Communication", "Basic",
)

_PRIMITIVE_NAMES = {"EncodedBytes": "base64Binary", "UuidVersion": "uuid", "Base64Binary": "base64Binary",
                    "DateTime": "dateTime", "PositiveInt": "positiveInt",
                    "UnsignedInt": "unsignedInt"}
# R4 Extension.value[x] differs from R4B's (see module doc).
_R4_EXTENSION_FIX = {"drop": ("valueCodeableReference", "valueRatioRange"), "add": {"valueMeta": "Meta"}}


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner annotation, is_list) of Optional[List[X]] / X | None / Annotated[...]."""
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            annotation = next(a for a in args if a is not type(None))
        elif origin in (list, typing.List):
            is_list = True
            annotation = args[0]
        else:
            return annotation, is_list


def _type_code(annotation: Any) -> str:
    if typing.get_origin(annotation) is typing.Annotated:
        meta = typing.get_args(annotation)[1]
        name = type(meta).__name__
        return "p:" + _PRIMITIVE_NAMES.get(name, name[0].lower() + name[1:])
    if annotation is bool:
        return "p:boolean"
    name = getattr(annotation, "__name__", str(annotation))
    if name == "ResourceType":
        return "Resource"
    if name.endswith("Type"):
        return name[: -len("Type")]
    raise ValueError(f"unexpected annotation {annotation!r}")


def _model_class(name: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(name)


def derive() -> dict[str, Any]:
    """Walk the R4B models from RESOURCE_TYPES and return the structure tables."""
    types: dict[str, dict[str, list[Any]]] = {}
    choices: dict[str, dict[str, bool]] = {}
    pending = list(RESOURCE_TYPES) + ["Extension", "Narrative", "Meta", "Element"]
    while pending:
        name = pending.pop()
        if name in types:
            continue
        elements: dict[str, list[Any]] = {}
        groups: dict[str, bool] = {}
        for field in _model_class(name).model_fields.values():
            extra = field.json_schema_extra or {}
            if not isinstance(extra, dict) or not extra.get("element_property"):
                continue
            inner, is_list = _unwrap(field.annotation)
            code = _type_code(inner)
            required = bool(extra.get("element_required")) or field.is_required()
            group = extra.get("one_of_many")
            if group:
                groups[group] = groups.get(group, False) or bool(extra.get("one_of_many_required"))
                required = False
            refs = extra.get("enum_reference_types")
            elements[field.alias] = [code, is_list, required, extra.get("enum_values"),
                                     list(refs) if refs and refs != ["Resource"] else None, group]
            if not code.startswith("p:") and code != "Resource" and code not in types:
                pending.append(code)
        if name == "Extension":
            for key in _R4_EXTENSION_FIX["drop"]:
                elements.pop(key, None)
            for key, code in _R4_EXTENSION_FIX["add"].items():
                elements[key] = [code, False, False, None, None, "value"]
                pending.append(code)
        types[name] = dict(sorted(elements.items()))
        if groups:
            choices[name] = groups
    return {"resources": sorted(RESOURCE_TYPES), "types": dict(sorted(types.items())),
            "choices": dict(sorted(choices.items()))}


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    """The committed tables (derived by :func:`derive`)."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def main() -> None:
    DATA_FILE.parent.mkdir(parents=True, exist_ok=True)
    DATA_FILE.write_text(json.dumps(derive(), separators=(",", ":"), sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {DATA_FILE}")


if __name__ == "__main__":
    main()
