"""The outlet's learned noise: one row per pattern detect learned (archive.detect.noise decides
what is noise and builds the model from these rows; this module only keeps them).

Derived like every detection table: ``redetect`` and ``reindex`` learn it again from the WARCs.
The table is as small as the outlet's noise, not its archive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from archive.index.records import LearnedNoise, NoisePattern

if TYPE_CHECKING:
    from archive.index import Index


def learned_keys(index: Index, outlet: str) -> set[str]:
    """The keys of every pattern learned for the outlet: evidence of those is not counted again."""
    db = index._db
    return {row[0] for row in db.execute("SELECT key FROM noise_learned WHERE outlet = ?", [outlet])}


def add_learned(index: Index, outlet: str, patterns: Iterable[NoisePattern]) -> int:
    """Keep the patterns as learned now; returns how many."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [(outlet, *(getattr(p, name) for name in _PATTERN_FIELDS), now) for p in patterns]
    if rows:  # most batches learn nothing new
        with index._db.conn:  # the caller's transaction, or one of its own
            index._db.conn.executemany(_INSERT_LEARNED, rows)
    return len(rows)


_PATTERN_FIELDS = tuple(f.name for f in fields(NoisePattern))
_INSERT_LEARNED = (
    f"INSERT OR REPLACE INTO noise_learned ({', '.join(['outlet', *_PATTERN_FIELDS, 'learned_at'])}) "  # noqa: S608 (the dataclass's fields)
    f"VALUES ({', '.join('?' * (len(_PATTERN_FIELDS) + 2))})"
)


def learned(index: Index, outlet: str) -> list[LearnedNoise]:
    """What was learned, oldest first (for ``status`` and the article page)."""
    db = index._db
    if not db["noise_learned"].exists():
        return []
    return [
        LearnedNoise.from_row(row)
        for row in db.query(
            "SELECT kind, field, pattern, slot, articles, learned_at, example FROM noise_learned "
            "WHERE outlet = ? ORDER BY learned_at, kind, field, pattern, slot",
            [outlet],
        )
    ]
