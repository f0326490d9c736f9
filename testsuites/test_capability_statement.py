"""CapabilityStatement: the target describes itself at /metadata."""

import pytest

from ra_conformance.checks import capability as cap
from ra_conformance.checks import http

from .scenarios import OPERATION


@pytest.mark.req("REQ-005")
def test_req_005_metadata_is_a_capability_statement(ra, verdict):
    """GET [base]/metadata answers 200 with a CapabilityStatement."""
    resp = ra.metadata
    verdict.add(http.status_is(resp, 200, "REQ-005"))
    verdict.add(cap.is_capability_statement(resp))


@pytest.mark.req("REQ-009")
def test_req_009_metadata_declares_fhir_4_0_1_and_json(ra, verdict):
    """The CapabilityStatement declares fhirVersion 4.0.1 and the JSON format."""
    verdict.add(cap.fhir_version_and_json(ra.metadata))


@pytest.mark.req("REQ-009")
def test_req_009_metadata_served_as_fhir_json(ra, verdict):
    """/metadata is served as application/fhir+json."""
    verdict.add(http.fhir_json_content_type(ra.metadata))


@pytest.mark.req("REQ-010")
@OPERATION
def test_req_010_coding_gap_operation_declared(ra, verdict):
    """MeasureReport declares the coding-gap operation ($cc-gaps, $report or $ra.cc-gaps) with its canonical definition."""
    verdict.add(cap.operation_declared(ra.metadata, ra.operation_name))


@pytest.mark.req("REQ-198")
def test_req_198_ra_profiles_declared(ra, verdict):
    """The CapabilityStatement declares the RA profiles it supports (SHOULD: a warning when absent)."""
    verdict.add(cap.ra_profiles_declared(ra.metadata))


@pytest.mark.req("REQ-002")
def test_req_002_claims_an_ra_capability_statement(ra, verdict):
    """The CapabilityStatement names the RA IG or the RA CapabilityStatement of its role (a warning when it does not)."""
    verdict.add(cap.claims_ra_conformance(ra.metadata))
