"""Referenced resources: the Groups used as subjects, the Measures reports cite, and the must-support
elements of the reports themselves, on every retrieval flow."""

import pytest

from ra_conformance.checks import resources as checks
from ra_conformance.checks.findings import error
from ra_conformance.fhir import resources as fr
from ra_conformance.fhir import rest as fhir_rest
from ra_conformance.ig import PROFILE_MODEL_MEASURE, PROFILE_PATIENT_GROUP

from .scenarios import ANSWERED_WITH_BUNDLES, NEEDS_KIT, PATIENTS_WITH_REPORTS, capability

pytestmark = NEEDS_KIT


@pytest.mark.req("REQ-040", "REQ-135", "REQ-136")
def test_req_040_group_subjects_conform_to_patient_group(ra, verdict, validator):
    """Every kit Group used as a subject reads back from the target and conforms to ra-patient-group."""
    for ref in sorted(k for k in ra.kit_resources if k.startswith("Group/")):
        group, findings = checks.read_resource(ra.client.get(ref), ref, "REQ-040")
        verdict.add(findings)
        if group is not None:
            verdict.add(checks.issues_as_findings(validator.validate(group, PROFILE_PATIENT_GROUP), "REQ-040", ref))


@capability("Measure:read")
@pytest.mark.req("REQ-189", "REQ-137", "REQ-138", "REQ-139", "REQ-102")
def test_req_189_cited_measures_resolve_to_model_measures(ra, verdict, validator):
    """Every Measure the returned reports cite resolves on the target and conforms to ra-model-measure."""
    canonicals = sorted({r["measure"] for s in ANSWERED_WITH_BUNDLES for a in ra.retrieved(ra.kit.scenario(s))
                         for b in a.returns for r in b.reports if isinstance(r.get("measure"), str)})
    if not canonicals:
        verdict.add(error("no returned report cites a Measure", reqs="REQ-102"))
    for canonical in canonicals:
        measure, resp = fhir_rest.resolve_canonical(ra.client, "Measure", canonical)
        if measure is None:
            verdict.add(error(f"the Measure {canonical} does not resolve on the target", reqs=("REQ-189", "REQ-102"), actual=resp.describe()))
            continue
        verdict.add(checks.issues_as_findings(validator.validate(measure, PROFILE_MODEL_MEASURE), "REQ-137", canonical))


@pytest.mark.req("REQ-003")
@pytest.mark.parametrize("scenario_id", PATIENTS_WITH_REPORTS)
def test_req_003_returned_reports_keep_every_must_support_element(ra, verdict, validator, scenario_id):
    """Each returned report carries every must-support element of the report the target was loaded with."""
    for bundle in (b for a in ra.retrieved(ra.kit.scenario(scenario_id)) for b in a.returns):
        for report in bundle.reports:
            held = ra.kit_resources.get(str(fr.key(report)))
            if held is not None:
                verdict.add(checks.must_support_kept(validator, report, held))
