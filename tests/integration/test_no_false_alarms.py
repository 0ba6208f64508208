"""An unchanged outlet re-crawled many times, while its pages' noise changes, yields no change."""

from __future__ import annotations

import pytest

from archive import pipeline
from archive.config import load_config
from archive.index import Index
from archive.index import versions as vx
from archive.simulate import SimulatedOutlet
from tests.support import HOSTS, TWO_DOMAINS, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CRAWLS = 10


def test_ten_crawls_of_an_unchanged_outlet_with_changing_noise_yield_zero_changes(tmp_path):
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=4) as sim:
        config = load_config(
            write_config(
                tmp_path,
                port=sim.port,
                replace=TWO_DOMAINS,
            )
        )
        sim.markup_noise(True)
        for run in range(CRAWLS):
            # Alternate transfer forms too: the same page gzip-encoded, plain, and chunked.
            sim.set_encoding(gzip=run % 2 == 0, chunked=run % 3 == 0)
            pipeline.run_cycle(config, "demo")
        served = [r for r in sim.requests if r.path.startswith("/Detail/") and r.status == 200]
    with Index(config.index_path, readonly=True) as idx:
        versions = list(idx._db.query("SELECT article_id, count(*) AS n FROM versions GROUP BY article_id"))
        changes = vx.changes(idx, outlet="demo")
        outcomes = dict(idx._db.execute("SELECT outcome, count(*) FROM detected GROUP BY outcome").fetchall())
    assert len(served) >= CRAWLS * 5 * 2, "every article should have been fetched on both hosts every run"
    assert outcomes.get("new version") == len(versions) == 5, outcomes  # first sight of each article
    assert outcomes.get("same", 0) >= len(served) - len(versions), outcomes
    assert all(row["n"] == 1 for row in versions), versions
    # Every generated slug matches its headline (the feed even links some under a slug missing
    # its last word, and apostrophes vanish from slugs), so not even slug evidence is expected.
    assert [(c.article_id, c.kind, c.summary) for c in changes] == []
