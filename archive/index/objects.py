"""Index the store's WARC objects one at a time; a damaged one is quarantined, never a stop.

Each object is read once, as a stream: its records (block and payload digests verified, so
altered bytes are never indexed as what the crawler wrote), its size and its SHA-256. What
reads is indexed, in one transaction with the object's ``warc_objects`` row and its
quarantine entry, so a reader or a crash never sees one without the other. What does not
read puts the object in the quarantine (archive.index.quarantine) and the run goes on with
the next object. A store that cannot be read right now (a timeout) is not damage: that
object is left for the next run, and the others are indexed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial

from archive.config import Outlet
from archive.errors import StoreError
from archive.index import quarantine as qx
from archive.index.db import Index, utc_iso
from archive.index.quarantine import CHANGED, DAMAGED, MISSING, Quarantined, QuarantineError
from archive.moments import parse_utc
from archive.storage import ObjectStore, StoredObject
from archive.stored_warcs import ObjectRead, read_object
from archive.warc import WarcName, WarcNameError, crawl_batch, is_closed, store_prefix
from archive.workers import Workers, given_or_own

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
"""Called after each object with (bytes done, bytes to do, object key): the CLI's progress bar (MB/s)."""


@dataclass
class IndexRun:
    """What one index run over the store did."""

    listed: set[str] = field(default_factory=set)
    """The outlet's WARC objects in the store."""
    indexed: int = 0
    captures: int = 0
    touched: set[str] = field(default_factory=set)
    """Articles with a capture in what this run indexed."""
    quarantined: list[Quarantined] = field(default_factory=list)
    """Put in the quarantine (or kept there after a retry) by this run."""
    released: list[str] = field(default_factory=list)
    """Taken out of the quarantine: they read whole now."""
    unreadable: list[str] = field(default_factory=list)
    """Why objects could not be read from the store this time; retried next run."""

    def raise_for_problems(self, outlet: str) -> None:
        """Fail, after everything else was done, naming what an operator must look at."""
        self.raise_for_unreadable(outlet, action="are retried next run")
        if self.quarantined:
            raise QuarantineError(
                f"{len(self.quarantined)} WARC object(s) of {outlet} quarantined, every other object indexed "
                f"({self.indexed} read, {self.captures} captures); `edittrail status` and `edittrail audit` list "
                f"them. First: {self.quarantined[0].line()}"
            )

    def raise_for_unreadable(self, outlet: str, *, action: str) -> None:
        if self.unreadable:
            raise StoreError(
                f"{len(self.unreadable)} WARC object(s) of {outlet} could not be read from the store and {action}; "
                f"first: {self.unreadable[0]}"
            )


def index_objects(
    idx: Index,
    outlet: Outlet,
    store: ObjectStore,
    *,
    recorded: Mapping[str, str | None] | None = None,
    progress: Progress | None = None,
    recent_only: bool = False,
    workers: Workers | None = None,
    after_crawl: Callable[[list[str], datetime | None], None] | None = None,
) -> IndexRun:
    """Index every WARC object of the outlet the index has not taken yet; quarantine what is damaged.

    Taken means indexed, or quarantined while its size stays the same (a quarantined object is
    read again when its size in the store changes). ``recorded`` is what a rebuild knows of
    the objects' SHA-256s from the index it replaces: an object that no longer has its
    recorded SHA-256 is quarantined as changed.

    ``recent_only`` (the index step of each crawl) lists only the store's recent days
    (:func:`listing`), so a run's cost does not grow with the archive; the whole store is
    listed when the last whole listing is older than ``FULL_LISTING_EVERY``.

    Objects are read ahead on ``workers`` (a rebuild's) while this process indexes the one
    before; without them, on workers of its own from ``PARALLEL_BYTES`` to read in two objects
    or more. Whatever a worker could not read, this process reads again, and meets as it would.

    ``after_crawl`` (a rebuild's detection, :mod:`archive.detect.following`): the objects are
    indexed a crawl at a time, crawls in the order they began (:func:`in_crawl_order`), and it is
    called after each crawl's last object with the keys of the crawl's objects indexed and when
    the next crawl began (:func:`_next_began`; ``NONE_LEFT`` after the last).
    """
    run = IndexRun()
    listed = listing(idx, outlet.name, store, recent_only=recent_only)
    run.listed = {obj.key for obj in listed}
    held = {entry.key: entry for entry in qx.entries(idx, outlet.name)}
    done = idx.indexed_keys(outlet.name, run.listed)
    todo = [obj for obj in listed if obj.key not in done or _resized(held.get(obj.key), obj)]
    if after_crawl is not None:
        todo = in_crawl_order(todo)
        began = crawl_starts(todo)
    total, done_bytes = sum(obj.size for obj in todo), 0
    with (
        given_or_own(workers, len(todo) > 1 and total >= PARALLEL_BYTES) as started,
        contextlib.closing(started.each(partial(read_object, store), [obj.key for obj in todo])) as reads,
    ):  # closed on an error too: reads queued ahead are cancelled
        crawl: list[str] = []
        for position, (obj, read_now) in enumerate(zip(todo, reads, strict=True)):
            if _index_one(idx, outlet, obj, read_now, held.get(obj.key), recorded, run):
                done_bytes += obj.size
                crawl.append(obj.key)
                if progress is not None:
                    progress(done_bytes, total, obj.key)
            if after_crawl is not None and _last_of_crawl(todo, position):
                after_crawl(crawl, _next_began(todo, position, began))
                crawl = []
    return run


