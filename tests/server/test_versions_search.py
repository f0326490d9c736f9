"""The reference server's MeasureReport search over the kit: R4 date prefixes, paging, filters, Group expansion."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ra_conformance.checks.search import PREFIX_RULES, prefix_matches

P02 = "Patient/rac-p02"
PROFILE = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/ra-measurereport"


def _matches(bundle):
    return {f"MeasureReport/{e['resource']['id']}" for e in bundle.get("entry", []) if e["search"]["mode"] == "match"}


@pytest.mark.parametrize("value", ["2024-01-01", "2024-12-31", "2024-06", "2024"])
@pytest.mark.parametrize("prefix", sorted(PREFIX_RULES))
def test_server_prefix_semantics_agree_with_the_suite_rule(server, expectations, prefix, value):
    expected = {ref for ref, r in expectations.all_reports.items()  # no RA filter: the quality report too
                if r["patient"] == P02 and prefix_matches(prefix, value, r["period"])}
    got = _matches(server().get("/MeasureReport", params={"patient": P02, "period": prefix + value}).json())
    assert got == expected


def test_prefix_rules_are_not_all_alike(expectations):
    """Each prefix selects a different set somewhere in the matrix (the parametrised test can tell them apart)."""
    periods = [r["period"] for r in expectations.reports.values() if r["patient"] == P02]
    selections = {p: tuple(prefix_matches(p, v, per) for v in ("2024-01-01", "2024-12-31") for per in periods)
                  for p in PREFIX_RULES}
    assert len(set(selections.values())) == len(PREFIX_RULES)


def test_paging_walks_every_match_once(server):
    c = server()
    url, seen, pages = "/MeasureReport?patient=Patient/rac-p02&category=ra&_count=4", [], 0
    while url:
        body = c.get(url).json()
        assert body["total"] == 11
        seen += sorted(_matches(body))
        pages += 1
        url = next((link["url"] for link in body["link"] if link["relation"] == "next"), None)
    assert pages == 3 and len(seen) == len(set(seen)) == 11


def test_each_page_includes_its_own_evidence(server):
    body = server().get("/MeasureReport", params={"patient": "Patient/rac-p01", "category": "ra", "_count": "1",
                                                  "_include": "MeasureReport:evaluated-resource"}).json()
    included = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in body["entry"] if e["search"]["mode"] == "include"}
    report = next(e["resource"] for e in body["entry"] if e["search"]["mode"] == "match")
    assert included == {er["reference"] for er in report["evaluatedResource"]}


@pytest.mark.parametrize("bad", ["x", "-1"])
def test_bad_count_is_a_400(server, bad):
    r = server().get("/MeasureReport", params={"_count": bad})
    assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("params", [{"category": "ra"}, {"measurereport-category": '"ra"'}, {"_profile": PROFILE}])
def test_ra_filters_select_the_coding_gap_reports(server, params):
    body = server().get("/MeasureReport", params={"patient": "Patient/rac-p01", **params}).json()
    assert _matches(body) == {"MeasureReport/rac-mr-p01-v24", "MeasureReport/rac-mr-p01-v28"}
    assert server().get("/MeasureReport", params={"patient": "Patient/rac-p01", "_profile": "http://x/y"}).json()["total"] == 0


def test_stu1_variant_has_no_category_but_keeps_the_profile(server):
    c = server("stu1")
    assert c.get("/MeasureReport", params={"patient": "Patient/rac-p01", "category": "ra"}).json()["total"] == 0
    assert c.get("/MeasureReport", params={"patient": "Patient/rac-p01", "_profile": PROFILE}).json()["total"] == 2


def test_group_subject_expands_only_when_switched_on(server):
    params = {"subject": "Group/rac-group-b", "period": ["ge2024-01-01", "le2024-12-31"]}
    assert _matches(server().get("/MeasureReport", params=params).json()) == {"MeasureReport/rac-mr-p06-v28"}
    assert server("2.1.0", group_expansion=False).get("/MeasureReport", params=params).json()["total"] == 0


def test_unknown_patient_is_an_empty_searchset(server):
    r = server().get("/MeasureReport", params={"subject": "Patient/rac-p-unknown"})
    assert r.status_code == 200 and r.json()["type"] == "searchset" and r.json()["total"] == 0


def test_next_link_keeps_the_query(server):
    body = server().get("/MeasureReport", params={"patient": "Patient/rac-p02", "period": "ge2024-01-01", "_count": "2"}).json()
    query = parse_qs(urlsplit(next(link["url"] for link in body["link"] if link["relation"] == "next")).query)
    assert query == {"patient": ["Patient/rac-p02"], "period": ["ge2024-01-01"], "_count": ["2"], "_offset": ["2"]}
