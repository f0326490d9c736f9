"""Ctrl-C / SIGTERM at several moments of a run: exit 130 / 143, reports say "incomplete" (what ran, what did
not), never PASS, and nothing of an earlier run is left beside them. Also `fixtures load` interrupted."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

STALE = {"summary.json": '{"verdict": "pass", "stale": true}', "report.html": "<p>STALE PASS</p>", "junit.xml": "<stale/>"}


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("RA_CONFORM_", "PYTEST_"))}


def _interrupt(args: list[str], cwd: Path, when: Callable[[str], bool], sig: int) -> tuple[int, str, str]:
    """Start `ra-conform ARGS`, send `sig` once a stderr line satisfies `when`; exit code, stdout, stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "ra_conformance.cli", *args], cwd=cwd, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if when(line):
                seen.set()
        seen.set()  # ended without the moment: the assertions below say so

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert seen.wait(timeout=240), "".join(lines)[-2000:]
    if proc.poll() is None:
        proc.send_signal(sig)
    out, _ = proc.communicate(timeout=120)
    reader.join(timeout=10)
    return proc.returncode, out, "".join(lines)


def _stale(report_dir: Path) -> None:
    report_dir.mkdir(parents=True, exist_ok=True)
    for name, text in STALE.items():
        (report_dir / name).write_text(text, encoding="utf-8")


def _one_run_whole(left: dict[str, str]) -> None:
    """Reports of one run only (no mix with an earlier run's) and none half-written."""
    assert not any("stale" in text.lower() for text in left.values()), sorted(left)
    assert not [n for n in left if n.endswith(".partial")], sorted(left)


def _check_reports(report_dir: Path, signal_name: str) -> dict:
    left = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in report_dir.iterdir() if p.is_file()}
    _one_run_whole(left)
    summary = json.loads(left["summary.json"])
    assert summary["verdict"] == "incomplete" and summary["exitCode"] in (130, 143)
    assert summary["interrupted"]["signal"] == signal_name
    assert re.findall(r'class="banner banner-(\w+)"', left["report.html"]) == ["incomplete"]  # never a PASS banner
    return summary


