"""The detect stage: turn new article captures into versions and changes, one crawl batch at a time.

Extraction runs from the stored WARC record, never from a second fetch, so any capture can be
re-extracted later and a rebuilt index detects exactly what the first pass did. Captures are
taken a crawl at a time (:func:`archive.warc.crawl_batch` of their WARC file), batches in the order of
their first capture, because both things detect must know come from a whole crawl:

1. **noise** (:mod:`archive.detect.noise`): the batch's copies of each article (one per domain) and
   what each domain showed before are compared, and what flips without an editor's act
   (cache-busters, per-request file names, counters, template items) is learned for the
   outlet *before* any capture of the batch becomes a version;
2. **what the article did** (:mod:`archive.detect.transitions`): an edit is one act, however many
   domains serve it, so the article moves only when its reference domain (the first in
   failover order that answered) moves; lagging or early domains are not edits, and a
   long disagreement is one ``mirror_divergence``.

A page that is not an article (a seizure notice served with 200 by a mirror, an error page,
a body that cannot be extracted) makes no version and no change; its capture is marked "not
an article: <why>". A store that cannot be read right now leaves the article's captures for
the next run, so that captures are always detected in the order they were fetched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, cast

from archive.config import Config, Outlet
from archive.detect import ahead, noise
from archive.detect import learned as learned_noise
from archive.detect.fingerprint import fingerprint
from archive.detect.noise import EMPTY, NoiseModel
from archive.detect.transitions import Article, History, Seen, redirect_target
from archive.errors import EdittrailError, StoreError
from archive.extract import Extracted
from archive.extract.remembered import extract_once
from archive.index import Capture, Change, HostState, Index, Version
from archive.index import captures as captures_index
from archive.index import versions as vx
from archive.storage import ObjectStore
from archive.warc import crawl_batch, load_record
from archive.workers import Pending, Workers, given_or_own

log = logging.getLogger(__name__)

GONE_STATUSES = frozenset({404, 410})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
AHEAD_CHUNK = 256
"""Captures whose pages are read and extracted ahead at a time."""
AHEAD_CAPTURES = 4096
"""Captures whose pages the workers may be given before the writer takes them (bounded memory:
their pages are held here): about a crawl's on every domain, so that in a rebuild the workers
extract a whole crawl while the writer indexes the next (:mod:`archive.detect.following`)."""


def detect(
    config: Config,
    outlet_name: str,
    store: ObjectStore,
    progress: Progress | None = None,
    workers: Workers | None = None,
) -> dict[str, Any]:
    """Process every capture of the outlet that detect has not seen; returns counts.

    ``progress`` is called after each crawl batch with (captures done, captures pending, batch).
    ``workers``: worker processes the caller started earlier (a rebuild, before indexing);
    by default detect starts its own when ``OWN_WORKERS_MIN`` captures or more are pending.
    """
    outlet = config.outlet(outlet_name)
    with Index(config.index_path) as idx:
        batches = crawl_batches(vx.pending_captures(idx, outlet.name))
        with given_or_own(workers, sum(map(len, batches)) >= OWN_WORKERS_MIN) as running:
            detection = Detection(idx, outlet, store, running, progress)
            detection.add(batches)
            detection.settle()
    return detection.done()


class Detection:
    """One detect run: crawl batches are added in the order they are to be detected, their pages
    sent to the workers as they come (:class:`_Ahead`), and settled in that order.

    A rebuild adds a crawl's batch once it is indexed and nothing left to index can come before
    it, and settles it after indexing the next crawl (:mod:`archive.detect.following`), so that the
    workers extract a crawl's pages while the writer indexes; detect adds every pending batch at once.
    """

    def __init__(
        self, idx: Index, outlet: Outlet, store: ObjectStore, workers: Workers, progress: Progress | None = None
    ) -> None:
        self.idx, self.outlet, self.store, self.progress = idx, outlet, store, progress
        self.counts = dict.fromkeys(("captures", "versions", "changes", "errors", "not_articles"), 0)
        self.counts |= {"store_errors": 0, "deferred": 0, "noise_learned": 0}
        self.deferred: set[str] = set()
        """Articles a store error stopped in this run: their later captures wait for the next run too."""
        self.batches: list[list[Capture]] = []
        """Every batch added, in order; a settled one is emptied (its captures are held no longer)."""
        self.settled = 0
        """Batches settled so far (the first ones of ``batches``)."""
        self.added_captures = self.settled_captures = 0
        self._ahead = _Ahead(idx, outlet, store, self.deferred, workers)

    def add(self, batches: list[list[Capture]]) -> None:
        """Batches to settle after those added before; their pages are sent to the workers ahead."""
        for batch in batches:
            self.batches.append(batch)
            self.added_captures += len(batch)
            self._ahead.add(batch)

    @property
    def unsettled(self) -> int:
        """Batches added and not settled yet."""
        return len(self.batches) - self.settled

    def settle(self, keep: int = 0) -> None:
        """Settle every batch added and not settled yet but the last ``keep`` (whose pages the
        workers extract meanwhile)."""
        while self.settled < len(self.batches) - keep:
            batch = self.batches[self.settled]
            chunks = self._ahead.of_batch(self.settled)
            _detect_batch(self.idx, self.outlet, self.store, batch, self.deferred, self.counts, chunks)
            self.batches[self.settled] = []
            self.settled += 1
            self.settled_captures += len(batch)
            if self.progress is not None:
                self.progress(self.settled_captures, self.added_captures, crawl_batch(batch[0].warc))

    def cancel(self) -> None:
        """Drop the pages under way on the workers: this run stops here (a rebuild starting over)."""
        self._ahead.cancel()

    def done(self) -> dict[str, int]:
        """The run's counts, logged."""
        counts = self.counts
        log.info(
            "detect done outlet=%s captures=%d versions=%d changes=%d errors=%d not_articles=%d deferred=%d "
            "noise_learned=%d",
            self.outlet.name,
            counts["captures"],
            counts["versions"],
            counts["changes"],
            counts["errors"],
            counts["not_articles"],
            counts["deferred"],
            counts["noise_learned"],
        )
        return dict(counts)


