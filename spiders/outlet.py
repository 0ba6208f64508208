"""The one generic outlet spider, driven by ``outlets.toml`` and a crawl job file.

It discovers article URLs from RSS, sitemaps and section pages on every domain of the
outlet, fetches each article once per (host, article id), and never leaves the outlet's
domains. Archiving happens in WarcCaptureMiddleware; this spider only decides what to fetch
and records what went wrong as outcomes in the run report, instead of crashing.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archive.config import Outlet, load_config
from archive.plan.crawljob import CrawlJob
from spiders.report import RunReport, run_report
from spiders.scope import OutOfScope, origins, refusal

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)
_MONTH_IN_URL = re.compile(r"(\d{4})-(\d{2})")


def scrapy_settings(outlet: Outlet, job: CrawlJob) -> dict[str, Any]:
    """The Scrapy settings one outlet's config and one job imply."""
    politeness, limits = outlet.politeness, outlet.crawl
    return {
        "DOWNLOAD_DELAY": politeness.download_delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": politeness.concurrency_per_domain,
        "CONCURRENT_REQUESTS": max(16, politeness.concurrency_per_domain * len(outlet.allowed_hosts)),
        "AUTOTHROTTLE_ENABLED": politeness.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(politeness.download_delay, 1.0),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": politeness.autothrottle_target_concurrency,
        "USER_AGENT": politeness.user_agent,
        "DOWNLOAD_TIMEOUT": limits.download_timeout,
        "RETRY_TIMES": limits.retries,
        "DOWNLOAD_MAXSIZE": limits.max_page_size,
        "DOWNLOAD_WARNSIZE": limits.max_page_size // 2,
        "CLOSESPIDER_TIMEOUT": limits.timeout_minutes * 60,
        "EDITTRAIL_OUTLET": outlet.name,
        "EDITTRAIL_FAILOVER_DOMAINS": list(outlet.domains),
        "EDITTRAIL_SCOPE_ORIGINS": scope_origins(outlet),
        "EDITTRAIL_WARC_DIR": str(job.warc_dir),
        "EDITTRAIL_WARC_PREFIX": job.warc_prefix,
        "EDITTRAIL_WARC_MAX_SIZE": limits.warc_max_size,
        "EDITTRAIL_WARC_GZIP_LEVEL": limits.gzip_level,
        "EDITTRAIL_WARCINFO": {
            "outlet": outlet.name,
            "crawl-id": job.run_id,
            "config-digest": f"sha256:{job.config_digest}",
            "robots": "obey",
        },
    }


def scope_origins(outlet: Outlet) -> list[str]:
    """Where the crawl may go: each domain at the outlet's scheme and port; media hosts also at
    the default http and https ports (a CDN serves pictures on its own terms)."""
    media = [f"{scheme}://{host}" for host in outlet.media_hosts for scheme in ("http", "https")]
    return [outlet.base_url(host) for host in outlet.allowed_hosts] + (media if outlet.fetch_media else [])


