"""report.html in a real browser (Debian's headless Chromium): key elements visible, no injection, renders."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ra_conformance.reporting.html import write_html

from .summaries import HOSTILE, large_summary

pytestmark = pytest.mark.browser

KEY_IDS = ["verdict", "suites", "suites-table", "failures", "tests", "tests-table", "traceability", "trace-table",
           "must-support", "count-pass", "count-fail"]
# Appended to a copy of the page: records what the browser laid out, for --dump-dom to show.
PROBE = """<script>
var ids=%s, out={};
ids.forEach(function(i){var e=document.getElementById(i);var r=e&&e.getBoundingClientRect();
  out[i]=!!(e&&r.width>0&&r.height>0&&getComputedStyle(e).visibility!=='hidden');});
out.banner=document.querySelector('.banner').innerText;
out.filtersShown=Array.prototype.every.call(document.querySelectorAll('.filters'),function(f){return !f.hidden&&f.offsetHeight>0;});
out.rows=document.querySelectorAll('#tests-table tbody tr').length;
out.scripts=document.scripts.length;
out.viewport=window.innerWidth;
out.pageOverflow=document.documentElement.scrollWidth-window.innerWidth;
out.tableRight={};['suites-table','tests-table','trace-table'].forEach(function(i){
  var e=document.getElementById(i);out.tableRight[i]=e?Math.round(e.getBoundingClientRect().right):null;});
document.body.setAttribute('data-probe',JSON.stringify(out));
</script>"""


def _summary() -> dict[str, Any]:
    s = large_summary()
    hostile = next(t for t in s["tests"] if t["state"] == "fail" and t["exchanges"])
    hostile["message"] += HOSTILE
    hostile["exchanges"][0]["response_body"] = HOSTILE
    long = next(t for t in s["tests"] if t["state"] == "skip")  # unbroken identifiers must wrap, not widen the page
    long["nodeid"] += "[" + "x" * 300 + "]"
    long["message"] = "target does not declare `MeasureReport:search:" + "y" * 200 + "`"
    return s


def _chromium(binary: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp / 'profile'}", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_html(_summary(), tmp_path_factory.mktemp("browser") / "report.html")


def _probe(chromium: str, tmp: Path, page: str) -> tuple[dict[str, Any], str]:
    probed = tmp / "probed.html"
    probed.write_text(page.replace("</body>", PROBE % json.dumps(KEY_IDS) + "</body>"), encoding="utf-8")
    dom = _chromium(chromium, tmp, "--window-size=1400,1000", "--dump-dom", probed.as_uri()).stdout
    found = re.search(r'<body data-probe="([^"]*)"', dom)
    assert found, dom[:2000]
    return json.loads(html.unescape(found.group(1))), dom


def test_key_elements_visible(chromium: str, report: Path, tmp_path: Path) -> None:
    probe, dom = _probe(chromium, tmp_path, report.read_text(encoding="utf-8"))
    assert {i: probe[i] for i in KEY_IDS} == dict.fromkeys(KEY_IDS, True)
    assert probe["banner"].startswith(_summary()["verdict"].upper()) and probe["rows"] == 300
    assert probe["filtersShown"], "the page's own script should reveal the filter controls"
    assert probe["scripts"] == 2  # the page's and the probe's: the hostile body stayed text
    assert 'data-pwned="1"' not in dom


def test_visibility_probe_can_fail(chromium: str, report: Path, tmp_path: Path) -> None:
    hidden = report.read_text(encoding="utf-8").replace("</style>", "#suites{display:none}</style>", 1)
    probe, _ = _probe(chromium, tmp_path, hidden)
    assert probe["suites"] is False and probe["suites-table"] is False and probe["verdict"] is True


def test_readable_with_javascript_off(chromium: str, report: Path, tmp_path: Path) -> None:
    # (--blink-settings=scriptEnabled=false also stops --dump-dom itself; so take the page's script out instead)
    page = report.read_text(encoding="utf-8")
    no_js = tmp_path / "no-js.html"
    no_js.write_text(re.sub(r"<script>.*?</script>", "", page, flags=re.S), encoding="utf-8")
    assert "<script" not in no_js.read_text(encoding="utf-8")
    dom = _chromium(chromium, tmp_path, "--dump-dom", no_js.as_uri()).stdout
    assert dom.count('<tr id="t-') == 300 and 'id="must-support"' in dom
    assert re.search(r'<div class="filters js-only"[^>]*hidden', dom), "controls stay hidden without JS"


def test_screenshot(chromium: str, report: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    _chromium(chromium, tmp_path, f"--screenshot={png}", "--window-size=1280,2000", report.as_uri())
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 30_000, png.stat().st_size  # a blank 1280x2000 page is a few KB


def test_tables_fit_at_1400_px(chromium: str, report: Path, tmp_path: Path) -> None:
    """No table hides its last columns: each fits the 1400 px window (long ids wrap) and the page never scrolls sideways."""
    probe, _ = _probe(chromium, tmp_path, report.read_text(encoding="utf-8"))
    assert probe["viewport"] >= 1380, probe["viewport"]
    assert probe["pageOverflow"] <= 0, probe
    assert all(right is not None and right <= probe["viewport"] for right in probe["tableRight"].values()), probe["tableRight"]


def test_fit_probe_can_fail(chromium: str, report: Path, tmp_path: Path) -> None:
    wide = report.read_text(encoding="utf-8").replace("</style>", "#tests-table{width:2600px;table-layout:auto}.frame{overflow:visible}</style>", 1)
    probe, _ = _probe(chromium, tmp_path, wide)
    assert probe["tableRight"]["tests-table"] > probe["viewport"]
