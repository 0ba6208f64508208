"""Give back what a capture archived: its HTTP head and its payload exactly as received.

A ``response`` row's record holds its payload. A ``revisit`` row's record holds only the
HTTP head of that fetch and names an earlier record with an identical payload
(identical-payload-digest profile), so retrieval follows it there: by WARC-Refers-To (the
record id) when the revisit has one, else by URL and payload digest. Every record is read by
range (warc, offset, length from the index) with its digests checked, so the payload that
comes back is provably the one the crawler received.
"""

from __future__ import annotations

from dataclasses import dataclass

import surt

from archive.errors import ArchiveIndexError
from archive.index import Capture, Index
from archive.index import captures as captures_index
from archive.storage import ObjectStore
from archive.warc import LoadedRecord, WarcReadError, load_record

MAX_HOPS = 5  # a revisit of a revisit is tolerated (other tools write them); a loop is not
IDENTICAL_PAYLOAD_PROFILES = frozenset(
    {
        "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
        "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest",
    }
)


@dataclass(frozen=True)
class RetrievedCapture:
    """One capture as archived; ``original`` is the row whose record held the payload."""

    row: Capture
    original: Capture
    status: int | None
    http_headers: list[tuple[str, str]]
    payload: bytes  # still Content-Encoded, as the server sent it

    @property
    def is_revisit(self) -> bool:
        return self.row.record_id != self.original.record_id


def retrieve(store: ObjectStore, index: Index, row: Capture) -> RetrievedCapture:
    """The head of the capture ``row`` and the payload it stands for, following revisits."""
    return _retrieve(store, index, row)[0]


def stored_records(store: ObjectStore, index: Index, row: Capture) -> bytes:
    """The capture's record exactly as stored and, for a revisit, the record holding its payload
    after it: a valid ``.warc.gz`` stream.

    The bytes are given only after the checks :func:`retrieve` makes on them (each record is
    the one the index names, its digests match its content, the payload is the one the index
    expects), so a tampered or misaligned record is an error, never output.
    """
    got, head, original = _retrieve(store, index, row)
    return head + original if got.is_revisit else head


def _retrieve(store: ObjectStore, index: Index, row: Capture) -> tuple[RetrievedCapture, bytes, bytes]:
    """The capture, and the stored bytes of its own record and of the one holding its payload."""
    head_bytes, record = read_row(store, row)
    data = head_bytes
    head = record
    seen = {row.record_id}
    current = row
    while record.info.record_type == "revisit":
        if len(seen) > MAX_HOPS:
            raise ArchiveIndexError(f"{_where(row)}: more than {MAX_HOPS} revisit records in a chain; check the WARCs")
        if record.info.profile not in IDENTICAL_PAYLOAD_PROFILES:
            raise ArchiveIndexError(
                f"{_where(current)}: revisit profile {record.info.profile!r} does not promise an identical "
                "payload, so there is no payload to give back"
            )
        current = _referred(index, current, record)
        if current.record_id in seen:
            raise ArchiveIndexError(f"{_where(row)}: revisit records refer to each other in a loop; check the WARCs")
        seen.add(current.record_id)
        data, record = read_row(store, current)
    if record.info.record_type != "response":
        raise ArchiveIndexError(f"{_where(current)}: a {record.info.record_type} record, not a capture")
    if record.info.payload_digest != row.payload_digest:
        raise ArchiveIndexError(
            f"{_where(row)}: the record it refers to ({_where(current)}) has payload digest "
            f"{record.info.payload_digest}, not {row.payload_digest}; run `edittrail audit`"
        )
    capture = RetrievedCapture(
        row=row,
        original=current,
        status=head.info.status,
        http_headers=head.http_headers or [],
        payload=record.payload,
    )
    return capture, head_bytes, data


def load_row(store: ObjectStore, row: Capture) -> LoadedRecord:
    """The record an index row points at, digests checked; the id must be the row's."""
    return read_row(store, row)[1]


def read_row(store: ObjectStore, row: Capture) -> tuple[bytes, LoadedRecord]:
    """The stored bytes of the record an index row points at, and the record read from them,
    digests checked; the id must be the row's."""
    data = store.read_range(row.warc, row.offset, row.length)
    try:
        record = load_record(data, offset=row.offset, name=row.warc, verify_digests=True)
    except WarcReadError as exc:
        raise WarcReadError(exc.name, exc.offset, f"{exc.reason} (index row of {row.url})") from exc
    if record.info.record_id != row.record_id:
        raise ArchiveIndexError(
            f"{_where(row)}: the index expects record {row.record_id} there but the WARC holds "
            f"{record.info.record_id}; the index is stale: run `edittrail reindex`"
        )
    return data, record


def original_capture(index: Index, row: Capture, url: str | None = None) -> Capture | None:
    """The newest ``response`` row of the same URL with the same payload digest, at or before
    ``row``: the record a revisit written by edittrail refers to, found from the index alone
    (the crawler uses this: it has the index but not the store)."""
    url = url or row.url
    return captures_index.newest_response_with_payload(index, surt.surt(url), url, row.payload_digest, row.fetched_at)


def capture_by_id(index: Index, record_id: str) -> Capture | None:
    """The captures row of one WARC-Record-ID."""
    return captures_index.by_record_id(index, record_id)


def _referred(index: Index, row: Capture, record: LoadedRecord) -> Capture:
    info = record.info
    found = capture_by_id(index, info.refers_to) if info.refers_to else None
    if found is None:
        found = original_capture(index, row, url=info.refers_to_uri)
    if found is None:
        target = info.refers_to or f"{info.refers_to_uri or row.url} at {info.refers_to_date or 'an earlier date'}"
        raise ArchiveIndexError(
            f"{_where(row)}: the revisit refers to {target}, which is not in the index; index the WARC "
            "holding it (`edittrail reindex`) or restore that WARC from a backup"
        )
    return found


def _where(row: Capture) -> str:
    return f"{row.url} ({row.record_type} {row.record_id} in {row.warc} at {row.offset})"
