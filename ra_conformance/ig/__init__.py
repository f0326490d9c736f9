"""The IG knowledge, per version, written by us as data (see RA-SPEC.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

IG_CANONICAL = "http://hl7.org/fhir/us/davinci-ra"
SD = IG_CANONICAL + "/StructureDefinition/"
OD = IG_CANONICAL + "/OperationDefinition/"

# The certifiable versions are the folders ig/<version>/ (ig.versions.ids()); the default when a run names none
# and the target's /metadata tells none.
DEFAULT_IG_VERSION = "2.1.0"

# Names of the coding-gap operation (RA-SPEC §1.1). All of cc-gaps / report / ra.cc-gaps carry
# the STU1 $report semantics; risk-gap is the STU3 ballot's operation (POST only).
OPERATION_DEFINITIONS = {
    "cc-gaps": OD + "report",  # our users' name; answered with $report semantics
    "report": OD + "report",
    "ra.cc-gaps": OD + "ra.cc-gaps",
    "ra.coding-gaps": OD + "ra.coding-gaps",
    "risk-gap": OD + "risk-gap",
}
REPORT_STYLE_OPERATIONS = ("cc-gaps", "report", "ra.cc-gaps")

PROFILE_MEASUREREPORT = SD + "ra-measurereport"
PROFILE_BUNDLE = SD + "ra-measurereport-bundle"
PROFILE_PATIENT_GROUP = SD + "ra-patient-group"
PROFILE_MODEL_MEASURE = SD + "ra-model-measure"
US_CORE_PATIENT = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"
MEASUREREPORT_CATEGORY_EXT = "http://hl7.org/fhir/StructureDefinition/measurereport-category"


@dataclass(frozen=True)
class Requirement:
    """One requirement and how the harness judges it (requirements.json; its shape: requirements.schema.json)."""

    id: str
    text: str
    level: str
    actor: str
    area: str
    source: str
    automated: bool = True  # False: no server conformance run can judge it (`reason` says why)
    reason: str = ""
    client_automated: bool = True  # the same for client-test
    client_reason: str = ""
    profile_rule: str = ""  # a validator rule judged on every returned resource (test_profiles), by this slug
    versions: tuple[str, ...] = ()  # the IG versions the profile rule applies to (requirements(): default all)
    aliases: tuple[str, ...] = ()  # constraint keys the validator tags the rule's issues with (e.g. "ra-1")
    needs_operation: bool = False  # a rule of the `$report` answer's per-patient Bundle: only that flow has one


@lru_cache(maxsize=1)
def requirements() -> dict[str, Requirement]:
    """Every numbered requirement of RA-SPEC §9, by id."""
    raw = json.loads((Path(__file__).parent / "requirements.json").read_text(encoding="utf-8"))
    return {rid: _requirement(rid, fields) for rid, fields in raw["requirements"].items()}


def _requirement(rid: str, fields: dict[str, object]) -> Requirement:
    lists = {k: tuple(v) for k in ("versions", "aliases") if isinstance(v := fields.get(k), list)}
    from ra_conformance.ig.versions import ids  # the registry imports this package; asked on first read

    lists.setdefault("versions", ids())
    return Requirement(id=rid, **{**fields, **lists})  # type: ignore[arg-type]


def profile_rules() -> list[Requirement]:
    """The profile requirements (RA-SPEC §9.5–9.7) the suites judge on every returned resource, one test each
    (tests/ig/test_profile_rules.py proves the validator emits each for a resource breaking it). Not among them, as
    no returned resource can break them here: REQ-118, REQ-169 (`automated: false`), REQ-119 and REQ-109 (need the
    cited resources' US Core profiles / the Measure); REQ-133 is test_req_029's."""
    return [r for r in requirements().values() if r.profile_rule]
