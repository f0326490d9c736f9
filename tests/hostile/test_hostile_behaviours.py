"""A hostile-server bench: the reference server behind a proxy that turns one kind of answer into an attack.

Each scenario runs `ra-conform run` in a subprocess (from an empty working directory, with a canary token) and
asserts: the expected exit code (1: the server fails, 3: unreachable — never 4 or a traceback), bounded time,
bounded peak memory, the canary in no report file and no console line, no raw control character on the console,
nothing written outside the report directory, and no token or cookie at the bystander on another port.
Short limits (deadline, byte cap, async timeout) are set through RA_CONFORM_* settings to keep CI fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ra_conformance.kit import default_kit_dir
from ra_conformance.server import EmbeddedServer

from .proxy import (
    Answer,
    Env,
    HostileProxy,
    Listener,
    Scenario,
    bomb,
    drip,
    endless_body,
    endless_continue,
    gzip_bomb,
    mutate,
    path_is,
    replace_body,
)

CANARY = "canary-Tk3n-9f2c7e1a5b"
COOKIE = "sess-5ec2e7c00k1e"
TIME_LIMIT = 60.0  # seconds per run (each attack is bounded by a 3 s deadline; the rest is the suites)
RSS_LIMIT_KB = 500 * 1024
LIMITS = {"RA_CONFORM_REQUEST_DEADLINE": "3", "RA_CONFORM_TIMEOUT": "2", "RA_CONFORM_ASYNC_TIMEOUT": "4",
          "RA_CONFORM_MAX_RESPONSE_BYTES": str(4 * 1024 * 1024)}
DEEP = 260  # past orjson's 254-level serialisation limit


def _nest(levels: int) -> dict:
    node: dict = {"url": "http://example.org/x", "valueString": "leaf"}
    for _ in range(levels):
        node = {"url": "http://example.org/x", "modifierExtension": [node]}
    return node


def _json(answer: Answer) -> dict:
    return json.loads(answer.body)


def _with_json(fn):
    def alter(answer: Answer) -> Answer:
        body = _json(answer)
        fn(body)
        answer.body = json.dumps(body).encode()
        return answer
    return mutate(alter)


def _first_report(body: dict) -> dict:
    for param in body.get("parameter", []):
        for entry in param.get("resource", {}).get("entry", []):
            if entry.get("resource", {}).get("resourceType") == "MeasureReport":
                return entry["resource"]
    return body


def _metadata_op_name(name: str):
    def alter(cs: dict) -> None:
        for rest in cs.get("rest", []):
            for res in rest.get("resource", []):
                for op in res.get("operation", []):
                    op["name"] = name
    return _with_json(alter)


OP = path_is(r"^/MeasureReport/\$cc-gaps")
SEARCH = path_is(r"^/MeasureReport\?")
META = path_is(r"^/metadata")
ASYNC = path_is(r"^/\$async/")

SCENARIOS = [
    # 1. memory and hangs on /metadata (the reachability probe and the suites)
    Scenario("metadata endless body", lambda e: [(META, lambda r, f, s: endless_body(r, f, s))], "capability_statement"),
    Scenario("metadata gzip bomb", lambda e: [(META, bomb)], "capability_statement"),
    Scenario("metadata drips 1 byte at a time", lambda e: [(META, drip())], "capability_statement"),
    Scenario("metadata endless 100 Continue", lambda e: [(META, endless_continue)], "capability_statement", expect_exit=(3,)),
    Scenario("metadata is HTML labelled FHIR JSON", lambda e: [(META, replace_body(b"<html><script>alert(1)</script></html>"))], "capability_statement"),
    Scenario("metadata invalid UTF-8", lambda e: [(META, replace_body(b'{"resourceType":"CapabilityStatement","x":"\xff\xfe"}'))], "capability_statement"),
    Scenario("metadata NaN and duplicate keys", lambda e: [(META, replace_body(b'{"resourceType":"CapabilityStatement","resourceType":"Bundle","n":NaN}'))], "capability_statement"),
    # 2. no overall deadline per request
    Scenario("operation answer drips", lambda e: [(OP, drip())], "single_patient and req_020"),
    # 3. crashes
    Scenario("modifierExtension nested past 254 levels", lambda e: [(OP, _with_json(lambda b: _first_report(b).update(modifierExtension=[_nest(DEEP)])))], "single_patient or profiles"),
    Scenario("empty keys and lists where objects belong", lambda e: [
        (OP, _with_json(lambda b: _first_report(b).update({"": None, "group": [[{"x": 1}]], "period": [], "subject": [[]]}))),
        (path_is(r"^/MeasureReport/[^$?/]+$", "GET"), _with_json(lambda b: b.update({"": None, "group": [["not", "an", "object"]]}))),
    ], "single_patient or rest_interactions or profiles"),
    Scenario("next link that is not a URL", lambda e: [(SEARCH, _with_json(lambda b: b.setdefault("link", []).append({"relation": "next", "url": "http://[::1/x\x7f"})))], "search and paging"),
    Scenario("Content-Location that is not a URL", lambda e: [(path_is(r"\$cc-gaps", None), mutate(lambda a: a.set("Content-Location", "http://[::1/async") if a.status == 202 else a))], "bulk and (req_054 or req_061)"),
    Scenario("manifest URL that is not a URL", lambda e: [(ASYNC, mutate(lambda a: _manifest_urls(a, "http://[::1/\x7ffile")))], "bulk and (req_064 or req_061)"),
    Scenario("Retry-After is a Unicode digit", lambda e: [(ASYNC, first_polls(2, "①"))], "bulk and req_061", expect_exit=(0, 1)),
    Scenario("Retry-After is huge", lambda e: [(ASYNC, first_polls(2, "9" * 400))], "bulk and req_061"),
    Scenario("status 202 forever", lambda e: [(ASYNC, replace_body(b"", status=202, **{"Retry-After": "1", "X-Progress": "\x1b]0;owned\x07"}))], "bulk and req_061"),
    Scenario("operation name with markup and control characters", lambda e: [(META, _metadata_op_name("[/]cc-gaps\x1b[2J\x1b]0;pwned\x07"))], "capability_statement"),
    # 4. terminal injection
    Scenario("ESC sequences in diagnostics and reason phrase", lambda e: [(OP, lambda r, f, s: Answer(400, [("Content-Type", "application/fhir+json")], json.dumps({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid", "diagnostics": "\x1b[2J\x1b]0;title\x07[bold red]boom[/]"}]}).encode(), reason="Bad \x1b[31mRequest"))], "single_patient and req_020"),
    # 5. secrets in reports: the token echoed everywhere
    Scenario("token echoed in body, headers and links", lambda e: [
        (OP, mutate(lambda a: _echo(a, e.token))),
        (SEARCH, mutate(lambda a: _echo_links(a, e.token))),
    ], "single_patient or profiles or (search and paging)"),
    # 6. cookies: the target's session cookie must not reach another port of the same host
    Scenario("cookie and redirect to another port", lambda e: [
        (META, mutate(lambda a: a.set("Set-Cookie", f"session={COOKIE}; Path=/"))),
        (path_is(r"^/Patient/"), lambda r, f, s: Answer(302, [("Location", f"{e.listener}/Patient/x?access_token={e.token}")], b"")),
    ], "capability_statement or fixture_kit", reaches_bystander=True),
    Scenario("redirect loop", lambda e: [(OP, lambda r, f, s: Answer(302, [("Location", r.target)], b""))], "single_patient and req_020"),
    Scenario("answer over the byte cap", lambda e: [(OP, replace_body(b"[" * (6 * 1024 * 1024)))], "single_patient and req_020"),
]


def first_polls(n: int, retry_after: str):
    """The first ``n`` polls answer 202 with this Retry-After; then the real answer."""
    seen = {"polls": 0}

    def act(req, forward, sock):
        seen["polls"] += 1
        if seen["polls"] <= n:
            return Answer(202, [("Retry-After", retry_after), ("X-Progress", "queued")], b"")
        return forward(req)
    return act


def _manifest_urls(answer: Answer, url: str) -> Answer:
    if answer.status == 200 and answer.body.startswith(b"{"):
        body = json.loads(answer.body)
        for item in body.get("output", []):
            item["url"] = url
        answer.body = json.dumps(body).encode()
    return answer


def _echo(answer: Answer, token: str) -> Answer:
    body = _json(answer)
    report = _first_report(body)
    report["status"] = token
    report.setdefault("identifier", []).append({"value": f"Bearer {token}", "system": f"http://x/?access_token={token}"})
    answer.body = json.dumps(body).encode()
    for name in ("X-Echo", "WWW-Authenticate", "Link"):
        answer.set(name, f'Bearer realm="{token}"' if name == "WWW-Authenticate" else token)
    return answer.set("Location", f"http://127.0.0.1:9/x?code={token}")


def _echo_links(answer: Answer, token: str) -> Answer:
    body = _json(answer)
    for link in body.get("link", []):
        if link.get("relation") in ("self", "next"):
            link["url"] += f"&session={token}"
    answer.body = json.dumps(body).encode()
    return answer


@pytest.fixture(scope="module")
def reference():
    gzip_bomb()  # built before any deadline runs
    server = EmbeddedServer(ig_version="stu1", load=[default_kit_dir()]).start()
    yield server
    server.stop()


def _run(base_url: str, scenario: Scenario, workdir: Path) -> tuple[int, str, float, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RA_CONFORM_")}
    env.update(LIMITS, RA_TEST_RSS_FILE=str(workdir.parent / "rss"), HOME=str(workdir.parent / "home"), COLUMNS="200")
    args = [sys.executable, str(Path(__file__).with_name("measured.py")), "run", "--target", base_url, "--operation", "cc-gaps",
            "--ig-version", "stu1", "--auth-token", CANARY, "--report-dir", "reports", "-k", scenario.select, *scenario.extra]
    started = time.monotonic()
    proc = subprocess.run(args, cwd=workdir, env=env, capture_output=True, timeout=TIME_LIMIT * 2)
    elapsed = time.monotonic() - started
    rss = int((workdir.parent / "rss").read_text() or 0)
    return proc.returncode, (proc.stdout + proc.stderr).decode("utf-8", errors="replace"), elapsed, rss


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_hostile_behaviour_is_a_finding_never_a_crash_hang_or_leak(reference, tmp_path, scenario):
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    with Listener() as bystander, HostileProxy(reference.base_url, []) as proxy:
        proxy.rules = scenario.rules(Env(CANARY, bystander.base_url))
        code, output, elapsed, rss_kb = _run(proxy.base_url, scenario, workdir)
    assert code in scenario.expect_exit, f"exit {code}:\n{output[-3000:]}"
    assert "Traceback" not in output and "internal error" not in output
    assert elapsed < TIME_LIMIT, f"took {elapsed:.1f} s"
    assert rss_kb < RSS_LIMIT_KB, f"peak RSS {rss_kb // 1024} MB"
    assert CANARY not in output and COOKIE not in output
    assert "\x1b" not in output and "\x07" not in output, "a raw control character reached the console"
    assert sorted(p.name for p in workdir.iterdir()) == (["reports"] if code != 3 else []), "written outside the report dir"
    for path in (workdir / "reports").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert CANARY.encode() not in data and COOKIE.encode() not in data, f"secret in {path.name}"
    assert bool(bystander.seen) or not scenario.reaches_bystander
    for req in bystander.seen:
        sent = json.dumps(req.headers) + req.target
        assert "authorization" not in req.headers and "cookie" not in req.headers and COOKIE not in sent
