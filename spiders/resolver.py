"""A DNS resolver with a host → address override, for the simulated outlet and for pinning.

It is the one switch between crawling the real outlet and crawling the simulated one: the
spider, middlewares and URLs are identical, only the answer to "where is www.presstv.ir?"
changes. Hosts not in the override map resolve normally, and an answer that is not a
global address (loopback, private, link-local such as 169.254.169.254, ...) is refused
with a DNS lookup error: a crawled name must not lead the crawler into its own network.
The override map is the one way to reach such an address by name (the simulated outlet on
127.0.0.1), because it names each host explicitly. IP literals pass through unchanged: the
scope guard (spiders/scope.py) has refused a URL's non-global IP before any lookup, and a
proxy's address is the operator's choice (give a proxy by IP address: a proxy *name* that
resolves into a private network is refused like any other).
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Self

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.base import ReactorBase
    from twisted.internet.defer import Deferred

log = logging.getLogger(__name__)

SETTING = "EDITTRAIL_HOST_OVERRIDES"


class RefusedAddressError(DNSLookupError):
    """A host name resolved to an address the crawler must not connect to."""


def address_problem(host: str) -> str | None:
    """Why the crawler must not connect to ``host`` if it is an IP address that is not global
    (``a loopback address``, ``a link-local address``, ...); None for a global address or a name."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_global:
        return None
    for kind in ("loopback", "link_local", "unspecified", "multicast", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return f"{'an' if kind[0] == 'u' else 'a'} {kind.replace('_', '-')} address"
    return "not a global address"


def overrides_from_settings(value: str | Mapping[str, object] | None) -> dict[str, str]:
    """The setting arrives as a dict (settings module) or a JSON string (``scrapy crawl -s``)."""
    if not value:
        return {}
    overrides: Mapping[str, object] = json.loads(value) if isinstance(value, str) else value
    return {str(host).lower(): str(address) for host, address in overrides.items()}


class HostOverrideResolver(CachingThreadedResolver):
    """Answers overridden hosts from ``EDITTRAIL_HOST_OVERRIDES``; everything else as Scrapy does."""

    overrides: dict[str, str]
    refused: dict[str, str]

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> Self:
        resolver = super().from_crawler(crawler, reactor)
        resolver.overrides = overrides_from_settings(crawler.settings.get(SETTING))
        resolver.refused = {}
        if resolver.overrides:
            log.info("host overrides active: %s", ", ".join(f"{h}={a}" for h, a in sorted(resolver.overrides.items())))
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802 (Twisted's name)
        address = self.overrides.get(name.lower())
        if address is not None:
            return defer.succeed(address)
        answer: Deferred[str] = super().getHostByName(name, timeout)
        if not _is_ip_address(name):
            answer.addCallback(self._refuse_non_global, name)
        return answer

    def _refuse_non_global(self, address: str, name: str) -> str:
        problem = address_problem(address)
        if problem is None:
            return address
        reason = (
            f"{name} resolves to {address}, {problem}: refused (only hosts named in {SETTING} may point at such "
            "an address)"
        )
        if name.lower() not in self.refused:
            log.warning("refused_address host=%s address=%s: %s, not in %s", name, address, problem, SETTING)
        self.refused[name.lower()] = reason
        raise RefusedAddressError(reason)


def _is_ip_address(name: str) -> bool:
    """IP literals are not DNS answers: a URL's are refused by spiders.scope before any
    connection, and a proxy's (HTTP_PROXY) is the operator's choice, so they pass here."""
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def refused_names() -> Mapping[str, str]:
    """Host names the installed resolver refused in this process, with the reason.

    Twisted's connection endpoint reports any failed lookup as "no results for hostname
    lookup", dropping the resolver's error; this is how a middleware learns why.
    """
    from twisted.internet import reactor

    return getattr(getattr(reactor, "resolver", None), "refused", {})
