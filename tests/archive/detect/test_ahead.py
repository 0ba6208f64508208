"""Captures read back and extracted on the workers: the same pages as the caller's own reading,
routed so that every copy of a page meets one worker, and whatever fails left to the caller."""

from __future__ import annotations

import os
import pickle
import shutil
import time
from pathlib import Path

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
from tests.archive.stored_warcs import store_of, write_store
from tests.support import write_config


class Counting(LocalStore):
    """A store with behaviour of its own (a test's fake): it must cross as itself."""

    reads = 0


def crossed(thing: object) -> object:
    """``thing`` as a worker process receives it."""
    return pickle.loads(pickle.dumps(thing))  # noqa: S301  # our own object, round trip


def where_each_ran(items: list[int]) -> list[tuple[int, int]]:
    """A worker's answer: each item with the process that saw it."""
    return [(item, os.getpid()) for item in items]


@pytest.mark.integration
def test_items_of_one_route_reach_one_worker_and_results_come_back_in_the_items_order():
    items = list(range(5 * rem.PARALLEL_MIN))
    with rem.Extractors(workers=2) as extractors:
        results = extractors.map(where_each_ran, items, route=lambda item: item % 7).collect()
    assert results is not None and [item for item, _ in results] == items
    workers = {route: {pid for item, pid in results if item % 7 == route} for route in range(7)}
    assert all(len(pids) == 1 for pids in workers.values())  # every item of a route on one worker
    assert len(set().union(*workers.values())) == 2 and os.getpid() not in set().union(*workers.values())
    with rem.Extractors(workers=2) as extractors:  # together they remember what one process would
        assert set(extractors.map(capacity_there, items).collect() or []) == {rem.REMEMBERED // 2}


def test_too_few_items_or_one_core_send_nothing_and_leave_the_work_to_the_caller():
    with rem.Extractors(workers=2) as extractors:
        assert extractors.map(where_each_ran, list(range(rem.PARALLEL_MIN - 1))).collect() is None
    with rem.Extractors(workers=1) as extractors:
        assert extractors.map(where_each_ran, list(range(4 * rem.PARALLEL_MIN))).collect() is None


def capacity_there(items: list[int]) -> list[int]:
    """A worker's answer: how many extractions it may remember."""
    return [rem._capacity for _ in items]


def slowly(items: list[int]) -> list[int]:
    """A worker's answer after a while: long enough to be killed in the middle."""
    time.sleep(0.01 * len(items))
    return items


@pytest.mark.integration
def test_a_killed_worker_gives_nothing_the_caller_then_does_the_work_and_the_workers_are_not_tried_again(caplog):
    items = list(range(4 * rem.PARALLEL_MIN))
    with rem.Extractors(workers=2) as extractors:
        assert extractors.map(where_each_ran, items).collect() is not None
        doomed = extractors.map(slowly, items)
        for pool in extractors._pools:
            for process in list(pool._processes.values()):  # type: ignore[attr-defined]
                process.kill()
        assert doomed.collect() is None
        assert extractors.map(where_each_ran, items).collect() is None
    assert "worker processes failed" in caplog.text


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


def _outcomes(config) -> tuple[list[tuple], list[tuple]]:
    with Index(config.index_path) as idx:
        detected = idx._db.execute("SELECT record_id, version, outcome FROM detected ORDER BY record_id").fetchall()
        versions = idx._db.execute(
            "SELECT article_id, version, record_id, whole_hash FROM versions ORDER BY article_id, version"
        ).fetchall()
    return detected, versions


@pytest.mark.integration
def test_detect_with_pages_read_on_workers_gives_what_detect_in_one_process_gives(tmp_path, caplog):
    config, captures = _indexed(tmp_path, crawls=3, articles=2 * rem.PARALLEL_MIN)
    assert len(captures) >= 4 * rem.PARALLEL_MIN
    alone = tmp_path / "before-detect.sqlite"
    shutil.copy(config.index_path, alone)
    store = store_of(config)
    rem.forget()
    with rem.Extractors(workers=2) as extractors:
        send, calls = extractors.map, []
        extractors.map = lambda *a, **k: calls.append(len(a[1])) or send(*a, **k)  # type: ignore[method-assign]
        on_workers = detect_run.detect(config, "demo", store, extractors=extractors)
    assert calls and max(calls) >= rem.PARALLEL_MIN  # the workers were sent pages...
    assert "worker processes failed" not in caplog.text  # ...and what they gave was taken
    on_workers_rows = _outcomes(config)
    rem.forget()
    config.index_path.unlink()
    shutil.copy(alone, config.index_path)
    with rem.Extractors(workers=1) as extractors:
        in_process = detect_run.detect(config, "demo", store, extractors=extractors)
    assert on_workers == in_process and on_workers["versions"] >= 3
    assert on_workers_rows == _outcomes(config) and len(on_workers_rows[0]) == len(captures)
