"""Work on every core: units of work to worker processes *and* this process, results back in input order.

The calling process works too (with ``jobs`` N it starts N - 1 workers), so on N cores N processes validate and
the start-up of the workers is hidden behind this process's own work. Units name their input (file offsets, not
data), workers return compact pickled results, a bounded number of units is in flight (memory stays flat).
Workers start from a clean process (forkserver, else spawn), never by fork: the harness runs HTTP and
embedded-server threads, and a fork can copy a lock another thread holds (a hang). A worker that dies ends the
run with :class:`WorkerCrashed`, never a hang; an interrupt stops every worker.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
AHEAD = 2  # units queued per worker: one running, one ready, so a worker never waits for this process
MAX_HELD = 16  # results held for ordering (per process) before this process waits for the oldest
STARTUP_LIMIT = 120.0  # seconds a worker may take to start before the caller stops waiting for it
START_METHOD: str | None = None  # None: forkserver where the platform has it, else spawn


class WorkerCrashed(RuntimeError):
    """A worker process died (killed, out of memory): its results are lost."""


def default_jobs() -> int:
    """Every core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _context(preload: list[str]) -> Any:
    """forkserver (workers forked from one clean, single-threaded process that imported ``preload``), else spawn."""
    method = START_METHOD or ("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
    if method != "forkserver":
        return multiprocessing.get_context(method)
    ctx = multiprocessing.get_context("forkserver")
    # only takes effect when this process starts its forkserver
    ctx.set_forkserver_preload([] if _shadowed(preload) else preload)
    return ctx


def _shadowed(preload: list[str]) -> bool:
    """Whether the working directory holds another copy of a preloaded module's package than this process runs.
    Before Python 3.12.8 / 3.13.1 the forkserver preloads with the working directory first on its path instead of
    this process's path (CPython gh-117378): workers would then run that copy (another version of ra-conform, a
    checkout being compared). Without a preload, each worker imports with this process's path."""
    cwd = Path.cwd()
    for name in {module.partition(".")[0] for module in preload}:
        file = getattr(sys.modules.get(name), "__file__", None)
        for candidate in (cwd / name / "__init__.py", cwd / f"{name}.py"):
            if candidate.is_file() and (file is None or Path(file).resolve() != candidate.resolve()):
                return True
    return False


@dataclass
class PoolStats:
    """Where the work went (for benchmarks): units per side, CPU seconds per process, bytes across the pipes."""

    units_here: int = 0
    units_workers: int = 0
    cpu_here: float = 0.0  # this process's CPU inside the unit function
    worker_cpu: dict[int, float] = field(default_factory=dict)  # pid -> its CPU time so far (start-up included)
    worker_ready: list[float] = field(default_factory=list)  # seconds from pool start to each worker's start
    bytes_sent: int = 0  # pickled units
    bytes_received: int = 0  # pickled results
    forkserver_pid: int | None = None
    worker_peak_rss: int = 0  # KiB (Linux), the largest worker's

    @property
    def workers_cpu(self) -> float:
        return sum(self.worker_cpu.values())


# -- the worker side ---------------------------------------------------------------------------------------


def _worker_init(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the caller stops us
    if initializer is not None:
        initializer(*initargs)


def _call(fn: Callable[[T], R], unit: T) -> bytes:
    """Run one unit; the result pickled here, so its size is known and the caller unpickles it once."""
    rss = _peak_rss()
    return pickle.dumps((fn(unit), os.getpid(), time.process_time(), rss), pickle.HIGHEST_PROTOCOL)


def _peak_rss() -> int:
    """This process's peak resident memory, KiB on Linux (0 where unknown)."""
    try:
        import resource
    except ImportError:  # not on Unix
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- the calling side --------------------------------------------------------------------------------------


class _Pool(Generic[T, R]):
    """``workers`` processes, started in the background (the caller works meanwhile)."""

    def __init__(self, fn: Callable[[T], R], workers: int, initializer: Callable[..., None] | None,
                 initargs: tuple[Any, ...], stats: PoolStats | None) -> None:
        self.fn, self.workers, self.stats = fn, workers, stats
        self.started = time.perf_counter()
        preload = sorted({fn.__module__} | ({initializer.__module__} if initializer else set()))
        self.executor = ProcessPoolExecutor(workers, mp_context=_context(preload), initializer=_worker_init,
                                            initargs=(initializer, initargs))
        self._ready = threading.Event()
        self._starter = threading.Thread(target=self._start, name="ra-conform-pool-start", daemon=True)
        self._starter.start()

    def _start(self) -> None:
        try:  # spawning waits for the forkserver to start: done here, not in the caller's thread
            for future in [self.executor.submit(os.getpid) for _ in range(self.workers)]:
                future.result()
                if self.stats is not None:
                    self.stats.worker_ready.append(time.perf_counter() - self.started)
        except Exception:  # noqa: BLE001 - a pool that cannot start leaves the work to the caller
            return
        self._ready.set()

    def has_room(self, busy: int) -> bool:
        """Whether to give the next unit to a worker, ``busy`` units being queued or running there."""
        return self._ready.is_set() and busy < AHEAD * self.workers

    def submit(self, unit: T) -> Future[bytes]:
        if self.stats is not None:
            self.stats.bytes_sent += len(pickle.dumps(unit, pickle.HIGHEST_PROTOCOL))
        return self.executor.submit(_call, self.fn, unit)

    def result(self, future: Future[bytes]) -> R:
        try:
            raw = future.result()
        except BrokenProcessPool as exc:
            raise WorkerCrashed("a validation worker process stopped unexpectedly (killed, or out of memory?)") from exc
        value, pid, cpu, rss = pickle.loads(raw)
        if self.stats is not None:
            self.stats.worker_peak_rss = max(self.stats.worker_peak_rss, rss)
            self.stats.worker_cpu[pid] = max(cpu, self.stats.worker_cpu.get(pid, 0.0))
            self.stats.units_workers += 1
            self.stats.bytes_received += len(raw)
        return value

    def close(self, *, kill: bool) -> None:
        """Stop the workers: after the last result, or at once (``kill``: an error or an interrupt)."""
        if self.stats is not None:
            self.stats.forkserver_pid = _forkserver_pid()
        if kill:
            for process in list(getattr(self.executor, "_processes", {}).values()):  # no public way before 3.14
                process.terminate()
        else:
            self._starter.join(STARTUP_LIMIT)  # workers still starting are let start, then stopped
        self.executor.shutdown(wait=True, cancel_futures=kill)
        self._starter.join(STARTUP_LIMIT)


def _forkserver_pid() -> int | None:
    from multiprocessing import forkserver

    return getattr(forkserver._forkserver, "_forkserver_pid", None)


class _Here(Generic[R]):
    """A result this process computed, held until its turn."""

    def __init__(self, value: R) -> None:
        self.value = value


class OrderedWork(Generic[T, R]):
    """``fn`` over units given one by one (:meth:`put`) on ``jobs`` processes, this one included; results in
    input order. ``initializer(*initargs)`` prepares each process for ``fn`` (this one too, unless ``here`` is
    given: then this process runs ``here`` instead of ``fn``); ``fn`` and the initializer are module-level
    functions. No worker starts before ``pool_after`` units were put (a small input stays here) nor with
    ``jobs`` 1. Use as a context manager: leaving it on an exception (an interrupt) stops the workers at once.
    Raises WorkerCrashed if a worker dies."""

    def __init__(self, fn: Callable[[T], R], jobs: int, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = (), *, here: Callable[[T], R] | None = None, pool_after: int = 0,
                 stats: PoolStats | None = None) -> None:
        if initializer is not None and here is None:
            initializer(*initargs)
        self.fn, self.here, self.jobs, self.stats = fn, here or fn, jobs, stats
        self._start = (initializer, initargs)
        self._pool: _Pool[T, R] | None = None
        self._until_pool = pool_after if jobs > 1 else -1
        self._held: deque[Future[bytes] | _Here[R]] = deque()

    def put(self, unit: T) -> list[R]:
        """Hand ``unit`` to an idle worker, else work on it here; the results now due, in order."""
        if self._until_pool == 0:
            self._pool = _Pool(self.fn, self.jobs - 1, *self._start, self.stats)
        self._until_pool -= 1
        held, pool = self._held, self._pool
        if pool is not None and pool.has_room(sum(1 for s in held if isinstance(s, Future) and not s.done())):
            held.append(pool.submit(unit))
        else:
            held.append(_Here(_here(self.here, unit, self.stats)))
        due = []
        while held and (isinstance(held[0], _Here) or held[0].done() or len(held) > MAX_HELD * self.jobs):
            due.append(self._take(held.popleft()))
        return due

    def finish(self) -> Iterator[R]:
        """Every remaining result, in order (waiting for the workers)."""
        while self._held:
            yield self._take(self._held.popleft())

    def _take(self, slot: Future[bytes] | _Here[R]) -> R:
        if isinstance(slot, _Here):
            return slot.value
        assert self._pool is not None
        return self._pool.result(slot)

    def close(self, *, kill: bool = False) -> None:
        if self._pool is not None:
            self._pool.close(kill=kill)
            self._pool = None

    def __enter__(self) -> OrderedWork[T, R]:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.close(kill=kind is not None)


def ordered_map(fn: Callable[[T], R], units: Iterable[T], jobs: int, initializer: Callable[..., None] | None = None,
                initargs: tuple[Any, ...] = (), *, stats: PoolStats | None = None) -> Iterator[R]:
    """``fn`` over ``units`` on ``jobs`` processes (this one included), results in input order (OrderedWork)."""
    with OrderedWork(fn, jobs, initializer, initargs, stats=stats) as work:
        for unit in units:
            yield from work.put(unit)
        yield from work.finish()


def _here(fn: Callable[[T], R], unit: T, stats: PoolStats | None) -> R:
    if stats is None:
        return fn(unit)
    started = time.thread_time()
    value = fn(unit)
    stats.cpu_here += time.thread_time() - started
    stats.units_here += 1
    return value
