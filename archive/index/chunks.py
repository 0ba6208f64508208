"""Lookups by many keys, a bounded number per statement: ``IN (?, ?, ...)`` lists cut in chunks.

SQLite allows 32,766 parameters in one statement; small chunks keep each statement cheap to
prepare and plan, and a caller's list of keys (a store's listing, a batch's record or article
ids) may be of any length.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

KEY_CHUNK = 500
"""Keys looked up per statement."""
T = TypeVar("T")


def in_chunks(keys: Sequence[T], size: int = KEY_CHUNK) -> Iterator[tuple[Sequence[T], str]]:
    """Each run of at most ``size`` keys, with the placeholders of its ``IN`` list (``?, ?, ?``)."""
    for start in range(0, len(keys), size):
        part = keys[start : start + size]
        yield part, ", ".join("?" * len(part))
