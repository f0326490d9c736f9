"""MeasureReport search, the 2.1.0 retrieval (RA-SPEC §1.4, §7): the same content rules as
`$report` (right reports, their evidence, nothing twice), judged over every page of a searchset.

SHALL in 2.1.0 and the STU3 ballot; MAY in STU1, where it runs when /metadata declares it (and filters by the
`_profile` of the IG's examples, as STU1 has no category parameter).
"""

import pytest

from ra_conformance.checks import answer as checks
from ra_conformance.checks import profiles, zones
from ra_conformance.checks import search as sc
from ra_conformance.fhir.search import ra_filter
from ra_conformance.ig.capabilities import GROUP_EXPANSION

from .scenarios import (
    GROUPS_WITH_MEMBERS,
    NEEDS_KIT,
    PAGED_CASE,
    PATIENT_SCENARIOS,
    PATIENTS_WITH_REPORTS,
    SEARCH,
    SEARCH_CATEGORY,
    SEARCH_SUBJECT,
    UNKNOWN_PATIENT,
    capability,
)

pytestmark = [SEARCH, NEEDS_KIT]

PREFIXES = ("eq", "ge", "le", "gt", "lt", "sa", "eb")
PREFIX_PATIENT = "Patient/rac-p02"  # the overlap-matrix patient: reports at every edge
EDGE_PATIENT = "Patient/rac-p07"  # month-precision and leap-year edges
# (patient, value): day values on the overlap matrix; month-precision and leap-day values on the edge patient
PREFIX_VALUES = ((PREFIX_PATIENT, "2024-01-01"), (PREFIX_PATIENT, "2024-12-31"), (EDGE_PATIENT, "2024-02"),
                 (EDGE_PATIENT, "2024-02-29"))


def _content(verdict, ra, answer, scenario):
    """Exactly the overlapping reports, dateTime periods by their date part or as UTC instants (both legal for
    search: checks/zones.py; the warning says which the server did)."""
    verdict.add(zones.content_in_either_zone(
        lambda s, utc: checks.exactly_the_overlapping_reports(answer, s, utc=utc) + sc.only_requested_patients(answer, s),
        scenario, ra.kit.reports))


@pytest.mark.req("REQ-084", "REQ-074", "REQ-076")
@pytest.mark.parametrize("scenario_id", PATIENT_SCENARIOS)
def test_req_084_window_search_returns_exactly_the_overlapping_reports(ra, verdict, scenario_id):
    """subject=Patient/x&period=geA&period=leB returns exactly the patient's reports overlapping [A, B]."""
    scenario = ra.kit.scenario(scenario_id)
    search, answer = ra.search_answer(scenario)
    verdict.add(sc.answered_with_searchset(search))
    _content(verdict, ra, answer, scenario)


@pytest.mark.req("REQ-084", "REQ-074", "REQ-024")
def test_req_084_overlap_matrix_by_search(ra, verdict, overlap_case):
    """For each window of the overlap matrix, the search returns exactly the reports overlapping it (inclusive)."""
    search, answer = ra.search_answer(overlap_case)
    verdict.add(sc.answered_with_searchset(search))
    _content(verdict, ra, answer, overlap_case)


@pytest.mark.req("REQ-074", "REQ-084")
@pytest.mark.parametrize("patient,value", PREFIX_VALUES, ids=[f"{p[-3:]}-{v}" for p, v in PREFIX_VALUES])
@pytest.mark.parametrize("prefix", PREFIXES)
def test_req_074_period_prefix_has_r4_range_semantics(ra, verdict, prefix, patient, value):
    """period=<prefix><day or month> selects exactly the reports the R4 range rule for that prefix selects."""
    reports = {ref: r for ref, r in ra.kit.reports.items() if r["patient"] == patient}
    expected = {ref for ref, r in reports.items() if sc.prefix_matches(prefix, value, r["period"])}
    in_utc = {ref for ref, r in reports.items() if sc.prefix_matches(prefix, value, r["period"], utc=True)}
    params = [("patient", patient), ("period", f"{prefix}{value}"), ra_filter(ra.category_param)]
    search = ra.search(params)
    verdict.add(sc.answered_with_searchset(search, ("REQ-074", "REQ-084")))
    query = f"period={prefix}{value}"
    verdict.add(zones.either_reading(sc.prefix_answer(search, expected, query),
                                     (lambda: sc.prefix_answer(search, in_utc, query)) if in_utc != expected else None))


@pytest.mark.req("REQ-080", "REQ-027")
@pytest.mark.parametrize("scenario_id", PATIENTS_WITH_REPORTS)
def test_req_080_include_returns_every_cited_resource(ra, verdict, scenario_id):
    """_include=MeasureReport:evaluated-resource returns every resource the matched reports cite, each once."""
    scenario = ra.kit.scenario(scenario_id)
    _, answer = ra.search_answer(scenario)
    verdict.add(checks.cited_resources_present(answer))
    verdict.add(checks.entries_unique(answer))


