"""``data/alerts.sqlite``: which (change, channel) pairs were delivered, skipped or failed.

The only code that knows this file's tables: its schema steps (``STEPS``, run by
archive.migrations when it is opened) and every query on it. It lives apart from the index on
purpose: the index is rebuilt from the WARCs, and a rebuild must not send every alert again.
Rows are keyed by the change's (or domain event's) stable key and the channel's bookkeeping name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from archive.migrations import Step, migrate


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