def in_crawl_order(objects: list[StoredObject]) -> list[StoredObject]:
    """The objects a crawl at a time, crawls in the order they began (the opening time of their
    first file), each crawl's objects in key order. Objects not named by the writer (each a crawl
    of its own, of no known time) come first, in key order: once they are indexed, nothing left
    to index is of unknown time. Keys alone order crawls by day, then by run name."""
    began = crawl_starts(objects)
    first = datetime.min.replace(tzinfo=UTC)
    return sorted(objects, key=lambda obj: (began.get(crawl_batch(obj.key), first), crawl_batch(obj.key), obj.key))


def crawl_starts(objects: list[StoredObject]) -> dict[str, datetime]:
    """When each crawl began (its first file opened), by crawl; objects not named by the writer have none."""
    began: dict[str, datetime] = {}
    for obj in objects:
        try:
            name = WarcName.parse(obj.key)
        except WarcNameError:
            continue
        began[name.crawl] = min(began.get(name.crawl, name.opened_at), name.opened_at)
    return began


NONE_LEFT = datetime.max.replace(tzinfo=UTC)
"""When the next crawl began, as ``after_crawl`` is told it after the last crawl: never."""


def _next_began(todo: list[StoredObject], position: int, began: dict[str, datetime]) -> datetime | None:
    """When the crawl after the one ending at ``position`` began: ``NONE_LEFT`` after the last; None
    when it is an object not named by the writer (its captures may be from any time)."""
    return began.get(crawl_batch(todo[position + 1].key)) if position + 1 < len(todo) else NONE_LEFT


def _last_of_crawl(todo: list[StoredObject], position: int) -> bool:
    return position + 1 == len(todo) or crawl_batch(todo[position + 1].key) != crawl_batch(todo[position].key)


PARALLEL_BYTES = 16_000_000
"""Below this much WARC to read, an index step that has no workers reads its objects alone: workers
starting in a fresh process (a quarter second of imports) would cost more than they save. Measured
on this project's 2-core machine: two objects of 10 MB took 1.35 s alone, 1.13 s with workers
started cold."""


def _index_one(
    idx: Index,
    outlet: Outlet,
    obj: StoredObject,
    read_now: Callable[[], ObjectRead],
    before: Quarantined | None,
    recorded: Mapping[str, str | None] | None,
    run: IndexRun,
) -> bool:
    """Index one object as read (on a worker or here); False when the store could not give it now."""
    expected = (recorded or {}).get(obj.key) or (before.recorded_sha256 if before else None)
    try:
        read = read_now()
    except StoreError as exc:
        log.error("index could not read outlet=%s warc=%s (retried next run): %s", outlet.name, obj.key, exc)
        run.unreadable.append(str(exc))
        return False
    _take(idx, outlet, obj.key, read, expected, run)
    return True


FULL_LISTING_EVERY = timedelta(hours=24)
RECENT_DAYS = 2
"""Days before the newest indexed object's that a recent listing covers too (a crawl stored the
day after it began, a spool stored late)."""


