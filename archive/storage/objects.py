"""What every object store is and gives: the ``ObjectStore`` protocol and the objects it lists.

A module of its own so the backends (``local.py``, ``s3.py``) can import it while the package,
which chooses a backend by URI scheme (``archive.storage.open_store``), imports them: callers
use the package's names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol


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