@pytest.mark.req("REQ-087", "REQ-080")
@pytest.mark.parametrize("scenario_id", PATIENTS_WITH_REPORTS)
def test_req_087_searchset_flags_matches_and_includes(ra, verdict, scenario_id):
    """The answer is a searchset Bundle; reports carry search.mode match, included evidence search.mode include."""
    search, _ = ra.search_answer(ra.kit.scenario(scenario_id))
    verdict.add(sc.answered_with_searchset(search))
    verdict.add(sc.search_modes(search))


@pytest.mark.req("REQ-087")
@pytest.mark.parametrize("scenario_id", PATIENTS_WITH_REPORTS)
def test_req_087_searchset_carries_self_link(ra, verdict, scenario_id):
    """Every searchset page carries a `self` link (R4: SHALL) — the parameters the server actually used."""
    search, _ = ra.search_answer(ra.kit.scenario(scenario_id))
    verdict.add(sc.answered_with_searchset(search))
    verdict.add(sc.has_self_link(search))


@pytest.mark.req("REQ-070", "REQ-087", "REQ-084")
def test_req_070_paging_is_followed_to_the_end(ra, verdict):
    """With _count=3, the next links lead through every page once: all matches, none twice, total agrees."""
    case = next(c for c in ra.kit.overlap_cases if c.id == PAGED_CASE)
    search, answer = ra.search_answer(case, count=3)
    verdict.add(sc.answered_with_searchset(search, ("REQ-070", "REQ-087")))
    verdict.add(sc.paging_complete(search))
    verdict.add(sc.matches_unique(search))
    verdict.add(sc.total_agrees(search))
    verdict.add(checks.expected_reports_present(answer, case))
    verdict.add(checks.cited_resources_present(answer))


@pytest.mark.req("REQ-084", "REQ-087")
def test_req_084_unknown_patient_gives_an_empty_searchset(ra, verdict):
    """A patient the server does not know gets an empty searchset (HTTP 200), not an error."""
    search, _ = ra.search_answer(ra.kit.scenario(UNKNOWN_PATIENT))
    verdict.add(sc.answered_with_searchset(search, ("REQ-084", "REQ-087")))
    verdict.add(sc.no_matches(search, ("REQ-084", "REQ-087"), "unknown patient"))


@pytest.mark.req("REQ-085", "REQ-077")
@SEARCH_CATEGORY
def test_req_085_category_ra_selects_ra_reports(ra, verdict):
    """category=ra returns only reports carrying the measurereport-category code ra — never the patient's
    quality-measure report of the same period (the kit's `otherReports`), and every RA report of the window."""
    scenario = ra.kit.scenario(PATIENTS_WITH_REPORTS[0])
    search, answer = ra.search_answer(scenario)
    verdict.add(sc.matches_carry_category(search))
    verdict.add(sc.none_of(search, set(ra.kit.other_reports), "REQ-085", "category=ra"))
    verdict.add(checks.expected_reports_present(answer, scenario))


@pytest.mark.req("REQ-085", "REQ-077")
@SEARCH_CATEGORY
def test_req_085_category_filter_is_applied(ra, verdict):
    """A category no report carries returns an empty searchset: the filter is applied, not ignored."""
    scenario = ra.kit.scenario(PATIENTS_WITH_REPORTS[0])
    params = [("subject", scenario.subject), (ra.category_param or "category", "ra-conform-no-such-category")]
    search = ra.search(params)
    verdict.add(sc.answered_with_searchset(search, ("REQ-085", "REQ-077")))
    verdict.add(sc.no_matches(search, ("REQ-085", "REQ-077"), "a category no report carries"))


@pytest.mark.req("REQ-086", "REQ-084")
@SEARCH_SUBJECT
@capability(GROUP_EXPANSION)
@pytest.mark.parametrize("scenario_id", GROUPS_WITH_MEMBERS)
def test_req_086_group_subject_returns_the_members_reports(ra, verdict, scenario_id):
    """Where declared, subject=Group/g returns each member's overlapping reports and nothing else (MAY)."""
    scenario = ra.kit.scenario(scenario_id)
    search, answer = ra.search_answer(scenario)
    verdict.add(sc.answered_with_searchset(search, ("REQ-086", "REQ-087")))
    _content(verdict, ra, answer, scenario)


@pytest.mark.req("REQ-029")
@pytest.mark.parametrize("scenario_id", PATIENTS_WITH_REPORTS)
def test_req_029_searched_resources_conform_to_profiles(ra, verdict, validator, scenario_id):
    """Every matched report conforms to ra-measurereport, every included resource to its profile / base R4."""
    search, _ = ra.search_answer(ra.kit.scenario(scenario_id))
    verdict.add(profiles.resources_conform(validator, [e.get("resource") for e in search.entries], f"search for {scenario_id}"))
