"""A stored WARC object read whole, once: the records that read, the damage met, its size and SHA-256.

The index step reads every object this way (:mod:`archive.index.objects`), on worker processes
when it has many to read (:mod:`archive.workers`). It sits apart from the index so that a worker
reading objects imports only the store and the WARC reader, not the index and its URL keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, cast

from archive.storage import HashingReader, ObjectStore
from archive.warc import WarcReadError, WarcRecordInfo, scan_records


@dataclass(frozen=True)
class ObjectRead:
    """What one pass over a stored object gave: the records that read, the damage, the bytes."""

    records: list[WarcRecordInfo]
    errors: list[WarcReadError]
    size: int
    sha256: str


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
