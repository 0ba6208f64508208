"""The quarantine: stored WARC objects the index could not take whole, and why.

A WARC object lands here when the index step finds it **damaged** (a record that does not
read or whose digest does not match: the whole records before gzip-level damage, and every
other record around record-level damage, are indexed anyway), **changed** (it reads, but
its SHA-256 is not the one recorded when it was first indexed whole: ``reindex`` does not
launder a changed object), or **missing** (``reindex`` found it gone from the store, so its
captures were dropped). Every other object is indexed as usual: one bad object never stops
the index step, nor empties the archive.

A quarantined object is not read again by every index run. The index step retries it when
its size in the store changes (a truncated object restored, a missing one back: it is then
indexed like a new one); ``edittrail reindex`` re-reads every object, so it is the way to
take back one repaired in place with the same size. ``status`` and ``audit`` list the
quarantine, one line each.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveIndexError

if TYPE_CHECKING:
    from archive.index import Index

DAMAGED, CHANGED, MISSING = "damaged", "changed", "missing"


class QuarantineError(ArchiveIndexError):
    """Raised after every other object was indexed, when objects were put in the quarantine."""


@dataclass(frozen=True)
class Quarantined:
    """One quarantined WARC object: what is wrong with it, where, and what of it is indexed."""

    key: str
    outlet: str
    kind: str
    """``damaged``, ``changed`` or ``missing``."""
    error: str
    quarantined_at: str
    checked_at: str
    size: int | None = None
    """Bytes in the store when it was last read; None when it is missing."""
    sha256: str | None = None
    """Of the bytes last read."""
    recorded_sha256: str | None = None
    """Recorded when the object was last indexed whole, if it ever was: what a restored copy must match."""
    offset: int | None = None
    """Of the first record that could not be read."""
    damaged_records: int = 0
    captures: int = 0
    """Captures indexed from its readable records."""

    def line(self) -> str:
        """One line for the log, ``status`` and ``audit``: what, since when, and what to do."""
        kept = f"{self.captures} capture(s) from its readable records are indexed"
        if self.kind == MISSING:
            return (
                f"{self.key}: missing from the store since {self.quarantined_at}; its captures were dropped from "
                "the index: restore it from a backup of the store (the next index step takes it back)"
            )
        return (
            f"{self.key}: quarantined ({self.kind}) since {self.quarantined_at}: {self.error}; {kept}; once it is "
            f"restored from a backup of the store, run `edittrail reindex --outlet {self.outlet}`"
        )


def put(index: Index, entry: Quarantined) -> Quarantined:
    """Quarantine an object, or update its entry; the first ``quarantined_at`` is kept."""
    db = index._db
    before = get(index, entry.key)
    if before is not None:
        entry = replace(entry, quarantined_at=before.quarantined_at)
    db.table("quarantine").upsert(asdict(entry), pk="key")
    return entry


def keep_first_seen(index: Index, since: dict[str, str]) -> None:
    """Give entries the earlier ``quarantined_at`` an older index had for the same object (a rebuild)."""
    db = index._db
    for key, moment in since.items():
        db.execute(
            "UPDATE quarantine SET quarantined_at = ? WHERE key = ? AND quarantined_at > ?", [moment, key, moment]
        )


def release(index: Index, key: str) -> bool:
    """Forget an object's entry (it was indexed whole); True if it had one."""
    db = index._db
    return db.execute("DELETE FROM quarantine WHERE key = ?", [key]).rowcount > 0


def get(index: Index, key: str) -> Quarantined | None:
    db = index._db
    rows = list(db.query("SELECT * FROM quarantine WHERE key = ?", [key]))
    return _entry(rows[0]) if rows else None


def entries(index: Index, outlet: str) -> list[Quarantined]:
    """The outlet's quarantine, by key."""
    db = index._db
    return [_entry(row) for row in db.query("SELECT * FROM quarantine WHERE outlet = ? ORDER BY key", [outlet])]


def recorded_sha256s(index: Index, outlet: str) -> dict[str, str | None]:
    """Every WARC object the index knows for the outlet, with the SHA-256 its bytes must have.

    That is the one recorded when the object was last indexed whole; for one quarantined
    since, the recorded one it had then (None when it was damaged from the first read on:
    its damaged bytes prove nothing about a restored copy). Missing objects are included,
    so that a rebuild still knows they existed.
    """
    db = index._db
    recorded: dict[str, str | None] = {
        key: sha for key, sha in db.execute("SELECT key, sha256 FROM warc_objects WHERE outlet = ?", [outlet])
    }
    for entry in entries(index, outlet):
        recorded[entry.key] = entry.recorded_sha256
    return recorded


def _entry(row: dict[str, Any]) -> Quarantined:
    return Quarantined(**{k: row[k] for k in Quarantined.__dataclass_fields__})
