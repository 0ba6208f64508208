"""One act of the outlet is one change, however many domains serve it and however many crawls see it."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest

from archive import pipeline
from archive.config import Config, load_config
from archive.demo import webhook_receiver
from archive.index import Index, StoredChange
from archive.index import versions as vx
from archive.ops.status import outlet_status
from archive.simulate import SimulatedOutlet
from tests.archive.api.support import api_client
from tests.support import HOSTS, write_config

pytestmark = pytest.mark.integration


@pytest.fixture
def outlet(tmp_path) -> Iterator[tuple[SimulatedOutlet, Config]]:
    with SimulatedOutlet(hosts=HOSTS, port=0, articles=5) as sim:
        yield sim, load_config(write_config(tmp_path, port=sim.port))


def changes_of(config: Config, article_id: int) -> list[StoredChange]:
    """Oldest first."""
    with Index(config.index_path, readonly=True) as idx:
        return list(reversed(vx.changes(idx, outlet="demo", article_id=str(article_id))))


def on_every_host(sim: SimulatedOutlet, article_id: int) -> tuple[str, ...]:
    return tuple(sim.article_url(article_id, host) for host in HOSTS)


def test_an_edit_a_revert_and_the_edit_again_are_three_changes_and_current_follows_the_hosts(outlet):
    sim, config = outlet
    article = sim.site.article_ids()[1]
    original = sim.site.get(article).headline
    pipeline.run_cycle(config, "demo")
    for headline in ("A headline the outlet will take back", original, "A headline the outlet will take back"):
        sim.edit_headline(article, headline)
        pipeline.run_cycle(config, "demo")

    found = changes_of(config, article)
    assert [(c.kind, c.from_version, c.to_version) for c in found] == [
        ("headline", 1, 2),
        ("headline", 2, 1),
        ("headline", 1, 2),
    ]
    assert [bool(c.details.get("revert")) for c in found] == [False, True, False]
    assert [bool(c.details.get("reapplied")) for c in found] == [False, False, True]
    assert "re-applied version 2" in found[2].summary
    with Index(config.index_path, readonly=True) as idx:
        assert vx.article_state(idx, "demo", str(article)).current_version == 2
        latest = {
            row["host"]: row["version"]
            for row in idx._db.query(
                "SELECT c.host, d.version FROM captures c JOIN detected d USING (record_id) "
                "WHERE c.article_id = ? AND d.version IS NOT NULL ORDER BY c.fetched_at",
                [str(article)],
            )
        }
    assert set(latest.values()) == {2}, latest


def test_an_edit_served_by_every_domain_is_one_change_listing_them_all(outlet):
    sim, config = outlet
    article = sim.site.article_ids()[2]
    pipeline.run_cycle(config, "demo")
    sim.edit_headline(article, "Edited once, served everywhere")
    pipeline.run_cycle(config, "demo")
    pipeline.run_cycle(config, "demo")

    (edit,) = changes_of(config, article)
    assert edit.kind == "headline"
    assert {entry["host"] for entry in edit.details["served_by"]} == set(HOSTS)


def test_a_redirect_that_stays_for_several_crawls_on_every_domain_is_one_change(outlet):
    sim, config = outlet
    article, target = sim.site.article_ids()[3], sim.site.article_ids()[4]
    pipeline.run_cycle(config, "demo")
    sim.redirect(article, target)
    for _ in range(3):
        pipeline.run_cycle(config, "demo", articles=on_every_host(sim, article))

    found = changes_of(config, article)
    assert [c.kind for c in found] == ["redirect"], found
    assert found[0].details["target_article"] == str(target)


def test_a_retraction_that_stays_is_one_change_and_the_restoration_another(outlet):
    sim, config = outlet
    article = sim.site.article_ids()[0]
    pipeline.run_cycle(config, "demo")
    sim.retract(article, status=404)
    for _ in range(2):
        pipeline.run_cycle(config, "demo", articles=on_every_host(sim, article))
    sim.restore(article)
    for _ in range(2):
        pipeline.run_cycle(config, "demo", articles=on_every_host(sim, article))

    assert [c.kind for c in changes_of(config, article)] == ["retraction", "restoration"]


def test_redetect_rebuilds_the_same_history_and_alerts_nothing_again(outlet, monkeypatch):
    sim, config = outlet
    article = sim.site.article_ids()[1]
    with webhook_receiver() as (hook, received):
        monkeypatch.setenv("EDITTRAIL_DEMO_WEBHOOK", hook)
        pipeline.run_cycle(config, "demo")
        sim.edit_headline(article, "Edited before the rebuild")
        pipeline.run_cycle(config, "demo")
        before = all_changes(config)
        sent = len(received)
        rebuilt = pipeline.redetect(config, "demo")
        pipeline.alert(config, "demo")
        assert len(received) == sent >= 1
    assert all_changes(config) == before
    assert rebuilt["changes"] == len(before) and rebuilt["deferred"] == 0
    with Index(config.index_path, readonly=True) as idx:
        assert list(vx.pending_captures(idx, "demo")) == []


def all_changes(config: Config) -> list[tuple[str, str, str, str]]:
    with Index(config.index_path, readonly=True) as idx:
        rows = vx.changes(idx, outlet="demo")
    return sorted((r.change_key, r.article_id, r.kind, r.to_record) for r in rows)


def test_noise_of_every_class_makes_no_change_and_what_was_learned_is_shown(tmp_path):
    with SimulatedOutlet(hosts=HOSTS, port=0, articles=6, noise="all") as sim:
        config = load_config(write_config(tmp_path, port=sim.port))
        for _ in range(3):
            pipeline.run_cycle(config, "demo")
        article = sim.site.article_ids()[1]
    with Index(config.index_path, readonly=True) as idx:
        assert vx.changes(idx, outlet="demo") == []
        assert [v.version for v in vx.versions_of(idx, "demo", str(article))] == [1]
    learned = outlet_status(config, "demo").noise
    assert {entry["field"] for entry in learned} >= {"body", "images"}, learned
    page = api_client(config).get(f"/demo/article/{article}")
    assert page.status_code == 200 and "Noise ignored" in page.text
    assert any(html.escape(entry["description"]) in page.text for entry in learned)
