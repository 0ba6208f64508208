"""Detect following a rebuild's index step, a crawl or so behind it, so that both cores work throughout.

A rebuild (``pipeline.reindex``) indexes the store's objects a crawl at a time, crawls in the
order they began (:func:`archive.index.objects.in_crawl_order`). Once a crawl is indexed and
nothing still to index can come before it, its batch goes to detection and its pages to the
workers; the writer then indexes the next crawl while they extract, and settles the batch after
that. Without this, the workers sat idle while the writer indexed the whole store, and the
writer waited for them when detection began.

A rebuild must detect exactly what detecting after the whole index step would:

- **the same order**: batches in the order of their first pending capture
  (:func:`archive.detect.run.crawl_batches`). Batches indexed wait in that order, and a batch
  indexed after one was given to detection must not come before it.
- **the same originals**: a revisit shows the page of the oldest response with its payload
  (:func:`archive.index.captures.first_response_with_payload`), which may be in any crawl that
  ran before it, even one that began after the revisit's own crawl. A batch is therefore given
  to detection only once it is *safe*: the next crawl to index began ``CLOCK_SLACK`` after the
  batch's last capture, so every capture fetched before then is indexed. Its revisits must then
  all find an original fetched before them; when one does not (its original lost, and another
  copy perhaps in a crawl still to index), that batch and every later one wait for the end.

A batch that comes before one already given (overlapping runs, a clock set back) makes the
rebuild start over: at the end, everything detected so far is forgotten and the outlet's
captures are detected again from the first, in the right order. Slower, never different, as
long as the clocks that named the WARC files and stamped their captures agree within
``CLOCK_SLACK``.
"""

from __future__ import annotations

import bisect
import logging
from datetime import datetime, timedelta

from archive.config import Outlet
from archive.detect.run import Detection, Progress, crawl_batches
from archive.index import Capture, Index
from archive.index import captures as captures_index
from archive.index import versions as vx
from archive.index.objects import NONE_LEFT
from archive.moments import parse_utc
from archive.storage import ObjectStore
from archive.warc import crawl_batch
from archive.workers import Workers

log = logging.getLogger(__name__)

CLOCK_SLACK = timedelta(minutes=15)
"""How far a WARC file's name (when it opened) may run ahead of its own captures' times, and
crawl hosts' clocks apart: a batch waits until the next crawl began this long after its last capture."""


class Following:
    """Detection of a rebuild's crawls as the index step finishes each (:meth:`crawl_indexed`)."""

    def __init__(
        self, idx: Index, outlet: Outlet, store: ObjectStore, workers: Workers, progress: Progress | None = None
    ) -> None:
        self.idx, self.outlet, self.store, self.workers, self.progress = idx, outlet, store, workers, progress
        self.detection = Detection(idx, outlet, store, workers)
        self.waiting: list[tuple[tuple[str, str], list[Capture]]] = []
        """Batches indexed and not given to detection yet, by their first capture (fetched at, record id)."""
        self.given: tuple[str, str] | None = None
        """The first capture of the batch given to detection last."""
        self.holding = False
        """A revisit found no original yet: every batch from it on waits for the end."""
        self.stopped = False
        """A batch came before one given: detection starts over at the end."""

    def crawl_indexed(self, keys: list[str], next_began: datetime | None) -> None:
        """A crawl was indexed (``keys``: its objects; ``next_began``: when the next crawl to index
        began, None when unknown, ``NONE_LEFT`` when none is left). Batches that are now safe go
        to detection and to the workers; those given to it before this call are settled."""
        if self.stopped:
            return
        for batch in crawl_batches(vx.pending_captures_in(self.idx, self.outlet.name, keys)):
            first = (batch[0].fetched_at, batch[0].record_id)
            if self.given is not None and first < self.given:
                return self._stop(f"crawl {crawl_batch(batch[0].warc)} fetched before one detected already")
            bisect.insort(self.waiting, (first, batch), key=lambda item: item[0])
        given_before = self.detection.unsettled
        while not self.holding and self.waiting and _safe(self.waiting[0][1], next_began):
            first, batch = self.waiting[0]
            if not self._originals_indexed(batch):
                self.holding = True
                log.info(
                    "detect holds the rest of the rebuild for its end outlet=%s: a revisit of crawl %s has no "
                    "original fetched before it",
                    self.outlet.name,
                    crawl_batch(batch[0].warc),
                )
                break
            self.waiting.pop(0)
            self.given = first
            self.detection.add([batch])
        self.detection.settle(keep=self.detection.unsettled - given_before)

    def finish(self) -> dict[str, int]:
        """Settle what is left (after the whole index step), or detect again from the first capture
        when a batch came out of order; returns detect's counts."""
        self.detection.progress = self.progress
        if self.stopped:
            with self.idx.transaction():
                vx.clear_derived(self.idx, self.outlet.name)
            self.detection.add(crawl_batches(vx.pending_captures(self.idx, self.outlet.name)))
        else:
            self.detection.add([batch for _, batch in self.waiting])
            self.waiting = []
        self.detection.settle()
        return self.detection.done()

    def _stop(self, why: str) -> None:
        self.stopped, self.waiting = True, []
        self.detection.cancel()  # its pages would only hold up the workers for the new start
        self.detection = Detection(self.idx, self.outlet, self.store, self.workers)
        log.info("detect waits for the whole index and starts over outlet=%s: %s", self.outlet.name, why)

    def _originals_indexed(self, batch: list[Capture]) -> bool:
        """Whether every revisit of the batch finds an original fetched before it."""
        revisits = [c.record_id for c in batch if c.record_type == "revisit"]
        return not revisits or captures_index.revisits_without_earlier_original(self.idx, revisits) == 0


def _safe(batch: list[Capture], next_began: datetime | None) -> bool:
    """Whether every capture fetched before the batch's last one is indexed (see the module)."""
    if next_began is None:
        return False
    return next_began == NONE_LEFT or parse_utc(max(c.fetched_at for c in batch)) + CLOCK_SLACK < next_began