def listing(idx: Index, outlet: str, store: ObjectStore, *, recent_only: bool = False) -> list[StoredObject]:
    """The outlet's WARC objects in the store: all of them, or those of the recent days.

    Objects are keyed by the day their crawl began (``warcs/<outlet>/YYYY/MM/DD/``), so a
    recent listing asks for the days from ``RECENT_DAYS`` before the newest object the index
    holds up to today: a few requests, whatever the archive's size. An object dated earlier
    (a spool stored days late) waits for the next whole listing, at most a day.
    """
    row = idx._db.execute(
        "SELECT key FROM warc_objects WHERE outlet = ? ORDER BY key DESC LIMIT 1", [outlet]
    ).fetchone()
    newest = row[0] if row else None
    row = idx._db.execute("SELECT listed_at FROM store_listings WHERE outlet = ?", [outlet]).fetchone()
    now = datetime.now(UTC)
    since = _day_of(newest)
    whole_due = row is None or now - parse_utc(row[0]) > FULL_LISTING_EVERY
    if not recent_only or whole_due or since is None:
        found = [obj for obj in store.list(store_prefix(outlet)) if is_closed(obj.key)]
        with idx._db.conn:
            idx._db.execute(
                "INSERT OR REPLACE INTO store_listings (outlet, listed_at) VALUES (?, ?)", [outlet, utc_iso(now)]
            )
        return found
    day, found = min(since - timedelta(days=RECENT_DAYS), now.date()), []
    while day <= now.date() + timedelta(days=1):  # a crawl host's clock a little ahead
        found += [obj for obj in store.list(store_prefix(outlet, day)) if is_closed(obj.key)]
        day += timedelta(days=1)
    return found


def _day_of(key: str | None) -> date | None:
    """The crawl day in an object key ``warcs/<outlet>/YYYY/MM/DD/<file>``."""
    parts = (key or "").split("/")
    try:
        return date(int(parts[2]), int(parts[3]), int(parts[4])) if len(parts) >= 6 else None
    except ValueError:
        return None


def quarantine_missing(idx: Index, outlet: str, recorded: Mapping[str, str | None], keys: set[str]) -> None:
    """Record objects a rebuild found gone from the store: their captures are dropped, not forgotten."""
    now = utc_iso(datetime.now(UTC))
    with idx._db.conn:
        for key in sorted(keys):
            entry = Quarantined(
                key, outlet, MISSING, "missing from the store", now, now, recorded_sha256=recorded.get(key)
            )
            qx.put(idx, entry)
            log.error("quarantined outlet=%s %s", outlet, entry.line())


def _take(idx: Index, outlet: Outlet, key: str, read: ObjectRead, expected: str | None, run: IndexRun) -> None:
    """Index what one object gave, with its quarantine entry or without one, in one transaction."""
    problem = _problem(read, expected)
    now = utc_iso(datetime.now(UTC))
    with idx._db.conn:
        sha256 = expected if problem and expected else read.sha256  # a changed object keeps the recorded one
        captures = idx.add_warc(outlet, key, read.records, size=read.size, sha256=sha256, touched=run.touched)
        if problem is None:
            if qx.release(idx, key):
                run.released.append(key)
        else:
            kind, error = problem
            first = read.errors[0].offset if read.errors else None
            entry = Quarantined(
                key,
                outlet.name,
                kind,
                error,
                now,
                now,
                read.size,
                read.sha256,
                expected,
                first,
                len(read.errors),
                captures,
            )
            run.quarantined.append(qx.put(idx, entry))
    run.indexed += 1
    run.captures += captures
    if problem is not None:
        log.error("quarantined outlet=%s %s", outlet.name, run.quarantined[-1].line())
    elif key in run.released:
        log.warning("released from the quarantine outlet=%s warc=%s: it reads whole now", outlet.name, key)


def _problem(read: ObjectRead, expected: str | None) -> tuple[str, str] | None:
    """(kind, error) when the object cannot be taken whole, else None."""
    changed = bool(expected) and read.sha256 != expected
    if read.errors:
        first = read.errors[0]
        more = f" (and {len(read.errors) - 1} more damaged record(s))" if len(read.errors) > 1 else ""
        note = "; its SHA-256 is not the one recorded when it was indexed whole" if changed else ""
        return DAMAGED, f"at offset {first.offset}: {first.reason}{more}{note}"
    if changed:
        assert expected is not None
        return CHANGED, (
            f"its SHA-256 {read.sha256[:16]}… is not the {expected[:16]}… recorded when it was indexed whole: "
            "the object changed in the store"
        )
    return None


def _resized(entry: Quarantined | None, obj: StoredObject) -> bool:
    """A quarantined object whose size changed: repaired (or damaged anew), so worth reading again."""
    return entry is not None and entry.size != obj.size
