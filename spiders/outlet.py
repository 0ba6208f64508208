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
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archive.config import Outlet, load_config
from archive.crawljob import CrawlJob
from spiders.scope import OutOfScope, origins, refusal

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


def per_host_figures(stats: dict[str, Any], per_host: dict[str, dict[str, int]]) -> dict[str, dict[str, Any]]:
    """Responses, body bytes as received and download latency (mean, max) per host, from the crawl's stats."""
    figures = {}
    for host, statuses in per_host.items():
        responses = sum(statuses.values())
        figures[host] = {
            "responses": responses,
            "bytes": stats.get(f"edittrail/bytes/{host}", 0),
            "latency_mean_ms": round(stats.get(f"edittrail/latency_ms/{host}", 0) / responses) if responses else 0,
            "latency_max_ms": stats.get(f"edittrail/latency_max_ms/{host}", 0),
        }
    return figures


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
        self.outcomes: list[dict[str, Any]] = []
        self.kinds: Counter[str] = Counter()
        self.started_at = datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> OutletSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.settings.setdict(scrapy_settings(spider.outlet, spider.job), priority="spider")
        return spider

    async def start(self) -> Any:
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
            self._outcome(url, *refused)
            return None
        article_id = self.outlet.article_id(url)
        if article_id is None:
            return None
        key = ((urlsplit(url).hostname or "").lower(), article_id)
        if key in self.seen_articles:
            return None
        if len(self.seen_articles) >= self.outlet.crawl.max_articles:
            self.kinds["articles_over_limit"] += 1
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
        if not self._readable(response):
            return
        for link in response.xpath("//item/link/text()").getall():
            request = self._article_request(link.strip())
            if request is not None:
                yield request

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        if not self._readable(response):
            return
        response.selector.remove_namespaces()
        children = response.xpath("//sitemap/loc/text()").getall()
        if children:
            newest = sorted(children, key=lambda u: _MONTH_IN_URL.findall(u)[-1:] or [("0", "0")], reverse=True)
            for child in newest[: self.outlet.seeds.sitemap_months]:
                url = response.urljoin(child.strip())
                if self._in_scope(url):
                    yield self._request(url, "sitemap")
            return
        for loc in response.xpath("//url/loc/text()").getall():
            request = self._article_request(response.urljoin(loc.strip()))
            if request is not None:
                yield request

    def parse_section(self, response: Response) -> Iterator[Request]:
        if not self._readable(response):
            return
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if self.outlet.article_regex.match(urlsplit(url).path):
                request = self._article_request(url)
                if request is not None:
                    yield request
        page = response.meta.get("page", 1)
        next_href = response.css(".next > a::attr(href)").get()
        if next_href and page < self.outlet.seeds.max_section_pages:
            url = response.urljoin(next_href)
            if self._in_scope(url):
                yield self._request(url, "section", page=page + 1)

    def parse_article(self, response: Response) -> None:
        self.kinds["articles"] += 1
        self._note_failover(response)
        redirects = response.meta.get("redirect_urls")
        if redirects:
            self._outcome(response.url, "redirect", f"reached through {' -> '.join(redirects)}", status=response.status)

    def _readable(self, response: Response) -> bool:
        """Discovery pages must be text; a binary or undecodable one is an outcome, not a crash."""
        self.kinds[response.meta.get("kind", "page")] += 1
        self._note_failover(response)
        if response.meta.get("redirect_urls"):
            self._outcome(
                response.url,
                "redirect",
                f"reached through {' -> '.join(response.meta['redirect_urls'])}",
                status=response.status,
            )
        if not isinstance(response, (TextResponse, XmlResponse)):
            self._outcome(
                response.url, "not_text", f"{response.headers.get('Content-Type', b'?').decode()} is not a page"
            )
            return False
        return True

    # -- outcomes ---------------------------------------------------------------------

    def _note_failover(self, response: Response) -> None:
        dead = response.meta.get("failover_from")
        if dead:
            self._outcome(
                response.url, "failover", f"served by {urlsplit(response.url).hostname} for {', '.join(dead)}"
            )

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(OutOfScope):
            return  # ScopeMiddleware recorded it
        if failure.check(HttpError):
            status = failure.value.response.status
            self._outcome(request.url, "http_error", f"HTTP {status} after retries", status=status)
        elif failure.check(IgnoreRequest):
            self._outcome(request.url, "skipped", failure.getErrorMessage())
        else:
            self._outcome(request.url, "fetch_error", f"{failure.type.__name__}: {failure.getErrorMessage()}")

    def record_outcome(self, url: str, kind: str, detail: str) -> None:
        """For middlewares (failover) whose findings belong in the run report."""
        self._outcome(url, kind, detail)

    def _outcome(self, url: str, kind: str, detail: str, status: int | None = None) -> None:
        host = urlsplit(url).hostname or ""
        self.outcomes.append({"url": url, "host": host, "kind": kind, "detail": detail, "status": status})
        level = logging.INFO if kind in ("redirect", "offsite", "skipped", "failover") else logging.WARNING
        log.log(level, "outcome=%s outlet=%s host=%s url=%s %s", kind, self.outlet.name, host, url, detail)

    def closed(self, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        per_host: dict[str, dict[str, int]] = {}
        for key, value in stats.items():
            if key.startswith("edittrail/status/"):
                _, _, host, status = key.split("/", 3)
                per_host.setdefault(host, {})[status] = value
        dead = {k.removeprefix("edittrail/domain_dead/"): v for k, v in stats.items() if "/domain_dead/" in k}
        dead_states = {k.removeprefix("edittrail/domain_state/"): v for k, v in stats.items() if "/domain_state/" in k}
        finished_at = datetime.now(UTC)
        report = {
            "outlet": self.outlet.name,
            "run_id": self.job.run_id,
            "finish_reason": reason,
            "started_at": self.started_at.isoformat(),
            "finished_at": finished_at.isoformat(),
            "duration_s": round((finished_at - self.started_at).total_seconds(), 3),
            "per_host": per_host_figures(stats, per_host),
            "exchanges_archived": stats.get("edittrail/warc/exchanges", 0),
            "status_per_host": per_host,
            "dead_domains": dead,
            "dead_domain_states": dead_states,
            "pages": dict(self.kinds),
            "outcomes": self.outcomes,
            "errors": sum(
                1 for o in self.outcomes if o["kind"] in ("fetch_error", "http_error", "not_text", "domain_dead")
            ),
        }
        self.job.report.write_text(json.dumps(report, indent=2, sort_keys=True))
        log.info("run report written to %s (finish_reason=%s)", self.job.report, reason)
