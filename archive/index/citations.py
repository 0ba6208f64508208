"""Where a capture's evidence lies: its WARC file, offset, length and stored digests, for citing.

A citation must let a reader find the exact bytes again and check them: the record is named
by its WARC-Record-ID and located by WARC object key, offset and length, and two digests the
index stored are given: the record's ``WARC-Payload-Digest`` (as the WARC header says it,
SHA-1 in base32 over the HTTP payload as received) and the SHA-256 of the whole WARC object as
it was when indexed. Nothing here reads the WARC itself: the index answers from its rows, and
the page reads only the cited records' bytes, by range (``archive.api.cite.record_digests``),
never whole objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.index.chunks import in_chunks

if TYPE_CHECKING:
    from archive.index import Index

_LOCATE = (
    "SELECT c.record_id, c.url, c.fetched_at, c.record_type, c.warc, c.offset, c.length, c.payload_digest, "
    "w.sha256 FROM captures c LEFT JOIN warc_objects w ON w.key = c.warc"
)


@dataclass(frozen=True)
class RecordLocation:
    """One WARC record as the index knows it: enough to fetch and verify its bytes."""

    record_id: str
    url: str
    fetched_at: str
    record_type: str
    warc: str
    offset: int
    length: int
    payload_digest: str | None
    """``WARC-Payload-Digest`` as written in the record (``sha1:`` + base32)."""
    warc_sha256: str | None
    """SHA-256 of the whole WARC object, recorded when it was indexed (None if not recorded)."""


def record_locations(index: Index, record_ids: Iterable[str]) -> dict[str, RecordLocation]:
    """The location and digests of each record id the index holds, by record id (unknown ids are left out)."""
    db = index._db
    wanted = sorted({r for r in record_ids if r})
    found: dict[str, RecordLocation] = {}
    for chunk, marks in in_chunks(wanted):
        rows = db.execute(f"{_LOCATE} WHERE c.record_id IN ({marks})", chunk)
        for row in rows:
            found[row[0]] = RecordLocation(*row)
    return found
