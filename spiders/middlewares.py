"""Downloader middlewares: WARC capture.

``WarcCaptureMiddleware`` must sit *below* HttpCompressionMiddleware (590) and
RedirectMiddleware (600) in the processing order, i.e. with a higher number (we use 950),
so that its ``process_response`` runs first: it sees the body still content-encoded (gzip
stays gzip, as received), every redirect and every 5xx before they are followed or retried,
and the request headers as the other middlewares finally set them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response

from archive.errors import ArchiveIndexError
from archive.index import Index
from archive.index.captures import payload_holder
from archive.warc import HttpRequestData, HttpResponseData, PreviousCaptures, WarcWriter
from spiders.report import RunReport, run_report

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)


def _header_pairs(headers: Headers) -> tuple[tuple[str, str], ...]:
    """Scrapy headers as (name, value) pairs, every value of a repeated header kept."""
    pairs = []
    for name, values in headers.items():
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return tuple(pairs)


def request_data(request: Request) -> HttpRequestData:
    """The request as Twisted sends it: Scrapy's headers plus the Host header Twisted adds."""
    headers = _header_pairs(request.headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers = (("Host", urlsplit(request.url).netloc), *headers)
    return HttpRequestData(method=request.method, url=request.url, headers=headers, body=request.body or b"")


def response_data(response: Response) -> HttpResponseData:
    """The response as received; Twisted drops the reason phrase, so the standard one is used."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    return HttpResponseData(
        status=response.status,
        reason=reason,
        headers=_header_pairs(response.headers),
        body=response.body,
        protocol=response.protocol or "HTTP/1.1",
    )


def open_previous_captures(path: str | None) -> PreviousCaptures | None:
    """The index of earlier crawls, read-only; None (every response written whole) without one."""
    if not path:
        log.info("EDITTRAIL_INDEX_PATH is not set: every response is written whole, no revisit records")
        return None
    if not Path(path).exists():
        log.info("no index at %s yet: every response is written whole, no revisit records", path)
        return None
    try:
        index = Index(Path(path), readonly=True)
    except ArchiveIndexError as exc:
        log.warning("cannot read the index, writing every response whole: %s", exc)
        return None
    return PreviousCaptures(lambda url: payload_holder(index, url), close=index.close)


class WarcCaptureMiddleware:
    """Writes a request and a response record for every HTTP exchange, before anything alters it.

    When a 2xx payload equals that of the last capture of the same URL, the response is
    written as a revisit record (identical-payload-digest) that refers to the record holding
    the payload. WARC-Date is whole seconds, as the index keeps it, so a revisit's
    WARC-Refers-To-Date is exactly its original's WARC-Date.

    Settings: EDITTRAIL_WARC_ENABLED, EDITTRAIL_WARC_DIR, EDITTRAIL_WARC_PREFIX,
    EDITTRAIL_WARC_MAX_SIZE, EDITTRAIL_WARC_GZIP_LEVEL, EDITTRAIL_WARCINFO (dict),
    EDITTRAIL_INDEX_PATH (the SQLite index of earlier crawls; without it, no revisits).
    """

    def __init__(self, writer: WarcWriter, report: RunReport, previous: PreviousCaptures | None = None) -> None:
        self.writer = writer
        self.report = report
        self.previous = previous
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # replaceable, for reproducible tests

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        settings = crawler.settings
        if not settings.getbool("EDITTRAIL_WARC_ENABLED", True):
            raise NotConfigured("EDITTRAIL_WARC_ENABLED is off: responses are not archived")
        directory = settings.get("EDITTRAIL_WARC_DIR")
        if not directory:
            raise NotConfigured("EDITTRAIL_WARC_DIR is not set: nowhere to write WARC files")
        writer = WarcWriter(
            Path(directory),
            settings.get("EDITTRAIL_WARC_PREFIX", "edittrail"),
            max_size=settings.getint("EDITTRAIL_WARC_MAX_SIZE", 1_000_000_000),
            gzip_level=settings.getint("EDITTRAIL_WARC_GZIP_LEVEL", 6),
            warcinfo=settings.getdict("EDITTRAIL_WARCINFO"),
        )
        middleware = cls(writer, run_report(crawler), open_previous_captures(settings.get("EDITTRAIL_INDEX_PATH")))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request: Request, response: Response) -> Response:
        ip = str(response.ip_address) if response.ip_address is not None else None
        data = response_data(response)
        fetched = self.clock().replace(microsecond=0)
        revisit = None
        if self.previous is None:
            self.writer.write_exchange(request_data(request), data, ip_address=ip, fetched_at=fetched)
        else:
            _, revisit = self.previous.write(
                self.writer, request_data(request), data, fetched_at=fetched, ip_address=ip
            )
        latency_ms = round(1000 * float(request.meta.get("download_latency") or 0))
        host = urlsplit(request.url).hostname or ""
        self.report.exchange(host, response.status, len(data.body), latency_ms, revisit=revisit is not None)
        return response

    def spider_closed(self) -> None:
        """Close the open file so it is renamed from ``.open``: SIGTERM reaches here too."""
        files = self.writer.close()
        if self.previous is not None:
            self.previous.close()
        log.info("WARC files closed: %s", ", ".join(f.name for f in files) or "none")
