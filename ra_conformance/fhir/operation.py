"""The coding-gap operation as one object: request forms per name, answer parsed per subject.

$cc-gaps (our users' name), $report (STU1) and $ra.cc-gaps (draft) share the STU1 `$report`
contract (RA-SPEC §1.2): IN periodStart, periodEnd, subject; OUT a Parameters with one `return`
Bundle per valid patient and one `outcome` OperationOutcome per invalid subject or member.
Parsing never raises: whatever the server sent is described in ``OperationAnswer.problems``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import resources as fr
from .client import FhirClient, FhirResponse


@dataclass
class PatientBundle:
    """One `return` parameter: the Bundle for one patient."""

    position: int  # index in Parameters.parameter
    bundle: dict[str, Any] | None
    entries: list[dict[str, Any]]
    patients: list[dict[str, Any]]
    reports: list[dict[str, Any]]
    subject: str | None = None  # set for answers grouped by report subject (search, $risk-gap): 'Patient/id'
    origin: str | None = None  # grouped answers: what the entries came from, for findings ('searchset entries')

    @property
    def patient_ref(self) -> str | None:
        """'Patient/id' of the group (set by grouping), else when the Bundle has exactly one Patient entry."""
        if self.subject is not None:
            return self.subject
        return fr.key(self.patients[0]) if len(self.patients) == 1 else None

    def entry_keys(self) -> list[str]:
        return [k for k in (fr.entry_key(e) for e in self.entries) if k]

    def report_keys(self) -> list[str]:
        return [k for k in (fr.key(r) for r in self.reports) if k]


@dataclass
class OutcomeParam:
    position: int
    outcome: dict[str, Any] | None


@dataclass
class OperationAnswer:
    response: FhirResponse
    problems: list[str] = field(default_factory=list)
    returns: list[PatientBundle] = field(default_factory=list)
    outcomes: list[OutcomeParam] = field(default_factory=list)
    parameter_names: list[str] = field(default_factory=list)

    @property
    def resource(self) -> dict[str, Any] | None:
        return self.response.resource

    @property
    def is_parameters(self) -> bool:
        return self.resource is not None and self.resource.get("resourceType") == "Parameters"

    def bundles_for(self, patient_ref: str) -> list[PatientBundle]:
        return [b for b in self.returns if b.patient_ref == patient_ref]

    def all_resources(self) -> list[dict[str, Any]]:
        """Every resource carried by the answer (for profile validation)."""
        out: list[dict[str, Any]] = []
        for b in self.returns:
            out.extend(e["resource"] for e in b.entries if isinstance(e.get("resource"), dict))
        out.extend(o.outcome for o in self.outcomes if o.outcome)
        return out


def parse_answer(response: FhirResponse) -> OperationAnswer:
    answer = OperationAnswer(response=response)
    body = response.resource
    if response.error:
        answer.problems.append(response.describe())
        return answer
    if body is None:
        answer.problems.append(response.json_error or "the response body is not a FHIR resource")
        return answer
    if body.get("resourceType") != "Parameters":
        answer.problems.append(f"the response is a {body.get('resourceType')}, not a Parameters resource")
        return answer
    raw = body.get("parameter", [])
    if not isinstance(raw, list):
        answer.problems.append("Parameters.parameter is not an array")
        return answer
    for position, param in enumerate(raw):
        if not isinstance(param, dict):
            answer.problems.append(f"parameter[{position}] is not an object")
            continue
        name = param.get("name")
        answer.parameter_names.append(name if isinstance(name, str) else repr(name))
        resource = param.get("resource")
        if name == "return":
            answer.returns.append(_patient_bundle(position, resource, answer.problems))
        elif name == "outcome":
            if not (isinstance(resource, dict) and resource.get("resourceType") == "OperationOutcome"):
                answer.problems.append(f"parameter[{position}] 'outcome' does not hold an OperationOutcome")
                resource = resource if isinstance(resource, dict) else None
            answer.outcomes.append(OutcomeParam(position, resource))
        else:
            answer.problems.append(f"parameter[{position}] has an unexpected name {name!r} (expected 'return' or 'outcome')")
    return answer


def _patient_bundle(position: int, resource: Any, problems: list[str]) -> PatientBundle:
    if not (isinstance(resource, dict) and resource.get("resourceType") == "Bundle"):
        problems.append(f"parameter[{position}] 'return' does not hold a Bundle")
        return PatientBundle(position, None, [], [], [])
    entries = fr.entries(resource)
    carried = [r for e in entries if isinstance(r := e.get("resource"), dict)]
    return PatientBundle(
        position=position,
        bundle=resource,
        entries=entries,
        patients=[r for r in carried if r.get("resourceType") == "Patient"],
        reports=[r for r in carried if r.get("resourceType") == "MeasureReport"],
    )


class CodingGapOperation:
    """`[base]/MeasureReport/$<name>` with GET and POST forms."""

    def __init__(self, client: FhirClient, name: str = "cc-gaps", resource_type: str = "MeasureReport") -> None:
        self.client = client
        self.name = name.lstrip("$")
        self.resource_type = resource_type

    @property
    def path(self) -> str:
        return f"{self.resource_type}/${self.name}"

    def invoke(self, subject: str | None, period_start: str | None, period_end: str | None, *, method: str = "GET") -> OperationAnswer:
        params = [(n, v) for n, v in (("subject", subject), ("periodStart", period_start), ("periodEnd", period_end)) if v is not None]
        return self.get(params) if method.upper() == "GET" else self.post(parameters_body(params))

    def get(self, params: list[tuple[str, str]], headers: dict[str, str] | None = None) -> OperationAnswer:
        return parse_answer(self.client.get(self.path, params=params, headers=headers))

    def post(self, body: Any, headers: dict[str, str] | None = None) -> OperationAnswer:
        return parse_answer(self.client.post(self.path, json=body, headers=headers))


def parameters_body(params: list[tuple[str, str]]) -> dict[str, Any]:
    """A Parameters resource for the IN parameters (dates as valueDate, subject as valueString)."""
    parameter = []
    for name, value in params:
        value_key = "valueDate" if name in ("periodStart", "periodEnd") else "valueString"
        parameter.append({"name": name, value_key: value})
    return {"resourceType": "Parameters", "parameter": parameter}


def group_by_patient(entries: list[dict[str, Any]], *, reports: list[dict[str, Any]] | None = None,
                     patients: tuple[str, ...] | list[str] = (), origin: str = "Bundle entries") -> list[PatientBundle]:
    """Per-patient groups of a Bundle-shaped answer (a searchset, a `$risk-gap` Bundle).

    Reports (by default every MeasureReport entry) are grouped by their subject; each group's entries are its
    reports, the entries they cite in evaluatedResource, and the patient's own Patient entry. ``patients``
    pre-creates (possibly empty) groups, so an expected patient without an answer still has a group to judge.
    ``origin`` names the entries in findings (e.g. 'searchset entries', '$risk-gap Bundle entries').
    """
    by_key: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        k = fr.entry_key(e)
        if k:
            by_key.setdefault(k, []).append(e)
    chosen = reports if reports is not None else [
        e["resource"] for e in entries if isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") == "MeasureReport"]
    groups: dict[str, list[dict[str, Any]]] = {p: [] for p in patients}
    for report in chosen:
        groups.setdefault(fr.reference_of(report.get("subject")) or "(no subject)", []).append(report)
    out = []
    for position, (patient, group_reports) in enumerate(groups.items()):
        cited = [patient] + [ref for r in group_reports for ref in fr.evaluated_references(r)]
        keys = [fr.key(r) for r in group_reports] + cited
        picked: list[dict[str, Any]] = []
        for k in dict.fromkeys(k for k in keys if k):
            picked.extend(by_key.get(k, []))
        carried = [e["resource"] for e in picked if isinstance(e.get("resource"), dict)]
        out.append(PatientBundle(position=position, bundle=None, entries=picked,
                                 patients=[r for r in carried if fr.key(r) == patient],
                                 reports=list(group_reports), subject=patient, origin=origin))
    return out
