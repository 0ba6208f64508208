"""Captures read back and extracted on the workers: the same pages as the caller's own reading,
routed so that every copy of a page meets one worker, and whatever fails left to the caller."""

from __future__ import annotations

import itertools
import logging
import pickle
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from archive import pipeline
from archive.config import load_config
from archive.detect import ahead
from archive.detect import run as detect_run
from archive.extract import remembered as rem
from archive.index import Index
from archive.index import versions as vx
from archive.storage.local import LocalStore
from archive.storage.s3 import S3Settings, S3Store
from archive.warc import crawl_batch
from archive.workers import PARALLEL_MIN, Pending, Workers
from tests.archive.stored_warcs import article_url, store_of, write_store
from tests.support import write_config


class Counting(LocalStore):
    """A store with behaviour of its own (a test's fake): it must cross as itself."""

    reads = 0


def crossed(thing: object) -> object:
    """``thing`` as a worker process receives it."""
    return pickle.loads(pickle.dumps(thing))  # noqa: S301  # our own object, round trip


def test_a_store_crosses_to_a_worker_as_what_reaches_it_and_is_opened_once_there(tmp_path):
    local = LocalStore(tmp_path)
    assert crossed(local) is crossed(LocalStore(tmp_path))
    assert crossed(local).root == local.root
    assert type(crossed(Counting(tmp_path))) is Counting  # a subclass keeps its behaviour
    fake_keys = {"access_key_id": "test", "secret_access_key": "test"}
    settings = S3Settings(endpoint_url="http://127.0.0.1:9", region="us-east-1", **fake_keys)
    s3 = S3Store("bucket", "prefix", settings=settings)
    copy = crossed(s3)
    assert (copy.bucket, copy.prefix, copy.settings, copy.url) == ("bucket", "prefix", settings, s3.url)
    assert copy.client is not s3.client and crossed(s3) is copy
    given = S3Store("bucket", "prefix", settings=settings, client=s3.client)  # a client of the caller's choosing
    with pytest.raises(pickle.PicklingError):  # ...is never swapped for one made from the settings
        crossed(given)


def _indexed(tmp_path: Path, crawls: int, articles: int):
    config = load_config(write_config(tmp_path, port=8765))
    write_store(config, crawls=crawls, articles=articles)
    pipeline.index(config, "demo")
    with Index(config.index_path) as idx:
        captures = list(vx.pending_captures(idx, "demo"))
    return config, captures


def test_a_page_read_for_a_worker_is_the_page_the_caller_reads_and_a_bad_location_gives_none(tmp_path):
    config, captures = _indexed(tmp_path, crawls=2, articles=3)
    outlet, store = config.outlet("demo"), store_of(config)
    rem.forget()
    with Index(config.index_path) as idx:
        locations = [detect_run._location(idx, outlet, capture) for capture in captures]
        own = [detect_run._extracted(idx, outlet, store, capture) for capture in captures]
    rem.forget()
    assert ahead.extract_all(store, locations) == own
    first = locations[0]
    broken = [
        ahead.Location(first.extractor, first.url, first.warc, first.offset + 1, first.length),  # not a record
        ahead.Location(first.extractor, first.url, "warcs/demo/gone.warc.gz", first.offset, first.length),
    ]
    assert ahead.extract_all(store, broken) == [None, None]


@pytest.mark.parametrize(
    ("one", "other", "alike"),
    [
        ("http://www.presstv.ir/Detail/2026/11/20/1/x", "https://presstv.com:8443/Detail/2026/11/20/1/x", True),
        ("http://www.presstv.ir/Detail/1?p=2", "http://presstv.com/Detail/1?p=2", True),
        ("http://www.presstv.ir/Detail/1", "http://www.presstv.ir/Detail/2", False),
        ("http://www.presstv.ir", "http://presstv.com", True),  # no path: one route
    ],
)
def test_every_mirror_s_copy_of_a_page_takes_one_route(one: str, other: str, alike: bool):
    where = ahead.Location("presstv", one, "a.warc.gz", 0, 1)
    assert (ahead.route(where) == ahead.route(ahead.Location("presstv", other, "b.warc.gz", 9, 9))) == alike


