"""The index step lists the store's recent days, and the whole store once a day (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.index import Index
from archive.index.objects import FULL_LISTING_EVERY, listing
from archive.storage.local import LocalStore


def stored(root: Path, day: datetime, name: str) -> str:
    key = f"warcs/demo/{day:%Y/%m/%d}/{name}-{day:%Y%m%d%H%M%S}-00000.warc.gz"
    (root / key).parent.mkdir(parents=True, exist_ok=True)
    (root / key).write_bytes(b"x")
    return key


def indexed(idx: Index, key: str) -> None:
    idx._db.execute(
        "INSERT INTO warc_objects (key, outlet, size, indexed_at) VALUES (?, 'demo', 1, '2026-01-01T00:00:00Z')", [key]
    )


def test_a_recent_listing_reads_only_the_last_days_and_the_whole_store_is_listed_daily(tmp_path):
    store, now = LocalStore(tmp_path / "store"), datetime.now(UTC)
    old = stored(store.root, now - timedelta(days=30), "old")
    today = stored(store.root, now, "today")
    (store.root / "warcs/other/x.warc.gz").parent.mkdir(parents=True)
    (store.root / "warcs/other/x.warc.gz").write_bytes(b"x")  # another outlet's objects
    with Index(tmp_path / "i.sqlite") as idx:
        assert {o.key for o in listing(idx, "demo", store, recent_only=True)} == {old, today}  # never listed whole
        indexed(idx, old)
        indexed(idx, today)
        late = stored(store.root, now - timedelta(days=10), "late")  # a spool stored ten days late
        assert {o.key for o in listing(idx, "demo", store, recent_only=True)} == {today}
        assert late in {o.key for o in listing(idx, "demo", store)}  # a rebuild lists everything
        stale = (now - FULL_LISTING_EVERY - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        idx._db.execute("UPDATE store_listings SET listed_at = ?", [stale])
        assert late in {o.key for o in listing(idx, "demo", store, recent_only=True)}


def test_the_local_store_lists_a_prefix_without_walking_the_rest(tmp_path):
    store = LocalStore(tmp_path)
    day = datetime(2026, 11, 20, tzinfo=UTC)
    key = stored(tmp_path, day, "a")
    other = stored(tmp_path, day + timedelta(days=1), "b")
    (tmp_path / "warcs/demo/2026/11/22").mkdir(parents=True)  # an empty day
    (tmp_path / "warcs/other/2026/11/20").mkdir(parents=True)
    (tmp_path / "warcs/other/2026/11/20/c.warc.gz").write_bytes(b"x")  # another outlet's
    assert [o.key for o in store.list("warcs/demo/2026/11/20/")] == [key]
    assert [o.key for o in store.list("warcs/demo/")] == [key, other]
    assert [o.key for o in store.list("warcs/demo/2026/11/2")] == [key, other]
    assert list(store.list("warcs/demo/2026/12/")) == []
    assert list(store.list("../")) == []
