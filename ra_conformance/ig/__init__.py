"""The IG knowledge, per version, written by us as data (see RA-SPEC.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

IG_CANONICAL = "http://hl7.org/fhir/us/davinci-ra"
SD = IG_CANONICAL + "/StructureDefinition/"
OD = IG_CANONICAL + "/OperationDefinition/"

# The three certifiable versions; the CLI's --ig-version values.
IG_VERSIONS = ("stu1", "2.1.0", "stu3-ballot")
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
    id: str
    text: str
    level: str
    actor: str
    area: str
    source: str


@lru_cache(maxsize=1)
def requirements() -> dict[str, Requirement]:
    """Every numbered requirement of RA-SPEC §9, by id."""
    raw = json.loads((Path(__file__).parent / "requirements.json").read_text(encoding="utf-8"))
    return {rid: Requirement(id=rid, **fields) for rid, fields in raw["requirements"].items()}
