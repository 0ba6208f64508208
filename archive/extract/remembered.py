"""Extraction remembered per page, and run on every core when a batch brings many pages.

Extraction is a pure function of (extractor, page bytes, URL, Content-Type), so its result is
kept for the pages seen last: the same bytes at the same URL (a revisit and its original, an
unedited page fetched again in a rebuild) are extracted once. The page is keyed by its BLAKE2b
digest, computed here, so no stored digest is trusted for it.

Mirrors often serve the same bytes at the same path. An extractor that notes the hosts a page
names (``Extracted.linked_hosts``, see :class:`archive.extract.dom.Base`) depends on the
page's own host only through its relative references, so such a page is extracted once for
every mirror the page does not name, its relative images rebased onto each mirror's host:
exactly what extracting it there would give.

A rebuild or a large crawl batch brings thousands of pages not seen yet; :class:`Extractors`
runs work over them on worker processes (a ``forkserver``: workers start from a clean process
that has imported the extractors, not from a fork of the caller's threads and connections):
detect sends them the captures to read back and extract (:mod:`archive.detect.ahead`), each
path always to the same worker, whose own memory of extractions then serves every mirror's
copy. Below ``PARALLEL_MIN`` items, or on one core, everything runs in the calling process,
as it would without this module.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import replace
from types import TracebackType
from typing import Generic, TypeVar, cast
from urllib.parse import urlsplit

from archive.extract import Extracted, extract

log = logging.getLogger(__name__)

REMEMBERED = 8192
"""About a crawl's article pages on every domain (~10 KB each kept), in one process; the workers
share it out (:func:`_share_of`), each remembering the paths routed to it."""
_capacity = REMEMBERED
PARALLEL_MIN = 64
"""Fewer items than this are worked on in the calling process: sending them costs more."""
MAX_WORKERS = 4
BATCHES_PER_WORKER = 4
"""Batches each worker gets of one :meth:`Extractors.map`: results come back while it works on."""
T = TypeVar("T")
R = TypeVar("R")

Page = tuple[str, bytes, str, str | None]
"""(extractor name, page bytes, URL, Content-Type): everything an extraction depends on."""
_Key = tuple[str, tuple[str, str, str, str], str | None, bytes, str | None]
"""(extractor, the URL but its host, Content-Type, BLAKE2b of the bytes, host): the host is None
for the entry every mirror may share, the page's own for one it may not."""
_remembered: OrderedDict[_Key, tuple[str, Extracted]] = OrderedDict()
"""Key → (the host it was extracted for, what it gave)."""


def _key(page: Page) -> _Key:
    """The entry every mirror may share."""
    name, html, url, content_type = page
    scheme, _, path, query, fragment = urlsplit(url)
    return (name, (scheme, path, query, fragment), content_type, hashlib.blake2b(html, digest_size=20).digest(), None)


def _own(key: _Key, host: str) -> _Key:
    """The entry of one host only, beside the shared one of the same page."""
    name, where, content_type, digest, _ = key
    return (name, where, content_type, digest, host)


def _host(page: Page) -> str:
    return urlsplit(page[2]).netloc


def _remember(page: Page, extracted: Extracted, key: _Key | None = None) -> None:
    """Keep the extraction for every mirror, or, when the shared entry is another host's that
    this page cannot share, for this host only."""
    key = key or _key(page)
    host = _host(page)
    held = _remembered.get(key)
    if held is not None and held[0] != host:
        key = _own(key, host)
    _remembered[key] = (host, extracted)
    if len(_remembered) > _capacity:
        _remembered.popitem(last=False)


def _recall(page: Page, key: _Key) -> Extracted | None:
    """What extracting the page gives, if a page with the same bytes at the same path was extracted."""
    host = _host(page)
    for candidate in (key, _own(key, host)):
        held = _remembered.get(candidate)
        if held is None:
            continue
        _remembered.move_to_end(candidate)
        origin, extracted = held
        if origin == host:
            return extracted
        rebased = rebase(extracted, key[1][0], origin, host)
        if rebased is not None:
            return rebased
    return None


def rebase(extracted: Extracted, scheme: str, origin: str, host: str) -> Extracted | None:
    """The extraction of the same bytes at the same path on ``host`` instead of ``origin``; None
    when the page names either host (its extraction may then differ in ways a rebase cannot tell).

    As the page names ``origin`` nowhere, every image on it came from a relative reference."""
    named = extracted.linked_hosts
    if named is None or origin in named or host in named:
        return None
    prefix = f"{scheme}://{origin}"
    images = tuple(
        f"{scheme}://{host}{image[len(prefix) :]}"
        if image.startswith(prefix) and image[len(prefix) : len(prefix) + 1] in ("", "/", "?", "#")
        else image
        for image in extracted.images
    )
    return replace(extracted, images=images) if images != extracted.images else extracted


def _share_of(workers: int) -> None:
    """Run as a worker starts: its part of ``REMEMBERED``, so that the workers together keep no
    more than one process would."""
    global _capacity
    _capacity = max(1, REMEMBERED // workers)


def forget() -> None:
    """Drop every remembered extraction: a benchmark round then costs what a fresh process pays."""
    _remembered.clear()


def extract_once(page: Page) -> Extracted:
    """``extract`` of the page, or what it gave the last time this page was seen (on any mirror it may share)."""
    key = _key(page)
    hit = _recall(page, key)
    if hit is not None:
        return hit
    name, html, url, content_type = page
    extracted = extract(name, html, url, content_type=content_type)
    _remember(page, extracted, key)
    return extracted


def _batched(items: list[T], size: int) -> list[list[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


class Pending(Generic[R]):
    """Work sent to the workers by :meth:`Extractors.map`; :meth:`collect` waits for its results."""

    def __init__(self, owner: Extractors, size: int, sent: list[tuple[list[int], Future[list[R]]]]) -> None:
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


class Extractors:
    """Worker processes for extracting ahead, started on first need and stopped on exit.

    Each worker is a pool of its own, so that work can be routed: items that share a route
    (copies of one page) always reach the same worker, whose remembered extractions then
    serve them all.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS)
        self._pools: list[Executor] = []
        # A daemonic process (a Celery prefork worker, a multiprocessing worker) may not start children.
        self._broken = multiprocessing.current_process().daemon

    def __enter__(self) -> Extractors:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for pool in self._pools:
            pool.shutdown(cancel_futures=True)
        self._pools = []

    def start(self) -> None:
        """Boot the workers now, without waiting for them: a rebuild calls this before its index
        step, so the seconds a worker takes to start overlap reading the WARCs."""
        if not self._usable:
            return
        try:
            for pool in self._started():
                pool.submit(int)
        except Exception as exc:
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
        self._broken = True
        for pool in self._pools:
            pool.shutdown(wait=False, cancel_futures=True)
        log.warning("extracting in this process only: worker processes failed: %s: %s", type(exc).__name__, exc)

    def _started(self) -> list[Executor]:
        if not self._pools:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["archive.extract"])
            self._pools = [
                ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_share_of, initargs=(self.workers,))
                for _ in range(self.workers)
            ]
            log.info("extracting on %d worker processes", self.workers)
        return self._pools
