"""The SQLite index: a cache of what the WARCs say, rebuilt from them by ``edittrail reindex``.

``db.py`` opens it (one writer, read-only readers) and holds the capture queries;
``schema.py`` the migrations; ``versions.py`` the article versions and changes.
"""

from archive.index.db import CAPTURE_RECORD_TYPES, Capture, Index, capture_from_record, utc_iso

__all__ = ["CAPTURE_RECORD_TYPES", "Capture", "Index", "capture_from_record", "utc_iso"]
