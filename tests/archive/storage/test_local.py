from __future__ import annotations

import hashlib

import pytest

from archive.errors import StoreError
from archive.storage import HashingReader, StoredObject, open_store
from archive.storage.local import LocalStore

NAME = "demo-20261125T105500Z-3f9a1c-20261125105501-00000.warc.gz"


@pytest.fixture
def store(tmp_path):
    return LocalStore(tmp_path / "store")


@pytest.fixture
def warc(tmp_path):
    path = tmp_path / NAME
    path.write_bytes(b"WARC bytes " * 1000)
    return path


def test_put_then_read_back_whole_and_by_range(store, warc):
    obj = store.put(warc, "warcs/demo/a.warc.gz")
    data = warc.read_bytes()
    assert obj.sha256 == hashlib.sha256(data).hexdigest() and obj.size == len(data)
    with store.open(obj.key) as fh:
        assert fh.read() == data
    assert store.read_range(obj.key, 5, 10) == data[5:15]
    assert store.verify(obj.key, obj.sha256)
    assert [o.key for o in store.list("warcs/")] == [obj.key]


def test_put_is_idempotent_for_identical_content(store, warc):
    first = store.put(warc, "k.warc.gz")
    for _ in range(5):
        assert store.put(warc, "k.warc.gz") == first
    assert [o.key for o in store.list()] == ["k.warc.gz"]


def test_put_never_overwrites_different_content(store, warc, tmp_path):
    store.put(warc, "k.warc.gz")
    other = tmp_path / "other"
    other.write_bytes(b"different")
    with pytest.raises(StoreError, match="already exists with different content"):
        store.put(other, "k.warc.gz")
    with store.open("k.warc.gz") as fh:
        assert fh.read() == warc.read_bytes()


def test_corruption_is_seen_by_verify(store, warc):
    obj = store.put(warc, "k.warc.gz")
    (store.root / "k.warc.gz").write_bytes(b"tampered")
    assert not store.verify(obj.key, obj.sha256)


def test_range_past_the_end_is_an_error(store, warc):
    store.put(warc, "k.warc.gz")
    with pytest.raises(StoreError, match="shorter than"):
        store.read_range("k.warc.gz", 10_990, 100)


def test_keys_cannot_escape_the_store(store, warc):
    with pytest.raises(StoreError, match="escapes the store"):
        store.put(warc, "../outside.warc.gz")


def test_missing_object_is_a_clear_error(store):
    with pytest.raises(StoreError, match="no object nope"):
        store.open("nope")


def test_store_url_schemes(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # boto3 resolves credentials when the client
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")  # is built: never let it ask a metadata service
    assert isinstance(open_store("file://data/store", tmp_path), LocalStore)
    assert open_store("file://data/store", tmp_path).root == tmp_path / "data" / "store"
    s3 = open_store("s3://my-bucket/some/prefix", tmp_path)  # builds a client; no request yet
    assert type(s3).__name__ == "S3Store" and s3.url == "s3://my-bucket/some/prefix"
    with pytest.raises(StoreError, match="unknown scheme 'ftp'; use file:// or s3://"):
        open_store("ftp://host/x", tmp_path)


def test_hashing_reader_hashes_what_the_consumer_read_and_the_rest_on_drain(warc):
    with open(warc, "rb") as fh:
        reader = HashingReader(fh)
        assert reader.read(10) == warc.read_bytes()[:10]
        reader.drain()
    assert reader.hexdigest() == hashlib.sha256(warc.read_bytes()).hexdigest()
    assert reader.size == warc.stat().st_size


def test_stat_gives_the_size_without_reading(store, warc):
    store.put(warc, "k.warc.gz")
    assert store.stat("k.warc.gz") == StoredObject("k.warc.gz", warc.stat().st_size, None)
    with pytest.raises(StoreError, match="no object nope"):
        store.stat("nope")


def test_an_unreadable_local_file_is_a_store_error_naming_it(tmp_path):
    path = tmp_path / "demo-1-20261125105501-00000.warc.gz"
    path.mkdir()  # open() fails even for root
    store = LocalStore(tmp_path / "store")
    with pytest.raises(StoreError, match=f"could not read the local file {path}.*stays in the spool"):
        store.put(path, "warcs/demo/x.warc.gz")
    assert list(store.list()) == []


def test_an_upload_file_a_killed_writer_left_is_removed_once_stale_and_a_fresh_one_is_kept(store, warc):
    import os
    import time

    folder = store.root / "warcs" / "demo"
    folder.mkdir(parents=True)
    stale, fresh = folder / ".upload-dead.tmp", folder / ".upload-live.tmp"
    stale.write_bytes(b"half a WARC")
    fresh.write_bytes(b"a copy in progress")
    an_hour_and_more_ago = time.time() - 3700
    os.utime(stale, (an_hour_and_more_ago, an_hour_and_more_ago))
    store.put(warc, "warcs/demo/a.warc.gz")
    assert not stale.exists()
    assert fresh.exists()
    assert [o.key for o in store.list("warcs/")] == ["warcs/demo/a.warc.gz"]
