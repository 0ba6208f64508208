"""Captures read back and extracted ahead on worker processes.

Detect is the index's single writer, so whatever its own process does bounds a run. Reading a
capture's record back from the store (a range read; on S3 an HTTP request), decompressing and
parsing it, and extracting the page depend on nothing but the capture, so the workers of
:class:`archive.workers.Workers` do them ahead of the writer (up to ``AHEAD_CAPTURES`` captures,
across crawl batches; in a rebuild, while the writer indexes the next crawl) while detect makes
versions of what they gave before. Each worker remembers what it extracted
(:mod:`archive.extract.remembered`), so a page every mirror serves is extracted once, not once
per mirror and crawl: copies of one path always go to the same worker.

A worker only ever saves time: whatever it cannot do (a store that fails now, a record that
does not read, a page that does not extract) comes back as None, and detect does that capture
again itself, reporting it as it always has. An outcome never depends on which process read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from archive.errors import EdittrailError
from archive.extract import Extracted, html_from_record
from archive.extract.remembered import Page, extract_at
from archive.storage import ObjectStore
from archive.warc import load_record


@dataclass(frozen=True, slots=True)
class Location:
    """Where a capture's page is stored and how to extract it (for a revisit: its original's record)."""

    extractor: str
    url: str
    warc: str
    offset: int
    length: int


def read_page(store: ObjectStore, location: Location) -> Page:
    """What extracting the capture takes, read from the store."""
    loaded = load_record(store.read_range(location.warc, location.offset, location.length), name=location.warc)
    html, content_type = html_from_record(loaded)
    return (location.extractor, html, location.url, content_type)


def route(location: Location) -> str:
    """What decides a capture's worker: its path (and query), so that every mirror's copy of a
    page, in every crawl, meets the one extraction that worker remembers."""
    rest = location.url.partition("://")[2]
    start = rest.find("/")
    return rest[start:] if start >= 0 else ""


def extract_all(store: ObjectStore, locations: list[Location]) -> list[Extracted | None]:
    """Run on a worker: each location's page read and extracted, None where that failed.

    A location met again (each crawl's revisits point at the same original record) is neither
    read nor extracted again while the worker remembers it (:func:`archive.extract.remembered.extract_at`)."""
    out: list[Extracted | None] = []
    for location in locations:
        try:
            out.append(extract_at((store.url, location), partial(read_page, store, location)))
        except EdittrailError:  # the caller meets it again, and reports it
            out.append(None)
    return out
