"""Which fixture-kit scenarios each suite exercises (ids of fixtures/expectations.json; answers come from the kit)."""

PATIENTS_WITH_REPORTS = ("patient-with-reports", "patient-evidence-cites-patient")
PATIENTS_WITHOUT_MATCHES = ("patient-no-reports", "patient-no-matching-reports")
PATIENT_SCENARIOS = PATIENTS_WITH_REPORTS + PATIENTS_WITHOUT_MATCHES
GROUPS_WITH_MEMBERS = ("group-all-members-valid", "group-with-unknown-member")
ANSWERED_WITH_BUNDLES = PATIENT_SCENARIOS + GROUPS_WITH_MEMBERS
UNKNOWN_PATIENT = "unknown-patient"
UNKNOWN_GROUP = "unknown-group"
GROUP_NO_VALID_MEMBER = "group-no-valid-member"

# Markers shared by the suites (selection by the IG's CapabilityStatements, and the kit preflight).
import pytest  # noqa: E402

from ra_conformance.ig.capabilities import CODING_GAP_OPERATION  # noqa: E402

OPERATION = pytest.mark.capability(CODING_GAP_OPERATION)
NEEDS_KIT = pytest.mark.kit
