"""Content decoding for the framed view (``if_``), bounded by what the rewriter may hold.

The rewriter needs an archived page's whole decoded body in memory, and an archived body is
data from the outside world: 100 KB of gzip can hold 100 MiB of zeros. Decoding is
streaming and stops as soon as the output passes ``limit`` (``archive.extract.coding``), so
one request holds at most about ``limit`` bytes however large the bomb. A body over the limit
is a :class:`BodyTooLargeError`; the service answers it with HTTP 502 (the
archived response cannot be replayed as a page; like a damaged record, the fault is in what
was archived, not in the request), and points at ``id_``, which serves the stored bytes as
stored and never decodes them.

At most :data:`MAX_CONCURRENT` pages are decoded and rewritten at once (:data:`SLOTS`, held by
``archive.api.rewrite.framed``), so memory stays bounded under concurrency too: a request that
finds no free slot within :data:`SLOT_WAIT_SECONDS` gets :class:`DecodeBusyError` (HTTP 503).

Extraction decodes through the same code with its own, larger, limit (detect may hold more
than a web request should).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from archive.errors import EdittrailError
from archive.extract import coding
from archive.extract.coding import BodyTooLargeError

MAX_DECODED_BYTES = 16 * 1024 * 1024
"""The largest decoded page or style sheet the framed view rewrites (news pages are well under 2 MiB)."""
MAX_CONCURRENT = 4
SLOT_WAIT_SECONDS = 30.0
TOO_LARGE_HINT = ", more than the framed view rewrites; the archived response itself, as stored, is at its id_ URL"

__all__ = ["SLOTS", "BodyTooLargeError", "DecodeBusyError", "Slots", "decoded_body"]


class DecodeBusyError(EdittrailError):
    """Every decoding slot stayed busy (HTTP 503): the server is rewriting as many pages as it may."""


class Slots:
    """At most ``count`` holders at once; a holder waits at most ``wait_seconds`` for its turn."""

    def __init__(self, count: int, wait_seconds: float) -> None:
        self._semaphore = threading.BoundedSemaphore(count)
        self.count = count
        self.wait_seconds = wait_seconds

    @contextmanager
    def held(self) -> Iterator[None]:
        if not self._semaphore.acquire(timeout=self.wait_seconds):
            raise DecodeBusyError(
                f"{self.count} archived pages are being decoded for viewing already; try again in a moment"
            )
        try:
            yield
        finally:
            self._semaphore.release()


SLOTS = Slots(MAX_CONCURRENT, SLOT_WAIT_SECONDS)


def decoded_body(
    headers: list[tuple[str, str]], payload: bytes, *, where: str, limit: int = MAX_DECODED_BYTES
) -> bytes:
    """The body to rewrite: decoded, at most ``limit`` bytes (BodyTooLargeError, HTTP 502, past it)."""
    return coding.decoded_body(headers, payload, where=where, limit=limit, hint=TOO_LARGE_HINT)
