"""Mirror divergence: two domains of the outlet serving different copies of one article.

Run by the detect stage after it has processed the captures of one crawl, because which
domain disagrees is only known once every domain's copy from that crawl has been seen; only
copies from that crawl are compared (a domain that did not answer keeps an old copy, which
says nothing about now). The reference is the first domain in failover order (the primary, when it answered) among the
domains whose last copy was captured within the outlet's ``divergence_window`` of the
newest one; every other domain in that window that shows another version diverges from it.

A lagging mirror (still showing a version the article had before) diverges too, and the
article's edit stands. A domain whose copy is new in this run and differs from the
reference's is not an edit: when the version that mirror introduced was at first recorded
as an edit of the article (the per-capture pass could not yet know the primary
would still show the old one), those changes are replaced by the one divergence, and the
article's current version goes back to the reference's. Each (reference version, mirror
version, mirror) is reported once, however many crawls see it again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlite_utils

from archive.changes import CONTENT_KINDS, Change, Version, divergence, slug_mismatch
from archive.config import Outlet
from archive.index import versions as vx


def live_copies(db: sqlite_utils.Database, outlet: Outlet, article_id: str) -> list[dict[str, Any]]:
    """Each domain's last live copy of the article with its capture time, in failover order."""
    rows = list(
        db.query(
            "SELECT h.host, h.version, h.record_id, c.fetched_at FROM host_state h "
            "JOIN captures c ON c.record_id = h.record_id "
            "WHERE h.outlet = ? AND h.article_id = ? AND h.state = 'live' AND h.version IS NOT NULL",
            [outlet.name, article_id],
        )
    )
    order = {host: i for i, host in enumerate(outlet.domains)}
    return sorted(rows, key=lambda r: (order.get(r["host"], len(order)), r["host"]))


def find_divergences(
    db: sqlite_utils.Database, outlet: Outlet, article_id: str, this_run: set[str] | frozenset[str] = frozenset()
) -> list[Change]:
    """The divergences among the domains' current copies not reported before.

    ``this_run`` holds the record ids of the crawl just processed: only those domains' copies
    are compared, and only edits recorded from them are withdrawn (an edit reported, and
    perhaps alerted, in an earlier run stands). Empty means every domain's last copy.
    """
    copies = [c for c in live_copies(db, outlet, article_id) if not this_run or c["record_id"] in this_run]
    if len(copies) < 2:
        return []
    newest = max(_moment(c["fetched_at"]) for c in copies)
    recent = [c for c in copies if (newest - _moment(c["fetched_at"])).total_seconds() <= outlet.divergence_window]
    if len(recent) < 2:
        return []
    reference, found = recent[0], []
    ref_version = vx.version_number(db, outlet.name, article_id, reference["version"])
    for copy in recent[1:]:
        same = copy["version"] == reference["version"]
        if same or ref_version is None or _reported(db, outlet, article_id, copy, reference):
            continue
        mirror_version = vx.version_number(db, outlet.name, article_id, copy["version"])
        if mirror_version is None:
            continue
        shown = _as_captured(mirror_version, copy)
        change = divergence(_as_captured(ref_version, reference), shown, reference_host=reference["host"])
        if change is None:
            continue
        if mirror_version.record_id in this_run:  # the mirror's copy is new in this run, not a lag
            _withdraw_edits(db, outlet, article_id, this_run, (reference["version"], copy["version"]))
        found.append(change)
        if _withdraw_first_sight(db, outlet, article_id, this_run, copy["record_id"]):
            found.extend(c for c in [slug_mismatch(_as_captured(ref_version, reference))] if c is not None)
    return found


def _as_captured(version: Version, copy: dict[str, Any]) -> Version:
    """The version as this domain's last capture showed it (host, record and time of that capture)."""
    return replace(version, host=copy["host"], record_id=copy["record_id"], fetched_at=copy["fetched_at"])


def _reported(
    db: sqlite_utils.Database, outlet: Outlet, article_id: str, copy: dict[str, Any], ref: dict[str, Any]
) -> bool:
    row = db.execute(
        "SELECT 1 FROM changes WHERE outlet = ? AND article_id = ? AND kind = 'mirror_divergence' "
        "AND host = ? AND from_version = ? AND to_version = ?",
        [outlet.name, article_id, copy["host"], ref["version"], copy["version"]],
    ).fetchone()
    return row is not None


def _withdraw_edits(
    db: sqlite_utils.Database,
    outlet: Outlet,
    article_id: str,
    this_run: set[str] | frozenset[str],
    pair: tuple[int, int],
) -> None:
    """Edits recorded in this run between the reference's and the mirror's versions (either way)
    were the two domains disagreeing, not the article changing: they go, and the article's
    current version is the reference's again. Edits of earlier runs (perhaps alerted) stand."""
    reference, mirror = pair
    kinds = ", ".join("?" * len(CONTENT_KINDS))
    rows = db.execute(
        f"SELECT id, to_record FROM changes WHERE outlet = ? AND article_id = ? AND kind IN ({kinds}) "  # noqa: S608 (placeholders only)
        "AND ((from_version = ? AND to_version = ?) OR (from_version = ? AND to_version = ?))",
        [outlet.name, article_id, *CONTENT_KINDS, reference, mirror, mirror, reference],
    ).fetchall()
    for change_id, to_record in rows:
        if to_record in this_run:
            db.execute("DELETE FROM changes WHERE id = ?", [change_id])
    vx.set_current_version(db, outlet.name, article_id, reference)


def _withdraw_first_sight(
    db: sqlite_utils.Database, outlet: Outlet, article_id: str, this_run: set[str] | frozenset[str], record_id: str
) -> bool:
    """A slug_mismatch judged on the mirror's diverging copy (seen first) goes; True when one did.

    The slug is then judged on the reference's copy instead, by the caller.
    """
    if record_id not in this_run:
        return False
    cursor = db.execute(
        "DELETE FROM changes WHERE outlet = ? AND article_id = ? AND kind = 'slug_mismatch' AND to_record = ?",
        [outlet.name, article_id, record_id],
    )
    return cursor.rowcount > 0


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
