"""Integrity audit: are the stored WARCs still what was stored, and does the index still point
at them correctly?

Each WARC object of the outlet is read once, as a stream: its SHA-256 is compared with the
one recorded when it was indexed (the index's ``warc_objects.sha256``, else the store's own
record of it at upload), even when its records cannot be parsed; every record's block and
payload digests are recomputed, and every index row must find, at its offset, a record with
its record id, type, target URI, length and payload digest. A revisit row must also resolve
to the record holding its payload. Anything else is a problem: the report lists each one
with where it is and what to do, and ``ok`` is false.

What the index step quarantined (archive.index.quarantine: damaged, changed or missing
objects, only partly indexed or not at all) is listed too, with the index's reason, and is
a problem until a repaired object is indexed whole again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from archive.config import Config, store_for
from archive.errors import EdittrailError, StoreError
from archive.index import CAPTURE_RECORD_TYPES, Capture, Index
from archive.index import captures as cx
from archive.index import quarantine as qx
from archive.read.retrieve import capture_by_id, original_capture
from archive.storage import HashingReader, ObjectStore
from archive.storage.s3_settings import S3Credentials
from archive.warc import WarcReadError, WarcRecordInfo, is_closed, iter_records, store_prefix

log = logging.getLogger(__name__)
MAX_LINES_PER_OBJECT = 5


class AuditError(EdittrailError):
    """The audit found stored objects or index rows that do not agree."""


@dataclass(frozen=True)
class AuditReport:
    """What one audit of one outlet checked and found."""

    outlet: str
    store: str
    objects: int
    records: int
    rows: int
    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """A summary line, then one line per problem and note: what the CLI prints."""
        verdict = "OK" if self.ok else f"{len(self.problems)} problem(s)"
        head = (
            f"audit of {self.outlet} in {self.store}: {self.objects} WARC objects, {self.records} records, "
            f"{self.rows} index rows checked: {verdict}"
        )
        return [head, *(f"PROBLEM {p}" for p in self.problems), *(f"note: {n}" for n in self.notes)]

    def raise_for_problems(self) -> None:
        """For a scheduled task: fail, naming the first problem, when there is any."""
        if self.problems:
            raise AuditError(
                f"audit of {self.outlet} in {self.store} found {len(self.problems)} problem(s); "
                f"first: {self.problems[0]}"
            )


@dataclass
class _Tally:
    objects: int = 0
    records: int = 0
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    damaged: set[str] = field(default_factory=set)
    """Objects the audit found damaged, unreadable or changed (not merely indexed in part)."""


Progress = Callable[[int, int, str], None]
"""Called after each object with (objects done, objects in all, object key): the CLI's progress bar."""


def run_audit(
    config: Config, outlet_name: str, credentials: S3Credentials | None = None, progress: Progress | None = None
) -> AuditReport:
    """Audit one outlet's store against the index (read-only); what ``edittrail audit`` runs."""
    outlet = config.outlet(outlet_name)
    with Index(config.index_path, readonly=True) as idx:
        report = audit(store_for(config, outlet, credentials), idx, outlet.name, progress)
    for line in report.lines():
        (log.info if report.ok else log.warning)("%s", line)
    return report


def audit(store: ObjectStore, index: Index, outlet: str, progress: Progress | None = None) -> AuditReport:
    tally = _Tally()
    indexed = {obj.key: obj for obj in cx.indexed_objects(index, outlet)}
    stored = {obj.key: obj.size for obj in store.list(store_prefix(outlet)) if is_closed(obj.key)}
    for key in sorted(indexed.keys() - stored.keys()):
        tally.problems.append(
            f"{key}: in the index but missing from the store; restore it from a backup of the store (`edittrail "
            f"reindex --outlet {outlet}` would drop its rows and list it as missing until it is back)"
        )
    for warc, count in cx.rows_without_object(index, outlet):
        tally.problems.append(f"{warc}: {count} index rows point at an object the index never stored; run reindex")
    unindexed = sorted(stored.keys() - indexed.keys())
    if unindexed:
        tally.notes.append(f"{len(unindexed)} stored objects are not indexed yet (the next index step adds them)")
    unrecorded = 0
    both = sorted(stored.keys() & indexed.keys())
    unproven = {e.key for e in qx.entries(index, outlet) if e.recorded_sha256 is None}  # damaged from the start
    for done, key in enumerate(both, 1):
        expected = (None if key in unproven else indexed[key].sha256) or _recorded_sha256(store, key)
        unrecorded += expected is None
        _audit_object(store, index, key, indexed[key], expected, tally)
        if progress is not None:
            progress(done, len(both), key)
    if unrecorded:
        tally.notes.append(f"{unrecorded} objects have no recorded SHA-256; their record digests were checked instead")
    tally.problems += quarantine_problems(index, outlet, stored.keys(), tally.damaged)
    return AuditReport(
        outlet, store.url, tally.objects, tally.records, tally.rows, tuple(tally.problems), tuple(tally.notes)
    )


