"""New mirrors, as the outlet itself announces them.

Press TV ends its articles with "Press TV's website can also be accessed at the following
alternate addresses:" and a list of hosts; reading that list (through the outlet's own
extractor, which knows the markup) and the targets of redirects to unknown hosts is how a
new mirror is found before anyone tells us. A host found this way is only a *candidate*:
it is probed and reported, and crawled only once config or an operator accepts it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from archive.config import Outlet
from archive.extract import presstv

_FOOTER_READERS: dict[str, Callable[[bytes], tuple[str, ...]]] = {
    "presstv": presstv.alternate_addresses,
}
"""Extractor name → the function that reads that outlet's list of alternate addresses."""


def alternate_hosts(outlet: Outlet, html: bytes) -> tuple[str, ...]:
    """Hosts the page's alternate-addresses text names; () for outlets without such a text."""
    reader = _FOOTER_READERS.get(outlet.extractor)
    return reader(html) if reader else ()


def new_candidates(outlet: Outlet, hosts: Iterable[str], accepted: Iterable[str] = ()) -> tuple[str, ...]:
    """The hosts that are neither a configured domain, a media host, nor already accepted."""
    known = {*outlet.domains, *outlet.media_hosts, *accepted}
    return tuple(h for h in dict.fromkeys(h.lower().strip(".") for h in hosts) if h and h not in known)
