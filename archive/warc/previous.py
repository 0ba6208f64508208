"""The crawl's revisit decision: which responses repeat a payload already archived.

A 2xx response whose payload equals that of the newest capture of the same URL (with the same
status) is written as a revisit record referring to the record that holds the payload; anything
else is written whole. The newest capture comes from this crawl if it fetched the URL already,
else from ``earlier`` (the index of earlier crawls: :func:`archive.index.captures.payload_holder`).
The spider's WARC middleware and the tests that write WARCs "as the crawl does" both use this,
so there is one rule.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from archive.warc.exchange import HttpRequestData, HttpResponseData, WrittenExchange
from archive.warc.records import RevisitOf, payload_digest
from archive.warc.writer import WarcWriter

Holder = tuple[int, RevisitOf]
"""(status, the record holding the payload) of a URL's newest capture."""


class PreviousCaptures:
    """The newest capture of each URL. Only 2xx responses with a body become revisits, and only of
    a capture with the same status: a revisit must stand for the page exactly as it was, and an
    error page or a retraction is kept whole as evidence."""

    def __init__(
        self, earlier: Callable[[str], Holder | None] | None = None, close: Callable[[], None] | None = None
    ) -> None:
        self._earlier, self._close = earlier, close
        self._this_crawl: dict[str, Holder] = {}

    def revisit_of(self, url: str, status: int, body: bytes) -> RevisitOf | None:
        """The record this response's payload repeats, or None when it must be written whole."""
        if not body or not 200 <= status < 300:
            return None
        last = self._this_crawl.get(url) or (self._earlier(url) if self._earlier else None)
        if last is None or last[0] != status or last[1].payload_digest != payload_digest(body):
            return None
        return last[1]

    def remember(self, url: str, status: int, holder: RevisitOf) -> None:
        """What this crawl just wrote for ``url``; ``holder`` is the record with the payload."""
        self._this_crawl[url] = (status, holder)

    def write(
        self,
        writer: WarcWriter,
        request: HttpRequestData,
        response: HttpResponseData,
        *,
        fetched_at: datetime,
        ip_address: str | None = None,
    ) -> tuple[WrittenExchange, RevisitOf | None]:
        """Write the exchange, as a revisit when it repeats a payload, and remember it; returns what
        was written and the record it revisits (None: written whole)."""
        revisit = self.revisit_of(request.url, response.status, response.body)
        written = writer.write_exchange(
            request, response, ip_address=ip_address, fetched_at=fetched_at, revisit_of=revisit
        )
        holder = revisit or RevisitOf(request.url, fetched_at, written.response_record_id, written.payload_digest)
        self.remember(request.url, response.status, holder)
        return written, revisit

    def close(self) -> None:
        if self._close is not None:
            self._close()
