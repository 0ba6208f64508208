"""Worker processes for the work a stage's single writer can hand out: reading and extracting.

The index has one writer process, so whatever that process does itself bounds a run. Work
that depends on nothing but its input goes to workers while the writer writes: the index step
reads WARC objects ahead (:func:`archive.index.objects.index_objects`, with :meth:`Workers.each`)
and detect has pages read back and extracted ahead (:mod:`archive.detect.ahead`, with
:meth:`Workers.map`).

Workers start from a ``forkserver`` (a clean process that has imported what they run, not a
fork of the caller's threads and connections), in the background: the caller never waits for
them to boot. On one core, in a daemonic process, once a worker has failed, or (for
:meth:`Workers.map`) below ``PARALLEL_MIN`` items, everything runs in the calling process, as
it would without this module: a worker only ever saves time.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Generator, Hashable, Iterator
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from types import TracebackType
from typing import Generic, TypeVar, cast

log = logging.getLogger(__name__)

PARALLEL_MIN = 64
"""Fewer items than this are worked on in the calling process: sending them costs more."""
MAX_WORKERS = 4
BATCHES_PER_WORKER = 4
"""Batches each worker gets of one :meth:`Workers.map`: results come back while it works on."""
AHEAD_PER_WORKER = 2
"""Items of :meth:`Workers.each` queued on each worker (objects of a store: bounded memory)."""
PRELOAD = ("archive.extract", "archive.stored_warcs")
"""Imported once by the forkserver, before any worker forks from it: what the workers run."""
T = TypeVar("T")
R = TypeVar("R")


def _started(workers: int) -> None:
    """Run as a worker starts: it remembers its share of the extractions (the forkserver has
    imported the module already)."""
    from archive.extract import remembered

    remembered.share_of(workers)


@contextlib.contextmanager
def given_or_own(given: Workers | None, worth_starting: bool) -> Iterator[Workers]:
    """The caller's workers (theirs to stop); else workers of its own when the work is worth
    starting them for (stopped on leaving), or none (one worker: this process)."""
    if given is not None:
        yield given
        return
    with Workers(workers=None if worth_starting else 1) as workers:
        yield workers


def _batched(items: list[T], size: int) -> list[list[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


class Pending(Generic[R]):
    """Work sent to the workers by :meth:`Workers.map`; :meth:`collect` waits for its results."""

    def __init__(self, owner: Workers, size: int, sent: list[tuple[list[int], Future[list[R]]]]) -> None:
        self._owner, self._size, self._sent = owner, size, sent

    def collect(self) -> list[R] | None:
        """The results in the order of the items sent; None when nothing was sent or the workers
        failed (the caller then does the work itself, as it would without workers)."""
        if not self._sent:
            return None
        results: list[R | None] = [None] * self._size
        try:
            for positions, future in self._sent:
                for position, result in zip(positions, future.result(), strict=True):
                    results[position] = result
        except Exception as exc:  # a killed worker, a broken pool
            self._owner._fail(exc)
            return None
        finally:
            self._sent = []
        return cast(list[R], results)

    def cancel(self) -> None:
        """Drop the work: what has not started is not done (what runs ends and is thrown away)."""
        for _, future in self._sent:
            future.cancel()
        self._sent = []


class Workers:
    """Worker processes, started on first need and stopped on exit.

    Each worker is a pool of its own, so that work can be routed: items that share a route
    (copies of one page) always reach the same worker, whose remembered extractions then
    serve them all.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS)
        self._pools: list[Executor] = []
        self._lock = threading.Lock()
        self._sender: ThreadPoolExecutor | None = None
        """Where :meth:`start` and :meth:`each` hand work to the pools: the first hand-over waits
        for the forkserver to start and import ``PRELOAD``, which the caller must not."""
        # A daemonic process (a Celery prefork worker, a multiprocessing worker) may not start children.
        self._broken = multiprocessing.current_process().daemon

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._sender is not None:
            self._sender.shutdown(cancel_futures=True)
            self._sender = None
        with self._lock:
            for pool in self._pools:
                pool.shutdown(cancel_futures=True)
            self._pools = []

    def start(self) -> None:
        """Boot the workers in the background and return at once: a rebuild calls this first, so
        that the workers start while it reads its first object itself."""
        if self._usable:
            self._handing().submit(self._boot)

    def _boot(self) -> None:
        try:
            for pool in self._started():
                pool.submit(int)
        except Exception as exc:  # no workers here (no /dev/shm, a process limit)
            self._fail(exc)

    def takes(self, items: int) -> bool:
        """Whether :meth:`map` would send that many items to the workers (callers skip preparing
        work that would then be done in their own process anyway)."""
        return items >= PARALLEL_MIN and self._usable

    @property
    def _usable(self) -> bool:
        """More than one core, and workers that have not failed."""
        return self.workers >= 2 and not self._broken

    def map(
        self, function: Callable[[list[T]], list[R]], items: list[T], route: Callable[[T], Hashable] | None = None
    ) -> Pending[R]:
        """Start ``function`` over ``items``, a batch per call, on the workers and return at once.

        ``function`` (a module-level function, or a ``functools.partial`` of one, so that it
        pickles) takes a batch and returns one result per item. Items with the same ``route``
        go to the same worker, in this process's lifetime. Below ``PARALLEL_MIN`` items, on one
        core, or when the workers cannot start, nothing is sent: :meth:`Pending.collect` then
        returns None and the caller does the work itself.
        """
        if not self.takes(len(items)):
            return Pending(self, 0, [])
        try:
            pools = self._started()
            sent = [
                (positions, pool.submit(function, [items[n] for n in positions]))
                for pool, share in zip(pools, self._shares(items, route), strict=True)
                for positions in _batched(share, max(1, len(items) // (self.workers * BATCHES_PER_WORKER)))
            ]
        except Exception as exc:  # no workers here (a daemonic process, no /dev/shm); an item that does not
            # pickle fails later, in Pending.collect (the pool pickles in a thread of its own)
            self._fail(exc)
            return Pending(self, 0, [])
        return Pending(self, len(items), sent)

    def each(self, function: Callable[[T], R], items: list[T]) -> Generator[Callable[[], R], None, None]:
        """``function`` of each item, in order, as a call that gives its result or raises its error.

        For a few large items (a store's WARC objects), from two on: while the caller works with
        one result, the workers compute the next ones (``AHEAD_PER_WORKER`` each). The first item
        is done in this process while the workers start (in the background: the caller never
        waits for them to boot). Whatever a worker could not give (it was killed, the item did not
        pickle, the item's own error, such as a store failing now) is computed in this process
        when called, so the caller meets the error itself, as it would without workers; a store
        that timed out on a worker is then tried once more here.
        """
        futures: dict[int, Future[Future[R]]] = {}
        try:
            for n, item in enumerate(items):
                self._ahead(function, items, n + 1, futures)
                future = futures.pop(n, None)
                yield partial(function, item) if future is None else partial(self._result, future, function, item)
        finally:
            for future in futures.values():
                if not future.cancel() and future.done() and future.exception() is None:
                    future.result().cancel()

    def _ahead(
        self, function: Callable[[T], R], items: list[T], start: int, futures: dict[int, Future[Future[R]]]
    ) -> None:
        """Keep the next items (from ``start``) computing on the workers, round the pools."""
        if len(items) < 2 or not self._usable:
            return
        for n in range(start, min(len(items), start + self.workers * AHEAD_PER_WORKER)):
            if n not in futures:
                futures[n] = self._handing().submit(self._send, n % self.workers, function, items[n])

    def _send(self, worker: int, function: Callable[[T], R], item: T) -> Future[R]:
        """Run on the hand-over thread: the item given to one worker (booting them first, once)."""
        try:
            pools = self._started()
        except Exception as exc:  # no workers here (no /dev/shm, a process limit)
            self._fail(exc)
            raise
        return pools[worker].submit(function, item)

    def _result(self, future: Future[Future[R]], function: Callable[[T], R], item: T) -> R:
        """The worker's result; where it has none, ``function`` run here (its error raised here)."""
        try:
            return future.result().result()
        except BrokenExecutor as exc:  # a killed worker: the others are stopped too
            self._fail(exc)
        except Exception as exc:  # the item's own error: met again here, and raised
            if isinstance(exc, pickle.PicklingError) or "pickle" in str(exc):  # the workers cannot take this work
                self._fail(exc)
        return function(item)

    def _handing(self) -> ThreadPoolExecutor:
        if self._sender is None:
            self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workers-hand-over")
        return self._sender

    def _shares(self, items: list[T], route: Callable[[T], Hashable] | None) -> list[list[int]]:
        """Each worker's items, by position: by route, or in even runs."""
        size = len(items)
        shares: list[list[int]] = [[] for _ in range(self.workers)]
        for n in range(size):
            worker = hash(route(items[n])) % self.workers if route is not None else n * self.workers // size
            shares[worker].append(n)
        return shares

    def _fail(self, exc: BaseException) -> None:
        """Work on in this process only: the workers still alive are stopped, not left idle."""
        if self._broken:
            return
        self._broken = True
        for pool in list(self._pools):
            pool.shutdown(wait=False, cancel_futures=True)
        log.warning("working in this process only: worker processes failed: %s: %s", type(exc).__name__, exc)

    def _started(self) -> list[Executor]:
        """The pools, made on first need (by the caller's thread or the hand-over thread)."""
        with self._lock:
            if not self._pools:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(list(PRELOAD))
                self._pools = [
                    ProcessPoolExecutor(
                        max_workers=1, mp_context=context, initializer=_started, initargs=(self.workers,)
                    )
                    for _ in range(self.workers)
                ]
                log.info("working on %d worker processes", self.workers)
            return self._pools
