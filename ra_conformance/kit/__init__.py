"""The fixture kit: the resources a target preloads, and the expectations the suites derive answers from.

Layout of a kit directory (default: the bundled kit, ``ra_conformance.fixture_kit`` = the repository's ``fixtures/``):
  resources/<Type>-<id>.json   one FHIR R4 resource per file
  expectations.json            scenarios with their correct answers (schema: expectations.schema.json)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .. import jsonio

ENV_KIT_DIR = "RA_CONFORM_FIXTURES"


class KitError(Exception):
    """The fixture kit is missing or malformed."""


def default_kit_dir() -> Path:
    env = os.environ.get(ENV_KIT_DIR)
    if env:
        return Path(env)
    from ..bundled import MissingDataError, kit_dir

    try:
        return kit_dir()
    except MissingDataError as exc:
        raise KitError(f"no bundled fixture kit: {exc}; pass --kit DIR or set {ENV_KIT_DIR}") from None


def server_kit_dir(kit_dir: Path | None) -> Path:
    """The kit a reference server loads (`run` without a target, `client-test`): the given folder, else the
    default; either way it must hold resources/."""
    found = kit_dir or default_kit_dir()
    if not (found / "resources").is_dir():
        raise KitError(f"no fixture kit at {found} (set --kit or {ENV_KIT_DIR})")
    return found


def iter_resources(kit_dir: Path | None = None) -> Iterator[dict[str, Any]]:
    """Every resource of the kit, in a stable order (file name)."""
    root = (kit_dir or default_kit_dir()) / "resources"
    if not root.is_dir():
        raise KitError(f"no fixture resources at {root}")
    for path in sorted(root.glob("*.json")):
        try:
            resource = jsonio.loads(path.read_bytes())
        except jsonio.JsonError as exc:
            raise KitError(f"{path}: not JSON: {exc}") from None
        if not isinstance(resource, dict) or "resourceType" not in resource or "id" not in resource:
            raise KitError(f"{path}: not a FHIR resource with an id")
        yield resource


def transaction_bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A transaction Bundle that PUTs every resource at its own id (idempotent loading)."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:ra-conform:{r['resourceType']}/{r['id']}",
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in resources
        ],
    }


@dataclass(frozen=True)
class Scenario:
    """One request the suites send, with its correct answer."""

    id: str
    title: str
    subject: str
    period_start: str
    period_end: str
    # patient reference -> the report references its Bundle must hold (exactly)
    returns: dict[str, list[str]] = field(default_factory=dict)
    # references that each expected OperationOutcome must name (one outcome per entry)
    outcomes: list[str] = field(default_factory=list)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Expectations:
    raw: dict[str, Any]
    kit_dir: Path

    @cached_property
    def reports(self) -> dict[str, dict[str, Any]]:
        """'MeasureReport/x' -> {patient, period, evidence: [refs]} as declared by the kit."""
        return self.raw["reports"]

    @cached_property
    def other_reports(self) -> dict[str, dict[str, Any]]:
        """'MeasureReport/x' -> {patient, measure, period, excludedBy}: the kit's reports that are NOT RA coding-gap
        reports (e.g. quality measures); no RA retrieval may return them (absent from older kits: none)."""
        return self.raw.get("otherReports", {})

    @cached_property
    def all_reports(self) -> dict[str, dict[str, Any]]:
        """Every MeasureReport of the kit, RA or not (what a search without the RA filter selects from)."""
        return {**self.reports, **self.other_reports}

    @cached_property
    def patients(self) -> dict[str, dict[str, Any]]:
        return self.raw["patients"]

    @cached_property
    def scenarios(self) -> dict[str, Scenario]:
        return {sid: _scenario(sid, body) for sid, body in self.raw["scenarios"].items()}

    @cached_property
    def overlap_cases(self) -> list[Scenario]:
        return [_scenario(c["case"], c) for c in self.raw["overlapCases"]]

    @cached_property
    def risk_gap_cases(self) -> list[RiskGapCase]:
        """The `$risk-gap` cases (absent from older kits: then none)."""
        return [_risk_gap_case(c) for c in self.raw.get("riskGapCases", [])]

    def risk_gap_case(self, case_id: str) -> RiskGapCase:
        for case in self.risk_gap_cases:
            if case.id == case_id:
                return case
        raise KitError(f"the fixture kit has no $risk-gap case {case_id!r}")

    @cached_property
    def resources(self) -> dict[str, dict[str, Any]]:
        """'Type/id' -> the kit's resource (read from the kit directory once)."""
        return {f"{r['resourceType']}/{r['id']}": r for r in iter_resources(self.kit_dir)}

    def scenario(self, sid: str) -> Scenario:
        try:
            return self.scenarios[sid]
        except KeyError:
            raise KitError(f"the fixture kit has no scenario {sid!r}") from None

    def evidence_for(self, report_refs: list[str]) -> list[str]:
        """Every resource the given reports cite in evaluatedResource, each once, in first-seen order."""
        seen: dict[str, None] = {}
        for ref in report_refs:
            for ev in self.reports[ref]["evidence"]:
                seen.setdefault(ev, None)
        return list(seen)


@dataclass(frozen=True)
class RiskGapCase:
    """One STU3 ballot `$risk-gap` request (RA-SPEC §1.5) with its correct answer in ``scenario.returns``."""

    scenario: Scenario
    coverage: str  # 'Coverage/<id>'
    cc_type: tuple[str, ...] = ()
    evidence_status: tuple[str, ...] = ()
    data: tuple[dict[str, Any], ...] = ()  # resources carried only in the `data` Bundle

    @property
    def id(self) -> str:
        return self.scenario.id


def _risk_gap_case(body: dict[str, Any]) -> RiskGapCase:
    req = body["request"]
    return RiskGapCase(
        scenario=_scenario(body["case"], body),
        coverage=req["coverage"],
        cc_type=tuple(req.get("ccType", ())),
        evidence_status=tuple(req.get("evidenceStatus", ())),
        data=tuple(req.get("data", ())),
    )


def _scenario(sid: str, body: dict[str, Any]) -> Scenario:
    req = body["request"]
    exp = body.get("expect", {})
    return Scenario(
        id=sid,
        title=body.get("title", sid),
        subject=req["subject"],
        period_start=req["periodStart"],
        period_end=req["periodEnd"],
        returns={k: list(v) for k, v in exp.get("returns", {}).items()},
        outcomes=list(exp.get("outcomes", [])),
        tags=tuple(body.get("tags", ())),
    )


def load_expectations(kit_dir: Path | None = None) -> Expectations:
    root = kit_dir or default_kit_dir()
    path = root / "expectations.json"
    try:
        raw = jsonio.loads(path.read_bytes())
    except FileNotFoundError:
        raise KitError(f"no expectations file at {path}") from None
    except jsonio.JsonError as exc:
        raise KitError(f"{path}: not JSON: {exc}") from None
    for key in ("reports", "patients", "scenarios", "overlapCases"):
        if key not in raw:
            raise KitError(f"{path}: missing top-level key {key!r}")
    return Expectations(raw=raw, kit_dir=root)
