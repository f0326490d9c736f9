"""What a search answer says about itself (issue 16): parameters missing from the self link, `outcome`
entries; the self-link check; flows named from exchanges; the plan's capability items for REQ-086."""

import pytest

from ra_conformance.checks import search as sc
from ra_conformance.declarations import read_declarations
from ra_conformance.fhir.search import SearchAnswer
from ra_conformance.harness import flows
from ra_conformance.harness.plan import decide
from ra_conformance.ig.capabilities import GROUP_EXPANSION, GROUP_EXPANSION_EXTENSION

from ..fhir.helpers import BASE, report, response

SENT = [("subject", "Patient/p1"), ("period", "ge2024-01-01"), ("period", "le2024-12-31"), ("category", "ra"),
        ("_include", "MeasureReport:evaluated-resource"), ("_count", "3")]


def searchset(*entries, self_link=None, links=()):
    body = {"resourceType": "Bundle", "type": "searchset", "entry": list(entries), "link": list(links)}
    if self_link is not None:
        body["link"].append({"relation": "self", "url": self_link})
    return body


def search(body, sent=SENT):
    return SearchAnswer(pages=[response(body)], sent=list(sent))


def match(r):
    return {"resource": r, "search": {"mode": "match"}}


def oo_entry(text):
    return {"resource": {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "not-supported",
                                                                        "diagnostics": text}]},
            "search": {"mode": "outcome"}}


def test_parameters_missing_from_the_self_link_were_ignored():
    s = search(searchset(self_link=f"{BASE}/MeasureReport?period=ge2024-01-01&period=le2024-12-31&_count=3"))
    assert s.ignored_parameters() == ["subject", "category", "_include"]


@pytest.mark.parametrize("link", [
    f"{BASE}/MeasureReport?subject=Patient%2Fp1&period=ge2024-01-01&period=le2024-12-31&category=ra"
    "&_include=MeasureReport%3Aevaluated-resource",  # _count is no selection: never expected back
    f"{BASE}/MeasureReport?subject:Patient=p1&period=ge2024-01-01&measurereport-category=ra&_include=x",  # aliases
])
def test_a_self_link_with_every_parameter_says_nothing_was_ignored(link):
    assert search(searchset(self_link=link)).ignored_parameters() == []


def test_no_self_link_is_no_diagnosis_and_a_self_link_naming_nothing_is_everything_ignored():
    assert search(searchset()).ignored_parameters() == []  # nothing to read (REQ-087 judges the missing link)
    assert search({"resourceType": "OperationOutcome"}).ignored_parameters() == []
    assert search(searchset(self_link="::not a url::?%zz")).ignored_parameters() == ["subject", "period", "category", "_include"]
    assert search(searchset(self_link=f"{BASE}/MeasureReport"), sent=[]).ignored_parameters() == []


def test_ignored_parameters_finding_names_them_with_their_reqs():
    [finding] = sc.ignored_parameters(["subject", "period", "category", "_include"], ["http://x/MeasureReport"])
    assert finding.severity == "error" and finding.message.startswith("the server ignored: subject, period, category, _include")
    assert {"REQ-076", "REQ-074", "REQ-077", "REQ-085", "REQ-080"} <= set(finding.reqs)
    assert sc.ignored_parameters([]) == []


def test_outcome_entries_are_legal_and_shown_as_warnings():
    s = search(searchset(match(report("r1", "p1")), oo_entry("Unknown search parameter 'x': ignored"), self_link=f"{BASE}/MeasureReport"))
    assert sc.search_modes(s) == []  # REQ-087: `outcome` is a legal mode for an OperationOutcome
    assert [sc.outcome_diagnostics(o) for o in s.outcomes] == ["warning: Unknown search parameter 'x': ignored"]
    [w] = sc.search_outcomes([sc.outcome_diagnostics(o) for o in s.outcomes])
    assert w.severity == "warning" and "Unknown search parameter" in (w.actual or "")
    wrong = search(searchset({"resource": report("r2", "p1"), "search": {"mode": "outcome"}}))
    assert sc.search_modes(wrong)  # a MeasureReport flagged outcome is still wrong


def test_self_link_check_fails_without_one_and_passes_with_one():
    assert sc.has_self_link(search(searchset()))[0].reqs == ("REQ-087",)
    assert sc.has_self_link(search(searchset(self_link=f"{BASE}/MeasureReport?subject=Patient/p1"))) == []


@pytest.mark.parametrize("method,url,label", [
    ("GET", f"{BASE}/MeasureReport?subject=Patient/p1", "search"),
    ("GET", f"{BASE}/MeasureReport/$cc-gaps?subject=Patient/p1", "$cc-gaps"),
    ("POST", f"{BASE}/MeasureReport/$risk-gap", "$risk-gap"),
    ("GET", f"{BASE}/MeasureReport/rac-mr-1", None),
    ("POST", f"{BASE}/MeasureReport", None),
    ("GET", f"{BASE}/metadata", None),
])
def test_flows_are_named_from_the_exchanges(method, url, label):
    assert flows.exercised_label(method, url, BASE) == label


def test_flows_are_ordered_search_first():
    assert flows.ordered({"$risk-gap", "$cc-gaps", "search"}) == ["search", "$cc-gaps", "$risk-gap"]


def _cs(extension=None, operation=False):
    subject = {"name": "subject", "type": "reference"}
    if extension is not None:
        subject["extension"] = [{"url": GROUP_EXPANSION_EXTENSION, "valueBoolean": extension}]
    mr = {"type": "MeasureReport", "searchParam": [subject, {"name": "period", "type": "date"}]}
    if operation:
        mr["operation"] = [{"name": "cc-gaps", "definition": "x"}]
    return {"resourceType": "CapabilityStatement", "rest": [{"mode": "server", "resource": [mr]}]}


def test_group_expansion_is_a_plan_decision():
    assert decide(GROUP_EXPANSION, "2.1.0", read_declarations(_cs(True))).run
    skipped = decide(GROUP_EXPANSION, "2.1.0", read_declarations(_cs()))
    assert not skipped.run and "MAY" in skipped.reason
    assert not decide(GROUP_EXPANSION, "2.1.0", read_declarations(_cs(False))).run


def test_content_flows_follow_the_plan():
    assert flows.content_flows("2.1.0", read_declarations(_cs())) == ("search",)  # search-only 2.1.0 target
    assert flows.content_flows("2.1.0", read_declarations(_cs(operation=True))) == ("search", "operation")
    assert flows.content_flows("stu1", read_declarations(_cs(operation=True))) == ("search", "operation")
    assert flows.content_flows("stu1", read_declarations({})) == ("operation",)  # $report is SHALL in STU1
