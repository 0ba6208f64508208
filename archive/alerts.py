"""Alerts: each change sent once to every channel that wants it (Apprise), and an Atom feed per outlet.

Delivery bookkeeping lives in its own SQLite file (``data/alerts.sqlite``), keyed by the
change's stable key and the channel name, not in the index: the index is rebuilt from the
WARCs, and a rebuild must not send every alert again. A delivery is recorded as sent right
after the channel accepts it; a channel that fails is recorded as failed and retried on the
next run, without holding up the others. The only window for a duplicate is a crash between
a channel accepting a message and the bookkeeping commit (milliseconds): we prefer that to
ever losing an alert.

A channel starts with the changes detected after it was first seen, not with the history:
the first run that can use a channel (it is in ``outlets.toml`` and its URL, or the
environment variable named by ``url_env``, is set) records the channel with the time and
marks every change already in the index as ``skipped`` for it. So adding a channel to an
outlet with months of changes, or finally setting a missing ``url_env``, sends nothing old;
``edittrail changes`` and the Atom feed (which always lists everything) show the history.
Skipped rows are keyed by the change's stable key like deliveries, so a reindex does not
make the history new again.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, cast

import sqlite_utils

from archive.config import AlertChannel, Config, Outlet
from archive.index import Index, utc_iso
from archive.index import versions as vx
from archive.migrations import Step, migrate
from archive.moments import parse_iso

log = logging.getLogger(__name__)

FEED_ENTRIES = 500
DIFF_CHARS_IN_ALERT = 800


class Notifier(Protocol):
    def add(self, url: str) -> bool: ...
    def notify(self, body: str, title: str = "") -> bool | None: ...


def apprise_notifier() -> Notifier:
    import apprise

    return cast(Notifier, apprise.Apprise())


def channel_wants(channel: AlertChannel, change: dict[str, Any], headline: str) -> bool:
    """Filters combine with AND; an empty filter accepts everything."""
    details = change.get("details") or {}
    fields = details.get("fields") or [] if isinstance(details, dict) else []
    kinds = {change["kind"], *fields}
    if channel.kinds and not kinds & set(channel.kinds):
        return False
    if channel.sections and not any(s.lower() in (change["section"] or "").lower() for s in channel.sections):
        return False
    if channel.keywords:
        haystack = " ".join((headline, change["summary"] or "", change["diff_text"] or "")).lower()
        if not any(k.lower() in haystack for k in channel.keywords):
            return False
    return True


def channel_url(channel: AlertChannel) -> str:
    """The Apprise URL; from the environment when configured so (tokens never sit in outlets.toml)."""
    if channel.url_env is not None:
        url = os.environ.get(channel.url_env)
        if not url:
            raise LookupError(f"environment variable {channel.url_env} (alert channel {channel.name!r}) is not set")
        return url
    assert channel.url is not None
    return channel.url


def render_message(change: dict[str, Any], article: dict[str, Any]) -> tuple[str, str]:
    """Title and body: the article, the change kind, declared or silent, capture times, a short diff."""
    flag = "declared" if change["declared"] else "silent"
    title = f"[{change['outlet']}] {change['kind']} ({flag}): {article['headline'] or article['url']}"[:250]
    times = (
        f"captured {change['from_time']} → {change['to_time']}"
        if change["from_time"]
        else (f"captured {change['to_time']}")
    )
    diff = (change["diff_text"] or "").strip()
    if len(diff) > DIFF_CHARS_IN_ALERT:
        diff = diff[:DIFF_CHARS_IN_ALERT].rstrip() + " …"
    lines = [
        f"{change['summary']}",
        f"Article {change['article_id']}: {article['url']}",
        f"Host: {change['host']}; {times}",
    ]
    if diff:
        lines += ["", diff]
    return title, "\n".join(lines)


def _step_1(db: sqlite_utils.Database) -> None:
    """The bookkeeping as the releases before numbered steps made it; creates only what is
    missing, so their files are marked version 1 as they are (an older one gains ``read_up_to``)."""
    if "deliveries" not in db.table_names():
        db.table("deliveries").create(
            {
                "change_key": str,
                "channel": str,
                "outlet": str,
                "status": str,
                "attempts": int,
                "last_error": str,
                "updated_at": str,
            },
            pk=("change_key", "channel"),
        )
    if "channels" not in db.table_names():
        db.table("channels").create(
            {"outlet": str, "channel": str, "first_seen_at": str, "skipped": int},
            pk=("outlet", "channel"),
        )
    if "read_up_to" not in db.table_names():
        db.table("read_up_to").create({"outlet": str, "detected_at": str}, pk="outlet")


STEPS: tuple[Step, ...] = (_step_1,)
"""alerts.sqlite's schema steps (archive.migrations): never edit one that has shipped, add the next."""


