"""Detect following a rebuild's index step, one crawl behind it, so that both cores work throughout.

A rebuild (``pipeline.reindex``) indexes the store's objects a crawl at a time, crawls in the
order they began (:func:`archive.index.objects.in_crawl_order`). As soon as a crawl is indexed,
its batch is added to detection and its pages go to the workers; the writer then settles the
crawl before it and indexes the next, while the workers extract. Without this, the workers sat
idle while the writer indexed the whole store, and the writer waited for them when detection
began.

A rebuild must detect exactly what detecting after the whole index step would: batches in the
order of their first pending capture (:func:`archive.detect.run.crawl_batches`). Crawls that
began in that order (one after another, as a schedule runs them) give it as they are indexed.
Each batch added is checked against the one before; when a crawl began after another but
fetched before it (overlapping runs, a clock set back, an object not named by the writer),
following stops, and at the end everything detected so far is forgotten and the outlet's
captures are detected again from the first, in the right order: slower, never different.
"""

from __future__ import annotations

import logging

from archive.config import Outlet
from archive.detect.run import Detection, Progress, crawl_batches
from archive.index import Index
from archive.index import versions as vx
from archive.storage import ObjectStore
from archive.warc import crawl_batch
from archive.workers import Workers

log = logging.getLogger(__name__)


class Following:
    """Detection of a rebuild's crawls as the index step finishes each (``crawl_indexed``), one behind."""

    def __init__(
        self, idx: Index, outlet: Outlet, store: ObjectStore, workers: Workers, progress: Progress | None = None
    ) -> None:
        self.idx, self.outlet, self.store, self.workers, self.progress = idx, outlet, store, workers, progress
        self.detection = Detection(idx, outlet, store, workers)
        self.last: tuple[str, str] | None = None
        """(fetched at, record id) of the first capture of the batch added last."""
        self.stopped = False
        """A batch came out of order: detection waits for the end, and starts over."""

    def crawl_indexed(self, keys: list[str]) -> None:
        """Add the batch of the crawl just indexed (``keys``: its objects), and settle all but it."""
        if self.stopped or not keys:
            return
        batches = crawl_batches(vx.pending_captures_in(self.idx, self.outlet.name, keys))
        for batch in batches:
            first = (batch[0].fetched_at, batch[0].record_id)
            if self.last is not None and first < self.last:
                self.stopped = True
                log.info(
                    "detect waits for the whole index outlet=%s: crawl %s fetched before one indexed earlier",
                    self.outlet.name,
                    crawl_batch(batch[0].warc),
                )
                return
            self.last = first
        self.detection.add(batches)
        self.detection.settle(keep=1)

    def finish(self) -> dict[str, int]:
        """Settle what is left (after the index step), or detect again from the first capture when
        batches came out of order; returns detect's counts."""
        if self.stopped:
            with self.idx.transaction():
                vx.clear_derived(self.idx, self.outlet.name)
            self.detection = Detection(self.idx, self.outlet, self.store, self.workers)
            self.detection.add(crawl_batches(vx.pending_captures(self.idx, self.outlet.name)))
        self.detection.progress = self.progress
        self.detection.settle()
        return self.detection.done()
