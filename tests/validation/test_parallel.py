"""Validation on every core: the same output, issues, order and exit code as one process; no hang, no traceback
when a worker dies or the run is interrupted."""

from __future__ import annotations

import io
import itertools
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from ra_conformance.validation import chunks, files, parallel, run_validate
from ra_conformance.validation.parallel import PoolStats, WorkerCrashed, ordered_map

from .validation_samples import patient, report_v21


def _square(unit: int) -> int:
    return unit * unit


def _crash_in_a_worker(unit: tuple[int, int]) -> int:
    value, caller = unit
    if os.getpid() != caller:
        os._exit(3)  # as if killed
    return value


def _slow(unit: int) -> int:
    time.sleep(0.05)
    return unit


def _fail_on_5(unit: int) -> int:
    if unit == 5:
        raise ValueError("unit 5 is bad")
    return unit


@pytest.fixture
def workers_first(monkeypatch):
    """Every unit waits until the workers are up (else this process may finish a small input alone), and tiny
    chunks and no size threshold, so a small test input is spread over every process. Workers are spawned with
    this process's sys.path (they must import the test module's functions)."""
    wait = parallel._Pool.has_room

    def has_room(self, busy):
        self._ready.wait(120)
        return wait(self, busy)

    monkeypatch.setattr(parallel._Pool, "has_room", has_room)
    monkeypatch.setattr(parallel, "START_METHOD", "spawn")
    monkeypatch.setattr(files, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 1500)


def test_results_come_in_input_order_from_every_process(workers_first):
    stats = PoolStats()
    assert list(ordered_map(_square, range(200), 3, stats=stats)) == [i * i for i in range(200)]
    assert stats.units_workers > 0 and stats.units_here + stats.units_workers == 200
    assert len(stats.worker_cpu) == 2 and stats.bytes_received > 0


def test_one_job_starts_no_process():
    stats = PoolStats()
    assert list(ordered_map(_square, range(10), 1, stats=stats)) == [i * i for i in range(10)]
    assert (stats.units_here, stats.units_workers, stats.worker_ready) == (10, 0, [])


def test_a_worker_that_dies_is_an_error_not_a_hang(workers_first):
    units = [(i, os.getpid()) for i in range(40)]
    with pytest.raises(WorkerCrashed, match="stopped unexpectedly"):
        list(ordered_map(_crash_in_a_worker, units, 2))


def test_an_exception_in_a_worker_reaches_the_caller(workers_first):
    with pytest.raises(ValueError, match="unit 5 is bad"):
        list(ordered_map(_fail_on_5, range(40), 2))


def test_stopping_early_stops_the_workers(workers_first):
    stats = PoolStats()
    results = ordered_map(_slow, range(10_000), 2, stats=stats)
    assert [next(results) for _ in range(3)] == [0, 1, 2]
    started = time.monotonic()
    results.close()  # what an interrupt (KeyboardInterrupt in the consumer) does to the generator
    assert time.monotonic() - started < 30  # the queued units are dropped, not run
    for pid in stats.worker_cpu:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True


def _mixed_input(tmp: Path) -> Path:
    """Reports with and without errors, blank and broken NDJSON lines, a BOM, .json files in a directory."""
    root = tmp / "input"
    (root / "sub").mkdir(parents=True)
    lines = [orjson.dumps(dict(report_v21(), id=f"mr-{i}", status="final" if i % 7 == 0 else "complete"))
             for i in range(120)]
    lines[10] = b"{oops"
    lines[20] = b""
    lines[30] = orjson.dumps(patient())
    (root / "many.ndjson").write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines))  # BOM, no final newline
    for i in range(12):
        (root / "sub" / f"mr-{i:02}.json").write_bytes(orjson.dumps(dict(report_v21(), id=f"f-{i}",
                                                                         type="summary" if i % 5 == 0 else "individual")))
    (root / "sub" / "not-a-resource.json").write_bytes(b"[1, 2]")
    return root


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_jobs_n_gives_the_same_output_as_jobs_1(tmp_path, workers_first, fmt):
    root = _mixed_input(tmp_path)
    runs = {}
    for jobs in (1, 2, 3):
        out, err, stats = io.StringIO(), io.StringIO(), PoolStats()
        code = run_validate([str(root)], version="2.1.0", profile=None, fmt=fmt, out=out, err=err, jobs=jobs,
                            stats=stats)
        runs[jobs] = (code, out.getvalue(), err.getvalue())
        assert stats.units_workers > 0 if jobs > 1 else stats.units_workers == 0
    assert runs[1] == runs[2] == runs[3]
    code, out, _ = runs[1]
    assert code == 1 and "many.ndjson:11" in out and "many.ndjson:21" not in out  # line 21 is blank
    if fmt == "text":
        assert "132 resource(s) checked" in out  # 119 NDJSON lines + 13 files


def test_a_small_input_is_validated_in_this_process(tmp_path):
    path = tmp_path / "mr.ndjson"
    path.write_bytes(orjson.dumps(report_v21()) + b"\n")
    stats = PoolStats()
    code = run_validate([str(path)], version="2.1.0", profile=None, fmt="text", out=io.StringIO(),
                        err=io.StringIO(), jobs=4, stats=stats)
    assert code == 0 and stats.worker_ready == [] and stats.units_here == 1


def test_a_worker_that_dies_exits_4_with_a_clear_message(tmp_path, monkeypatch):
    def crashed(*args, **kwargs):
        raise WorkerCrashed("a validation worker process stopped unexpectedly (killed, or out of memory?)")
        yield

    monkeypatch.setattr(files, "ordered_map", crashed)
    path = tmp_path / "mr.json"
    path.write_bytes(orjson.dumps(report_v21()))
    out, err = io.StringIO(), io.StringIO()
    code = run_validate([str(path)], version="2.1.0", profile=None, fmt="text", out=out, err=err, jobs=2)
    assert code == 4 and "stopped unexpectedly" in err.getvalue() and "--jobs 1" in err.getvalue()


def test_ndjson_chunks_cut_at_line_ends_and_number_lines(tmp_path):
    path = tmp_path / "lines.ndjson"
    path.write_bytes(b"".join(b'{"n": %d}\n' % i for i in range(1, 101)))
    pieces = [p for chunk in chunks.chunks([path], 64) for p in chunk]
    data = path.read_bytes()
    assert pieces[0].start == 0 and pieces[-1].end == len(data)
    for before, after in itertools.pairwise(pieces):
        assert before.end == after.start and data[before.end - 1:before.end] == b"\n"
        assert after.first_line == data[:after.start].count(b"\n") + 1


PROBE = """
from ra_conformance.jsonio import loads
from ra_conformance.validation import parallel

if __name__ == "__main__":
    parallel.START_METHOD = "forkserver"
    pool = parallel._Pool(loads, 1, None, (), None)
    try:
        print(pool.result(pool.submit(b"[1, 2]")))
    except Exception as exc:
        print("failed:", type(exc).__name__, exc)
    finally:
        pool.close(kill=False)
"""


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no forkserver here")
def test_workers_run_this_process_code_whatever_the_working_directory(tmp_path):
    """A working directory holding another ra_conformance (a checkout of another version): the forkserver of Python
    < 3.12.8 would preload that one (CPython gh-117378), so the workers would judge with other code."""
    decoy = tmp_path / "checkout" / "ra_conformance"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("from pathlib import Path\nPath(__file__).with_name('IMPORTED').touch()\n")
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, str(probe)], cwd=decoy.parent, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.stdout.strip() == "[1, 2]", done.stdout + done.stderr
    assert not (decoy / "IMPORTED").exists()
