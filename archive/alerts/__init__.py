"""Alerts: each change sent once to every channel that wants it (Apprise), and an Atom feed per outlet.

``store`` owns ``data/alerts.sqlite`` (the exactly-once bookkeeping, ``Deliveries``, its schema
``STEPS``), ``send`` delivers (the first-sight rule for new channels, ``send_alerts``),
``message`` renders what a change says, and ``feed`` writes the Atom feed.
"""

from archive.alerts.feed import FeedLinks, feed_xml, write_feed
from archive.alerts.message import render_message
from archive.alerts.send import (
    Notifier,
    apprise_notifier,
    channel_url,
    channel_wants,
    deliver_to_channel,
    send_alerts,
    send_once,
)
from archive.alerts.store import STEPS, Deliveries

__all__ = [
    "STEPS",
    "Deliveries",
    "FeedLinks",
    "Notifier",
    "apprise_notifier",
    "channel_url",
    "channel_wants",
    "deliver_to_channel",
    "feed_xml",
    "render_message",
    "send_alerts",
    "send_once",
    "write_feed",
]
