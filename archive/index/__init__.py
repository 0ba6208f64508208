"""The SQLite index: a cache of what the WARCs say, rebuilt from them by ``edittrail reindex``.

``db.py`` opens it (one writer, read-only readers) and holds the capture queries;
``schema.py`` the migrations; ``versions.py`` the article versions and changes;
``objects.py`` reads stored WARC objects into it, one at a time, and ``quarantine.py``
keeps those that do not read whole; ``aside.py`` is where ``reindex`` builds a new index
before swapping its rows in (``Index.swap_outlet``).
"""

from archive.index.db import CAPTURE_RECORD_TYPES, Capture, Index, capture_from_record, utc_iso

__all__ = ["CAPTURE_RECORD_TYPES", "Capture", "Index", "capture_from_record", "utc_iso"]