class CountingReads(LocalStore):
    """A store that counts its range reads."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads = 0

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        self.reads += 1
        return super().read_range(key, offset, length)


def test_a_location_met_again_is_not_read_again_and_another_store_s_is(tmp_path):
    config, captures = _indexed(tmp_path, crawls=2, articles=3)
    outlet = config.outlet("demo")
    with Index(config.index_path) as idx:
        locations = [detect_run._location(idx, outlet, capture) for capture in captures]
    store = CountingReads(store_of(config).root)
    first = ahead.extract_all(store, locations + locations[:2])  # as revisits point at their originals
    assert store.reads == len(locations) and None not in first and first[-2:] == first[:2]
    assert ahead.extract_all(store, locations) == first[: len(locations)] and store.reads == len(locations)
    elsewhere = CountingReads(store_of(config).root)
    elsewhere.url = "file:///another/store"
    assert ahead.extract_all(elsewhere, locations[:1]) == first[:1] and elsewhere.reads == 1


def _outcomes(config) -> tuple[list[tuple], list[tuple]]:
    with Index(config.index_path) as idx:
        detected = idx._db.execute("SELECT record_id, version, outcome FROM detected ORDER BY record_id").fetchall()
        versions = idx._db.execute(
            "SELECT article_id, version, record_id, whole_hash FROM versions ORDER BY article_id, version"
        ).fetchall()
    return detected, versions


@pytest.mark.integration
def test_detect_with_pages_read_on_workers_gives_what_detect_in_one_process_gives(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="archive")
    config, captures = _indexed(tmp_path, crawls=3, articles=2 * PARALLEL_MIN)
    assert len(captures) >= 4 * PARALLEL_MIN
    alone = tmp_path / "before-detect.sqlite"
    shutil.copy(config.index_path, alone)
    store = store_of(config)
    rem.forget()
    with Workers(workers=2) as workers:
        send, calls = workers.map, []
        workers.map = lambda *a, **k: calls.append(len(a[1])) or send(*a, **k)  # type: ignore[method-assign]
        on_workers = detect_run.detect(config, "demo", store, workers=workers)
    assert calls and max(calls) >= PARALLEL_MIN  # the workers were sent pages...
    assert "worker processes failed" not in caplog.text  # ...and what they gave was taken
    assert "that the workers could not" not in caplog.text
    on_workers_rows = _outcomes(config)
    rem.forget()
    config.index_path.unlink()
    shutil.copy(alone, config.index_path)
    with Workers(workers=1) as workers:
        in_process = detect_run.detect(config, "demo", store, workers=workers)
    assert on_workers == in_process and on_workers["versions"] >= 3
    assert on_workers_rows == _outcomes(config) and len(on_workers_rows[0]) == len(captures)


@pytest.mark.integration
def test_the_workers_are_given_the_next_batch_s_pages_before_the_writer_settles_a_batch(tmp_path, monkeypatch):
    config, captures = _indexed(tmp_path, crawls=3, articles=2 * PARALLEL_MIN)
    events: list[tuple[str, str]] = []
    learn = detect_run.learn_noise

    def learning(idx, outlet, seen, *rest):  # type: ignore[no-untyped-def]
        events.append(("settle", crawl_batch(seen[0].capture.warc)))
        return learn(idx, outlet, seen, *rest)

    monkeypatch.setattr(detect_run, "learn_noise", learning)
    rem.forget()
    with Workers(workers=2) as workers:
        send = workers.map

        def sending(function, items, route=None):  # type: ignore[no-untyped-def]
            events.extend([("sent", crawl_batch(items[0].warc))] if items else [])
            return send(function, items, route)

        monkeypatch.setattr(workers, "map", sending)
        counts = detect_run.detect(config, "demo", store_of(config), workers=workers)
    assert counts["captures"] == len(captures)
    batches = [batch for kind, batch in events if kind == "settle"]
    assert len(batches) == 3
    for before, after in itertools.pairwise(batches):  # the next batch's pages under way before a batch settles
        assert events.index(("sent", after)) < events.index(("settle", before))


def test_detect_given_no_workers_starts_them_only_for_many_pending_captures(tmp_path, monkeypatch):
    config, captures = _indexed(tmp_path, crawls=2, articles=3)
    asked: list[int | None] = []

    class Noting(Workers):
        def __init__(self, workers: int | None = None) -> None:
            asked.append(workers)
            super().__init__(workers=1)  # the work itself stays in this process either way

    monkeypatch.setattr("archive.workers.Workers", Noting)
    alone = tmp_path / "indexed.sqlite"
    shutil.copy(config.index_path, alone)
    detect_run.detect(config, "demo", store_of(config))
    monkeypatch.setattr(detect_run, "OWN_WORKERS_MIN", len(captures))  # as if these few were thousands
    config.index_path.unlink()
    shutil.copy(alone, config.index_path)
    detect_run.detect(config, "demo", store_of(config))
    assert asked == [1, None]  # this process alone for a few; every core's workers for many


def test_the_pages_under_way_stay_within_the_bound_however_many_batches_are_added(monkeypatch, tmp_path):
    monkeypatch.setattr(detect_run, "AHEAD_CAPTURES", 3 * detect_run.AHEAD_CHUNK)
    bound = detect_run.AHEAD_CAPTURES + detect_run.AHEAD_CHUNK  # the last chunk sent may cross it
    outlet = load_config(write_config(tmp_path, port=8765)).outlet("demo")

    class Taking:
        """Workers that take every chunk and give nothing back: the writer reads those pages itself."""

        def takes(self, items: int) -> bool:
            return True

        def map(self, function, items, route=None):  # type: ignore[no-untyped-def]
            sent.append(len(items))
            return Pending(self, 0, [])

    def capture(batch: int, n: int) -> SimpleNamespace:
        warc = f"warcs/demo/2026/11/18/demo-{batch:04d}-20261118100000-00000.warc.gz"
        return SimpleNamespace(
            status=200, article_id="1", record_id=f"{batch}-{n}", record_type="response", url=article_url(n),
            warc=warc, offset=n, length=1,
        )  # fmt: skip

    sent: list[int] = []
    batches = [[capture(b, n) for n in range(300)] for b in range(40)]
    under_way = detect_run._Ahead(None, outlet, None, set(), Taking())  # type: ignore[arg-type]
    for batch in batches:
        under_way.add(batch)  # type: ignore[arg-type]
        assert 0 < sum(sent) < bound  # pages sent to the workers that the writer has not taken
    taken = []
    for number in range(len(batches)):
        for chunk, ready in under_way.of_batch(number):
            taken += [c.record_id for c in chunk]
            assert sum(sent) - len(taken) < bound and ready == {}
    assert taken == [c.record_id for batch in batches for c in batch]
    assert sum(sent) == len(taken)  # every page was sent once
