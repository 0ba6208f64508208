"""Object stores for closed WARC files, chosen by URI scheme.

The store is where evidence lives, so its contract is strict: ``put`` is create-only and
verified (an existing object with the same checksum counts as success, a different one is an
error that keeps both), reads are streamed or by byte range, and ``verify`` re-reads the
stored bytes. ``file://`` is the embedded default; ``s3://bucket/prefix`` is any S3-compatible
store (``archive/storage/s3.py``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from archive.errors import StoreError

if TYPE_CHECKING:
    from archive.storage.s3_settings import S3Settings

_WARC_NAME = re.compile(r"^(?P<prefix>.+)-(?P<ts>\d{14})-(?P<serial>\d{5})\.warc\.gz$")


@dataclass(frozen=True)
class StoredObject:
    """An object in the store, as listed or as just written."""

    key: str
    size: int
    sha256: str | None  # None in listings: hashing every object to list them would read the archive


class ObjectStore(Protocol):
    """What every backend offers; the pipeline and the index only use this."""

    url: str

    def put(self, path: Path, key: str) -> StoredObject:
        """Store a local file under ``key``, create-only, and verify it."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the whole object (the caller closes it)."""
        ...

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset``: one WARC record, by the index's coordinates."""
        ...

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every object whose key starts with ``prefix``, in key order."""
        ...

    def verify(self, key: str, sha256: str) -> bool:
        """Re-read the object and compare its SHA-256."""
        ...

    def stat(self, key: str) -> StoredObject:
        """Size and, where the store recorded it at upload, the SHA-256 of one object (no read)."""
        ...


class HashingReader:
    """A read-only stream that hashes what passes through it.

    Lets one pass over an object both parse its records and check its SHA-256 (the audit),
    or record the SHA-256 while indexing, instead of reading a 1 GB WARC twice.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._digest.update(data)
        self.size += len(data)
        return data

    def hexdigest(self) -> str:
        """SHA-256 of every byte read so far (read to the end first for the whole object's)."""
        return self._digest.hexdigest()

    def drain(self) -> None:
        """Read whatever the consumer left unread, so ``hexdigest`` covers the whole object."""
        while self.read(1 << 20):
            pass


def warc_object_key(outlet: str, filename: str) -> str:
    """``warcs/<outlet>/YYYY/MM/DD/<file>``: partitioned by the crawl date in the file name."""
    match = _WARC_NAME.match(filename)
    if not match:
        raise StoreError(f"{filename!r} is not a closed WARC file name (<prefix>-<YYYYMMDDHHMMSS>-<serial>.warc.gz)")
    ts = match.group("ts")
    return f"warcs/{outlet}/{ts[0:4]}/{ts[4:6]}/{ts[6:8]}/{filename}"


def warc_file_time(filename: str) -> datetime | None:
    """The crawl time encoded in a WARC file name, if it has one."""
    match = _WARC_NAME.match(Path(filename).name)
    if not match:
        return None
    return datetime.strptime(match.group("ts"), "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def open_store(url: str, root: Path, *, s3: S3Settings | None = None) -> ObjectStore:
    """The backend for a store URL; relative ``file://`` paths are taken from ``root``.

    ``s3`` says how to reach an ``s3://`` store (endpoint, region, checksums, credentials:
    ``Outlet.s3_settings`` builds it from ``[outlets.NAME.s3]``); without it boto3's own
    configuration applies: the standard credential chain, and
    ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` for an S3-compatible endpoint.
    """
    scheme, _, rest = url.partition("://")
    if scheme == "file":
        from archive.storage.local import LocalStore

        return LocalStore(root / rest)
    if scheme == "s3":
        from archive.storage.s3 import S3Store
        from archive.storage.s3_settings import S3Settings, parse_s3_url

        bucket, prefix = parse_s3_url(url)
        return S3Store(bucket, prefix, settings=s3 or S3Settings())
    raise StoreError(f"store {url!r}: unknown scheme {scheme!r}; use file:// or s3://")
