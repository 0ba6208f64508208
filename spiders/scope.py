"""The crawl's scope and SSRF guard: only the outlet's origins, never a non-global address.

``ScopeMiddleware`` checks every request just before it is scheduled and again when it
enters the downloader, for the request's final URL: links, redirect targets (Scrapy's
RedirectMiddleware and the mirror failover build new requests, which come back through
here), robots.txt fetches. Scrapy's own OffsiteMiddleware is not enough: it lets through
any request with ``dont_filter`` (the spider's article requests, so their redirects too)
and allows subdomains. A refused request never reaches the DNS resolver or a socket; it
is recorded in the run report as an outcome:

- ``refused_address``: the URL's host is an IP address that is not global (loopback,
  private, link-local such as the cloud metadata address 169.254.169.254, ...);
- ``offsite``: the URL's origin (scheme, host and port) is not one of the outlet's: another
  host, or an outlet host on another port or scheme (with ``host_overrides`` pointing the
  outlet's names at 127.0.0.1, another port would be any local service), or a URL too
  malformed to have an origin.

Scope is by origin, not by host name alone, for the same reason the failover judges a
domain's health only by requests to its configured origin: a redirect to
``https://<outlet host>:<other port>/`` must not be fetched, so it can neither fail a TLS
handshake nor make a live domain look dead.

A *name* that resolves to such an address is refused by the DNS resolver
(spiders/resolver.py), unless the outlet's ``host_overrides`` names it, before any
connection; ``RefusedAddressMiddleware`` records that as a ``refused_address`` outcome too.

ScopeMiddleware sits at 49, above OffsiteMiddleware (50), so its outcome is recorded before
Scrapy's middleware drops the same request silently. RefusedAddressMiddleware sits at 960,
closest to the downloader, because exceptions travel up from there: it must see the DNS
refusal before RetryMiddleware (550) and the mirror failover (540) take it over.

Settings: EDITTRAIL_SCOPE_ENABLED (both), EDITTRAIL_SCOPE_ORIGINS (the origins the crawl may
request, as ``scheme://host[:port]``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy import exceptions as scrapy_exceptions
from scrapy.exceptions import IgnoreRequest, NotConfigured
from twisted.internet.error import DNSLookupError

from archive.config.outlet import Origin, origin
from spiders.report import RunReport, run_report
from spiders.resolver import address_problem, refused_names

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

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


def origins(urls: Iterable[str]) -> frozenset[Origin]:
    """The origins of base URLs such as ``Outlet.base_url(host)``; a malformed one is a bug, so it raises."""
    found = set()
    for url in urls:
        parsed = origin(url)
        if parsed is None:
            raise ValueError(f"{url!r} is not an http(s) origin")
        found.add(parsed)
    return frozenset(found)


def refusal(url: str, allowed: frozenset[Origin]) -> tuple[str, str] | None:
    """``(kind, detail)`` when ``url`` must not be fetched, None when it is in scope."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        host = ""
    problem = address_problem(host) if host else None
    if problem is not None:
        return "refused_address", f"{host} is {problem}: never fetched"
    where = origin(url)
    if where is None:
        return "offsite", f"{url[:200]!r} is not an http(s) URL with a valid host and port: not followed"
    if where not in allowed:
        if any(host == allowed_host for _, allowed_host, _ in allowed):
            return "offsite", f"{_show(where)} is not one of the outlet's origins (scheme, host, port): not followed"
        return "offsite", f"{host} is not one of the outlet's hosts: not followed"
    return None


def _show(where: Origin) -> str:
    scheme, host, port = where
    return f"{scheme}://{host}:{port}"


def _record(report: RunReport, recorded: set[tuple[str, str]], url: str, kind: str, detail: str) -> None:
    """Once per URL and kind: a refusal in the run report."""
    if (url, kind) in recorded:
        return
    recorded.add((url, kind))
    report.refusal(url, kind, detail)


def _enabled(crawler: Crawler) -> None:
    if not crawler.settings.getbool("EDITTRAIL_SCOPE_ENABLED", True):
        raise NotConfigured("EDITTRAIL_SCOPE_ENABLED is off: requests are not checked against the outlet's hosts")


class ScopeMiddleware:
    """Refuses, and records once, every request outside the outlet's origins or to a non-global address."""

    def __init__(self, allowed: frozenset[Origin], report: RunReport) -> None:
        self.allowed = allowed
        self.report = report
        self._recorded: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        _enabled(crawler)
        allowed = origins(crawler.settings.getlist("EDITTRAIL_SCOPE_ORIGINS"))
        if not allowed:
            raise NotConfigured("EDITTRAIL_SCOPE_ORIGINS is empty: no outlet origins to keep the crawl to")
        middleware = cls(allowed, run_report(crawler))
        crawler.signals.connect(middleware.request_scheduled, signal=signals.request_scheduled)
        return middleware

    def request_scheduled(self, request: Request) -> None:
        """Before the scheduler: a refused request is dropped here (Scrapy drops it on IgnoreRequest)."""
        self.process_request(request)

    def process_request(self, request: Request) -> None:
        refused = refusal(request.url, self.allowed)
        if refused is None:
            return
        kind, detail = refused
        _record(self.report, self._recorded, request.url, kind, detail)
        raise OutOfScope(request.url, kind, detail)


class RefusedAddressMiddleware:
    """Records a request whose host name the resolver refused (it resolves to a non-global address).

    Only records: the failure goes on to RetryMiddleware and the mirror failover as any DNS
    failure does, so a domain that points into a private network counts as dead.
    """

    def __init__(self, report: RunReport) -> None:
        self.report = report
        self._recorded: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RefusedAddressMiddleware:
        _enabled(crawler)
        return cls(run_report(crawler))

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, DNS_ERRORS):
            return
        reason = refused_names().get((urlsplit(request.url).hostname or "").lower())
        if reason is not None:
            _record(self.report, self._recorded, request.url, "refused_address", reason)