OWN_WORKERS_MIN = 2048
"""Fewer pending captures than this are detected in this process alone when the caller gave no
workers: starting them in a fresh process (an Airflow task's) costs more than they save on so
few pages. Measured on this project's 2-core machine: 500 captures took 0.47 s alone and 1.1 s
with workers, 2,000 took 1.9 s and 2.1-2.6 s, 4,000 took 3.5-4.5 s and 3.0-3.4 s."""


def crawl_batches(captures: Iterable[Capture]) -> list[list[Capture]]:
    """Captures grouped by the crawl they came from, in the order of each crawl's first capture,
    each in fetch order: a probe run overlapping a crawl must not split the crawl's batch."""
    groups: dict[str, list[Capture]] = {}
    for capture in captures:
        groups.setdefault(crawl_batch(capture.warc), []).append(capture)
    return list(groups.values())


def _detect_batch(
    idx: Index,
    outlet: Outlet,
    store: ObjectStore,
    batch: list[Capture],
    deferred: set[str],
    counts: dict[str, int],
    chunks: Iterator[tuple[list[Capture], dict[str, Extracted | None]]],
) -> None:
    """Read the batch (outside any write transaction), learn its noise, then settle each article.

    ``chunks``: the batch's captures a chunk at a time, each with the pages the workers extracted."""
    seen: list[Seen] = []
    for chunk, ready in chunks:
        seen = _read_chunk(idx, outlet, store, chunk, deferred, counts, seen, ready)
    if not seen:
        return
    with idx.transaction():
        by_article: dict[str, list[Seen]] = {}
        for item in seen:
            by_article.setdefault(item.capture.article, []).append(item)
        histories = History.read_all(idx, outlet.name, list(by_article))
        model = learn_noise(idx, outlet, seen, counts, histories)
        batch_start = min(item.time for item in seen)
        marks: list[tuple[Capture, str, int | None]] = []
        shown: list[tuple[str, HostState]] = []
        for article_id, items in by_article.items():
            history = histories.pop(article_id)  # settled, it is held no longer
            article = Article(
                idx, outlet, article_id, model, lambda change: record_change(idx, change, counts), history
            )
            outcomes = article.settle(items, batch_start)
            counts["versions"] += len(article.created)
            shown += article.host_rows()
            for item in items:
                outcome, version = outcomes[item.capture.record_id]
                marks.append((item.capture, outcome[:500], version))
        vx.set_host_states(idx, outlet.name, shown)
        vx.mark_all_detected(idx, marks)
        counts["captures"] += len(marks)


