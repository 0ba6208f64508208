"""The Atom feed of an outlet's changes: written to ``data/feeds/<outlet>.atom`` by the alert
stage, and built by the web service with links into the archive (``FeedLinks``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from archive.alerts.message import render_message
from archive.config import Config, Outlet
from archive.index import StoredChange
from archive.moments import parse_iso

C = TypeVar("C", bound=StoredChange)
"""The changes a feed lists: the web service's carry the capture URL their ``memento`` link needs."""


@dataclass(frozen=True)
class FeedLinks(Generic[C]):
    """Where a feed served by the web service points: its own URL, and for each change the
    archived version (``memento``) and the diff page (``compare``), as absolute URLs."""

    feed: str
    home: str
    memento: Callable[[C], str | None]
    compare: Callable[[C], str | None]


def write_feed(
    config: Config, outlet: Outlet, changes: Sequence[StoredChange], articles: dict[str, dict[str, Any]]
) -> Path:
    """The outlet's Atom feed of changes, newest first, rewritten whole and renamed into place.

    Written where no service URL is known, its entries link to the article on the outlet; the
    web service builds its feeds with :func:`feed_xml` and ``FeedLinks`` into the archive."""
    path = config.feed_path(outlet.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".atom.tmp")
    tmp.write_bytes(feed_xml(outlet, changes, articles))
    tmp.replace(path)
    return path


def feed_xml(
    outlet: Outlet,
    changes: Sequence[C],
    articles: dict[str, dict[str, Any]],
    *,
    links: FeedLinks[C] | None = None,
    feed_id: str | None = None,
    title: str | None = None,
) -> bytes:
    """An Atom feed of ``changes`` (oldest first in, newest first out). With ``links``, each entry
    links to the archived version (rel alternate) and to the two versions compared (rel related)."""
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(feed_id or f"urn:edittrail:{outlet.name}:changes")
    feed.title(title or f"{outlet.title or outlet.name}: changes detected by edittrail")
    if links is None:
        feed.link(href=outlet.base_url(outlet.primary), rel="alternate")
    else:
        feed.link(href=links.home, rel="alternate")
        feed.link(href=links.feed, rel="self")
    feed.updated(parse_iso(changes[-1].to_time) if changes else datetime(2000, 1, 1, tzinfo=UTC))
    entry_links: dict[str, list[dict[str, str]]] = {}
    for change in changes:  # feedgen prepends: oldest first in, newest first out
        article = articles[change.article_id]
        entry_title, body = render_message(change, article)
        entry = feed.add_entry()
        entry_id = f"urn:edittrail:change:{change.change_key}"
        entry.id(entry_id)
        entry.title(entry_title)
        if links is None:
            if article["url"]:
                entry.link(href=article["url"])
        else:
            archived, compared = links.memento(change), links.compare(change)
            if archived:
                entry_links.setdefault(entry_id, []).append(
                    {"href": archived, "rel": "alternate", "title": "the archived version"}
                )
            if compared:
                entry_links.setdefault(entry_id, []).append(
                    {"href": compared, "rel": "related", "title": "the two versions compared"}
                )
        entry.updated(parse_iso(change.to_time))
        entry.category(term=change.kind)
        entry.summary(body)
        # Atom wants an alternate link or a content element, and feedgen checks it before
        # ``_with_links`` adds the links: a change without a diff (a retraction, a redirect, a
        # restoration) carries its message as text content.
        if change.diff_html:
            entry.content(change.diff_html, type="html")
        else:
            entry.content(body, type="text")
    return _with_links(cast(bytes, feed.atom_str(pretty=True)), entry_links)


_ATOM = "http://www.w3.org/2005/Atom"


def _with_links(xml: bytes, entry_links: dict[str, list[dict[str, str]]]) -> bytes:
    """The feed with each entry's links added, their ``rel`` and ``title`` kept: feedgen 1.0
    drops both from an entry's links, and an entry's archived version and its diff page must be
    told apart."""
    if not entry_links:
        return xml
    import xml.etree.ElementTree as ET

    ET.register_namespace("", _ATOM)
    root = ET.fromstring(xml)  # noqa: S314 (the feed feedgen just wrote)
    for entry in root.iter(f"{{{_ATOM}}}entry"):
        for attributes in entry_links.get(entry.findtext(f"{{{_ATOM}}}id") or "", []):
            ET.SubElement(entry, f"{{{_ATOM}}}link", attributes)
    ET.indent(root)
    return cast(bytes, ET.tostring(root, encoding="UTF-8", xml_declaration=True))
