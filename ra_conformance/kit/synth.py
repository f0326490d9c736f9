"""A large synthetic data set for scale tests (`ra-conform fixtures generate --patients N --out DIR`).

Writes NDJSON files the reference server loads (``serve --no-fixtures --load DIR``): per patient a US Core
Patient and, for each of ``reports_per_patient`` consecutive years ending in 2024, an Encounter, a Condition
diagnosed at it and an ra-measurereport (IG 2.1.0) citing both; one Group (ra-patient-group) of every patient;
the model Measure and the payer Organization. Ids start with ``syn-``. Deterministic for a seed; streaming:
memory does not grow with N (the Group's member list is written member by member).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from ..ig import MEASUREREPORT_CATEGORY_EXT, PROFILE_MEASUREREPORT, PROFILE_MODEL_MEASURE, PROFILE_PATIENT_GROUP

RA = "http://hl7.org/fhir/us/davinci-ra/"
USC = "http://hl7.org/fhir/us/core/StructureDefinition/"
SYN_BASE = "https://ra-conform.example.org/synthetic"
LAST_YEAR = 2024
GROUP_ID = "syn-group-all"
MEASURE_ID = "syn-measure-cmshcc-v28"
PAYER_ID = "syn-org-payer"
# (HCC code, HCC display, ICD-10-CM code, ICD display) — CMS-HCC V28 categories with one diagnosis each
CONDITIONS = (
    ("38", "Diabetes with Glycemic, Unspecified, or No Complications", "E11.9", "Type 2 diabetes mellitus without complications"),
    ("226", "Heart Failure, Except End-Stage and Acute", "I50.22", "Chronic systolic (congestive) heart failure"),
    ("280", "Chronic Obstructive Pulmonary Disease, Interstitial Lung Disorders, and Other Chronic Lung Disorders", "J44.9", "Chronic obstructive pulmonary disease, unspecified"),
    ("155", "Major Depression, Moderate or Severe, without Psychosis", "F33.1", "Major depressive disorder, recurrent, moderate"),
    ("327", "Chronic Kidney Disease, Moderate (Stage 3, Except 3B)", "N18.31", "Chronic kidney disease, stage 3a"),
)
CC_TYPES = ("historic", "suspected", "net-new")
EVIDENCE = ("open-gap", "closed-gap", "pending", "invalid-gap")
FAMILIES = ("Okafor", "Lindqvist", "Nakamura", "Castellano", "Oyelaran", "Achterberg", "Moreau", "Haddad")
GIVEN = ("Ada", "Bram", "Chidi", "Dana", "Emil", "Farah", "Goran", "Hana")


@dataclass
class GenerateReport:
    patients: int
    out: Path
    counts: dict[str, int] = field(default_factory=dict)  # resource type -> resources written
    bytes: int = 0
    seconds: float = 0.0

    @property
    def resources(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        per = ", ".join(f"{n} {t}" for t, n in sorted(self.counts.items()))
        return (f"{self.resources} resources ({per}) for {self.patients} patients in {self.out}: "
                f"{self.bytes / 1e6:.1f} MB in {self.seconds:.1f} s")


class GenerateError(ValueError):
    """Bad arguments or an unwritable output folder."""


def generate(patients: int, out: Path, *, reports_per_patient: int = 3, seed: int = 0) -> GenerateReport:
    """Write the data set into ``out`` (created; existing files of the same names are replaced)."""
    if patients < 1:
        raise GenerateError("--patients must be at least 1")
    if not 1 <= reports_per_patient <= 20:
        raise GenerateError("reports per patient must be between 1 and 20")
    started = time.perf_counter()
    report = GenerateReport(patients, Path(out))
    try:
        report.out.mkdir(parents=True, exist_ok=True)
        with _Writers(report) as w:
            w.write(_organization())
            w.write(_measure())
            rng = random.Random(seed)
            years = range(LAST_YEAR - reports_per_patient + 1, LAST_YEAR + 1)
            for i in range(patients):
                pid = patient_id(i)
                w.write(_patient(i, pid, rng))
                for year in years:
                    kind = rng.randrange(len(CONDITIONS))
                    w.write(_encounter(pid, year, rng))
                    w.write(_condition(pid, year, kind))
                    w.write(_report(pid, year, kind, rng))
            _write_group(w, patients)
    except OSError as exc:
        raise GenerateError(f"{out}: cannot write: {exc.strerror or exc}") from None
    report.seconds = time.perf_counter() - started
    return report


def patient_id(i: int) -> str:
    return f"syn-p{i:07d}"


class _Writers:
    """One NDJSON file per resource type, opened on first use."""

    def __init__(self, report: GenerateReport) -> None:
        self.report = report
        self.files: dict[str, IO[bytes]] = {}

    def __enter__(self) -> _Writers:
        return self

    def file(self, rtype: str) -> IO[bytes]:
        fh = self.files.get(rtype)
        if fh is None:
            fh = self.files[rtype] = open(self.report.out / f"{rtype}.ndjson", "wb", buffering=1 << 20)  # noqa: SIM115
        return fh

    def write(self, resource: dict[str, Any]) -> None:
        self.raw(resource["resourceType"], orjson.dumps(resource) + b"\n")

    def raw(self, rtype: str, data: bytes, *, count: int = 1) -> None:
        self.file(rtype).write(data)
        self.report.bytes += len(data)
        self.report.counts[rtype] = self.report.counts.get(rtype, 0) + count

    def __exit__(self, *exc: object) -> None:
        for fh in self.files.values():
            fh.close()


def _head(rtype: str, rid: str, profile: str) -> dict[str, Any]:
    return {"resourceType": rtype, "id": rid, "meta": {"profile": [profile]}}


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _organization() -> dict[str, Any]:
    return {**_head("Organization", PAYER_ID, USC + "us-core-organization"),
            "identifier": [{"system": SYN_BASE + "/sid/payer-id", "value": "SYN-PAYER"}], "active": True,
            "type": [_concept("http://terminology.hl7.org/CodeSystem/organization-type", "pay")],
            "name": "Synthetic Health Plan (ra-conform scale data)"}


def _measure() -> dict[str, Any]:
    return {**_head("Measure", MEASURE_ID, PROFILE_MODEL_MEASURE), "url": f"{SYN_BASE}/Measure/{MEASURE_ID}",
            "identifier": [{"use": "official", "system": "http://terminology.hl7.org/CodeSystem/cmshcc", "value": "CMS-HCC"}],
            "version": "28", "name": "SynCmsHccV28", "title": "CMS-HCC Risk Adjustment Model, Version 28 (synthetic)",
            "status": "active", "experimental": True, "date": "2024-01-02", "publisher": "ra-conform",
            "description": "The CMS-HCC model, version 28, for ra-conform's synthetic scale data.",
            "scoring": _concept("http://terminology.hl7.org/CodeSystem/measure-scoring", "cohort")}


def _patient(i: int, pid: str, rng: random.Random) -> dict[str, Any]:
    return {**_head("Patient", pid, USC + "us-core-patient"),
            "identifier": [{"use": "usual", "type": _concept("http://terminology.hl7.org/CodeSystem/v2-0203", "MB", "Member Number"),
                            "system": SYN_BASE + "/sid/member-id", "value": f"SYN-MBR-{i:07d}"}],
            "active": True,
            "name": [{"use": "official", "family": FAMILIES[i % len(FAMILIES)], "given": [GIVEN[(i // 8) % len(GIVEN)]]}],
            "gender": ("female", "male")[i % 2],
            "birthDate": f"{1940 + rng.randrange(40)}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}"}


def _encounter(pid: str, year: int, rng: random.Random) -> dict[str, Any]:
    day = f"{year}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}"
    eid = f"syn-enc-{pid[5:]}-{year}"
    return {**_head("Encounter", eid, USC + "us-core-encounter"),
            "identifier": [{"system": SYN_BASE + "/sid/encounter-id", "value": eid.upper()}],
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory"},
            "type": [{"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "99214"}],
                      "text": "Established patient office visit"}],
            "subject": {"reference": f"Patient/{pid}"},
            "period": {"start": f"{day}T09:00:00-05:00", "end": f"{day}T09:40:00-05:00"}}


def _condition(pid: str, year: int, kind: int) -> dict[str, Any]:
    _, _, icd, icd_display = CONDITIONS[kind]
    return {**_head("Condition", f"syn-cond-{pid[5:]}-{year}", USC + "us-core-condition-encounter-diagnosis"),
            "clinicalStatus": _concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
            "verificationStatus": _concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"),
            "category": [_concept("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis",
                                  "Encounter Diagnosis")],
            "code": _concept("http://hl7.org/fhir/sid/icd-10-cm", icd, icd_display),
            "subject": {"reference": f"Patient/{pid}"},
            "encounter": {"reference": f"Encounter/syn-enc-{pid[5:]}-{year}"},
            "recordedDate": f"{year}-12-01"}


def _ext(name: str, value_key: str, value: Any) -> dict[str, Any]:
    return {"url": RA + "StructureDefinition/" + name, value_key: value}


def _report(pid: str, year: int, kind: int, rng: random.Random) -> dict[str, Any]:
    hcc, hcc_display, icd, icd_display = CONDITIONS[kind]
    cited = [f"Condition/syn-cond-{pid[5:]}-{year}", f"Encounter/syn-enc-{pid[5:]}-{year}"]
    cc_type, evidence = CC_TYPES[rng.randrange(3)], EVIDENCE[rng.randrange(len(EVIDENCE))]
    if cc_type == "net-new" and evidence == "open-gap":
        evidence = "closed-gap"  # REQ-121: a net-new CC is never an open gap
    group = {"id": "g1", "extension": [
        _ext("ra-ccType", "valueCodeableConcept", _concept(RA + "CodeSystem/cc-type", cc_type)),
        _ext("ra-evidenceStatus", "valueCodeableConcept", _concept(RA + "CodeSystem/evidence-status", evidence)),
        _ext("ra-evidenceStatusDate", "valueDate", f"{year}-12-01"),
        _ext("ra-hierarchicalStatus", "valueCodeableConcept", _concept(RA + "CodeSystem/hierarchical-status",
                                                                       "applied-not-superseded")),
        _ext("ra-dxCode", "valueCodeableConcept", _concept("http://hl7.org/fhir/sid/icd-10-cm", icd, icd_display)),
    ], "code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/cmshcc", "version": "28", "code": hcc,
                             "display": hcc_display}], "text": f"HCC {hcc}: {hcc_display}"}}
    return {**_head("MeasureReport", f"syn-mr-{pid[5:]}-{year}", PROFILE_MEASUREREPORT),
            "extension": [{"url": MEASUREREPORT_CATEGORY_EXT, "valueCodeableConcept": _concept(
                "http://hl7.org/fhir/CodeSystem/measurereport-category", "ra")},
                _ext("ra-clinicalDataCollectionDeadline", "valueDate", f"{year + 1}-03-31")],
            "status": "complete", "type": "individual", "measure": f"{SYN_BASE}/Measure/{MEASURE_ID}",
            "subject": {"reference": f"Patient/{pid}"}, "date": f"{year + 1}-01-15",
            "reporter": {"reference": f"Organization/{PAYER_ID}"},
            "period": {"start": f"{year}-01-01", "end": f"{year}-12-31"},
            "group": [group],
            "evaluatedResource": [{"extension": [_ext("ra-groupReference", "valueString", "g1")], "reference": ref}
                                  for ref in cited]}


def _write_group(w: _Writers, patients: int) -> None:
    """The Group of every patient, streamed: head, then each member, then the tail (one NDJSON line)."""
    head = {**_head("Group", GROUP_ID, PROFILE_PATIENT_GROUP), "type": "person", "actual": True,
            "name": "Every synthetic patient", "quantity": patients,
            "managingEntity": {"reference": f"Organization/{PAYER_ID}"}}
    prefix = orjson.dumps(head)[:-1] + b',"member":['
    w.raw("Group", prefix, count=0)
    for i in range(patients):
        member = b'{"entity":{"reference":"Patient/' + patient_id(i).encode() + b'"}}'
        w.raw("Group", (b"," if i else b"") + member, count=0)
    w.raw("Group", b"]}\n")