class _Ahead:
    """Pages read back and extracted on the workers ahead of the writer (:mod:`archive.detect.ahead`).

    The workers are given the pages of up to ``AHEAD_CAPTURES`` captures not taken by the writer
    yet, in the order of the batches added, across batches: while the
    writer learns one batch's noise and settles its articles (or, in a rebuild, indexes the next
    crawl), they already work on the next batch's pages. Whatever they could not do, the writer
    does itself, in fetch order, as it would without them.
    """

    def __init__(self, idx: Index, outlet: Outlet, store: ObjectStore, deferred: set[str], workers: Workers) -> None:
        self.idx, self.outlet, self.store, self.deferred, self.workers = idx, outlet, store, deferred, workers
        self.chunks: list[list[Capture]] = []
        self.first = [0]
        """Where each batch's chunks start in ``chunks`` (and, last, where they end)."""
        self.sent: dict[int, tuple[list[str], Pending[Extracted | None]]] = {}
        self.next = 0
        """The first chunk not given to the workers yet."""
        self.held = 0
        """Captures in the chunks given to the workers and not taken by the writer yet."""

    def add(self, batch: list[Capture]) -> None:
        """The batch's chunks after those of the batches added before, sent as far as the bound allows."""
        self.chunks += [batch[n : n + AHEAD_CHUNK] for n in range(0, len(batch), AHEAD_CHUNK)]
        self.first.append(len(self.chunks))
        self._top_up()

    def of_batch(self, batch: int) -> Iterator[tuple[list[Capture], dict[str, Extracted | None]]]:
        """The batch's chunks, each with the pages the workers gave for it (by record id)."""
        for position in range(self.first[batch], self.first[batch + 1]):
            while self.next <= position:  # the writer needs it now, whatever the bound
                self._send_next()
            sent = self.sent.pop(position)
            chunk = self.chunks[position]
            self.chunks[position] = []  # taken: its captures are held no longer here
            self.held -= len(chunk)
            self._top_up()  # the workers go on while the writer makes versions of this chunk
            yield chunk, _ready(self.outlet, *sent)

    def cancel(self) -> None:
        for _, extracting in self.sent.values():
            extracting.cancel()
        self.sent.clear()

    def _top_up(self) -> None:
        """Give the workers the next chunks while fewer than ``AHEAD_CAPTURES`` captures are under way."""
        while self.next < len(self.chunks) and self.held < AHEAD_CAPTURES:
            self._send_next()

    def _send_next(self) -> None:
        chunk = self.chunks[self.next]
        self.sent[self.next] = self._send(chunk)
        self.held += len(chunk)
        self.next += 1

    def _send(self, chunk: list[Capture]) -> tuple[list[str], Pending[Extracted | None]]:
        """The chunk's pages given to the workers: their record ids in the order sent, and the work
        under way (nothing, when the workers would not take them)."""
        pages = [c for c in chunk if c.status == 200 and c.article_id not in self.deferred]
        if not self.workers.takes(len(pages)):
            pages = []  # no location worked out (a query per revisit) for work the writer does anyway
        locations = [_location(self.idx, self.outlet, capture) for capture in pages]
        extracting = self.workers.map(partial(ahead.extract_all, self.store), locations, ahead.route)
        return [c.record_id for c in pages], extracting


def _ready(outlet: Outlet, sent: list[str], extracting: Pending[Extracted | None]) -> dict[str, Extracted | None]:
    """What the workers gave, by record id; those they could not do are logged, and done here."""
    results = extracting.collect()
    if results is None:
        return {}
    missed = results.count(None)
    if missed:
        log.info("detect reads %d page(s) itself that the workers could not outlet=%s", missed, outlet.name)
    return dict(zip(sent, results, strict=True))


