"""The committed R4 tables are exactly what the generator writes from the official R4 definitions."""

from __future__ import annotations

import pytest

from ra_conformance.validation import tables
from ra_conformance.validation.gen import r4_tables, source


@pytest.fixture(scope="module")
def generated():
    path = source.tarball_path()
    if not path.is_file():
        pytest.skip(f"R4 definitions not found at {path}: run `npm pack {source.PACKAGE}@{source.VERSION} "
                    f"--pack-destination {source.CACHE_DIR}` (.ci/run does) or set RA_R4_DEFINITIONS")
    if source.sha256(path) != source.SHA256:
        pytest.fail(f"{path} is not the {source.PACKAGE}@{source.VERSION} tarball (sha256 differs)")
    return r4_tables.generate(path)


def test_committed_tables_equal_the_generator_output(generated):
    assert tables.load() == generated


def test_tables_record_their_source():
    src = tables.source()
    assert (src["package"], src["version"], src["sha256"]) == (source.PACKAGE, source.VERSION, source.SHA256)
    assert src["fhirVersion"].startswith("4.0.1")


def test_every_r4_resource_type_is_tabled():
    types = tables.resource_types()
    assert len(types) == 146 and {"MeasureReport", "Task", "VisionPrescription", "Binary"} <= types
    assert "SubscriptionStatus" not in types  # an R4B addition of the package, dropped by the generator


def test_snapshot_edits_of_the_package_are_not_used():
    """The package's DetectedIssue snapshot binds status to an R5 value set; R4 binds observation-status."""
    row = tables.load()["types"]["DetectedIssue"]["status"]
    assert row[5] == ["required", "http://hl7.org/fhir/ValueSet/observation-status"]
