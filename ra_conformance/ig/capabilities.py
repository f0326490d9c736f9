"""The IG's CapabilityStatements as expectations, per version (written by us from RA-SPEC §5).

Item keys: ``system:<interaction>``, ``<Type>:<interaction>``, ``<Type>:search:<param>``,
``<Type>:operation:<name>``, ``<Type>:resource`` (the resource itself), ``patchFormat:<media type>`` (MAY: the
IG's statements list JSON Patch only, so FHIRPath Patch runs where /metadata declares it). Levels: SHALL / SHOULD / MAY.
Items of a resource whose own expectation is MAY are SHALL *if the server supports the resource*
(REQ-189, REQ-191). ``MeasureReport:operation:coding-gap`` is the product's `$cc-gaps` family
(`$report` in STU1, where it is SHALL; absent from the 2.1.0 and STU3 statements, where reports are
retrieved by search — there it is MAY and runs when the target declares it).
"""

from __future__ import annotations

from dataclasses import dataclass

from ra_conformance.ig import versions

SHALL, SHOULD, MAY = "SHALL", "SHOULD", "MAY"
CODING_GAP_OPERATION = "MeasureReport:operation:coding-gap"
RISK_GAP_OPERATION = "MeasureReport:operation:risk-gap"
FHIRPATH_PATCH_FORMAT = "patchFormat:application/fhir+json"
# ra-conform's own declaration that MeasureReport?subject=Group/<id> returns the members' reports (REQ-086 ⚑,
# not base FHIR): an extension (valueBoolean true) on the `subject` searchParam of MeasureReport.
GROUP_EXPANSION_EXTENSION = "https://ra-conform.example.org/fhir/StructureDefinition/search-subject-group-expansion"
# The capability item of that declaration (MAY everywhere; capability.Declarations reads the extension).
GROUP_EXPANSION = "MeasureReport:search:subject=Group"

_SYSTEM = {"system:batch": SHOULD, "system:transaction": MAY, "system:search-system": MAY, "system:history-system": MAY}
_MR_REST = {
    **{f"MeasureReport:{i}": SHALL for i in ("read", "create", "update", "patch", "delete", "search-type")},
    **{f"MeasureReport:{i}": MAY for i in ("vread", "history-instance", "history-type")},
}
_S1_SEARCH = {f"MeasureReport:search:{p}": MAY for p in ("date", "evaluated-resource", "identifier", "measure", "patient", "period", "reporter", "status", "subject")}
_V21_SEARCH = {
    **{f"MeasureReport:search:{p}": SHALL for p in ("date", "measure", "patient", "period", "status", "subject", "measurereport-category")},
    "MeasureReport:search:evaluated-resource": SHOULD,
    "MeasureReport:search:identifier": MAY,
    "MeasureReport:search:reporter": MAY,
}
_V21_SERVER = {
    **_SYSTEM,
    **_MR_REST,
    **_V21_SEARCH,
    CODING_GAP_OPERATION: MAY,
    "Measure:resource": MAY,
    "Measure:read": SHALL,
    "Measure:operation:ra.evaluate-measure": MAY,
    "Bundle:resource": MAY,
    **{f"Bundle:{i}": SHALL for i in ("read", "create", "update", "patch", "delete", "search-type")},
}
_V21_CLIENT = {
    **_SYSTEM,
    "MeasureReport:read": SHALL,
    "MeasureReport:search-type": SHALL,
    **{f"MeasureReport:{i}": MAY for i in ("update", "patch", "history-instance", "history-type")},
    **_V21_SEARCH,
    "Bundle:resource": MAY,
    "Bundle:read": SHALL,
    "Bundle:search-type": SHALL,
}

# The IG's CapabilityStatements per version (each ig/<version>/ record holds its own: IgVersion.statements).
S1_STATEMENTS = {"ra-server": {**_SYSTEM, **_MR_REST, **_S1_SEARCH, CODING_GAP_OPERATION: SHALL}}
V21_STATEMENTS = {
    "ra-reporting-server": _V21_SERVER,
    "ra-reporting-client": _V21_CLIENT,
    "ra-data-submission-client": {**_SYSTEM, "MeasureReport:create": SHALL},
    "ra-data-submission-server": {**_SYSTEM, **{f"MeasureReport:{i}": SHALL for i in ("read", "update", "patch", "search-type")}},
}


def with_items(statements: dict[str, dict[str, str]], name: str, items: dict[str, str]) -> dict[str, dict[str, str]]:
    """A copy of ``statements`` whose statement ``name`` has ``items`` added (a later version's statements)."""
    out = {n: dict(i) for n, i in statements.items()}
    out[name].update(items)
    return out


@dataclass(frozen=True)
class Expectation:
    item: str
    level: str
    statement: str
    conditional_on: str | None = None  # a resource whose own expectation is MAY


def expectation(version: str, item: str, statement: str | None = None) -> Expectation:
    """The IG's expectation for an item of the server statement (MAY when the IG says nothing)."""
    record = versions.get(version)
    name = statement or record.server_statement
    items = record.statements[name]
    level = items.get(item, MAY)
    resource = item.split(":", 1)[0]
    gate = f"{resource}:resource"
    if items.get(gate) == MAY and item != gate:
        return Expectation(item, level, name, conditional_on=resource)
    return Expectation(item, level, name)
