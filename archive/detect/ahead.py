"""Captures read back and extracted ahead on the extraction workers.

Detect is the index's single writer, so whatever its own process does bounds a run. Reading a
capture's record back from the store (a range read; on S3 an HTTP request), decompressing and
parsing it, and extracting the page depend on nothing but the capture, so the workers of
:class:`archive.workers.Workers` do them for a chunk of captures while detect
makes versions of what they gave for the chunk before. Each worker remembers what it extracted
(:func:`archive.extract.remembered.extract_once`), so a page every mirror serves is extracted
once, not once per mirror and crawl: copies of one path always go to the same worker.

A worker only ever saves time: whatever it cannot do (a store that fails now, a record that
does not read, a page that does not extract) comes back as None, and detect does that capture
again itself, reporting it as it always has. An outcome never depends on which process read it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from archive.errors import EdittrailError
from archive.extract import Extracted, html_from_record
from archive.extract.remembered import Page, capacity, extract_once
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

    A location met again (each crawl's revisits point at the same original record) is not read
    again: what it gave is remembered as long as its extraction would be."""
    out: list[Extracted | None] = []
    for location in locations:
        key = (store.url, location)
        extracted = _by_location.get(key)
        if extracted is None:
            try:
                extracted = extract_once(read_page(store, location))
            except EdittrailError:  # the caller meets it again, and reports it
                out.append(None)
                continue
            _by_location[key] = extracted
            if len(_by_location) > capacity():
                _by_location.popitem(last=False)
        else:
            _by_location.move_to_end(key)
        out.append(extracted)
    return out


_by_location: OrderedDict[tuple[str, Location], Extracted] = OrderedDict()
"""What each location gave on this worker, the most recent last."""
