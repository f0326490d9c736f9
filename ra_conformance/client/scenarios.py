"""The client-test scenarios: what a client under test is asked to do, for which IG versions, and its REQ ids.

Names are fixed (``--scenario NAME``). The ids come from the fixture kit the reference server loads; the IG
version decides which scenarios apply and which operation name the coding-gap retrieval uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..ig import versions
from ..ig.version import RISK_GAP, IgVersion


# Which IG versions a scenario applies to, asked of the version records.
def every_version(_: IgVersion) -> bool:
    return True


def category_search(v: IgVersion) -> bool:  # the search flow has a category: `category=ra`
    return v.category_param is not None


def cc_remarks(v: IgVersion) -> bool:  # the ccRemark extension exists
    return v.cc_remark


def evidence_submission(v: IgVersion) -> bool:  # evidence is submitted: $submit-data or core REST
    return v.evidence_submission is not None


def risk_gap_flow(v: IgVersion) -> bool:  # the $risk-gap flow exists
    return v.flow(RISK_GAP) is not None


REMARK_FORMS = ("patch", "put", "transaction")  # REQ-204, REQ-202, REQ-203: the ways a remark may travel


@dataclass(frozen=True)
class Ids:
    """The kit resources every scenario names (one place; the instructions and the judge read them here)."""

    patient: str = "Patient/rac-p01"
    group: str = "Group/rac-group-a"
    period_start: str = "2024-01-01"
    period_end: str = "2024-12-31"
    report: str = "rac-mr-p01-v28"  # a report of the patient whose period overlaps the window
    remark_group: str = "g1"
    coverage: str = "Coverage/rac-cov-p01"
    measure: str = "rac-measure-cmshcc-v28"


IDS = Ids()


def operation_name(ig_version: str) -> str:
    """The coding-gap operation of the version on the reference server: STU1 `$report`, later the product's `$cc-gaps`."""
    return versions.get(ig_version).coding_gap_operation


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    applies: Callable[[IgVersion], bool]  # to which IG versions
    task: str  # the instruction, with {base}, {op} and the Ids fields as placeholders

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(v.id for v in versions.all_versions() if self.applies(v))

    def instruction(self, base: str, ig_version: str, ids: Ids = IDS) -> str:
        fields = {k: getattr(ids, k) for k in ids.__dataclass_fields__}
        return f"[{self.name}] " + self.task.format(base=base.rstrip("/"), op=operation_name(ig_version), **fields)


_CC_GAPS_OF = ("retrieve the coding gaps of {subject} for {period_start}..{period_end}: GET or POST "
               "{base}/MeasureReport/${op} with subject, periodStart, periodEnd")

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("cc-gaps-patient", "coding gaps of one patient through the operation", every_version,
             _CC_GAPS_OF.replace("{subject}", "{patient}")),
    Scenario("cc-gaps-group", "coding gaps of a Group through the operation", every_version,
             _CC_GAPS_OF.replace("{subject}", "{group}")),
    Scenario("search", "the patient's reports by MeasureReport search", category_search,
             "search the RA reports of {patient} overlapping {period_start}..{period_end}: GET {base}/MeasureReport "
             "with patient (or subject), period=ge…&period=le…, category=ra"),
    Scenario("read", "one report by id", every_version,
             "read the report MeasureReport/{report}: GET {base}/MeasureReport/{report}"),
    Scenario("async", "the Group's coding gaps asynchronously", every_version,
             "retrieve the coding gaps of {group} for {period_start}..{period_end} asynchronously: kick off "
             "{base}/MeasureReport/${op} with Prefer: respond-async, poll the Content-Location (honour Retry-After), "
             "download every file of the manifest"),
    Scenario("remark", "add a ccRemark to one group, changing nothing else", cc_remarks,
             "add a ccRemark (with an author) to group {remark_group} of MeasureReport/{report}: FHIRPath PATCH "
             "{base}/MeasureReport/{report}, PUT the whole report, or POST a transaction Bundle to {base}"),
    Scenario("submit-data", "submit evidence as a data-exchange MeasureReport", evidence_submission,
             "submit evidence for {patient} (an ra-datax-measurereport for {period_start}..{period_end}, "
             "payerCodingGapReportId {report}): POST {base}/Measure/$submit-data (2.1.0), or POST the report "
             "(or a Bundle of it and its evidence) to {base} (STU3 ballot)"),
    Scenario("risk-gap", "the STU3 ballot's $risk-gap", risk_gap_flow,
             "ask for the risk gaps of {patient} ({coverage}) for {period_start}..{period_end}: POST "
             "{base}/MeasureReport/$risk-gap with periodStart, periodEnd, subject, coverage and the data Bundle"),
)
BY_NAME = {s.name: s for s in SCENARIOS}


class ScenarioError(ValueError):
    """An unknown scenario name, or one that does not apply to the chosen IG version."""


def applicable(ig_version: str, names: list[str] | tuple[str, ...] | None = None) -> list[Scenario]:
    """The scenarios to run, in the fixed order; ``names`` restricts them (each must exist and apply)."""
    if not names:
        return [s for s in SCENARIOS if ig_version in s.versions]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ScenarioError(f"unknown scenario(s): {', '.join(unknown)} (known: {', '.join(BY_NAME)})")
    wrong = [n for n in names if ig_version not in BY_NAME[n].versions]
    if wrong:
        raise ScenarioError(f"scenario(s) {', '.join(wrong)} do not apply to IG {ig_version}")
    return [s for s in SCENARIOS if s.name in names]
