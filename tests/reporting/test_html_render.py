"""render_html: sections, counts, failures with exchanges, escaping, self-containment."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from ra_conformance.reporting import html as report_html
from ra_conformance.reporting import html_assets
from ra_conformance.reporting.html import render_html, write_html

from .page import EXTERNAL, Page
from .summaries import HOSTILE, SCHEMA_PATH, exchange, large_summary, make_test, small_summary, summary

SECTIONS = ["verdict", "suites", "failures", "tests", "traceability", "must-support"]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    if not SCHEMA_PATH.is_file():
        pytest.skip(f"{SCHEMA_PATH} is absent")
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def large() -> dict[str, Any]:
    return large_summary()


@pytest.fixture(scope="module")
def large_page(large: dict[str, Any]) -> tuple[str, Page]:
    text = render_html(large)
    return text, Page(text)


def test_fixtures_are_schema_valid(schema: dict[str, Any], large: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    for s in (small_summary(), large, summary([], verdict="pass", must_support={})):
        validator.validate(s)
    assert len(large["tests"]) == 300
    assert sum(1 for t in large["tests"] if t["exchanges"]) == 50
    broken = small_summary()
    broken["tests"][0]["state"] = "flaky"
    assert list(validator.iter_errors(broken)), "the schema check must be able to fail"


def test_sections_exist_in_order(large_page: tuple[str, Page]) -> None:
    text, page = large_page
    assert text.startswith("<!DOCTYPE html>")
    positions = [page.ids.index(s) for s in SECTIONS]
    assert positions == sorted(positions)
    assert not page.unbalanced and not page.stack, (page.unbalanced, page.stack)
    assert len(page.ids) == len(set(page.ids)), "ids must be unique"


@pytest.mark.parametrize("verdict,word", [("pass", "PASS"), ("fail", "FAIL"), ("error", "ERROR")])
def test_verdict_banner_and_facts(verdict: str, word: str) -> None:
    s = small_summary()
    s["verdict"], s["strict"] = verdict, True
    text = render_html(s)
    page = Page(text)
    banner = next(a for t, a in page.tags if "banner" in (a.get("class") or ""))
    assert f"banner-{verdict}" in (banner["class"] or "")
    v = page.text("verdict")
    assert word in v and "http://target.test/fhir" in v and "2.1.0" in v and "$report" in v
    assert "yes (warnings fail)" in v and "3.50 s" in v and "0.1.0-test" in v
    assert "2026-11-23T17:44:18Z" in v  # started = Unix 1795455858.25


def test_verdict_counts(large: dict[str, Any], large_page: tuple[str, Page]) -> None:
    _, page = large_page
    for state, n in large["counts"].items():
        assert page.text(f"count-{state}").startswith(str(n)), state
    assert sum(large["counts"].values()) == 300


def test_suites_table_counts(large: dict[str, Any], large_page: tuple[str, Page]) -> None:
    rows = re.findall(r"<tr><td><code>(\w+)</code></td>(.*?)</tr>", large_page[0].split('id="suites"')[1].split("</section>")[0])
    assert len(rows) == len(large["suites"]) == 4
    for name, cells in rows:
        nums = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', cells)]
        expected = [large["suites"][name][s] for s in ("pass", "fail", "warn", "skip", "error")]
        assert nums == expected + [sum(expected)], name


def test_every_failure_message_and_exchange_appears(large: dict[str, Any], large_page: tuple[str, Page]) -> None:
    _, page = large_page
    failures = page.text("failures")
    shown = [t for t in large["tests"] if t["state"] in ("fail", "error", "warn")]
    for t in shown:
        assert t["nodeid"] in failures
        assert t["findings"][0]["message"] in failures
        assert t["message"] not in failures  # the findings once (as a table), not again as the message text
        for n, x in enumerate(t["exchanges"]):
            assert x["url"] in failures and f"#{x['id']} POST" in page.text(f"f-t-{large['tests'].index(t)}")
            assert x["request_headers"]["Accept"] in page.text(f"t-{large['tests'].index(t)}-x{n}")
    assert sum(len(t["exchanges"]) for t in shown) == 100
    passed = next(t for t in large["tests"] if t["state"] == "pass")
    assert passed["nodeid"] not in failures
    # fail and error first, then warn
    order = [page.attrs_by_id[i]["data-state"] for i in page.ids if i.startswith("f-t-")]
    assert order.index("warn") > max(i for i, s in enumerate(order) if s in ("fail", "error"))


def test_exchange_details() -> None:
    tests = [make_test(0, "fail", exchanges=[exchange(7, status=None, body="")])]
    page = Page(render_html(summary(tests)))
    x = page.text("t-0-x0")
    assert "POST" in x and "no response" in x and "20 ms" in x and "transport error: ConnectError" in x
    assert "Authorization: Bearer ***" in x and "Content-Type: application/fhir+json" in x and "(no body)" in x
    assert '"valueString": "Patient/p7"' in x  # request body pretty-printed


def test_shared_exchange_shown_in_full_once() -> None:
    shared = exchange(1, body='{"marker": "SHARED-BODY"}')
    tests = [make_test(0, "fail", exchanges=[shared]), make_test(1, "warn", exchanges=[dict(shared), exchange(2)])]
    text = render_html(summary(tests))
    page = Page(text)
    assert text.count("SHARED-BODY") == 1 and "SHARED-BODY" in page.text("t-0-x0")
    assert "#1 POST" in page.text("t-1-x0") and 'href="#t-0-x0"' in text
    assert "resp-2" in page.text("t-1-x1")
    assert len(page.ids) == len(set(page.ids))


def test_json_bodies_pretty_and_long_bodies_truncated() -> None:
    long_body = json.dumps({"resourceType": "Bundle", "entry": [{"n": i, "pad": "x" * 50} for i in range(2000)]})
    tests = [make_test(0, "fail", exchanges=[exchange(1, body=long_body), exchange(2, body="plain text, not JSON {")])]
    page = Page(render_html(summary(tests)))
    one = page.text("t-0-x0")
    assert '"resourceType": "Bundle"' in one and "truncated: showing the first 20,000 of" in one
    assert '"n": 1999' not in one
    two = page.text("t-0-x1")
    assert "plain text, not JSON {" in two and "truncated" not in two


def test_hostile_content_is_escaped() -> None:
    text = render_html(small_summary())
    page = Page(text)
    assert page.count("script") == 1  # ours only
    assert not [a for _, a in page.tags if any(k.startswith("on") for k in a)]  # no injected handlers
    assert not page.unbalanced and not page.stack
    assert page.count("details") == 2 * 3  # request + response per exchange, none injected
    assert HOSTILE in page.text("failures")  # shown, as text
    assert "&lt;script&gt;document.body" in text


def test_escaping_check_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """With escaping switched off, the same checks notice the injected markup."""
    monkeypatch.setattr(report_html, "esc", str)
    monkeypatch.setattr(html_assets, "esc", str)
    page = Page(render_html(small_summary()))
    assert page.count("script") > 1 and [a for _, a in page.tags if "onmouseover" in a]


def test_tests_section_lists_all(large: dict[str, Any], large_page: tuple[str, Page]) -> None:
    _, page = large_page
    rows = [i for i in page.ids if re.fullmatch(r"t-\d+", i)]
    assert len(rows) == 300
    for i, t in enumerate(large["tests"]):
        row = page.text(f"t-{i}")
        assert t["title"] in row and t["nodeid"] in row and t["state"].upper() in row
        assert all(r in row for r in t["reqs"])
        if t["state"] == "skip":
            assert t["message"] in row


def test_traceability(large: dict[str, Any], large_page: tuple[str, Page]) -> None:
    _, page = large_page
    for r in large["traceability"]["requirements"]:
        row = page.text(r["id"])
        assert r["text"].replace("`", "") in row and r["level"] in row and r["outcome"].upper() in row
        assert all(n in row for n in r["tests"])
    uncovered = page.text("traceability").split("no test covers")[1]
    for rid in large["traceability"]["uncoveredShall"]:
        assert rid in uncovered


def test_must_support_table_and_no_data() -> None:
    page = Page(render_html(small_summary()))
    ms = page.text("must-support")
    assert "MeasureReport.group.extension:ccRemark" in ms and "not populated" in ms and "1 of 2 populated" in ms
    empty = Page(render_html(summary([], must_support={}))).text("must-support")
    assert "no data" in empty


def test_no_external_references(large_page: tuple[str, Page]) -> None:
    text, page = large_page
    assert not EXTERNAL.search(text)
    assert all(t not in ("link", "img", "iframe", "object") for t, _ in page.tags)
    assert all(not a.get("src") for _, a in page.tags)
    assert EXTERNAL.search('<img src="https://x.test/a.png">') and EXTERNAL.search("a{background:url(x)}")


def test_tolerates_sparse_summary_and_writes_file(tmp_path: Any) -> None:
    text = render_html({"exitCode": 1, "tests": [{"state": "fail", "message": "boom"}]})
    page = Page(text)
    assert all(s in page.ids for s in SECTIONS) and "FAIL" in page.text("verdict") and "boom" in page.text("failures")
    out = write_html(small_summary(), tmp_path / "sub" / "report.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_answers_why(large: dict[str, Any]) -> None:
    """REQ badges link to the requirement (text as tooltip), backticks are code, a rerun command per failure,
    the banner names the failed requirements."""
    summary = {**large, "rerun": "ra-conform run --target http://target.test/fhir"}
    text = render_html(summary)
    page = Page(text)
    failed = next(t for t in summary["tests"] if t["state"] == "fail" and t["findings"])
    req = failed["findings"][0]["reqs"][0]
    texts = {r["id"]: r["text"] for r in summary["traceability"]["requirements"]}
    badges = [a for tag, a in page.tags if tag == "a" and a.get("href") == f"#{req}"]
    assert badges and badges[0].get("title") == texts[req] and req in page.ids  # the link lands on the matrix row
    assert "<code>GET [base]/metadata</code>" in text and "`GET [base]/metadata`" not in text
    article = page.text(f"f-t-{summary['tests'].index(failed)}")
    module = failed["nodeid"].split("::")[0].rsplit("/", 1)[-1]
    assert f"ra-conform run --target http://target.test/fhir -k '{module} and {failed['name']}'" in article
    banner = page.text("verdict")
    assert "Failed requirements" in banner and req in banner


def test_interrupted_run_is_never_a_pass() -> None:
    s = small_summary()
    s.update(verdict="incomplete", exitCode=130, interrupted={"signal": "SIGINT", "planned": 10, "ran": 3, "notRun": ["a", "b"]})
    banner = Page(render_html(s)).text("verdict")
    assert banner.lstrip().startswith("Verdict") and "INCOMPLETE" in banner and "PASS" not in banner.split("Exit code")[0]
    assert "3 of 10 selected tests ran" in banner
    page = Page(render_html(s))
    assert "did not run (2)" in page.text("not-run") and "a" in page.text("not-run")


def test_a_finding_shows_the_check_that_made_it(schema: dict[str, Any]) -> None:
    failing = make_test(1, "fail")
    failing["findings"][0]["check"] = "answer.expected_reports_present"
    data = summary([failing])
    jsonschema.validate(data, schema)
    assert "<b>check</b> <code>answer.expected_reports_present</code>" in render_html(data)
