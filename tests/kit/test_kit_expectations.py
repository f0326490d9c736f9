"""expectations.json describes the kit exactly, and every hand-written answer follows from the rules."""

from __future__ import annotations

import copy

import pytest

from ra_conformance import kit

from .kit_checks import answer_problems, evidence, index, inventory_problems

REQUIRED_SCENARIOS = ("patient-with-reports", "patient-evidence-cites-patient", "patient-no-reports",
                      "patient-no-matching-reports", "group-all-members-valid", "group-with-unknown-member",
                      "group-no-valid-member", "unknown-patient", "unknown-group")


def _variant(expectations, mutate) -> kit.Expectations:
    raw = copy.deepcopy(expectations.raw)
    mutate(raw)
    return kit.Expectations(raw=raw, kit_dir=expectations.kit_dir)


def test_the_suites_scenarios_are_all_there(expectations):
    for sid in REQUIRED_SCENARIOS:
        assert expectations.scenario(sid).id == sid


def test_inventory_matches_the_resources(expectations, resources):
    assert inventory_problems(expectations, resources) == []


INVENTORY_BREAKAGES = {
    "evidence order": lambda raw: raw["reports"]["MeasureReport/rac-mr-p01-v24"]["evidence"].reverse(),
    "period": lambda raw: raw["reports"]["MeasureReport/rac-mr-p02-before"]["period"].update(end="2024-01-01"),
    "missing report": lambda raw: raw["reports"].pop("MeasureReport/rac-mr-p06-v28"),
    "patient reports": lambda raw: raw["patients"]["Patient/rac-p04"]["reports"].append("MeasureReport/rac-mr-p06-v28"),
    "unknown members": lambda raw: raw["groups"]["Group/rac-group-b"].update(unknownMembers=[]),
    "extra patient": lambda raw: raw["patients"].update({"Patient/rac-p99": {"purpose": "x", "reports": []}}),
}


@pytest.mark.parametrize("name", sorted(INVENTORY_BREAKAGES))
def test_inventory_check_catches(expectations, resources, name):
    assert inventory_problems(_variant(expectations, INVENTORY_BREAKAGES[name]), resources)


def test_every_answer_follows_from_the_kit(expectations, resources):
    assert answer_problems(expectations, index(resources)) == []


def _case(raw, case_id):
    return next(c for c in raw["overlapCases"] if c["case"] == case_id)


ANSWER_BREAKAGES = {
    "touching report dropped": lambda raw: _case(raw, "touches-start-boundary-day")["expect"]["returns"][
        "Patient/rac-p02"].remove("MeasureReport/rac-mr-p02-contained"),
    "adjacent report added": lambda raw: _case(raw, "standard-window")["expect"]["returns"][
        "Patient/rac-p02"].append("MeasureReport/rac-mr-p02-before"),
    "UTC instead of date part": lambda raw: _case(raw, "datetime-compared-by-date-part")["expect"]["returns"][
        "Patient/rac-p02"].append("MeasureReport/rac-mr-p02-dt-ends-eve"),
    "missing member answered": lambda raw: raw["scenarios"]["group-with-unknown-member"]["expect"]["returns"]
    .update({"Patient/rac-p-missing": []}),
    "ghost group outcome per member": lambda raw: raw["scenarios"]["group-no-valid-member"]["expect"]
    .update(outcomes=["Patient/rac-p-ghost-1", "Patient/rac-p-ghost-2"]),
    "no-report patient gets an outcome": lambda raw: raw["scenarios"]["patient-no-reports"]["expect"]
    .update(outcomes=["Patient/rac-p04"]),
    "repeated report": lambda raw: raw["scenarios"]["patient-with-reports"]["expect"]["returns"][
        "Patient/rac-p01"].append("MeasureReport/rac-mr-p01-v24"),
}


@pytest.mark.parametrize("name", sorted(ANSWER_BREAKAGES))
def test_answer_check_catches(expectations, resources, name):
    assert answer_problems(_variant(expectations, ANSWER_BREAKAGES[name]), index(resources))


def test_shared_evidence_needs_dedupe(expectations):
    refs = expectations.scenario("patient-with-reports").returns["Patient/rac-p01"]
    lists = [expectations.reports[r]["evidence"] for r in refs]
    union = expectations.evidence_for(refs)
    assert len(union) < sum(map(len, lists))             # some evidence is shared ...
    assert all(len(union) > len(each) for each in lists)  # ... and each report cites something of its own


def test_p03_cites_the_patient_and_repeats_a_citation(expectations, resources):
    idx = index(resources)
    refs = expectations.scenario("patient-evidence-cites-patient").returns["Patient/rac-p03"]
    cited = [[er["reference"] for er in idx[r]["evaluatedResource"]] for r in refs]
    assert any("Patient/rac-p03" in c for c in cited)
    assert any(len(c) > len(evidence(idx[r])) for c, r in zip(cited, refs, strict=True))
