"""A mirror that serves another copy of an article: one mirror_divergence change, never an edit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from archive import pipeline
from archive.config import Config, load_config
from archive.index import Index, StoredChange
from archive.index import versions as vx
from archive.simulate import SimulatedOutlet
from tests.support import HOSTS, TWO_DOMAINS, write_config

pytestmark = pytest.mark.integration

PRIMARY, MIRROR = HOSTS[0], HOSTS[1]


@pytest.fixture
def two_domains(tmp_path) -> Iterator[tuple[SimulatedOutlet, Config]]:
    with SimulatedOutlet(hosts=HOSTS[:2], port=0, articles=6) as sim:
        path = write_config(
            tmp_path,
            port=sim.port,
            replace=TWO_DOMAINS,
        )
        yield sim, load_config(path)


def changes_of(config: Config, article_id: int) -> list[StoredChange]:
    with Index(config.index_path, readonly=True) as idx:
        return vx.changes(idx, outlet="demo", article_id=str(article_id))


def test_a_mirror_diverging_after_publication_is_one_divergence_and_no_edit(two_domains):
    sim, config = two_domains
    article = sim.site.article_ids()[1]
    pipeline.run_cycle(config, "demo")
    sim.diverge(MIRROR, article, paragraphs=["A paragraph only the mirror shows.", "And a second one."])
    pipeline.run_cycle(config, "demo")
    pipeline.run_cycle(config, "demo")  # still diverging: nothing new

    found = changes_of(config, article)
    assert [c.kind for c in found] == ["mirror_divergence"], found
    (change,) = found
    assert change.host == MIRROR
    assert change.details["hosts"] == [PRIMARY, MIRROR]
    assert "body" in change.details["kinds"]
    assert "{+A paragraph only" in change.diff_text
    assert not change.declared


def test_a_mirror_diverging_for_one_crawl_only_is_no_change(two_domains):
    """One crawl's disagreement may be an edit falling mid-crawl: only a lasting one is reported."""
    sim, config = two_domains
    article = sim.site.article_ids()[2]
    sim.diverge(MIRROR, article, headline="A headline only the mirror has")
    pipeline.run_cycle(config, "demo")
    sim.converge(MIRROR, article)
    pipeline.run_cycle(config, "demo")

    assert changes_of(config, article) == []
    with Index(config.index_path, readonly=True) as idx:
        current = vx.current_version(idx, "demo", str(article))
    assert current is not None and current.headline != "A headline only the mirror has"


def test_a_mirror_lagging_behind_an_edit_for_two_crawls_is_one_divergence(two_domains):
    sim, config = two_domains
    article = sim.site.article_ids()[4]
    original = sim.site.get(article).headline
    pipeline.run_cycle(config, "demo")
    sim.edit_headline(article, "Edited, but the mirror keeps the old headline")
    sim.diverge(MIRROR, article, headline=original)
    for _ in range(3):
        pipeline.run_cycle(config, "demo")

    found = changes_of(config, article)
    assert sorted(c.kind for c in found) == ["headline", "mirror_divergence"], found
    (lag,) = [c for c in found if c.kind == "mirror_divergence"]
    assert (lag.host, lag.from_version, lag.to_version) == (MIRROR, 2, 1)
    (edit,) = [c for c in found if c.kind == "headline"]
    assert [e["host"] for e in edit.details["served_by"]] == [PRIMARY]


def test_an_edit_on_every_domain_is_an_edit_and_no_divergence(two_domains):
    sim, config = two_domains
    article = sim.site.article_ids()[3]
    pipeline.run_cycle(config, "demo")
    sim.edit_headline(article, "Edited on every domain at once")
    pipeline.run_cycle(config, "demo")
    kinds = [c.kind for c in changes_of(config, article)]
    assert kinds == ["headline"], kinds
