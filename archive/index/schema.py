"""The index schema, as an ordered list of migrations (SQLite's ``user_version`` counts them).

Never edit a migration that has shipped: add the next one. Each runs in its own transaction,
run by ``archive.migrations.migrate`` (the runner alerts.sqlite and mirrors.sqlite share).
"""

from __future__ import annotations

import sqlite_utils

from archive.migrations import Step


def _migration_1(db: sqlite_utils.Database) -> None:
    db.table("captures").create(
        {
            "record_id": str,
            "outlet": str,
            "url": str,
            "urlkey": str,
            "host": str,
            "fetched_at": str,
            "status": int,
            "mime": str,
            "payload_digest": str,
            "record_type": str,
            "warc": str,
            "offset": int,
            "length": int,
            "article_id": str,
            "ip_address": str,
        },
        pk="record_id",
        not_null={"outlet", "url", "urlkey", "host", "fetched_at", "record_type", "warc", "offset", "length"},
    )
    db.table("captures").create_index(["urlkey", "fetched_at"])
    db.table("captures").create_index(["outlet", "article_id", "fetched_at"])
    db.table("captures").create_index(["warc"])
    db.table("articles").create(
        {
            "outlet": str,
            "article_id": str,
            "canonical_url": str,
            "first_seen": str,
            "last_seen": str,
            "hosts": str,
            "captures": int,
            "last_status": int,
        },
        pk=("outlet", "article_id"),
    )
    db.table("warc_objects").create(
        {"key": str, "outlet": str, "size": int, "sha256": str, "stored_at": str, "indexed_at": str, "records": int},
        pk="key",
    )


def _migration_2(db: sqlite_utils.Database) -> None:
    """Article versions (with full text, FTS5 on headline + body), changes, and detect bookkeeping."""
    versions = db.table("versions")
    versions.create(
        {
            "id": int,
            "outlet": str,
            "article_id": str,
            "version": int,
            "record_id": str,
            "host": str,
            "url": str,
            "fetched_at": str,
            "whole_hash": str,
            "hashes": str,
            "headline": str,
            "lead": str,
            "body": str,
            "captions": str,
            "images": str,
            "section": str,
            "byline": str,
            "published": str,
            "last_update": str,
            "slug": str,
            "extractor": str,
        },
        pk="id",
        not_null={"outlet", "article_id", "version", "record_id", "whole_hash"},
    )
    versions.create_index(["outlet", "article_id", "version"], unique=True)
    versions.create_index(["outlet", "article_id", "whole_hash"])
    versions.enable_fts(["headline", "body"], create_triggers=True, tokenize="unicode61 remove_diacritics 2")
    changes = db.table("changes")
    changes.create(
        {
            "id": int,
            "change_key": str,
            "outlet": str,
            "article_id": str,
            "kind": str,
            "declared": int,
            "host": str,
            "from_version": int,
            "to_version": int,
            "from_record": str,
            "to_record": str,
            "from_time": str,
            "to_time": str,
            "summary": str,
            "diff_text": str,
            "diff_html": str,
            "section": str,
            "details": str,
        },
        pk="id",
        not_null={"change_key", "outlet", "article_id", "kind", "to_record", "to_time"},
    )
    changes.create_index(["change_key"], unique=True)
    changes.create_index(["outlet", "to_time"])
    changes.create_index(["outlet", "article_id", "to_time"])
    db.table("detected").create(
        {"record_id": str, "outlet": str, "article_id": str, "version": int, "outcome": str}, pk="record_id"
    )
    db.table("host_state").create(
        {"outlet": str, "article_id": str, "host": str, "version": int, "state": str, "record_id": str},
        pk=("outlet", "article_id", "host"),
    )
    db.table("article_state").create(
        {"outlet": str, "article_id": str, "state": str, "redirect_to": str, "record_id": str},
        pk=("outlet", "article_id"),
    )


def _migration_3(db: sqlite_utils.Database) -> None:
    """article_state.current_version: the version the outlet shows now (the newest seen, or the
    one it reverted to); a host showing another known version is lagging or reverting."""
    if "current_version" not in db.table("article_state").columns_dict:  # a pre-release index may have it
        db.table("article_state").add_column("current_version", int)


