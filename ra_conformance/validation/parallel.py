"""Validation of many resources on every core: raw JSON in batches to worker processes, results back in
input order, a bounded number of batches in flight (memory stays flat however long the input)."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from typing import Any, Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")
BATCH = 64  # resources per task: big enough to amortise the pickling, small enough to stream


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
    if jobs <= 1 or second is None:  # one batch: a pool would cost more than it saves
        if initializer is not None:
            initializer(*initargs)
        for batch in (b for b in (first, second) if b is not None):
            yield from fn(batch)
        for batch in batches:
            yield from fn(batch)
        return
    batches = _chain([first, second], batches)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(jobs, initializer, initargs) as pool:
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