def _audit_object(
    store: ObjectStore,
    index: Index,
    key: str,
    indexed: cx.IndexedObject,
    expected_sha256: str | None,
    tally: _Tally,
) -> None:
    rows = {row.offset: row for row in cx.in_object(index, key)}
    tally.objects += 1
    tally.rows += len(rows)
    problems: list[str] = []
    complete = False
    try:
        with store.open(key) as raw:
            stream = HashingReader(raw)
            try:
                for record in iter_records(cast(BinaryIO, stream), name=key, verify_digests=True):
                    tally.records += 1
                    row = rows.pop(record.offset, None)
                    if row is not None:
                        problems += _compare(index, key, record, row)
                    elif record.record_type in CAPTURE_RECORD_TYPES and record.target_uri:
                        problems.append(
                            f"{key} at {record.offset}: {record.record_type} {record.record_id} has no index row; "
                            "run `edittrail reindex`"
                        )
            except WarcReadError as exc:  # damaged records: the rest of the bytes still get hashed
                problems.append(f"{exc} (found by the audit; the object is damaged)")
                tally.damaged.add(key)
            stream.drain()
            complete = True
    except StoreError as exc:
        problems.append(f"{exc} (found by the audit; the object is unreadable)")
        tally.damaged.add(key)
    if complete and expected_sha256 and stream.hexdigest() != expected_sha256:
        tally.damaged.add(key)
        problems.append(
            f"{key}: SHA-256 {stream.hexdigest()[:16]}… differs from the {expected_sha256[:16]}… recorded when it "
            "was stored and indexed: the object changed in the store; restore it from a backup copy and keep the "
            "changed one for inspection"
        )
    if complete and stream.size != indexed.size:
        problems.append(f"{key}: {stream.size} bytes in the store, {indexed.size} when indexed")
    for offset, row in sorted(rows.items()):
        problems.append(f"{key} at {offset}: the index row of {row.url} ({row.record_id}) finds no record there")
    if len(problems) > MAX_LINES_PER_OBJECT:
        more = len(problems) - MAX_LINES_PER_OBJECT
        problems = [*problems[:MAX_LINES_PER_OBJECT], f"{key}: … and {more} more problem(s) in this object"]
    tally.problems += problems
    log.info("audited warc=%s rows=%d problems=%d", key, tally.rows, len(problems))


def quarantine_problems(index: Index, outlet: str, stored: Iterable[str], damaged: set[str]) -> list[str]:
    """One line per quarantined object, with the index's reason; one that the audit just read
    whole (repaired in place) is still listed, since only part of it, or none, is indexed."""
    present = set(stored)
    lines = []
    for entry in qx.entries(index, outlet):
        if entry.key in present and entry.key not in damaged:
            lines.append(
                f"{entry.key}: quarantined ({entry.kind}) by the index since {entry.quarantined_at} ({entry.error}), "
                f"but it reads whole now: run `edittrail reindex --outlet {outlet}` to index it whole"
            )
        else:
            lines.append(entry.line())
    return lines


def _compare(index: Index, key: str, record: WarcRecordInfo, row: Capture) -> list[str]:
    where = f"{key} at {record.offset}"
    wanted: dict[str, tuple[object, object]] = {
        "record id": (row.record_id, record.record_id),
        "record type": (row.record_type, record.record_type),
        "target URI": (row.url, record.target_uri),
        "payload digest": (row.payload_digest, record.payload_digest),
        "length": (row.length, record.length),
    }
    problems = [
        f"{where}: the index says {name} {want!r}, the WARC has {have!r}; run `edittrail reindex`"
        for name, (want, have) in wanted.items()
        if want != have
    ]
    if not problems and record.record_type == "revisit":
        original = capture_by_id(index, record.refers_to) if record.refers_to else None
        original = original or original_capture(index, row, url=record.refers_to_uri)
        if original is None or original.payload_digest != row.payload_digest:
            problems.append(
                f"{where}: revisit {record.record_id} of {row.url} refers to "
                f"{record.refers_to or record.refers_to_uri}, which the index cannot resolve to a record with its "
                "payload; index or restore the WARC holding the original"
            )
    return problems


def _recorded_sha256(store: ObjectStore, key: str) -> str | None:
    try:
        return store.stat(key).sha256
    except StoreError:
        return None
