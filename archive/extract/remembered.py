"""Extraction remembered per page: the same bytes at the same path are extracted once.

Extraction is a pure function of (extractor, page bytes, URL, Content-Type), so its result is
kept for the pages seen last: the same bytes at the same URL (a revisit and its original, an
unedited page fetched again in a rebuild) are extracted once. The page is keyed by its BLAKE2b
digest, computed here, so no stored digest is trusted for it.

Mirrors often serve the same bytes at the same path. An extractor that notes the hosts a page
names (``Extracted.linked_hosts``, see :class:`archive.extract.dom.Base`) depends on the
page's own host only through its relative references, so such a page is extracted once for
every mirror the page does not name, its relative images rebased onto each mirror's host:
exactly what extracting it there would give.

A rebuild or a large crawl batch brings thousands of pages not seen yet: detect has them read
back and extracted on worker processes (:mod:`archive.detect.ahead`, :mod:`archive.workers`),
each path always on the same worker, whose own memory of extractions then serves every
mirror's copy. Each worker remembers its share of ``REMEMBERED`` (:func:`share_of`).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import replace
from functools import lru_cache
from urllib.parse import urlsplit

from archive.extract import Extracted, extract

REMEMBERED = 8192
"""About a crawl's article pages on every domain (~10 KB each kept), in one process; the workers
share it out (:func:`share_of`), each remembering the paths routed to it."""
_capacity = REMEMBERED

Page = tuple[str, bytes, str, str | None]
"""(extractor name, page bytes, URL, Content-Type): everything an extraction depends on."""
_Key = tuple[str, tuple[str, str, str, str], str | None, bytes, str | None]
"""(extractor, the URL but its host, Content-Type, BLAKE2b of the bytes, host): the host is None
for the entry every mirror may share, the page's own for one it may not."""
_remembered: OrderedDict[_Key, tuple[str, Extracted]] = OrderedDict()
"""Key → (the host it was extracted for, what it gave)."""


def _key(page: Page) -> _Key:
    """The entry every mirror may share."""
    name, html, url, content_type = page
    scheme, _, path, query, fragment = _split(url)
    return (name, (scheme, path, query, fragment), content_type, hashlib.blake2b(html, digest_size=20).digest(), None)


def _own(key: _Key, host: str) -> _Key:
    """The entry of one host only, beside the shared one of the same page."""
    name, where, content_type, digest, _ = key
    return (name, where, content_type, digest, host)


def _host(page: Page) -> str:
    return _split(page[2]).netloc


_split = lru_cache(maxsize=REMEMBERED)(urlsplit)
"""A page's URL is split for its key and its host, each time it is met: once is enough
(``urlsplit``'s own cache keeps 128 URLs, far fewer than a crawl's pages under way)."""


def _remember(page: Page, extracted: Extracted, key: _Key | None = None) -> None:
    """Keep the extraction for every mirror, or, when the shared entry is another host's that
    this page cannot share, for this host only."""
    key = key or _key(page)
    host = _host(page)
    held = _remembered.get(key)
    if held is not None and held[0] != host:
        key = _own(key, host)
    _remembered[key] = (host, extracted)
    if len(_remembered) > _capacity:
        _remembered.popitem(last=False)


def _recall(page: Page, key: _Key) -> Extracted | None:
    """What extracting the page gives, if a page with the same bytes at the same path was extracted."""
    host = _host(page)
    for candidate in (key, _own(key, host)):
        held = _remembered.get(candidate)
        if held is None:
            continue
        _remembered.move_to_end(candidate)
        origin, extracted = held
        if origin == host:
            return extracted
        rebased = rebase(extracted, key[1][0], origin, host)
        if rebased is not None:
            return rebased
    return None


def rebase(extracted: Extracted, scheme: str, origin: str, host: str) -> Extracted | None:
    """The extraction of the same bytes at the same path on ``host`` instead of ``origin``; None
    when the page names either host (its extraction may then differ in ways a rebase cannot tell).

    As the page names ``origin`` nowhere, every image on it came from a relative reference."""
    named = extracted.linked_hosts
    if named is None or origin in named or host in named:
        return None
    prefix = f"{scheme}://{origin}"
    images = tuple(
        f"{scheme}://{host}{image[len(prefix) :]}"
        if image.startswith(prefix) and image[len(prefix) : len(prefix) + 1] in ("", "/", "?", "#")
        else image
        for image in extracted.images
    )
    return replace(extracted, images=images) if images != extracted.images else extracted


def share_of(workers: int) -> None:
    """Run as a worker starts (:class:`archive.workers.Workers`): its part of ``REMEMBERED``, so
    that the workers together keep no more than one process would."""
    global _capacity
    _capacity = max(1, REMEMBERED // workers)


def forget() -> None:
    """Drop every remembered extraction: a benchmark round then costs what a fresh process pays."""
    _remembered.clear()
    _at.clear()


def extract_once(page: Page) -> Extracted:
    """``extract`` of the page, or what it gave the last time this page was seen (on any mirror it may share)."""
    key = _key(page)
    hit = _recall(page, key)
    if hit is not None:
        return hit
    name, html, url, content_type = page
    extracted = extract(name, html, url, content_type=content_type)
    _remember(page, extracted, key)
    return extracted


_at: OrderedDict[Hashable, Extracted] = OrderedDict()
"""What the page stored at a place gave, by place: references to the extractions above (or a
mirror's rebased copy of one), so it costs little beside them."""


def extract_at(where: Hashable, read: Callable[[], Page]) -> Extracted:
    """:func:`extract_once` of the page ``read`` gives, remembered by where it is stored too: a page
    read from the same place again (each crawl's revisits point at one original record) is neither
    read nor extracted again. ``where`` must name the bytes for good (a record in a WARC object,
    which is never rewritten)."""
    held = _at.get(where)
    if held is not None:
        _at.move_to_end(where)
        return held
    extracted = _at[where] = extract_once(read())
    if len(_at) > _capacity:
        _at.popitem(last=False)
    return extracted
