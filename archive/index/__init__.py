"""The SQLite index: a cache of what the WARCs say, rebuilt from them by ``edittrail reindex``.

This package is the only code that knows the index's tables and columns (a test,
tests/test_sql_owners.py, fails on SQL anywhere else): the other stages call the named
functions here, handing them the :class:`Index`; its database (``Index._db``) never leaves
the package, and rows come back as the frozen records of ``records.py``.
``db.py`` opens it (one writer, read-only readers); ``schema.py`` holds its
numbered steps; one module per table family: ``captures.py`` (captures, the ``detected``
join), ``versions.py`` (versions and the detect bookkeeping), ``changes.py`` (changes as the
read side lists them), ``articles.py``, ``noise.py`` (learned noise), ``stored.py`` (WARC
objects and tables), ``quarantine.py``; ``objects.py`` reads stored WARC objects into it, one
at a time; ``aside.py`` is where ``reindex`` builds a new index before swapping its rows in
(``Index.swap_outlet``); ``snapshot.py`` copies a live SQLite file consistently for backups;
``records.py`` holds the typed rows its functions take and give back (versions, changes, ...).
"""

from archive.index.db import CAPTURE_RECORD_TYPES, Index, capture_from_record, utc_iso
from archive.index.records import (
    ArticleState,
    Capture,
    CdxCapture,
    Change,
    DetectedCapture,
    HostState,
    LearnedNoise,
    ListedChange,
    SearchHit,
    StoredChange,
    Version,
)

__all__ = [
    "CAPTURE_RECORD_TYPES",
    "ArticleState",
    "Capture",
    "CdxCapture",
    "Change",
    "DetectedCapture",
    "HostState",
    "Index",
    "LearnedNoise",
    "ListedChange",
    "SearchHit",
    "StoredChange",
    "Version",
    "capture_from_record",
    "utc_iso",
]