class Deliveries:
    """Which (change, channel) pairs were delivered; failures with their attempts and last error."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(sqlite3.connect(path, timeout=30))
        self.db.enable_wal()
        migrate(self.db, path, STEPS)

    def read_up_to(self, outlet: str) -> str | None:
        """The newest ``detected_at`` of the changes an earlier run went through; None before the first."""
        row = self.db.execute("SELECT detected_at FROM read_up_to WHERE outlet = ?", [outlet]).fetchone()
        return row[0] if row else None

    def set_read_up_to(self, outlet: str, detected_at: str) -> None:
        with self.db.conn:
            self.db.execute(
                "INSERT OR REPLACE INTO read_up_to (outlet, detected_at) VALUES (?, ?)", [outlet, detected_at]
            )

    def first_sight(self, outlet: str, channel: str, keys: Callable[[], Iterable[str]]) -> int | None:
        """On a channel's first use, mark ``keys()`` (the changes so far) skipped for it and
        return how many; None when the channel was seen before (then the history is not read)."""
        seen = self.db.execute("SELECT 1 FROM channels WHERE outlet = ? AND channel = ?", [outlet, channel]).fetchone()
        if seen:
            return None
        now = datetime.now(UTC).isoformat(timespec="seconds")
        history = list(dict.fromkeys(keys()))
        with self.db.conn:
            self.db.table("channels").insert(
                {"outlet": outlet, "channel": channel, "first_seen_at": now, "skipped": len(history)}
            )
            self.db.table("deliveries").insert_all(
                (
                    {
                        "change_key": key,
                        "channel": channel,
                        "outlet": outlet,
                        "status": "skipped",
                        "attempts": 0,
                        "last_error": "detected before the channel was first seen",
                        "updated_at": now,
                    }
                    for key in history
                ),
                pk=("change_key", "channel"),
                ignore=True,
            )
        return len(history)

    def skip_history(self, outlet: str, keys: Iterable[str], reason: str) -> int:
        """Mark ``keys`` skipped on every channel of the outlet seen so far, unless already bookkept:
        a rebuilt history (``redetect``) must not be alerted again. Returns the rows added."""
        channels = [r[0] for r in self.db.execute("SELECT channel FROM channels WHERE outlet = ?", [outlet])]
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rows = [
            {
                "change_key": key,
                "channel": channel,
                "outlet": outlet,
                "status": "skipped",
                "attempts": 0,
                "last_error": reason,
                "updated_at": now,
            }
            for channel in channels
            for key in dict.fromkeys(keys)
        ]
        before = self.db.table("deliveries").count
        with self.db.conn:
            self.db.table("deliveries").insert_all(rows, pk=("change_key", "channel"), ignore=True)
        return self.db.table("deliveries").count - before

    def status(self, key: str, channel: str) -> str | None:
        """ "sent", "failed", "skipped" (history before the channel was first seen), or None."""
        row = self.db.execute(
            "SELECT status FROM deliveries WHERE change_key = ? AND channel = ?", [key, channel]
        ).fetchone()
        return row[0] if row else None

    def sent(self, key: str, channel: str) -> bool:
        row = self.db.execute(
            "SELECT status FROM deliveries WHERE change_key = ? AND channel = ?", [key, channel]
        ).fetchone()
        return bool(row and row[0] == "sent")

    def record(self, key: str, channel: str, outlet: str, *, ok: bool, error: str = "") -> None:
        row = self.db.execute(
            "SELECT attempts FROM deliveries WHERE change_key = ? AND channel = ?", [key, channel]
        ).fetchone()
        with self.db.conn:
            self.db.table("deliveries").upsert(
                {
                    "change_key": key,
                    "channel": channel,
                    "outlet": outlet,
                    "status": "sent" if ok else "failed",
                    "attempts": (row[0] if row else 0) + 1,
                    "last_error": error,
                    "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                },
                pk=("change_key", "channel"),
            )

    def failed(self, outlet: str) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.db.query(
                "SELECT * FROM deliveries WHERE outlet = ? AND status = 'failed' ORDER BY updated_at", [outlet]
            )
        ]

    def close(self) -> None:
        self.db.close()


def article_info(db: sqlite_utils.Database, outlet: Outlet, article_id: str) -> dict[str, Any]:
    latest = vx.latest_version(db, outlet.name, article_id)
    row = db.execute(
        "SELECT canonical_url FROM articles WHERE outlet = ? AND article_id = ?", [outlet.name, article_id]
    ).fetchone()
    return {"headline": latest.headline if latest else "", "url": row[0] if row else ""}


def send_alerts(
    config: Config, outlet_name: str, *, notifier_factory: Callable[[], Notifier] = apprise_notifier
) -> dict[str, Any]:
    """Deliver each change detected since the last run to every channel that wants it and has not had
    it; rewrite the feed.

    The run reads the changes detect recorded since the newest one the last run read (with
    ``REREAD`` of overlap, which the per-key bookkeeping makes harmless), so its cost follows
    the new changes, not the outlet's history. A reindex or redetect records its rebuilt
    changes anew; the next run reads them once and sends only those never delivered.
    """
    outlet = config.outlet(outlet_name)
    started = utc_iso(datetime.now(UTC))
    deliveries = Deliveries(config.alerts_db)
    counts = {"sent": 0, "failed": 0, "already_sent": 0, "before_channel": 0}
    try:
        read_up_to = deliveries.read_up_to(outlet.name)
        with Index(config.index_path, readonly=True) as idx:
            since = _minus(read_up_to, REREAD) if read_up_to else None
            changes = vx.changes_detected_since(idx.db, outlet.name, since)
            latest = list(reversed(vx.changes(idx.db, outlet=outlet.name, limit=FEED_ENTRIES)))
            articles = {c["article_id"]: article_info(idx.db, outlet, c["article_id"]) for c in [*changes, *latest]}
            for channel in outlet.alerts:
                _deliver(channel, outlet, changes, articles, deliveries, counts, notifier_factory, idx)
        newest = max((c["detected_at"] for c in changes if c.get("detected_at")), default=read_up_to or started)
        if newest != read_up_to:
            deliveries.set_read_up_to(outlet.name, newest)
    finally:
        deliveries.close()
    feed = write_feed(config, outlet, latest, articles)
    log.info("alerts outlet=%s sent=%d failed=%d feed=%s", outlet.name, counts["sent"], counts["failed"], feed)
    return counts | {"feed": str(feed), "changes": len(changes)}


REREAD = timedelta(minutes=10)
"""How far back each run reads again: a change recorded with a clock slightly behind is not missed."""


def _minus(moment: str, delta: timedelta) -> str:
    return utc_iso(_parse(moment) - delta)


def _deliver(
    channel: AlertChannel,
    outlet: Outlet,
    changes: Iterable[dict[str, Any]],
    articles: dict[str, dict[str, Any]],
    deliveries: Deliveries,
    counts: dict[str, int],
    notifier_factory: Callable[[], Notifier],
    idx: Index,
) -> None:
    changes = list(changes)
    wanted = (c for c in changes if channel_wants(channel, c, articles[c["article_id"]]["headline"]))
    messages = ((c["change_key"], *render_message(c, articles[c["article_id"]])) for c in wanted)
    deliver_to_channel(
        channel,
        (outlet.name, channel.name),
        lambda: vx.change_keys(idx.db, outlet.name),
        messages,
        deliveries,
        counts,
        notifier_factory,
    )


def deliver_to_channel(
    channel: AlertChannel,
    scope: tuple[str, str],
    history: Callable[[], Iterable[str]],
    messages: Iterable[tuple[str, str, str]],
    deliveries: Deliveries,
    counts: dict[str, int],
    notifier_factory: Callable[[], Notifier],
) -> None:
    """One channel's run: its URL, its first sight, then each (key, title, body) message once.

    ``scope`` is (outlet, bookkeeping name): article changes and domain events of one channel
    are kept apart. ``history()`` gives every key known now: on the channel's first sight they
    are all marked skipped (it is called only then), so a new channel starts with what comes after it. A channel whose
    URL is missing records nothing: its first sight is the first run that can use it.
    """
    outlet, name = scope
    try:
        url = channel_url(channel)
    except LookupError as exc:
        log.error("alert channel unusable, nothing sent to it outlet=%s channel=%s: %s", outlet, name, exc)
        counts["unusable_channels"] = counts.get("unusable_channels", 0) + 1
        return
    skipped = deliveries.first_sight(outlet, name, history)
    if skipped is not None:
        log.info(
            "alert channel first seen outlet=%s channel=%s: %d earlier item(s) not sent to it", outlet, name, skipped
        )
    for key, title, body in messages:
        send_once(deliveries, notifier_factory, url, (outlet, name, key), title, body, counts)


def send_once(
    deliveries: Deliveries,
    notifier_factory: Callable[[], Notifier],
    url: str,
    target: tuple[str, str, str],
    title: str,
    body: str,
    counts: dict[str, int],
) -> None:
    """Send one message to one channel unless it was sent (or skipped as history) before.

    ``target`` is (outlet, channel bookkeeping name, stable key). A failure is recorded and
    retried on the next run; it never raises, so one channel cannot hold up the others.
    """
    outlet, channel, key = target
    status = deliveries.status(key, channel)
    if status == "skipped":
        counts["before_channel"] = counts.get("before_channel", 0) + 1
        return
    if status == "sent":
        counts["already_sent"] = counts.get("already_sent", 0) + 1
        return
    notifier = notifier_factory()
    try:
        ok = bool(notifier.add(url)) and bool(notifier.notify(body=body, title=title))
        error = "" if ok else "the channel did not accept the message"
    except Exception as exc:
        ok, error = False, f"{type(exc).__name__}: {exc}"
    deliveries.record(key, channel, outlet, ok=ok, error=error)
    counts["sent" if ok else "failed"] = counts.get("sent" if ok else "failed", 0) + 1
    if not ok:
        log.warning("alert failed outlet=%s channel=%s key=%s: %s (retried next run)", outlet, channel, key, error)


@dataclass(frozen=True)
class FeedLinks:
    """Where a feed served by the web service points: its own URL, and for each change the
    archived version (``memento``) and the diff page (``compare``), as absolute URLs."""

    feed: str
    home: str
    memento: Callable[[dict[str, Any]], str | None]
    compare: Callable[[dict[str, Any]], str | None]


def write_feed(
    config: Config, outlet: Outlet, changes: list[dict[str, Any]], articles: dict[str, dict[str, Any]]
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
    changes: list[dict[str, Any]],
    articles: dict[str, dict[str, Any]],
    *,
    links: FeedLinks | None = None,
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
    feed.updated(_parse(changes[-1]["to_time"]) if changes else datetime(2000, 1, 1, tzinfo=UTC))
    entry_links: dict[str, list[dict[str, str]]] = {}
    for change in changes:  # feedgen prepends: oldest first in, newest first out
        article = articles[change["article_id"]]
        entry_title, body = render_message(change, article)
        entry = feed.add_entry()
        entry_id = f"urn:edittrail:change:{change['change_key']}"
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
        entry.updated(_parse(change["to_time"]))
        entry.category(term=change["kind"])
        entry.summary(body)
        # Atom wants an alternate link or a content element, and feedgen checks it before
        # ``_with_links`` adds the links: a change without a diff (a retraction, a redirect, a
        # restoration) carries its message as text content.
        if change["diff_html"]:
            entry.content(change["diff_html"], type="html")
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


def _parse(text: str) -> datetime:
    return parse_iso(text)
