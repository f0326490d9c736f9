"""junit.xml from RunResults (client-test): REQ ids and state as properties, parseable whatever a client sent."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ra_conformance.reporting.junit_results import write_junit
from ra_conformance.results import RunResults
from ra_conformance.results import TestResult as Result


def test_junit_carries_reqs_states_and_survives_control_characters(tmp_path):
    results = RunResults(tests=[
        Result("client/a::t1", "client/a", "t1", "passes", ["REQ-016"]),
        Result("client/a::t2", "client/a", "t2", "fails", ["REQ-014", "REQ-015"], state="fail", message="bad \x00 value \x1b[31m"),
        Result("client/b::t3", "client/b", "t3", "skips", ["REQ-204"], state="skip", message="not applicable"),
        Result("client/b::t4", "client/b", "t4", "warns", ["REQ-058"], state="warn", message="early poll"),
    ])
    root = ET.parse(write_junit(results, tmp_path / "junit.xml")).getroot()
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "1" and suite.get("skipped") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert [p.get("value") for p in cases["t2"].iter("property") if p.get("name") == "requirement"] == ["REQ-014", "REQ-015"]
    failure = cases["t2"].find("failure")
    assert failure is not None and "bad" in (failure.text or "") and "\x00" not in (failure.text or "")
    assert cases["t3"].find("skipped") is not None and cases["t1"].find("failure") is None
    assert [p.get("value") for p in cases["t4"].iter("property") if p.get("name") == "ra_state"] == ["warn"]
