"""Period overlap: the overlap matrix of the kit, one test per case.

⚑ RA-SPEC §1.2: a report matches when its period overlaps [periodStart, periodEnd], both ends
inclusive, by calendar day; dateTime periods compare their date part; partial dates expand.
"""

import pytest

from ra_conformance.checks import answer as checks

from .scenarios import NEEDS_KIT, OPERATION

pytestmark = [OPERATION, NEEDS_KIT]


@pytest.mark.req("REQ-024", "REQ-023", "REQ-025")
def test_req_024_overlap(ra, verdict, overlap_case):
    """For each window of the matrix, exactly the patient's reports overlapping it (inclusively) are returned."""
    answer = ra.answer(overlap_case)
    verdict.add(checks.returns_match_patients(answer, overlap_case))
    verdict.add(checks.expected_reports_present(answer, overlap_case))
    verdict.add(checks.no_unexpected_reports(answer, overlap_case))