class OutletSpider(Spider):
    name = "outlet"

    def __init__(self, job: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job = CrawlJob.load(Path(job))
        outlet = load_config(self.job.config).outlet(self.job.outlet)
        extra = tuple(h for h in self.job.extra_domains if h not in outlet.domains)
        self.outlet = outlet.model_copy(update={"mirrors": (*outlet.mirrors, *extra)}) if extra else outlet
        self.allowed_domains = list(self.outlet.allowed_hosts)
        self.origins = origins(outlet.base_url(host) for host in self.outlet.domains)
        self.seen_articles: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.settings.setdict(scrapy_settings(spider.outlet, spider.job), priority="spider")
        return spider

    @cached_property
    def report(self) -> RunReport:
        """The crawl's run report (RunReportExtension's); pages and outcomes are recorded into it."""
        return run_report(self.crawler)

    async def start(self) -> AsyncIterator[Request]:
        for seed in self.job.seeds:
            yield self._request(seed.url, seed.kind)
        for url in self.job.articles:
            request = self._article_request(url)
            if request is not None:
                yield request

    # -- request building -------------------------------------------------------------

    def _in_scope(self, url: str) -> bool:
        return refusal(url, self.origins) is None

    def _request(self, url: str, kind: str, **meta: Any) -> Request:
        callback = {"rss": self.parse_rss, "sitemap": self.parse_sitemap, "section": self.parse_section}[kind]
        return Request(url, callback=callback, errback=self.on_error, meta={"kind": kind, **meta})

    def _article_request(self, url: str) -> Request | None:
        refused = refusal(url, self.origins)
        if refused is not None:
            self.report.outcome(url, *refused)
            return None
        article_id = self.outlet.article_id(url)
        if article_id is None:
            return None
        key = ((urlsplit(url).hostname or "").lower(), article_id)
        if key in self.seen_articles:
            return None
        if len(self.seen_articles) >= self.outlet.crawl.max_articles:
            self.report.page("articles_over_limit")
            return None
        self.seen_articles.add(key)
        # Articles are deduplicated above by (host, id); dont_filter lets a redirect reach its
        # target even when that URL was fetched already, so the chain ends in a recorded outcome.
        return Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            dont_filter=True,
            meta={"kind": "article", "article_id": article_id},
        )

    # -- parsing ----------------------------------------------------------------------

    def parse_rss(self, response: Response) -> Iterator[Request]:
        page = self._readable(response)
        if page is None:
            return
        for link in page.xpath("//item/link/text()").getall():
            request = self._article_request(link.strip())
            if request is not None:
                yield request

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        page = self._readable(response)
        if page is None:
            return
        page.selector.remove_namespaces()
        children = page.xpath("//sitemap/loc/text()").getall()
        if children:
            newest = sorted(children, key=lambda u: _MONTH_IN_URL.findall(u)[-1:] or [("0", "0")], reverse=True)
            for child in newest[: self.outlet.seeds.sitemap_months]:
                url = page.urljoin(child.strip())
                if self._in_scope(url):
                    yield self._request(url, "sitemap")
            return
        for loc in page.xpath("//url/loc/text()").getall():
            request = self._article_request(page.urljoin(loc.strip()))
            if request is not None:
                yield request

    def parse_section(self, response: Response) -> Iterator[Request]:
        section = self._readable(response)
        if section is None:
            return
        for href in section.css("a::attr(href)").getall():
            url = section.urljoin(href)
            if self.outlet.article_regex.match(urlsplit(url).path):
                request = self._article_request(url)
                if request is not None:
                    yield request
        page = section.meta.get("page", 1)
        next_href = section.css(".next > a::attr(href)").get()
        if next_href and page < self.outlet.seeds.max_section_pages:
            url = section.urljoin(next_href)
            if self._in_scope(url):
                yield self._request(url, "section", page=page + 1)

    def parse_article(self, response: Response) -> None:
        self.report.page("articles")
        self._note_failover(response)
        redirects = response.meta.get("redirect_urls")
        if redirects:
            self.report.outcome(
                response.url, "redirect", f"reached through {' -> '.join(redirects)}", status=response.status
            )

    def _readable(self, response: Response) -> TextResponse | None:
        """The discovery page as text; None, and an outcome rather than a crash, for a binary one."""
        self.report.page(response.meta.get("kind", "page"))
        self._note_failover(response)
        if response.meta.get("redirect_urls"):
            self.report.outcome(
                response.url,
                "redirect",
                f"reached through {' -> '.join(response.meta['redirect_urls'])}",
                status=response.status,
            )
        if not isinstance(response, (TextResponse, XmlResponse)):
            content_type = response.headers.get("Content-Type", b"?")
            self.report.outcome(response.url, "not_text", f"{(content_type or b'').decode()} is not a page")
            return None
        return response

    # -- outcomes ---------------------------------------------------------------------

    def _note_failover(self, response: Response) -> None:
        dead = response.meta.get("failover_from")
        if dead:
            self.report.outcome(
                response.url, "failover", f"served by {urlsplit(response.url).hostname} for {', '.join(dead)}"
            )

    def on_error(self, failure: Failure) -> None:
        request: Request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on an errback's Failure
        error = failure.value
        if isinstance(error, OutOfScope):
            return  # ScopeMiddleware recorded it
        if isinstance(error, HttpError):
            status = error.response.status
            self.report.outcome(request.url, "http_error", f"HTTP {status} after retries", status=status)
        elif isinstance(error, IgnoreRequest):
            self.report.outcome(request.url, "skipped", failure.getErrorMessage())
        else:
            self.report.outcome(request.url, "fetch_error", f"{type(error).__name__}: {failure.getErrorMessage()}")

    def closed(self, reason: str) -> None:
        report = self.report.as_json(self.job.run_id, reason, datetime.now(UTC))
        self.job.report.write_text(json.dumps(report, indent=2, sort_keys=True))
        log.info("run report written to %s (finish_reason=%s)", self.job.report, reason)
