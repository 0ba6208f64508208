"""The crawl's scope and SSRF guard: only the outlet's hosts, never a non-global address.

``ScopeMiddleware`` checks every request just before it is scheduled and again when it
enters the downloader, for the request's final URL: links, redirect targets (Scrapy's
RedirectMiddleware and the mirror failover build new requests, which come back through
here), robots.txt fetches. Scrapy's own OffsiteMiddleware is not enough: it lets through
any request with ``dont_filter`` (the spider's article requests, so their redirects too)
and allows subdomains. A refused request never reaches the DNS resolver or a socket; it
is recorded in the run report as an outcome:

- ``refused_address``: the URL's host is an IP address that is not global (loopback,
  private, link-local such as the cloud metadata address 169.254.169.254, ...);
- ``offsite``: the host is not one of the outlet's hosts.

A *name* that resolves to such an address is refused by the DNS resolver
(spiders/resolver.py), unless the outlet's ``host_overrides`` names it, before any
connection; ``RefusedAddressMiddleware`` records that as a ``refused_address`` outcome too.

ScopeMiddleware sits at 49, above OffsiteMiddleware (50), so its outcome is recorded before
Scrapy's middleware drops the same request silently. RefusedAddressMiddleware sits at 960,
closest to the downloader, because exceptions travel up from there: it must see the DNS
refusal before RetryMiddleware (550) and the mirror failover (540) take it over.

Settings: EDITTRAIL_SCOPE_ENABLED (both), EDITTRAIL_SCOPE_HOSTS (the hosts the crawl may request).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy import exceptions as scrapy_exceptions
from scrapy.exceptions import IgnoreRequest, NotConfigured
from twisted.internet.error import DNSLookupError

from spiders.resolver import address_problem, refused_names

log = logging.getLogger(__name__)

DNS_ERRORS: tuple[type[BaseException], ...] = (
    DNSLookupError,
    *((scrapy_exceptions.CannotResolveHostError,) if hasattr(scrapy_exceptions, "CannotResolveHostError") else ()),
)
MIDDLEWARES = {"spiders.scope.ScopeMiddleware": 49, "spiders.scope.RefusedAddressMiddleware": 960}
"""How spiders/settings.py registers the guard (a test keeps the two in step)."""


class OutOfScope(IgnoreRequest):
    """A request the scope guard refused; its outcome is already in the run report."""

    def __init__(self, url: str, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.url = url
        self.kind = kind
        self.detail = detail


def refusal(url: str, hosts: tuple[str, ...] | frozenset[str]) -> tuple[str, str] | None:
    """``(kind, detail)`` when ``url`` must not be fetched, None when it is in scope."""
    host = (urlsplit(url).hostname or "").lower()
    problem = address_problem(host)
    if problem is not None:
        return "refused_address", f"{host} is {problem}: never fetched"
    if host not in hosts:
        return "offsite", f"{host or url!r} is not one of the outlet's hosts: not followed"
    return None


def _record(crawler: Any, recorded: set[tuple[str, str]], url: str, kind: str, detail: str) -> None:
    """Once per URL and kind: a stat, and an outcome in the spider's run report."""
    if (url, kind) in recorded:
        return
    recorded.add((url, kind))
    crawler.stats.inc_value(f"edittrail/scope/{kind}")
    spider = getattr(crawler, "spider", None)
    if hasattr(spider, "record_outcome"):
        spider.record_outcome(url, kind, detail)
    else:
        log.warning("outcome=%s url=%s %s", kind, url, detail)


def _enabled(crawler: Any) -> None:
    if not crawler.settings.getbool("EDITTRAIL_SCOPE_ENABLED", True):
        raise NotConfigured("EDITTRAIL_SCOPE_ENABLED is off: requests are not checked against the outlet's hosts")


class ScopeMiddleware:
    """Refuses, and records once, every request outside the outlet or to a non-global address."""

    def __init__(self, hosts: frozenset[str], crawler: Any) -> None:
        self.hosts = hosts
        self.crawler = crawler
        self._recorded: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> ScopeMiddleware:
        _enabled(crawler)
        hosts = frozenset(h.lower() for h in crawler.settings.getlist("EDITTRAIL_SCOPE_HOSTS"))
        if not hosts:
            raise NotConfigured("EDITTRAIL_SCOPE_HOSTS is empty: no outlet hosts to keep the crawl to")
        middleware = cls(hosts, crawler)
        crawler.signals.connect(middleware.request_scheduled, signal=signals.request_scheduled)
        return middleware

    def request_scheduled(self, request: Request) -> None:
        """Before the scheduler: a refused request is dropped here (Scrapy drops it on IgnoreRequest)."""
        self.process_request(request)

    def process_request(self, request: Request) -> None:
        refused = refusal(request.url, self.hosts)
        if refused is None:
            return
        kind, detail = refused
        _record(self.crawler, self._recorded, request.url, kind, detail)
        raise OutOfScope(request.url, kind, detail)


class RefusedAddressMiddleware:
    """Records a request whose host name the resolver refused (it resolves to a non-global address).

    Only records: the failure goes on to RetryMiddleware and the mirror failover as any DNS
    failure does, so a domain that points into a private network counts as dead.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self._recorded: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> RefusedAddressMiddleware:
        _enabled(crawler)
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, DNS_ERRORS):
            return
        reason = refused_names().get((urlsplit(request.url).hostname or "").lower())
        if reason is not None:
            _record(self.crawler, self._recorded, request.url, "refused_address", reason)
