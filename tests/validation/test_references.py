"""references.parse_reference (the unmemoised fast path for ``Type/id``) reads every string as parsed() does."""

from __future__ import annotations

import pytest

from ra_conformance.validation.references import parse_reference, parsed

SHAPES = ["Patient/p1", "Condition/ra-condition02pat01-7", "Patient/", "/p1", "patient/p1", "P/p1", "Pa/p1",
          "Patient/p1/_history/2", "Patient/p 1", "Patient/p1\n", "Patient\n/p1", "Patient/" + "x" * 64,
          "Patient/" + "x" * 65, "Patient/é", "Pätient/p1", "Patient/p1/", "Patient//p1", "Patient/p_1",
          "http://example.org/fhir/Patient/p1", "urn:uuid:1234", "#c1", "#", "", "Patient", "Patient/a.b-c",
          "Patient/p1 ", " Patient/p1", "Patient/\u0661", "Patient/p1\r", "Observation/x/y"]


@pytest.mark.parametrize("reference", SHAPES)
def test_the_fast_path_agrees_with_the_regular_expressions(reference):
    parsed.cache_clear()
    assert parse_reference(reference) == parsed(reference)
