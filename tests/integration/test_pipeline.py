"""A whole cycle through the stage functions: the index matches the stored WARCs exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import pipeline
from archive.config import load_config
from archive.index import Index
from archive.storage import open_store
from tests.support import warc_responses

pytestmark = pytest.mark.integration


def stored_warcs(config) -> list[Path]:
    store = open_store(config.outlet("demo").store, config.root)
    return [store.root / obj.key for obj in store.list("warcs/demo/")]


def test_cycle_stores_verified_warcs_empties_the_spool_and_indexes_every_response(sim, sim_config):
    config = load_config(sim_config)
    result = pipeline.run_cycle(config, "demo")
    assert list(config.spool_dir("demo").glob("*.warc.gz*")) == []
    warcs = stored_warcs(config)
    assert warcs and result["store"]["stored"]
    responses = warc_responses(warcs)
    with Index(config.index_path, readonly=True) as idx:
        rows = list(idx.captures("demo"))
        articles = list(idx.articles("demo"))
    assert len(rows) == len(responses)
    assert sorted((r.url, r.status) for r in rows) == sorted((r["uri"], r["status"]) for r in responses)
    assert len(articles) >= 31
    sample = next(a for a in articles if a.article_id == str(sim.site.article_ids()[0]))
    assert set(sample.hosts) == {"www.presstv.ir", "www.presstv.co.uk", "presstv.tv", "www.presstv.com"}


def test_index_rows_point_at_the_record_bytes(sim, sim_config):
    config = load_config(sim_config)
    pipeline.run_cycle(config, "demo")
    store = open_store(config.outlet("demo").store, config.root)
    import io

    from archive.warc import iter_records

    with Index(config.index_path, readonly=True) as idx:
        for row in list(idx.captures("demo"))[:20]:
            data = store.read_range(row.warc, row.offset, row.length)
            (record,) = [r for r in iter_records(io.BytesIO(data)) if r.record_type == "response"]
            assert record.target_uri == row.url and record.record_id == row.record_id


def test_reindex_gives_the_same_rows_as_the_incremental_path(sim, sim_config):
    config = load_config(sim_config)
    pipeline.run_cycle(config, "demo")
    sim.edit_headline(sim.site.article_ids()[0], "A second crawl sees a new headline")
    pipeline.run_cycle(config, "demo")
    with Index(config.index_path, readonly=True) as idx:
        captures_before, articles_before = list(idx.captures("demo")), list(idx.articles("demo"))
    assert len({r.warc for r in captures_before}) >= 2
    pipeline.reindex(config, "demo")
    with Index(config.index_path, readonly=True) as idx:
        assert list(idx.captures("demo")) == captures_before
        assert list(idx.articles("demo")) == articles_before


def test_indexing_twice_adds_nothing(sim, sim_config):
    config = load_config(sim_config)
    pipeline.run_cycle(config, "demo")
    again = pipeline.index(config, "demo")
    assert again["warcs_indexed"] == 0 and again["captures_added"] == 0
