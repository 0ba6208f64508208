"""The project's error hierarchy.

Every error a user can cause or meet (bad config, an unreachable store, a broken WARC)
is an :class:`EdittrailError`; the CLI prints its message as one line and exits non-zero.
Anything else escaping to the top is a bug and keeps its traceback.
"""


class EdittrailError(Exception):
    """Base of all errors that carry a message meant for the user."""


class ConfigError(EdittrailError):
    """``outlets.toml`` (or a value derived from it) is invalid; the message names file, key and fix."""


class StoreError(EdittrailError):
    """The object store refused, lost or corrupted an object."""


class CaptureError(EdittrailError):
    """A crawl could not run or did not produce what it should."""


class ArchiveIndexError(EdittrailError):
    """The SQLite index is unusable (wrong schema version, locked, corrupt)."""
