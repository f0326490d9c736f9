"""junit.xml (xunit2) from RunResults, for runs that are not pytest sessions (client-test): one testcase per
test, its REQ ids and state as properties, failures with their findings (never a traceback)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..results import ERROR, FAIL, SKIP, WARN, RunResults

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Characters XML 1.0 cannot carry (e.g. a NUL a client sent) replaced, so the file always parses."""
    return _NOT_XML.sub("\ufffd", text)


def junit_tree(results: RunResults, name: str = "ra-conform") -> ET.ElementTree:
    counts = results.counts()
    suite = ET.Element("testsuite", name=name, tests=str(len(results.tests)), failures=str(counts[FAIL]),
                       errors=str(counts[ERROR]), skipped=str(counts[SKIP]), time=f"{results.wall_s:.3f}")
    for t in results.tests:
        case = ET.SubElement(suite, "testcase", classname=t.suite.replace("/", "."), name=t.name, time=f"{t.duration_s:.3f}")
        props = ET.SubElement(case, "properties")
        for req in t.reqs:
            ET.SubElement(props, "property", name="requirement", value=req)
        ET.SubElement(props, "property", name="ra_state", value=t.state)
        if t.state == FAIL:
            ET.SubElement(case, "failure", message=t.title).text = xml_text(t.message)
        elif t.state == ERROR:
            ET.SubElement(case, "error", message=t.title).text = xml_text(t.message)
        elif t.state == SKIP:
            ET.SubElement(case, "skipped", message=xml_text(t.message))
        elif t.state == WARN:
            ET.SubElement(case, "system-out").text = xml_text(t.message)
    root = ET.Element("testsuites")
    root.append(suite)
    return ET.ElementTree(root)


def write_junit(results: RunResults, path: Path, name: str = "ra-conform") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = junit_tree(results, name)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path
