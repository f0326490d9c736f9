"""Building blocks of report.html: the inline CSS and JS, and small escaping/formatting helpers.

Every string that came from a run (and so, possibly, from a hostile server) goes through `esc`.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from typing import Any

from .. import jsonio

STATES = ("pass", "fail", "warn", "skip", "error")
LABELS = {"pass": "PASS", "fail": "FAIL", "warn": "WARN", "skip": "SKIP", "error": "ERROR", "untested": "UNTESTED"}
BODY_LIMIT = 20_000  # characters of a (pretty-printed) body shown before truncating
PARSE_LIMIT = 5_000_000  # bodies longer than this are not parsed for pretty-printing

CSS = """
:root{--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--skip:#59636e;--error:#a21caf;--ink:#1f2328;
--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
header.top{padding:16px 32px;border-bottom:1px solid var(--line);background:var(--bg)}
header.top h1{margin:0;font-size:20px}
header.top p{margin:2px 0 0;color:var(--muted)}
nav.toc{padding:8px 32px;border-bottom:1px solid var(--line);font-size:13px}
nav.toc a{margin-right:16px;color:#0550ae;text-decoration:none}
main{padding:8px 32px 48px;max-width:1400px}
section{margin-top:28px}
h2{font-size:18px;border-bottom:2px solid var(--line);padding-bottom:4px;margin:0 0 12px}
h3{font-size:15px;margin:18px 0 6px}
code,pre,.mono{font-family:var(--mono);font-size:12px}
pre{background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:8px;margin:4px 0;
white-space:pre-wrap;word-break:break-word;max-height:480px;overflow:auto}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
.frame{max-width:100%;overflow-x:auto}
#tests-table,#trace-table,table.findings{table-layout:fixed}
td,th{overflow-wrap:anywhere}
a.req{text-decoration:none}
.rerun{display:flex;gap:8px;align-items:center;margin:6px 0}.rerun pre{flex:1;margin:0}
.banner .failed-reqs{display:block;font-size:13px;margin-top:4px}.banner .failed-reqs a{color:#fff}
.banner-incomplete{background:#6e5b00}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:700}
.st{display:inline-block;min-width:64px;padding:1px 6px;border-radius:3px;font:700 11px/18px var(--mono);
text-align:center;color:#fff;letter-spacing:.04em}
.st-pass{background:var(--pass)}.st-fail{background:var(--fail)}.st-warn{background:#bf8700;color:#1f2328}
.st-skip{background:var(--skip)}.st-error{background:var(--error)}
.st-untested{background:#fff;color:var(--muted);border:1px dashed var(--muted)}
.banner{display:flex;align-items:center;gap:24px;padding:18px 24px;border-radius:6px;color:#fff;margin:12px 0}
.banner .big{font:800 40px/1 system-ui,sans-serif;letter-spacing:.06em}
.banner .why{font-size:16px}
.banner-pass{background:var(--pass)}.banner-fail{background:var(--fail)}.banner-error{background:var(--error)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.counts{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0}
.count{border:1px solid var(--line);border-left-width:6px;border-radius:4px;padding:4px 12px;min-width:96px}
.count b{display:block;font-size:22px}
.count-pass{border-left-color:var(--pass)}.count-fail{border-left-color:var(--fail)}
.count-warn{border-left-color:#bf8700}.count-skip{border-left-color:var(--skip)}.count-error{border-left-color:var(--error)}
article.case{border:1px solid var(--line);border-left-width:6px;border-radius:4px;padding:8px 14px;margin:12px 0;break-inside:avoid-page}
article.case-fail{border-left-color:var(--fail)}article.case-error{border-left-color:var(--error)}
article.case-warn{border-left-color:#bf8700}
article.case h3{margin:4px 0}
.meta{color:var(--muted);font-size:12px}
.reqs code{background:#ddf4ff;border-radius:3px;padding:0 4px;margin-right:4px}
.exchange{border-top:1px dashed var(--line);margin-top:8px;padding-top:6px}
.exchange .line{font-family:var(--mono);font-size:12px}
.exchange .err,.exchange .bad{color:var(--fail);font-weight:600}.exchange .ok{color:var(--pass)}
.nowrap,.reqs code{white-space:nowrap}
#tests-table th:nth-child(1),#trace-table th:nth-child(6){width:96px}#tests-table th:nth-child(2){width:170px}
#tests-table th:nth-child(4),#trace-table th:nth-child(1){width:110px}#tests-table th:nth-child(5){width:26%}
#trace-table th:nth-child(3),#trace-table th:nth-child(4){width:70px}#trace-table th:nth-child(5){width:34%}
table.findings th:nth-child(1){width:100px}table.findings th:nth-child(2){width:110px}
details{margin:4px 0 4px 8px}
summary{cursor:pointer;color:#0550ae}
.note{color:var(--warn);font-style:italic;font-size:12px}
.nodata{color:var(--muted);font-style:italic}
.sev-error{color:var(--fail);font-weight:700}.sev-warning{color:var(--warn);font-weight:700}
ul.plain{list-style:none;padding:0;margin:0}
table.ms th:last-child,table.ms td:last-child{width:180px}
.filters{margin:6px 0;display:flex;flex-wrap:wrap;gap:10px;align-items:center}
.filters input[type=search]{padding:3px 6px;min-width:240px}
.hide{display:none}
footer{color:var(--muted);font-size:12px;padding:16px 32px;border-top:1px solid var(--line)}
@media print{nav.toc,.filters,.js-only{display:none!important}main,header.top{padding:0 8px}
pre{max-height:none;overflow:visible}.banner,.st,.count{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

# Progressive enhancement only: filter controls are hidden until this runs; without JS all is shown.
JS = """
(function(){
document.querySelectorAll('.js-only').forEach(function(e){e.hidden=false;});
document.querySelectorAll('.filters').forEach(function(box){
  var table=document.getElementById(box.getAttribute('data-table'));if(!table)return;
  var text=box.querySelector('input[type=search]');
  function apply(){
    var on={};box.querySelectorAll('input[type=checkbox]').forEach(function(c){on[c.value]=c.checked;});
    var q=(text.value||'').toLowerCase();
    table.querySelectorAll('tbody tr').forEach(function(r){
      var ok=on[r.getAttribute('data-state')]!==false&&(!q||r.textContent.toLowerCase().indexOf(q)>=0);
      r.classList.toggle('hide',!ok);});}
  box.addEventListener('input',apply);box.addEventListener('change',apply);});
document.querySelectorAll('button[data-copy]').forEach(function(b){
  b.addEventListener('click',function(){var t=document.getElementById(b.getAttribute('data-copy')).innerText;
    if(navigator.clipboard){navigator.clipboard.writeText(t).then(function(){b.textContent='copied';});}});});
function all(open){document.querySelectorAll('details').forEach(function(d){d.open=open;});}
document.querySelectorAll('[data-details]').forEach(function(b){
  b.addEventListener('click',function(){all(b.getAttribute('data-details')==='open');});});
window.addEventListener('beforeprint',function(){all(true);});
})();
"""


def esc(value: Any) -> str:
    """HTML-escape anything (quotes included, so it is safe in attributes too)."""
    return html.escape("" if value is None else str(value), quote=True)


def state_label(state: str) -> str:
    key = state if state in LABELS else "error"
    return f'<span class="st st-{key}">{esc(LABELS.get(state, str(state).upper()))}</span>'


def req_codes(reqs: Any, texts: dict[str, str] | None = None) -> str:
    """REQ badges, each a link to its row of the traceability matrix with the requirement text as tooltip."""
    if not reqs:
        return '<span class="nodata">none</span>'
    texts = texts or {}
    return '<span class="reqs">' + "".join(
        f'<a class="req" href="#{esc(r)}" title="{esc(texts.get(str(r), ""))}"><code>{esc(r)}</code></a>' for r in reqs) + "</span>"


_BACKTICKS = re.compile(r"`([^`\n]+)`")


def inline(value: Any) -> str:
    """Escaped text with `backtick spans` rendered as <code> (escaping first: nothing from a run becomes markup)."""
    return _BACKTICKS.sub(r"<code>\1</code>", esc(value))


def utc_iso(started: Any) -> str:
    try:
        return datetime.fromtimestamp(float(started), tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    except (TypeError, ValueError, OverflowError, OSError):
        return f"{started} (not a valid Unix time)"


def seconds(value: Any) -> str:
    try:
        return f"{float(value):.2f} s"
    except (TypeError, ValueError):
        return esc(value)


def _content_type(headers: Any) -> str:
    if isinstance(headers, dict):
        for key, value in headers.items():
            if str(key).lower() == "content-type":
                return str(value).lower()
    return ""


def pretty_body(body: str, headers: Any) -> str:
    """JSON bodies (by content type or by look) re-indented; anything else unchanged."""
    looks_json = "json" in _content_type(headers) or body.lstrip()[:1] in ("{", "[")
    if not looks_json or len(body) > PARSE_LIMIT:
        return body
    try:
        return jsonio.dumps_str(jsonio.loads(body), pretty=True)
    except (jsonio.JsonError, TypeError):
        return body


def body_block(body: Any, headers: Any, limit: int = BODY_LIMIT) -> str:
    """A body as an escaped <pre>, pretty-printed when JSON, truncated with a note past `limit`."""
    if body is None or body == "":
        return '<p class="nodata">(no body)</p>'
    text = pretty_body(str(body), headers)
    note = ""
    if len(text) > limit:
        note = f'<p class="note">truncated: showing the first {limit:,} of {len(text):,} characters</p>'
        text = text[:limit]
    return f"<pre>{esc(text)}</pre>{note}"


def headers_block(headers: Any) -> str:
    if not isinstance(headers, dict) or not headers:
        return '<p class="nodata">(no headers)</p>'
    lines = "\n".join(f"{k}: {v}" for k, v in headers.items())
    return f"<pre>{esc(lines)}</pre>"