def _read_chunk(
    idx: Index,
    outlet: Outlet,
    store: ObjectStore,
    chunk: list[Capture],
    deferred: set[str],
    counts: dict[str, int],
    seen: list[Seen],
    ready: dict[str, Extracted | None],
) -> list[Seen]:
    """``seen`` with the chunk's captures added, in fetch order (``ready``: pages the workers extracted)."""
    for capture in chunk:
        article_id = capture.article
        if article_id in deferred:
            counts["deferred"] += 1
            continue
        try:
            seen.append(_seen(idx, outlet, store, capture, counts, ready.get(capture.record_id)))
        except StoreError as exc:
            # Transient (a network store, a mount): retried next run, with the article's other
            # captures, or they would be detected out of order.
            deferred.add(article_id)
            dropped = [s for s in seen if s.capture.article_id == article_id]
            seen = [s for s in seen if s.capture.article_id != article_id]
            counts["store_errors"] += 1
            counts["deferred"] += 1 + len(dropped)
            log.warning(
                "detect could not read the store, retrying next run outlet=%s url=%s warc=%s: %s",
                outlet.name,
                capture.url,
                capture.warc,
                exc,
            )
    return seen


def _seen(
    idx: Index,
    outlet: Outlet,
    store: ObjectStore,
    capture: Capture,
    counts: dict[str, int],
    extracted: Extracted | None = None,
) -> Seen:
    """What one capture shows: an article's content, a retraction, a redirect, or nothing to detect
    (``extracted``: its page, when a worker extracted it)."""
    read = _read(idx, outlet, store, capture, extracted)
    status = capture.status
    if status == 200:
        if read.extracted is None:
            counts["errors"] += 1
            log.warning(
                "not an article (cannot be extracted) outlet=%s url=%s warc=%s: %s",
                outlet.name,
                capture.url,
                capture.warc,
                read.error,
            )
            return Seen(capture, "ignored", reason=f"not an article: {read.error}")
        if read.extracted.not_article:
            counts["not_articles"] += 1
            log.info("not an article outlet=%s url=%s: %s", outlet.name, capture.url, read.extracted.not_article)
            return Seen(capture, "ignored", reason=f"not an article: {read.extracted.not_article}")
        return Seen(capture, "live", content=version_of(outlet, capture, read.extracted))
    if status in GONE_STATUSES:
        return Seen(capture, "gone")
    if status in REDIRECT_STATUSES:
        if not read.location:
            return Seen(capture, "ignored", reason="redirect without a Location")
        key, target = redirect_target(outlet, capture.url, read.location)
        if key == f"article {capture.article_id}":
            return Seen(capture, "ignored", reason="redirect within the article")
        return Seen(capture, "redirect", target=key, location=target)
    return Seen(capture, "ignored", reason=f"skipped: HTTP {status}")


def learn_noise(
    idx: Index,
    outlet: Outlet,
    seen: list[Seen],
    counts: dict[str, int],
    histories: Mapping[str, History],
) -> NoiseModel:
    """Learn from the batch what flips without an edit (archive.detect.noise); returns the model to detect with.

    ``histories``: the batch's articles as the index held them before it, by id."""
    live = [s for s in seen if s.kind == "live" and s.content is not None]
    copies: dict[str, list[Version]] = {}
    for s in live:
        article_id = s.capture.article
        if article_id not in copies:
            copies[article_id] = histories[article_id].shown()
        copies[article_id].append(cast(Version, s.content))
    evidence = [e for article_id, a, b in noise.pairs(copies) for e in noise.slot_flips(article_id, a, b)]
    evidence += noise.template_items([(s.capture.article, cast(Version, s.content)) for s in live])
    articles = len(copies)
    counts["noise_learned"] += learned_noise.record_evidence(idx, outlet.name, evidence, articles)
    model = learned_noise.model(idx, outlet.name)
    for flips in (noise.presence_flips, noise.token_flips, noise.place_flips):  # each where the ones before fall short
        learned = learned_noise.record_evidence(idx, outlet.name, flips(model, copies), articles)
        counts["noise_learned"] += learned
        model = learned_noise.model(idx, outlet.name) if learned else model
    return model