def _migration_4(db: sqlite_utils.Database) -> None:
    """Detection you can trust: what the outlet's noise is (learned per outlet), since when each
    host shows what it shows, and since when the article's current version is current.

    Versions and changes detected before are kept; ``edittrail redetect`` rebuilds them with
    noise learned (the README's upgrade note says when to run it).
    """
    db.table("noise_learned").create(
        {
            "outlet": str,
            "key": str,
            "kind": str,
            "field": str,
            "pattern": str,
            "slot": int,
            "articles": int,
            "learned_at": str,
            "example": str,
        },
        pk=("outlet", "key"),
        if_not_exists=True,
    )
    for name, column, kind in (
        ("host_state", "since", str),
        ("host_state", "since_record", str),
        ("host_state", "redirect_to", str),
        ("article_state", "current_since", str),
        ("article_state", "transition_record", str),
        ("versions", "section_ids", str),
    ):
        if column not in db.table(name).columns_dict:
            db.table(name).add_column(column, kind)
    db.table("captures").create_index(["urlkey", "payload_digest"], if_not_exists=True)


def _migration_5(db: sqlite_utils.Database) -> None:
    """The quarantine: stored WARC objects the index step could not read whole (damaged, changed
    since they were indexed, or gone from the store), with why and where, so that one bad object
    is reported instead of stopping every index run (archive.index.quarantine)."""
    db.table("quarantine").create(
        {
            "key": str,
            "outlet": str,
            "kind": str,
            "size": int,
            "sha256": str,
            "recorded_sha256": str,
            "error": str,
            "offset": int,
            "damaged_records": int,
            "captures": int,
            "quarantined_at": str,
            "checked_at": str,
        },
        pk="key",
        not_null={"outlet", "kind", "error", "quarantined_at", "checked_at"},
        if_not_exists=True,
    )
    db.table("quarantine").create_index(["outlet"], if_not_exists=True)


def _migration_6(db: sqlite_utils.Database) -> None:
    """Months of archive: what a run needs is found without walking the archive.

    - ``detect_queue``: the article captures detect has not settled yet, filled by the index
      step and drained by detect, so a run reads its new captures, not every capture;
    - ``articles.next_due``: the first revisit moment after the article was last fetched
      (archive.plan.revisit), with the schedule it was computed under in ``revisit_schedules``, so
      the plan step reads the due articles, not every article;
    - ``changes.detected_at``: when detect recorded the change, so the alert stage reads the
      changes made since its last run, not every change;
    - ``warc_objects`` by outlet and key, and ``store_listings``: when the index step last listed
      the whole store (it lists only the recent days in between, archive.index.objects);
    - ``tallies``: captures per (outlet, host, status), kept by the index step, so the outlet's
      page and the run's summary count without counting every capture.
    """
    db.table("detect_queue").create(
        {"record_id": str, "outlet": str, "fetched_at": str}, pk="record_id", not_null={"outlet", "fetched_at"}
    )
    db.table("detect_queue").create_index(["outlet", "fetched_at", "record_id"])
    db.execute(
        "INSERT INTO detect_queue (record_id, outlet, fetched_at) "
        "SELECT c.record_id, c.outlet, c.fetched_at FROM captures c LEFT JOIN detected d ON d.record_id = c.record_id "
        "WHERE c.article_id IS NOT NULL AND d.record_id IS NULL"
    )
    db.table("articles").add_column("next_due", str)
    db.table("articles").create_index(["outlet", "next_due"])
    db.table("revisit_schedules").create({"outlet": str, "schedule": str}, pk="outlet")
    db.table("changes").add_column("detected_at", str)
    db.table("changes").create_index(["outlet", "detected_at"])
    db.table("warc_objects").create_index(["outlet", "key"])
    db.table("store_listings").create({"outlet": str, "listed_at": str}, pk="outlet")
    db.table("tallies").create(
        {"outlet": str, "host": str, "status": int, "captures": int}, pk=("outlet", "host", "status")
    )
    db.execute(
        "INSERT INTO tallies (outlet, host, status, captures) "
        "SELECT outlet, host, coalesce(status, -1), count(*) FROM captures GROUP BY outlet, host, coalesce(status, -1)"
    )


def _migration_7(db: sqlite_utils.Database) -> None:
    """The changes of one kind, newest first, read through an index: the changes page and
    ``/api/changes`` filtered by kind cost what the page shows, not a walk of the newest changes
    of every kind (archive.index.changes)."""
    db.table("changes").create_index(["outlet", "kind", "to_time"], if_not_exists=True)


MIGRATIONS: tuple[Step, ...] = (
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
    _migration_7,
)
