"""The index step reading objects ahead on worker processes while this process writes the index:
the same rows, the same quarantine and the same retries as reading them all here."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
from pathlib import Path

import pytest

from archive.config import Config, load_config
from archive.errors import StoreError
from archive.index import Index, objects
from archive.index.quarantine import entries
from archive.storage.local import LocalStore
from archive.warc import WarcReadError, WarcTruncatedError
from archive.workers import Workers
from tests.archive.stored_warcs import path_of, store_of, tamper, truncate, write_store
from tests.support import write_config


class Unreachable(LocalStore):
    """A store that cannot give one object now (a network store timing out), on every process."""

    def __init__(self, root: Path, failing: str) -> None:
        super().__init__(root)
        self.failing = failing  # crosses to the workers with the store

    def open(self, key: str):  # type: ignore[no-untyped-def]
        if key == self.failing:
            raise StoreError(f"timed out reading {key}")
        return super().open(key)


class WorkersCannot(LocalStore):
    """A store that no worker process can read (a mount only this process has)."""

    def open(self, key: str):  # type: ignore[no-untyped-def]
        if multiprocessing.parent_process() is not None:
            raise StoreError(f"not mounted on this worker: {key}")
        return super().open(key)


class Reading(LocalStore):
    """A store that notes which process read each object (a worker, or this process)."""

    def open(self, key: str):  # type: ignore[no-untyped-def]
        (self.root.parent / "readers").mkdir(exist_ok=True)
        (self.root.parent / "readers" / key.replace("/", "_")).write_text(str(os.getpid()))
        return super().open(key)


def _config(tmp_path: Path, name: str, like: Config | None = None) -> Config:
    """An outlet with five stored objects, or with a copy of ``like``'s."""
    (tmp_path / name).mkdir()
    config = load_config(write_config(tmp_path / name, port=8765))
    if like is None:
        write_store(config, crawls=5, articles=4)
    else:
        shutil.copytree(store_of(like).root, store_of(config).root, dirs_exist_ok=True)
    return config


def _keys(config: Config) -> list[str]:
    root = store_of(config).root
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.warc.gz"))


def _rows(config: Config) -> tuple[list[tuple], list[tuple]]:
    with Index(config.index_path) as idx:
        captures = idx._db.execute(
            "SELECT record_id, warc, offset, length, url, status, article_id FROM captures ORDER BY record_id"
        ).fetchall()
        warcs = idx._db.execute("SELECT key, size, sha256 FROM warc_objects ORDER BY key").fetchall()
    return captures, warcs


def _index(config: Config, store: LocalStore, processes: int) -> objects.IndexRun:
    with Index(config.index_path) as idx, Workers(workers=processes) as workers:
        return objects.index_objects(idx, config.outlet("demo"), store, workers=workers)


def test_damage_found_on_a_worker_crosses_back_as_found():
    for error in (WarcReadError("a.warc.gz", 12, "bad header"), WarcTruncatedError("b.warc.gz", 99, "cut short")):
        back = pickle.loads(pickle.dumps(error))  # noqa: S301  # our own object, round trip
        assert type(back) is type(error) and (back.name, back.offset, back.reason, str(back)) == (
            error.name,
            error.offset,
            error.reason,
            str(error),
        )


@pytest.mark.integration
def test_objects_read_on_workers_give_the_rows_reading_them_here_gives(tmp_path):
    alone = _config(tmp_path, "alone")
    ahead = _config(tmp_path, "ahead", like=alone)
    keys = _keys(alone)
    for config in (alone, ahead):  # the same objects in both stores, one tampered with and one cut short
        tamper(path_of(config, keys[2]), 1)
        truncate(path_of(config, keys[4]))
    reading = Reading(store_of(ahead).root)
    here = _index(alone, store_of(alone), processes=1)
    there = _index(ahead, reading, processes=2)
    assert _rows(ahead) == _rows(alone) and (there.indexed, there.captures) == (here.indexed, here.captures)
    assert [(q.key, q.kind, q.error) for q in there.quarantined] == [(q.key, q.kind, q.error) for q in here.quarantined]
    assert len(there.quarantined) == 2
    readers = {p.name: int(p.read_text()) for p in (reading.root.parent / "readers").iterdir()}
    assert readers[keys[0].replace("/", "_")] == os.getpid()  # the first here, while the workers start
    assert all(readers[key.replace("/", "_")] != os.getpid() for key in keys[1:])  # the others ahead, on workers


@pytest.mark.integration
def test_an_object_the_store_cannot_give_now_is_left_for_the_next_run_and_the_others_are_indexed(tmp_path):
    config = _config(tmp_path, "outlet")
    keys = _keys(config)
    run = _index(config, Unreachable(store_of(config).root, failing=keys[3]), processes=2)
    assert run.indexed == len(keys) - 1 and len(run.unreadable) == 1 and keys[3] in run.unreadable[0]
    with Index(config.index_path) as idx:
        assert keys[3] not in idx.indexed_keys("demo", set(keys)) and not entries(idx, "demo")
    again = _index(config, store_of(config), processes=2)
    assert (again.indexed, again.unreadable) == (1, [])


@pytest.mark.integration
@pytest.mark.integration
def test_what_no_worker_could_read_is_read_here_and_indexed(tmp_path):
    config = _config(tmp_path, "outlet")
    run = _index(config, WorkersCannot(store_of(config).root), processes=2)
    assert (run.indexed, run.unreadable, run.quarantined) == (len(_keys(config)), [], [])
    with Index(config.index_path) as idx:
        assert idx.indexed_keys("demo", set(_keys(config))) == set(_keys(config))


def test_an_index_step_given_no_workers_starts_them_only_for_much_to_read(tmp_path, monkeypatch):
    monkeypatch.setattr("archive.workers.os.cpu_count", lambda: 2)  # as on a machine of two cores or more
    small, large = _config(tmp_path, "small"), _config(tmp_path, "large")
    for config in (small, large):
        if config is large:
            monkeypatch.setattr(objects, "PARALLEL_BYTES", 1)  # as if these few KB were gigabytes
        reading = Reading(store_of(config).root)
        with Index(config.index_path) as idx:
            run = objects.index_objects(idx, config.outlet("demo"), reading)
        assert run.indexed == len(_keys(config))
        readers = {int(p.read_text()) for p in (reading.root.parent / "readers").iterdir()}
        assert (readers == {os.getpid()}) == (config is small)