@pytest.mark.parametrize("sig,code,name", [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")])
def test_interrupted_while_tests_run(tmp_path: Path, sig: int, code: int, name: str) -> None:
    reports = tmp_path / "reports"
    _stale(reports)
    rc, out, err = _interrupt(["run", "--report-dir", str(reports)], tmp_path, lambda line: line.startswith("suite "), sig)
    assert rc == code, err[-2000:]
    assert "Traceback" not in err, err[-2000:]
    summary = _check_reports(reports, name)
    assert summary["interrupted"]["planned"] > summary["interrupted"]["ran"] > 0
    assert len(summary["interrupted"]["notRun"]) == summary["interrupted"]["planned"] - summary["interrupted"]["ran"]
    assert f"INTERRUPTED ({name})" in out and "no verdict" in out  # the results (stdout) say so too


def test_interrupted_at_the_start_of_the_session(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    _stale(reports)
    rc, _, err = _interrupt(["run", "--report-dir", str(reports)], tmp_path, lambda line: line.startswith("plan:"), signal.SIGINT)
    assert rc == 130, err[-2000:]
    _check_reports(reports, "SIGINT")


@pytest.mark.parametrize("after", [0.5, 1.5])
def test_interrupted_at_an_arbitrary_moment(tmp_path: Path, after: float) -> None:
    """Start-up, embedded server, collection, tests or the process's end: wherever it lands, the invariants hold."""
    reports = tmp_path / "reports"
    _stale(reports)
    rc, err = _interrupt_after(["run", "--report-dir", str(reports)], tmp_path, after)
    # 130: exited as interrupted; -SIGINT: the run was over and the interpreter, tearing itself down with its
    # signal handling already off, was ended by the signal itself (what shells also show as 130)
    assert rc in (130, -signal.SIGINT), err[-2000:]
    assert "Traceback" not in err and "Exception ignored" not in err, err[-2000:]
    left = {p.name: p.read_text(encoding="utf-8") for p in reports.iterdir() if p.is_file()}
    if left == STALE:
        return  # stopped before the run touched its folder: the previous run's set, whole and untouched
    if "interrupted" not in json.loads(left.get("summary.json", "{}")):
        _check_whole_reports(left)  # the signal came once the run had ended: its own reports, whole
        return
    _check_reports(reports, "SIGINT")


def test_interrupted_as_the_process_ends(tmp_path: Path) -> None:
    """Ctrl-C just after the results are printed: exit status SIGINT's, no traceback, the run's reports whole."""
    reports = tmp_path / "reports"
    proc = subprocess.Popen([sys.executable, "-m", "ra_conformance.cli", "run", "--report-dir", str(reports)],
                            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("reports: "):  # the last line the command prints
            proc.send_signal(signal.SIGINT)
            break
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (130, -signal.SIGINT), err[-2000:]
    assert "Traceback" not in err and "Exception ignored" not in err, err[-2000:]
    _check_whole_reports({p.name: p.read_text(encoding="utf-8") for p in reports.iterdir() if p.is_file()})


def _check_whole_reports(left: dict[str, str]) -> None:
    """A finished run's reports: none of an earlier run's, none half-written, the HTML banner its verdict."""
    _one_run_whole(left)
    summary = json.loads(left["summary.json"])
    assert "interrupted" not in summary and summary["verdict"] in ("pass", "fail"), summary.get("verdict")
    assert re.findall(r'class="banner banner-(\w+)"', left["report.html"]) == [summary["verdict"]]
    assert "junit.xml" in left


@pytest.mark.parametrize("lose_at", [0, 3], ids=["at-the-session-end", "during-a-test"])
def test_interrupt_lost_in_a_weakref_callback_still_ends_the_run(tmp_path: Path, lose_at: int) -> None:
    """Ctrl-C handled while garbage collection runs a weakref callback, where Python cannot raise it: the run
    still ends as interrupted (130), with no "Exception ignored" traceback. During a test, the session stops
    there and the reports say incomplete; at the session's end, the finished run's reports stay whole."""
    reports = tmp_path / "reports"
    env = {**_env(), "PYTHONPATH": str(Path(__file__).parent), "PYTEST_PLUGINS": "lose_interrupt", "LOSE_AT": str(lose_at)}
    proc = subprocess.run([sys.executable, "-m", "ra_conformance.cli", "run", "--report-dir", str(reports), "-k",
                           "capability or overlap"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 130, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr[-2000:]
    if lose_at:
        summary = _check_reports(reports, "SIGINT")
        assert summary["interrupted"]["ran"] == lose_at
    else:
        _check_whole_reports({p.name: p.read_text(encoding="utf-8") for p in reports.iterdir() if p.is_file()})
        assert "interrupted (SIGINT) as the command ended" in proc.stderr


def test_unraisable_guard_keeps_only_interrupts() -> None:
    """The guard keeps a swallowed KeyboardInterrupt for later and hands every other unraisable on."""
    import gc
    import weakref

    from ra_conformance import interrupts

    seen: list[BaseException | None] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda args: seen.append(args.exc_value)
    try:
        interrupts.reset()
        interrupts.guard_unraisable()
        interrupts.guard_unraisable()  # idempotent: one wrapper

        class Thing:
            pass

        def raising(error: BaseException) -> Callable[[object], None]:
            def callback(_ref: object) -> None:
                raise error
            return callback

        for error in (KeyboardInterrupt(), ValueError("x")):
            thing = Thing()
            ref = weakref.ref(thing, raising(error))
            del thing
            gc.collect()
            del ref
        assert [type(e) for e in seen] == [ValueError] and interrupts.swallowed() == "SIGINT"
        with pytest.raises(KeyboardInterrupt):
            interrupts.raise_swallowed()
        assert interrupts.swallowed() is None
        interrupts.raise_swallowed()  # nothing left: no-op
    finally:
        sys.unraisablehook = previous
        interrupts.reset()


def _interrupt_after(args: list[str], cwd: Path, after: float) -> tuple[int, str]:
    proc = subprocess.Popen([sys.executable, "-m", "ra_conformance.cli", *args], cwd=cwd, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after + 1.0)  # the interpreter and our imports first: the handler is installed in main()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def test_fixtures_load_interrupted_exits_130(tmp_path: Path) -> None:
    """A target that accepts the connection and never answers: Ctrl-C while the kit is being sent."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    try:
        port = listener.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "ra_conformance.cli", "fixtures", "load", "--target", f"http://127.0.0.1:{port}"],
                                cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not held and time.monotonic() < deadline:
            time.sleep(0.1)
        assert held, "fixtures load never connected"
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, out + err
        assert "interrupted" in err and "Traceback" not in err
    finally:
        stop.set()
        for s in held:
            s.close()
        listener.close()
