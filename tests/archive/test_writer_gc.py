"""The writer's bulk work collects garbage less often, and leaves the collector as it found it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from archive import pipeline
from archive.config import Config, load_config
from archive.detect import run as detect_run
from archive.writer_gc import THRESHOLDS, collecting_less
from tests.archive.stored_warcs import write_store
from tests.support import write_config


@pytest.fixture(autouse=True)
def collector_as_found() -> Iterator[None]:
    """A failing test must not leave the rest of the suite with another collector (nor undo a
    freeze it did not make)."""
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count() > 0
    yield
    gc.set_threshold(*threshold)
    if not frozen:
        gc.unfreeze()


def test_bulk_work_freezes_what_exists_and_raises_the_thresholds_then_restores_both():
    gc.set_threshold(700, 10, 10)
    with collecting_less():
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_the_collector_is_restored_when_the_work_fails():
    gc.set_threshold(900, 11, 12)
    with pytest.raises(RuntimeError), collecting_less():
        raise RuntimeError("the store failed")
    assert gc.get_threshold() == (900, 11, 12)
    assert gc.get_freeze_count() == 0


def test_a_stage_inside_another_keeps_the_outer_settings_until_the_outer_ends():
    with collecting_less():
        with collecting_less():
            assert gc.get_threshold() == THRESHOLDS
        assert gc.get_threshold() == THRESHOLDS  # the inner end changed nothing
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_threads_sharing_the_process_keep_the_settings_until_the_last_one_ends():
    gc.set_threshold(700, 10, 10)
    inside, leave_first = threading.Barrier(2), threading.Event()
    seen: dict[str, tuple[int, int, int]] = {}

    def work(wait: threading.Event | None) -> None:
        with collecting_less():
            inside.wait(timeout=10)
            if wait is not None:
                wait.wait(timeout=10)
        if wait is None:
            seen["after the first left"] = gc.get_threshold()
            leave_first.set()

    first = threading.Thread(target=work, args=(None,))
    second = threading.Thread(target=work, args=(leave_first,))
    for thread in (first, second):
        thread.start()
    for thread in (first, second):
        thread.join(timeout=10)
    assert seen["after the first left"] == THRESHOLDS  # the second thread still works
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_a_freeze_made_elsewhere_is_not_undone():
    gc.freeze()
    with collecting_less():
        assert gc.get_threshold() == THRESHOLDS
    assert gc.get_freeze_count() > 0  # another part of the process froze these: they stay frozen


def test_index_detect_and_reindex_run_with_fewer_collections_and_restore_the_collector(tmp_path, monkeypatch):
    config: Config = load_config(write_config(tmp_path, port=8765))
    write_store(config, crawls=2, articles=3)
    seen: dict[str, list[tuple[int, int, int]]] = {"index": [], "detect": []}

    def noting(stage: str, work: Callable[..., Any]) -> Callable[..., Any]:
        def noted(*args: Any, **kwargs: Any) -> Any:
            seen[stage].append(gc.get_threshold())
            return work(*args, **kwargs)

        return noted

    monkeypatch.setattr(pipeline.Index, "add_warc", noting("index", pipeline.Index.add_warc))
    monkeypatch.setattr(detect_run, "_detect_batch", noting("detect", detect_run._detect_batch))
    gc.set_threshold(700, 10, 10)
    pipeline.index(config, "demo")
    assert pipeline.detect(config, "demo")["versions"] > 0
    assert len(seen["index"]) == 2 and len(seen["detect"]) == 2  # one per crawl
    pipeline.reindex(config, "demo")
    assert len(seen["index"]) == 4 and len(seen["detect"]) == 4
    assert set(seen["index"] + seen["detect"]) == {THRESHOLDS}
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0
