"""Which fixture-kit scenarios each suite exercises (ids of fixtures/expectations.json; answers come from the kit)."""

PATIENTS_WITH_REPORTS = ("patient-with-reports", "patient-evidence-cites-patient")
PATIENTS_WITHOUT_MATCHES = ("patient-no-reports", "patient-no-matching-reports")
PATIENT_SCENARIOS = PATIENTS_WITH_REPORTS + PATIENTS_WITHOUT_MATCHES
GROUPS_WITH_MEMBERS = ("group-all-members-valid", "group-with-unknown-member")
ANSWERED_WITH_BUNDLES = PATIENT_SCENARIOS + GROUPS_WITH_MEMBERS
UNKNOWN_PATIENT = "unknown-patient"
UNKNOWN_GROUP = "unknown-group"
GROUP_NO_VALID_MEMBER = "group-no-valid-member"
EXPORTED = "group-with-unknown-member"  # the async export: valid members and one unknown, so output and error files
CANCELLED = "group-all-members-valid"  # the second async job, kicked off by POST and cancelled

# Markers shared by the suites (selection by the IG's CapabilityStatements, and the kit preflight).
import pytest  # noqa: E402

from ra_conformance.ig.capabilities import CODING_GAP_OPERATION  # noqa: E402


def capability(*items: str) -> pytest.MarkDecorator:
    """The test depends on IG CapabilityStatement items (all of them): data of the one `ra_needs` marker, not a
    marker name (a marker's name is a `-k` keyword: `-k capability` must select the capability_statement suite)."""
    return pytest.mark.ra_needs(capability=items)


OPERATION = capability(CODING_GAP_OPERATION)
NEEDS_KIT = pytest.mark.ra_needs(kit=True)

# The 2.1.0/STU3 MeasureReport search (STU1: MAY) and the STU3 ballot's $risk-gap (RA-SPEC §1.6).
from ra_conformance.ig.capabilities import RISK_GAP_OPERATION  # noqa: E402

SEARCH = capability("MeasureReport:search:period")
SEARCH_SUBJECT = capability("MeasureReport:search:subject")
SEARCH_CATEGORY = capability("MeasureReport:search:measurereport-category")
RISK_GAP = capability(RISK_GAP_OPERATION)
RISK_GAP_CASES = ("rg-no-filter", "rg-cc-type-suspected", "rg-status-pending", "rg-filters-and", "rg-values-or",
                  "rg-no-reports", "rg-coverage-in-data")
RISK_GAP_FILTERED = ("rg-cc-type-suspected", "rg-status-pending", "rg-filters-and", "rg-values-or")
RISK_GAP_DATA_ONLY = "rg-coverage-in-data"
PAGED_CASE = "standard-window"  # overlap case: 8 matching reports of rac-p02, three pages at _count=3
