"""End to end (issue 9): the content and profile checks run on whatever retrieval flow a target offers — proven
against a search-only 2.1.0 configuration of the reference server, where they pass, and fail when its answers
are broken — and the reports name the flow exercised."""

import json

import pytest

from ra_conformance.harness.runner import run_suites
from ra_conformance.results import FAIL, PASS, SKIP
from ra_conformance.server import app as server_app
from ra_conformance.server.errors import FhirError
from ra_conformance.settings import build

# The content and profile tests that hung off the operation before (REQ-029, REQ-1xx, REQ-003, REQ-119,
# REQ-124, REQ-189): on a search-only target every one of them must run.
CONTENT = ("test_profiles.py::", "test_referenced_resources.py::test_req_189", "test_referenced_resources.py::test_req_003")
SUITES = "profiles or referenced_resources or search or capability"


@pytest.fixture
def search_only(monkeypatch):
    """The reference server without its `$cc-gaps` family: not in /metadata, and 404 when called anyway."""

    async def no_operation(ctx, request):
        raise FhirError(404, "not-supported", "this server retrieves coding-gap reports by search only")

    monkeypatch.setattr(server_app, "_operation", no_operation)

    def run(tmp_path, *faults: str):
        settings = build({"ig_version": "2.1.0", "fault": ("no-operation-in-metadata", *faults), "keyword": SUITES,
                          "report_dir": tmp_path, "allure": False}, env={})
        return run_suites(settings)

    return run


def _content(results):
    return [t for t in results.tests if t.nodeid.startswith(CONTENT)]


def test_search_only_target_gets_every_content_and_profile_check(search_only, tmp_path):
    results = search_only(tmp_path)
    content = _content(results)
    assert content and all(t.state in (PASS, SKIP) for t in content), [(t.nodeid, t.state, t.message) for t in content]
    ran = [t for t in content if t.state == PASS]
    assert any("test_req_029_returned_resources" in t.nodeid for t in ran)
    assert any("REQ-101" in t.nodeid for t in ran) and any("test_req_189" in t.nodeid for t in ran)
    assert any("test_req_003" in t.nodeid for t in ran) and any("test_req_119" in t.nodeid for t in ran)
    skipped = {t.nodeid: t.message for t in content if t.state == SKIP}
    # only what cannot apply: the `$report` Bundle's own rules, and rules of other IG versions
    assert all("operation" in why or "applies to IG" in why for why in skipped.values()), skipped
    assert not any("$cc-gaps" in (t.message or "") for t in results.tests if t.state == PASS)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["retrieval"] == ["search"] and summary["operation"] == ""
    page = (tmp_path / "report.html").read_text()
    assert "<dt>Retrieval</dt><dd><code>search</code></dd>" in page and "<dt>Operation</dt><dd><span" in page


@pytest.mark.parametrize("fault,catcher", [
    ("report-type-summary", "test_req_1xx_returned_resources_meet_profile_rule[REQ-101"),
    ("drop-evidence-status-date", "test_req_003_returned_reports_keep_every_must_support_element"),
    ("malformed-evidence", "test_req_119_cited_evidence_is_valid_and_us_core"),
])
def test_search_only_content_checks_fail_on_broken_answers(search_only, tmp_path, fault, catcher):
    results = search_only(tmp_path, fault)
    failed = [t for t in _content(results) if t.state == FAIL and catcher in t.nodeid]
    assert failed, f"{fault}: {catcher} did not fail"
    where = [f.get("where", "") for t in failed for f in t.findings]
    if "REQ-101" in catcher:  # profile findings point at searchset entries, never at a Parameters.parameter
        assert any(w.startswith("searchset entries for Patient/") for w in where), where
    assert not any("Parameters.parameter" in w for t in failed for f in t.findings for w in f.values() if isinstance(w, str))


def test_reports_name_both_flows_of_the_reference_server(tmp_path):
    results = run_suites(build({"ig_version": "2.1.0", "keyword": "test_req_029_returned", "report_dir": tmp_path,
                                "allure": False}, env={}))
    assert results.retrieval == ["search", "$cc-gaps"] and results.operation == "cc-gaps"


@pytest.mark.parametrize("version", ["stu1", "2.1.0"])
def test_plan_lists_exactly_what_run_runs(tmp_path, version):
    """Every test the plan runs ends pass (nothing skips at run time), every test it skips is skipped with the
    plan's reason. The bulk suite is left out: whether a target takes the async kick-off is only known by asking."""
    from ra_conformance.harness.runner import plan_suites

    settings = build({"ig_version": version, "keyword": "not test_bulk", "report_dir": tmp_path, "allure": False}, env={})
    plan, _ = plan_suites(settings)
    results = run_suites(settings)
    states = {t.nodeid: (t.state, t.message) for t in results.tests}
    assert set(states) == {e.nodeid for e in plan}
    wrong = [(e.nodeid, e.run, states[e.nodeid]) for e in plan
             if (e.run and states[e.nodeid][0] == SKIP) or (not e.run and states[e.nodeid] != (SKIP, e.reason))]
    assert wrong == []