def record_change(idx: Index, change: Change | None, counts: dict[str, int]) -> None:
    """Store a change once (a re-run finds it already there) and count it only when new."""
    if change is not None and vx.add_change(idx, change):
        counts["changes"] += 1
        log.info(
            "change outlet=%s article=%s kind=%s declared=%s host=%s",
            change.outlet,
            change.article_id,
            change.kind,
            change.declared,
            change.host,
        )


@dataclass(frozen=True)
class _Stored:
    """What detect needs from the store for one capture, read before its write transaction."""

    extracted: Extracted | None = None
    error: EdittrailError | None = None
    location: str = ""


def _read(
    idx: Index, outlet: Outlet, store: ObjectStore, capture: Capture, extracted: Extracted | None = None
) -> _Stored:
    """The extracted page (200) or the Location header (redirects); a StoreError is left to the caller."""
    status = capture.status
    if status == 200:
        if extracted is not None:
            return _Stored(extracted=extracted)
        try:
            return _Stored(extracted=_extracted(idx, outlet, store, capture))
        except StoreError:
            raise
        except EdittrailError as exc:
            return _Stored(error=exc)
    if status in REDIRECT_STATUSES:
        loaded = load_record(store.read_range(capture.warc, capture.offset, capture.length), name=capture.warc)
        return _Stored(location=next((v for k, v in loaded.http_headers or [] if k.lower() == "location"), ""))
    return _Stored()


def _extracted(idx: Index, outlet: Outlet, store: ObjectStore, capture: Capture) -> Extracted:
    """Extract the stored record (a revisit shows what its original showed)."""
    return extract_once(ahead.read_page(store, _location(idx, outlet, capture)))


def _location(idx: Index, outlet: Outlet, capture: Capture) -> ahead.Location:
    """Where the capture's page is stored: its own record, or a revisit's original's."""
    if capture.record_type == "revisit":
        original = _original_capture(idx, capture)
        if original is not None:
            capture = replace(capture, warc=original.warc, offset=original.offset, length=original.length)
    return ahead.Location(outlet.extractor, capture.url, capture.warc, capture.offset, capture.length)


def version_of(outlet: Outlet, capture: Capture, extracted: Extracted, model: NoiseModel = EMPTY) -> Version:
    """The fingerprinted version a capture shows, numbered 0 until detect numbers it."""
    prints = fingerprint(extracted, model)
    return Version(
        outlet=outlet.name,
        article_id=capture.article,
        version=0,
        record_id=capture.record_id,
        host=capture.host,
        url=capture.url,
        fetched_at=capture.fetched_at,
        whole_hash=prints.whole,
        hashes=dict(prints.fields),
        headline=extracted.headline,
        lead=extracted.lead,
        body=tuple(extracted.body),
        captions=tuple(extracted.captions),
        images=tuple(extracted.images),
        section=extracted.section,
        section_ids=tuple(extracted.section_ids),
        byline=extracted.byline,
        published=extracted.published.isoformat() if extracted.published else None,
        last_update=extracted.last_update.isoformat() if extracted.last_update else None,
        slug=extracted.slug,
        extractor=outlet.extractor,
    )


def version_of_capture(idx: Index, outlet: Outlet, store: ObjectStore, capture: Capture) -> Version:
    """Extract and fingerprint a stored capture again under the outlet's noise model (for checks and tests)."""
    return version_of(outlet, capture, _extracted(idx, outlet, store, capture), learned_noise.model(idx, outlet.name))


def _original_capture(idx: Index, capture: Capture) -> Capture | None:
    return captures_index.first_response_with_payload(idx, capture.urlkey, capture.payload_digest, capture.url)


Detector = Callable[[Config, str, ObjectStore], dict[str, Any]]
Progress = Callable[[int, int, str], None]
