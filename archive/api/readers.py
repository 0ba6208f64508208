"""The service's read-only index connections: one per worker thread, kept between requests.

Opening the index read-only for every request (``Config.index_path`` resolving the path,
connect, ``busy_timeout``, the schema check) was about 40% of the server's CPU time per CDX
lookup. A connection is therefore kept per thread (SQLite connections stay in the thread
that made them) and checked, cheaply, before each request:

- the index file is still the one the connection opened (same device and inode): an index
  replaced by another file (restored, moved in) is reopened, and a missing one is the same
  ``ArchiveIndexError`` (HTTP 503) as before;
- ``PRAGMA data_version`` is unchanged, i.e. no other connection has committed since the last
  look. When it has changed (a crawl's index step, a reindex swapping in its rows, a
  migration), the schema version is read again, so a migrated or downgraded index gives the
  same 503 as a fresh ``Index(path, readonly=True)`` would.

Between requests a connection holds no read transaction (each statement ends with the
request), so a kept connection never stops the pipeline's writer or a WAL checkpoint; like
every WAL reader it sees each commit from its next statement on. A thread's connection is
closed when the thread ends.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from archive.index import Index
from archive.index import captures as captures_index
from archive.index.schema import MIGRATIONS

CACHE_KIB = 256
"""SQLite's page cache per kept connection. Lookups are scattered over the whole index, so a
bigger cache hardly hits more (the OS caches the file): SQLite's default 2 MiB per thread
raised the server's peak memory from 107 to 159 MB at a million captures, for the same req/s."""


@dataclass
class _Held:
    index: Index
    file: tuple[int, int]
    """(st_dev, st_ino) of the index file the connection opened."""
    data_version: int


class Readers:
    """Read-only ``Index`` objects for ``path``, one per calling thread, reopened when stale."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def get(self) -> Index:
        """This thread's read-only index, checked to be current (ArchiveIndexError when it is unusable)."""
        held: _Held | None = getattr(self._local, "held", None)
        try:
            stat = os.stat(self.path)
        except OSError:
            self._drop()
            return Index(self.path, readonly=True)  # raises ArchiveIndexError: no index yet
        file = (stat.st_dev, stat.st_ino)
        if held is not None and held.file == file:
            version = _data_version(held.index)
            if version == held.data_version:
                return held.index
            if held.index.schema_version() == len(MIGRATIONS):
                held.data_version = version
                return held.index
        self._drop()
        index = Index(self.path, readonly=True)
        captures_index.limit_cache(index, CACHE_KIB)
        self._local.held = _Held(index, file, _data_version(index))
        return index

    def _drop(self) -> None:
        held: _Held | None = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None:
            held.index.close()


def _data_version(index: Index) -> int:
    return captures_index.data_version(index)
