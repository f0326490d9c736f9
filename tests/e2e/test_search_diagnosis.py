"""End to end (issue 16, issue 9's missing checks): a server that ignores search parameters is named once as the
root cause; `Prefer: handling` is sent and reported; each new check is caught by the test meant to catch it."""

import json

import pytest

from ra_conformance.harness.runner import run_suites
from ra_conformance.results import FAIL, PASS, WARN
from ra_conformance.settings import build

IGNORED = "the server ignored: subject, period, category, _include"


def _run(tmp_path, *faults, keyword="search", **extra):
    return run_suites(build({"ig_version": "2.1.0", "fault": faults, "keyword": keyword, "report_dir": tmp_path,
                             "allure": False, **extra}, env={}))


def test_lenient_server_fails_with_one_root_cause_first(tmp_path):
    results = _run(tmp_path, "search-ignores-leniently", keyword="test_search.py")
    failed = [t for t in results.tests if t.state == FAIL]
    assert failed and results.exit_code() == 1
    for t in failed:  # said once, as the first finding of every affected test
        messages = [f["message"] for f in t.findings]
        assert messages[0].startswith("the server ignored: "), (t.nodeid, messages[:2])
        assert sum(m.startswith("the server ignored") for m in messages) == 1
    window = next(t for t in failed if "test_req_084_window_search" in t.nodeid)
    assert window.findings[0]["message"].startswith(IGNORED)
    first = window.findings[0]
    assert {"REQ-076", "REQ-074", "REQ-077", "REQ-080"} <= set(first["reqs"])
    outcome_warnings = [f for f in window.findings if f["severity"] == "warning" and "search.mode=outcome" in f["message"]]
    assert outcome_warnings and "Unknown search parameter" in outcome_warnings[0]["actual"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [i["name"] for i in summary["search"]["ignoredParameters"]] == ["subject", "period", "category", "_include"]
    assert summary["search"]["outcomes"] and summary["search"]["handling"] == "none"
    page = (tmp_path / "report.html").read_text()
    assert IGNORED + " — see MeasureReport search parameters in its CapabilityStatement" in page


def test_ignored_category_is_caught_by_the_ra_only_category_test_itself(tmp_path):
    results = _run(tmp_path, "search-ignores-category", keyword="test_req_085_category_ra_selects_ra_reports")
    [t] = results.tests
    assert t.state == FAIL
    own = [f["message"] for f in t.findings if not f["message"].startswith("the server ignored")]
    assert any("must not select" in m for m in own), own  # the kit's quality report came back


def test_correct_server_has_no_search_notes_and_strict_handling_is_sent_and_reported(tmp_path):
    results = _run(tmp_path, keyword="test_req_084_window or test_req_085", search_handling="strict")
    assert results.tests and all(t.state == PASS for t in results.tests), [(t.nodeid, t.message) for t in results.tests]
    searches = [e for t in results.tests for e in t.exchanges if "/MeasureReport?" in e["url"]]
    assert searches and all({k.lower(): v for k, v in e["request_headers"].items()}.get("prefer") == "handling=strict" for e in searches)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["search"] == {"handling": "strict", "ignoredParameters": [], "outcomes": []}
    assert "Prefer: handling=strict" in (tmp_path / "report.html").read_text()


@pytest.mark.parametrize("fault,catcher", [
    ("search-no-self-link", "test_req_087_searchset_carries_self_link"),
    ("update-create-200", "test_req_184_update_as_create_answers_201"),
    ("transaction-not-atomic", "test_req_181_transaction_is_atomic"),
    ("search-month-end-rolls-over", "test_req_084_overlap_matrix_by_search[month-upper-bound-leap-february]"),
    ("search-february-28-days", "test_req_084_overlap_matrix_by_search[month-upper-bound-leap-february]"),
    ("search-month-end-rolls-over", "test_req_074_period_prefix_has_r4_range_semantics[le-p07-2024-02]"),
])
def test_new_check_catches_its_fault(tmp_path, fault, catcher):
    name = catcher.split("[", 1)[0]
    results = _run(tmp_path, fault, keyword=name)
    states = {t.nodeid.split("::", 1)[1]: t.state for t in results.tests}
    assert any(n.startswith(catcher) and s == FAIL for n, s in states.items()), {k: v for k, v in states.items() if v != PASS}
    assert all(s in (PASS, WARN) for n, s in states.items() if n.split("[")[0] != name)


def test_an_informational_outcome_entry_is_legal_a_warning_not_a_failure(tmp_path):
    """The search-outcome-note variant (R4 search.mode=outcome): a correct server that adds an OperationOutcome about
    the search passes, its diagnostics shown as warnings (test_selftest runs every suite against it too)."""
    from ra_conformance.server.variants.outcomes import NOTE

    results = _run(tmp_path, keyword="test_search.py or test_search_parameters.py", variant=("search-outcome-note",))
    assert results.exit_code() == 0, [(t.nodeid, t.message) for t in results.tests if t.state == FAIL]
    warned = [t for t in results.tests if t.state == WARN]
    assert warned and all(any(NOTE in (f.get("actual") or "") for f in t.findings) for t in warned)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["search"]["outcomes"] == [f"information: {NOTE}"] and summary["search"]["ignoredParameters"] == []
