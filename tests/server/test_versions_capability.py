"""The served CapabilityStatement follows the IG version; the harness infers the version back from it."""

from __future__ import annotations

import pytest

from ra_conformance.declarations import discover_operation, infer_ig_version, read_declarations
from ra_conformance.fhir.search import declares_group_expansion
from ra_conformance.harness.plan import decide
from ra_conformance.ig import OD, versions


def _mr(cs):
    return next(r for r in cs["rest"][0]["resource"] if r["type"] == "MeasureReport")


@pytest.mark.parametrize("version", versions.ids())
def test_version_is_inferred_from_the_served_statement(server, version):
    cs = server(version).get("/metadata").json()
    assert infer_ig_version(read_declarations(cs)) == version


def test_stu1_declares_report_with_aliases_and_base_search(server):
    cs = server("stu1").get("/metadata").json()
    ops = {o["name"]: o["definition"] for o in _mr(cs)["operation"]}
    assert ops == {"report": OD + "report", "cc-gaps": OD + "report", "ra.cc-gaps": OD + "ra.cc-gaps"}
    params = {p["name"] for p in _mr(cs)["searchParam"]}
    assert "measurereport-category" not in params and {"subject", "patient", "period"} <= params
    assert cs["implementationGuide"][0].endswith("|1.0.0")
    assert discover_operation(read_declarations(cs)) is not None


def test_2_1_0_declares_category_with_its_definition_and_keeps_cc_gaps(server):
    cs = server("2.1.0").get("/metadata").json()
    params = {p["name"]: p.get("definition") for p in _mr(cs)["searchParam"]}
    assert params["measurereport-category"] == "http://hl7.org/fhir/us/davinci-ra/SearchParameter/measurereport-category"
    ops = {o["name"] for o in _mr(cs)["operation"]}
    assert "cc-gaps" in ops and "risk-gap" not in ops


def test_stu3_ballot_adds_risk_gap(server):
    decl = read_declarations(server("stu3-ballot").get("/metadata").json())
    assert decl.declares("MeasureReport:operation:risk-gap")
    assert decide("MeasureReport:operation:risk-gap", "stu3-ballot", decl).run
    assert not decide("MeasureReport:operation:risk-gap", "2.1.0", read_declarations(server().get("/metadata").json())).run


def test_group_expansion_is_declared_only_when_switched_on(server):
    assert declares_group_expansion(server().get("/metadata").json())
    assert not declares_group_expansion(server("2.1.0", group_expansion=False).get("/metadata").json())
    assert not declares_group_expansion({"rest": [{"resource": [{"type": "MeasureReport", "searchParam": "x"}]}]})
    assert not declares_group_expansion(None)


def test_unknown_version_is_a_programming_error():
    from ra_conformance.server.capability import capability_statement

    with pytest.raises(ValueError):
        capability_statement(base="http://x", ig_version="9.9")


@pytest.mark.parametrize("version", versions.ids())
def test_submit_data_is_declared_where_it_is_served(server, version):
    """Measure/$submit-data answers in every version, so /metadata says so (what it declares, it implements)."""
    client = server(version)
    measure = next(r for r in client.get("/metadata").json()["rest"][0]["resource"] if r["type"] == "Measure")
    assert measure["operation"] == [{"name": "submit-data",
                                     "definition": "http://hl7.org/fhir/OperationDefinition/Measure-submit-data"}]
    answer = client.post("/Measure/$submit-data", json={"resourceType": "Parameters"})
    assert answer.status_code != 404  # the route exists (an empty submission is refused as such, not unknown)
    assert read_declarations(client.get("/metadata").json()).declares("Measure:operation:submit-data")
