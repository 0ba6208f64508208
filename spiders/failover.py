"""Mirror failover: when a domain dies mid-crawl, fetch the same path from the next one.

It sits at 540, just *above* RetryMiddleware (550): exceptions and responses reach it only
after Retry has given up. A domain is declared dead on a failure that survived the
configured retries (DNS, refused or reset connections, TLS errors, timeouts), on several
5xx in a row, or on a 200 that is a seizure notice; from then on its requests go straight to
the next live domain in config order (primary first, then mirrors) without waiting for
more timeouts. A single 5xx only sends that one request to the next domain not yet tried.
The failover request is an ordinary request to the mirror, so the WARC middleware archives
it under the mirror's URL: the capture says which domain served it.

Only a request to a domain's configured origin (EDITTRAIL_SCOPE_ORIGINS: scheme, host and
port) says anything about that domain's health: a request to the same name on another port
or scheme (which the scope guard refuses anyway) never marks it dead.

Settings: EDITTRAIL_FAILOVER_ENABLED, EDITTRAIL_FAILOVER_DOMAINS (the outlet's domains in
failover order; a JSON list or a list), EDITTRAIL_SCOPE_ORIGINS.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy import exceptions as scrapy_exceptions
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response, TextResponse
from twisted.internet import error as net_error
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from archive.config.outlet import Origin, origin
from archive.mirrors.classify import ERROR, SEIZED, UNREACHABLE, classify_answer
from spiders.report import RunReport, run_report
from spiders.scope import origins

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)

DEAD_DOMAIN_ERRORS: tuple[type[BaseException], ...] = (
    *(
        getattr(scrapy_exceptions, name)
        for name in (  # Scrapy >= 2.14 wraps Twisted's failures in these
            "CannotResolveHostError",
            "DownloadConnectionRefusedError",
            "DownloadTimeoutError",
            "DownloadFailedError",
        )
        if hasattr(scrapy_exceptions, name)
    ),
    net_error.DNSLookupError,
    net_error.ConnectError,
    net_error.ConnectionLost,
    net_error.TimeoutError,
    net_error.TCPTimedOutError,
    ResponseNeverReceived,
    ResponseFailed,
    TimeoutError,
    ConnectionError,
)
"""Failures that say the domain, not the page, is the problem (TLS errors arrive as ResponseNeverReceived)."""

DEAD_AFTER_SERVER_ERRORS = 3
"""A 5xx fails over that one request; this many in a row (after retries) and the domain is dead."""


def failover_domains(value: str | Iterable[object] | None) -> tuple[str, ...]:
    """The setting arrives as a list (settings module) or a string (``scrapy crawl -s``): JSON or comma-separated."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip().startswith("[") else value.split(",")
    return tuple(str(host).strip().lower() for host in value or () if str(host).strip())


class MirrorFailoverMiddleware:
    """Marks a domain dead after a failure Retry gave up on, and re-routes its requests."""

    def __init__(self, domains: tuple[str, ...], report: RunReport, allowed: frozenset[Origin] = frozenset()) -> None:
        self.domains = domains
        self.allowed = allowed
        self.report = report
        self.dead: dict[str, str] = {}
        self._requested: set[str] = set()
        self._server_errors: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MirrorFailoverMiddleware:
        settings = crawler.settings
        if not settings.getbool("EDITTRAIL_FAILOVER_ENABLED", True):
            raise NotConfigured("EDITTRAIL_FAILOVER_ENABLED is off: a dead domain's requests simply fail")
        domains = failover_domains(settings.get("EDITTRAIL_FAILOVER_DOMAINS"))
        if len(domains) < 2:
            raise NotConfigured("EDITTRAIL_FAILOVER_DOMAINS names fewer than two domains: nothing to fail over to")
        return cls(domains, run_report(crawler), origins(settings.getlist("EDITTRAIL_SCOPE_ORIGINS")))

    def process_request(self, request: Request) -> Request | None:
        host = _host(request.url)
        if host in self.dead:
            return self._reroute(request, host) or _give_up(request, host, self.dead[host])
        self._requested.add(request.url)
        return None

    def process_response(self, request: Request, response: Response) -> Request | Response:
        host = _host(request.url)
        if not self._judges(request.url, host):
            return response
        if response.status >= 500:
            self._server_errors[host] = self._server_errors.get(host, 0) + 1
            if self._server_errors[host] >= DEAD_AFTER_SERVER_ERRORS:
                self._mark_dead(
                    request.url, host, ERROR, f"HTTP {response.status} on {DEAD_AFTER_SERVER_ERRORS} pages in a row"
                )
            return self._reroute(request, host) or response
        self._server_errors[host] = 0
        if response.status == 200 and isinstance(response, TextResponse):
            verdict = classify_answer(host, 200, response.text, location=None, article_links=0)
            if verdict.state == SEIZED:
                self._mark_dead(request.url, host, SEIZED, verdict.detail)
                return self._reroute(request, host) or response
        return response

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        host = _host(request.url)
        if not self._judges(request.url, host) or not isinstance(exception, DEAD_DOMAIN_ERRORS):
            return None
        self._mark_dead(request.url, host, UNREACHABLE, f"{type(exception).__name__}: {exception}")
        return self._reroute(request, host)

    def _judges(self, url: str, host: str) -> bool:
        """Whether this request's outcome tells about its domain: one of ours, at its configured origin."""
        return host in self.domains and (not self.allowed or origin(url) in self.allowed)

    def _mark_dead(self, url: str, host: str, state: str, reason: str) -> None:
        """Once per host and crawl: a dead domain and an outcome in the run report.

        ``state`` is the mirrors' vocabulary (seized, error, unreachable): the crawl's verdict is
        recorded in the domains' history as it is, not guessed back from the reason's wording.
        """
        if host in self.dead:
            return
        self.dead[host] = reason[:300]
        self.report.domain_dead(host, self.dead[host], state)
        log.warning("domain dead for the rest of this crawl host=%s: %s", host, reason)
        self.report.outcome(url, "domain_dead", f"{host} failed over to the next domain: {self.dead[host]}")

    def _reroute(self, request: Request, host: str) -> Request | None:
        """The same path on the next live domain not tried yet; None when none is left (the failure stands)."""
        if host not in self.domains:
            return None
        tried = {host, *request.meta.get("failover_from", ())}
        position = self.domains.index(host)
        order = self.domains[position + 1 :] + self.domains[:position]
        target = next((d for d in order if d not in self.dead and d not in tried), None)
        if target is None:
            log.warning("no live domain left to fail over to url=%s", request.url)
            return None
        parts = urlsplit(request.url)
        netloc = target + (f":{parts.port}" if parts.port else "")
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        if url in self._requested:
            log.debug("no failover for url=%s: %s was requested already", request.url, url)
            return None
        self.report.failover(host, target)
        log.info("failover from=%s to=%s url=%s", host, target, url)
        self._requested.add(url)
        meta = {**request.meta, "failover_from": [*request.meta.get("failover_from", ()), host]}
        meta.pop("retry_times", None)
        return request.replace(url=url, meta=meta, dont_filter=True)


def _give_up(request: Request, host: str, reason: str) -> NoReturn:
    raise IgnoreRequest(f"{host} is dead ({reason}) and no other domain is live: {request.url} not fetched")


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
