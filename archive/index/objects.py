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

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO, cast

from archive.config import Outlet
from archive.errors import StoreError
from archive.index import quarantine as qx
from archive.index.db import Index, utc_iso
from archive.index.quarantine import CHANGED, DAMAGED, MISSING, Quarantined, QuarantineError
from archive.storage import HashingReader, ObjectStore, StoredObject
from archive.warc import WarcReadError, WarcRecordInfo, scan_records

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
"""Called after each object with (objects done, objects to do, object key): the CLI's progress bar."""


@dataclass(frozen=True)
class ObjectRead:
    """What one pass over a stored object gave: the records that read, the damage, the bytes."""

    records: list[WarcRecordInfo]
    errors: list[WarcReadError]
    size: int
    sha256: str


@dataclass
class IndexRun:
    """What one index run over the store did."""

    listed: set[str] = field(default_factory=set)
    """The outlet's WARC objects in the store."""
    indexed: int = 0
    captures: int = 0
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
) -> IndexRun:
    """Index every WARC object of the outlet the index has not taken yet; quarantine what is damaged.

    Taken means indexed, or quarantined while its size stays the same (a quarantined object is
    read again when its size in the store changes). ``recorded`` is what a rebuild knows of
    the objects' SHA-256s from the index it replaces: an object that no longer has its
    recorded SHA-256 is quarantined as changed.
    """
    run = IndexRun()
    listed = [obj for obj in store.list(f"warcs/{outlet.name}/") if obj.key.endswith(".warc.gz")]
    run.listed = {obj.key for obj in listed}
    held = {entry.key: entry for entry in qx.entries(idx.db, outlet.name)}
    done = idx.indexed_keys(outlet.name)
    todo = [obj for obj in listed if obj.key not in done or _resized(held.get(obj.key), obj)]
    for number, obj in enumerate(todo, 1):
        before = held.get(obj.key)
        expected = (recorded or {}).get(obj.key) or (before.recorded_sha256 if before else None)
        try:
            read = read_object(store, obj.key)
        except StoreError as exc:
            log.error("index could not read outlet=%s warc=%s (retried next run): %s", outlet.name, obj.key, exc)
            run.unreadable.append(str(exc))
            continue
        _take(idx, outlet, obj.key, read, expected, run)
        if progress is not None:
            progress(number, len(todo), obj.key)
    return run


def read_object(store: ObjectStore, key: str) -> ObjectRead:
    """Every record of one object that reads (digests verified), the damage met, size and SHA-256."""
    records: list[WarcRecordInfo] = []
    errors: list[WarcReadError] = []
    with store.open(key) as raw:
        stream = HashingReader(raw)
        for item in scan_records(cast(BinaryIO, stream), name=key, verify_digests=True):
            if isinstance(item, WarcReadError):
                errors.append(item)
            else:
                records.append(item)
        stream.drain()
    return ObjectRead(records, errors, stream.size, stream.hexdigest())


def quarantine_missing(idx: Index, outlet: str, recorded: Mapping[str, str | None], keys: set[str]) -> None:
    """Record objects a rebuild found gone from the store: their captures are dropped, not forgotten."""
    now = utc_iso(datetime.now(UTC))
    with idx.db.conn:
        for key in sorted(keys):
            entry = Quarantined(
                key, outlet, MISSING, "missing from the store", now, now, recorded_sha256=recorded.get(key)
            )
            qx.put(idx.db, entry)
            log.error("quarantined outlet=%s %s", outlet, entry.line())


def _take(idx: Index, outlet: Outlet, key: str, read: ObjectRead, expected: str | None, run: IndexRun) -> None:
    """Index what one object gave, with its quarantine entry or without one, in one transaction."""
    problem = _problem(read, expected)
    now = utc_iso(datetime.now(UTC))
    with idx.db.conn:
        sha256 = expected if problem and expected else read.sha256  # a changed object keeps the recorded one
        captures = idx.add_warc(outlet, key, read.records, size=read.size, sha256=sha256)
        if problem is None:
            if qx.release(idx.db, key):
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
            run.quarantined.append(qx.put(idx.db, entry))
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
