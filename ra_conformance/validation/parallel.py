"""Validation of many resources on every core: raw JSON in batches to worker processes, results back in
input order, a bounded number of batches in flight (memory stays flat however long the input)."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
BATCH = 64  # resources per task: big enough to amortise the pickling, small enough to stream


def _start_method() -> str:
    """Workers start from a clean process (forkserver, else spawn), never by fork: the harness forks while
    its HTTP and embedded-server threads run, and a fork can copy a lock another thread holds (a hang)."""
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"


def default_jobs() -> int:
    """Every core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def ordered_map(fn: Callable[[list[T]], list[R]], items: Iterable[T], jobs: int,
                initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()) -> Iterator[R]:
    """fn over batches of ``items`` in ``jobs`` processes (inline when jobs == 1), results in input order."""
    batches = _batches(items, BATCH)
    first = next(batches, None)
    second = next(batches, None) if first is not None else None
    if jobs <= 1 or first is None or second is None:  # one batch: a pool would cost more than it saves
        if initializer is not None:
            initializer(*initargs)
        for batch in (b for b in (first, second) if b is not None):
            yield from fn(batch)
        for batch in batches:
            yield from fn(batch)
        return
    batches = _chain([first, second], batches)
    with multiprocessing.get_context(_start_method()).Pool(jobs, initializer, initargs) as pool:
        pending: deque[Any] = deque()
        for batch in batches:
            pending.append(pool.apply_async(fn, (batch,)))
            if len(pending) >= 4 * jobs:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()


def _chain(head: list[list[T]], rest: Iterator[list[T]]) -> Iterator[list[T]]:
    yield from head
    yield from rest


# -- a streaming pool for validations that arrive one by one (bulk NDJSON downloads) ------------------------

_POOL_WORKER: dict[str, Any] = {}


def _pool_init(version: str) -> None:
    from ra_conformance.validation.engine import validator_for

    _POOL_WORKER["validator"] = validator_for(version)


def _validate_batch(batch: list[tuple[bytes, bool]]) -> list[list[Any]]:
    """Issues of each (raw JSON, is answer Bundle) in ``batch``, in order."""
    import orjson

    validator = _POOL_WORKER["validator"]
    out = []
    for raw, answer in batch:
        resource = orjson.loads(raw)
        out.append(validator.validate_answer_bundle(resource) if answer else validator.validate(resource))
    return out


class StreamingValidation:
    """Validate resources on every core as they stream in; each result goes to its callback, in order.

    The first batch is held back: an input of fewer than BATCH resources is validated inline at
    :meth:`drain` (no process is started). ``validator`` is the Validator used inline; workers build
    their own for its IG version."""

    def __init__(self, validator: Any, jobs: int | None = None) -> None:
        self.validator = validator
        self.jobs = jobs or default_jobs()
        self._batch: list[tuple[bytes, bool]] = []
        self._callbacks: list[Callable[[list[Any]], None]] = []
        self._pending: deque[tuple[Any, list[Callable[[list[Any]], None]]]] = deque()
        self._pool: Any = None

    def submit(self, resource: dict[str, Any], callback: Callable[[list[Any]], None], *, answer: bool = False) -> None:
        import orjson

        self._batch.append((orjson.dumps(resource), answer))
        self._callbacks.append(callback)
        if len(self._batch) >= BATCH and self.jobs > 1:
            self._dispatch()
            while len(self._pending) >= 4 * self.jobs:
                self._collect()

    def drain(self) -> None:
        """Wait for every submitted resource; call the remaining callbacks."""
        if self._batch:
            if self._pool is None:
                self._inline()
            else:
                self._dispatch()
        while self._pending:
            self._collect()

    def close(self) -> None:
        self.drain()
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def _inline(self) -> None:
        import orjson

        for (raw, answer), callback in zip(self._batch, self._callbacks, strict=True):
            resource = orjson.loads(raw)
            callback(self.validator.validate_answer_bundle(resource) if answer else self.validator.validate(resource))
        self._batch, self._callbacks = [], []

    def _dispatch(self) -> None:
        if self._pool is None:
            self._pool = multiprocessing.get_context(_start_method()).Pool(self.jobs, _pool_init, (self.validator.version,))
        self._pending.append((self._pool.apply_async(_validate_batch, (self._batch,)), self._callbacks))
        self._batch, self._callbacks = [], []

    def _collect(self) -> None:
        job, callbacks = self._pending.popleft()
        for issues, callback in zip(job.get(), callbacks, strict=True):
            callback(issues)
