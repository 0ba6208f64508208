"""No work per run that grows with the archive (issue 12): the query plans of a crawl cycle and a reindex.

The statements the index runs during a whole crawl cycle (plan, crawl, store, index, detect,
alert) are collected with a trace callback and explained: none may read a table that grows
with the archive whole, or walk all of an outlet's rows (see ``query_plans.walks``). A
reindex rebuilds the outlet from the WARCs, so it copies and forgets the outlet's rows whole
on purpose: only those statements (``REINDEX_WHOLE_OUTLET``) may walk it, each a bounded
number of times, never once per capture or per object.
"""

from __future__ import annotations

import re

import pytest

from archive import pipeline
from archive.config import load_config
from archive.index import Index
from tests.archive.index.query_plans import collecting, findings

REINDEX_WHOLE_OUTLET = tuple(
    re.compile(pattern, re.IGNORECASE | re.DOTALL)
    for pattern in (
        r"^DELETE FROM main\.\w+ WHERE outlet = ",  # the swap forgets the outlet's old rows ...
        r"^INSERT INTO main\.\w+ .* FROM aside\.\w+ WHERE outlet = ",  # ... and copies the rebuilt ones in
        r"^SELECT key FROM main\.warc_objects WHERE outlet = .* UNION ",  # the swap's check that none is missing
        r"^SELECT key, sha256 FROM warc_objects WHERE outlet = ",  # what the rebuild must find again
        r"^SELECT (count\(\*\)|host, count\(\*\)|status, count\(\*\)|key, size, records) FROM \w+ WHERE outlet = ",
        r'^INSERT INTO "versions_fts"',  # the full-text index of the fresh aside file, made empty
        r"^INSERT INTO (detect_queue|tallies) .* FROM captures",  # migration 6's backfills, once per new file
    )
)
AT_MOST_PER_REINDEX = 3
"""How often a whole-outlet statement may run in one reindex (the swap retries up to SWAP_ATTEMPTS)."""


@pytest.mark.integration
def test_a_crawl_cycle_walks_no_table_that_grows_with_the_archive(sim_config, monkeypatch):
    config = load_config(sim_config)
    pipeline.run_cycle(config, "demo")
    with Index(config.index_path) as idx:  # the first plan applies the revisit schedule: once, not per run
        assert idx.follow_schedule(config.outlet("demo")) > 0
    with collecting(monkeypatch) as cycle:
        second = pipeline.run_cycle(config, "demo")

    statements = cycle.distinct()
    assert second["detect"]["captures"] > 0, "the traced cycle must detect something to prove anything"
    for stage_statement in ("FROM detect_queue", "INTO captures", "INTO detected", "FROM articles WHERE"):
        assert any(stage_statement in s for s in statements), f"no {stage_statement!r} traced: is tracing on?"
    assert findings(config.index_path, statements) == {}


@pytest.mark.integration
def test_a_reindex_walks_the_outlet_only_to_copy_it_and_never_per_capture(sim_config, monkeypatch):
    config = load_config(sim_config)
    pipeline.run_cycle(config, "demo")
    with collecting(monkeypatch) as rebuild:
        pipeline.reindex(config, "demo")

    walked = findings(config.index_path, rebuild.distinct())
    assert any(s.startswith("DELETE FROM main.captures") for s in walked), "the swap must be traced"
    unexpected = {s: steps for s, steps in walked.items() if not any(p.match(s) for p in REINDEX_WHOLE_OUTLET)}
    assert unexpected == {}
    repeated = {s: rebuild.executions(s) for s in walked if rebuild.executions(s) > AT_MOST_PER_REINDEX}
    assert repeated == {}


@pytest.mark.parametrize(
    ("statement", "walks_the_archive"),
    [
        # what detect, plan and alert ran before issue 12: each walked the outlet on every run
        (
            "SELECT c.* FROM captures c LEFT JOIN detected d ON d.record_id = c.record_id "
            "WHERE c.outlet = 'demo' AND c.article_id IS NOT NULL AND d.record_id IS NULL",
            True,
        ),
        ("SELECT * FROM articles WHERE outlet = 'demo' ORDER BY outlet, article_id", True),
        ("SELECT * FROM changes WHERE outlet = 'demo' ORDER BY to_time DESC, id DESC", True),
        ("SELECT key FROM warc_objects WHERE indexed_at IS NOT NULL", True),
        ("SELECT count(*) FROM captures WHERE outlet = 'demo'", True),
        # bounded: by a key, by a limit the index order serves, or a drained queue
        ("SELECT * FROM captures WHERE urlkey = 'x' AND url = 'y' ORDER BY fetched_at DESC LIMIT 1", False),
        ("SELECT * FROM changes WHERE outlet = 'demo' ORDER BY to_time DESC LIMIT 20", False),
        (
            "SELECT canonical_url FROM articles WHERE outlet = 'demo' AND next_due <= 'z' ORDER BY next_due LIMIT 5",
            False,
        ),
        ("SELECT c.* FROM detect_queue q JOIN captures c ON c.record_id = q.record_id WHERE q.outlet = 'demo'", False),
    ],
)
def test_the_judge_tells_a_walk_of_the_archive_from_a_bounded_lookup(tmp_path, statement, walks_the_archive):
    from archive.index import Index

    with Index(tmp_path / "i.sqlite"):
        pass
    assert bool(findings(tmp_path / "i.sqlite", [statement])) is walks_the_archive
