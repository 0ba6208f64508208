"""Alerts: each change sent once to every channel that wants it (Apprise); the feed rewritten.

A delivery is recorded as sent (in ``data/alerts.sqlite``, :mod:`archive.alerts.store`) right
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
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from archive.alerts.feed import write_feed
from archive.alerts.message import render_message
from archive.alerts.store import Deliveries
from archive.config import AlertChannel, Config, Outlet
from archive.index import Index, StoredChange, utc_iso
from archive.index import articles as articles_index
from archive.index import versions as vx
from archive.moments import parse_iso

log = logging.getLogger(__name__)

FEED_ENTRIES = 500


class Notifier(Protocol):
    def add(self, url: str) -> bool: ...
    def notify(self, body: str, title: str = "") -> bool | None: ...


def apprise_notifier() -> Notifier:
    import apprise

    return cast(Notifier, apprise.Apprise())


def channel_wants(channel: AlertChannel, change: StoredChange, headline: str) -> bool:
    """Filters combine with AND; an empty filter accepts everything."""
    fields = change.details.get("fields") or []
    kinds = {change.kind, *fields}
    if channel.kinds and not kinds & set(channel.kinds):
        return False
    if channel.sections and not any(s.lower() in (change.section or "").lower() for s in channel.sections):
        return False
    if channel.keywords:
        haystack = " ".join((headline, change.summary or "", change.diff_text or "")).lower()
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


def article_info(idx: Index, outlet: Outlet, article_id: str) -> dict[str, Any]:
    latest = vx.latest_version(idx, outlet.name, article_id)
    url = articles_index.canonical_url(idx, outlet.name, article_id)
    return {"headline": latest.headline if latest else "", "url": url or ""}


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
            changes = vx.changes_detected_since(idx, outlet.name, since)
            latest = list(reversed(vx.changes(idx, outlet=outlet.name, limit=FEED_ENTRIES)))
            articles = {c.article_id: article_info(idx, outlet, c.article_id) for c in [*changes, *latest]}
            for channel in outlet.alerts:
                _deliver(channel, outlet, changes, articles, deliveries, counts, notifier_factory, idx)
        newest = max((c.detected_at for c in changes if c.detected_at), default=read_up_to or started)
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
    return utc_iso(parse_iso(moment) - delta)


def _deliver(
    channel: AlertChannel,
    outlet: Outlet,
    changes: Iterable[StoredChange],
    articles: dict[str, dict[str, Any]],
    deliveries: Deliveries,
    counts: dict[str, int],
    notifier_factory: Callable[[], Notifier],
    idx: Index,
) -> None:
    changes = list(changes)
    wanted = (c for c in changes if channel_wants(channel, c, articles[c.article_id]["headline"]))
    messages = ((c.change_key, *render_message(c, articles[c.article_id])) for c in wanted)
    deliver_to_channel(
        channel,
        (outlet.name, channel.name),
        lambda: vx.change_keys(idx, outlet.name),
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
